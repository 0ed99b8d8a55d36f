package components

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

// asRest makes the test API a REST API: each backend a listener port, a
// client, WAF with the default rule groups.
func asRest(a *PrivateApiArgs) {
	a.Type = apirules.ApiTypeREST
	for i := range a.Backends {
		a.Backends[i].ListenerPort = 20000 + i
	}
	a.Rest = RestOptions{
		Clients: apirules.Clients{"partner-a": {RateLimit: 10, BurstLimit: 20, QuotaLimit: 1000, QuotaPeriod: "DAY"}},
		WAF: &WAFOptions{RateLimit: 2000, RuleGroups: map[string]string{
			"AWSManagedRulesCommonRuleSet": WAFCount, "AWSManagedRulesAmazonIpReputationList": WAFBlock,
		}},
	}
}

func TestPrivateApiRest(t *testing.T) {
	r, err := runPrivateApi(t, asRest)
	require.NoError(t, err)
	require.Empty(t, r.m.ByType("aws:apigatewayv2/api:Api"))
	var groups []string
	for _, g := range r.m.ByType("aws:ec2/securityGroup:SecurityGroup") {
		groups = append(groups, g.Name)
	}
	require.Contains(t, groups, "api-nlb")
	require.NotContains(t, groups, "api-vpclink", "a REST VPC link has no security group")

	nlb := one(t, r.m, "aws:lb/loadBalancer:LoadBalancer")
	require.Equal(t, "network", nlb["loadBalancerType"])
	require.Equal(t, true, nlb["enableCrossZoneLoadBalancing"], "a backend's endpoint isn't in every AZ of the NLB")
	require.Equal(t, "off", nlb["enforceSecurityGroupInboundRulesOnPrivateLinkTraffic"])
	require.NotEmpty(t, nlb["securityGroups"], "an NLB gets security groups only when it is created")
	link := one(t, r.m, "aws:apigateway/vpcLink:VpcLink")
	require.Equal(t, output(t, r.m, "aws:lb/loadBalancer:LoadBalancer", "api-nlb", "arn"), link["targetArn"])
	tg := named(t, r.m, "aws:lb/targetGroup:TargetGroup", "api-todo-tg")
	require.Equal(t, "TCP", tg["protocol"])
	require.Equal(t, "HTTP", tg["healthCheck"].(map[string]any)["protocol"], "health checks cross PrivateLink to the service's path")
	listener := named(t, r.m, "aws:lb/listener:Listener", "api-todo-listener")
	require.EqualValues(t, 20001, listener["port"])

	stage := one(t, r.m, "aws:apigateway/stage:Stage")
	require.Equal(t, true, stage["xrayTracingEnabled"])
	require.Equal(t, RestStageName, stage["stageName"])
	var format map[string]string
	parseJSON(t, stage["accessLogSettings"].(map[string]any)["format"], &format)
	require.Equal(t, apirules.RESTAccessLogFields, format)
	require.Contains(t, format, "apiKeyId")

	plan := one(t, r.m, "aws:apigateway/usagePlan:UsagePlan")
	require.Equal(t, map[string]any{"limit": 1000.0, "period": "DAY"}, plan["quotaSettings"])
	require.Equal(t, map[string]any{"rateLimit": 10.0, "burstLimit": 20.0}, plan["throttleSettings"])
	planKey := one(t, r.m, "aws:apigateway/usagePlanKey:UsagePlanKey")
	require.Equal(t, output(t, r.m, "aws:apigateway/apiKey:ApiKey", "api-client-partner-a-key", "id"), planKey["keyId"])

	acl := one(t, r.m, "aws:wafv2/webAcl:WebAcl")
	rules := acl["rules"].([]any)
	require.Len(t, rules, 3, "the rate rule and two groups")
	require.Equal(t, "rate-limit-per-ip", rules[0].(map[string]any)["name"])
	byName := map[string]map[string]any{}
	for _, rule := range rules {
		byName[rule.(map[string]any)["name"].(string)] = rule.(map[string]any)
	}
	require.Equal(t, map[string]any{"count": map[string]any{}}, byName["AWSManagedRulesCommonRuleSet"]["overrideAction"])
	require.Equal(t, map[string]any{"none": map[string]any{}}, byName["AWSManagedRulesAmazonIpReputationList"]["overrideAction"])
	require.EqualValues(t, 3, byName["AWSManagedRulesCommonRuleSet"]["priority"], "a group's priority is its place in WAFRuleGroups")
	association := one(t, r.m, "aws:wafv2/webAclAssociation:WebAclAssociation")
	require.Equal(t, output(t, r.m, "aws:apigateway/stage:Stage", "api-stage", "arn"), association["resourceArn"])
	require.Equal(t, "private-apis-test-api-waf", acl["name"], "named for the project and stack")
	require.Equal(t, acl["name"], acl["visibilityConfig"].(map[string]any)["metricName"], "its metrics' WebACL dimension is its name either way")
	require.Equal(t, false, acl["visibilityConfig"].(map[string]any)["sampledRequestsEnabled"], "sampled requests would show API keys")
	logging := one(t, r.m, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
	require.Equal(t, []any{map[string]any{"singleHeader": map[string]any{"name": "x-api-key"}}}, logging["redactedFields"], "no key in WAF's logs")
	var policy map[string]any
	parseJSON(t, one(t, r.m, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy")["policyDocument"], &policy)
	condition := policy["Statement"].([]any)[0].(map[string]any)["Condition"].(map[string]any)
	require.Equal(t, map[string]any{"aws:SourceAccount": r.m.Account}, condition["StringEquals"])
	for _, retained := range []string{"aws:iam/role:Role", "aws:apigateway/account:Account"} {
		for _, res := range r.m.ByType(retained) {
			if res.Name == "api-apigw-logs" || res.Name == "api-apigw-account" {
				require.True(t, res.RetainOnDelete, "%s is the account's and stays", res.Name)
			}
		}
	}
	wafLogs := named(t, r.m, "aws:cloudwatch/logGroup:LogGroup", "api-waf-logs")
	require.Equal(t, "aws-waf-logs-api-", wafLogs["namePrefix"])
}

// TestPrivateApiRestDeployments: a new deployment exactly when what it
// holds changes, and the stage moves to it before the old one goes.
func TestPrivateApiRestDeployments(t *testing.T) {
	tests := []struct {
		name     string
		change   func(*PrivateApiArgs)
		redeploy bool
	}{
		{"nothing", func(*PrivateApiArgs) {}, false},
		{"a client's quota", func(a *PrivateApiArgs) {
			a.Rest.Clients["partner-a"] = apirules.ClientPlan{RateLimit: 1, BurstLimit: 1}
		}, false},
		{"WAF off", func(a *PrivateApiArgs) { a.Rest.WAF = nil }, false},
		{"a route's throttling", func(a *PrivateApiArgs) { a.Throttling.RateLimit = 40 }, false},
		{"a route added", func(a *PrivateApiArgs) { a.Backends[0].Routes = append(a.Backends[0].Routes, "GET /dogs/{id}") }, true},
		{"a route removed", func(a *PrivateApiArgs) { a.Backends[1].Routes = a.Backends[1].Routes[:1] }, true},
		{"a backend removed", func(a *PrivateApiArgs) { a.Backends = a.Backends[:1] }, true},
		{"the execute-api address off", func(a *PrivateApiArgs) { a.DisableExecuteApiEndpoint = true }, true},
		{"a route made public", func(a *PrivateApiArgs) { a.Rest.PublicRoutes = []string{"GET /dogs"} }, true},
		{"a denied range", func(a *PrivateApiArgs) { a.Rest.DeniedSourceIps = []string{"198.51.100.0/24"} }, true},
		{"the integration timeout", func(a *PrivateApiArgs) { a.IntegrationTimeoutMilliseconds = 5000 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fakeaws.New()
			_, err := deployPrivateApi(m, asRest)
			require.NoError(t, err)
			_, err = deployPrivateApi(m, func(a *PrivateApiArgs) { asRest(a); tt.change(a) })
			require.NoError(t, err, "the old deployment goes once the stage has moved")
			_, replaced := m.Changes().Replaced["aws:apigateway/deployment:Deployment api-deployment"]
			require.Equal(t, tt.redeploy, replaced)
			_, moved := m.Changes().Changed["aws:apigateway/stage:Stage api-stage"]
			require.Equal(t, tt.redeploy, moved)
		})
	}
}

func TestPrivateApiRestPolicy(t *testing.T) {
	tests := []struct {
		name string
		opts RestOptions
		want string
	}{
		{"none", RestOptions{}, ""},
		{"allowed ranges", RestOptions{AllowedSourceIps: []string{"203.0.113.0/24"}},
			`{"Statement":[{"Action":"execute-api:Invoke","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24"]}},"Effect":"Allow","Principal":"*","Resource":"execute-api:/*"}],"Version":"2012-10-17"}`},
		{"denied ranges", RestOptions{DeniedSourceIps: []string{"198.51.100.7/32"}},
			`{"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Principal":"*","Resource":"execute-api:/*"},{"Action":"execute-api:Invoke","Condition":{"IpAddress":{"aws:SourceIp":["198.51.100.7/32"]}},"Effect":"Deny","Principal":"*","Resource":"execute-api:/*"}],"Version":"2012-10-17"}`},
		{"private", RestOptions{EndpointType: EndpointPrivate, AllowedVpcEndpoints: []string{"vpce-0123456789abcdef0"}},
			`{"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Principal":"*","Resource":"execute-api:/*"},{"Action":"execute-api:Invoke","Condition":{"StringNotEquals":{"aws:SourceVpce":["vpce-0123456789abcdef0"]}},"Effect":"Deny","Principal":"*","Resource":"execute-api:/*"}],"Version":"2012-10-17"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, restPolicy(tt.opts))
		})
	}
}

func TestRestMethodPathsAndResources(t *testing.T) {
	require.Equal(t, "~1todo~1{id}/DELETE", restMethodPath("DELETE /todo/{id}"))
	require.Equal(t, "~1/GET", restMethodPath("GET /"))
	require.Equal(t, []string{"/a", "/todo", "/a/{proxy+}", "/todo/{id}"},
		restPaths([]Backend{{Routes: []string{"GET /todo/{id}", "GET /todo", "ANY /a/{proxy+}", "GET /"}}}), "parents first")
	require.Equal(t, []string{"proxy"}, restPathParameters("/a/{proxy+}"))
}

func TestPrivateApiRestRefuses(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*PrivateApiArgs)
		want   string
	}{
		{"no listener port", func(a *PrivateApiArgs) { a.Backends[0].ListenerPort = 0 }, "ListenerPort 0 must be 1-65535"},
		{"a port twice", func(a *PrivateApiArgs) { a.Backends[1].ListenerPort = a.Backends[0].ListenerPort }, "both have NLB listener port 20000"},
		{"JWT", func(a *PrivateApiArgs) { a.Jwt = &JwtAuth{Issuer: "https://i.example.com", Audiences: []string{"a"}} }, "Jwt and CORS are an HTTP API's"},
		{"two variables under one parent", func(a *PrivateApiArgs) {
			a.Backends[1].Routes = []string{"GET /todo/{id}", "DELETE /todo/{todoId}"}
		}, "two different variables"},
		{"a public route no backend serves", func(a *PrivateApiArgs) { a.Rest.PublicRoutes = []string{"GET /cats"} }, `"GET /cats" is not one of the backends' routes`},
		{"a bad client", func(a *PrivateApiArgs) { a.Rest.Clients["x"] = apirules.ClientPlan{} }, "Clients: clients = x: {rateLimit: 0}"},
		{"a WAF rate limit under the provider's", func(a *PrivateApiArgs) { a.Rest.WAF.RateLimit = 99 }, "WAF: rate limit 99 must be 100"},
		{"an unknown WAF rule group", func(a *PrivateApiArgs) { a.Rest.WAF.RuleGroups["AWSManagedRulesBotControlRuleSet"] = WAFBlock }, `WAF: rule group "AWSManagedRulesBotControlRuleSet" is not one of`},
		{"too many backends", func(a *PrivateApiArgs) {
			for i := len(a.Backends); i <= MaxRestBackends; i++ {
				b := backend("dogs", 0, fmt.Sprintf("GET /b%d", i))
				b.Name, b.ListenerPort = fmt.Sprintf("b%d", i), 30000+i
				a.Backends = append(a.Backends, b)
			}
		}, "51 backends: a REST API's NLB takes a listener each, and at most 50"},
		{"Rest options on HTTP", func(a *PrivateApiArgs) { a.Type = ""; a.Rest = RestOptions{EndpointType: EndpointPrivate} }, "Rest options are a REST API's"},
		{"an unknown type", func(a *PrivateApiArgs) { a.Type = "soap" }, `Type "soap" must be http or rest`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := runPrivateApi(t, func(a *PrivateApiArgs) { asRest(a); tt.mutate(a) })
			require.ErrorContains(t, err, tt.want)
			requireNamedOnce(t, err, "private api api")
			require.Empty(t, r.m.ByType("aws:lb/loadBalancer:LoadBalancer"), "refused before anything is created")
		})
	}
}

func TestWAFCapacity(t *testing.T) {
	all := map[string]string{}
	total := wafRateRuleCapacity
	for _, g := range WAFRuleGroups {
		all[g.Name] = WAFBlock
		total += g.Capacity
	}
	require.NoError(t, WAFOptions{RuleGroups: all, RateLimit: 100}.Check(), "every group fits: %d units", total)
	require.LessOrEqual(t, total, WAFCapacityLimit)
	require.ErrorContains(t, WAFOptions{RuleGroups: all, RateLimit: WAFMaxRateLimit + 1}.Check(), "must be 100 to 2000000000")
}

// restBody is the REST API's OpenAPI definition as deployed.
func restBody(t *testing.T, r *testRun) map[string]any {
	t.Helper()
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(one(t, r.m, "aws:apigateway/restApi:RestApi")["body"].(string)), &body))
	return body
}

func TestPrivateApiRestBody(t *testing.T) {
	r, err := runPrivateApi(t, func(a *PrivateApiArgs) {
		asRest(a)
		a.Backends[1].Routes = append(a.Backends[1].Routes, "DELETE /todo/{id}", "ANY /todo/admin/{proxy+}")
		a.Rest.PublicRoutes = []string{"GET /dogs"}
	})
	require.NoError(t, err)
	paths := restBody(t, r)["paths"].(map[string]any)
	require.Len(t, paths, 4, "/dogs, /todo, /todo/{id}, /todo/admin/{proxy+}")
	public := paths["/dogs"].(map[string]any)["get"].(map[string]any)
	require.NotContains(t, public, "security", "a public route needs no key")
	integration := public["x-amazon-apigateway-integration"].(map[string]any)
	require.Equal(t, "'anonymous'", integration["requestParameters"].(map[string]any)["integration.request.header.x-user-id"])
	require.Equal(t, "'-'", integration["requestParameters"].(map[string]any)["integration.request.header.x-api-key"], "no backend gets a client's key")

	del := paths["/todo/{id}"].(map[string]any)["delete"].(map[string]any)
	require.Equal(t, []any{map[string]any{"api_key": []any{}}}, del["security"])
	integration = del["x-amazon-apigateway-integration"].(map[string]any)
	require.Equal(t, "http_proxy", integration["type"])
	require.Equal(t, "VPC_LINK", integration["connectionType"])
	require.Equal(t, output(t, r.m, "aws:apigateway/vpcLink:VpcLink", "api-vpclink", "id"), integration["connectionId"])
	require.Regexp(t, `^http://internal-api-nlb-[0-9a-f]+-[0-9a-f]{16}\.elb\.us-west-2\.amazonaws\.com:20001/todo/\{id\}$`, integration["uri"])
	require.Equal(t, map[string]any{
		"integration.request.path.id":          "method.request.path.id",
		"integration.request.header.x-user-id": "context.identity.apiKeyId",
		"integration.request.header.x-api-key": "'-'",
	}, integration["requestParameters"])
	require.EqualValues(t, 29000, integration["timeoutInMillis"])

	greedy := paths["/todo/admin/{proxy+}"].(map[string]any)["x-amazon-apigateway-any-method"].(map[string]any)
	integration = greedy["x-amazon-apigateway-integration"].(map[string]any)
	require.Equal(t, "ANY", integration["httpMethod"])
	require.Regexp(t, `:20001/todo/admin/\{proxy\}$`, integration["uri"])
	require.Equal(t, "method.request.path.proxy", integration["requestParameters"].(map[string]any)["integration.request.path.proxy"])
}
