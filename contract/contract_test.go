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
