package clock

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFake(t *testing.T) {
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	c := NewFake(start)
	require.Equal(t, start, c.Now())

	c.Advance(time.Hour)
	require.Equal(t, start.Add(time.Hour), c.Now())

	c.Set(start.Add(-time.Minute))
	require.Equal(t, start.Add(-time.Minute), c.Now(), "Set may move it back")

	var zero Fake
	require.True(t, zero.Now().IsZero())
}

func TestFakeIsSafeAcrossGoroutines(t *testing.T) {
	c := NewFake(time.Unix(0, 0))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Second)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	require.Equal(t, time.Unix(800, 0), c.Now())
}
