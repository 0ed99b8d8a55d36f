package orchestrate

import (
	"bytes"
	"io"
	"sync"
)

// prefixWriter writes whole lines to a shared writer, each prefixed with
// its stack's name, so concurrent stacks' progress interleaves by line and
// every line says where it came from.
type prefixWriter struct {
	mu     *sync.Mutex
	out    io.Writer
	prefix []byte
	buf    []byte
}

func newPrefixWriter(out io.Writer, mu *sync.Mutex, stack string) *prefixWriter {
	return &prefixWriter{mu: mu, out: out, prefix: []byte("[" + stack + "] ")}
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if err := w.writeLine(w.buf[:i+1]); err != nil {
			return len(p), err
		}
		w.buf = w.buf[i+1:]
	}
}

// Flush writes a last line that had no newline.
func (w *prefixWriter) Flush() {
	if len(w.buf) > 0 {
		_ = w.writeLine(append(w.buf, '\n'))
		w.buf = nil
	}
}

func (w *prefixWriter) writeLine(line []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	prefix := w.prefix
	if len(bytes.TrimSpace(line)) == 0 {
		prefix = bytes.TrimSuffix(prefix, []byte(" ")) // no trailing space on blank lines
	}
	if _, err := w.out.Write(prefix); err != nil {
		return err
	}
	_, err := w.out.Write(line)
	return err
}
