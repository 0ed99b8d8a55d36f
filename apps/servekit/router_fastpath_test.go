package servekit

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestFastPathAnswersAsTheMuxWould sends the same requests to the router
// and to its mux alone: status, headers and body must be identical, so the
// static-path shortcut changes speed only.
func TestFastPathAnswersAsTheMuxWould(t *testing.T) {
	rt := NewRouter(Write)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { Write(w, r, http.StatusOK, &healthyBody) })
	rt.Route("/items", Methods{http.MethodGet: ok, http.MethodPost: ok})
	rt.Route("/items/{id}", Methods{http.MethodGet: ok})
	rt.Health("/healthz", &Health{})

	for _, req := range []struct{ method, target string }{
		{"GET", "/items"}, {"HEAD", "/items"}, {"POST", "/items"}, {"DELETE", "/items"},
		{"GET", "/items/"}, {"GET", "/items/7"}, {"GET", "//items"}, {"GET", "/item%73"},
		{"GET", "/items?x=1"}, {"GET", "/healthz"}, {"PUT", "/healthz"}, {"GET", "/nope"}, {"GET", "/"},
	} {
		fast, slow := httptest.NewRecorder(), httptest.NewRecorder()
		rt.Handler().ServeHTTP(fast, httptest.NewRequest(req.method, req.target, nil))
		rt.mux.ServeHTTP(slow, httptest.NewRequest(req.method, req.target, nil))
		if fast.Code != slow.Code || fast.Body.String() != slow.Body.String() || len(fast.Header()) != len(slow.Header()) {
			t.Errorf("%s %s: router %d %v %q, mux %d %v %q", req.method, req.target,
				fast.Code, fast.Header(), fast.Body, slow.Code, slow.Header(), slow.Body)
		}
		for k, v := range slow.Header() {
			if fast.Header().Get(k) != v[0] {
				t.Errorf("%s %s: header %s = %q, mux gives %q", req.method, req.target, k, fast.Header().Get(k), v[0])
			}
		}
	}
}
