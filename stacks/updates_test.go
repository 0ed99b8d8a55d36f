package stacks

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

// Updates after the first: what each change replaces under AWS's rules
// (internal/fakeaws/replace_rules.go), and that AWS takes it.

// TestProviderAvailabilityZoneChanges adds and removes a provider's AZs:
// its subnets stay where they are, an added AZ adds its own parts, and a
// removed one takes its parts and replaces the NLB (a Network Load
// Balancer can't lose a subnet in place), with a new target group beside
// the old one (one target group, one load balancer) and new compute in it,
// which the old compute serves beside until the endpoint service moves.
func TestProviderAvailabilityZoneChanges(t *testing.T) {
	for _, p := range []struct {
		role, svc string
		cfg       map[string]string
		// compute is replaced by compute that must be healthy in the new
		// target group before the endpoint service moves.
		compute []string
	}{
		{"ecs-provider", "dognames", validECSConfig(), []string{"aws:ecs/service:Service dognames-service"}},
		{"ec2-provider", "todo", validEC2Config(), []string{"aws:autoscaling/group:Group todo-asg"}},
	} {
		t.Run(p.role, func(t *testing.T) {
			m := fakeaws.New()
			m.Account = "222222222222"
			deploy := func(zones string) fakeaws.Changes {
				_, err := m.Run(p.role, with(p.cfg, "availabilityZoneIds", zones), repoRoot(t), Run)
				require.NoError(t, err, "AWS takes the update to %s", zones)
				return m.Changes()
			}
			parts := func(kind, zone string) []string {
				name := p.svc + "-" + kind + "-" + zone
				out := []string{"aws:ec2/subnet:Subnet " + name, "aws:ec2/routeTableAssociation:RouteTableAssociation " + name}
				if kind == "workload" {
					return append(out, "aws:ec2/routeTable:RouteTable "+name, "aws:ec2/route:Route "+name+"-egress")
				}
				nat := p.svc + "-nat-" + zone
				return append(out, "aws:ec2/eip:Eip "+nat, "aws:ec2/natGateway:NatGateway "+nat)
			}
			deploy(`["usw2-az1","usw2-az2"]`)

			added := deploy(`["usw2-az1","usw2-az2","usw2-az3"]`)
			require.Empty(t, added.Replaced, "an AZ added replaces nothing")
			require.ElementsMatch(t, parts("workload", "usw2-az3"), added.Added, "only the new AZ's parts")
			require.Empty(t, added.Removed)
			requireNoSubnetChanges(t, added)

			// usw2-az1 held the NAT gateway: it moves to the lowest AZ left.
			removed := deploy(`["usw2-az2","usw2-az3"]`)
			requireNoSubnetChanges(t, removed)
			require.ElementsMatch(t, append(parts("workload", "usw2-az1"), parts("public", "usw2-az1")...), removed.Removed, "only the removed AZ's parts go")
			require.ElementsMatch(t, parts("public", "usw2-az2"), removed.Added)
			var replaced []string
			for key := range removed.Replaced {
				replaced = append(replaced, key)
			}
			require.ElementsMatch(t, append([]string{
				"aws:lb/listener:Listener " + p.svc + "-listener",
				"aws:lb/loadBalancer:LoadBalancer " + p.svc + "-nlb",
				"aws:lb/targetGroup:TargetGroup " + p.svc + "-tg",
			}, p.compute...), replaced, "the NLB, and what can't follow it in place")
		})
	}
}

// requireNoSubnetChanges: no subnet or VPC of the update's is changed or
// replaced (added and removed ones are the caller's to check).
func requireNoSubnetChanges(t *testing.T, c fakeaws.Changes) {
	t.Helper()
	for key := range c.Changed {
		require.NotContains(t, key, "aws:ec2/subnet:Subnet", "subnets stay where they are")
		require.NotContains(t, key, "aws:ec2/vpc:Vpc")
	}
}

