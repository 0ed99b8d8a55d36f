package stacks

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

// The consumer across the deployments of its life: previews, providers
// added, removed and reordered, long stack names, and a provider that
// accepts each connection itself.

const ordersStack = "acme/private-apis/orders"

func threeProviders() map[string]map[string]any {
	p := twoProviders()
	p[ordersStack] = providerContract(ordersService, "GET /orders", "POST /orders")
	return p
}

// withEveryOption is a consumer config with every opt-in of the README on:
// a custom domain, CORS, a route's own limit, alarms.
// A REST API has no CORS; it has source IP ranges instead.
func withEveryOption(cfg map[string]string) map[string]string {
	cfg = with(cfg, "domainName", "api.example.com", "hostedZoneId", testZoneID,
		"routeThrottling", `{"GET /dogs": {"rateLimit": 5, "burstLimit": 10}}`,
		"monitoring", "true", "alarmEmail", "oncall@example.com")
	if cfg["apiType"] == "rest" {
		return with(cfg, "deniedSourceIps", `["198.51.100.7/32"]`)
	}
	return with(cfg, "cors", `{"allowOrigins": ["https://app.example.com"]}`)
}

// ownedBy reports whether a consumer resource belongs to one provider: its
// backend's resources, its alarms, and the routes of its route keys.
func ownedBy(r fakeaws.Resource, stack string, routes []any) bool {
	if strings.HasPrefix(r.Name, apiName+"-"+backendName(stack)) || strings.HasPrefix(r.Name, monitoringName+"-"+backendName(stack)) {
		return true
	}
	if r.Type == "aws:apigatewayv2/route:Route" {
		return slices.Contains(routes, r.Map()["routeKey"])
	}
	// A REST method's own limits are named after its route key.
	for _, route := range routes {
		if r.Name == apiName+"-"+components.RouteResourceName(route.(string))+"-limits" {
			return true
		}
	}
	return false
}

// TestConsumerProviderListChanges deploys the consumer, changes the list of
// providers as teams come and go, and deploys again: the providers that
// stay keep every one of their resources exactly as they were. Rule
// priorities and names that moved with list positions would change them,
// and AWS refuses a priority another rule still holds.
func TestConsumerProviderListChanges(t *testing.T) {
	tests := []struct {
		name          string
		before, after []string
	}{
		{"a provider added at the front", []string{dognamesStack, todoStack}, []string{ordersStack, dognamesStack, todoStack}},
		{"a provider added at the end", []string{dognamesStack, todoStack}, []string{dognamesStack, todoStack, ordersStack}},
		{"the first provider removed", []string{ordersStack, dognamesStack, todoStack}, []string{dognamesStack, todoStack}},
		{"providers reordered", []string{dognamesStack, todoStack, ordersStack}, []string{todoStack, ordersStack, dognamesStack}},
		{"another org's stack of the same name added", []string{dognamesStack, todoStack}, []string{"acme/private-apis/ecs-provider", dognamesStack, todoStack}},
	}
	for _, tt := range tests {
		for _, options := range []struct {
			name  string
			apply func(map[string]string) map[string]string
		}{{"defaults", func(c map[string]string) map[string]string { return c }}, {"every option", withEveryOption}} {
			for _, api := range apiTypes {
				t.Run(tt.name+"/"+options.name+"/"+api.name, func(t *testing.T) {
					providerListChange(t, api.config, options.apply, tt.before, tt.after)
				})
			}
		}
	}
}

// providerListChange deploys the consumer with the providers before, then
// after, and checks the providers in both kept all their resources.
func providerListChange(t *testing.T, config func(...string) map[string]string, apply func(map[string]string) map[string]string, before, after []string) {
	providers := threeProviders()
	providers["acme/private-apis/ecs-provider"] = providerContract(acmeService, "GET /cats")
	m := fakeaws.New()
	m.Account = "111111111111"
	m.StackOutputs = providers
	withAccountDomains(m)
	_, err := m.Run("consumer", apply(config(before...)), repoRoot(t), Run)
	require.NoError(t, err)
	bodyBefore := restOperations(t, m)
	_, err = m.Run("consumer", apply(config(after...)), repoRoot(t), Run)
	require.NoError(t, err, "the second deployment")
	bodyAfter := restOperations(t, m)

	changes := m.Changes()
	for _, stack := range before {
		if !slices.Contains(after, stack) {
			continue
		}
		routes := providers[stack]["routes"].([]any)
		owned := 0
		for _, r := range m.Resources() {
			if !ownedBy(r, stack, routes) {
				continue
			}
			owned++
			key := r.Type + " " + r.Name
			require.NotContains(t, changes.Changed, key, "%s stays, so its %s must not change", stack, key)
			require.NotContains(t, changes.Added, key)
		}
		if config()["apiType"] == "rest" {
			// Its methods are entries of the API's body, which stay as
			// they were.
			require.GreaterOrEqual(t, owned, 5, "%s: endpoint, target group, targets, listener", stack)
			for _, route := range routes {
				require.NotNil(t, bodyBefore[route.(string)], route)
				require.Equal(t, bodyBefore[route.(string)], bodyAfter[route.(string)], "%s stays, so its method %s must not change", stack, route)
			}
		} else {
			require.GreaterOrEqual(t, owned, 8, "%s: endpoint, target group, targets, rule, integrations, routes", stack)
		}
		for _, key := range changes.Removed {
			require.NotContains(t, key, backendName(stack), "%s stays, so none of its resources go", stack)
		}
	}
}

