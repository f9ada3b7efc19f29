package objstore

import (
	"net/http"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/gaoxing-gov/gaoxing/pkg/telemetry"
)

// Config is how a service reaches MinIO.
type Config struct {
	Endpoint             string // host:port
	AccessKey, SecretKey string
	UseSSL               bool
	Bucket               string // the service's bucket; "" means the service's default
	// PublicURL is where browsers reach the object store ("https://gaoxing.example.gov.cn":
	// the Ingress routes /<bucket>/ to it), which presigned URLs must name: they are
	// signed for that host, and the cluster-internal Endpoint is no address a browser
	// can use. "" presigns for Endpoint (one machine, tests).
	PublicURL string
	// Region is the store's region, which presigning for PublicURL needs without asking
	// the store over the public address; "" is MinIO's default, us-east-1.
	Region string
}

// Client returns a minio-go client for c. Its requests are spans, children of the call
// that makes them ("minio PUT", with the status and the object's URL, never its bytes);
// requests outside a traced call are not traced.
func (c Config) Client() (*minio.Client, error) {
	base, err := minio.DefaultTransport(c.UseSSL)
	if err != nil {
		return nil, err
	}
	return minio.New(c.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure:    c.UseSSL,
		Transport: Traced(base),
	})
}

// Traced wraps the transport of a minio-go client that a service builds itself (with
// its own timeouts) so that its requests are spans as Client's are.
func Traced(base http.RoundTripper) http.RoundTripper {
	return otelhttp.NewTransport(base,
		otelhttp.WithFilter(telemetry.HTTPClientFilter),
		otelhttp.WithMeterProvider(noop.NewMeterProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "minio " + r.Method }))
}
