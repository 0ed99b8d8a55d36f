package localgw

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/private-apis/private-apis/contract"
)

type segmentKind uint8

// The order is the precedence: at the first segment where two matching
// routes differ, the lower kind is the more specific route.
const (
	segExact  segmentKind = iota // a literal segment, "dogs"
	segParam                     // {id}: exactly one non-empty segment
	segGreedy                    // {proxy+}: the rest of the path, last only
)

type segment struct {
	kind segmentKind
	lit  string // the literal, for segExact
}

// Route is one route key of one backend.
type Route struct {
	// Key is the route key as the contract spells it, "GET /todo/{id}".
	Key string
	// Method is the key's method; "ANY" matches every method.
	Method string
	// Backend is the name of the service that serves the route.
	Backend string

	segs   []segment
	limit  *bucket  // the route's own throttling, set by New
	target *url.URL // where the integration goes, set by New
}

// RouteTable matches requests to routes. Routes are kept most specific
// first, so the first route that matches is the one API Gateway picks.
type RouteTable struct {
	routes []*Route
}

// NewRouteTable builds the table from the services' route keys. A malformed
// key, or a key two services claim, is an error: the consumer stack refuses
// both too.
func NewRouteTable(services []contract.Service) (*RouteTable, error) {
	t := &RouteTable{}
	if _, conflicts := contract.RouteOwners(services); len(conflicts) > 0 {
		return nil, conflicts[0]
	}
	for _, s := range services {
		if s.Name == "" {
			return nil, fmt.Errorf("a service has no name")
		}
		for _, key := range s.Routes {
			r, err := parseRoute(key)
			if err != nil {
				return nil, fmt.Errorf("service %s: %w", s.Name, err)
			}
			r.Backend = s.Name
			t.routes = append(t.routes, r)
		}
	}
	if len(t.routes) == 0 {
		return nil, fmt.Errorf("no routes: the gateway needs at least one service with routes")
	}
	sort.SliceStable(t.routes, func(i, j int) bool { return moreSpecific(t.routes[i], t.routes[j]) })
	return t, nil
}

// parseRoute reads "METHOD /path". Unlike contract.ValidateRouteKey it
// accepts a greedy {proxy+} at the end, because API Gateway does: the
// contract forbids it by policy, the gateway only mirrors the service.
func parseRoute(key string) (*Route, error) {
	method, path, err := contract.SplitRouteKey(key)
	if err != nil {
		return nil, err
	}
	r := &Route{Key: key, Method: method}
	if path == "/" {
		return r, nil
	}
	parts := strings.Split(path[1:], "/")
	for i, p := range parts {
		switch {
		case p == "":
			return nil, fmt.Errorf("route %q: empty path segment", key)
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			if i != len(parts)-1 {
				return nil, fmt.Errorf("route %q: a greedy path variable must be the last segment", key)
			}
			r.segs = append(r.segs, segment{kind: segGreedy})
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			r.segs = append(r.segs, segment{kind: segParam})
		case strings.ContainsAny(p, "{}"):
			return nil, fmt.Errorf("route %q: segment %q mixes a variable with text", key, p)
		default:
			r.segs = append(r.segs, segment{kind: segExact, lit: p})
		}
	}
	return r, nil
}

// moreSpecific orders a before b when a would win over b for a request
// both match: segment by segment from the left an exact segment beats a
// {param}, which beats a greedy {proxy+}; with the same shape a named
// method beats ANY. Routes that can never match the same path are ordered
// consistently but arbitrarily, which is harmless.
func moreSpecific(a, b *Route) bool {
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		if a.segs[i].kind != b.segs[i].kind {
			return a.segs[i].kind < b.segs[i].kind
		}
	}
	if len(a.segs) != len(b.segs) {
		return len(a.segs) > len(b.segs)
	}
	return a.Method != "ANY" && b.Method == "ANY"
}

// Match returns the route API Gateway would pick for the request, or false
// for a 404. The path is matched as given, case-sensitively: "/dogs/" does
// not match "GET /dogs", and HEAD does not match a GET route. It does not
// allocate, as it runs on every request.
func (t *RouteTable) Match(method, path string) (*Route, bool) {
	for _, r := range t.routes {
		if (r.Method == method || r.Method == "ANY") && matchPath(r.segs, path) {
			return r, true
		}
	}
	return nil, false
}

// matchPath walks the path one segment at a time without splitting it.
// "/" has no segments; "/a/" has two, "a" and "".
func matchPath(segs []segment, path string) bool {
	if path == "" || path[0] != '/' {
		return false
	}
	rest := path[1:]
	atEnd := path == "/"
	for _, s := range segs {
		if atEnd {
			return false
		}
		if s.kind == segGreedy {
			return rest != ""
		}
		var seg string
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		} else {
			seg, rest, atEnd = rest, "", true
		}
		if s.kind == segExact && seg != s.lit || s.kind == segParam && seg == "" {
			return false
		}
	}
	return atEnd
}
