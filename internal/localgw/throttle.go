package localgw

import (
	"fmt"
	"sync"
	"time"
)

// Throttling is the consumer stage's throttling: RateLimit requests per
// second with bursts of BurstLimit for the whole API, and per write route
// (POST, PUT, PATCH, DELETE) the tighter WriteRateLimit and
// WriteBurstLimit. The names are the config keys' names.
type Throttling struct {
	RateLimit       int
	BurstLimit      int
	WriteRateLimit  int
	WriteBurstLimit int
}

// Validate refuses what the consumer stack refuses: every limit must be
// positive, as a zero burst would reject every request.
func (t Throttling) Validate() error {
	for _, l := range []struct {
		key string
		v   int
	}{
		{keyRate, t.RateLimit},
		{keyBurst, t.BurstLimit},
		{keyWriteRate, t.WriteRateLimit},
		{keyWriteBurst, t.WriteBurstLimit},
	} {
		if l.v <= 0 {
			return fmt.Errorf("%s is %d, want a whole number > 0", l.key, l.v)
		}
	}
	return nil
}

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
