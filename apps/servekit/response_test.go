package servekit

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/private-apis/private-apis/apps/servekit/servekittest"
)

type item struct {
	ID   string `json:"id"`
	Data string `json:"data"`
}

// largeBody does not fit net/http's response buffer (2 KiB), so its length
// is not one net/http could count itself.
var largeBody = NewBody([]item{{"1", strings.Repeat("x", 4096)}})

// testRouter is a service as the services build theirs, sending every
// response through Write: routes with one and with several methods, a
// health check, the catch-all 404.
func testRouter(health *Health) http.Handler {
	small := NewBody(item{"1", "small"})
	rt := NewRouter()
	send := func(code int, b *Body) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { Write(w, r, code, b) })
	}
	rt.Route("/small", Methods{http.MethodGet: send(http.StatusOK, &small)})
	rt.Route("/large", Methods{http.MethodGet: send(http.StatusOK, &largeBody)})
	rt.Route("/items", Methods{http.MethodGet: send(http.StatusOK, &small), http.MethodPost: send(http.StatusCreated, &small)})
	rt.Route("/items/{id}", Methods{
		http.MethodGet:    send(http.StatusOK, &small),
		http.MethodDelete: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { NoContent(w) }),
	})
	rt.Health("/healthz", health)
	return rt.Handler()
}

func do(h http.Handler, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestNewBody(t *testing.T) {
	b := NewBody(Message{`a "quoted" <b>`})
	// json.Encoder's output: HTML-safe escapes and a trailing newline.
	want := `{"message":"a \"quoted\" \u003cb\u003e"}` + "\n"
	if string(b.data) != want {
		t.Errorf("data = %q, want %q", b.data, want)
	}
	if len(b.size) != 1 || b.size[0] != strconv.Itoa(len(want)) || cap(b.size) != 1 {
		t.Errorf("size = %q (cap %d), want [%d] with len == cap", b.size, cap(b.size), len(want))
	}
	defer func() {
		if recover() == nil {
			t.Error("NewBody of a channel did not panic")
		}
	}()
	NewBody(make(chan int))
}

func TestWrite(t *testing.T) {
	const (
		small    = `{"id":"1","data":"small"}` + "\n"
		notFound = `{"message":"Not Found"}` + "\n"
		notAllow = `{"message":"Method Not Allowed"}` + "\n"
	)
	tests := []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/small", 200, small},
		{"HEAD", "/small", 200, ""},
		{"GET", "/large", 200, string(largeBody.data)},
		{"HEAD", "/large", 200, ""},
		{"POST", "/items", 201, small},
		{"HEAD", "/items/1", 200, ""},
		{"GET", "/healthz", 200, `{"status":"ok"}` + "\n"},
		{"GET", "/nope", 404, notFound},
		{"HEAD", "/nope", 404, ""},
		{"PUT", "/small", 405, notAllow},
		{"HEAD", "/items", 200, ""},
	}
	mux := testRouter(&Health{})
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := do(mux, tt.method, tt.path)
			if rec.Code != tt.code || rec.Body.String() != tt.body {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Body, tt.code, tt.body)
			}
			servekittest.CheckJSONHeaders(t, rec.Header())
			full := len(tt.body)
			if tt.method == "HEAD" {
				full = do(mux, "GET", tt.path).Body.Len()
			}
			if got := rec.Header().Get("Content-Length"); got != strconv.Itoa(full) {
				t.Errorf("Content-Length = %q, want %d", got, full)
			}
		})
	}
}

func TestNoContent(t *testing.T) {
	rec := do(testRouter(&Health{}), "DELETE", "/items/1")
	if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
		t.Fatalf("got %d %q, want 204 and no body", rec.Code, rec.Body)
	}
	h := rec.Header()
	if h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Type") != "" {
		t.Errorf("headers = %v", h)
	}
}

