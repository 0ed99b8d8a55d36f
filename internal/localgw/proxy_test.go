package localgw

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/private-apis/private-apis/contract"
	"github.com/private-apis/private-apis/internal/testutil"
)

// The tests in this file drive the gateway's own connection loop over raw
// sockets, where the exact bytes on the wire matter. Every connection has a
// deadline, so a gateway that hangs fails a test instead of stalling it.

const connDeadline = 5 * time.Second

// countedBackend is a backend that counts the connections made to it.
type countedBackend struct {
	*httptest.Server
	conns  atomic.Int64 // connections accepted
	closed atomic.Int64 // connections closed
}

func startBackend(t *testing.T, h http.Handler) *countedBackend {
	t.Helper()
	be := &countedBackend{Server: httptest.NewUnstartedServer(h)}
	be.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			be.conns.Add(1)
		case http.StateClosed:
			be.closed.Add(1)
		}
	}
	be.Start()
	t.Cleanup(be.Close)
	return be
}

// extraService has a route the contract's services lack: HEAD, which
// HTTP APIs match only by a HEAD (or ANY) route.
var extraService = contract.Service{Name: "extra", Routes: []string{"HEAD /head"}}

// gatewayFor runs a gateway in front of be, as newFixture does, for
// contract.DogNames, contract.Todo and extraService.
func gatewayFor(t *testing.T, be *countedBackend, mutate func(*Config)) *fixture {
	t.Helper()
	u, err := url.Parse(be.URL)
	if err != nil {
		t.Fatal(err)
	}
	log := &testutil.SyncBuffer{}
	cfg := Config{
		Backends: []Backend{
			{Service: contract.DogNames, URL: u},
			{Service: contract.Todo, URL: u},
			{Service: extraService, URL: u},
		},
		Throttling: lenientThrottling,
		AccessLog:  log,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	gw, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{gw: gw, url: serve(t, gw), log: log, backend: be.Server}
}

// rawConn is a client connection to the gateway written byte by byte.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialGateway(t *testing.T, gwURL string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(gwURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.SetDeadline(time.Now().Add(connDeadline)); err != nil {
		t.Fatal(err)
	}
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (rc *rawConn) send(s string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		rc.t.Fatalf("writing %.60q: %v", s, err)
	}
}

// head reads one response's status line and headers, for a request with
// the given method; its body is left to read.
func (rc *rawConn) head(method string) *http.Response {
	rc.t.Helper()
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: method})
	if err != nil {
		rc.t.Fatalf("reading the response to %s: %v", method, err)
	}
	return resp
}

// response reads one whole response to a request with the given method.
func (rc *rawConn) response(method string) (*http.Response, string) {
	rc.t.Helper()
	resp := rc.head(method)
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		rc.t.Fatalf("reading the body of the response to %s (%q so far): %v", method, b, err)
	}
	return resp, string(b)
}

// expectClosed checks that the gateway closes the connection with nothing
// more to say.
func (rc *rawConn) expectClosed() {
	rc.t.Helper()
	b, err := io.ReadAll(rc.br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		rc.t.Fatalf("the gateway kept the connection open (read %q before the deadline)", b)
	}
	if len(b) > 0 {
		rc.t.Fatalf("unexpected bytes before the connection closed: %q", b)
	}
}

func get(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: gw.test\r\n\r\n" }

// recv waits a bounded time for what a backend handler reports.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(connDeadline):
		t.Fatal("the backend was not called")
		panic("unreachable")
	}
}

// releaser is a channel a blocked backend handler waits on, closed at most
// once by the test or by its cleanup.
type releaser struct {
	ch   chan struct{}
	once sync.Once
}

func newReleaser(t *testing.T) *releaser {
	r := &releaser{ch: make(chan struct{})}
	t.Cleanup(r.release)
	return r
}

func (r *releaser) release() { r.once.Do(func() { close(r.ch) }) }

// echoPath answers every request with "item <path>".
var echoPath = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, "item "+r.URL.Path)
})

func TestKeepAliveUsesOneBackendConnection(t *testing.T) {
	be := startBackend(t, echoPath)
	f := gatewayFor(t, be, nil)
	rc := dialGateway(t, f.url)
	for i := range 20 {
		path := fmt.Sprintf("/todo/%d", i)
		rc.send(get(path))
		resp, body := rc.response("GET")
		if resp.StatusCode != http.StatusOK || body != "item "+path || resp.Close {
			t.Fatalf("request %d: %d %q close=%v", i, resp.StatusCode, body, resp.Close)
		}
		if resp.ContentLength != int64(len(body)) {
			t.Errorf("request %d: Content-Length %d for a %d-byte body", i, resp.ContentLength, len(body))
		}
	}
	if n := be.conns.Load(); n != 1 {
		t.Errorf("20 requests on one client connection used %d backend connections, want 1", n)
	}
}

