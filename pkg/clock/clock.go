package clock

import (
	"sync"
	"time"
)

// Fake is a clock for tests: it reads the time it was last set to. The zero value reads
// the zero time. Pass its Now method where the code under test takes a clock.
type Fake struct {
	mu sync.Mutex
	t  time.Time
}

// NewFake returns a Fake reading t.
func NewFake(t time.Time) *Fake { return &Fake{t: t} }

// Now is the time the clock reads.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t (backwards too).
func (c *Fake) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock d forward.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
