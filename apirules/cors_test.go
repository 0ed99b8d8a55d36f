package apirules

import (
	"reflect"
	"strings"
	"testing"
)

func TestCORSDefaults(t *testing.T) {
	c := CORS{AllowOrigins: []string{"https://app.example.com"}}.WithDefaults([]string{"GET /dogs", "POST /todo", "GET /todo/{id}", "DELETE /todo/{id}"})
	if !reflect.DeepEqual(c.AllowMethods, []string{"DELETE", "GET", "POST"}) || !reflect.DeepEqual(c.AllowHeaders, []string{"authorization", "content-type"}) {
		t.Fatalf("WithDefaults = %+v", c)
	}
	if c := (CORS{AllowOrigins: []string{"https://a.example.com"}}).WithDefaults([]string{"GET /a", "ANY /b/{proxy+}"}); !reflect.DeepEqual(c.AllowMethods, []string{"*"}) {
		t.Fatalf("an ANY route allows every method: %v", c.AllowMethods)
	}
	if c := (CORS{AllowOrigins: []string{"https://a.example.com"}, AllowCredentials: true}).WithDefaults([]string{"ANY /b/{proxy+}"}); !reflect.DeepEqual(c.AllowMethods, []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}) {
		t.Fatalf("with credentials, every method by name: %v", c.AllowMethods)
	}
	if c := (CORS{AllowOrigins: []string{"https://a.example.com"}, AllowMethods: []string{"GET"}}).WithDefaults([]string{"POST /a"}); !reflect.DeepEqual(c.AllowMethods, []string{"GET"}) {
		t.Fatalf("configured methods are kept: %v", c.AllowMethods)
	}
	if c := (CORS{}).WithDefaults([]string{"GET /a"}); c.Enabled() || c.AllowMethods != nil {
		t.Fatalf("off stays off: %+v", c)
	}
}

func TestCORSAllowsOrigin(t *testing.T) {
	listed := CORS{AllowOrigins: []string{"https://app.example.com", "https://admin.example.com:8443"}}
	for origin, want := range map[string]string{
		"https://app.example.com":        "https://app.example.com",
		"https://admin.example.com:8443": "https://admin.example.com:8443",
		"https://admin.example.com":      "",
		"http://app.example.com":         "",
		"":                               "",
	} {
		if got, ok := listed.AllowsOrigin(origin); got != want || ok != (want != "") {
			t.Errorf("AllowsOrigin(%q) = %q, %v; want %q", origin, got, ok, want)
		}
	}
	if got, ok := (CORS{AllowOrigins: []string{"*"}}).AllowsOrigin("https://x.example.com"); got != "*" || !ok {
		t.Errorf(`"*" answers "*": %q %v`, got, ok)
	}
}

func TestCORSProblems(t *testing.T) {
	if p := (CORS{}).Problems(); len(p) > 0 {
		t.Fatalf("off is fine: %v", p)
	}
	good := CORS{AllowOrigins: []string{"https://app.example.com", "https://localhost:3000"}, AllowMethods: []string{"GET", "POST"},
		AllowHeaders: []string{"authorization", "x-request-id"}, ExposeHeaders: []string{"x-next-cursor"}, MaxAge: 86400, AllowCredentials: true}
	if p := good.Problems(); len(p) > 0 {
		t.Fatalf("good: %v", p)
	}
	bad := CORS{AllowOrigins: []string{"*", "https://a.example.com/x", "ftp://a.example.com", "https://user@a.example.com", "https://A.example.com", "https://b.example.com:443"},
		AllowMethods: []string{"get", "*"}, AllowHeaders: []string{"a b", "*"}, ExposeHeaders: []string{"x:y"}, MaxAge: -1, AllowCredentials: true}
	got := strings.Join(bad.Problems(), "\n")
	for _, want := range []string{
		`allowOrigins: "*" already allows every origin`,
		`allowOrigins: "*" with allowCredentials`,
		`"https://a.example.com/x" has a path`,
		`"ftp://a.example.com" is not an https origin`,
		`"https://user@a.example.com" is not an https origin`,
		`"A.example.com" is not a lower-case host name`,
		`"https://b.example.com:443": browsers send an origin without its default port, so this one never matches; use https://b.example.com`,
		`allowMethods: "*" with allowCredentials: browsers read it literally`,
		`allowHeaders: "*" with allowCredentials`,
		`allowMethods: "get" is not one of`,
		`allowHeaders: "a b" is not a header name`,
		`exposeHeaders: "x:y" is not a header name`,
		"maxAge: -1 must be 0 to 86400 seconds",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}

func TestReceivesPreflight(t *testing.T) {
	for key, want := range map[string]bool{"ANY /billing/{proxy+}": true, "OPTIONS /a": true, "GET /a": false, "POST /todo": false} {
		if got := ReceivesPreflight(key); got != want {
			t.Errorf("ReceivesPreflight(%q) = %v", key, got)
		}
	}
}
