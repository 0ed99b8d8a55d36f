package apirules

import (
	"reflect"
	"strings"
	"testing"
)

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

func TestJWTRoute(t *testing.T) {
	auth := &JWTAuth{Issuer: "https://issuer.example.com", Audiences: []string{"a"}, PublicRoutes: []string{"GET /dogs", "POST /public"}, WriteScopes: []string{"todo/write", "admin"}}
	for _, tt := range []struct {
		auth   *JWTAuth
		route  string
		token  bool
		scopes []string
	}{
		{nil, "POST /todo", false, nil},
		{auth, "GET /dogs", false, nil},
		{auth, "POST /public", false, nil},
		{auth, "GET /todo", true, nil},
		{auth, "POST /todo", true, []string{"todo/write", "admin"}},
		{auth, "DELETE /todo/{id}", true, []string{"todo/write", "admin"}},
		{auth, "ANY /billing/{proxy+}", true, []string{"todo/write", "admin"}},
		{&JWTAuth{Issuer: "https://i", Audiences: []string{"a"}}, "POST /todo", true, nil},
	} {
		token, scopes := tt.auth.Route(tt.route)
		if token != tt.token || !reflect.DeepEqual(scopes, tt.scopes) {
			t.Errorf("%v.Route(%q) = %v, %v; want %v, %v", tt.auth, tt.route, token, scopes, tt.token, tt.scopes)
		}
	}
	if err := CheckIssuer("http://issuer.example.com"); err == nil || !strings.Contains(err.Error(), "not an https URL") {
		t.Errorf("CheckIssuer(http) = %v", err)
	}
	if err := CheckIssuer("https://cognito-idp.us-west-2.amazonaws.com/us-west-2_AbCdEf"); err != nil {
		t.Errorf("CheckIssuer(Cognito) = %v", err)
	}
}
