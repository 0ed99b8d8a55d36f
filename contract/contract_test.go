package contract

import (
	"strings"
	"testing"
)

func TestServicesAreValid(t *testing.T) {
	if len(Services) == 0 {
		t.Fatal("no built-in services to check")
	}
	for _, s := range Services {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
}

func TestValidateRouteKey(t *testing.T) {
	tests := []struct {
		key     string
		wantErr string
	}{
		{key: "GET /dogs"},
		{key: "GET /todo/{id}"},
		{key: "ANY /things"},
		{key: "/dogs", wantErr: "METHOD /path"},
		{key: "FETCH /dogs", wantErr: "METHOD /path"},
		{key: "GET dogs", wantErr: "must start with /"},
		{key: "GET /dogs?x=1", wantErr: "query"},
		{key: "ANY /{proxy+}", wantErr: "a catch-all for every path is not allowed"},
		{key: "GET /{proxy+}", wantErr: "a catch-all for every path is not allowed"},
		{key: "ANY /billing/{proxy+}"},
		{key: "GET /billing/{account}/{path+}"},
		{key: "GET /billing/{proxy+}/x", wantErr: "a greedy path variable must be the last segment"},
		{key: "GET /a/b{id}", wantErr: "mixes a variable with text"},
		{key: "GET /a//b", wantErr: "empty path segment"},
		{key: "GET /a/{i.d}", wantErr: "is not a path variable"},
		{key: "GET /dogs/", wantErr: "must not end with /"},
		{key: "$default", wantErr: "METHOD /path"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			err := ValidateRouteKey(tt.key)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestServiceValidateRejects(t *testing.T) {
	base := DogNames
	tests := map[string]func(*Service){
		"no name":       func(s *Service) { s.Name = "" },
		"bad port":      func(s *Service) { s.Port = 0 },
		"relative path": func(s *Service) { s.HealthCheckPath = "healthz" },
		"no routes":     func(s *Service) { s.Routes = nil },
		"duplicate":     func(s *Service) { s.Routes = []string{"GET /a", "GET /a"} },
		"bad route":     func(s *Service) { s.Routes = []string{"GET"} },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			s := base
			s.Routes = append([]string(nil), base.Routes...)
			mutate(&s)
			if err := s.Validate(); err == nil {
				t.Fatal("expected an error")
			}
		})
	}
}

func TestRouteOwners(t *testing.T) {
	owner, errs := RouteOwners([]Service{
		{Name: "a", Routes: []string{"GET /x", "GET /y"}},
		{Name: "b", Routes: []string{"GET /y", "GET /z"}},
	})
	if len(errs) != 1 || errs[0].Error() != `route "GET /y" is served by both a and b: a route key must belong to one provider` {
		t.Fatalf("errors %v", errs)
	}
	if owner["GET /x"] != "a" || owner["GET /y"] != "a" || owner["GET /z"] != "b" {
		t.Fatalf("owners %v", owner)
	}
}

func TestRoutePrefixOverlaps(t *testing.T) {
	tests := []struct {
		name      string
		a, b      []string
		wantError string
	}{
		{name: "disjoint prefixes", a: []string{"ANY /billing/{proxy+}"}, b: []string{"ANY /orders/{proxy+}"}},
		{name: "a prefix and routes elsewhere", a: []string{"ANY /billing/{proxy+}"}, b: []string{"GET /dogs", "GET /billing"}},
		{name: "methods apart", a: []string{"GET /billing/{proxy+}"}, b: []string{"POST /billing/invoices"}},
		{name: "a route under the prefix", a: []string{"ANY /billing/{proxy+}"}, b: []string{"GET /billing/invoices"},
			wantError: `route prefix "ANY /billing/{proxy+}" of a would capture "GET /billing/invoices" of b`},
		{name: "the route first", a: []string{"GET /billing/invoices/{id}"}, b: []string{"GET /billing/{proxy+}"},
			wantError: `route prefix "GET /billing/{proxy+}" of b would capture "GET /billing/invoices/{id}" of a`},
		{name: "a nested prefix", a: []string{"ANY /billing/{proxy+}"}, b: []string{"GET /billing/invoices/{proxy+}"},
			wantError: `route prefix "ANY /billing/{proxy+}" of a would capture "GET /billing/invoices/{proxy+}" of b`},
		{name: "a variable in the prefix", a: []string{"ANY /{tenant}/billing/{proxy+}"}, b: []string{"GET /acme/billing/x"},
			wantError: "would capture"},
		{name: "the same prefix twice", a: []string{"ANY /billing/{proxy+}"}, b: []string{"ANY /billing/{proxy+}"},
			wantError: `route "ANY /billing/{proxy+}" is served by both a and b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := RouteOwners([]Service{{Name: "a", Routes: tt.a}, {Name: "b", Routes: tt.b}})
			if tt.wantError == "" {
				if len(errs) != 0 {
					t.Fatalf("errors %v", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.wantError) {
				t.Fatalf("errors %v, want one containing %q", errs, tt.wantError)
			}
		})
	}
	// A service's own routes under its own prefix are its business.
	if _, errs := RouteOwners([]Service{{Name: "a", Routes: []string{"ANY /billing/{proxy+}", "GET /billing/health"}}}); len(errs) != 0 {
		t.Fatalf("own routes: %v", errs)
	}
}
