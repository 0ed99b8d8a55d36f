package main

import (
	"bytes"
	"io"
	"sync"
)

// sharedWriter serialises whole lines from several services onto one
// writer, so their logs interleave by line and never mid-line.
type sharedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// prefixed is a writer that prefixes each line with the service's name.
func (s *sharedWriter) prefixed(name string) io.Writer {
	return &prefixWriter{shared: s, prefix: []byte(name + " | ")}
}

type prefixWriter struct {
	shared  *sharedWriter
	prefix  []byte
	partial []byte // the start of a line whose end has not arrived
}

// Write holds the shared lock, which also guards partial.
func (p *prefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	p.shared.mu.Lock()
	defer p.shared.mu.Unlock()
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.partial = append(p.partial, b...)
			break
		}
		line := make([]byte, 0, len(p.prefix)+len(p.partial)+i+1)
		line = append(append(append(line, p.prefix...), p.partial...), b[:i+1]...)
		p.partial = p.partial[:0]
		if _, err := p.shared.w.Write(line); err != nil {
			return 0, err
		}
		b = b[i+1:]
	}
	return n, nil
}
