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
// reports every key two services claim: a request can go to one backend
// only, so the consumer stack, the PrivateApi component and the local
// gateway all refuse them, through this one check.
func RouteOwners(services []Service) (map[string]string, []error) {
	owner := map[string]string{}
	var errs []error
	for _, s := range services {
		for _, route := range s.Routes {
			if other, taken := owner[route]; taken {
				errs = append(errs, fmt.Errorf("route %q is served by both %s and %s: a route key must belong to one provider", route, other, s.Name))
				continue
			}
			owner[route] = s.Name
		}
	}
	return owner, errs
}

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

// IsWriteMethod reports whether a route's method changes data, the routes
// the API throttles tighter and asks write scopes for.
func IsWriteMethod(method string) bool {
	return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE"
}

// ValidateRouteKey checks a route key as this project allows it: the shape
// SplitRouteKey accepts, and no "$default" or greedy catch-all, so every
// route is explicit.
func ValidateRouteKey(key string) error {
	_, path, err := SplitRouteKey(key)
	if err != nil {
		return err
	}
	if strings.Contains(path, "+}") {
		return fmt.Errorf("route %q: greedy path variables are not allowed; list each route explicitly", key)
	}
	if len(path) > 1 && strings.HasSuffix(path, "/") {
		return fmt.Errorf("route %q: path must not end with /", key)
	}
	return nil
}
