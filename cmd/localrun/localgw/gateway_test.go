package localgw

import (
	"bufio"
	"context"
	"encoding/json"
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

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/contract"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

var lenientThrottling = Throttling{RateLimit: 1000, BurstLimit: 1000, WriteRateLimit: 1000, WriteBurstLimit: 1000}

type fixture struct {
	gw  *Gateway
	url string
	log *fakeaws.SyncBuffer
	// conns counts the connections the gateway opened to the backend.
	conns *atomic.Int64
}

// newFixture runs a gateway in front of one backend that serves every
// service's routes.
func newFixture(t *testing.T, backend http.Handler, mutate func(*Config)) *fixture {
	t.Helper()
	var conns atomic.Int64
	be := httptest.NewUnstartedServer(backend)
	be.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	be.Start()
	t.Cleanup(be.Close)
	f := gatewayFor(t, be.URL, mutate)
	f.conns = &conns
	return f
}

// gatewayFor runs a gateway whose services all live at backendURL.
func gatewayFor(t testing.TB, backendURL string, mutate func(*Config)) *fixture {
	t.Helper()
	u, err := url.Parse(backendURL)
	require.NoError(t, err)
	log := &fakeaws.SyncBuffer{}
	cfg := Config{Throttling: lenientThrottling, AccessLog: log}
	for _, s := range contract.Services {
		cfg.Backends = append(cfg.Backends, Backend{Service: s, URL: u})
	}
	if mutate != nil {
		mutate(&cfg)
	}
	gw, err := New(cfg)
	require.NoError(t, err)
	return &fixture{gw: gw, url: serve(t, gw), log: log}
}

// serve runs gw on a loopback port until the test ends, and returns its
// URL.
func serve(t testing.TB, gw *Gateway) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ln) }()
	t.Cleanup(func() {
		require.NoError(t, gw.Close())
		require.ErrorIs(t, <-served, ErrClosed)
	})
	return "http://" + ln.Addr().String()
}

