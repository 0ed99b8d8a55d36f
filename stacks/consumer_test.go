package stacks

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/contract"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

const (
	dognamesStack = "organization/private-apis/ecs-provider"
	todoStack     = "organization/private-apis/ec2-provider"
)

// The providers' endpoint services, as their contracts name them: vpce-svc-
// and 17 hex digits.
const (
	dogService     = "vpce-svc-0d06a1b2c3d4e5f60"
	todoService    = "vpce-svc-070d0a1b2c3d4e5f6"
	ordersService  = "vpce-svc-0a1b2c3d4e5f60718"
	acmeService    = "vpce-svc-0ac3ea1b2c3d4e5f6"
	reportsService = "vpce-svc-0e9a1b2c3d4e5f607"
)

// providerContract is a provider's outputs as a StackReference returns them
// (JSON types: float64 numbers, []any lists), publishing endpoint service
// serviceID.
func providerContract(serviceID string, routes ...any) map[string]any {
	rs := make([]any, len(routes))
	for i, r := range routes {
		rs[i] = r
	}
	return map[string]any{
		"endpointServiceName": "com.amazonaws.vpce.us-west-2." + serviceID,
		"endpointServiceId":   serviceID,
		"allowedPrincipals":   []any{"arn:aws:iam::111111111111:root"},
		"servicePort":         8080.0,
		"healthCheckPath":     "/healthz",
		"routes":              rs,
		"availabilityZoneIds": []any{"usw2-az1", "usw2-az2"},
		"region":              "us-west-2",
		"supportedRegions":    []any{},
	}
}

func twoProviders() map[string]map[string]any {
	return map[string]map[string]any{
		dognamesStack: providerContract(dogService, "GET /dogs", "GET /dogs/males", "GET /dogs/females"),
		todoStack:     providerContract(todoService, "GET /todo", "POST /todo", "GET /todo/{id}", "DELETE /todo/{id}"),
	}
}

func validConsumerConfig(stacks ...string) map[string]string {
	if len(stacks) == 0 {
		stacks = []string{dognamesStack, todoStack}
	}
	return map[string]string{
		"providers": `["` + strings.Join(stacks, `","`) + `"]`,
		"tags":      `{"team":"platform"}`,
	}
}

// runConsumerStack runs the consumer in account 111111111111 with the given
// provider stacks readable.
func runConsumerStack(t *testing.T, cfg map[string]string, providers map[string]map[string]any, shape func(*fakeaws.AWS)) (*fakeaws.AWS, map[string]any, error) {
	t.Helper()
	m := fakeaws.New()
	m.Account = "111111111111"
	m.StackOutputs = providers
	if shape != nil {
		shape(m)
	}
	out, err := m.Run("consumer", cfg, repoRoot(t), Run)
	return m, out, err
}

func TestConsumerBuildsOneApiForEveryProvider(t *testing.T) {
	m, out, err := runConsumerStack(t, validConsumerConfig(), twoProviders(), nil)
	require.NoError(t, err)

	t.Run("network without egress", func(t *testing.T) { assertConsumerNetworkWithoutEgress(t, m) })
	t.Run("an interface endpoint per provider", func(t *testing.T) { assertConsumerEndpointPerProvider(t, m) })
	t.Run("one hardened internal load balancer", func(t *testing.T) {
		assertConsumerLoadBalancer(t, m)
		assertConsumerTargetsAndRules(t, m)
	})
	t.Run("HTTP API with explicit routes, throttling and access logs", func(t *testing.T) {
		assertConsumerIntegrationsAndRoutes(t, m)
		assertConsumerStage(t, m)
	})
	t.Run("security groups admit only the hop before", func(t *testing.T) { assertConsumerIngressFromGroups(t, m) })
	t.Run("exports", func(t *testing.T) { assertConsumerExports(t, m, out) })
}

