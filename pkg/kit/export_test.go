package kit

// NewHTTPServer exposes the server Serve runs, for its deadline tests.
var NewHTTPServer = newHTTPServer