func do(t *testing.T, method, u string, body io.Reader, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if h := header.Get("Host"); h != "" {
		req.Host = h
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// logLines parses the access log lines written so far.
func logLines(t *testing.T, b *fakeaws.SyncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

// albBadGateway is the page the consumer's load balancer answers with when
// a target refuses the connection or answers malformed HTTP.
const albBadGateway = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"

func TestProxyForwardsRequest(t *testing.T) {
	got := make(chan *http.Request, 1)
	bodies := make(chan string, 1)
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- string(b)
		w.Header().Set("X-From-Backend", "yes")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"1"}`)
	}), nil)

	resp, body := do(t, "POST", f.url+"/todo?x=1&y=2", strings.NewReader("data=hello"), http.Header{
		"X-User-Id":              {"mallory"},
		"X-Private-Apis-Backend": {"dognames"},
		"X-Custom":               {"kept"},
		"Content-Type":           {"application/x-www-form-urlencoded"},
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Equal(t, `{"id":"1"}`, body)
	require.Equal(t, "yes", resp.Header.Get("X-From-Backend"))
	require.NotEmpty(t, resp.Header.Get(RequestIDHeader))
	require.Equal(t, "10", resp.Header.Get("Content-Length"), "a buffered response has a length")

	r := <-got
	require.Equal(t, "POST /todo x=1&y=2 data=hello kept", strings.Join([]string{r.Method, r.URL.Path, r.URL.RawQuery, <-bodies, r.Header.Get("X-Custom")}, " "))
	require.Empty(t, r.Header.Values("X-User-Id"), "the gateway removes a client's x-user-id")
	require.Equal(t, "todo", r.Header.Get(apirules.BackendHeader), "overwritten, not the client's")
	require.Equal(t, "127.0.0.1", r.Header.Get("X-Forwarded-For"))

	_, _ = do(t, "GET", f.url+"/dogs/males", nil, nil)
	r = <-got
	<-bodies
	require.Equal(t, "dognames", r.Header.Get(apirules.BackendHeader))
}

func TestNotFound(t *testing.T) {
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("backend called for %s %s", r.Method, r.URL)
	}), nil)
	for _, tt := range []struct{ method, path string }{
		{"GET", "/nope"}, {"HEAD", "/dogs"}, {"GET", "/dogs/"}, {"PUT", "/todo/1"}, {"GET", "/healthz"},
	} {
		resp, body := do(t, tt.method, f.url+tt.path, nil, nil)
		want := `{"message":"Not Found"}`
		if tt.method == "HEAD" {
			want = ""
		}
		require.Equal(t, http.StatusNotFound, resp.StatusCode, "%s %s", tt.method, tt.path)
		require.Equal(t, want, body)
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	}
}

// TestForeignHostRefused: a page on another site whose name resolves to
// 127.0.0.1 (DNS rebinding) sends its own name as Host; only the gateway's
// own address is served.
func TestForeignHostRefused(t *testing.T) {
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), nil)
	port := f.url[strings.LastIndex(f.url, ":")+1:]
	for host, want := range map[string]int{
		"127.0.0.1:" + port:    http.StatusOK,
		"localhost:" + port:    http.StatusOK,
		"LOCALHOST:" + port:    http.StatusOK,
		"evil.example:" + port: http.StatusForbidden,
		"evil.example":         http.StatusForbidden,
		"127.0.0.1:1":          http.StatusForbidden,
		"10.0.0.1:" + port:     http.StatusForbidden,
	} {
		resp, body := do(t, "GET", f.url+"/dogs", nil, http.Header{"Host": {host}})
		require.Equal(t, want, resp.StatusCode, host)
		if want == http.StatusForbidden {
			require.Equal(t, `{"message":"Forbidden"}`, body)
		}
	}
}

// TestBackendDown: a backend that refuses connections gets the consumer
// load balancer's 502 page, passed through by API Gateway.
func TestBackendDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // connections are now refused
	f := gatewayFor(t, "http://"+addr, nil)
	resp, body := do(t, "GET", f.url+"/dogs", nil, nil)
	require.Equal(t, http.StatusBadGateway, resp.StatusCode)
	require.Equal(t, albBadGateway, body)
	require.Equal(t, "text/html", resp.Header.Get("Content-Type"))

	require.NoError(t, f.gw.Close())
	lines := logLines(t, f.log)
	require.Len(t, lines, 1)
	require.Equal(t, "502", lines[0]["status"])
	require.Equal(t, "-", lines[0]["integrationStatus"])
	require.Contains(t, lines[0]["integrationError"], "refused")
}

// TestIntegrationTimeout: a backend that doesn't answer, or stalls
// mid-body, within the integration timeout gets API Gateway's 503 at the
// timeout, never half a response.
func TestIntegrationTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/dogs/males" {
			_, _ = io.WriteString(w, `{"Name":`)
			http.NewResponseController(w).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), func(c *Config) { c.IntegrationTimeout = 200 * time.Millisecond })

	for _, path := range []string{"/dogs", "/dogs/males"} {
		start := time.Now()
		resp, body := do(t, "GET", f.url+path, nil, nil)
		took := time.Since(start)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, path)
		require.Equal(t, `{"message":"Service Unavailable"}`, body, path)
		require.GreaterOrEqual(t, took, 200*time.Millisecond, "%s: answered at the timeout", path)
		require.Less(t, took, 5*time.Second)
	}
}

// TestResponsesAreBuffered: API Gateway sends a response once it has all
// of it; a client sees nothing of a backend's partial output.
func TestResponsesAreBuffered(t *testing.T) {
	flushed, release := make(chan struct{}), make(chan struct{})
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[{"id":"1"},`)
		http.NewResponseController(w).Flush()
		close(flushed)
		<-release
		_, _ = io.WriteString(w, `{"id":"2"}]`)
	}), nil)

	type answer struct {
		resp *http.Response
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.Get(f.url + "/todo")
		answered <- answer{resp, err}
	}()
	<-flushed
	select {
	case a := <-answered:
		t.Fatalf("the client got an answer before the backend finished: %v %v", a.resp, a.err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	a := <-answered
	require.NoError(t, a.err)
	defer a.resp.Body.Close()
	body, err := io.ReadAll(a.resp.Body)
	require.NoError(t, err)
	require.Equal(t, `[{"id":"1"},{"id":"2"}]`, string(body))
	require.Equal(t, int64(len(body)), a.resp.ContentLength)
}

func TestPerRouteThrottling(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), func(c *Config) {
		c.Throttling = Throttling{RateLimit: 1, BurstLimit: 3, WriteRateLimit: 1, WriteBurstLimit: 2}
		c.Now = clock
	})
	status := func(method, path string) int {
		resp, body := do(t, method, f.url+path, nil, nil)
		if resp.StatusCode == http.StatusTooManyRequests {
			require.Equal(t, `{"message":"Too Many Requests"}`, body)
		}
		return resp.StatusCode
	}
	sequence := func(method, path string, want ...int) {
		t.Helper()
		for i, w := range want {
			require.Equal(t, w, status(method, path), "%s %s #%d", method, path, i+1)
		}
	}
	// Each read route has a bucket of its own, at the stage's defaults.
	sequence("GET", "/dogs", 200, 200, 200, 429)
	sequence("GET", "/dogs/males", 200, 200, 200, 429)
	// /todo/{id} is one route, whatever the id.
	sequence("GET", "/todo/1", 200, 200)
	sequence("GET", "/todo/2", 200, 429)
	// A write route has its route setting's limits, and each request is
	// charged once.
	sequence("POST", "/todo", 200, 200, 429)
	sequence("DELETE", "/todo/1", 200, 200, 429)
	// Unmatched requests are 404, not throttled.
	sequence("GET", "/nope", 404, 404, 404, 404)

	advance(time.Second)
	sequence("GET", "/dogs", 200, 429)
	sequence("POST", "/todo", 200, 429)
}

