package main

import (
	"crypto/rand"
	"sync"
	"time"
)

// IDs are ULID-style: a 48-bit Unix millisecond timestamp followed by 80
// random bits, written as 26 characters of Crockford base32 (upper case, no
// I, L, O or U). Because the timestamp comes first and the alphabet is in
// ASCII order, sorting ids as strings sorts them by creation time, which is
// what lets both stores list a partition in creation order from the key
// alone. 80 random bits per millisecond make a collision between instances
// astronomically unlikely; the stores still refuse to overwrite on one.
const (
	idLen      = 26
	idAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

// idIndex maps an id character to its 5-bit value, or 0xFF if it is not in
// the alphabet.
var idIndex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for i := range len(idAlphabet) {
		t[idAlphabet[i]] = byte(i)
	}
	return t
}()

// validID reports whether s has the exact form newID produces. Everything
// that reaches a store key from outside (path segments, cursors) goes
// through it first.
func validID(s string) bool {
	if len(s) != idLen {
		return false
	}
	// 26 characters hold 130 bits but an id has 128, so the first
	// character carries only 3 bits: 0-7.
	if s[0] > '7' {
		return false
	}
	for i := range len(s) {
		if idIndex[s[i]] == 0xFF {
			return false
		}
	}
	return true
}

// idGen makes ids that are strictly increasing within this process: within
// one millisecond (or if the clock steps back) the random part of the
// previous id is incremented instead of redrawn, so ids from one instance
// sort in exactly the order they were made. Across instances the order is
// only as good as their clocks.
type idGen struct {
	mu   sync.Mutex
	ms   uint64   // timestamp of the last id
	rand [10]byte // random part of the last id
	now  func() time.Time
}

var ids = &idGen{now: time.Now}

// newID returns a fresh id from the process-wide generator.
func newID() string { return ids.next() }

func (g *idGen) next() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := uint64(g.now().UnixMilli())
	switch {
	case ms > g.ms:
		// crypto/rand.Read never returns an error (Go 1.24+).
		_, _ = rand.Read(g.rand[:])
	case !g.increment():
		// Same (or an earlier, if the clock stepped back) millisecond:
		// keep the last timestamp with the incremented random part so
		// the order holds.
		ms = g.ms
	default:
		// The 80-bit counter wrapped, which takes 2^80 ids in one
		// millisecond; move on to the next millisecond.
		ms = g.ms + 1
		_, _ = rand.Read(g.rand[:])
	}
	g.ms = ms
	return encodeID(ms, &g.rand)
}

// increment adds one to the random part and reports whether it wrapped
// around to zero.
func (g *idGen) increment() (overflow bool) {
	for i := len(g.rand) - 1; i >= 0; i-- {
		g.rand[i]++
		if g.rand[i] != 0 {
			return false
		}
	}
	return true
}

// encodeID writes the 128 bits ms(48) | rand(80) as 26 base32 digits, most
// significant first.
func encodeID(ms uint64, r *[10]byte) string {
	var b [16]byte
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	copy(b[6:], r[:])
	hi := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	lo := uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 |
		uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15])
	var out [idLen]byte
	// Digit 25 is the lowest 5 bits of lo; walk up through the 130-bit
	// (2 leading zero bits) number 5 bits at a time.
	for i := idLen - 1; i >= 0; i-- {
		out[i] = idAlphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}
