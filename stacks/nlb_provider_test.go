package stacks

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

const (
	billingAccount = "555555555555"
	billingNLB     = "arn:aws:elasticloadbalancing:us-west-2:555555555555:loadbalancer/net/billing/0123456789abcdef"
	billingService = "vpce-svc-0123456789abcdef0"
	// The billing NLB's subnets and the security groups of the load
	// balancers the AWS Load Balancer Controller makes.
	billingSubnetA = "subnet-0b1c2d3e4f5a6070a"
	billingSubnetB = "subnet-0b1c2d3e4f5a6070b"
	billingSubnetC = "subnet-0b1c2d3e4f5a6070c"
	frontendSG     = "sg-0f407a1b2c3d4e5f6"
	backendSG      = "sg-0bac4e1d0c9b8a765"
)

// billingAccountMocks is the billing team's account: an internal NLB in two
// AZs with a listener on 8080, and the load balancers a stack file could
// name by mistake.
func billingAccountMocks() *fakeaws.AWS {
	m := fakeaws.New()
	m.Account = billingAccount
	two := map[string]string{billingSubnetA: "usw2-az1", billingSubnetB: "usw2-az2"}
	m.LoadBalancers[billingNLB] = fakeaws.LoadBalancer{Type: "network", Internal: true, Subnets: two, Ports: []int{8080}}
	m.LoadBalancers[billingLB("public")] = fakeaws.LoadBalancer{Type: "network", Internal: false, Subnets: two, Ports: []int{8080}}
	m.LoadBalancers[billingLB("one-az")] = fakeaws.LoadBalancer{Type: "network", Internal: true, Subnets: map[string]string{billingSubnetA: "usw2-az1", billingSubnetC: "usw2-az1"}, Ports: []int{8080}}
	m.LoadBalancers[billingLB("other-port")] = fakeaws.LoadBalancer{Type: "network", Internal: true, Subnets: two, Ports: []int{443}}
	// As the AWS Load Balancer Controller makes them: security groups, and
	// AWS's default of enforcing them on PrivateLink traffic.
	m.LoadBalancers[billingLB("filtering")] = fakeaws.LoadBalancer{Type: "network", Internal: true, Subnets: two, Ports: []int{8080},
		SecurityGroups: []string{frontendSG, backendSG}, EnforcePrivateLink: "on"}
	m.LoadBalancers[billingLB("grouped")] = fakeaws.LoadBalancer{Type: "network", Internal: true, Subnets: two, Ports: []int{8080},
		SecurityGroups: []string{frontendSG}, EnforcePrivateLink: "off"}
	m.EndpointServices[billingService] = fakeaws.EndpointService{
		LoadBalancerArns: []string{billingNLB}, AllowedPrincipals: []string{"arn:aws:iam::111111111111:root"},
	}
	return m
}

func billingLB(name string) string {
	return "arn:aws:elasticloadbalancing:us-west-2:555555555555:loadbalancer/net/" + name + "/0123456789abcdef"
}

func billingConfig(kv ...string) map[string]string {
	return with(map[string]string{
		"role":              "nlb-provider",
		"loadBalancerArn":   billingNLB,
		"servicePort":       "8080",
		"routes":            `["GET /billing", "ANY /billing/{proxy+}"]`,
		"allowedPrincipals": `["arn:aws:iam::111111111111:root"]`,
		"tags":              `{"team":"billing"}`,
	}, kv...)
}

func runBilling(t *testing.T, m *fakeaws.AWS, cfg map[string]string) (map[string]any, error) {
	t.Helper()
	return m.Run("billing", cfg, repoRoot(t), Run)
}

// TestNLBProviderPublishesAnExistingLoadBalancer: a stack file and no code
// make a service behind an internal NLB a provider, with the contract the
// built-in providers export.
func TestNLBProviderPublishesAnExistingLoadBalancer(t *testing.T) {
	m := billingAccountMocks()
	out, err := runBilling(t, m, billingConfig())
	require.NoError(t, err)

	custom := customResources(m)
	require.Len(t, custom, 1, "an endpoint service, and nothing else: the compute and its NLB are the team's")
	es := custom[0]
	require.Equal(t, "aws:ec2/vpcEndpointService:VpcEndpointService", es.Type)
	require.Equal(t, "billing-endpoint-service", es.Name, "named after the stack")
	require.Equal(t, []any{billingNLB}, es.Map()["networkLoadBalancerArns"])
	require.Equal(t, []any{"arn:aws:iam::111111111111:root"}, es.Map()["allowedPrincipals"])
	require.Equal(t, false, es.Map()["acceptanceRequired"])
	require.Equal(t, map[string]any{"team": "billing"}, es.Map()["tags"])

	requireValidContract(t, out)
	require.Equal(t, es.ID, out["endpointServiceId"])
	require.Equal(t, es.OutputMap()["serviceName"], out["endpointServiceName"])
	require.Equal(t, 8080, out["servicePort"])
	require.Equal(t, "/healthz", out["healthCheckPath"])
	require.Equal(t, []string{"GET /billing", "ANY /billing/{proxy+}"}, out["routes"])
	require.Equal(t, []string{"usw2-az1", "usw2-az2"}, out["availabilityZoneIds"], "the AZ IDs of the load balancer's subnets")
	require.Equal(t, "1.1", out["contractVersion"])

	m.Preview = true
	_, err = runBilling(t, m, billingConfig())
	require.NoError(t, err, "and in a preview")

	m.Preview = false
	_, err = runBilling(t, m, billingConfig("loadBalancerArn", billingLB("grouped")))
	require.NoError(t, err, "security groups that leave PrivateLink traffic alone are fine")
}