// TestConsumerLongProviderStackNames: names the consumer derives from a
// provider's stack must fit AWS's limits (a target group name has 32
// characters, Pulumi's autonaming takes 8) whatever the stack is called,
// in a preview and an update, with the full name kept in the tags.
func TestConsumerLongProviderStackNames(t *testing.T) {
	stacks := []string{
		"organization/private-apis/dognames-production",
		"organization/private-apis/billing-payments-prod-usw2",
		"acme-platform/payments/billing-payments-production-us-west-2-blue",
		"acme-platform/payments/billing-payments-production-us-west-2-green",
		"o/p/A_Stack.With.Dots",
	}
	providers := map[string]map[string]any{}
	for i, s := range stacks {
		providers[s] = providerContract(fmt.Sprintf("vpce-svc-0a1b2c3d4e5f607%02x", i), fmt.Sprintf("GET /svc%d", i))
	}
	for _, api := range apiTypes {
		for _, preview := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/preview=%v", api.name, preview), func(t *testing.T) {
				cfg := with(withEveryOption(api.config(stacks...)), "routeThrottling", `{"GET /svc0": {"rateLimit": 5, "burstLimit": 10}}`, "publicRoutes", "<unset>")
				longStackNames(t, cfg, providers, stacks, preview)
			})
		}
	}
	require.Equal(t, "dognames-pro-"+stackHash(stacks[0])[:4], backendName(stacks[0]), "as much of the name as fits, and a hash of all of it")
	require.NotEqual(t, backendName(stacks[2]), backendName(stacks[3]), "names that start alike still differ")
	require.Equal(t, "a-stack-with-"+stackHash(stacks[4])[:4], backendName(stacks[4]))
}

