// Package console serves the staff console (控制台): the single-page application built from
// web/console (TypeScript, React, Ant Design) and embedded in the binary. It serves the
// hashed assets as immutable, every other path as the application's index.html (the
// browser-side router owns the paths), a strict Content-Security-Policy, and /config.json,
// which tells the application where the OpenID Provider is.
//
// The assets are built by `make web` into dist/; a checkout where that has not run still
// compiles and answers every page with a "console not built" notice.
package console
