package localgw

import (
	"sync"
	"time"
)

// bucket is a token bucket: it holds up to burst tokens, gains rate tokens
// a second, and each request takes one. It starts full, as a fresh stage
// accepts a full burst.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens a second
	burst  float64 // capacity
	tokens float64
	last   time.Time
}

func newBucket(rate, burst int, now time.Time) *bucket {
	return &bucket{rate: float64(rate), burst: float64(burst), tokens: float64(burst), last: now}
}

// allow takes a token if there is one. now comes from the caller so tests
// can drive time, and so a request reads the clock once.
func (b *bucket) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens += elapsed.Seconds() * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
