package localgw

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"time"

	"github.com/private-apis/private-apis/contract"
)

// upstreamIdleTimeout is shorter than the services' 120 s idle timeout, so
// the gateway drops an idle backend connection before the service can, and
// never sends a request on a connection the service is closing.
const upstreamIdleTimeout = 90 * time.Second

// upstream is a kept-alive connection to one backend, pinned to a client
// connection.
type upstream struct {
	c          net.Conn
	in         countingReader // under br: tells whether the backend answered at all
	br         *bufio.Reader
	bw         *bufio.Writer
	generation uint64
	lastUsed   time.Time
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// errRecorder remembers a reader's error, so a failed copy can be blamed
// on the right side: the client's request body or the backend's response.
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// upstream returns the client connection's connection to backend b,
// reusing the kept-alive one when it is recent and of the current
// generation, and whether it was reused.
func (cc *clientConn) upstream(b *backend, now, deadline time.Time) (*upstream, bool, error) {
	g := cc.g
	gen := g.generation.Load()
	if up := cc.upstreams[b.index]; up != nil {
		if up.generation == gen && now.Sub(up.lastUsed) < upstreamIdleTimeout {
			return up, true, nil
		}
		cc.dropUpstream(b)
	}
	// abort cancels cc.ctx, so Close does not wait out a dial.
	ctx, cancel := context.WithDeadline(cc.ctx, deadline)
	c, err := g.dialer.DialContext(ctx, "tcp", b.addr)
	cancel()
	if err != nil {
		return nil, false, err
	}
	up := &upstream{c: c, generation: gen}
	up.in.r = c
	up.br = bufio.NewReaderSize(&up.in, upstreamBufferSize)
	up.bw = bufio.NewWriterSize(c, 8<<10)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.aborted {
		_ = c.Close()
		return nil, false, net.ErrClosed
	}
	cc.upstreams[b.index] = up
	return up, false, nil
}

func (cc *clientConn) dropUpstream(b *backend) {
	cc.mu.Lock()
	up := cc.upstreams[b.index]
	cc.upstreams[b.index] = nil
	cc.mu.Unlock()
	if up != nil {
		_ = up.c.Close() // it is being discarded as unusable
	}
}

// forward is the integration: it sends the request to the route's backend
// and relays the answer, or answers 503/504 as API Gateway does.
func (cc *clientConn) forward(x *exchange, r *Route) {
	g := cc.g
	b := r.backend
	now := time.Now()
	// The integration timeout covers the whole exchange, dial included.
	deadline := now.Add(g.timeout)
	for attempt := 1; ; attempt++ {
		up, reused, err := cc.upstream(b, now, deadline)
		if err == nil {
			answered := up.in.n
			var resp *http.Response
			resp, err = cc.roundTrip(x, up, b, deadline)
			if err == nil {
				x.e.integrationLatency = g.now().Sub(x.e.start)
				cc.relayResponse(x, resp, up, b, now)
				cc.finishSending(x, b)
				return
			}
			cc.dropUpstream(b)
			// A kept-alive connection the backend has since closed fails
			// before any answer. A read without a body is sent again, once,
			// on a new connection, as net/http's transport does; anything
			// else may have been acted on, so it is not.
			if reused && attempt == 1 && up.in.n == answered && replayable(x.req) && !isTimeout(err) {
				continue
			}
		}
		x.e.integrationError = err.Error()
		x.e.integrationLatency = g.now().Sub(x.e.start)
		if x.clientErr {
			x.keepAlive = false
			cc.answer(x, &badRequest)
			return
		}
		cc.answer(x, integrationFailure(err))
		return
	}
}

// replayable is net/http's transport's rule for sending a request again.
func replayable(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return req.Body == http.NoBody
	}
	return false
}

// roundTrip sends the request on up and reads the response headers, by
// the deadline. A request with a body is sent from another goroutine while
// the response is awaited, as net/http's transport does, because a backend
// may answer before it has read the whole body (a 413 for a body over its
// limit) and stop reading; finishSending ends that goroutine.
func (cc *clientConn) roundTrip(x *exchange, up *upstream, b *backend, deadline time.Time) (*http.Response, error) {
	if err := up.c.SetDeadline(deadline); err != nil {
		return nil, err
	}
	if x.req.Body == http.NoBody {
		if err := cc.writeRequest(x, up, b); err != nil {
			return nil, err
		}
		return cc.readResponse(x, up, b)
	}
	if x.expectContinue && !x.continueSent {
		// Here rather than in the sending goroutine, which must not touch
		// the client's writer.
		x.continueSent = true
		cc.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		if err := cc.bw.Flush(); err != nil {
			x.clientErr = true
			return nil, fmt.Errorf("asking the client for its body: %w", err)
		}
	}
	x.sent = make(chan error, 1)
	go func() { x.sent <- cc.writeRequest(x, up, b) }()
	resp, err := cc.readResponse(x, up, b)
	if err != nil {
		cc.stopSending(x, b)
		if x.clientErr {
			return nil, x.sendErr
		}
		return nil, err
	}
	return resp, nil
}