func TestPipelinedRequests(t *testing.T) {
	be := startBackend(t, echoPath)
	f := gatewayFor(t, be, nil)
	rc := dialGateway(t, f.url)
	rc.send(get("/todo/1") + get("/nope") + get("/todo/2"))
	for _, want := range []struct {
		status int
		body   string
	}{{200, "item /todo/1"}, {404, `{"message":"Not Found"}`}, {200, "item /todo/2"}} {
		resp, body := rc.response("GET")
		if resp.StatusCode != want.status || body != want.body {
			t.Errorf("%d %q, want %d %q", resp.StatusCode, body, want.status, want.body)
		}
	}
}

func TestRequestBodies(t *testing.T) {
	type seen struct {
		body          string
		contentLength int64
		te            []string
		trailer       http.Header
	}
	got := make(chan seen, 1)
	be := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got <- seen{string(b), r.ContentLength, r.TransferEncoding, r.Trailer}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "created")
	}))
	f := gatewayFor(t, be, nil)

	var large, largeChunks strings.Builder
	for i := range 25 {
		chunk := strings.Repeat(string(rune('a'+i)), 4000+i)
		large.WriteString(chunk)
		fmt.Fprintf(&largeChunks, "%x\r\n%s\r\n", len(chunk), chunk)
	}
	const post = "POST /todo HTTP/1.1\r\nHost: gw.test\r\n"
	for _, tt := range []struct {
		name, raw, body string
		contentLength   int64
	}{
		{"chunked", post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n", "hello, world", -1},
		{"chunked with trailer", post + "Transfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 5\r\n\r\n", "hello", -1},
		{"chunked large", post + "Transfer-Encoding: chunked\r\n\r\n" + largeChunks.String() + "0\r\n\r\n", large.String(), -1},
		{"content-length", post + "Content-Length: 12\r\n\r\nhello, world", "hello, world", 12},
		{"content-length large", post + fmt.Sprintf("Content-Length: %d\r\n\r\n", large.Len()) + large.String(), large.String(), int64(large.Len())},
		{"content-length 0", post + "Content-Length: 0\r\n\r\n", "", 0},
		{"no body headers", post + "\r\n", "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialGateway(t, f.url)
			rc.send(tt.raw)
			resp, body := rc.response("POST")
			if resp.StatusCode != http.StatusCreated || body != "created" {
				t.Fatalf("%d %q", resp.StatusCode, body)
			}
			s := recv(t, got)
			if s.body != tt.body {
				t.Errorf("backend got a %d-byte body %.40q, want %d bytes %.40q", len(s.body), s.body, len(tt.body), tt.body)
			}
			if s.contentLength != tt.contentLength {
				t.Errorf("backend saw ContentLength %d, want %d", s.contentLength, tt.contentLength)
			}
			if chunked := tt.contentLength < 0; chunked != (len(s.te) == 1 && s.te[0] == "chunked") {
				t.Errorf("backend saw Transfer-Encoding %q", s.te)
			}
			// The body's framing was consumed exactly: the connection
			// serves the next request.
			rc.send(get("/todo/next"))
			if resp, body := rc.response("GET"); resp.StatusCode != http.StatusCreated || body != "created" {
				t.Fatalf("next request: %d %q", resp.StatusCode, body)
			}
			if s := recv(t, got); s.body != "" || s.contentLength != 0 {
				t.Errorf("next request reached the backend as %+v", s)
			}
		})
	}
}

// streamingBackend writes "first;", flushes, waits for release, then
// writes "second" (no Content-Length: the response is chunked).
func streamingBackend(release *releaser) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first;")
		w.(http.Flusher).Flush()
		select {
		case <-release.ch:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "second")
	}
}

