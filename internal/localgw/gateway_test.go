package localgw

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/private-apis/private-apis/contract"
	"github.com/private-apis/private-apis/internal/testutil"
)

// logLines parses the JSON access log lines written so far.
func logLines(t *testing.T, b *testutil.SyncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("access log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

var lenientThrottling = Throttling{RateLimit: 1000, BurstLimit: 1000, WriteRateLimit: 1000, WriteBurstLimit: 1000}

type fixture struct {
	gw      *Gateway
	url     string
	log     *testutil.SyncBuffer
	backend *httptest.Server
}

// newFixture runs a gateway in front of one backend that serves every
// route (gatewayFor's services).
func newFixture(t *testing.T, backend http.Handler, mutate func(*Config)) *fixture {
	t.Helper()
	return gatewayFor(t, startBackend(t, backend), mutate)
}

// serve runs gw on a loopback port until the test ends, and returns its
// URL.
func serve(t testing.TB, gw *Gateway) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ln) }()
	t.Cleanup(func() {
		if err := gw.Close(); err != nil {
			t.Error(err)
		}
		if err := <-served; !errors.Is(err, ErrClosed) {
			t.Errorf("Serve returned %v, want ErrClosed", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func do(t *testing.T, method, u string, body io.Reader, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestProxyForwardsRequest(t *testing.T) {
	type seen struct {
		method, path, query, body, backend, host string
		user                                     []string
		custom                                   string
	}
	got := make(chan seen, 1)
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.Path, r.URL.RawQuery, string(b), r.Header.Get(contract.BackendHeader), r.Host, r.Header.Values("X-User-Id"), r.Header.Get("X-Custom")}
		w.Header().Set("X-From-Backend", "yes")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"1"}`)
	}), nil)

	resp, body := do(t, "POST", f.url+"/todo?x=1&y=2", strings.NewReader("data=hello"), http.Header{
		"X-User-Id":              {"mallory"},
		"x-user-id":              {"mallory-again"},
		"X-Private-Apis-Backend": {"dognames"},
		"X-Custom":               {"kept"},
		"Content-Type":           {"application/x-www-form-urlencoded"},
	})
	if resp.StatusCode != http.StatusCreated || body != `{"id":"1"}` || resp.Header.Get("X-From-Backend") != "yes" {
		t.Fatalf("response %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if resp.Header.Get(RequestIDHeader) == "" {
		t.Error("no request ID header on the response")
	}
	s := <-got
	if s.method != "POST" || s.path != "/todo" || s.query != "x=1&y=2" || s.body != "data=hello" || s.custom != "kept" {
		t.Errorf("backend saw %+v", s)
	}
	if len(s.user) != 0 {
		t.Errorf("backend saw x-user-id %q; the gateway must remove it", s.user)
	}
	if s.backend != "todo" {
		t.Errorf("backend saw %s %q, want todo (overwritten, not the client's)", contract.BackendHeader, s.backend)
	}

	// The dog names routes go to their own backend name.
	_, _ = do(t, "GET", f.url+"/dogs/males", nil, nil)
	if s := <-got; s.backend != "dognames" || s.path != "/dogs/males" {
		t.Errorf("backend saw %+v", s)
	}
}

func TestGatewayErrors(t *testing.T) {
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
		if resp.StatusCode != http.StatusNotFound || body != want || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %q %v", tt.method, tt.path, resp.StatusCode, body, resp.Header)
		}
	}
}

func TestServiceUnavailable(t *testing.T) {
	f := newFixture(t, http.NotFoundHandler(), nil)
	f.backend.Close() // connections are now refused
	resp, body := do(t, "GET", f.url+"/dogs", nil, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || body != `{"message":"Service Unavailable"}` {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	// The line is written after the response is sent; Close waits for it.
	if err := f.gw.Close(); err != nil {
		t.Fatal(err)
	}
	lines := logLines(t, f.log)
	if len(lines) != 1 {
		t.Fatalf("%d access log lines, want 1", len(lines))
	}
	last := lines[0]
	if last["status"] != "503" || last["integrationStatus"] != "-" || !strings.Contains(last["integrationError"].(string), "refused") {
		t.Fatalf("access log %v", last)
	}
}

func TestGatewayTimeout(t *testing.T) {
	release := make(chan struct{})
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), func(c *Config) { c.IntegrationTimeout = 100 * time.Millisecond })
	defer close(release)

	start := time.Now()
	resp, body := do(t, "GET", f.url+"/todo", nil, nil)
	if resp.StatusCode != http.StatusGatewayTimeout || body != `{"message":"Gateway Timeout"}` {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s with a 100ms integration timeout", d)
	}
}

func TestThrottling(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), func(c *Config) {
		c.Throttling = Throttling{RateLimit: 1, BurstLimit: 4, WriteRateLimit: 1, WriteBurstLimit: 2}
		c.Now = clock
	})
	status := func(method, path string) int {
		resp, body := do(t, method, f.url+path, nil, nil)
		if resp.StatusCode == http.StatusTooManyRequests && body != `{"message":"Too Many Requests"}` {
			t.Fatalf("429 body %q", body)
		}
		return resp.StatusCode
	}
	// Each write route has its own tighter bucket.
	for _, want := range []int{200, 200, 429} {
		if got := status("POST", "/todo"); got != want {
			t.Fatalf("POST /todo: %d, want %d", got, want)
		}
	}
	if got := status("DELETE", "/todo/1"); got != 200 {
		t.Fatalf("DELETE /todo/1: %d, want 200 from its own bucket", got)
	}
	// The API bucket (burst 4) has given 3 tokens: one left.
	if got := status("GET", "/dogs"); got != 200 {
		t.Fatalf("GET /dogs: %d", got)
	}
	if got := status("GET", "/dogs"); got != 429 {
		t.Fatalf("GET /dogs past the API burst: %d, want 429", got)
	}
	// Unmatched routes are 404, not throttled and not counted.
	if got := status("GET", "/nope"); got != 404 {
		t.Fatalf("GET /nope: %d", got)
	}
	advance(time.Second)
	if got := status("GET", "/dogs"); got != 200 {
		t.Fatalf("after a second's refill: %d", got)
	}
	if got := status("GET", "/dogs"); got != 429 {
		t.Fatalf("one token refilled, two taken: %d", got)
	}
}

func TestAccessLog(t *testing.T) {
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"Name":"Rex","Gender":"male"}`)
	}), nil)
	_, _ = do(t, "GET", f.url+"/dogs?x=1", nil, http.Header{"User-Agent": {"test \"agent\""}})
	_, _ = do(t, "GET", f.url+"/nope", nil, nil)
	if err := f.gw.Close(); err != nil {
		t.Fatal(err)
	}
	lines := logLines(t, f.log)
	if len(lines) != 2 {
		t.Fatalf("%d access log lines, want 2", len(lines))
	}
	for _, l := range lines {
		for field := range contract.AccessLogFields {
			if _, ok := l[field].(string); !ok {
				t.Errorf("field %s is %#v, want a string", field, l[field])
			}
		}
		if len(l) != len(contract.AccessLogFields) {
			t.Errorf("%d fields, want %d: %v", len(l), len(contract.AccessLogFields), l)
		}
		if _, err := time.Parse(requestTimeLayout, l["requestTime"].(string)); err != nil {
			t.Errorf("requestTime: %v", err)
		}
	}
	ok, miss := lines[0], lines[1]
	for k, want := range map[string]string{
		"httpMethod": "GET", "path": "/dogs", "routeKey": "GET /dogs", "status": "200",
		"integrationStatus": "200", "integrationError": "-", "authorizerError": "-",
		"protocol": "HTTP/1.1", "ip": "127.0.0.1", "responseLength": "30", "userAgent": "test \"agent\"",
	} {
		if ok[k] != want {
			t.Errorf("matched request: %s = %q, want %q", k, ok[k], want)
		}
	}
	for k, want := range map[string]string{
		"routeKey": "-", "status": "404", "integrationStatus": "-", "integrationLatency": "-", "responseLength": "23",
	} {
		if miss[k] != want {
			t.Errorf("unmatched request: %s = %q, want %q", k, miss[k], want)
		}
	}
	if ok["requestId"] == miss["requestId"] {
		t.Error("two requests share a request ID")
	}
}

func TestAppendStringEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"":              `"-"`,
		"plain":         `"plain"`,
		`a"b\c`:         `"a\"b\\c"`,
		"tab\tnl\n\x01": `"tab\tnl\n\u0001"`,
		"héllo":         `"héllo"`,
		"bad\xffutf8":   `"bad\ufffdutf8"`,
	} {
		got := string(appendString(nil, in))
		if got != want {
			t.Errorf("appendString(%q) = %s, want %s", in, got, want)
		}
		var s string
		if err := json.Unmarshal([]byte(got), &s); err != nil {
			t.Errorf("appendString(%q) = %s is not a JSON string: %v", in, got, err)
		}
	}
}

func TestNewRejects(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:1")
	tests := map[string]Config{
		"bad throttling": {Backends: []Backend{{Service: contract.DogNames, URL: u}}},
		"no URL":         {Backends: []Backend{{Service: contract.DogNames}}, Throttling: lenientThrottling},
		"twice":          {Backends: []Backend{{Service: contract.DogNames, URL: u}, {Service: contract.DogNames, URL: u}}, Throttling: lenientThrottling},
		"no backends":    {Throttling: lenientThrottling},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := New(cfg); err == nil {
				t.Fatal("expected an error")
			}
		})
	}
}

func TestAccessLogMatchesContract(t *testing.T) {
	if err := accessLogMatchesContract(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkGateway measures a request through the gateway against the same
// request sent directly, over loopback sockets and kept-alive connections,
// so the difference is what the gateway adds per request.
func BenchmarkGateway(b *testing.B) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"Name":"Rex","Gender":"male"}`)
	}))
	defer be.Close()
	u, _ := url.Parse(be.URL)
	gw, err := New(Config{
		Backends:   []Backend{{Service: contract.DogNames, URL: u}},
		Throttling: Throttling{RateLimit: 1 << 30, BurstLimit: 1 << 30, WriteRateLimit: 1, WriteBurstLimit: 1},
		AccessLog:  io.Discard,
	})
	if err != nil {
		b.Fatal(err)
	}
	gwURL := serve(b, gw)
	for _, bm := range []struct{ name, url string }{{"direct", be.URL}, {"gateway", gwURL}} {
		b.Run(bm.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			defer client.CloseIdleConnections()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(bm.url + "/dogs")
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}
