package servekit

import (
	"net/http"
	"slices"
	"strings"
)

// Methods maps the HTTP methods a path answers to their handlers, e.g.
// {http.MethodGet: list, http.MethodPost: create}. A GET handler also
// serves HEAD, as net/http's ServeMux arranges.
type Methods map[string]http.Handler

// Router builds a service's handler the way every service routes: JSON
// everywhere, a 405 with an Allow header for a known path with a method it
// does not take, a 404 for any unknown path, both in the {"message":"..."}
// shape, and a health check for the load balancer.
type Router struct {
	mux *http.ServeMux
}

// NewRouter returns a Router whose own answers (404, 405, health check) go
// out through [Write], as the services' other responses do.
func NewRouter() *Router {
	rt := &Router{mux: http.NewServeMux()}
	// The catch-all: the least specific pattern, so it only sees the paths
	// no route claims.
	rt.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		Write(w, r, http.StatusNotFound, &notFoundBody)
	})
	return rt
}

// Route registers the handlers of methods for path, and a JSON 405 for
// every other method on that path, with an Allow header that lists the
// methods it does take (HEAD included wherever GET is).
//
// Without the 405, a request with another method would fall through to the
// catch-all and get a 404 for a path that exists. The 405 is a pattern
// without a method, which net/http's ServeMux ranks below the ones with a
// method, so it only ever sees the methods nobody else handles.
func (rt *Router) Route(path string, methods Methods) {
	allow := make([]string, 0, len(methods)+1)
	for method, h := range methods {
		rt.mux.Handle(method+" "+path, h)
		allow = append(allow, method)
	}
	if methods[http.MethodGet] != nil && methods[http.MethodHead] == nil {
		allow = append(allow, http.MethodHead)
	}
	slices.Sort(allow)
	allowed := strings.Join(allow, ", ")
	rt.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allowed)
		Write(w, r, http.StatusMethodNotAllowed, &methodNotAllowedBody)
	})
}

// Health registers GET path as the load balancer's health check on h: 200
// {"status":"ok"}, then 503 {"status":"draining"} once [Serve] has started
// shutting down.
//
// It looks at nothing else, a store least of all: a task whose dependency
// is down is still alive, and failing every task at once because a
// dependency hiccuped would take the whole service out. A readiness check
// that asks the dependency belongs on a path of its own.
func (rt *Router) Health(path string, h *Health) {
	rt.Route(path, Methods{http.MethodGet: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.Draining() {
			Write(w, r, http.StatusServiceUnavailable, &drainingBody)
			return
		}
		Write(w, r, http.StatusOK, &healthyBody)
	})})
}

// Handler is the handler of every route. Register routes before serving.
func (rt *Router) Handler() http.Handler { return rt.mux }