func assertConsumerNetworkWithoutEgress(t *testing.T, m *fakeaws.AWS) {
	require.Len(t, m.ByType("aws:ec2/vpc:Vpc"), 1)
	require.Empty(t, m.ByType("aws:ec2/natGateway:NatGateway"))
	require.Empty(t, m.ByType("aws:ec2/internetGateway:InternetGateway"))
	var zones []any
	for _, s := range m.ByType("aws:ec2/subnet:Subnet") {
		zones = append(zones, s.Map()["availabilityZoneId"])
	}
	require.Equal(t, []any{"usw2-az1", "usw2-az2"}, zones, "the region's default, which both providers share")
	require.Len(t, m.ByType("aws:ec2/flowLog:FlowLog"), 1)
}

func assertConsumerEndpointPerProvider(t *testing.T, m *fakeaws.AWS) {
	endpoints := m.ByType("aws:ec2/vpcEndpoint:VpcEndpoint")
	require.Len(t, endpoints, 2)
	for _, e := range endpoints {
		in := e.Map()
		require.Equal(t, "Interface", in["vpcEndpointType"])
		require.Len(t, in["subnetIds"], 2, "%s: one subnet per shared AZ", e.Name)
		require.Len(t, in["securityGroupIds"], 1)
		require.Nil(t, in["serviceRegion"])
	}
	dog, ok := m.Named("aws:ec2/vpcEndpoint:VpcEndpoint", "api-"+backendName(dognamesStack)+"-endpoint")
	require.True(t, ok, "named after the provider's stack")
	require.Equal(t, "com.amazonaws.vpce.us-west-2."+dogService, dog.Map()["serviceName"])
	require.Equal(t, dognamesStack, dog.Map()["tags"].(map[string]any)["private-apis:provider"], "the full stack name is in the tags")
}

func assertConsumerLoadBalancer(t *testing.T, m *fakeaws.AWS) {
	lbs := m.ByType("aws:lb/loadBalancer:LoadBalancer")
	require.Len(t, lbs, 1, "cost doesn't grow by a load balancer per provider")
	alb := lbs[0].Map()
	require.Equal(t, "application", alb["loadBalancerType"])
	require.Equal(t, true, alb["internal"])
	require.Equal(t, true, alb["dropInvalidHeaderFields"])
	require.Contains(t, []any{"defensive", "strictest"}, alb["desyncMitigationMode"])
	require.GreaterOrEqual(t, len(alb["subnets"].([]any)), 2)
}

func assertConsumerTargetsAndRules(t *testing.T, m *fakeaws.AWS) {
	tgs := m.ByType("aws:lb/targetGroup:TargetGroup")
	require.Len(t, tgs, 2)
	for _, tg := range tgs {
		require.Equal(t, "ip", tg.Map()["targetType"])
		require.Equal(t, "/healthz", tg.Map()["healthCheck"].(map[string]any)["path"], "health checks cross PrivateLink to the service")
	}
	attachments := m.ByType("aws:lb/targetGroupAttachment:TargetGroupAttachment")
	require.Len(t, attachments, 4, "one target per endpoint IP, per AZ")
	for _, a := range attachments {
		zone := a.Name[strings.LastIndex(a.Name, "-target-")+len("-target-"):]
		subnet, ok := m.Named("aws:ec2/subnet:Subnet", "consumer-workload-"+zone)
		require.True(t, ok, a.Name)
		cidr := netip.MustParsePrefix(subnet.Map()["cidrBlock"].(string))
		require.True(t, cidr.Contains(netip.MustParseAddr(a.Map()["targetId"].(string))), "%s: the address of the endpoint's interface in %s", a.Name, zone)
	}
	rules := m.ByType("aws:lb/listenerRule:ListenerRule")
	require.Len(t, rules, 2)
	for _, stack := range []string{dognamesStack, todoStack} {
		rule, ok := m.Named("aws:lb/listenerRule:ListenerRule", "api-"+backendName(stack)+"-rule")
		require.True(t, ok, stack)
		header := rule.Map()["conditions"].([]any)[0].(map[string]any)["httpHeader"].(map[string]any)
		require.Equal(t, "X-Private-Apis-Backend", header["httpHeaderName"])
		require.Equal(t, []any{backendName(stack)}, header["values"])
		require.EqualValues(t, rulePriority(nil, stack), rule.Map()["priority"], "derived from the stack name alone")
	}
}