// TestRouteThrottlingOverrides: a route with limits of its own
// (private-apis:routeThrottling) gets them, tighter or looser than its
// defaults, and every other route keeps the defaults.
func TestRouteThrottlingOverrides(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), func(c *Config) {
		c.Throttling = Throttling{RateLimit: 1, BurstLimit: 2, WriteRateLimit: 1, WriteBurstLimit: 2,
			Routes: map[string]apirules.RouteLimit{"POST /todo": {RateLimit: 1, BurstLimit: 1}, "GET /dogs": {RateLimit: 1, BurstLimit: 4}}}
		c.Now = func() time.Time { return now }
	})
	sequence := func(method, path string, want ...int) {
		t.Helper()
		for i, w := range want {
			resp, _ := do(t, method, f.url+path, nil, nil)
			require.Equal(t, w, resp.StatusCode, "%s %s #%d", method, path, i+1)
		}
	}
	sequence("POST", "/todo", 200, 429)
	sequence("DELETE", "/todo/1", 200, 200, 429)
	sequence("GET", "/dogs", 200, 200, 200, 200, 429)
	sequence("GET", "/dogs/males", 200, 200, 429)

	u, err := url.Parse("http://127.0.0.1:1")
	require.NoError(t, err)
	_, err = New(Config{Backends: []Backend{{Service: contract.Todo, URL: u}}, Throttling: Throttling{RateLimit: 1, BurstLimit: 1, WriteRateLimit: 1, WriteBurstLimit: 1,
		Routes: map[string]apirules.RouteLimit{"POST /todos": {RateLimit: 1, BurstLimit: 1}}}})
	require.ErrorContains(t, err, `routeThrottling names "POST /todos", which no backend serves`)
}

// TestEncodedSlashRoutedAsDeployed: API Gateway decodes the path before
// matching routes and passes the decoded path on, so a request is routed,
// throttled and served by the same path.
func TestEncodedSlashRoutedAsDeployed(t *testing.T) {
	paths := make(chan string, 4)
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths <- r.URL.Path + " " + r.URL.RawPath
	}), func(c *Config) {
		c.Throttling = Throttling{RateLimit: 1, BurstLimit: 1, WriteRateLimit: 1, WriteBurstLimit: 1}
	})

	resp, _ := do(t, "GET", f.url+"/dogs%2Fmales", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "/dogs/males ", <-paths, "the backend gets the path the route matched")
	resp, _ = do(t, "GET", f.url+"/dogs/males", nil, nil)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "one route, one bucket, however the path is spelled")

	require.NoError(t, f.gw.Close())
	require.Equal(t, "GET /dogs/males", logLines(t, f.log)[0]["routeKey"])
}

// TestMalformedQueryPassedOn: the query goes to the service as the client
// sent it, so a service can refuse what it can't parse.
func TestMalformedQueryPassedOn(t *testing.T) {
	queries := make(chan string, 1)
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { queries <- r.URL.RawQuery }), nil)
	resp, _ := do(t, "GET", f.url+"/todo?cursor=%%%garbage&limit=5", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "cursor=%%%garbage&limit=5", <-queries)
}

func TestRequestBodies(t *testing.T) {
	bodies := make(chan string, 1)
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- fmt.Sprintf("%d %q %s", r.ContentLength, r.TransferEncoding, b)
	}), nil)
	for _, tt := range []struct {
		name string
		body io.Reader
		want string
	}{
		{"content-length", strings.NewReader("data=hi"), `7 [] data=hi`},
		{"chunked from the client, a length to the backend", io.MultiReader(strings.NewReader("data="), strings.NewReader("chunked")), `12 [] data=chunked`},
		{"large", strings.NewReader(strings.Repeat("x", 4<<20)), fmt.Sprintf("%d [] %s", 4<<20, strings.Repeat("x", 4<<20))},
		{"none", nil, `0 [] `},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := do(t, "POST", f.url+"/todo", tt.body, nil)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, tt.want, <-bodies)
		})
	}
	t.Run("over the payload limit", func(t *testing.T) {
		resp, body := do(t, "POST", f.url+"/todo", strings.NewReader(strings.Repeat("x", maxPayloadBytes+1)), nil)
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		require.Equal(t, `{"message":"Request Entity Too Large"}`, body)
	})
}