// TestConsumerNetworkIgnoresItsProviders: the consumer's network is its
// own config's or the region's default, so adding, removing or reordering
// providers, wherever they are, changes none of it, and replaces nothing.
func TestConsumerNetworkIgnoresItsProviders(t *testing.T) {
	tests := []struct {
		name          string
		zones         string
		before, after []string
	}{
		{"a provider in fewer AZs added", "", []string{dognamesStack, todoStack}, []string{dognamesStack, todoStack, ordersStack}},
		{"the provider in fewer AZs removed", "", []string{ordersStack, dognamesStack, todoStack}, []string{dognamesStack, todoStack}},
		{"providers reordered, AZs pinned", `["usw2-az1","usw2-az2","usw2-az3"]`, []string{dognamesStack, todoStack, ordersStack}, []string{ordersStack, todoStack, dognamesStack}},
		{"a provider added, AZs pinned", `["usw2-az2","usw2-az1"]`, []string{todoStack}, []string{todoStack, dognamesStack}},
		{"providers reordered", "", []string{dognamesStack, todoStack, ordersStack}, []string{ordersStack, todoStack, dognamesStack}},
		{"a provider removed, AZs pinned", `["usw2-az1","usw2-az2","usw2-az3"]`, []string{dognamesStack, todoStack, ordersStack}, []string{todoStack, ordersStack}},
	}
	for _, tt := range tests {
		for _, api := range apiTypes {
			t.Run(tt.name+"/"+api.name, func(t *testing.T) {
				networkIgnoresProviders(t, api.config, tt.zones, tt.before, tt.after)
			})
		}
	}
}

func networkIgnoresProviders(t *testing.T, config func(...string) map[string]string, zones string, before, after []string) {
	threeAZs := []any{"usw2-az1", "usw2-az2", "usw2-az3"}
	providers := threeProviders()
	providers[dognamesStack]["availabilityZoneIds"] = threeAZs
	providers[todoStack]["availabilityZoneIds"] = threeAZs
	m := fakeaws.New()
	m.Account = "111111111111"
	m.StackOutputs = providers
	for i, stacks := range [][]string{before, after} {
		cfg := config(stacks...)
		if !slices.Contains(stacks, dognamesStack) {
			cfg = with(cfg, "publicRoutes", "<unset>")
		}
		if zones != "" {
			cfg = with(cfg, "availabilityZoneIds", zones)
		}
		_, err := m.Run("consumer", cfg, repoRoot(t), Run)
		require.NoError(t, err, "deployment %d", i+1)
	}
	changes := m.Changes()
	replaced := slices.Collect(maps.Keys(changes.Replaced))
	if config()["apiType"] == "rest" {
		// Other methods are other deployment contents, deployed anew.
		replaced = slices.DeleteFunc(replaced, func(k string) bool { return k == "aws:apigateway/deployment:Deployment "+apiName+"-deployment" })
	}
	require.Empty(t, replaced, "nothing is replaced")
	requireNoSubnetChanges(t, changes)
	for _, key := range append(changes.Added, changes.Removed...) {
		require.False(t, strings.HasPrefix(key, "aws:ec2/") && !strings.HasPrefix(key, "aws:ec2/vpcEndpoint:"), "%s: the network is not the providers'", key)
	}
	for key := range changes.Changed {
		require.False(t, strings.Contains(key, "VpcLink") || strings.Contains(key, "loadBalancer:LoadBalancer"), "%s: the shared path stays", key)
	}
}

// TestAcceptanceSurvivesANewConsumerEndpoint: when the consumer's endpoint
// to a provider changes, the provider accepts the new one and never
// rejects the old one, which carries every request until the consumer's
// next pass moves the targets.
func TestAcceptanceSurvivesANewConsumerEndpoint(t *testing.T) {
	own := ownServiceID(t)
	exports := func(endpoint string) map[string]any {
		return map[string]any{"providers": map[string]any{
			todoStack: map[string]any{"endpointId": endpoint, "endpointServiceId": own, "routes": []any{"GET /todo"}},
		}}
	}
	m, err := runAccepting(t, exports("vpce-0f1257a1b2c3d4e5f"))
	require.NoError(t, err)
	m.EndpointsInUse["vpce-0f1257a1b2c3d4e5f"] = true

	m.StackOutputs[consumerStackName] = exports("vpce-05ec0a1b2c3d4e5f6")
	out, err := m.Run("ec2-provider", with(validEC2Config(), "acceptanceRequired", "true", "consumerStack", consumerStackName), repoRoot(t), Run)
	require.NoError(t, err, "the old endpoint's connection is left alone")
	require.Empty(t, m.Rejected())
	require.Equal(t, map[string]string{consumerStackName: "vpce-05ec0a1b2c3d4e5f6"}, out["acceptedEndpoints"])
	accepters := m.ByType("aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter")
	require.Len(t, accepters, 1, "the new endpoint's")
	for _, a := range accepters {
		require.True(t, a.RetainOnDelete, a.Name)
	}
}

