package leader_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gaoxing-gov/gaoxing/pkg/leader"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

const ttl = 2 * time.Second

// candidate runs one Leader in the background and records its terms.
type candidate struct {
	name    string
	leader  *leader.Leader
	terms   atomic.Int32 // how many times fn started
	ended   atomic.Int32 // how many times fn returned
	stopped chan struct{}
	stop    context.CancelFunc
}

// active counts candidates whose fn is running, across all candidates of a test, and the
// most that ever ran at once.
type active struct {
	now, peak atomic.Int32
}

func (a *active) enter() {
	n := a.now.Add(1)
	for {
		p := a.peak.Load()
		if n <= p || a.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

func start(ctx context.Context, t *testing.T, client *clientv3.Client, name string, act *active, opts ...leader.Option) *candidate {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	c := &candidate{name: name, stopped: make(chan struct{}), stop: cancel}
	opts = append([]leader.Option{leader.WithTTL(ttl), leader.WithIdentity(name), leader.WithRetryDelay(50 * time.Millisecond)}, opts...)
	c.leader = leader.New(client, "test/election", opts...)
	t.Cleanup(func() { cancel(); <-c.stopped })
	go func() {
		defer close(c.stopped)
		_ = c.leader.Run(ctx, func(ctx context.Context) error {
			c.terms.Add(1)
			act.enter()
			defer act.now.Add(-1)
			defer c.ended.Add(1)
			<-ctx.Done()
			return nil
		})
	}()
	return c
}

// ownClient is a client closed before the etcd server stops (open watch and keep-alive
// streams would hold the server's shutdown for seconds), and which a test may also close
// itself to kill a candidate.
func ownClient(t *testing.T, e *testenv.Etcd) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{e.Endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	require.NoError(t, err)
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { _ = c.Close() }) })
	return c
}

func waitLeader(t *testing.T, cs ...*candidate) *candidate {
	t.Helper()
	var got *candidate
	require.Eventually(t, func() bool {
		n := 0
		for _, c := range cs {
			if c.leader.IsLeader() {
				got = c
				n++
			}
		}
		return n == 1
	}, 10*time.Second, 10*time.Millisecond, "exactly one candidate should lead")
	return got
}

func TestFailoverWithinTTLWhenLeaderDies(t *testing.T) {
	e := testenv.StartEtcd(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var act active
	clientA, clientB := ownClient(t, e), ownClient(t, e)
	a := start(ctx, t, clientA, "a", &act)
	b := start(ctx, t, clientB, "b", &act)

	first := waitLeader(t, a, b)
	other, deadClient := b, clientA
	if first == b {
		other, deadClient = a, clientB
	}

	// Kill the leader's connection to etcd: it cannot renew or revoke its lease, so the
	// other candidate must wait for the lease to expire on the server.
	killed := time.Now()
	require.NoError(t, deadClient.Close())
	require.Eventually(t, func() bool { return first.ended.Load() == 1 }, 5*time.Second, 10*time.Millisecond,
		"the dead leader's work must be cancelled")
	require.False(t, first.leader.IsLeader())

	require.Eventually(t, other.leader.IsLeader, ttl+3*time.Second, 10*time.Millisecond,
		"the other candidate takes over within the lease TTL")
	took := time.Since(killed)
	t.Logf("takeover after %v (TTL %v)", took, ttl)
	// IsLeader turns true just before the work starts: wait for the term, not the flag.
	require.Eventually(t, func() bool { return other.terms.Load() == 1 }, 5*time.Second, 10*time.Millisecond,
		"the new leader's work starts once")
	require.Equal(t, int32(1), act.peak.Load(), "never two leaders at once")
}

func TestShutdownResignsAtOnce(t *testing.T) {
	e := testenv.StartEtcd(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var act active
	long := leader.WithTTL(30 * time.Second) // far longer than the wait below
	a := start(ctx, t, ownClient(t, e), "a", &act, long)
	waitLeader(t, a)
	b := start(ctx, t, ownClient(t, e), "b", &act, long)

	a.stop()
	<-a.stopped
	require.False(t, a.leader.IsLeader())
	require.Equal(t, int32(1), a.ended.Load())
	require.Eventually(t, b.leader.IsLeader, 5*time.Second, 10*time.Millisecond,
		"a resigning leader hands over without waiting for its 30 s lease")
	require.Equal(t, int32(1), act.peak.Load())
}

func TestLostLeadershipCancelsWorkAndCampaignsAgain(t *testing.T) {
	for _, tc := range []struct {
		name string
		take func(ctx context.Context, admin *clientv3.Client, kv *clientv3.GetResponse) error
	}{
		{"lease revoked", func(ctx context.Context, admin *clientv3.Client, kv *clientv3.GetResponse) error {
			_, err := admin.Revoke(ctx, clientv3.LeaseID(kv.Kvs[0].Lease))
			return err
		}},
		{"election key deleted", func(ctx context.Context, admin *clientv3.Client, kv *clientv3.GetResponse) error {
			_, err := admin.Delete(ctx, string(kv.Kvs[0].Key))
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := testenv.StartEtcd(t)
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			var act active
			a := start(ctx, t, ownClient(t, e), "a", &act)
			waitLeader(t, a)

			admin := ownClient(t, e)
			kv, err := admin.Get(ctx, leader.DefaultPrefix+"test/election/", clientv3.WithPrefix())
			require.NoError(t, err)
			require.Len(t, kv.Kvs, 1)
			require.Equal(t, "a", string(kv.Kvs[0].Value))
			require.NoError(t, tc.take(ctx, admin, kv))

			require.Eventually(t, func() bool { return a.ended.Load() == 1 }, 5*time.Second, 10*time.Millisecond,
				"work must stop when leadership is lost")
			require.Eventually(t, func() bool { return a.terms.Load() == 2 && a.leader.IsLeader() }, 10*time.Second, 10*time.Millisecond,
				"the candidate campaigns again and wins")
		})
	}
}