// TestNLBProviderPublishesAnExistingEndpointService publishes a service
// another team's IaC created, reading who may connect from it.
func TestNLBProviderPublishesAnExistingEndpointService(t *testing.T) {
	m := billingAccountMocks()
	out, err := runBilling(t, m, billingConfig("loadBalancerArn", "<unset>", "endpointServiceId", billingService, "allowedPrincipals", "<unset>"))
	require.NoError(t, err)
	require.Empty(t, customResources(m), "only the contract: the service is read, not created or changed")
	requireValidContract(t, out)
	require.Equal(t, billingService, out["endpointServiceId"])
	require.Equal(t, []string{"arn:aws:iam::111111111111:root"}, out["allowedPrincipals"], "read from the service")
	require.Equal(t, []string{"usw2-az1", "usw2-az2"}, out["availabilityZoneIds"], "its load balancer's")
}

func TestNLBProviderAcceptsItsConsumersEndpoint(t *testing.T) {
	m := billingAccountMocks()
	_, err := runBilling(t, m, billingConfig())
	require.NoError(t, err)
	serviceID := m.ByType("aws:ec2/vpcEndpointService:VpcEndpointService")[0].ID
	m.StackOutputs[consumerStackName] = map[string]any{"providers": map[string]any{
		"organization/private-apis/billing": map[string]any{"endpointId": "vpce-0abc1234567890def", "endpointServiceId": serviceID},
	}}
	out, err := runBilling(t, m, billingConfig("acceptanceRequired", "true", "consumerStack", consumerStackName))
	require.NoError(t, err)
	accepters := m.ByType("aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter")
	require.Len(t, accepters, 1)
	require.Equal(t, "vpce-0abc1234567890def", accepters[0].Map()["vpcEndpointId"])
	require.Equal(t, map[string]string{consumerStackName: "vpce-0abc1234567890def"}, out["acceptedEndpoints"])
}

