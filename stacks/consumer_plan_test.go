package stacks

import (
	"testing"

	"github.com/private-apis/private-apis/contract"
	"github.com/stretchr/testify/require"
)

// TestPlanConsumer tests the consumer's decisions as the pure function
// they are: which AZs each provider's endpoint uses, what waits for
// acceptance, what goes cross-region, and what is refused, before anything
// is created.
func TestPlanConsumer(t *testing.T) {
	who := caller{AccountID: "111111111111", Arn: "arn:aws:iam::111111111111:user/deployer"}
	for _, tt := range planConsumerCases() {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := planConsumer(tt.cfg, planningConsumer, "us-west-2", who, tt.providers)
			if len(tt.wantErr) > 0 {
				require.Error(t, err)
				for _, want := range tt.wantErr {
					require.ErrorContains(t, err, want)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.cfg.Network.AvailabilityZoneIds, plan.AvailabilityZoneIDs, "the consumer's own AZs")
			require.Len(t, plan.Backends, len(tt.providers))
			for _, b := range plan.Backends {
				stack := b.Provider.Stack
				require.Equal(t, tt.zones[stack], b.AvailabilityZoneIDs, stack)
				require.Equal(t, tt.awaiting[stack], b.AwaitingAcceptance, stack)
				require.Equal(t, tt.region[stack], b.ServiceRegion, stack)
				require.Equal(t, backendName(stack), b.Name)
				require.Equal(t, rulePriority(nil, stack), b.RulePriority)
			}
		})
	}
}

// planningConsumer is the stack being planned, which a provider must name
// in its AcceptedEndpoints for the endpoint to count as accepted.
const planningConsumer = "organization/private-apis/consumer"

type planConsumerCase struct {
	name      string
	cfg       consumerConfig
	providers []contract.Provider
	// zones are each backend's endpoint AZs, by stack.
	zones    map[string][]string
	awaiting map[string]bool
	region   map[string]string
	wantErr  []string
}

func planConsumerCases() []planConsumerCase {
	provider := func(stack string, zones ...string) contract.Provider {
		return contract.Provider{Stack: stack, Region: "us-west-2", AllowedPrincipals: []string{"arn:aws:iam::111111111111:root"},
			AvailabilityZoneIDs: zones, Routes: []string{"GET /" + stack[len(stack)-3:]}, EndpointServiceID: "vpce-svc-0" + stack[len(stack)-3:] + "a1b2c3d4e5f60"}
	}
	config := func(zones ...string) consumerConfig {
		return consumerConfig{Network: networkConfig{AvailabilityZoneIds: zones}}
	}
	return []planConsumerCase{
		{name: "each endpoint in the consumer's AZs the provider shares, in the consumer's order",
			cfg:       config("usw2-az3", "usw2-az1", "usw2-az2"),
			providers: []contract.Provider{provider("o/p/aaa", "usw2-az1", "usw2-az2"), provider("o/p/bbb", "usw2-az1", "usw2-az2", "usw2-az3")},
			zones:     map[string][]string{"o/p/aaa": {"usw2-az1", "usw2-az2"}, "o/p/bbb": {"usw2-az3", "usw2-az1", "usw2-az2"}}},
		{name: "a provider sharing one AZ, refused naming the AZ to add",
			cfg:       config("usw2-az1", "usw2-az2"),
			providers: []contract.Provider{provider("o/p/aaa", "usw2-az2", "usw2-az3")},
			wantErr:   []string{"provider stack o/p/aaa is in AZ IDs [usw2-az2 usw2-az3] and the consumer in [usw2-az1 usw2-az2]; they share 1", "add [usw2-az3] to the consumer's private-apis:availabilityZoneIds"}},
		{name: "a provider in another region, in all the consumer's AZs",
			cfg: config("usw2-az1", "usw2-az2"),
			providers: func() []contract.Provider {
				p := provider("o/p/aaa", "euw1-az1", "euw1-az2")
				p.Region, p.SupportedRegions = "eu-west-1", []string{"us-west-2"}
				return []contract.Provider{p}
			}(),
			zones:  map[string][]string{"o/p/aaa": {"usw2-az1", "usw2-az2"}},
			region: map[string]string{"o/p/aaa": "eu-west-1"}},
		{name: "acceptance: waiting until the provider accepted this consumer's endpoint",
			cfg: config("usw2-az1", "usw2-az2"),
			providers: func() []contract.Provider {
				waiting, accepted := provider("o/p/aaa", "usw2-az1", "usw2-az2"), provider("o/p/bbb", "usw2-az1", "usw2-az2")
				waiting.AcceptanceRequired = true
				waiting.AcceptedEndpoints = map[string]string{"organization/private-apis/other-consumer": "vpce-00e1a1b2c3d4e5f60"}
				accepted.AcceptanceRequired = true
				accepted.AcceptedEndpoints = map[string]string{planningConsumer: "vpce-0a1b2c3d4e5f60718"}
				return []contract.Provider{waiting, accepted}
			}(),
			zones:    map[string][]string{"o/p/aaa": {"usw2-az1", "usw2-az2"}, "o/p/bbb": {"usw2-az1", "usw2-az2"}},
			awaiting: map[string]bool{"o/p/aaa": true}},
		{name: "a principal the provider doesn't allow, and a route claimed twice, reported together",
			cfg: config("usw2-az1", "usw2-az2"),
			providers: func() []contract.Provider {
				a, b := provider("o/p/aaa", "usw2-az1", "usw2-az2"), provider("o/p/bbb", "usw2-az1", "usw2-az2")
				a.AllowedPrincipals = []string{"arn:aws:iam::999999999999:root"}
				b.Routes = a.Routes
				return []contract.Provider{a, b}
			}(),
			wantErr: []string{"provider stack o/p/aaa does not allow arn:aws:iam::111111111111:user/deployer", `route "GET /aaa" is served by both o/p/aaa and o/p/bbb`}},
	}
}
