package outbox_test

import (
	"context"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var secret = []byte("0123456789abcdef0123456789abcdef")

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func openDB(t *testing.T, dsn string) *sqlstore.DB {
	t.Helper()
	ctx := testCtx(t, time.Minute)
	db, err := sqlstore.Open(ctx, dsn, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() }) // some tests close it themselves, as a crash would
	require.NoError(t, outbox.Migrate(ctx, db))
	return db
}

// receiver is a real webhook receiver: it checks signatures and remembers, per delivery
// id, every try and every acceptance (a 2xx it answered).
type receiver struct {
	srv *httptest.Server
	// answer decides the reply to a try that passed the signature check: 0 accepts it.
	answer func(id string, try int) int

	mu       sync.Mutex
	tries    map[string][]string // delivery id → User-Agent of each try
	accepted map[string]int      // delivery id → acceptances
	aborted  map[string]int      // delivery id → tries whose sender went away while held
	heldIDs  map[string]bool     // delivery ids of the tries held by a freeze
	inFlight map[string]int      // delivery id → tries being answered now
	overlaps int                 // tries that arrived while another of the same id was in flight
	badSigs  int

	// Freezing: once frozen, every try from the frozen sender waits until release is
	// closed or the sender goes away.
	freezeAfter int          // freeze when this many tries were accepted (0: never)
	frozenUA    atomic.Value // string: the sender held
	held        atomic.Int32
	release     chan struct{}
	releaseOnce sync.Once
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{
		tries:    map[string][]string{},
		accepted: map[string]int{},
		aborted:  map[string]int{},
		heldIDs:  map[string]bool{},
		inFlight: map[string]int{},
		release:  make(chan struct{}),
		answer:   func(string, int) int { return 0 },
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	t.Cleanup(r.unfreeze) // runs first: held handlers must end before the server closes
	return r
}

func (r *receiver) endpoint() outbox.StaticEndpoints {
	return outbox.StaticEndpoints{"court": {URL: r.srv.URL, Secret: secret}}
}

func (r *receiver) unfreeze() { r.releaseOnce.Do(func() { close(r.release) }) }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	got, err := outbox.VerifyRequest(req, time.Minute, secret)
	if err != nil {
		r.mu.Lock()
		r.badSigs++
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	ua := req.UserAgent()
	r.mu.Lock()
	r.tries[got.ID] = append(r.tries[got.ID], ua)
	try := len(r.tries[got.ID])
	accepted := len(r.accepted)
	if r.inFlight[got.ID] > 0 {
		r.overlaps++
	}
	r.inFlight[got.ID]++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.inFlight[got.ID]--
		r.mu.Unlock()
	}()

	if r.freezeAfter > 0 && accepted >= r.freezeAfter {
		r.frozenUA.CompareAndSwap(nil, ua) // the sender at the moment of freezing
	}
	if frozen, _ := r.frozenUA.Load().(string); frozen == ua {
		r.held.Add(1)
		r.mu.Lock()
		r.heldIDs[got.ID] = true
		r.mu.Unlock()
		select {
		case <-r.release:
		case <-req.Context().Done():
			r.mu.Lock()
			r.aborted[got.ID]++
			r.mu.Unlock()
			return
		}
	}
	if code := r.answer(got.ID, try); code != 0 {
		http.Error(w, "try later", code)
		return
	}
	r.mu.Lock()
	r.accepted[got.ID]++
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// seen is a copy of what the receiver has seen so far.
type seen struct {
	tries             map[string][]string
	accepted, aborted map[string]int
	held              map[string]bool
	overlaps          int
}

func (r *receiver) seen() seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := seen{tries: map[string][]string{}, accepted: maps.Clone(r.accepted), aborted: maps.Clone(r.aborted), held: maps.Clone(r.heldIDs), overlaps: r.overlaps}
	for k, v := range r.tries {
		s.tries[k] = slices.Clone(v)
	}
	return s
}

func (r *receiver) acceptedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.accepted)
}

// cutter is a dialer whose connections can all be cut at once, as a crashed process's
// would be.
type cutter struct {
	mu    sync.Mutex
	conns []net.Conn
	dead  bool
}

func (c *cutter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		_ = conn.Close()
		return nil, net.ErrClosed
	}
	c.conns = append(c.conns, conn)
	return conn, nil
}

func (c *cutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dead = true
	for _, conn := range c.conns {
		_ = conn.Close()
	}
}

func (c *cutter) client() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: c.dial}}
}
