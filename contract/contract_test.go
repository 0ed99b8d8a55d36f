package contract

import (
	"reflect"
	"strings"
	"testing"
)

func TestServicesAreValid(t *testing.T) {
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

func TestThrottling(t *testing.T) {
	d := DefaultThrottling
	if p := d.Problems(); len(p) > 0 {
		t.Fatalf("the defaults have problems: %v", p)
	}
	if got := (Throttling{RateLimit: 7}).WithDefaults(); !reflect.DeepEqual(got, Throttling{RateLimit: 7, BurstLimit: d.BurstLimit, WriteRateLimit: d.WriteRateLimit, WriteBurstLimit: d.WriteBurstLimit}) {
		t.Fatalf("WithDefaults = %+v", got)
	}
	for key, want := range map[string][3]any{
		"GET /dogs":         {d.RateLimit, d.BurstLimit, false},
		"GET /todo/{id}":    {d.RateLimit, d.BurstLimit, false},
		"POST /todo":        {d.WriteRateLimit, d.WriteBurstLimit, true},
		"DELETE /todo/{id}": {d.WriteRateLimit, d.WriteBurstLimit, true},
	} {
		rate, burst, own := d.RouteLimit(key)
		if rate != want[0] || burst != want[1] || own != want[2] {
			t.Errorf("RouteLimit(%q) = %d, %d, %v; want %v", key, rate, burst, own, want)
		}
	}
	bad := Throttling{RateLimit: 10, BurstLimit: 0, WriteRateLimit: 20, WriteBurstLimit: 10001}
	var got []string
	for _, p := range bad.Problems() {
		got = append(got, p.Error())
	}
	want := []string{
		"routeBurstLimit = 0: must be 1 to 10000 requests per second for each route (API Gateway's default account limit); e.g. 50",
		"writeRouteBurstLimit = 10001: must be 1 to 10000 requests per second for each route (API Gateway's default account limit); e.g. 50",
		"writeRouteRateLimit = 20: must not exceed routeRateLimit (10): writes are throttled tighter",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestThrottlingRoutes(t *testing.T) {
	d := DefaultThrottling
	d.Routes = map[string]RouteLimit{"POST /todo": {RateLimit: 2, BurstLimit: 3}, "GET /dogs": {RateLimit: 500, BurstLimit: 900}}
	for key, want := range map[string][3]any{
		"POST /todo":        {2, 3, true},
		"GET /dogs":         {500, 900, true},
		"DELETE /todo/{id}": {d.WriteRateLimit, d.WriteBurstLimit, true},
		"GET /dogs/males":   {d.RateLimit, d.BurstLimit, false},
	} {
		rate, burst, own := d.RouteLimit(key)
		if rate != want[0] || burst != want[1] || own != want[2] {
			t.Errorf("RouteLimit(%q) = %d, %d, %v; want %v", key, rate, burst, own, want)
		}
	}
	if p := d.Problems(); len(p) > 0 {
		t.Fatalf("a read route above the read default is allowed: %v", p)
	}
	d.Routes = map[string]RouteLimit{"todo": {1, 1}, "GET /a": {0, 5}, "GET /b": {5, 10001}}
	var got []string
	for _, p := range d.Problems() {
		got = append(got, p.Error())
	}
	want := []string{
		`routeThrottling = "GET /a": {rateLimit: 0}: rateLimit must be 1 to 10000; give each route both, e.g. {"GET /a": {rateLimit: 5, burstLimit: 10}}`,
		`routeThrottling = "GET /b": {burstLimit: 10001}: burstLimit must be 1 to 10000; give each route both, e.g. {"GET /b": {rateLimit: 5, burstLimit: 10}}`,
		`routeThrottling = "todo": route "todo" must be "METHOD /path" with METHOD one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
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