// sending reports whether the request is still being sent, without
// waiting; once it is not, x.sendErr is how sending ended.
func (x *exchange) sending() bool {
	if x.sent == nil {
		return false
	}
	select {
	case x.sendErr = <-x.sent:
		x.sent = nil
		return false
	default:
		return true
	}
}

// sendGrace is how long finishSending waits for a request's sending to
// end by itself.
const sendGrace = 50 * time.Millisecond

// stopSending cuts the request's sending short by closing the backend
// connection, where a blocked write then fails at once, and waits for it.
// What is left of the client's body is drained or the connection closed,
// as for any unread body.
func (cc *clientConn) stopSending(x *exchange, b *backend) {
	if !x.sending() {
		return
	}
	cc.dropUpstream(b)
	x.sendErr = <-x.sent
	x.sent = nil
}

// finishSending ends the sending of a request whose response has been
// relayed. A backend that answered before taking the whole request cannot
// take another on that connection.
func (cc *clientConn) finishSending(x *exchange, b *backend) {
	if x.sent != nil {
		// Usually the sender is returning from its last write as the
		// response arrives; a backend that stopped reading is not waited
		// for beyond sendGrace.
		grace := time.NewTimer(sendGrace)
		select {
		case x.sendErr = <-x.sent:
			x.sent = nil
		case <-grace.C:
			cc.stopSending(x, b)
		}
		grace.Stop()
	}
	if x.sendErr != nil {
		cc.dropUpstream(b)
		if x.clientErr {
			x.keepAlive = false
		}
	}
}

// readResponse reads the backend's response headers, skipping
// informational responses.
func (cc *clientConn) readResponse(x *exchange, up *upstream, b *backend) (*http.Response, error) {
	for {
		// http.ReadResponse drops a Connection header that says close,
		// and with it the other headers it names as hop-by-hop: read them
		// from the raw header block first.
		head, err := peekHead(up.br)
		if err != nil {
			return nil, err
		}
		x.respConnection = appendConnectionTokens(x.respConnection[:0], head)
		resp, err := http.ReadResponse(up.br, x.req)
		if err != nil {
			return nil, err
		}
		switch {
		case resp.StatusCode == http.StatusSwitchingProtocols:
			// The gateway never asks for an upgrade; HTTP APIs have none.
			return nil, fmt.Errorf("backend %s switched protocols unasked", b.name)
		case resp.StatusCode < 200:
			// Informational answers (103 Early Hints) precede the real
			// one, and the deployed API does not pass them on.
			continue
		}
		return resp, nil
	}
}

// writeRequest writes the client's request to the backend as the deployed
// integration sends it: hop-by-hop headers dropped, x-user-id removed,
// X-Private-Apis-Backend naming the backend, X-Forwarded-* appended.
func (cc *clientConn) writeRequest(x *exchange, up *upstream, b *backend) error {
	req := x.req
	w := up.bw
	w.WriteString(req.Method)
	w.WriteByte(' ')
	if strings.HasPrefix(req.RequestURI, "/") {
		w.WriteString(req.RequestURI)
	} else { // absolute-form: http://host/path
		w.WriteString(req.URL.RequestURI())
	}
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(b.addr)
	w.WriteString("\r\n")
	connTokens := req.Header["Connection"]
	for k, vv := range req.Header {
		if dropFromRequest(k) || namedIn(connTokens, k) {
			continue
		}
		for _, v := range vv {
			writeHeader(w, k, v)
		}
	}
	w.WriteString("X-Forwarded-For: ")
	for _, v := range req.Header["X-Forwarded-For"] {
		w.WriteString(sanitizeValue(v))
		w.WriteString(", ")
	}
	w.WriteString(cc.ip)
	w.WriteString("\r\n")
	if req.Host != "" {
		writeHeader(w, "X-Forwarded-Host", req.Host)
	}
	w.WriteString("X-Forwarded-Proto: http\r\n")
	writeHeader(w, contract.BackendHeader, b.name)
	switch {
	case req.ContentLength > 0:
		writeContentLength(w, req.ContentLength)
	case req.ContentLength < 0:
		w.WriteString("Transfer-Encoding: chunked\r\n")
	case req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch:
		w.WriteString("Content-Length: 0\r\n")
	}
	w.WriteString("\r\n")
	if req.Body != http.NoBody {
		if err := cc.sendBody(x, w); err != nil {
			return err
		}
	}
	return w.Flush()
}

// sendBody copies the request body to the backend.
func (cc *clientConn) sendBody(x *exchange, w *bufio.Writer) error {
	body := &errRecorder{r: x.req.Body}
	var err error
	if x.req.ContentLength > 0 {
		_, err = io.CopyN(w, body, x.req.ContentLength)
	} else {
		cw := httputil.NewChunkedWriter(w)
		if _, err = io.Copy(cw, body); err == nil {
			err = cw.Close()
			w.WriteString("\r\n") // no trailers
		}
	}
	if body.err != nil {
		x.clientErr = true
		return fmt.Errorf("reading the request body: %w", body.err)
	}
	if err == nil {
		x.bodyRead.Store(true)
	}
	return err
}