func assertConsumerIntegrationsAndRoutes(t *testing.T, m *fakeaws.AWS) {
	link := m.ByType("aws:apigatewayv2/vpcLink:VpcLink")
	require.Len(t, link, 1)
	require.GreaterOrEqual(t, len(link[0].Map()["subnetIds"].([]any)), 2)
	require.Len(t, link[0].Map()["securityGroupIds"], 1)

	integrations := m.ByType("aws:apigatewayv2/integration:Integration")
	require.Len(t, integrations, 2)
	for _, i := range integrations {
		in := i.Map()
		require.Equal(t, "VPC_LINK", in["connectionType"])
		require.Equal(t, "HTTP_PROXY", in["integrationType"])
		require.LessOrEqual(t, in["timeoutMilliseconds"].(float64), 30000.0)
		require.Contains(t, in["integrationUri"], ":listener/")
		require.Equal(t, "''", in["requestParameters"].(map[string]any)["remove:header.x-user-id"], "no spoofed user without authorization")
	}

	var keys []string
	for _, r := range m.ByType("aws:apigatewayv2/route:Route") {
		keys = append(keys, r.Map()["routeKey"].(string))
		require.Equal(t, "NONE", r.Map()["authorizationType"])
	}
	require.ElementsMatch(t, []string{"GET /dogs", "GET /dogs/males", "GET /dogs/females", "GET /todo", "POST /todo", "GET /todo/{id}", "DELETE /todo/{id}"}, keys)
}

func assertConsumerStage(t *testing.T, m *fakeaws.AWS) {
	stages := m.ByType("aws:apigatewayv2/stage:Stage")
	require.Len(t, stages, 1)
	stage := stages[0].Map()
	require.Equal(t, "$default", stage["name"])
	require.Equal(t, true, stage["autoDeploy"])
	defaults := stage["defaultRouteSettings"].(map[string]any)
	require.EqualValues(t, 50, defaults["throttlingRateLimit"], "each route's own limit")
	require.EqualValues(t, 100, defaults["throttlingBurstLimit"])
	var writeRoutes []any
	for _, s := range stage["routeSettings"].([]any) {
		rs := s.(map[string]any)
		require.EqualValues(t, 10, rs["throttlingRateLimit"], "writes are throttled tighter")
		require.EqualValues(t, 20, rs["throttlingBurstLimit"])
		writeRoutes = append(writeRoutes, rs["routeKey"])
	}
	require.ElementsMatch(t, []any{"POST /todo", "DELETE /todo/{id}"}, writeRoutes)
	logs := stage["accessLogSettings"].(map[string]any)
	for _, field := range []string{"$context.requestId", "$context.routeKey", "$context.status", "$context.responseLatency", "$context.integrationErrorMessage"} {
		require.Contains(t, logs["format"], field)
	}
	group, ok := m.Named("aws:cloudwatch/logGroup:LogGroup", "api-access-logs")
	require.True(t, ok)
	require.EqualValues(t, 365, group.Map()["retentionInDays"])
	require.Equal(t, group.OutputMap()["arn"], logs["destinationArn"])
}

