// Package contract is what a provider stack promises the consumer stack: the
// names of the outputs every provider exports, and for each private service
// the port, health path and HTTP API route keys it serves.
//
// It has no Pulumi dependency so that anything that needs a service's routes
// (the provider stacks, the consumer, local tools) reads this one definition
// instead of keeping its own list.
package contract

import (
	"fmt"
	"regexp"
	"strings"
)

// Output names every provider stack exports, with the Go type each holds.
const (
	EndpointServiceName = "endpointServiceName" // string
	EndpointServiceID   = "endpointServiceId"   // string
	AllowedPrincipals   = "allowedPrincipals"   // []string
	ServicePort         = "servicePort"         // int
	HealthCheckPath     = "healthCheckPath"     // string
	Routes              = "routes"              // []string of route keys
	AvailabilityZoneIDs = "availabilityZoneIds" // []string
	Region              = "region"              // string
)

// Outputs lists every contract output name.
var Outputs = []string{
	EndpointServiceName, EndpointServiceID, AllowedPrincipals, ServicePort,
	HealthCheckPath, Routes, AvailabilityZoneIDs, Region,
}

// Service describes one private service as the consumer needs to know it.
type Service struct {
	// Name identifies the service in resource names.
	Name string
	// Port the service listens on, behind its NLB.
	Port int
	// HealthCheckPath answers 200 while the service can take traffic.
	HealthCheckPath string
	// Routes are HTTP API route keys, "METHOD /path", with {param} segments.
	Routes []string
}

// DogNames is the dog names API (apps/dognames).
var DogNames = Service{
	Name:            "dognames",
	Port:            8080,
	HealthCheckPath: "/healthz",
	Routes:          []string{"GET /dogs", "GET /dogs/males", "GET /dogs/females"},
}

// Todo is the todo API (apps/todo).
var Todo = Service{
	Name:            "todo",
	Port:            8080,
	HealthCheckPath: "/healthz",
	Routes:          []string{"GET /todo", "POST /todo", "GET /todo/{id}", "DELETE /todo/{id}"},
}

// Services lists every private service this repository runs, for tools
// that need all of them (the stacks pick theirs by role).
var Services = []Service{DogNames, Todo}

var routeMethods = map[string]bool{
	"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true,
	"HEAD": true, "OPTIONS": true, "ANY": true,
}

// Validate checks the service description, so a typo in a route key fails
// in tests rather than at the API Gateway.
func (s Service) Validate() error {
	if s.Name == "" {
		return fmt.Errorf("service has no name")
	}
	if s.Port < 1 || s.Port > 65535 {
		return fmt.Errorf("service %s: port %d is not a TCP port (1-65535)", s.Name, s.Port)
	}
	if !strings.HasPrefix(s.HealthCheckPath, "/") {
		return fmt.Errorf("service %s: health check path %q must start with /", s.Name, s.HealthCheckPath)
	}
	if len(s.Routes) == 0 {
		return fmt.Errorf("service %s: no routes", s.Name)
	}
	seen := map[string]bool{}
	for _, r := range s.Routes {
		if err := ValidateRouteKey(r); err != nil {
			return fmt.Errorf("service %s: %w", s.Name, err)
		}
		if seen[r] {
			return fmt.Errorf("service %s: route %q is listed twice", s.Name, r)
		}
		seen[r] = true
	}
	return nil
}

// RouteOwners assigns each route key to the service that serves it, and
// reports every key two services claim and every route prefix ({proxy+})
// that would capture another service's route or prefix: API Gateway sends a
// request to the most specific route, so an overlap would move traffic
// between providers without anyone noticing. The consumer stack, the
// PrivateApi component and the local gateway all refuse them, through this
// one check.
func RouteOwners(services []Service) (map[string]string, []error) {
	owner := map[string]string{}
	var keys []string
	var errs []error
	for _, s := range services {
		for _, route := range s.Routes {
			if other, taken := owner[route]; taken {
				errs = append(errs, fmt.Errorf("route %q is served by both %s and %s: a route key must belong to one provider", route, other, s.Name))
				continue
			}
			for _, key := range keys {
				if owner[key] == s.Name {
					continue
				}
				prefix, captured := key, route
				if !captures(prefix, captured) {
					prefix, captured = route, key
				}
				if captures(prefix, captured) {
					errs = append(errs, fmt.Errorf("route prefix %q of %s would capture %q of %s: API Gateway sends each request to the most specific route, so the overlap would move traffic between them; give the prefix a path no other provider uses",
						prefix, ownerOr(owner, prefix, s.Name), captured, ownerOr(owner, captured, s.Name)))
				}
			}
			owner[route] = s.Name
			keys = append(keys, route)
		}
	}
	return owner, errs
}