// rawConn is a client connection to the gateway written byte by byte, for
// requests no well-behaved client sends.
type rawConn struct {
	t    *testing.T
	conn *net.TCPConn
	r    *bufio.Reader
}

func dialGateway(t *testing.T, gwURL string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(gwURL, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	return &rawConn{t: t, conn: c.(*net.TCPConn), r: bufio.NewReader(c)}
}

func (rc *rawConn) send(s string) {
	_, err := io.WriteString(rc.conn, s)
	require.NoError(rc.t, err)
}

func (rc *rawConn) response() (*http.Response, string) {
	resp, err := http.ReadResponse(rc.r, nil)
	require.NoError(rc.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(rc.t, err)
	return resp, string(b)
}

// TestBadRequestBodyAnsweredAtOnce: a body that breaks off or is malformed
// is answered 400 as soon as it is read, not at the integration timeout,
// and never reaches the backend.
func TestBadRequestBodyAnsweredAtOnce(t *testing.T) {
	var called atomic.Bool
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called.Store(true) }), nil)
	host := strings.TrimPrefix(f.url, "http://")
	for name, request := range map[string]string{
		"a malformed chunk size": "POST /todo HTTP/1.1\r\nHost: " + host + "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n",
		"a half-close mid-body":  "POST /todo HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 100\r\n\r\ndata=only part",
	} {
		t.Run(name, func(t *testing.T) {
			rc := dialGateway(t, f.url)
			rc.send(request)
			if strings.Contains(name, "half-close") {
				require.NoError(t, rc.conn.CloseWrite())
			}
			start := time.Now()
			resp, body := rc.response()
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
			require.Equal(t, `{"message":"Bad Request"}`, body)
			require.Less(t, time.Since(start), 2*time.Second, "not at the 29 s integration timeout")
		})
	}
	require.False(t, called.Load(), "the backend never saw a broken body")
}

// rawBackend answers every request on a connection with answer, read as
// raw bytes, so a test can send what net/http's server never would.
func rawBackend(t *testing.T, answer string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(r)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					if _, err := io.WriteString(c, answer); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestStrayBackendBytesNeverReachAClient: bytes a backend sends after its
// response stay on that backend connection, which is never reused, and
// never become the answer to the client's next request.
func TestStrayBackendBytesNeverReachAClient(t *testing.T) {
	be := rawBackend(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"+
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray")
	f := gatewayFor(t, be, nil)
	rc := dialGateway(t, f.url)
	host := strings.TrimPrefix(f.url, "http://")
	for i := range 3 {
		rc.send("GET /dogs HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
		resp, body := rc.response()
		require.Equal(t, http.StatusOK, resp.StatusCode, "request %d", i+1)
		require.Equal(t, "ok", body, "request %d on one client connection", i+1)
	}
}

// TestMalformedBackendResponse: a header whose name is not a token, or
// whose value holds control characters, makes the response malformed,
// which the consumer's load balancer answers with 502; nothing of it is
// relayed.
func TestMalformedBackendResponse(t *testing.T) {
	for name, header := range map[string]string{
		"a space in a name":    "Bad Header: x",
		"a colon-less name":    "Bad(Header): x",
		"a control in a value": "X-Bad: a\x01b",
		"a NUL in a value":     "X-Bad: a\x00b",
		"a non-ASCII name":     "X-Bäd: x",
	} {
		t.Run(name, func(t *testing.T) {
			f := gatewayFor(t, rawBackend(t, "HTTP/1.1 200 OK\r\n"+header+"\r\nContent-Length: 2\r\n\r\nok"), nil)
			resp, body := do(t, "GET", f.url+"/dogs", nil, nil)
			require.Equal(t, http.StatusBadGateway, resp.StatusCode)
			require.Equal(t, albBadGateway, body)
		})
	}
}

// TestEachBackendCallHasItsOwnConnection: a client's kept-alive requests
// each reach the backend on a new connection, so nothing a faulty backend
// leaves on one (see TestStrayBackendBytesNeverReachAClient) can become
// another request's answer.
func TestEachBackendCallHasItsOwnConnection(t *testing.T) {
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }), nil)
	client := &http.Client{}
	defer client.CloseIdleConnections()
	for range 20 {
		resp, err := client.Get(f.url + "/dogs")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	require.Equal(t, int64(20), f.conns.Load(), "one backend connection per request")
}

func TestHeadAndBodilessAnswers(t *testing.T) {
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/todo/empty":
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Content-Length", "30")
			if r.Method != http.MethodHead {
				_, _ = io.WriteString(w, strings.Repeat("x", 30))
			}
		}
	}), func(c *Config) {
		c.Backends[0].Service.Routes = append(append([]string(nil), c.Backends[0].Service.Routes...), "HEAD /dogs")
	})
	resp, body := do(t, "HEAD", f.url+"/dogs", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, body)
	require.Equal(t, int64(30), resp.ContentLength, "a HEAD answer keeps the backend's length")
	resp, body = do(t, "DELETE", f.url+"/todo/empty", nil, nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Empty(t, body)
}

