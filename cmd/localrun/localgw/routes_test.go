package localgw

import (
	"strings"
	"testing"

	"github.com/private-apis/private-apis/contract"
)

func TestMatchContractRoutes(t *testing.T) {
	table, err := NewRouteTable(contract.Services)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path string
		want         string // route key, "" for 404
	}{
		{"GET", "/dogs", "GET /dogs"},
		{"GET", "/dogs/males", "GET /dogs/males"},
		{"GET", "/dogs/females", "GET /dogs/females"},
		{"GET", "/todo", "GET /todo"},
		{"POST", "/todo", "POST /todo"},
		{"GET", "/todo/01HZX", "GET /todo/{id}"},
		{"DELETE", "/todo/01HZX", "DELETE /todo/{id}"},
		// API Gateway semantics: no HEAD for GET routes, no trailing-slash
		// equivalence, no empty {param}, case-sensitive, nothing else.
		{"HEAD", "/dogs", ""},
		{"GET", "/dogs/", ""},
		{"GET", "/todo/", ""},
		{"GET", "/todo/a/b", ""},
		{"GET", "/Dogs", ""},
		{"PUT", "/todo/1", ""},
		{"GET", "/healthz", ""},
		{"GET", "/", ""},
		{"GET", "", ""},
		{"GET", "dogs", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r, ok := checkMatch(t, table, tt.method, tt.path, tt.want)
			if ok && r.Backend == "" {
				t.Fatal("matched route has no backend")
			}
		})
	}
}

// TestMatchPrecedence matches as API Gateway does, the catch-all included
// (which the contract keeps providers from claiming, but which the route
// table, like API Gateway, knows how to rank), all within one service, as
// overlapping routes across services are refused.
func TestMatchPrecedence(t *testing.T) {
	table, err := NewRouteTable([]contract.Service{
		{Name: "a", Routes: []string{"ANY /{proxy+}", "GET /pets/{proxy+}", "GET /pets/dog/{id}", "GET /pets/dog/1", "ANY /pets/dog/{id}", "GET /", "POST /pets/{id}/toys",
			"ANY /pets/cat", "DELETE /pets/cat"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path string
		want         string
	}{
		// The example of the API Gateway routing documentation.
		{"GET", "/pets/dog/1", "GET /pets/dog/1"},
		{"GET", "/pets/dog/2", "GET /pets/dog/{id}"},
		{"GET", "/pets/cat/1", "GET /pets/{proxy+}"},
		{"POST", "/pets/cat/1", "ANY /{proxy+}"},
		// A method match beats ANY on the same path shape.
		{"POST", "/pets/dog/2", "ANY /pets/dog/{id}"},
		{"DELETE", "/pets/cat", "DELETE /pets/cat"},
		{"PATCH", "/pets/cat", "ANY /pets/cat"},
		// An exact segment beats a parameter, a parameter beats greedy.
		{"POST", "/pets/7/toys", "POST /pets/{id}/toys"},
		{"GET", "/pets/7/toys", "GET /pets/{proxy+}"},
		// Greedy takes the rest, including slashes, but not nothing.
		{"GET", "/pets/a/b/c/", "GET /pets/{proxy+}"},
		{"GET", "/pets", "ANY /{proxy+}"},
		{"GET", "/pets/", "ANY /{proxy+}"},
		{"GET", "/", "GET /"},
		{"POST", "/", ""},
		{"HEAD", "/anything", "ANY /{proxy+}"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			checkMatch(t, table, tt.method, tt.path, tt.want)
		})
	}
}

func TestPrefixRoutes(t *testing.T) {
	table, err := NewRouteTable([]contract.Service{
		{Name: "billing", Routes: []string{"ANY /billing/{proxy+}", "GET /billing/health"}},
		{Name: "dognames", Routes: contract.DogNames.Routes},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ method, path, want string }{
		{"GET", "/billing/invoices/7", "ANY /billing/{proxy+}"},
		{"POST", "/billing/invoices", "ANY /billing/{proxy+}"},
		{"GET", "/billing/health", "GET /billing/health"},
		{"GET", "/billing", ""},
		{"GET", "/dogs", "GET /dogs"},
	} {
		checkMatch(t, table, tt.method, tt.path, tt.want)
	}
	_, err = NewRouteTable([]contract.Service{
		{Name: "billing", Routes: []string{"ANY /billing/{proxy+}"}},
		{Name: "reports", Routes: []string{"GET /billing/reports"}},
	})
	if err == nil || !strings.Contains(err.Error(), `route prefix "ANY /billing/{proxy+}" of billing would capture "GET /billing/reports" of reports`) {
		t.Fatalf("overlap: error = %v", err)
	}
}

func TestNewRouteTableRejects(t *testing.T) {
	tests := []struct {
		name     string
		services []contract.Service
		want     string
	}{
		{"bad method", []contract.Service{{Name: "a", Routes: []string{"FETCH /a"}}}, "METHOD /path"},
		{"no path", []contract.Service{{Name: "a", Routes: []string{"GET"}}}, "METHOD /path"},
		{"relative", []contract.Service{{Name: "a", Routes: []string{"GET a"}}}, "must start with /"},
		{"greedy not last", []contract.Service{{Name: "a", Routes: []string{"GET /{proxy+}/a"}}}, "last segment"},
		{"empty segment", []contract.Service{{Name: "a", Routes: []string{"GET /a//b"}}}, "empty path segment"},
		{"mixed segment", []contract.Service{{Name: "a", Routes: []string{"GET /a{b}"}}}, "mixes"},
		{"conflict", []contract.Service{{Name: "a", Routes: []string{"GET /a"}}, {Name: "b", Routes: []string{"GET /a"}}}, "is served by both a and b"},
		{"no routes", []contract.Service{{Name: "a"}}, "no routes"},
		{"no name", []contract.Service{{Routes: []string{"GET /a"}}}, "no name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRouteTable(tt.services)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	table, err := NewRouteTable(contract.Services)
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		table.Match("DELETE", "/todo/01J0000000000000000000000")
		table.Match("GET", "/nope/nope")
	})
	if allocs != 0 {
		t.Fatalf("Match allocates %v times per call", allocs)
	}
}

func BenchmarkMatch(b *testing.B) {
	table, err := NewRouteTable(contract.Services)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		table.Match("GET", "/dogs/females")
	}
}

// checkMatch asserts which route key (or none, "") a request matches.
func checkMatch(t *testing.T, table *RouteTable, method, path, want string) (*Route, bool) {
	t.Helper()
	r, ok := table.Match(method, path)
	got := ""
	if ok {
		got = r.Key
	}
	if got != want {
		t.Fatalf("Match(%s, %q) = %q, want %q", method, path, got, want)
	}
	return r, ok
}
