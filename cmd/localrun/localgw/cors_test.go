package localgw

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/contract"
)

// corsBackend answers every request with CORS headers of its own, which
// the API must replace, and says which requests reached it.
func corsBackend(reached chan<- string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached <- r.Method + " " + r.URL.Path
		w.Header().Set("Access-Control-Allow-Origin", "https://evil.example.com")
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Set("X-Next-Cursor", "abc")
		_, _ = w.Write([]byte("ok"))
	})
}

func preflight(origin, method string) http.Header {
	return http.Header{"Origin": {origin}, "Access-Control-Request-Method": {method}, "Access-Control-Request-Headers": {"authorization,content-type"}}
}

func TestCORS(t *testing.T) {
	reached := make(chan string, 16)
	f := newFixture(t, corsBackend(reached), func(c *Config) {
		c.CORS = apirules.CORS{AllowOrigins: []string{"https://app.example.com"}, ExposeHeaders: []string{"x-next-cursor"}, MaxAge: 600, AllowCredentials: true}
	})

	t.Run("preflight from an allowed origin", func(t *testing.T) {
		resp, body := do(t, http.MethodOptions, f.url+"/todo", nil, preflight("https://app.example.com", "POST"))
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
		require.Empty(t, body)
		require.Equal(t, "https://app.example.com", resp.Header.Get("Access-Control-Allow-Origin"))
		require.Equal(t, "DELETE,GET,POST", resp.Header.Get("Access-Control-Allow-Methods"), "the routes' methods by default")
		require.Equal(t, "authorization,content-type", resp.Header.Get("Access-Control-Allow-Headers"))
		require.Equal(t, "600", resp.Header.Get("Access-Control-Max-Age"))
		require.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
		require.Equal(t, "Origin", resp.Header.Get("Vary"))
		require.Empty(t, reached, "the API answers preflights itself")
	})

	t.Run("preflight from another origin", func(t *testing.T) {
		resp, _ := do(t, http.MethodOptions, f.url+"/todo", nil, preflight("https://evil.example.com", "POST"))
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
		for name := range resp.Header {
			require.NotContains(t, name, "Access-Control-", "no permission: the browser refuses the call")
		}
		require.Empty(t, reached)
	})

	t.Run("preflight on a path no route serves", func(t *testing.T) {
		resp, _ := do(t, http.MethodOptions, f.url+"/nope", nil, preflight("https://app.example.com", "GET"))
		require.Equal(t, http.StatusNoContent, resp.StatusCode, "answered from the CORS config, whatever the path")
	})

	t.Run("the call after it", func(t *testing.T) {
		resp, body := do(t, http.MethodGet, f.url+"/todo", nil, http.Header{"Origin": {"https://app.example.com"}})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "ok", body)
		require.Equal(t, "GET /todo", <-reached)
		require.Equal(t, "https://app.example.com", resp.Header.Get("Access-Control-Allow-Origin"), "the API's headers, not the backend's")
		require.Equal(t, "x-next-cursor", resp.Header.Get("Access-Control-Expose-Headers"))
		require.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
		require.Equal(t, "abc", resp.Header.Get("X-Next-Cursor"))
	})

	t.Run("a call from another origin", func(t *testing.T) {
		resp, _ := do(t, http.MethodGet, f.url+"/todo", nil, http.Header{"Origin": {"https://evil.example.com"}})
		require.Equal(t, http.StatusOK, resp.StatusCode, "CORS is the browser's to enforce; the API answers")
		<-reached
		require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "the backend's permission is dropped")
		require.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"))
	})

	t.Run("OPTIONS without preflight headers is routed", func(t *testing.T) {
		resp, _ := do(t, http.MethodOptions, f.url+"/todo", nil, http.Header{"Origin": {"https://app.example.com"}})
		require.Equal(t, http.StatusNotFound, resp.StatusCode, "no OPTIONS /todo route")
	})
}

// TestCORSPreflightToAnAnyRoute: a route that matches OPTIONS (ANY or
// OPTIONS) gets the preflight, as API Gateway sends it there.
func TestCORSPreflightToAnAnyRoute(t *testing.T) {
	reached := make(chan string, 4)
	f := newFixture(t, corsBackend(reached), func(c *Config) {
		c.Backends = append(c.Backends, Backend{Service: contract.Service{Name: "billing", Port: 8080, HealthCheckPath: "/healthz", Routes: []string{"ANY /billing/{proxy+}"}}, URL: c.Backends[0].URL})
		c.CORS = apirules.CORS{AllowOrigins: []string{"*"}}
	})
	resp, _ := do(t, http.MethodOptions, f.url+"/billing/invoices", nil, preflight("https://app.example.com", "PUT"))
	require.Equal(t, http.StatusOK, resp.StatusCode, "the backend's answer")
	require.Equal(t, "OPTIONS /billing/invoices", <-reached)
	require.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
	require.Empty(t, resp.Header.Get("Vary"))

	resp, _ = do(t, http.MethodOptions, f.url+"/dogs", nil, preflight("https://app.example.com", "GET"))
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Methods"), "an ANY route allows every method")
}

func TestCORSOff(t *testing.T) {
	reached := make(chan string, 4)
	f := newFixture(t, corsBackend(reached), nil)
	resp, _ := do(t, http.MethodOptions, f.url+"/todo", nil, preflight("https://app.example.com", "POST"))
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "no CORS config: a preflight is a request like any other")
	resp, _ = do(t, http.MethodGet, f.url+"/todo", nil, http.Header{"Origin": {"https://app.example.com"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	<-reached
	require.Equal(t, "https://evil.example.com", resp.Header.Get("Access-Control-Allow-Origin"), "without CORS config the backend's headers pass")
}

func TestCORSRefusesBadConfig(t *testing.T) {
	u, err := url.Parse("http://127.0.0.1:1")
	require.NoError(t, err)
	_, err = New(Config{Backends: []Backend{{Service: contract.Todo, URL: u}}, Throttling: lenientThrottling,
		CORS: apirules.CORS{AllowOrigins: []string{"*"}, AllowCredentials: true}})
	require.ErrorContains(t, err, `cors: allowOrigins: "*" with allowCredentials`)
}
