package objstore

import (
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Config is how a service reaches MinIO.
type Config struct {
	Endpoint             string // host:port
	AccessKey, SecretKey string
	UseSSL               bool
	Bucket               string // the service's bucket; "" means the service's default
}

// Client returns a minio-go client for c.
func (c Config) Client() (*minio.Client, error) {
	return minio.New(c.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure: c.UseSSL,
	})
}
