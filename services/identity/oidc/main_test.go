package oidc_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// Environment of the verifier helper process (see verifyInChild).
const (
	helperEtcdEnv   = "OIDC_TEST_HELPER_ETCD"
	helperIssuerEnv = "OIDC_TEST_HELPER_ISSUER"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEtcdEnv) != "" {
		os.Exit(verifierHelper())
	}
	testenv.Main(m)
}

// verifierHelper is the test binary re-run as another service would be: its own etcd
// client and revocation watch, its own JWKS fetch. It reads one token per line on stdin
// and answers "ok <sub>" or "err <CODE>" per line.
func verifierHelper() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client, err := clientv3.New(clientv3.Config{
		Endpoints: []string{os.Getenv(helperEtcdEnv)}, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer client.Close()
	revoked, err := authn.WatchRevocations(ctx, client)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	issuer := os.Getenv(helperIssuerEnv)
	v, err := authn.NewVerifier(issuer, "gaoxing", issuer+"/keys", authn.WithRevoked(revoked.Revoked))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 16<<10), 16<<10)
	for in.Scan() {
		p, err := v.Verify(ctx, strings.TrimSpace(in.Text()))
		var e *errs.Error
		switch {
		case err == nil:
			fmt.Println("ok", p.Subject)
		case errors.As(err, &e):
			fmt.Println("err", e.Code)
		default:
			fmt.Println("err", err)
		}
	}
	return 0
}