// TestContentLengthOnTheWire checks what clients see over a real
// connection: an exact Content-Length and no chunking.
func TestContentLengthOnTheWire(t *testing.T) {
	h := testRouter(&Health{})
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tt := range []struct{ method, path string }{
		{"GET", "/small"}, {"GET", "/large"}, {"POST", "/items"}, {"GET", "/healthz"},
		{"GET", "/nope"}, {"POST", "/small"}, {"HEAD", "/small"}, {"HEAD", "/large"},
	} {
		req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := int64(len(body))
		if tt.method == "HEAD" {
			want = int64(do(h, "GET", tt.path).Body.Len())
		}
		if resp.ContentLength != want || len(resp.TransferEncoding) != 0 {
			t.Errorf("%s %s: Content-Length %d, transfer encoding %v, want Content-Length %d",
				tt.method, tt.path, resp.ContentLength, resp.TransferEncoding, want)
		}
		servekittest.CheckJSONHeaders(t, resp.Header)
	}
}

func BenchmarkWrite(b *testing.B) {
	body := NewBody(item{"1", "small"})
	req := httptest.NewRequest("GET", "/small", nil)
	w := servekittest.NewDiscardWriter()
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		Write(w, req, http.StatusOK, &body)
	}
}

func TestRoute(t *testing.T) {
	mux := testRouter(&Health{})
	tests := []struct {
		method, path string
		code         int
		allow        string
	}{
		{"GET", "/small", 200, ""},
		{"HEAD", "/small", 200, ""},
		{"POST", "/small", 405, "GET, HEAD"},
		{"OPTIONS", "/small", 405, "GET, HEAD"},
		{"GET", "/items", 200, ""},
		{"POST", "/items", 201, ""},
		{"PUT", "/items", 405, "GET, HEAD, POST"},
		{"DELETE", "/items", 405, "GET, HEAD, POST"},
		{"DELETE", "/items/x", 204, ""},
		{"PATCH", "/items/x", 405, "DELETE, GET, HEAD"},
		{"POST", "/healthz", 405, "GET, HEAD"},
		{"GET", "/items/x/y", 404, ""},
		{"POST", "/nope", 404, ""},
		{"GET", "/small/", 404, ""},
		{"GET", "/", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := do(mux, tt.method, tt.path)
			if rec.Code != tt.code {
				t.Fatalf("status %d, want %d", rec.Code, tt.code)
			}
			if got := rec.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			if tt.code == 405 && rec.Body.String() != `{"message":"Method Not Allowed"}`+"\n" {
				t.Errorf("405 body = %q", rec.Body)
			}
		})
	}
}

func TestRouteExplicitHead(t *testing.T) {
	rt := NewRouter()
	head := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) })
	rt.Route("/x", Methods{http.MethodGet: http.NotFoundHandler(), http.MethodHead: head})
	if rec := do(rt.Handler(), "HEAD", "/x"); rec.Code != 299 {
		t.Errorf("HEAD went to %d, want the HEAD handler", rec.Code)
	}
	if got := do(rt.Handler(), "PUT", "/x").Header().Get("Allow"); got != "GET, HEAD" {
		t.Errorf("Allow = %q, want HEAD once", got)
	}
}

func TestHealth(t *testing.T) {
	health := &Health{}
	mux := testRouter(health)
	steps := []struct {
		drain bool
		code  int
		body  string
	}{
		{false, http.StatusOK, `{"status":"ok"}` + "\n"},
		{true, http.StatusServiceUnavailable, `{"status":"draining"}` + "\n"},
		{false, http.StatusServiceUnavailable, `{"status":"draining"}` + "\n"}, // draining is one-way
	}
	for _, s := range steps {
		if s.drain {
			health.StartDraining()
		}
		if health.Draining() != (s.code != http.StatusOK) {
			t.Errorf("Draining() = %v", health.Draining())
		}
		rec := do(mux, http.MethodGet, "/healthz")
		if rec.Code != s.code || rec.Body.String() != s.body {
			t.Errorf("after drain=%v: got %d %q, want %d %q", s.drain, rec.Code, rec.Body, s.code, s.body)
		}
		servekittest.CheckJSONHeaders(t, rec.Header())
	}
}