func TestStreamedResponseReachesClientAsItArrives(t *testing.T) {
	release := newReleaser(t)
	be := startBackend(t, streamingBackend(release))
	f := gatewayFor(t, be, nil)
	rc := dialGateway(t, f.url)
	rc.send(get("/dogs"))
	resp := rc.head("GET")
	if resp.StatusCode != http.StatusOK || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" || resp.ContentLength != -1 {
		t.Fatalf("%d Transfer-Encoding %q Content-Length %d, want 200 chunked", resp.StatusCode, resp.TransferEncoding, resp.ContentLength)
	}
	first := make([]byte, len("first;"))
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first;" {
		t.Fatalf("first part before the backend finished: %q, %v", first, err)
	}
	release.release()
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "second" {
		t.Fatalf("rest of the body: %q, %v", rest, err)
	}
	// The chunked body ended properly: the connection goes on.
	rc.send(get("/dogs"))
	if resp, body := rc.response("GET"); resp.StatusCode != http.StatusOK || body != "first;second" {
		t.Fatalf("next request: %d %q", resp.StatusCode, body)
	}
}

func TestHead(t *testing.T) {
	methods := make(chan string, 2)
	be := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods <- r.Method
		w.Header().Set("Content-Length", "30")
		_, _ = io.WriteString(w, `{"Name":"Rex","Gender":"male"}`)
	}))
	f := gatewayFor(t, be, nil)

	t.Run("GET-only route is 404", func(t *testing.T) {
		rc := dialGateway(t, f.url)
		rc.send("HEAD /dogs HTTP/1.1\r\nHost: gw.test\r\n\r\n")
		resp, body := rc.response("HEAD")
		if resp.StatusCode != http.StatusNotFound || body != "" || resp.Header.Get("Content-Length") != "23" || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%d %q %v", resp.StatusCode, body, resp.Header)
		}
		// Had the 404 carried a body, it would be read as the next status
		// line.
		rc.send(get("/dogs"))
		resp, body = rc.response("GET")
		if resp.StatusCode != http.StatusOK || body != `{"Name":"Rex","Gender":"male"}` {
			t.Fatalf("GET after HEAD: %d %q", resp.StatusCode, body)
		}
		if m := recv(t, methods); m != "GET" {
			t.Errorf("backend saw %s, want only the GET", m)
		}
	})

	t.Run("HEAD route is forwarded", func(t *testing.T) {
		rc := dialGateway(t, f.url)
		rc.send("HEAD /head HTTP/1.1\r\nHost: gw.test\r\n\r\n")
		resp, body := rc.response("HEAD")
		if resp.StatusCode != http.StatusOK || body != "" || resp.Header.Get("Content-Length") != "30" {
			t.Fatalf("%d %q %v", resp.StatusCode, body, resp.Header)
		}
		if m := recv(t, methods); m != "HEAD" {
			t.Errorf("backend saw %s, want HEAD", m)
		}
		rc.send(get("/dogs"))
		resp, body = rc.response("GET")
		if resp.StatusCode != http.StatusOK || body != `{"Name":"Rex","Gender":"male"}` {
			t.Fatalf("GET after HEAD: %d %q", resp.StatusCode, body)
		}
		recv(t, methods)
	})
}

func TestBodilessStatuses(t *testing.T) {
	be := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		default:
			if r.URL.Path == "/todo/304" {
				w.Header().Set("Etag", `"v1"`)
				w.WriteHeader(http.StatusNotModified)
				return
			}
			_, _ = io.WriteString(w, "item "+r.URL.Path)
		}
	}))
	f := gatewayFor(t, be, nil)
	for _, tt := range []struct {
		name, raw, method string
		status            int
	}{
		{"204", "DELETE /todo/1 HTTP/1.1\r\nHost: gw.test\r\n\r\n", "DELETE", http.StatusNoContent},
		{"304", "GET /todo/304 HTTP/1.1\r\nHost: gw.test\r\nIf-None-Match: \"v1\"\r\n\r\n", "GET", http.StatusNotModified},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialGateway(t, f.url)
			before := be.conns.Load()
			rc.send(tt.raw)
			resp, body := rc.response(tt.method)
			if resp.StatusCode != tt.status || body != "" || resp.Close {
				t.Fatalf("%d %q close=%v", resp.StatusCode, body, resp.Close)
			}
			if len(resp.TransferEncoding) != 0 {
				t.Errorf("Transfer-Encoding %q on a %d", resp.TransferEncoding, tt.status)
			}
			rc.send(get("/todo/2"))
			if resp, body := rc.response("GET"); resp.StatusCode != http.StatusOK || body != "item /todo/2" {
				t.Fatalf("next request: %d %q", resp.StatusCode, body)
			}
			if n := be.conns.Load() - before; n != 1 {
				t.Errorf("%d backend connections for the two requests, want 1", n)
			}
		})
	}
}

