package localgw

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// The gateway serves its clients with its own connection loop rather than
// net/http's Server and Transport. A proxy does twice the I/O of the
// service behind it, and on a laptop the load generator, the gateway and
// the services share a few cores, so what the gateway spends per request
// decides how much of a service's throughput survives it
// (make bench-gateway). net/http's server and ReverseProxy cost about 2.5
// times (65 µs a request against 26 µs here) a loop that reads a request,
// writes it to a backend connection pinned to the client connection, and
// copies the answer back. Parsing still goes through net/http
// (http.ReadRequest and http.ReadResponse), plus the checks net/http's
// server adds (checkRequest); the gateway only writes messages, speaking
// HTTP/1.1 to backends and the client's version to clients.

// ErrClosed is what Serve returns once Shutdown or Close was called.
var ErrClosed = errors.New("localgw: gateway closed")

// Client connection limits, those of a typical net/http server: a
// connection may wait idleTimeout for its next request; once a request's
// first byte arrives, reading all of it and writing the answer must fit in
// the integration timeout plus requestSlack.
const (
	idleTimeout    = 120 * time.Second
	requestSlack   = 10 * time.Second
	maxHeaderBytes = 32 << 10
	// maxDrainBytes is how much of an unread request body (a 404's, a
	// 429's) is read past to keep the connection; beyond it the connection
	// is closed, as net/http does.
	maxDrainBytes = 256 << 10
)

// Serve accepts client connections on ln until Shutdown or Close, and then
// returns ErrClosed. Each connection is served by one goroutine. ln is
// closed when Serve returns.
func (g *Gateway) Serve(ln net.Listener) error {
	defer ln.Close() // closed already unless Serve failed or came too late
	g.mu.Lock()
	if g.closing.Load() {
		g.mu.Unlock()
		return ErrClosed
	}
	g.listeners[ln] = struct{}{}
	g.mu.Unlock()

	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if g.closing.Load() {
				return ErrClosed
			}
			// Out of file descriptors and the like pass; wait and retry,
			// as net/http does.
			if te, ok := err.(interface{ Temporary() bool }); ok && te.Temporary() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("accepting on %s: %w", ln.Addr(), err)
		}
		backoff = 0
		cc := g.newClientConn(c)
		if !g.track(cc) {
			_ = c.Close()
			return ErrClosed
		}
		go cc.serve()
	}
}

// track registers a new client connection, unless the gateway is closing.
func (g *Gateway) track(cc *clientConn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing.Load() {
		return false
	}
	g.clients[cc] = struct{}{}
	g.active.Add(1)
	return true
}

func (g *Gateway) untrack(cc *clientConn) {
	g.mu.Lock()
	delete(g.clients, cc)
	g.mu.Unlock()
	g.active.Done()
}

func (g *Gateway) closeListeners() error {
	g.closing.Store(true)
	g.mu.Lock()
	defer g.mu.Unlock()
	var errs []error
	for ln := range g.listeners {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("closing listener %s: %w", ln.Addr(), err))
		}
		delete(g.listeners, ln)
	}
	return errors.Join(errs...)
}

// Shutdown stops accepting, closes idle client connections, and waits for
// the others to finish their request; when ctx ends first, the rest are cut
// off and ctx's error returned. It does not flush the access log: Close
// does, and is still needed.
func (g *Gateway) Shutdown(ctx context.Context) error {
	err := g.closeListeners()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if g.closeIdleClients() == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			g.mu.Lock()
			for cc := range g.clients {
				cc.abort()
			}
			g.mu.Unlock()
			return errors.Join(err, fmt.Errorf("client connections still busy: %w", ctx.Err()))
		case <-tick.C:
		}
	}
}

// closeIdleClients closes the client connections waiting for a request
// and reports how many connections remain.
func (g *Gateway) closeIdleClients() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	for cc := range g.clients {
		if cc.state.CompareAndSwap(stateIdle, stateClosing) ||
			time.Since(cc.accepted) > newConnGrace && cc.state.CompareAndSwap(stateNew, stateClosing) {
			cc.abort()
		}
	}
	return len(g.clients)
}

// Client connection states, for Shutdown: only an idle connection is
// closed under a client's feet. A new one may be about to send its first
// request, so it gets newConnGrace first, as with net/http.
const (
	stateNew int32 = iota
	stateIdle
	stateActive
	stateClosing
)

const newConnGrace = 5 * time.Second

// clientConn is one client connection and the backend connections its
// requests use. Requests on one HTTP/1.1 connection come one at a time, so
// the backend connections are pinned to it and need no pool or locking.
type clientConn struct {
	g        *Gateway
	c        net.Conn
	limit    io.LimitedReader // under br: bounds a request's header bytes
	br       *bufio.Reader
	bw       *bufio.Writer
	ip       string
	accepted time.Time
	state    atomic.Int32

	ctx       context.Context // canceled by abort, to end a backend dial
	cancel    context.CancelFunc
	mu        sync.Mutex // guards changes to upstreams against abort
	aborted   bool
	upstreams []*upstream // by backend index; nil until first used
	copyBuf   []byte      // for bodies of unknown length
	scratch   []byte      // for formatting numbers and dates
}

