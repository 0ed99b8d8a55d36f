package stacks

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Browser callers (CORS) and limits of particular routes.

func TestConsumerCORS(t *testing.T) {
	t.Run("off by default", func(t *testing.T) {
		m, _, err := runConsumerStack(t, validConsumerConfig(), twoProviders(), nil)
		require.NoError(t, err)
		require.NotContains(t, m.ByType("aws:apigatewayv2/api:Api")[0].Map(), "corsConfiguration")
	})

	t.Run("defaults from the routes", func(t *testing.T) {
		cfg := with(validConsumerConfig(), "cors", `{"allowOrigins": ["https://app.example.com"]}`)
		m, _, err := runConsumerStack(t, cfg, twoProviders(), nil)
		require.NoError(t, err)
		require.Equal(t, map[string]any{
			"allowOrigins":     []any{"https://app.example.com"},
			"allowMethods":     []any{"DELETE", "GET", "POST"},
			"allowHeaders":     []any{"authorization", "content-type"},
			"exposeHeaders":    []any{},
			"maxAge":           0.0,
			"allowCredentials": false,
		}, m.ByType("aws:apigatewayv2/api:Api")[0].Map()["corsConfiguration"], "the methods the providers serve, the headers a JSON API with tokens needs")
	})

	t.Run("everything set", func(t *testing.T) {
		cfg := with(validConsumerConfig(), "cors", `{"allowOrigins": ["https://app.example.com", "https://admin.example.com:8443"],
			"allowMethods": ["GET"], "allowHeaders": ["authorization"], "exposeHeaders": ["x-next-cursor"], "maxAge": 600, "allowCredentials": true}`)
		m, _, err := runConsumerStack(t, cfg, twoProviders(), nil)
		require.NoError(t, err)
		require.Equal(t, map[string]any{
			"allowOrigins":     []any{"https://app.example.com", "https://admin.example.com:8443"},
			"allowMethods":     []any{"GET"},
			"allowHeaders":     []any{"authorization"},
			"exposeHeaders":    []any{"x-next-cursor"},
			"maxAge":           600.0,
			"allowCredentials": true,
		}, m.ByType("aws:apigatewayv2/api:Api")[0].Map()["corsConfiguration"])
	})

	t.Run("a prefix route with JWT would refuse preflights", func(t *testing.T) {
		providers := twoProviders()
		providers[billingStack] = providerContract(billingService, "ANY /billing/{proxy+}")
		jwt := []string{"jwtIssuer", "https://issuer.example.com", "jwtAudiences", `["client"]`, "cors", `{"allowOrigins": ["https://app.example.com"]}`}
		cfg := with(validConsumerConfig(dognamesStack, todoStack, billingStack), jwt...)
		m, _, err := runConsumerStack(t, cfg, providers, nil)
		require.ErrorContains(t, err, `provider stack organization/private-apis/billing's route "ANY /billing/{proxy+}" would get browsers' CORS preflights`)
		require.ErrorContains(t, err, "add it to private-apis:publicRoutes")
		require.Empty(t, customResources(m))

		_, _, err = runConsumerStack(t, with(cfg, "publicRoutes", `["ANY /billing/{proxy+}"]`), providers, nil)
		require.NoError(t, err, "public: its backend answers the preflights")
		_, _, err = runConsumerStack(t, with(cfg, "cors", "<unset>"), providers, nil)
		require.NoError(t, err, "without CORS there are no preflights")
	})
}

