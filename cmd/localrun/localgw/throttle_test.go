package localgw

import (
	"testing"
	"time"
)

func TestBucketBurstThenRefill(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	b := newBucket(10, 3, t0) // 10 a second, bursts of 3

	for i := range 3 {
		if !b.allow(t0) {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	if b.allow(t0) {
		t.Fatal("request past the burst allowed")
	}
	// 50 ms at 10/s is half a token: still refused.
	if b.allow(t0.Add(50 * time.Millisecond)) {
		t.Fatal("allowed before a whole token refilled")
	}
	// 100 ms is one token.
	if !b.allow(t0.Add(100 * time.Millisecond)) {
		t.Fatal("refused after a token refilled")
	}
	if b.allow(t0.Add(100 * time.Millisecond)) {
		t.Fatal("allowed twice on one refilled token")
	}
	// A long pause refills to the burst, never beyond it.
	later := t0.Add(time.Hour)
	for i := range 3 {
		if !b.allow(later) {
			t.Fatalf("request %d after a pause refused", i+1)
		}
	}
	if b.allow(later) {
		t.Fatal("bucket refilled beyond its burst")
	}
	// A clock going backwards neither refills nor breaks the bucket.
	if b.allow(t0) {
		t.Fatal("allowed on a clock that went backwards")
	}
}