func TestHopByHopHeadersStayOnTheirHop(t *testing.T) {
	seen := make(chan http.Header, 1)
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
	}), nil)
	_, _ = do(t, "GET", f.url+"/dogs", nil, http.Header{"Connection": {"X-Client-Hop"}, "X-Client-Hop": {"1"}})
	require.Empty(t, (<-seen).Get("X-Client-Hop"), "a header the client's Connection names stays on the client's hop")

	// A raw backend, since a Go server answering a request that asks to
	// close the connection replaces the handler's Connection header.
	f = gatewayFor(t, rawBackend(t, "HTTP/1.1 200 OK\r\nConnection: X-Backend-Hop\r\nX-Backend-Hop: 1\r\nContent-Length: 2\r\n\r\nok"), nil)
	resp, body := do(t, "GET", f.url+"/dogs", nil, nil)
	require.Equal(t, "ok", body)
	require.Empty(t, resp.Header.Get("X-Backend-Hop"), "a header the backend's Connection names stays on the backend's hop")
}

func TestShutdownWaitsForInFlightRequest(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "done")
	}), nil)
	answered := make(chan string, 1)
	go func() {
		resp, err := http.Get(f.url + "/dogs")
		if err != nil {
			answered <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answered <- string(b)
	}()
	<-started
	shut := make(chan error, 1)
	go func() { shut <- f.gw.Shutdown(context.Background()) }()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned with a request in flight: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	require.Equal(t, "done", <-answered)
	require.NoError(t, <-shut)
}

func TestAccessLog(t *testing.T) {
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"Name":"Rex","Gender":"male"}`)
	}), nil)
	_, _ = do(t, "GET", f.url+"/dogs?x=1", nil, http.Header{"User-Agent": {`test "agent" \`}})
	_, _ = do(t, "GET", f.url+"/nope", nil, nil)
	require.NoError(t, f.gw.Close())
	lines := logLines(t, f.log)
	require.Len(t, lines, 2)
	for _, l := range lines {
		require.Len(t, l, len(apirules.AccessLogFields), "exactly the deployed fields")
		for field := range apirules.AccessLogFields {
			require.IsType(t, "", l[field], field)
		}
		_, err := time.Parse(requestTimeLayout, l["requestTime"].(string))
		require.NoError(t, err)
	}
	ok, miss := lines[0], lines[1]
	for k, want := range map[string]string{
		"httpMethod": "GET", "path": "/dogs", "routeKey": "GET /dogs", "status": "200",
		"integrationStatus": "200", "integrationError": "-", "authorizerError": "-",
		"protocol": "HTTP/1.1", "ip": "127.0.0.1", "responseLength": "30", "userAgent": `test "agent" \`,
	} {
		require.Equal(t, want, ok[k], "matched request: %s", k)
	}
	for k, want := range map[string]string{
		"routeKey": "-", "status": "404", "integrationStatus": "-", "integrationLatency": "-", "responseLength": "23",
	} {
		require.Equal(t, want, miss[k], "unmatched request: %s", k)
	}
	require.NotEqual(t, ok["requestId"], miss["requestId"])
}

func TestNewRejects(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:1")
	tests := map[string]struct {
		cfg  Config
		want string
	}{
		"no throttling": {Config{Backends: []Backend{{Service: contract.DogNames, URL: u}}}, "throttling: routeRateLimit = 0"},
		"no URL":        {Config{Backends: []Backend{{Service: contract.DogNames}}, Throttling: lenientThrottling}, "must be http://host:port"},
		"twice":         {Config{Backends: []Backend{{Service: contract.DogNames, URL: u}, {Service: contract.DogNames, URL: u}}, Throttling: lenientThrottling}, "listed twice"},
		"no backends":   {Config{Throttling: lenientThrottling}, "no routes"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := New(tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}