func assertConsumerIngressFromGroups(t *testing.T, m *fakeaws.AWS) {
	rules := m.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	require.NotEmpty(t, rules)
	for _, r := range rules {
		require.Nil(t, r.Map()["cidrIpv4"], "%s: consumer rules reference groups, never CIDRs", r.Name)
		require.NotEmpty(t, r.Map()["referencedSecurityGroupId"], r.Name)
	}
	in, ok := m.Named("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "api-alb-to-endpoints-8080-in")
	require.True(t, ok)
	require.EqualValues(t, 8080, in.Map()["fromPort"])
}

func assertConsumerExports(t *testing.T, m *fakeaws.AWS, out map[string]any) {
	require.Equal(t, m.ByType("aws:apigatewayv2/api:Api")[0].OutputMap()["apiEndpoint"], out["apiEndpoint"])
	providers := out["providers"].(map[string]any)
	require.Len(t, providers, 2)
	dog := providers[dognamesStack].(map[string]any)
	endpoint, _ := m.Named("aws:ec2/vpcEndpoint:VpcEndpoint", "api-"+backendName(dognamesStack)+"-endpoint")
	require.Equal(t, endpoint.ID, dog["endpointId"], "what the provider accepts")
	require.Equal(t, dogService, dog["endpointServiceId"], "so the provider can check what it accepts")
	require.Equal(t, []string{"GET /dogs", "GET /dogs/males", "GET /dogs/females"}, dog["routes"])
	require.Equal(t, true, dog["wired"])
}

func TestConsumerWithJWTAuthorization(t *testing.T) {
	cfg := with(validConsumerConfig(),
		"jwtIssuer", "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_AbCdEf123",
		"jwtAudiences", `["client-1"]`,
		"publicRoutes", `["GET /dogs"]`,
		"writeScopes", `["todo/write"]`)
	m, _, err := runConsumerStack(t, cfg, twoProviders(), nil)
	require.NoError(t, err)

	auth := m.ByType("aws:apigatewayv2/authorizer:Authorizer")
	require.Len(t, auth, 1)
	require.Equal(t, "JWT", auth[0].Map()["authorizerType"])
	require.Equal(t, map[string]any{"issuer": "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_AbCdEf123", "audiences": []any{"client-1"}}, auth[0].Map()["jwtConfiguration"])

	routes := m.ByType("aws:apigatewayv2/route:Route")
	require.Len(t, routes, 7, "both providers' routes")
	for _, r := range routes {
		in := r.Map()
		key := in["routeKey"].(string)
		if key == "GET /dogs" {
			require.Equal(t, "NONE", in["authorizationType"], "public route")
			continue
		}
		require.Equal(t, "JWT", in["authorizationType"], key)
		require.NotEmpty(t, in["authorizerId"], key)
		if method, _, _ := strings.Cut(key, " "); contract.IsWriteMethod(method) {
			require.Equal(t, []any{"todo/write"}, in["authorizationScopes"], key)
		} else {
			require.Nil(t, in["authorizationScopes"], key)
		}
	}
	// Token routes give the backend the token's subject; the public route
	// goes through an integration that drops whatever a client sent.
	integrations := map[string]map[string]any{}
	for _, i := range m.ByType("aws:apigatewayv2/integration:Integration") {
		integrations[i.ID] = i.Map()["requestParameters"].(map[string]any)
	}
	require.Len(t, integrations, 3, "both providers', and the dog names' public one")
	for _, r := range routes {
		in := r.Map()
		params := integrations[strings.TrimPrefix(in["target"].(string), "integrations/")]
		if in["authorizationType"] == "NONE" {
			require.Equal(t, "''", params["remove:header.x-user-id"], "%s: no caller chooses the user id", in["routeKey"])
			require.NotContains(t, params, "overwrite:header.x-user-id")
			continue
		}
		require.Equal(t, "$context.authorizer.claims.sub", params["overwrite:header.x-user-id"], in["routeKey"])
	}
}

func TestConsumerThreeProviders(t *testing.T) {
	providers := twoProviders()
	orders := providerContract(ordersService, "GET /orders", "POST /orders")
	orders["servicePort"] = 9090.0
	orders["healthCheckPath"] = "/health"
	providers["acme/private-apis/orders"] = orders
	m, out, err := runConsumerStack(t, validConsumerConfig(dognamesStack, todoStack, "acme/private-apis/orders"), providers, nil)
	require.NoError(t, err)
	require.Len(t, m.ByType("aws:ec2/vpcEndpoint:VpcEndpoint"), 3)
	require.Len(t, m.ByType("aws:lb/loadBalancer:LoadBalancer"), 1)
	require.Len(t, m.ByType("aws:lb/targetGroup:TargetGroup"), 3)
	require.Len(t, m.ByType("aws:apigatewayv2/integration:Integration"), 3)
	require.Len(t, m.ByType("aws:apigatewayv2/route:Route"), 9)
	tg, ok := m.Named("aws:lb/targetGroup:TargetGroup", "api-"+backendName("acme/private-apis/orders")+"-tg")
	require.True(t, ok)
	require.EqualValues(t, 9090, tg.Map()["port"])
	require.Equal(t, "/health", tg.Map()["healthCheck"].(map[string]any)["path"])
	_, ok = m.Named("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "api-alb-to-endpoints-9090-in")
	require.True(t, ok, "the endpoints admit the third provider's port too")
	require.Len(t, out["providers"], 3)
}

func TestConsumerCrossRegionProvider(t *testing.T) {
	providers := twoProviders()
	east := providers[todoStack]
	east["region"] = "us-east-1"
	east["availabilityZoneIds"] = []any{"use1-az1", "use1-az2"}
	east["supportedRegions"] = []any{"us-west-2"}
	m, _, err := runConsumerStack(t, validConsumerConfig(), providers, nil)
	require.NoError(t, err)
	var found bool
	for _, e := range m.ByType("aws:ec2/vpcEndpoint:VpcEndpoint") {
		if e.Map()["serviceName"] == "com.amazonaws.vpce.us-west-2."+todoService {
			found = true
			require.Equal(t, "us-east-1", e.Map()["serviceRegion"])
			require.Len(t, e.Map()["subnetIds"], 2, "in every consumer AZ")
		}
	}
	require.True(t, found)
}

func TestConsumerAllowsTheDeployingRole(t *testing.T) {
	providers := twoProviders()
	for _, p := range providers {
		p["allowedPrincipals"] = []any{"arn:aws:iam::111111111111:role/ci/consumer-deployer"}
	}
	_, _, err := runConsumerStack(t, validConsumerConfig(), providers, func(m *fakeaws.AWS) {
		m.CallerArn = "arn:aws:sts::111111111111:assumed-role/consumer-deployer/session-1"
	})
	require.NoError(t, err, "an assumed role matches its role ARN, whatever its path")
}

// TestConsumerRefusesContractsThatDontFit covers each early failure: it
// names the provider stack and what to change, and nothing is created.
func TestConsumerRefusesContractsThatDontFit(t *testing.T) {
	tests := []struct {
		name      string
		cfg       map[string]string
		providers func(map[string]map[string]any)
		shape     func(*fakeaws.AWS)
		want      []string
	}{
		{name: "missing output", providers: func(p map[string]map[string]any) { delete(p[todoStack], "routes") },
			want: []string{"provider stack organization/private-apis/ec2-provider has no output \"routes\"", "pulumi up -s ec2-provider"}},
		{name: "missing stack", cfg: validConsumerConfig(dognamesStack, "organization/private-apis/nope"),
			// The engine fails the read itself, naming the stack.
			want: []string{`unknown stack "organization/private-apis/nope"`}},
		{name: "port of the wrong type", providers: func(p map[string]map[string]any) { p[dognamesStack]["servicePort"] = "8080" },
			want: []string{"organization/private-apis/ecs-provider", `output "servicePort" is string`}},
		{name: "principal not allowed", shape: func(m *fakeaws.AWS) { m.Account = "999999999999" },
			want: []string{"provider stack organization/private-apis/ecs-provider does not allow arn:aws:iam::999999999999:user/deployer",
				`add "arn:aws:iam::999999999999:root"`, "Pulumi.ecs-provider.yaml", "pulumi up -s ecs-provider"}},
		{name: "another role not allowed", providers: func(p map[string]map[string]any) {
			p[todoStack]["allowedPrincipals"] = []any{"arn:aws:iam::111111111111:role/someone-else"}
		}, shape: func(m *fakeaws.AWS) { m.CallerArn = "arn:aws:sts::111111111111:assumed-role/deployer/s" },
			want: []string{"organization/private-apis/ec2-provider does not allow arn:aws:sts::111111111111:assumed-role/deployer/s"}},
		{name: "route conflict", providers: func(p map[string]map[string]any) {
			p[todoStack]["routes"] = []any{"GET /todo", "GET /dogs"}
		}, want: []string{`route "GET /dogs" is served by both organization/private-apis/ecs-provider and organization/private-apis/ec2-provider`}},
		{name: "fewer than two shared AZs with the consumer's choice", cfg: with(validConsumerConfig(), "availabilityZoneIds", `["usw2-az1","usw2-az3"]`),
			want: []string{"provider stack organization/private-apis/ecs-provider is in AZ IDs [usw2-az1 usw2-az2] and the consumer in [usw2-az1 usw2-az3]; they share 1",
				"add [usw2-az2] to the consumer's private-apis:availabilityZoneIds"}},
		{name: "a provider outside the consumer's default AZs", providers: func(p map[string]map[string]any) {
			p[todoStack]["availabilityZoneIds"] = []any{"usw2-az2", "usw2-az3"}
		}, want: []string{"provider stack organization/private-apis/ec2-provider is in AZ IDs [usw2-az2 usw2-az3] and the consumer in [usw2-az1 usw2-az2]; they share 1",
			"add [usw2-az3] to the consumer's private-apis:availabilityZoneIds (an AZ added there adds its own subnets and moves nothing else)"}},
		{name: "cross-region provider doesn't accept this region", providers: func(p map[string]map[string]any) {
			p[todoStack]["region"] = "eu-west-1"
			p[todoStack]["supportedRegions"] = []any{"us-east-1"}
		}, want: []string{"ec2-provider is in eu-west-1 and does not accept consumers from us-west-2", "add us-west-2 to its private-apis:supportedRegions"}},
		{name: "cross-region provider that supports no other region", providers: func(p map[string]map[string]any) {
			p[todoStack]["region"] = "eu-west-1"
			p[todoStack]["supportedRegions"] = []any{}
		}, want: []string{"ec2-provider is in eu-west-1 and does not accept consumers from us-west-2 (its supportedRegions are [])", "add us-west-2 to its private-apis:supportedRegions"}},
		{name: "cross-region provider that exports no supported regions", providers: func(p map[string]map[string]any) {
			p[todoStack]["region"] = "eu-west-1"
			delete(p[todoStack], "supportedRegions")
		}, want: []string{"ec2-provider is in eu-west-1 and does not accept consumers from us-west-2 (it exports no supportedRegions", "add us-west-2"}},
		{name: "unknown public route", cfg: with(validConsumerConfig(), "jwtIssuer", "https://issuer.example.com", "jwtAudiences", `["a"]`, "publicRoutes", `["GET /cats"]`),
			want: []string{`private-apis:publicRoutes names "GET /cats", which no provider serves`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			providers := twoProviders()
			if tt.providers != nil {
				tt.providers(providers)
			}
			cfg := tt.cfg
			if cfg == nil {
				cfg = validConsumerConfig()
			}
			m, _, err := runConsumerStack(t, cfg, providers, tt.shape)
			require.Error(t, err)
			for _, want := range tt.want {
				require.ErrorContains(t, err, want)
			}
			require.Empty(t, customResources(m), "nothing is created when a contract doesn't fit")
		})
	}
}

func TestConsumerBadConfig(t *testing.T) {
	base := validConsumerConfig()
	tests := []struct {
		name string
		cfg  map[string]string
		want []string
	}{
		{"no providers", with(base, "providers", "<unset>"), []string{"private-apis:providers: required for the consumer", "organization/private-apis/ecs-provider"}},
		{"short stack name", with(base, "providers", `["ecs-provider"]`), []string{"private-apis:providers", `"ecs-provider"`, "<org>/<project>/<stack>"}},
		{"duplicate provider", with(base, "providers", `["a/b/c","a/b/c"]`), []string{`"a/b/c": listed twice`}},
		{"zero rate", with(base, "routeRateLimit", "0"), []string{"private-apis:routeRateLimit = 0", "1 to 10000 requests per second for each route"}},
		{"rate not a number", with(base, "routeBurstLimit", "lots"), []string{"private-apis:routeBurstLimit", `"lots"`, "not a whole number"}},
		{"writes looser than reads", with(base, "writeRouteRateLimit", "500"), []string{"private-apis:writeRouteRateLimit = 500", "must not exceed routeRateLimit (50)"}},
		{"a key from before the rename", with(base, "throttlingRateLimit", "100", "writeThrottlingBurstLimit", "40"), []string{
			`private-apis:throttlingRateLimit = "100": renamed to private-apis:routeRateLimit`, "to each route on its own",
			`private-apis:writeThrottlingBurstLimit = "40": renamed to private-apis:writeRouteBurstLimit`}},
		{"priority of a stack not listed", with(base, "listenerRulePriorities", `{"a/b/c": 10}`), []string{`private-apis:listenerRulePriorities = "a/b/c": not one of private-apis:providers`}},
		{"priority out of range", with(base, "listenerRulePriorities", `{"`+todoStack+`": 50001}`), []string{"private-apis:listenerRulePriorities = organization/private-apis/ec2-provider: 50001: a priority is 1 to 50000"}},
		{"priority given twice", with(base, "listenerRulePriorities", `{"`+todoStack+`": 7, "`+dognamesStack+`": 7}`), []string{"has priority 7 too"}},
		{"priorities not numbers", with(base, "listenerRulePriorities", `{"`+todoStack+`": "high"}`), []string{"private-apis:listenerRulePriorities", "not a map of names to whole numbers"}},
		{"retention", with(base, "accessLogRetentionDays", "10"), []string{"private-apis:accessLogRetentionDays = 10"}},
		{"http issuer", with(base, "jwtIssuer", "http://issuer", "jwtAudiences", `["a"]`), []string{"private-apis:jwtIssuer", `"http://issuer"`, "not an https URL"}},
		{"issuer without audiences", with(base, "jwtIssuer", "https://issuer.example.com"), []string{"private-apis:jwtAudiences: required with jwtIssuer"}},
		{"public routes without issuer", with(base, "publicRoutes", `["GET /dogs"]`), []string{"private-apis:publicRoutes", "set private-apis:jwtIssuer too"}},
		{"malformed public route", with(base, "jwtIssuer", "https://i.example.com", "jwtAudiences", `["a"]`, "publicRoutes", `["dogs"]`), []string{"private-apis:publicRoutes", `"dogs"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := runConsumerStack(t, tt.cfg, twoProviders(), nil)
			require.Error(t, err)
			for _, want := range tt.want {
				require.ErrorContains(t, err, want)
			}
			require.Empty(t, customResources(m))
			require.Empty(t, m.ByType("pulumi:pulumi:StackReference"), "config is checked before reading any provider")
		})
	}
}

// TestConsumerAnyRoutesAreWrites: an ANY route accepts POST, PUT, PATCH and
// DELETE, so with JWT on it asks the write scopes, and it gets the write
// limits: a token without them must not write through it.
func TestConsumerAnyRoutesAreWrites(t *testing.T) {
	providers := twoProviders()
	providers[ordersStack] = providerContract(ordersService, "GET /orders", "ANY /orders/admin/{proxy+}")
	cfg := with(validConsumerConfig(dognamesStack, todoStack, ordersStack),
		"jwtIssuer", "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_AbCdEf123",
		"jwtAudiences", `["client-1"]`,
		"writeScopes", `["orders/write"]`)
	m, _, err := runConsumerStack(t, cfg, providers, nil)
	require.NoError(t, err)

	scopes := map[string]any{}
	for _, r := range m.ByType("aws:apigatewayv2/route:Route") {
		scopes[r.Map()["routeKey"].(string)] = r.Map()["authorizationScopes"]
	}
	require.Equal(t, []any{"orders/write"}, scopes["ANY /orders/admin/{proxy+}"])
	require.Nil(t, scopes["GET /orders"])

	stage := m.ByType("aws:apigatewayv2/stage:Stage")
	require.Len(t, stage, 1)
	limits := map[string]any{}
	for _, s := range stage[0].Map()["routeSettings"].([]any) {
		setting := s.(map[string]any)
		limits[setting["routeKey"].(string)] = setting["throttlingRateLimit"]
	}
	require.EqualValues(t, 10, limits["ANY /orders/admin/{proxy+}"], "the write limit")
	require.NotContains(t, limits, "GET /orders", "reads keep the stage's defaults")
}
