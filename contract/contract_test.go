package contract

import (
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
		{key: "ANY /{proxy+}", wantErr: "greedy"},
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
	if got := (Throttling{RateLimit: 7}).WithDefaults(); got != (Throttling{7, d.BurstLimit, d.WriteRateLimit, d.WriteBurstLimit}) {
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