// TestNLBProviderRefuses covers each input that can't be published, each
// refused before anything is created with the key, the value and the fix.
func TestNLBProviderRefuses(t *testing.T) {
	tests := []struct {
		name  string
		cfg   map[string]string
		shape func(*fakeaws.AWS)
		want  []string
	}{
		{name: "no load balancer", cfg: billingConfig("loadBalancerArn", "<unset>"),
			want: []string{"private-apis:loadBalancerArn: required for an nlb-provider", "or set private-apis:endpointServiceId"}},
		{name: "both a load balancer and a service", cfg: billingConfig("endpointServiceId", billingService),
			want: []string{"set either private-apis:loadBalancerArn", "not both"}},
		{name: "an application load balancer", cfg: billingConfig("loadBalancerArn", "arn:aws:elasticloadbalancing:us-west-2:555555555555:loadbalancer/app/web/0123456789abcdef"),
			want: []string{`private-apis:loadBalancerArn = "arn:aws:elasticloadbalancing:us-west-2:555555555555:loadbalancer/app/web/0123456789abcdef": an Application Load Balancer: PrivateLink publishes Network Load Balancers only`}},
		{name: "an internet-facing NLB", cfg: billingConfig("loadBalancerArn", billingLB("public")),
			want: []string{"internet-facing: publish an internal Network Load Balancer"}},
		{name: "an NLB whose security groups filter PrivateLink traffic", cfg: billingConfig("loadBalancerArn", billingLB("filtering")),
			want: []string{"has security groups [" + frontendSG + " " + backendSG + "] whose inbound rules it applies to PrivateLink traffic (EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic is \"on\")",
				"aws elbv2 set-security-groups --load-balancer-arn " + billingLB("filtering") + " --security-groups " + frontendSG + " " + backendSG + " --enforce-security-group-inbound-rules-on-private-link-traffic off"}},
		{name: "an existing service whose NLB filters PrivateLink traffic", cfg: billingConfig("loadBalancerArn", "<unset>", "endpointServiceId", billingService, "allowedPrincipals", "<unset>"),
			shape: func(m *fakeaws.AWS) {
				es := m.EndpointServices[billingService]
				es.LoadBalancerArns = []string{billingLB("filtering")}
				m.EndpointServices[billingService] = es
			}, want: []string{"EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic is \"on\""}},
		{name: "no listener on the port", cfg: billingConfig("loadBalancerArn", billingLB("other-port")),
			want: []string{"has no listener on port 8080", "set the service port to the port its listener uses"}},
		{name: "one AZ", cfg: billingConfig("loadBalancerArn", billingLB("one-az")),
			want: []string{"in one availability zone ([usw2-az1])", "add a subnet in a second AZ"}},
		{name: "a load balancer that doesn't exist", cfg: billingConfig("loadBalancerArn", billingLB("gone")),
			want: []string{"looking it up", "LoadBalancerNotFound"}},
		{name: "another account's", cfg: billingConfig("loadBalancerArn", "arn:aws:elasticloadbalancing:us-west-2:999999999999:loadbalancer/net/x/0123456789abcdef"),
			want: []string{"in account 999999999999, but this stack deploys to 555555555555"}},
		{name: "another region's", cfg: billingConfig("loadBalancerArn", "arn:aws:elasticloadbalancing:eu-west-1:555555555555:loadbalancer/net/x/0123456789abcdef"),
			want: []string{"in region eu-west-1, but this stack deploys to us-west-2: set aws:region to eu-west-1"}},
		{name: "not an ARN", cfg: billingConfig("loadBalancerArn", "billing-nlb"), want: []string{"not a load balancer ARN"}},
		{name: "a wildcard principal", cfg: billingConfig("allowedPrincipals", `["*"]`), want: []string{`"*" would let any AWS account connect`}},
		{name: "no principals", cfg: billingConfig("allowedPrincipals", "<unset>"), want: []string{"private-apis:allowedPrincipals: required for a provider"}},
		{name: "a catch-all route", cfg: billingConfig("routes", `["ANY /{proxy+}"]`), want: []string{`private-apis:routes = "ANY /{proxy+}"`, "a catch-all for every path is not allowed"}},
		{name: "$default", cfg: billingConfig("routes", `["$default"]`), want: []string{`private-apis:routes = "$default"`, "METHOD /path"}},
		{name: "a route key API Gateway rejects", cfg: billingConfig("routes", `["GET /billing/{proxy+}/x"]`), want: []string{"a greedy path variable must be the last segment"}},
		{name: "no routes", cfg: billingConfig("routes", "<unset>"), want: []string{"private-apis:routes: required"}},
		{name: "no port", cfg: billingConfig("servicePort", "<unset>"), want: []string{"private-apis:servicePort = 0: required"}},
		{name: "a bad service name", cfg: billingConfig("serviceName", "Billing_API"), want: []string{`private-apis:serviceName = "Billing_API"`}},
		{name: "an existing service allowing anyone", cfg: billingConfig("loadBalancerArn", "<unset>", "endpointServiceId", billingService, "allowedPrincipals", "<unset>"),
			shape: func(m *fakeaws.AWS) {
				es := m.EndpointServices[billingService]
				es.AllowedPrincipals = []string{"*"}
				m.EndpointServices[billingService] = es
			}, want: []string{"endpoint service vpce-svc-0123456789abcdef0 allows [\"*\"]", "wildcards would let any AWS account connect"}},
		{name: "an existing service on an ALB", cfg: billingConfig("loadBalancerArn", "<unset>", "endpointServiceId", billingService, "allowedPrincipals", "<unset>"),
			shape: func(m *fakeaws.AWS) {
				es := m.EndpointServices[billingService]
				es.LoadBalancerArns = []string{billingLB("public")}
				m.EndpointServices[billingService] = es
			}, want: []string{`private-apis:endpointServiceId = "vpce-svc-0123456789abcdef0": its load balancer`, "internet-facing"}},
		{name: "an existing service's acceptance misstated", cfg: billingConfig("loadBalancerArn", "<unset>", "endpointServiceId", billingService, "allowedPrincipals", "<unset>", "acceptanceRequired", "true"),
			want: []string{"has acceptance required false, but AcceptanceRequired is true"}},
		{name: "an existing service's principals misstated", cfg: billingConfig("loadBalancerArn", "<unset>", "endpointServiceId", billingService, "allowedPrincipals", `["arn:aws:iam::222222222222:root"]`),
			want: []string{`not the configured ["arn:aws:iam::222222222222:root"]`}},
		{name: "an existing service that isn't there", cfg: billingConfig("loadBalancerArn", "<unset>", "endpointServiceId", "vpce-svc-0fffffffffffffff0", "allowedPrincipals", "<unset>"),
			want: []string{"InvalidVpcEndpointServiceId.NotFound"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := billingAccountMocks()
			if tt.shape != nil {
				tt.shape(m)
			}
			_, err := runBilling(t, m, tt.cfg)
			require.Error(t, err)
			for _, want := range tt.want {
				require.ErrorContains(t, err, want)
			}
			require.Empty(t, customResources(m), "nothing is created")
		})
	}
}
