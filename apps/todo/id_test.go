package main

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewIDFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := newID()
		if !validID(id) {
			t.Fatalf("newID() = %q is not valid", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
}

func TestEncodeID(t *testing.T) {
	// Known ULID encodings: all zero, all one, and the spec's example
	// timestamp 1469918176385 = 01ARYZ6S41.
	var zero, ones [10]byte
	for i := range ones {
		ones[i] = 0xFF
	}
	tests := []struct {
		ms   uint64
		r    [10]byte
		want string
	}{
		{0, zero, "00000000000000000000000000"},
		{1<<48 - 1, ones, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"},
		{1469918176385, zero, "01ARYZ6S410000000000000000"},
		{0, [10]byte{9: 1}, "00000000000000000000000001"},
		{1, zero, "00000000010000000000000000"},
	}
	for _, tt := range tests {
		if got := encodeID(tt.ms, &tt.r); got != tt.want {
			t.Errorf("encodeID(%d, %x) = %s, want %s", tt.ms, tt.r, got, tt.want)
		}
	}
}

func TestIDsSortByTime(t *testing.T) {
	now := time.UnixMilli(1700000000000)
	g := &idGen{now: func() time.Time { return now }}
	var got []string
	for i := range 1000 {
		if i%100 == 0 {
			now = now.Add(time.Millisecond)
		}
		if i == 500 {
			// The clock steps back: ids still increase.
			now = now.Add(-time.Second)
		}
		got = append(got, g.next())
	}
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Error("ids from one generator are not strictly increasing")
	}
	// A later millisecond always sorts after an earlier one.
	a := (&idGen{now: func() time.Time { return time.UnixMilli(1000) }}).next()
	b := (&idGen{now: func() time.Time { return time.UnixMilli(1001) }}).next()
	if a >= b {
		t.Errorf("id at 1000ms %s >= id at 1001ms %s", a, b)
	}
}

func TestIDCounterOverflow(t *testing.T) {
	now := time.UnixMilli(5000)
	g := &idGen{now: func() time.Time { return now }}
	first := g.next()
	for i := range g.rand {
		g.rand[i] = 0xFF
	}
	next := g.next()
	if next <= first || !validID(next) || g.ms != 5001 {
		t.Errorf("after overflow: %s (ms %d), previous %s", next, g.ms, first)
	}
}

func TestIDsConcurrent(t *testing.T) {
	var mu sync.Mutex
	var all []string
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ids := make([]string, 0, 1000)
			for range 1000 {
				ids = append(ids, newID())
			}
			mu.Lock()
			all = append(all, ids...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(all)
	if n := len(slices.Compact(all)); n != 8000 {
		t.Errorf("%d distinct ids out of 8000", n)
	}
}

func TestValidID(t *testing.T) {
	id := newID()
	valid := []string{id, "00000000000000000000000000", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"}
	invalid := []string{
		"", id[:25], id + "0", strings.ToLower(id),
		"8ZZZZZZZZZZZZZZZZZZZZZZZZZ", // more than 128 bits
		"0000000000000000000000000I", // I, L, O, U are not Crockford digits
		"0000000000000000000000000L",
		"0000000000000000000000000O",
		"0000000000000000000000000U",
		"000000000000000000000000 0",
		"0000000000000000000000000\x00",
		"000000000000000000000000é",
		"../../../../../etc/passwd0",
	}
	for _, s := range valid {
		if !validID(s) {
			t.Errorf("validID(%q) = false", s)
		}
	}
	for _, s := range invalid {
		if validID(s) {
			t.Errorf("validID(%q) = true", s)
		}
	}
}
