package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

// TLS names the files of a client's TLS setup: the CA bundle the server's certificate
// must chain to and, for client-certificate authentication, a certificate and its key.
// They are files so that a Kubernetes Secret mounted as a volume supplies them and a
// rotated certificate is read at the next start.
type TLS struct {
	CAFile   string // PEM bundle of the CAs to trust; "" means the system's roots
	CertFile string // PEM client certificate; with KeyFile, or neither
	KeyFile  string
}

// Enabled reports whether any file is named (a client then dials with TLS).
func (t TLS) Enabled() bool { return t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" }

// ClientConfig is the *tls.Config the files describe, or nil when none is named.
func (t TLS) ClientConfig() (*tls.Config, error) {
	if !t.Enabled() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("config: CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("config: CA bundle %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errors.New("config: a client certificate needs both its certificate and its key file")
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("config: client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Etcd is how a process reaches the zone's etcd: its endpoints, TLS and the credentials
// of etcd's role-based auth. Either identity works with an etcd that has auth enabled:
// a client certificate (etcd takes its common name as the user) or a user name with a
// password read from a file. Services (app.Main) and the admin CLI both build their
// client here, so both accept the same settings.
type Etcd struct {
	Endpoints    List
	TLS          TLS
	Username     string
	PasswordFile string // file holding the password (a mounted Secret key); trailing newlines are dropped
}

// RegisterTLS declares the flags of everything but the endpoints (a command names those
// its own way): --etcd-ca-file, --etcd-cert-file, --etcd-key-file, --etcd-username and
// --etcd-password-file, each defaulting to its GAOXING_* variable when fromEnv (commands
// that do not use Parse), else to empty (Parse fills them).
func (e *Etcd) RegisterTLS(fs *flag.FlagSet, fromEnv bool) {
	def := func(name string) string {
		if fromEnv {
			return os.Getenv(EnvName(name))
		}
		return ""
	}
	fs.StringVar(&e.TLS.CAFile, "etcd-ca-file", def("etcd-ca-file"), "PEM `file` of the CAs etcd's certificate chains to (enables TLS)")
	fs.StringVar(&e.TLS.CertFile, "etcd-cert-file", def("etcd-cert-file"), "PEM client certificate `file` for etcd (its CN is the etcd user)")
	fs.StringVar(&e.TLS.KeyFile, "etcd-key-file", def("etcd-key-file"), "PEM `file` of the etcd client certificate's key")
	fs.StringVar(&e.Username, "etcd-username", def("etcd-username"), "etcd auth `user` (with --etcd-password-file)")
	fs.StringVar(&e.PasswordFile, "etcd-password-file", def("etcd-password-file"), "`file` holding the etcd user's password")
}

// Client dials etcd as configured, with opts added to the gRPC dial (tracing). Endpoints
// given as https:// need TLS; a TLS setting with http:// endpoints is refused rather
// than silently ignored.
func (e Etcd) Client(opts ...grpc.DialOption) (*clientv3.Client, error) {
	if len(e.Endpoints) == 0 {
		return nil, errors.New("config: no etcd endpoints")
	}
	tlsCfg, err := e.TLS.ClientConfig()
	if err != nil {
		return nil, err
	}
	for _, ep := range e.Endpoints {
		secure := strings.HasPrefix(ep, "https://")
		if secure && tlsCfg == nil {
			tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12} // system roots
		}
		if !secure && tlsCfg != nil {
			return nil, fmt.Errorf("config: etcd endpoint %s is not https:// but TLS files are given", ep)
		}
	}
	cfg := clientv3.Config{
		Endpoints:   e.Endpoints,
		DialTimeout: 5 * time.Second,
		TLS:         tlsCfg,
		Logger:      zap.NewNop(),
		DialOptions: opts,
	}
	if e.Username != "" || e.PasswordFile != "" {
		if e.Username == "" || e.PasswordFile == "" {
			return nil, errors.New("config: etcd auth needs both a user name and a password file")
		}
		pw, err := os.ReadFile(e.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("config: etcd password: %w", err)
		}
		cfg.Username, cfg.Password = e.Username, strings.TrimRight(string(pw), "\r\n")
	}
	return clientv3.New(cfg)
}