func longStackNames(t *testing.T, cfg map[string]string, providers map[string]map[string]any, stacks []string, preview bool) {
	m, _, err := runConsumerStack(t, cfg, providers, func(m *fakeaws.AWS) {
		withAccountDomains(m)
		m.Preview = preview
	})
	require.NoError(t, err, "every name fits AWS's rules, alarms' included")
	alarms := 2 + 2*len(stacks) // the API's two, and each provider's targets and 5xx
	if cfg["apiType"] == "rest" {
		alarms = 3 + len(stacks) // the API's two and WAF's, and each provider's targets
	}
	require.Len(t, m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm"), alarms)
	tgs := m.ByType("aws:lb/targetGroup:TargetGroup")
	require.Len(t, tgs, len(stacks))
	var tagged []any
	for _, tg := range tgs {
		tagged = append(tagged, tg.Map()["tags"].(map[string]any)["private-apis:provider"])
	}
	require.ElementsMatch(t, stacks, tagged, "the full names are in the tags")
}

// TestConsumerFirstDeploymentWithAcceptance runs a first deployment with a
// provider that accepts each connection itself, in the order `make up`
// runs it: the provider (nothing to accept yet), the consumer (its endpoint
// waits, so it is created without targets, and the consumer exports it),
// the provider again (it accepts that endpoint and says so in its
// contract), and the consumer again, which registers the endpoint's
// addresses: traffic can flow.
func TestConsumerFirstDeploymentWithAcceptance(t *testing.T) {
	for _, api := range apiTypes {
		t.Run(api.name, func(t *testing.T) { firstDeploymentWithAcceptance(t, api.config()) })
	}
}

func firstDeploymentWithAcceptance(t *testing.T, consumerCfg map[string]string) {
	provider := fakeaws.New()
	provider.Account = "333333333333"
	provider.StackOutputs = map[string]map[string]any{consumerStackName: {}}
	providerCfg := with(validEC2Config(), "acceptanceRequired", "true", "consumerStack", consumerStackName)
	contract, err := provider.Run("ec2-provider", providerCfg, repoRoot(t), Run)
	require.NoError(t, err, "provider, first pass")
	require.Equal(t, true, contract["acceptanceRequired"])
	require.Empty(t, contract["acceptedEndpoints"], "nothing accepted yet")

	consumer := fakeaws.New()
	consumer.Account = "111111111111"
	consumer.AcceptanceRequired[contract["endpointServiceName"].(string)] = true
	consumer.StackOutputs = twoProviders()
	consumer.StackOutputs[todoStack] = contract
	exports, err := consumer.Run("consumer", consumerCfg, repoRoot(t), Run)
	require.NoError(t, err, "consumer, first pass: a pending endpoint doesn't fail it")
	todo := exports["providers"].(map[string]any)[todoStack].(map[string]any)
	require.Equal(t, false, todo["wired"])
	endpointID := todo["endpointId"].(string)
	attachments := consumer.ByType("aws:lb/targetGroupAttachment:TargetGroupAttachment")
	require.Len(t, attachments, 2, "the dog names' endpoint's addresses, one per AZ")
	for _, a := range attachments {
		require.NotContains(t, a.Name, backendName(todoStack), "no addresses to register while the endpoint waits")
	}

	provider.StackOutputs[consumerStackName] = exports
	contract, err = provider.Run("ec2-provider", providerCfg, repoRoot(t), Run)
	require.NoError(t, err, "provider, acceptance pass")
	accepters := provider.ByType("aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter")
	require.Len(t, accepters, 1)
	require.Equal(t, endpointID, accepters[0].Map()["vpcEndpointId"])
	require.Equal(t, map[string]string{consumerStackName: endpointID}, contract["acceptedEndpoints"])
	consumer.AcceptEndpoint(endpointID)

	consumer.StackOutputs[todoStack] = contract
	exports, err = consumer.Run("consumer", consumerCfg, repoRoot(t), Run)
	require.NoError(t, err, "consumer, second pass")
	require.Equal(t, true, exports["providers"].(map[string]any)[todoStack].(map[string]any)["wired"])
	changes := consumer.Changes()
	prefix := "aws:lb/targetGroupAttachment:TargetGroupAttachment " + apiName + "-" + backendName(todoStack) + "-target-"
	require.Equal(t, []string{prefix + "usw2-az1", prefix + "usw2-az2"}, changes.Added, "the endpoint's addresses become targets")
	require.Empty(t, changes.Changed)
	require.Empty(t, changes.Removed)
}

// TestConsumerSlotCollision finds two stack names whose derived rule
// priorities (HTTP) or NLB listener ports (REST) collide: the consumer
// refuses them with the fix, and pinning the one being added resolves it
// without moving the other.
func TestConsumerSlotCollision(t *testing.T) {
	tests := []struct {
		apiType, key, what, noun, token, suffix, field string
		derive                                         func(map[string]int, string) int
		pin                                            int
	}{
		{"http", "listenerRulePriorities", "load balancer rule priority", "priority", "aws:lb/listenerRule:ListenerRule", "-rule", "priority", rulePriority, 77},
		{"rest", "listenerPorts", "NLB listener port", "port", "aws:lb/listener:Listener", "-listener", "port", listenerPort, 24242},
	}
	for _, tt := range tests {
		t.Run(tt.apiType, func(t *testing.T) {
			seen := map[int]string{}
			var first, second string
			for i := 0; first == ""; i++ {
				stack := fmt.Sprintf("organization/private-apis/svc%d", i)
				p := tt.derive(nil, stack)
				if other, ok := seen[p]; ok {
					first, second = other, stack
				}
				seen[p] = stack
			}
			providers := map[string]map[string]any{
				first:  providerContract("vpce-svc-0a1b2c3d4e5f60701", "GET /a"),
				second: providerContract("vpce-svc-0a1b2c3d4e5f60702", "GET /b"),
			}
			config := func(stacks ...string) map[string]string {
				return with(validConsumerConfig(stacks...), "apiType", tt.apiType)
			}
			_, _, err := runConsumerStack(t, config(first, second), providers, nil)
			require.ErrorContains(t, err, fmt.Sprintf("provider stacks %s and %s both get %s %d", first, second, tt.what, tt.derive(nil, first)))
			require.ErrorContains(t, err, fmt.Sprintf("pin the one you are adding to a free %s in private-apis:%s, e.g. {%q:", tt.noun, tt.key, second))

			// The first is deployed alone, then the second is added with a pin.
			m, _, err := runConsumerStack(t, config(first), providers, nil)
			require.NoError(t, err)
			firstName := apiName + "-" + backendName(first) + tt.suffix
			before, ok := m.Named(tt.token, firstName)
			require.True(t, ok)
			_, err = m.Run("consumer", with(config(first, second), tt.key, fmt.Sprintf(`{%q: %d}`, second, tt.pin)), repoRoot(t), Run)
			require.NoError(t, err)
			after, ok := m.Named(tt.token, firstName)
			require.True(t, ok)
			require.Equal(t, before.Map()[tt.field], after.Map()[tt.field], "the provider already deployed keeps its %s", tt.noun)
			require.NotContains(t, m.Changes().Changed, tt.token+" "+firstName)
			pinned, ok := m.Named(tt.token, apiName+"-"+backendName(second)+tt.suffix)
			require.True(t, ok)
			require.EqualValues(t, tt.pin, pinned.Map()[tt.field])
		})
	}
}
