package backup_test

import (
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// load is writers running while a backup is taken. What the restore must hold is every
// write acknowledged before the backup began; what it must not hold is anything never
// tried.
type load[V any] struct {
	mu    sync.Mutex
	acked map[string]V
	tried map[string]V
	stop  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

// startLoad runs workers goroutines that call write(l, w, n), n counting up across them,
// until Stop (at the latest when t ends). write calls l.try before it writes whatever
// key it knows beforehand, and returns the key and value acknowledged, or ok false.
func startLoad[V any](t *testing.T, workers int, write func(l *load[V], w int, n int64) (key string, v V, ok bool)) *load[V] {
	l := &load[V]{acked: map[string]V{}, tried: map[string]V{}, stop: make(chan struct{})}
	var seq atomic.Int64
	for w := range workers {
		l.wg.Go(func() {
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				if key, v, ok := write(l, w, seq.Add(1)); ok {
					l.mu.Lock()
					l.acked[key] = v
					l.mu.Unlock()
				}
			}
		})
	}
	t.Cleanup(l.Stop)
	return l
}

// try records a write about to be made.
func (l *load[V]) try(key string, v V) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tried[key] = v
}

// ackedAtLeast waits until n writes are acknowledged and returns them as they are then.
func (l *load[V]) ackedAtLeast(t *testing.T, n int, within time.Duration) map[string]V {
	t.Helper()
	require.Eventually(t, func() bool { l.mu.Lock(); defer l.mu.Unlock(); return len(l.acked) >= n },
		within, 10*time.Millisecond, "the load runs")
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.acked)
}

// Stop ends the writers and waits for them; after it acked and tried are read freely.
func (l *load[V]) Stop() {
	l.once.Do(func() { close(l.stop) })
	l.wg.Wait()
}
