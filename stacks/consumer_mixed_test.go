package stacks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

const (
	billingStack = "organization/private-apis/billing"
	ordersStack2 = "acme/orders/prod"
)

// deployedBilling is the billing nlb-provider's contract as its stack
// exports it.
func deployedBilling(t *testing.T) map[string]any {
	t.Helper()
	out, err := runBilling(t, billingAccountMocks(), billingConfig())
	require.NoError(t, err)
	return out
}

// typeScriptContract is what the TypeScript provider of docs/providers.md
// exports, read as a StackReference reads it (JSON types).
func typeScriptContract(t *testing.T) map[string]any {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "contract", "testdata", "typescript-provider.json"))
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(body, &out))
	return out
}

// TestConsumerWithProvidersOfEveryKind: the built-in providers, an
// nlb-provider with a route prefix, and a provider written in TypeScript
// behind one API.
func TestConsumerWithProvidersOfEveryKind(t *testing.T) {
	providers := twoProviders()
	providers[billingStack] = deployedBilling(t)
	providers[ordersStack2] = typeScriptContract(t)
	m, out, err := runConsumerStack(t, validConsumerConfig(dognamesStack, todoStack, billingStack, ordersStack2), providers, nil)
	require.NoError(t, err)

	require.Len(t, m.ByType("aws:ec2/vpcEndpoint:VpcEndpoint"), 4)
	routes := map[string]string{}
	for _, r := range m.ByType("aws:apigatewayv2/route:Route") {
		routes[r.Map()["routeKey"].(string)] = r.Name
	}
	require.Equal(t, "api-any-billing-proxy", routes["ANY /billing/{proxy+}"], "the prefix is one route")
	require.Contains(t, routes, "ANY /orders/admin/{proxy+}")
	require.Contains(t, routes, "GET /orders/{id}")
	tg, ok := m.Named("aws:lb/targetGroup:TargetGroup", "api-"+backendName(ordersStack2)+"-tg")
	require.True(t, ok)
	require.EqualValues(t, 8443, tg.Map()["port"])
	require.Equal(t, "/health", tg.Map()["healthCheck"].(map[string]any)["path"])
	require.Len(t, out["providers"], 4)
}

// TestConsumerRefusesOverlappingPrefixes: a prefix that would capture
// another provider's route or prefix is refused, naming both stacks,
// before anything is created.
func TestConsumerRefusesOverlappingPrefixes(t *testing.T) {
	tests := []struct {
		name   string
		routes []any
		want   string
	}{
		{"a route under billing's prefix", []any{"GET /billing/reports"},
			`route prefix "ANY /billing/{proxy+}" of organization/private-apis/billing would capture "GET /billing/reports" of acme/private-apis/reports`},
		{"a prefix inside billing's", []any{"GET /billing/reports/{proxy+}"},
			`route prefix "ANY /billing/{proxy+}" of organization/private-apis/billing would capture "GET /billing/reports/{proxy+}" of acme/private-apis/reports`},
		{"a prefix over the dog names", []any{"GET /dogs/{proxy+}"},
			`route prefix "GET /dogs/{proxy+}" of acme/private-apis/reports would capture "GET /dogs/males" of organization/private-apis/ecs-provider`},
		{"a catch-all", []any{"ANY /{proxy+}"}, "a catch-all for every path is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			providers := twoProviders()
			providers[billingStack] = deployedBilling(t)
			providers["acme/private-apis/reports"] = providerContract(reportsService, tt.routes...)
			m, _, err := runConsumerStack(t, validConsumerConfig(dognamesStack, todoStack, billingStack, "acme/private-apis/reports"), providers, nil)
			require.ErrorContains(t, err, tt.want)
			require.Empty(t, customResources(m))
		})
	}
}

func TestConsumerRefusesAContractVersionItDoesNotRead(t *testing.T) {
	providers := twoProviders()
	providers[todoStack]["contractVersion"] = "2.0"
	m, _, err := runConsumerStack(t, validConsumerConfig(), providers, func(*fakeaws.AWS) {})
	require.ErrorContains(t, err, "provider stack organization/private-apis/ec2-provider exports contract version 2.0, and this consumer reads version 1.x: upgrade private-apis in the consumer's repository")
	require.Empty(t, customResources(m))
}