// ownerOr is the owner of a route key already assigned, else the service
// being read.
func ownerOr(owner map[string]string, key, current string) string {
	if o, ok := owner[key]; ok {
		return o
	}
	return current
}

// captures reports whether prefix, a greedy route key ("ANY /billing/{proxy+}"),
// would match requests meant for other, an explicit route key or another
// prefix: their methods overlap and other's path lies within the prefix.
func captures(prefix, other string) bool {
	pm, pp, err1 := SplitRouteKey(prefix)
	om, op, err2 := SplitRouteKey(other)
	if err1 != nil || err2 != nil || !isGreedy(pp) {
		return false
	}
	if pm != om && pm != "ANY" && om != "ANY" {
		return false
	}
	base, rest := segments(pp), segments(op)
	base = base[:len(base)-1] // the {proxy+} itself
	if isGreedy(op) {
		rest = rest[:len(rest)-1]
		if len(rest) < len(base) {
			return false
		}
	} else if len(rest) <= len(base) {
		return false // {proxy+} needs at least one more segment
	}
	for i, seg := range base {
		if seg != rest[i] && !isVariable(seg) && !isVariable(rest[i]) {
			return false
		}
	}
	return true
}

func segments(path string) []string { return strings.Split(strings.TrimPrefix(path, "/"), "/") }

func isVariable(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

func isGreedy(path string) bool { return strings.HasSuffix(path, "+}") }

// SplitRouteKey splits an HTTP API route key such as "GET /dogs/{id}" into
// its method and path, checking the shape API Gateway accepts.
func SplitRouteKey(key string) (method, path string, err error) {
	method, path, ok := strings.Cut(key, " ")
	if !ok || !routeMethods[method] {
		return "", "", fmt.Errorf("route %q must be \"METHOD /path\" with METHOD one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY", key)
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#") {
		return "", "", fmt.Errorf("route %q: path %q must start with / and hold no spaces, query or fragment", key, path)
	}
	return method, path, nil
}

// IsWriteMethod reports whether a route's method can change data, the
// routes the API throttles tighter and asks write scopes for: POST, PUT,
// PATCH, DELETE, and ANY, which accepts all of them (a token without the
// write scopes must not write through an ANY route, and reads through one
// share its write limits).
func IsWriteMethod(method string) bool {
	switch method {
	case "POST", "PUT", "PATCH", "DELETE", "ANY":
		return true
	}
	return false
}

// ValidateRouteKey checks a route key as this project allows it: the shape
// SplitRouteKey accepts, segments API Gateway takes (a {variable} is a
// whole segment, and a greedy {variable+} only the last), and no "$default"
// or bare "/{proxy+}" catch-all, so every route belongs to one provider. A
// provider may claim a path prefix with a greedy last segment, e.g.
// "ANY /billing/{proxy+}", to add endpoints under it without a consumer
// deployment.
func ValidateRouteKey(key string) error {
	_, path, err := SplitRouteKey(key)
	if err != nil {
		return err
	}
	if len(path) > 1 && strings.HasSuffix(path, "/") {
		return fmt.Errorf("route %q: path must not end with /", key)
	}
	if path == "/" {
		return nil
	}
	segs := segments(path)
	for i, seg := range segs {
		switch {
		case seg == "":
			return fmt.Errorf("route %q: empty path segment", key)
		case strings.HasSuffix(seg, "+}") && strings.HasPrefix(seg, "{"):
			if i != len(segs)-1 {
				return fmt.Errorf("route %q: a greedy path variable must be the last segment", key)
			}
			if i == 0 {
				return fmt.Errorf("route %q: a catch-all for every path is not allowed; claim a prefix such as /billing/{proxy+}", key)
			}
		case isVariable(seg):
			if !variableName.MatchString(seg[1 : len(seg)-1]) {
				return fmt.Errorf("route %q: %q is not a path variable API Gateway takes (letters, digits, _ and -)", key, seg)
			}
		case strings.ContainsAny(seg, "{}"):
			return fmt.Errorf("route %q: segment %q mixes a variable with text; a variable is a whole segment", key, seg)
		}
	}
	return nil
}

var variableName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
