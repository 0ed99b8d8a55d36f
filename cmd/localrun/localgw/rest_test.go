package localgw

import (
	"io"
	"net/http"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/apirules"
)

// testKeys are the clients' API keys, in API Gateway's shapes.
var testKeys = map[string]APIKey{
	"partner-a": {ID: "a1b2c3d4e5", Value: "AAAAAAAAAAaaaaaaaaaa0000000000AAAAAAAAAA"},
	"partner-b": {ID: "f6g7h8i9j0", Value: "BBBBBBBBBBbbbbbbbbbb1111111111BBBBBBBBBB"},
	// gone was a client once: its key is still in the keys file.
	"gone": {ID: "k1l2m3n4o5", Value: "CCCCCCCCCCcccccccccc2222222222CCCCCCCCCC"},
}

// testClock is a clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *testClock) set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

func (c *testClock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// backendSaw is what the backend received of a request.
type backendSaw struct {
	users, apiKeys []string
}

// restFixture runs a REST API gateway with clients partner-a and partner-b,
// GET /dogs public, in front of a backend that reports what it saw.
func restFixture(t *testing.T, clients apirules.Clients, mutate func(*Config)) (*fixture, chan backendSaw, *testClock) {
	t.Helper()
	saw := make(chan backendSaw, 100)
	clock := &testClock{now: time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)} // a Wednesday
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw <- backendSaw{users: r.Header.Values(apirules.UserHeader), apiKeys: r.Header.Values(apirules.APIKeyHeader)}
	}), func(c *Config) {
		c.REST = &REST{Clients: clients, PublicRoutes: []string{"GET /dogs"}}
		c.APIKeys = testKeys
		c.Now = clock.Now
		if mutate != nil {
			mutate(c)
		}
	})
	return f, saw, clock
}

var lenientClients = apirules.Clients{
	"partner-a": {RateLimit: 1000, BurstLimit: 1000},
	"partner-b": {RateLimit: 1000, BurstLimit: 1000},
}

func keyHeader(key string, more ...string) http.Header {
	h := http.Header{}
	if key != "" {
		h.Set(apirules.APIKeyHeader, key)
	}
	for i := 0; i+1 < len(more); i += 2 {
		h.Set(more[i], more[i+1])
	}
	return h
}