// relayResponse writes the backend's response to the client, keeping the
// backend connection when its response was read to the end.
func (cc *clientConn) relayResponse(x *exchange, resp *http.Response, up *upstream, b *backend, now time.Time) {
	if cc.g.closing.Load() || x.sending() && !x.bodyRead.Load() {
		// Unless the client's body has been read, what is left of it may
		// be more than is worth draining.
		x.keepAlive = false
	}
	bodyAllowed := x.req.Method != http.MethodHead &&
		resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotModified
	length := resp.ContentLength
	chunked := bodyAllowed && length < 0 && x.proto == "HTTP/1.1"
	if bodyAllowed && length < 0 && !chunked {
		x.keepAlive = false // an HTTP/1.0 client reads to the end of the connection
	}

	w := cc.bw
	w.WriteString(x.proto)
	w.WriteByte(' ')
	w.WriteString(resp.Status)
	w.WriteString("\r\n")
	connTokens := x.respConnection
	for k, vv := range resp.Header {
		// A bodiless response keeps the backend's Content-Length (HEAD's
		// answer states the GET's length); otherwise it is rewritten below
		// from the body actually relayed.
		if dropFromResponse(k) || namedIn(connTokens, k) || k == "Content-Length" && bodyAllowed {
			continue
		}
		for _, v := range vv {
			writeHeader(w, k, v)
		}
	}
	w.WriteString(RequestIDHeader + ": ")
	w.WriteString(x.e.requestID)
	w.WriteString("\r\n")
	if bodyAllowed && length >= 0 {
		writeContentLength(w, length)
	}
	if chunked {
		w.WriteString("Transfer-Encoding: chunked\r\n")
	}
	cc.writeConnection(x.proto, x.keepAlive)
	w.WriteString("\r\n")
	x.e.status = resp.StatusCode
	x.e.integrationStatus = resp.StatusCode

	reusable := !resp.Close
	if bodyAllowed {
		src := &errRecorder{r: resp.Body}
		var n int64
		var err error
		if length >= 0 {
			n, err = io.CopyN(w, src, length)
		} else {
			n, err = cc.stream(src, chunked)
		}
		x.e.responseLength = n
		if err != nil {
			// The client has a cut-off body and must not take it as whole.
			x.keepAlive = false
			reusable = false
			if src.err != nil {
				x.e.integrationError = "reading the response body: " + src.err.Error()
			}
		}
	}
	if reusable {
		up.lastUsed = now
	} else {
		cc.dropUpstream(b)
	}
}

// stream relays a body of unknown length as it arrives, flushing each
// piece, so server-sent events and long polls reach the client at once.
func (cc *clientConn) stream(src io.Reader, chunked bool) (int64, error) {
	if cc.copyBuf == nil {
		cc.copyBuf = make([]byte, 32<<10)
	}
	var dst io.Writer = cc.bw
	var cw io.WriteCloser
	if chunked {
		cw = httputil.NewChunkedWriter(cc.bw)
		dst = cw
	}
	var total int64
	for {
		n, rerr := src.Read(cc.copyBuf)
		if n > 0 {
			if _, err := dst.Write(cc.copyBuf[:n]); err != nil {
				return total, err
			}
			total += int64(n)
			if err := cc.bw.Flush(); err != nil {
				return total, err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return total, rerr
		}
	}
	if cw != nil {
		if err := cw.Close(); err != nil {
			return total, err
		}
		cc.bw.WriteString("\r\n") // no trailers
	}
	return total, nil
}

var (
	userHeaderKey    = http.CanonicalHeaderKey(contract.UserHeader)
	backendHeaderKey = http.CanonicalHeaderKey(contract.BackendHeader)
)

// dropFromRequest names the client headers the backend does not get:
// hop-by-hop headers, framing the gateway writes itself, the
// X-Forwarded-* it appends to, and the two headers the deployed
// integration removes or overwrites.
func dropFromRequest(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "Expect", "Host",
		"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", userHeaderKey, backendHeaderKey:
		return true
	}
	return false
}

// dropFromResponse names the backend headers the client does not get:
// hop-by-hop headers and the request ID, which is the gateway's.
func dropFromResponse(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade", RequestIDHeader:
		return true
	}
	return false
}

// namedIn reports whether a Connection header names header k as hop-by-hop.
func namedIn(connection []string, k string) bool {
	for _, v := range connection {
		for token := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(token), k) {
				return true
			}
		}
	}
	return false
}

// writeContentLength formats into its own array, not cc.scratch: writing
// a request may run beside relayResponse.
func writeContentLength(w *bufio.Writer, n int64) {
	var digits [20]byte
	w.WriteString("Content-Length: ")
	w.Write(strconv.AppendInt(digits[:0], n, 10))
	w.WriteString("\r\n")
}

func writeHeader(w *bufio.Writer, k, v string) {
	w.WriteString(k)
	w.WriteString(": ")
	w.WriteString(sanitizeValue(v))
	w.WriteString("\r\n")
}

// sanitizeValue keeps a header value on its line, as Request.Write does.
func sanitizeValue(v string) string {
	if strings.ContainsAny(v, "\r\n") {
		return strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
	}
	return v
}
