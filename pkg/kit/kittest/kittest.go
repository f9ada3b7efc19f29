// Package kittest runs a kit.Service on real loopback listeners for a test: the one way
// every service's transport tests start their server.
package kittest

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/gaoxing-gov/gaoxing/pkg/kit"
)

// Server is a service serving on loopback for the duration of a test.
type Server struct {
	// GRPCAddr is the gRPC listener's address (host:port).
	GRPCAddr string
	// URL is the HTTP base URL, e.g. "http://127.0.0.1:41234" (routes start with /api/<svc>/).
	URL string
	// Conn is a client connection to GRPCAddr made with kit.Dial.
	Conn *grpc.ClientConn
}

// Serve starts svc on two loopback listeners and stops it when the test ends.
func Serve(t testing.TB, svc *kit.Service) *Server {
	t.Helper()
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("kittest: listen: %v", err)
	}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = gl.Close()
		t.Fatalf("kittest: listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, gl, hl) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("kittest: %s stopped with: %v", svc.Name(), err)
			}
		case <-time.After(kit.ShutdownGrace + 5*time.Second):
			t.Errorf("kittest: %s did not stop", svc.Name())
		}
	})
	conn, err := kit.Dial(gl.Addr().String())
	if err != nil {
		t.Fatalf("kittest: dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &Server{GRPCAddr: gl.Addr().String(), URL: "http://" + hl.Addr().String(), Conn: conn}
}
