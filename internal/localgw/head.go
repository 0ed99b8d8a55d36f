package localgw

import (
	"bufio"
	"bytes"
	"fmt"
)

// upstreamBufferSize is the backend reader's buffer, and so the most a
// backend's status line and headers may take.
const upstreamBufferSize = 16 << 10

// peekHead returns a backend response's status line and headers, through
// the blank line that ends them, without consuming them.
func peekHead(br *bufio.Reader) ([]byte, error) {
	if _, err := br.Peek(1); err != nil {
		return nil, err
	}
	for {
		b, _ := br.Peek(br.Buffered()) // never more than is buffered: no error
		if i := headEnd(b); i >= 0 {
			return b[:i], nil
		}
		if br.Buffered() >= br.Size() {
			return nil, fmt.Errorf("backend response headers exceed %d bytes", br.Size())
		}
		if _, err := br.Peek(br.Buffered() + 1); err != nil {
			return nil, err
		}
	}
}

// headEnd is the length of the head at the start of b, through its blank
// line (CRLF or, as net/http accepts, a bare LF), or -1 if b holds no
// blank line yet.
func headEnd(b []byte) int {
	end := -1
	if i := bytes.Index(b, []byte("\n\r\n")); i >= 0 {
		end = i + 3
	}
	if i := bytes.Index(b, []byte("\n\n")); i >= 0 && (end < 0 || i+2 < end) {
		end = i + 2
	}
	return end
}

// appendConnectionTokens appends the comma-separated values of every
// Connection header in head (the status line is skipped) to dst.
func appendConnectionTokens(dst []string, head []byte) []string {
	_, rest, _ := bytes.Cut(head, []byte("\n"))
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		name, value, ok := bytes.Cut(line, []byte(":"))
		if ok && bytes.EqualFold(bytes.TrimSpace(name), []byte("Connection")) {
			dst = append(dst, string(bytes.TrimSpace(value)))
		}
	}
	return dst
}