func TestHTTP10Client(t *testing.T) {
	release := newReleaser(t)
	stream := streamingBackend(release)
	be := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/dogs/males" {
			release.release()
			stream(w, r)
			return
		}
		echoPath(w, r)
	}))
	f := gatewayFor(t, be, nil)

	t.Run("closes after the response", func(t *testing.T) {
		rc := dialGateway(t, f.url)
		rc.send("GET /dogs HTTP/1.0\r\n\r\n")
		resp, body := rc.response("GET")
		if resp.Proto != "HTTP/1.0" || resp.StatusCode != http.StatusOK || body != "item /dogs" {
			t.Fatalf("%s %d %q", resp.Proto, resp.StatusCode, body)
		}
		if c := resp.Header.Get("Connection"); c != "" {
			t.Errorf("Connection: %q", c)
		}
		rc.expectClosed()
	})

	t.Run("keep-alive", func(t *testing.T) {
		rc := dialGateway(t, f.url)
		rc.send("GET /dogs HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		resp, body := rc.response("GET")
		if resp.Proto != "HTTP/1.0" || resp.StatusCode != http.StatusOK || body != "item /dogs" || resp.Header.Get("Connection") != "keep-alive" {
			t.Fatalf("%s %d %q %v", resp.Proto, resp.StatusCode, body, resp.Header)
		}
		rc.send("GET /dogs/females HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		resp, body = rc.response("GET")
		if resp.Proto != "HTTP/1.0" || resp.StatusCode != http.StatusOK || body != "item /dogs/females" || resp.Header.Get("Connection") != "keep-alive" {
			t.Fatalf("second request: %s %d %q %v", resp.Proto, resp.StatusCode, body, resp.Header)
		}
		// A 404 keeps the connection too.
		rc.send("GET /nope HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		resp, body = rc.response("GET")
		if resp.Proto != "HTTP/1.0" || resp.StatusCode != http.StatusNotFound || resp.Header.Get("Connection") != "keep-alive" {
			t.Fatalf("404: %s %d %q %v", resp.Proto, resp.StatusCode, body, resp.Header)
		}
		rc.send("GET /dogs HTTP/1.0\r\n\r\n")
		if resp, body := rc.response("GET"); resp.StatusCode != http.StatusOK || body != "item /dogs" {
			t.Fatalf("last request: %d %q", resp.StatusCode, body)
		}
		rc.expectClosed()
	})

	t.Run("body of unknown length", func(t *testing.T) {
		// HTTP/1.0 has no chunked encoding: the body ends with the
		// connection, even one the client asked to keep.
		rc := dialGateway(t, f.url)
		rc.send("GET /dogs/males HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		resp, body := rc.response("GET")
		if resp.Proto != "HTTP/1.0" || resp.StatusCode != http.StatusOK || body != "first;second" {
			t.Fatalf("%s %d %q", resp.Proto, resp.StatusCode, body)
		}
		if len(resp.TransferEncoding) != 0 || resp.Header.Get("Connection") == "keep-alive" {
			t.Errorf("Transfer-Encoding %q, Connection %q to an HTTP/1.0 client", resp.TransferEncoding, resp.Header.Get("Connection"))
		}
		rc.expectClosed()
	})
}

func TestConnectionClose(t *testing.T) {
	be := startBackend(t, echoPath)
	f := gatewayFor(t, be, nil)
	for _, path := range []string{"/dogs", "/nope"} {
		t.Run(path, func(t *testing.T) {
			rc := dialGateway(t, f.url)
			rc.send("GET " + path + " HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n")
			// http.ReadResponse sets Close from "Connection: close" and
			// removes the header.
			resp, _ := rc.response("GET")
			if !resp.Close {
				t.Fatalf("%d without Connection: close: %v", resp.StatusCode, resp.Header)
			}
			rc.expectClosed()
		})
	}
}

func TestExpectContinue(t *testing.T) {
	type seen struct{ expect, body string }
	got := make(chan seen, 1)
	be := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Header.Get("Expect"), string(b)}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "created")
	}))
	f := gatewayFor(t, be, nil)

	t.Run("forwarded", func(t *testing.T) {
		rc := dialGateway(t, f.url)
		rc.send("POST /todo HTTP/1.1\r\nHost: gw.test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		if resp, body := rc.response("POST"); resp.StatusCode != http.StatusContinue || body != "" {
			t.Fatalf("before the body: %d %q, want 100 Continue", resp.StatusCode, body)
		}
		rc.send("hello")
		resp, body := rc.response("POST")
		if resp.StatusCode != http.StatusCreated || body != "created" {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
		if s := recv(t, got); s.expect != "" || s.body != "hello" {
			t.Errorf("backend saw Expect %q body %q", s.expect, s.body)
		}
		rc.send(get("/todo"))
		if resp, body := rc.response("GET"); resp.StatusCode != http.StatusCreated || body != "created" {
			t.Fatalf("next request: %d %q", resp.StatusCode, body)
		}
		recv(t, got)
	})

	t.Run("unmatched route", func(t *testing.T) {
		// The body is never asked for, so the connection cannot go on.
		rc := dialGateway(t, f.url)
		rc.send("POST /nope HTTP/1.1\r\nHost: gw.test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		resp, body := rc.response("POST")
		if resp.StatusCode != http.StatusNotFound || body != `{"message":"Not Found"}` || !resp.Close {
			t.Fatalf("%d %q close=%v, want a 404 that closes", resp.StatusCode, body, resp.Close)
		}
		rc.expectClosed()
	})
}

func TestMalformedRequests(t *testing.T) {
	var calls atomic.Int64
	be := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	f := gatewayFor(t, be, nil)
	bigHeader := "GET /dogs HTTP/1.1\r\nHost: gw.test\r\nX-Big: " + strings.Repeat("a", 40<<10) + "\r\n\r\n"
	for _, tt := range []struct {
		name, raw string
		status    int
		message   string
	}{
		{"request line", "GARBAGE\r\n\r\n", 400, "Bad Request"},
		{"content-length", "POST /todo HTTP/1.1\r\nHost: gw.test\r\nContent-Length: x\r\n\r\n", 400, "Bad Request"},
		{"two content-lengths", "POST /todo HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, "Bad Request"},
		{"transfer-encoding", "POST /todo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "Not Implemented"},
		{"headers too large", bigHeader, 431, "Request Header Fields Too Large"},
		{"HTTP/2 request line", "GET /dogs HTTP/2.0\r\nHost: gw.test\r\n\r\n", 505, "HTTP Version Not Supported"},
		{"unknown expectation", "GET /dogs HTTP/1.1\r\nHost: gw.test\r\nExpect: magic\r\n\r\n", 417, "Expectation Failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialGateway(t, f.url)
			rc.send(tt.raw)
			resp, body := rc.response("GET")
			want := `{"message":"` + tt.message + `"}`
			if resp.StatusCode != tt.status || body != want || !resp.Close {
				t.Fatalf("%d %q close=%v, want %d %s and the connection closed", resp.StatusCode, body, resp.Close, tt.status, want)
			}
			rc.expectClosed()
		})
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the backend was called %d times for malformed requests", n)
	}
}

// TestRejectsWhatNetHTTPServerRejects covers requests http.ReadRequest
// parses but net/http's server (what the gateway served with before its
// own loop) answers 400 without calling a handler, as RFC 9112 says a
// server MUST: an HTTP/1.1 request without a Host or with an invalid one
// (section 3.2), whitespace between a field name and its colon (section
// 5.1). Such a request must not reach the backend at all: the gateway
// would write the bad header as it came, and a lenient backend could read
// "Content-Length : 5" as a body the gateway never framed.
func TestRejectsWhatNetHTTPServerRejects(t *testing.T) {
	be := startBackend(t, echoPath)
	f := gatewayFor(t, be, nil)
	for _, tt := range []struct{ name, raw string }{
		{"HTTP/1.1 without Host", "GET /dogs HTTP/1.1\r\n\r\n"},
		{"malformed Host", "GET /dogs HTTP/1.1\r\nHost: a b\r\n\r\n"},
		{"space before colon", "GET /dogs HTTP/1.1\r\nHost: gw.test\r\nContent-Length : 5\r\n\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := be.conns.Load()
			rc := dialGateway(t, f.url)
			rc.send(tt.raw)
			resp, body := rc.response("GET")
			if resp.StatusCode != http.StatusBadRequest || body != `{"message":"Bad Request"}` {
				t.Errorf("%d %q, want the gateway's 400", resp.StatusCode, body)
			}
			if n := be.conns.Load() - before; n != 0 {
				t.Errorf("the request was forwarded to the backend")
			}
		})
	}
}

func TestHopByHopHeaders(t *testing.T) {
	type seen struct {
		host   string
		header http.Header
	}
	got := make(chan seen, 1)
	be := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Host, r.Header.Clone()}
		h := w.Header()
		switch r.URL.Path {
		case "/dogs/males":
			h.Set("Connection", "close, X-Backend-Secret")
		default:
			h.Set("Connection", "X-Backend-Secret")
		}
		h.Set("X-Backend-Secret", "s")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("X-Backend-Kept", "yes")
		h.Set(RequestIDHeader, "backend-id")
		_, _ = io.WriteString(w, "ok")
	}))
	f := gatewayFor(t, be, nil)
	beAddr := strings.TrimPrefix(be.URL, "http://")

	for _, tt := range []struct{ name, path, connection string }{
		{"connection names", "/dogs", "X-Secret, Keep-Alive, Upgrade"},
		{"connection close names", "/dogs/males", "close, X-Secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialGateway(t, f.url)
			rc.send("GET " + tt.path + " HTTP/1.1\r\n" +
				"Host: api.example.test\r\n" +
				"Connection: " + tt.connection + "\r\n" +
				"X-Secret: 1\r\n" +
				"Keep-Alive: timeout=5\r\n" +
				"Upgrade: websocket\r\n" +
				"Proxy-Authorization: Basic YTpi\r\n" +
				"Proxy-Connection: keep-alive\r\n" +
				"Te: trailers\r\n" +
				"X-Forwarded-For: 203.0.113.7\r\n" +
				"X-Forwarded-Proto: https\r\n" +
				"X-Forwarded-Host: evil.example\r\n" +
				"X-Kept: yes\r\n\r\n")
			resp, body := rc.response("GET")
			if resp.StatusCode != http.StatusOK || body != "ok" {
				t.Fatalf("%d %q", resp.StatusCode, body)
			}
			s := recv(t, got)
			for _, k := range []string{"Connection", "X-Secret", "Keep-Alive", "Upgrade", "Proxy-Authorization", "Proxy-Connection", "Te"} {
				if v, ok := s.header[k]; ok {
					t.Errorf("backend saw %s: %q", k, v)
				}
			}
			for k, want := range map[string]string{
				"X-Forwarded-For":   "203.0.113.7, 127.0.0.1",
				"X-Forwarded-Proto": "http",
				"X-Forwarded-Host":  "api.example.test",
				"X-Kept":            "yes",
			} {
				if v := s.header.Values(k); len(v) != 1 || v[0] != want {
					t.Errorf("backend saw %s: %q, want %q", k, v, want)
				}
			}
			if s.host != beAddr {
				t.Errorf("backend saw Host %q, want its own address %q", s.host, beAddr)
			}

			for _, k := range []string{"X-Backend-Secret", "Keep-Alive"} {
				if v, ok := resp.Header[k]; ok {
					t.Errorf("client got the backend's hop-by-hop %s: %q", k, v)
				}
			}
			if resp.Header.Get("X-Backend-Kept") != "yes" {
				t.Errorf("client did not get X-Backend-Kept: %v", resp.Header)
			}
			if ids := resp.Header.Values(RequestIDHeader); len(ids) != 1 || ids[0] == "backend-id" || ids[0] == "" {
				t.Errorf("client got %s %q, want exactly the gateway's", RequestIDHeader, ids)
			}
		})
	}
}

