package localgw

import (
	"bytes"
	"context"
	"net"
	"sync"
)

// maxResponseHead is how much of a response backendConn keeps to find the
// end of its header; a longer header is not checked.
const maxResponseHead = 16 << 10

// backendConn is a kept-alive connection to a backend that remembers what
// it read for the response in flight. A backend that sends more than its
// response (bytes HTTP/1.1 would take for the next response on the
// connection) is caught once the response is read, and its connection is
// closed instead of reused, as a proxy does when an upstream sends more
// than its Content-Length. net/http's Transport notices such bytes only if
// they come before it hands the connection to the next request, which is a
// race.
type backendConn struct {
	net.Conn

	mu sync.Mutex
	// read counts the bytes read since the request was written, and head
	// keeps the first of them.
	read int64
	head []byte
	// done: the response was read; the next Write starts a new exchange.
	done bool
}

func dialBackend(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &backendConn{Conn: c}, nil
	}
}

func (c *backendConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.done {
		c.read, c.head, c.done = 0, c.head[:0], false
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *backendConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read += int64(n)
	if room := maxResponseHead - len(c.head); room > 0 {
		c.head = append(c.head, p[:min(n, room)]...)
	}
	c.mu.Unlock()
	return n, err
}

// finished is told that the response's body, of bodyLen bytes framed by
// its Content-Length (or absent), has been read. It closes the connection
// when more than that response had arrived, and reports whether it did.
func (c *backendConn) finished(bodyLen int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done = true
	end, ok := headerEnd(c.head)
	if !ok || c.read <= int64(end+bodyLen) {
		return false
	}
	_ = c.Conn.Close() // the Transport then drops it; nothing to report
	return true
}

// headerEnd is where the final (non-1xx) response header in b ends.
func headerEnd(b []byte) (int, bool) {
	start := 0
	for {
		i := bytes.Index(b[start:], []byte("\r\n\r\n"))
		if i < 0 {
			return 0, false
		}
		block := b[start:]
		start += i + 4
		if !bytes.HasPrefix(block, []byte("HTTP/1.1 1")) && !bytes.HasPrefix(block, []byte("HTTP/1.0 1")) {
			return start, true
		}
	}
}