func (g *Gateway) newClientConn(c net.Conn) *clientConn {
	cc := &clientConn{g: g, c: c, upstreams: make([]*upstream, len(g.backends)), scratch: make([]byte, 0, 64)}
	cc.limit.R = c
	cc.br = bufio.NewReaderSize(&cc.limit, 8<<10)
	cc.bw = bufio.NewWriterSize(c, 8<<10)
	cc.ip = remoteIP(c.RemoteAddr())
	cc.accepted = time.Now()
	cc.ctx, cc.cancel = context.WithCancel(context.Background())
	return cc
}

// abort closes the client connection and its backend connections, which
// ends whatever its goroutine is waiting for.
func (cc *clientConn) abort() {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.aborted = true
	cc.cancel()
	_ = cc.c.Close() // an already closed connection is fine
	for _, up := range cc.upstreams {
		if up != nil {
			_ = up.c.Close()
		}
	}
}

func (cc *clientConn) serve() {
	defer cc.g.untrack(cc)
	defer cc.abort()
	for {
		if err := cc.c.SetReadDeadline(time.Now().Add(idleTimeout)); err != nil {
			return
		}
		cc.limit.N = maxHeaderBytes
		if _, err := cc.br.Peek(1); err != nil {
			return // closed, idle too long, or Shutdown
		}
		if !cc.state.CompareAndSwap(stateIdle, stateActive) && !cc.state.CompareAndSwap(stateNew, stateActive) {
			return // Shutdown took the connection as idle
		}
		if err := cc.c.SetDeadline(time.Now().Add(cc.g.timeout + requestSlack)); err != nil {
			return
		}
		req, err := http.ReadRequest(cc.br)
		if err != nil {
			if cc.rejectMalformed(err) {
				cc.closeGracefully()
			}
			return
		}
		cc.limit.N = math.MaxInt64
		if !cc.handle(req) {
			cc.closeGracefully()
			return
		}
		cc.state.Store(stateIdle)
	}
}

// lingerTimeout bounds closeGracefully's wait for the client to close.
const lingerTimeout = 500 * time.Millisecond

// closeGracefully ends a connection the gateway has answered but not read
// to the end (a large body behind a 404, pipelined requests after
// Connection: close). Closing a socket with unread input sends a reset,
// which can destroy the answer before the client reads it; so, as net/http
// does, the gateway first ends its side, then reads and discards until the
// client closes or lingerTimeout passes.
func (cc *clientConn) closeGracefully() {
	if err := cc.bw.Flush(); err != nil {
		return // the client is gone; abort closes the rest
	}
	tc, ok := cc.c.(*net.TCPConn)
	if !ok || tc.CloseWrite() != nil || tc.SetReadDeadline(time.Now().Add(lingerTimeout)) != nil {
		return
	}
	_, _ = io.Copy(io.Discard, tc) // ends at the client's close or the deadline
}

// rejectMalformed answers a request that could not be read, as net/http
// does: 431 when the headers are too large, 501 for a transfer coding other
// than chunked, 400 for anything else but a client that went away. It
// reports whether it answered; the connection is closed either way.
func (cc *clientConn) rejectMalformed(err error) bool {
	e := &badRequest
	switch {
	case cc.limit.N <= 0:
		e = &headersTooLarge
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), isTimeout(err), errors.Is(err, net.ErrClosed):
		return false
	case strings.Contains(err.Error(), "unsupported transfer encoding"):
		// net/http's error type for it is unexported, so its text is
		// what can be matched.
		e = &notImplemented
	}
	cc.writeError(e, "HTTP/1.1", "", false, false)
	return true
}

// checkRequest refuses, as net/http's server does before any handler
// runs, what http.ReadRequest parses but RFC 9112 says a server must not
// act on: a version other than 1.x, an HTTP/1.1 request without exactly one
// valid Host, and header names or values with bytes HTTP does not allow. The
// gateway writes headers on as they came, so none of these may reach a
// backend, which could read them differently.
func checkRequest(req *http.Request) *errorResponse {
	if req.ProtoMajor != 1 {
		return &versionNotSupported
	}
	// http.ReadRequest has already refused a second Host, and moved the
	// one there is (or an absolute-form URL's host) to req.Host.
	if req.ProtoAtLeast(1, 1) && req.Host == "" || !httpguts.ValidHostHeader(req.Host) {
		return &badRequest
	}
	for k, vv := range req.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return &badRequest
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return &badRequest
			}
		}
	}
	if expect := req.Header["Expect"]; len(expect) > 0 &&
		(len(expect) > 1 || !strings.EqualFold(expect[0], "100-continue")) {
		return &expectationFailed
	}
	return nil
}

