// Command mockcourt is a stand-in court for development and the end-to-end tests, as the
// UK's legal-aid adaptor has a mock of the court platform: it receives the legal-aid
// service's signed webhooks, and for every new change of a case filed with it acts as a
// court would, by calling the case API back with its machine client's token — it
// registers the case under a case number (立案), schedules two hearings and records them
// held, records a suspension of the trial clock (鉴定) and its end, and records the
// judgment. Deliveries are de-duplicated by their delivery id; with -fail-first N it
// answers the first N new deliveries with an error after recording them, so the platform
// redelivers them and the court must not act twice.
//
//	mockcourt -api http://127.0.0.1:8080/api/legalaid -court-code 辽0391 -listen 127.0.0.1:0
//
// The webhook secret is read from MOCKCOURT_SECRET. The court's token is MOCKCOURT_TOKEN,
// or, with -token-url and -client-id, one it gets by the client-credentials grant with
// the secret MOCKCOURT_CLIENT_SECRET when it first calls and again before it expires (as
// `gaoxing up --mock-court` runs it). It prints "listening on http://…" when ready.
// GET /deliveries reports what it received.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	api := flag.String("api", "", "the legal-aid service's HTTP base, e.g. http://127.0.0.1:8080/api/legalaid")
	listen := flag.String("listen", "127.0.0.1:0", "where to receive webhooks")
	code := flag.String("court-code", "辽0391", "the court's code in case numbers")
	failFirst := flag.Int("fail-first", 0, "answer the first N new deliveries with 503 after recording them")
	tokenURL := flag.String("token-url", "", "the OAuth token endpoint, e.g. http://127.0.0.1:8080/api/identity/oauth/token")
	clientID := flag.String("client-id", "", "the court's machine client, for the client-credentials grant")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	secret := os.Getenv("MOCKCOURT_SECRET")
	var tokens tokenSource = staticToken(os.Getenv("MOCKCOURT_TOKEN"))
	if *tokenURL != "" && *clientID != "" && os.Getenv("MOCKCOURT_CLIENT_SECRET") != "" {
		tokens = &clientCredentials{url: *tokenURL, id: *clientID, secret: os.Getenv("MOCKCOURT_CLIENT_SECRET"),
			http: &http.Client{Timeout: 10 * time.Second}}
	}
	if *api == "" || tokens == staticToken("") || len(secret) < 32 {
		fmt.Fprintln(os.Stderr, "mockcourt: -api, a token (MOCKCOURT_TOKEN, or -token-url, -client-id and MOCKCOURT_CLIENT_SECRET)"+
			" and MOCKCOURT_SECRET (32+ bytes) are required")
		os.Exit(2)
	}
	c := newCourt(*api, tokens, []byte(secret), *code, *failFirst, log)
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mockcourt:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go c.work(ctx)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks", c.receive)
	mux.HandleFunc("GET /deliveries", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(c.report())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Printf("listening on http://%s\n", lis.Addr())
	if err := srv.Serve(lis); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "mockcourt:", err)
		os.Exit(1)
	}
}