// TestAlarmsFitCloudWatchForAnyContract: a provider with the longest stack
// name Pulumi allows and many long routes still gets alarms CloudWatch
// takes (descriptions of at most 1,024 characters, names of 255).
func TestAlarmsFitCloudWatchForAnyContract(t *testing.T) {
	// Pulumi takes project and stack names of up to 100 characters
	// (sdk/go/common/tokens/project.go, stack_name.go), and a long
	// organization name.
	stack := strings.Repeat("o", 40) + "/" + strings.Repeat("p", 100) + "/" + strings.Repeat("billing-payments-", 5) + strings.Repeat("s", 15)
	var routes []any
	for i := range 60 {
		routes = append(routes, fmt.Sprintf("GET /billing/invoices/{invoiceId}/lines/{lineId}/adjustments/%02d", i))
	}
	providers := map[string]map[string]any{stack: providerContract(billingService, routes...)}
	for _, api := range apiTypes {
		for _, preview := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/preview=%v", api.name, preview), func(t *testing.T) {
				alarmsFit(t, with(api.config(stack), "monitoring", "true", "publicRoutes", "<unset>"), providers, stack, preview)
			})
		}
	}
}

func alarmsFit(t *testing.T, cfg map[string]string, providers map[string]map[string]any, stack string, preview bool) {
	m, _, err := runConsumerStack(t, cfg, providers, func(m *fakeaws.AWS) { m.Preview = preview })
	require.NoError(t, err)
	alarms := m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm")
	require.NotEmpty(t, alarms)
	found := false
	for _, a := range alarms {
		description := a.Map()["alarmDescription"].(string)
		require.LessOrEqual(t, len(description), 1024, a.Name)
		require.LessOrEqual(t, len(a.OutputMap()["name"].(string)), 255, a.Name)
		if strings.Contains(description, "and 5") && strings.Contains(description, "more)") {
			found = true
			require.Contains(t, description, stack, "the full stack name stays")
		}
	}
	require.True(t, found, "the routes that don't fit are counted")
}

// TestDetailedMetricsFollowMonitoring: per-route metrics are billed per
// route, so they come with monitoring, and are off without it.
func TestDetailedMetricsFollowMonitoring(t *testing.T) {
	for _, on := range []bool{false, true} {
		m, _, err := runConsumerStack(t, with(restConsumerConfig(), "monitoring", fmt.Sprint(on)), twoProviders(), nil)
		require.NoError(t, err)
		settings := m.ByType("aws:apigateway/methodSettings:MethodSettings")
		require.Len(t, settings, 3, "the stage's defaults and the two write routes'")
		for _, s := range settings {
			require.Equal(t, on, s.Map()["settings"].(map[string]any)["metricsEnabled"], "REST %s", s.Name)
		}
	}
	for _, on := range []bool{false, true} {
		m, _, err := runConsumerStack(t, with(validConsumerConfig(), "monitoring", fmt.Sprint(on)), twoProviders(), nil)
		require.NoError(t, err)
		stage := m.ByType("aws:apigatewayv2/stage:Stage")
		require.Len(t, stage, 1)
		require.Equal(t, on, stage[0].Map()["defaultRouteSettings"].(map[string]any)["detailedMetricsEnabled"])
		settings := stage[0].Map()["routeSettings"].([]any)
		require.NotEmpty(t, settings)
		for _, s := range settings {
			require.Equal(t, on, s.(map[string]any)["detailedMetricsEnabled"])
		}
	}
}