func TestStaleBackendConnection(t *testing.T) {
	var gets, posts atomic.Int64
	be := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			_, _ = io.ReadAll(r.Body)
			posts.Add(1)
			if r.Header.Get("X-Drop") != "" {
				// Acted on, then gone without an answer.
				if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
					_ = c.Close()
				}
				return
			}
			w.WriteHeader(http.StatusCreated)
			return
		}
		gets.Add(1)
		_, _ = io.WriteString(w, "item "+r.URL.Path)
	}))
	f := gatewayFor(t, be, nil)
	rc := dialGateway(t, f.url)
	getOK := func(step string) {
		t.Helper()
		rc.send(get("/todo"))
		if resp, body := rc.response("GET"); resp.StatusCode != http.StatusOK || body != "item /todo" {
			t.Fatalf("%s: %d %q", step, resp.StatusCode, body)
		}
	}

	getOK("first GET")
	be.CloseClientConnections()
	getOK("GET on a backend connection the backend closed")
	if n := gets.Load(); n != 2 {
		t.Errorf("backend saw %d GETs, want 2 (one per client request)", n)
	}
	if n := be.conns.Load(); n != 2 {
		t.Errorf("%d backend connections, want 2", n)
	}

	be.CloseClientConnections()
	rc.send("POST /todo HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 5\r\n\r\nhello")
	resp, body := rc.response("POST")
	switch resp.StatusCode {
	case http.StatusServiceUnavailable:
		if body != `{"message":"Service Unavailable"}` {
			t.Errorf("503 body %q", body)
		}
		if n := posts.Load(); n != 0 {
			t.Errorf("backend saw the POST %d times, yet the client got a 503", n)
		}
	case http.StatusCreated:
		if n := posts.Load(); n != 1 {
			t.Errorf("backend saw the POST %d times, want 1", n)
		}
	default:
		t.Errorf("POST on a closed backend connection: %d %q, want 503 (not retried) or 201", resp.StatusCode, body)
	}
	getOK("GET after the POST")

	// A POST the backend received on a kept-alive connection and then
	// dropped without answering looks like a stale connection to the
	// gateway; sending it again would act on it twice. Without a body too:
	// only reads are sent again.
	for _, tt := range []struct{ name, raw string }{
		{"POST", "POST /todo HTTP/1.1\r\nHost: gw.test\r\nX-Drop: 1\r\nContent-Length: 5\r\n\r\nhello"},
		{"bodyless POST", "POST /todo HTTP/1.1\r\nHost: gw.test\r\nX-Drop: 1\r\nContent-Length: 0\r\n\r\n"},
	} {
		before := posts.Load()
		rc.send(tt.raw)
		if resp, body := rc.response("POST"); resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s the backend dropped: %d %q, want 503", tt.name, resp.StatusCode, body)
		}
		if n := posts.Load() - before; n != 1 {
			t.Errorf("backend saw the dropped %s %d times, want 1 (not retried)", tt.name, n)
		}
		getOK("GET after the dropped " + tt.name)
	}
}