func TestRESTAPIKeys(t *testing.T) {
	f, saw, _ := restFixture(t, lenientClients, nil)
	tests := []struct {
		name, method, path, key string
		status                  int
		body                    string
		user                    string // x-user-id at the backend; "" when not reached
	}{
		{"no key", "GET", "/todo", "", 403, apirules.RESTForbiddenBody, ""},
		{"an unknown key", "GET", "/todo", "nope-nope-nope-nope-nope", 403, apirules.RESTForbiddenBody, ""},
		{"a key in the wrong case", "GET", "/todo", "aaaaaaaaaaaaaaaaaaaa0000000000aaaaaaaaaa", 403, apirules.RESTForbiddenBody, ""},
		{"a removed client's key", "POST", "/todo", testKeys["gone"].Value, 403, apirules.RESTForbiddenBody, ""},
		{"partner-a's key", "GET", "/todo", testKeys["partner-a"].Value, 200, "", testKeys["partner-a"].ID},
		{"partner-b's key on a write", "DELETE", "/todo/1", testKeys["partner-b"].Value, 200, "", testKeys["partner-b"].ID},
		{"a public route without a key", "GET", "/dogs", "", 200, "", restAnonymous},
		{"a public route with a bad key", "GET", "/dogs", "nope-nope-nope-nope-nope", 200, "", restAnonymous},
		{"no route", "GET", "/cats", testKeys["partner-a"].Value, 403, `{"message":"Missing Authentication Token"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Whatever x-user-id a client sends, the backend never sees it.
			resp, body := do(t, tt.method, f.url+tt.path, nil, keyHeader(tt.key, apirules.UserHeader, "mallory"))
			require.Equal(t, tt.status, resp.StatusCode, body)
			require.NotEmpty(t, resp.Header.Get("X-Amzn-Requestid"), "a REST API's request id header")
			if tt.body != "" {
				require.Equal(t, tt.body, body)
				require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			}
			if tt.user == "" {
				require.Empty(t, saw, "the backend was called")
				return
			}
			got := <-saw
			require.Equal(t, []string{tt.user}, got.users)
			require.Equal(t, []string{restAPIKeyStandIn}, got.apiKeys, "the key stays at the gateway; the backend gets '-', as deployed")
		})
	}
}

// TestRESTWithoutClients: a REST API without clients asks no route for a
// key, and every caller is anonymous.
func TestRESTWithoutClients(t *testing.T) {
	f, saw, _ := restFixture(t, nil, func(c *Config) { c.REST.PublicRoutes = nil })
	resp, _ := do(t, "POST", f.url+"/todo", nil, keyHeader(testKeys["partner-a"].Value, apirules.UserHeader, "mallory"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := <-saw
	require.Equal(t, []string{restAnonymous}, got.users)
	require.Equal(t, []string{restAPIKeyStandIn}, got.apiKeys, "a key sent where none is asked for doesn't reach the backend either")
}

// TestRESTClientThrottling: each client's rate and burst apply across its
// routes, before the route's own; another client and the public routes
// are not affected.
func TestRESTClientThrottling(t *testing.T) {
	f, _, clock := restFixture(t, apirules.Clients{
		"partner-a": {RateLimit: 1, BurstLimit: 2},
		"partner-b": {RateLimit: 1000, BurstLimit: 1000},
	}, func(c *Config) {
		c.Throttling = Throttling{RateLimit: 1, BurstLimit: 2, WriteRateLimit: 1, WriteBurstLimit: 2}
	})
	a, b := testKeys["partner-a"].Value, testKeys["partner-b"].Value
	steps := []struct {
		method, path, key string
		status            int
		body              string
	}{
		{"GET", "/todo", a, 200, ""},
		{"POST", "/todo", a, 200, ""},
		{"GET", "/todo/1", a, 429, apirules.RESTTooManyRequestsBody}, // partner-a's burst of 2 is spent
		{"GET", "/todo", b, 200, ""},
		{"GET", "/todo", b, 429, apirules.RESTTooManyRequestsBody}, // GET /todo's own burst of 2 is spent
		{"GET", "/dogs", "", 200, ""},
	}
	for i, s := range steps {
		resp, body := do(t, s.method, f.url+s.path, nil, keyHeader(s.key))
		require.Equal(t, s.status, resp.StatusCode, "step %d: %s %s: %s", i+1, s.method, s.path, body)
		if s.body != "" {
			require.Equal(t, s.body, body)
		}
	}
	clock.advance(time.Second)
	resp, _ := do(t, "GET", f.url+"/todo/1", nil, keyHeader(a))
	require.Equal(t, http.StatusOK, resp.StatusCode, "a second later partner-a has a token again")
}

// TestRESTQuota: a client's quota is spent, answered 429 Limit Exceeded,
// and reset at the next UTC day, ISO week (Monday) or month; requests
// refused for the client's rate or the route's throttling don't count.
func TestRESTQuota(t *testing.T) {
	for _, tt := range []struct {
		period     string
		start, end time.Time // a time in a period, and its period's end
	}{
		{"DAY", time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)},
		{"DAY", time.Date(2026, 3, 4, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600)), time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)},
		{"WEEK", time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)},
		{"WEEK", time.Date(2026, 3, 8, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)}, // a Sunday
		{"WEEK", time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)}, // a Monday
		{"MONTH", time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"MONTH", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(tt.period+" from "+tt.start.Format(time.RFC3339), func(t *testing.T) {
			f, _, clock := restFixture(t, apirules.Clients{
				"partner-a": {RateLimit: 1000, BurstLimit: 1000, QuotaLimit: 2, QuotaPeriod: tt.period},
				"partner-b": {RateLimit: 1000, BurstLimit: 1000, QuotaLimit: 1, QuotaPeriod: tt.period},
			}, nil)
			clock.set(tt.start)
			expect := func(key string, status int, body string) {
				t.Helper()
				resp, got := do(t, "GET", f.url+"/todo", nil, keyHeader(key))
				require.Equal(t, status, resp.StatusCode, got)
				if body != "" {
					require.Equal(t, body, got)
				}
			}
			a, b := testKeys["partner-a"].Value, testKeys["partner-b"].Value
			expect(a, 200, "")
			expect(a, 200, "")
			expect(a, 429, apirules.RESTLimitExceededBody)
			expect(b, 200, "") // quotas are the client's own
			expect(b, 429, apirules.RESTLimitExceededBody)
			clock.set(tt.end.Add(-time.Nanosecond))
			expect(a, 429, apirules.RESTLimitExceededBody)
			clock.set(tt.end)
			expect(a, 200, "")
			expect(a, 200, "")
			expect(a, 429, apirules.RESTLimitExceededBody)
		})
	}
}

// TestRESTQuotaUnderConcurrency: one client's requests at once spend its
// quota exactly: k are served, the rest answered Limit Exceeded. The clock
// stands still and the rates are generous, so only the quota refuses.
func TestRESTQuotaUnderConcurrency(t *testing.T) {
	const n, k = 50, 7
	f, saw, _ := restFixture(t, apirules.Clients{
		"partner-a": {RateLimit: 1000, BurstLimit: 1000, QuotaLimit: k, QuotaPeriod: "MONTH"},
	}, nil)
	client := &http.Client{Timeout: time.Minute}
	statuses, bodies, errs := make([]int, n), make([]string, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i], bodies[i], errs[i] = getWithKey(client, f.url+"/todo", testKeys["partner-a"].Value)
		})
	}
	wg.Wait()
	served := 0
	for i := range n {
		require.NoError(t, errs[i])
		switch statuses[i] {
		case http.StatusOK:
			served++
		case http.StatusTooManyRequests:
			require.Equal(t, apirules.RESTLimitExceededBody, bodies[i])
		default:
			t.Fatalf("request %d: %d %s", i, statuses[i], bodies[i])
		}
	}
	require.Equal(t, k, served)
	require.Len(t, saw, k, "only the served requests reach the backend")
}

// getWithKey GETs u with an API key, safe to call from any goroutine.
func getWithKey(client *http.Client, u, key string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set(apirules.APIKeyHeader, key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// TestRESTRefuses: the resource policy's source IP rule, as the gateway
// and the banner ask it.
func TestRESTRefuses(t *testing.T) {
	local := netip.MustParseAddr("127.0.0.1")
	prefixes := func(ss ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, s := range ss {
			out = append(out, netip.MustParsePrefix(s))
		}
		return out
	}
	require.False(t, (&REST{}).Refuses(local), "no ranges: everyone")
	require.False(t, (&REST{}).Refuses(netip.Addr{}), "no ranges: even an unreadable address")
	require.False(t, (&REST{AllowedSourceIPs: prefixes("127.0.0.0/8")}).Refuses(local))
	require.True(t, (&REST{AllowedSourceIPs: prefixes("127.0.0.0/8")}).Refuses(netip.Addr{}), "an unreadable address is in no allowed range")
	require.True(t, (&REST{AllowedSourceIPs: prefixes("203.0.113.0/24")}).Refuses(local))
	require.True(t, (&REST{AllowedSourceIPs: prefixes("127.0.0.0/8"), DeniedSourceIPs: prefixes("127.0.0.1/32")}).Refuses(local), "denied wins")
	require.False(t, (&REST{DeniedSourceIPs: prefixes("198.51.100.7/32")}).Refuses(local))
}

func TestRESTRefusedRequestsSpendNoQuota(t *testing.T) {
	f, _, clock := restFixture(t, apirules.Clients{
		"partner-a": {RateLimit: 1, BurstLimit: 2, QuotaLimit: 2, QuotaPeriod: "DAY"},
	}, func(c *Config) {
		c.Throttling = Throttling{RateLimit: 1, BurstLimit: 1, WriteRateLimit: 1, WriteBurstLimit: 1}
	})
	a := testKeys["partner-a"].Value
	expect := func(path string, status int, body string) {
		t.Helper()
		resp, got := do(t, "GET", f.url+path, nil, keyHeader(a))
		require.Equal(t, status, resp.StatusCode, got)
		if body != "" {
			require.Equal(t, body, got)
		}
	}
	expect("/todo", 200, "")                                     // the quota's first request
	expect("/todo", 429, apirules.RESTTooManyRequestsBody)       // GET /todo's own throttling
	expect("/dogs/males", 429, apirules.RESTTooManyRequestsBody) // the client's burst of 2
	clock.advance(time.Second)
	expect("/dogs/males", 200, "") // the quota's second request
	clock.advance(time.Second)
	expect("/dogs/females", 429, apirules.RESTLimitExceededBody)
}

func TestQuotaPeriodStart(t *testing.T) {
	for _, tt := range []struct {
		period string
		t      time.Time
		want   time.Time
	}{
		{"DAY", time.Date(2026, 3, 4, 23, 59, 59, 0, time.UTC), time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)},
		{"DAY", time.Date(2026, 3, 4, 20, 0, 0, 0, time.FixedZone("UTC-5", -5*3600)), time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)},
		{"WEEK", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},    // Monday
		{"WEEK", time.Date(2026, 3, 8, 23, 59, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},  // Sunday
		{"WEEK", time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC)}, // across a year
		{"MONTH", time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
	} {
		require.Equal(t, tt.want, periodStart(tt.period, tt.t), "%s of %s", tt.period, tt.t)
	}
}

// TestRESTSourceIPs: the resource policy's allowed and denied source IPs,
// refused as API Gateway refuses them.
func TestRESTSourceIPs(t *testing.T) {
	for _, tt := range []struct {
		name            string
		allowed, denied []string
		status          int
	}{
		{"allowed", []string{"127.0.0.0/8"}, nil, 200},
		{"not among the allowed", []string{"203.0.113.0/24"}, nil, 403},
		{"denied", nil, []string{"127.0.0.1/32"}, 403},
		{"denied wins over allowed", []string{"127.0.0.0/8"}, []string{"127.0.0.1/32"}, 403},
		{"another range denied", nil, []string{"198.51.100.7/32"}, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := restFixture(t, lenientClients, func(c *Config) {
				for _, s := range tt.allowed {
					c.REST.AllowedSourceIPs = append(c.REST.AllowedSourceIPs, netip.MustParsePrefix(s))
				}
				for _, s := range tt.denied {
					c.REST.DeniedSourceIPs = append(c.REST.DeniedSourceIPs, netip.MustParsePrefix(s))
				}
			})
			resp, body := do(t, "GET", f.url+"/dogs", nil, nil)
			require.Equal(t, tt.status, resp.StatusCode, body)
			if tt.status == 403 {
				require.JSONEq(t, `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: `+restResourceARN+`GET/dogs"}`, body)
			}
		})
	}
}

