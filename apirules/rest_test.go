package apirules

import (
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClientsProblems(t *testing.T) {
	ok := ClientPlan{RateLimit: 10, BurstLimit: 20}
	tests := []struct {
		name    string
		clients Clients
		want    []string // each problem's value, in order
	}{
		{"none", nil, nil},
		{"a plan without a quota", Clients{"partner-a": ok}, nil},
		{"a quota", Clients{"partner-a": {RateLimit: 1, BurstLimit: 1, QuotaLimit: 5, QuotaPeriod: "WEEK"}}, nil},
		{"a name in capitals", Clients{"Partner": ok}, []string{`"Partner"`}},
		{"a name too long", Clients{"a23456789012345678901234567890123": ok}, []string{`"a23456789012345678901234567890123"`}},
		{"a name ending in a dash", Clients{"partner-": ok}, []string{`"partner-"`}},
		{"no limits", Clients{"p": {}}, []string{"p: {rateLimit: 0}", "p: {burstLimit: 0}"}},
		{"a rate over the account's", Clients{"p": {RateLimit: MaxRouteRate + 1, BurstLimit: 1}}, []string{"p: {rateLimit: 10001}"}},
		{"a negative quota", Clients{"p": {RateLimit: 1, BurstLimit: 1, QuotaLimit: -1}}, []string{"p: {quotaLimit: -1}"}},
		{"a period without a quota", Clients{"p": {RateLimit: 1, BurstLimit: 1, QuotaPeriod: "DAY"}}, []string{"p: {quotaPeriod: DAY}"}},
		{"a quota without a period", Clients{"p": {RateLimit: 1, BurstLimit: 1, QuotaLimit: 3}}, []string{`p: {quotaPeriod: ""}`}},
		{"a period in lower case", Clients{"p": {RateLimit: 1, BurstLimit: 1, QuotaLimit: 3, QuotaPeriod: "day"}}, []string{`p: {quotaPeriod: "day"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range tt.clients.Problems() {
				require.Equal(t, KeyClients, p.Key)
				require.NotEmpty(t, p.Problem)
				got = append(got, p.Value)
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestKeyRequired(t *testing.T) {
	clients := Clients{"p": {RateLimit: 1, BurstLimit: 1}}
	require.True(t, clients.KeyRequired(nil, "GET /todo"), "with clients, every route by default")
	require.False(t, clients.KeyRequired([]string{"GET /dogs"}, "GET /dogs"), "but the public ones")
	require.False(t, Clients(nil).KeyRequired(nil, "GET /todo"), "without clients there is no key to give")
}

func TestTypeChoices(t *testing.T) {
	clients := Clients{"p": {RateLimit: 1, BurstLimit: 1}}
	cors := CORS{AllowOrigins: []string{"https://app.example.com"}}
	tests := []struct {
		name    string
		choices TypeChoices
		keys    []string
	}{
		{"http as it was", TypeChoices{Type: ApiTypeHTTP, JWTIssuer: "https://i.example.com", CORS: cors, PublicRoutes: []string{"GET /dogs"}}, nil},
		{"rest with clients", TypeChoices{Type: ApiTypeREST, Clients: clients, PublicRoutes: []string{"GET /dogs"}}, nil},
		{"clients on http", TypeChoices{Type: ApiTypeHTTP, Clients: clients}, []string{KeyClients}},
		{"JWT and CORS on rest", TypeChoices{Type: ApiTypeREST, JWTIssuer: "https://i.example.com", CORS: cors}, []string{KeyJwtIssuer, KeyCORS}},
		{"public routes on rest without clients", TypeChoices{Type: ApiTypeREST, PublicRoutes: []string{"GET /dogs"}}, []string{KeyPublicRoutes}},
		{"an unknown type", TypeChoices{Type: "REST"}, []string{KeyApiType}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys []string
			for _, p := range tt.choices.Problems() {
				keys = append(keys, p.Key)
				require.NotEmpty(t, p.Value)
			}
			require.Equal(t, tt.keys, keys)
		})
	}
}

// TestRESTAccessLogFields: a REST API logs every field an HTTP API does,
// so one query reads both, and the key's ID, never the key.
func TestRESTAccessLogFields(t *testing.T) {
	for _, field := range slices.Sorted(maps.Keys(AccessLogFields)) {
		require.Contains(t, RESTAccessLogFields, field)
		require.NotEmpty(t, RESTAccessLogFields[field])
	}
	require.Equal(t, "$context.identity.apiKeyId", RESTAccessLogFields["apiKeyId"])
	for field, variable := range RESTAccessLogFields {
		require.NotEqual(t, "$context.identity.apiKey", variable, "%s would log the key", field)
	}
	require.NotEqual(t, AccessLogFields["integrationStatus"], RESTAccessLogFields["integrationStatus"], "REST names it differently")
}