func TestCloseIdleConnections(t *testing.T) {
	be := startBackend(t, echoPath)
	f := gatewayFor(t, be, nil)
	rc := dialGateway(t, f.url)
	step := func(wantConns int64) {
		t.Helper()
		rc.send(get("/dogs"))
		if resp, body := rc.response("GET"); resp.StatusCode != http.StatusOK || body != "item /dogs" {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
		if n := be.conns.Load(); n != wantConns {
			t.Fatalf("%d backend connections, want %d", n, wantConns)
		}
	}
	step(1)
	step(1)
	f.gw.CloseIdleConnections()
	step(2)
	step(2)
	// The connection given up is closed, not leaked.
	deadline := time.Now().Add(connDeadline)
	for be.closed.Load() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d backend connections closed, want 1", be.closed.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// blockingBackend answers /todo/slow once released (or when the gateway
// gives up), and everything else at once.
func blockingBackend(entered chan<- struct{}, release *releaser) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/todo/slow" {
			entered <- struct{}{}
			select {
			case <-release.ch:
			case <-r.Context().Done():
				return
			}
		}
		_, _ = io.WriteString(w, "item "+r.URL.Path)
	}
}

func TestShutdownWaitsForInFlightRequest(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := newReleaser(t)
	be := startBackend(t, blockingBackend(entered, release))
	f := gatewayFor(t, be, nil)

	idle := dialGateway(t, f.url)
	idle.send(get("/todo/1"))
	if resp, body := idle.response("GET"); resp.StatusCode != http.StatusOK || body != "item /todo/1" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	busy := dialGateway(t, f.url)
	busy.send(get("/todo/slow"))
	recv(t, entered)

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), connDeadline)
		defer cancel()
		done <- f.gw.Shutdown(ctx)
	}()
	// The idle connection is closed while the other request is still in
	// flight.
	idle.expectClosed()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	if c, err := net.Dial("tcp", strings.TrimPrefix(f.url, "http://")); err == nil {
		_ = c.Close()
		t.Error("the gateway still accepts connections after Shutdown")
	}

	release.release()
	resp, body := busy.response("GET")
	if resp.StatusCode != http.StatusOK || body != "item /todo/slow" {
		t.Fatalf("in-flight request: %d %q", resp.StatusCode, body)
	}
	if !resp.Close {
		t.Errorf("in-flight request's response during Shutdown lacks Connection: close: %v", resp.Header)
	}
	busy.expectClosed()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(connDeadline):
		t.Fatal("Shutdown did not return after the last request finished")
	}
	// serve's cleanup checks that Serve returned ErrClosed.
}