// TestRESTAccessLog: a REST API's fields, the caller's key id among them,
// never the key, whatever the request's fate.
func TestRESTAccessLog(t *testing.T) {
	f, _, _ := restFixture(t, lenientClients, nil)
	do(t, "GET", f.url+"/todo/7", nil, keyHeader(testKeys["partner-a"].Value))
	do(t, "GET", f.url+"/dogs", nil, nil)
	do(t, "GET", f.url+"/todo", nil, nil)
	do(t, "GET", f.url+"/dogs", nil, keyHeader(testKeys["partner-b"].Value))
	do(t, "GET", f.url+"/cats", nil, keyHeader(testKeys["partner-b"].Value))
	do(t, "GET", f.url+"/todo", nil, keyHeader(testKeys["gone"].Value))
	require.NoError(t, f.gw.Close())
	for name, k := range testKeys {
		require.NotContains(t, f.log.String(), k.Value, "%s's key value is in the access log", name)
	}
	lines := logLines(t, f.log)
	require.Len(t, lines, 6)
	for _, l := range lines {
		require.Len(t, l, len(apirules.RESTAccessLogFields), "exactly the deployed fields")
		for field := range apirules.RESTAccessLogFields {
			require.IsType(t, "", l[field], field)
		}
		require.NotContains(t, l, apirules.APIKeyHeader)
		require.Equal(t, "-", l["wafResponseCode"])
	}
	require.Equal(t, testKeys["partner-a"].ID, lines[0]["apiKeyId"])
	require.Equal(t, "GET /todo/{id}", lines[0]["routeKey"])
	require.Equal(t, "-", lines[1]["apiKeyId"])
	require.Equal(t, "403", lines[2]["status"])
	require.Equal(t, "-", lines[2]["integrationStatus"])
}

func TestRESTIntegrationTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), func(c *Config) {
		c.REST, c.IntegrationTimeout = &REST{}, 100*time.Millisecond
	})
	resp, body := do(t, "GET", f.url+"/dogs", nil, nil)
	require.Equal(t, http.StatusGatewayTimeout, resp.StatusCode)
	require.Equal(t, `{"message": "Endpoint request timed out"}`, body)
}

func TestRESTRefusesWhatTheStackWould(t *testing.T) {
	for name, tt := range map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"JWT":                           {func(c *Config) { c.JWT = &apirules.JWTAuth{Issuer: testIssuer, Audiences: []string{"a"}} }, `jwtIssuer = "` + testIssuer + `": a JWT authorizer is an HTTP API's`},
		"CORS":                          {func(c *Config) { c.CORS = apirules.CORS{AllowOrigins: []string{"https://app.example.com"}} }, `cors = "https://app.example.com": CORS on a REST API`},
		"public routes without clients": {func(c *Config) { c.REST.Clients = nil }, `publicRoutes = ["GET /dogs"]: on a REST API these are the routes that need no API key`},
		"a bad plan":                    {func(c *Config) { c.REST.Clients = apirules.Clients{"partner-a": {RateLimit: 0, BurstLimit: 1}} }, "clients = partner-a: {rateLimit: 0}"},
		"a client without a key":        {func(c *Config) { c.REST.Clients = apirules.Clients{"partner-c": {RateLimit: 1, BurstLimit: 1}} }, "client partner-c has no API key"},
		"an unserved public route":      {func(c *Config) { c.REST.PublicRoutes = []string{"GET /cats"} }, `publicRoutes names "GET /cats", which no backend serves`},
		"two clients with one key": {func(c *Config) {
			c.APIKeys = map[string]APIKey{"partner-a": testKeys["partner-a"], "partner-b": testKeys["partner-a"]}
		}, "clients partner-a and partner-b have the same API key"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := withBackends(t, Config{REST: &REST{Clients: lenientClients, PublicRoutes: []string{"GET /dogs"}}, APIKeys: testKeys})
			tt.mutate(&cfg)
			if cfg.JWT != nil {
				cfg.JWTKeys = testKeySet(t)
			}
			_, err := New(cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// testKeySet verifies the tokens of a local issuer made for the test.
func testKeySet(t *testing.T) oidc.KeySet {
	t.Helper()
	issuer, err := LoadLocalIssuer(filepath.Join(t.TempDir(), "key.pem"), testIssuer)
	require.NoError(t, err)
	return issuer.Keys()
}