// exchange is what one request needs besides its message: where it stands
// for the access log and whether the connection can carry another request.
type exchange struct {
	req            *http.Request
	e              entry
	keepAlive      bool
	expectContinue bool // the client waits for 100 Continue before its body
	continueSent   bool
	clientErr      bool     // the client failed while its request was sent on
	proto          string   // the response's protocol, the request's version
	respConnection []string // the backend's Connection header values
	// sent delivers how sending a request with a body ended; nil when it
	// is not being sent (see roundTrip). sendErr is what it delivered.
	sent     chan error
	sendErr  error
	bodyRead atomic.Bool // the sender has read the client's body to its end
}

// handle routes, throttles and answers one request, logs it, and reports
// whether the connection can serve another.
func (cc *clientConn) handle(req *http.Request) bool {
	g := cc.g
	start := g.now()
	x := &exchange{
		req:       req,
		keepAlive: !req.Close,
		proto:     "HTTP/1.1",
		e: entry{
			requestID:          g.requestID(),
			start:              start,
			ip:                 cc.ip,
			method:             req.Method,
			path:               req.URL.Path,
			protocol:           req.Proto,
			integrationLatency: -1,
			userAgent:          req.Header.Get("User-Agent"),
		},
		expectContinue: req.ProtoAtLeast(1, 1) && req.Body != http.NoBody &&
			strings.EqualFold(req.Header.Get("Expect"), "100-continue"),
	}
	if !req.ProtoAtLeast(1, 1) {
		x.proto = "HTTP/1.0"
	}

	var route *Route
	ok := false
	refusal := checkRequest(req)
	if refusal == nil {
		route, ok = g.routes.Match(req.Method, req.URL.Path)
	}
	switch {
	case refusal != nil:
		x.keepAlive = false // its framing may not be what it seems
		cc.answer(x, refusal)
	case !ok:
		cc.answer(x, &notFound)
	case route.limit != nil && !route.limit.allow(start) || !g.api.allow(start):
		x.e.routeKey = route.Key
		cc.answer(x, &tooManyRequests)
	default:
		x.e.routeKey = route.Key
		cc.forward(x, route)
	}
	if err := cc.bw.Flush(); err != nil {
		x.keepAlive = false
	}
	x.e.responseLatency = g.now().Sub(start)
	if g.log != nil {
		g.log.write(&x.e)
	}
	return x.keepAlive && cc.drainBody(x)
}

// drainBody reads what is left of the request body, so the next request
// starts where it should. A client still waiting for 100 Continue has sent
// no body, and a large leftover is not worth reading: the connection closes
// instead.
func (cc *clientConn) drainBody(x *exchange) bool {
	if x.req.Body == http.NoBody {
		return true
	}
	if x.expectContinue && !x.continueSent {
		return false
	}
	n, err := io.CopyN(io.Discard, x.req.Body, maxDrainBytes+1)
	return err == io.EOF && n <= maxDrainBytes
}

// answer writes one of API Gateway's own responses. An unread request
// body is read past first, so that when it is too large to, the response
// can say the connection closes.
func (cc *clientConn) answer(x *exchange, e *errorResponse) {
	if x.keepAlive {
		x.keepAlive = !cc.g.closing.Load() && cc.drainBody(x)
	}
	x.e.status = e.status
	if x.req.Method != http.MethodHead {
		x.e.responseLength = int64(len(e.body))
	}
	cc.writeError(e, x.proto, x.e.requestID, x.keepAlive, x.req.Method == http.MethodHead)
}

func (cc *clientConn) writeError(e *errorResponse, proto, requestID string, keepAlive, head bool) {
	w := cc.bw
	w.WriteString(proto)
	w.WriteByte(' ')
	w.WriteString(e.head)
	if requestID != "" {
		w.WriteString(RequestIDHeader + ": ")
		w.WriteString(requestID)
		w.WriteString("\r\n")
	}
	cc.writeDate()
	cc.writeConnection(proto, keepAlive)
	w.WriteString("\r\n")
	if !head {
		w.WriteString(e.body)
	}
}

func (cc *clientConn) writeDate() {
	cc.bw.WriteString("Date: ")
	cc.scratch = time.Now().UTC().AppendFormat(cc.scratch[:0], http.TimeFormat)
	cc.bw.Write(cc.scratch)
	cc.bw.WriteString("\r\n")
}

// writeConnection says whether the connection stays open, where the
// protocol's default would say otherwise.
func (cc *clientConn) writeConnection(proto string, keepAlive bool) {
	switch {
	case proto == "HTTP/1.1" && !keepAlive:
		cc.bw.WriteString("Connection: close\r\n")
	case proto == "HTTP/1.0" && keepAlive:
		cc.bw.WriteString("Connection: keep-alive\r\n")
	}
}

// remoteIP is the client's address without the port.
func remoteIP(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return host
}