// A connection accepted just before Shutdown may be about to send its
// first request: it is served, not cut off.
func TestShutdownServesNewConnection(t *testing.T) {
	be := startBackend(t, echoPath)
	f := gatewayFor(t, be, nil)
	fresh := dialGateway(t, f.url)
	// Wait until the gateway has taken the connection on.
	for deadline := time.Now().Add(connDeadline); ; {
		f.gw.mu.Lock()
		n := len(f.gw.clients)
		f.gw.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the gateway did not accept the connection")
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), connDeadline)
		defer cancel()
		done <- f.gw.Shutdown(ctx)
	}()
	time.Sleep(50 * time.Millisecond) // Shutdown has looked at it a few times
	fresh.send(get("/todo/1"))
	resp, body := fresh.response("GET")
	if resp.StatusCode != http.StatusOK || body != "item /todo/1" || !resp.Close {
		t.Fatalf("%d %q close=%v, want 200 and Connection: close", resp.StatusCode, body, resp.Close)
	}
	fresh.expectClosed()
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestShutdownExpiredContext(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := newReleaser(t)
	be := startBackend(t, blockingBackend(entered, release))
	f := gatewayFor(t, be, nil)

	busy := dialGateway(t, f.url)
	busy.send(get("/todo/slow"))
	recv(t, entered)

	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	start := time.Now()
	err := f.gw.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown with an expired context: %v, want an error wrapping context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Shutdown with an expired context took %s", d)
	}
	// The stuck request was cut off: no response, the connection closed.
	if resp, err := http.ReadResponse(busy.br, &http.Request{Method: "GET"}); err == nil {
		t.Fatalf("the cut-off request got a %d", resp.StatusCode)
	} else {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the cut-off request's connection stayed open: %v", err)
		}
	}
}