func TestConsumerRefusesBadCORS(t *testing.T) {
	tests := []struct{ name, cors, want string }{
		{"any origin with credentials", `{"allowOrigins": ["*"], "allowCredentials": true}`, `allowOrigins: "*" with allowCredentials`},
		{"http origin", `{"allowOrigins": ["http://app.example.com"]}`, `allowOrigins: "http://app.example.com" is not an https origin`},
		{"origin with a path", `{"allowOrigins": ["https://app.example.com/"]}`, `"https://app.example.com/" has a path; an origin is scheme, host and port only, e.g. https://app.example.com`},
		{"bare host", `{"allowOrigins": ["app.example.com"]}`, `"app.example.com" is not an https origin`},
		{"upper-case host", `{"allowOrigins": ["https://App.example.com"]}`, "is not a lower-case host name"},
		{"unknown method", `{"allowOrigins": ["https://a.example.com"], "allowMethods": ["FETCH"]}`, `allowMethods: "FETCH" is not one of`},
		{"bad header", `{"allowOrigins": ["https://a.example.com"], "allowHeaders": ["x api key"]}`, `allowHeaders: "x api key" is not a header name`},
		{"max age", `{"allowOrigins": ["https://a.example.com"], "maxAge": 100000}`, "maxAge: 100000 must be 0 to 86400 seconds"},
		{"settings without origins", `{"allowCredentials": true}`, "allowOrigins is empty, so CORS is off"},
		{"misspelt field", `{"allowOrigin": ["https://a.example.com"]}`, `unknown field "allowOrigin"`},
		{"not a map", `["https://a.example.com"]`, "not CORS settings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := runConsumerStack(t, with(validConsumerConfig(), "cors", tt.cors), twoProviders(), nil)
			require.ErrorContains(t, err, "private-apis:cors")
			require.ErrorContains(t, err, tt.want)
			require.Empty(t, customResources(m))
		})
	}
}

func TestConsumerRouteThrottling(t *testing.T) {
	cfg := with(validConsumerConfig(), "routeThrottling", `{"POST /todo": {"rateLimit": 2, "burstLimit": 5}, "GET /dogs": {"rateLimit": 200, "burstLimit": 400}}`)
	m, _, err := runConsumerStack(t, cfg, twoProviders(), nil)
	require.NoError(t, err)

	stage := m.ByType("aws:apigatewayv2/stage:Stage")[0].Map()
	defaults := stage["defaultRouteSettings"].(map[string]any)
	require.EqualValues(t, 50, defaults["throttlingRateLimit"], "every other read route")
	got := map[string][2]float64{}
	for _, s := range stage["routeSettings"].([]any) {
		rs := s.(map[string]any)
		got[rs["routeKey"].(string)] = [2]float64{rs["throttlingRateLimit"].(float64), rs["throttlingBurstLimit"].(float64)}
	}
	require.Equal(t, map[string][2]float64{
		"POST /todo":        {2, 5},
		"GET /dogs":         {200, 400},
		"DELETE /todo/{id}": {10, 20},
	}, got, "the two routes as configured, the other write route at the write defaults")
}

func TestConsumerRefusesBadRouteThrottling(t *testing.T) {
	tests := []struct {
		name, value string
		want        []string
	}{
		{"a route nobody serves", `{"POST /todos": {"rateLimit": 5, "burstLimit": 10}}`, []string{`private-apis:routeThrottling names "POST /todos", which no provider serves; did you mean "POST /todo"`}},
		{"wrong method", `{"PUT /todo": {"rateLimit": 5, "burstLimit": 10}}`, []string{`names "PUT /todo"`, `"GET /todo"`}},
		{"far from everything", `{"GET /orders": {"rateLimit": 5, "burstLimit": 10}}`, []string{`names "GET /orders"`, "the routes are: DELETE /todo/{id}, GET /dogs"}},
		{"not a route key", `{"/todo": {"rateLimit": 5, "burstLimit": 10}}`, []string{"private-apis:routeThrottling", `"/todo" must be "METHOD /path"`}},
		{"zero rate", `{"POST /todo": {"rateLimit": 0, "burstLimit": 10}}`, []string{`private-apis:routeThrottling = "POST /todo": {rateLimit: 0}: rateLimit must be 1 to 10000`}},
		{"burst left out", `{"POST /todo": {"rateLimit": 5}}`, []string{`private-apis:routeThrottling = "POST /todo": {burstLimit: 0}: burstLimit must be 1 to 10000; give each route both`}},
		{"misspelt field", `{"POST /todo": {"rate": 5, "burstLimit": 10}}`, []string{"private-apis:routeThrottling", `unknown field "rate"`}},
		{"a number", `{"POST /todo": 5}`, []string{"private-apis:routeThrottling", "not a map of route keys to limits"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := runConsumerStack(t, with(validConsumerConfig(), "routeThrottling", tt.value), twoProviders(), nil)
			require.Error(t, err)
			for _, want := range tt.want {
				require.ErrorContains(t, err, want)
			}
			require.Empty(t, customResources(m))
		})
	}
}