func TestIntegrationTimeoutMidBody(t *testing.T) {
	release := newReleaser(t)
	be := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "0123456789")
		w.(http.Flusher).Flush()
		select {
		case <-release.ch:
		case <-r.Context().Done():
		}
	}))
	f := gatewayFor(t, be, func(c *Config) { c.IntegrationTimeout = 200 * time.Millisecond })

	rc := dialGateway(t, f.url)
	start := time.Now()
	rc.send(get("/dogs"))
	resp := rc.head("GET")
	if resp.StatusCode != http.StatusOK || resp.ContentLength != 100 {
		t.Fatalf("%d Content-Length %d", resp.StatusCode, resp.ContentLength)
	}
	b, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("body %q, %v; want it cut short by the connection closing", b, err)
	}
	if len(b) >= 100 {
		t.Fatalf("got the whole body %q", b)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s with a 200ms integration timeout", d)
	}
	rc.expectClosed()

	f.gw.log.flush()
	lines := logLines(t, f.log)
	if len(lines) == 0 {
		t.Fatal("no access log line")
	}
	last := lines[len(lines)-1]
	if last["integrationError"] == "-" || last["integrationError"] == nil {
		t.Errorf("access log has no integrationError for a body cut off by the timeout: %v", last)
	}
}

// A client whose large body gets an early answer (the gateway's own 404,
// a backend's 413 before it read the body) receives that answer, not a
// reset or a 503.
func TestEarlyAnswerToLargeBody(t *testing.T) {
	be := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// What the todo service does: refuse a body over 64 KiB.
		if _, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10)); err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	f := gatewayFor(t, be, nil)
	body := strings.Repeat("x", 4<<20)
	client := &http.Client{Timeout: connDeadline}
	for _, tt := range []struct {
		path   string
		status int
	}{{"/nope", http.StatusNotFound}, {"/todo", http.StatusRequestEntityTooLarge}} {
		for i := range 5 {
			resp, err := client.Post(f.url+tt.path, "text/plain", strings.NewReader(body))
			if err != nil {
				t.Fatalf("POST %s #%d: %v", tt.path, i, err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("POST %s #%d: %d, want %d", tt.path, i, resp.StatusCode, tt.status)
			}
		}
	}
}

// Serve closes its listener whenever it returns, even when the gateway was
// closed before Serve started.
func TestServeAfterCloseClosesListener(t *testing.T) {
	gw, err := New(Config{
		Backends:   []Backend{{Service: contract.DogNames, URL: &url.URL{Scheme: "http", Host: "127.0.0.1:1"}}},
		Throttling: lenientThrottling,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.Close(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.Serve(ln); !errors.Is(err, ErrClosed) {
		t.Fatalf("Serve after Close: %v, want ErrClosed", err)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		_ = c.Close()
		t.Fatal("the listener still accepts after Serve returned")
	}
}
