package stacks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

// restConsumerConfig is the consumer as a REST API with a client that has
// a quota, WAF on (its default) and an open route.
func restConsumerConfig(stacks ...string) map[string]string {
	return with(validConsumerConfig(stacks...), "apiType", "rest",
		"clients", `{"partner-a": {"rateLimit": 10, "burstLimit": 20, "quotaLimit": 10000, "quotaPeriod": "DAY"}}`,
		"publicRoutes", `["GET /dogs"]`)
}

// apiTypes are the consumer's API types, each with the config that turns
// it on: every lifecycle test of the consumer runs for both.
var apiTypes = []struct {
	name   string
	config func(stacks ...string) map[string]string
}{{"http", validConsumerConfig}, {"rest", restConsumerConfig}}

func TestConsumerRestApi(t *testing.T) {
	for _, preview := range []bool{true, false} {
		t.Run(fmt.Sprintf("preview=%v", preview), func(t *testing.T) {
			m, out, err := runConsumerStack(t, restConsumerConfig(), twoProviders(), func(m *fakeaws.AWS) { m.Preview = preview })
			require.NoError(t, err)
			require.Empty(t, m.ByType("aws:apigatewayv2/api:Api"), "no HTTP API")
			require.Len(t, m.ByType("aws:apigateway/restApi:RestApi"), 1)
			if !preview {
				require.Len(t, restOperations(t, m), 7, "a method per route key")
			}
			require.Len(t, m.ByType("aws:apigateway/deployment:Deployment"), 1)
			require.Len(t, m.ByType("aws:lb/listener:Listener"), 2, "a listener per provider")
			require.Len(t, m.ByType("aws:wafv2/webAcl:WebAcl"), 1, "WAF is on by default")
			require.Len(t, m.ByType("aws:apigateway/apiKey:ApiKey"), 1)
			if preview {
				return
			}
			require.Contains(t, out["apiUrl"], "/"+components.RestStageName)
			ids := out["apiKeyIds"].(map[string]string)
			require.Len(t, ids, 1)
			require.Regexp(t, `^[0-9a-f]{10}$`, ids["partner-a"])
			exported, err := json.Marshal(out)
			require.NoError(t, err)
			for _, key := range m.ByType("aws:apigateway/apiKey:ApiKey") {
				value, _ := key.OutputMap()["value"].(string)
				require.NotEmpty(t, value)
				require.NotContains(t, string(exported), value, "a key is never exported")
			}
		})
	}
}

// restOperations are the REST API's methods, from its OpenAPI body, by
// route key; nil without a REST API.
func restOperations(t *testing.T, m *fakeaws.AWS) map[string]map[string]any {
	t.Helper()
	api, ok := m.Named("aws:apigateway/restApi:RestApi", apiName)
	if !ok {
		return nil
	}
	var body struct {
		Paths map[string]map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal([]byte(api.Map()["body"].(string)), &body))
	ops := map[string]map[string]any{}
	for path, methods := range body.Paths {
		for method, op := range methods {
			if method == "x-amazon-apigateway-any-method" {
				method = "any"
			}
			ops[strings.ToUpper(method)+" "+path] = op
		}
	}
	return ops
}

func TestConsumerRestMethods(t *testing.T) {
	m, _, err := runConsumerStack(t, with(restConsumerConfig(), "routeThrottling", `{"GET /todo/{id}": {"rateLimit": 5, "burstLimit": 10}}`), twoProviders(), nil)
	require.NoError(t, err)
	ops := restOperations(t, m)
	require.NotContains(t, ops["GET /dogs"], "security", "a public route needs no key")
	require.Equal(t, []any{map[string]any{"api_key": []any{}}}, ops["GET /todo"]["security"])

	integration := ops["DELETE /todo/{id}"]["x-amazon-apigateway-integration"].(map[string]any)
	require.Equal(t, "http_proxy", integration["type"])
	require.Equal(t, "VPC_LINK", integration["connectionType"])
	port := listenerPort(nil, todoStack)
	require.Regexp(t, fmt.Sprintf(`^http://internal-api-nlb-[0-9a-f]+-[0-9a-f]{16}\.elb\.us-west-2\.amazonaws\.com:%d/todo/\{id\}$`, port), integration["uri"])
	require.Equal(t, "context.identity.apiKeyId", integration["requestParameters"].(map[string]any)["integration.request.header.x-user-id"])

	listener, ok := m.Named("aws:lb/listener:Listener", apiName+"-"+backendName(todoStack)+"-listener")
	require.True(t, ok)
	require.EqualValues(t, port, listener.Map()["port"])
	require.Equal(t, "TCP", listener.Map()["protocol"])

	paths := map[string]bool{}
	for _, s := range m.ByType("aws:apigateway/methodSettings:MethodSettings") {
		paths[s.Map()["methodPath"].(string)] = true
	}
	require.Equal(t, map[string]bool{"*/*": true, "~1todo~1{id}/GET": true, "~1todo/POST": true, "~1todo~1{id}/DELETE": true}, paths,
		"the stage's defaults, the write routes' and a route's own limits")
}

// TestConsumerRestBadConfig: each combination a REST or HTTP API can't
// carry is refused before anything is created, naming the key and value.
func TestConsumerRestBadConfig(t *testing.T) {
	rest := restConsumerConfig()
	http := validConsumerConfig()
	tests := []struct {
		name string
		cfg  map[string]string
		want []string
	}{
		{"unknown type", with(http, "apiType", "graphql"), []string{`private-apis:apiType = "graphql"`, "must be http (an HTTP API) or rest"}},
		{"clients on http", with(http, "clients", `{"partner-a": {"rateLimit": 1, "burstLimit": 1}}`), []string{`private-apis:clients = "partner-a"`, "set private-apis:apiType to rest"}},
		{"WAF rule groups on http", with(http, "wafRuleGroups", `{"AWSManagedRulesCommonRuleSet": "count"}`), []string{"private-apis:wafRuleGroups", "only a REST API has it"}},
		{"WAF rate on http", with(http, "wafRateLimit", "500"), []string{`private-apis:wafRateLimit = "500": only a REST API has it`}},
		{"private endpoint on http", with(http, "endpointType", "PRIVATE"), []string{`private-apis:endpointType = "PRIVATE": only a REST API has it`}},
		{"source IPs on http", with(http, "allowedSourceIps", `["203.0.113.0/24"]`), []string{"private-apis:allowedSourceIps", "only a REST API has it"}},
		{"listener ports on http", with(http, "listenerPorts", `{"`+todoStack+`": 24242}`), []string{"private-apis:listenerPorts", "only a REST API has it"}},
		{"JWT on rest", with(rest, "jwtIssuer", "https://issuer.example.com", "jwtAudiences", `["a"]`), []string{`private-apis:jwtIssuer = "https://issuer.example.com"`, "a JWT authorizer is an HTTP API's"}},
		{"CORS on rest", with(rest, "cors", `{"allowOrigins": ["https://app.example.com"]}`), []string{`private-apis:cors = "https://app.example.com"`, "set private-apis:apiType to http for browser clients"}},
		{"write scopes on rest", with(rest, "writeScopes", `["todo/write"]`), []string{`private-apis:writeScopes = ["todo/write"]`, "which only an HTTP API has"}},
		{"public routes without clients", with(rest, "clients", "<unset>"), []string{`private-apis:publicRoutes = ["GET /dogs"]`, "without private-apis:clients no route needs one"}},
		{"rule priorities on rest", with(rest, "listenerRulePriorities", `{"`+todoStack+`": 7}`), []string{"private-apis:listenerRulePriorities", "pin those in private-apis:listenerPorts"}},
		{"a client's name", with(rest, "clients", `{"Partner A": {"rateLimit": 1, "burstLimit": 1}}`), []string{`private-apis:clients = "Partner A"`, "lower-case letters, digits and inner dashes"}},
		{"a client without limits", with(rest, "clients", `{"partner-a": {"quotaLimit": 10, "quotaPeriod": "DAY"}}`), []string{"private-apis:clients = partner-a: {rateLimit: 0}", "rateLimit must be 1 to 10000"}},
		{"a quota without a period", with(rest, "clients", `{"partner-a": {"rateLimit": 1, "burstLimit": 1, "quotaLimit": 10}}`), []string{`partner-a: {quotaPeriod: ""}`, "one of DAY, WEEK, MONTH"}},
		{"a quota period in lower case", with(rest, "clients", `{"partner-a": {"rateLimit": 1, "burstLimit": 1, "quotaLimit": 10, "quotaPeriod": "day"}}`), []string{`partner-a: {quotaPeriod: "day"}`}},
		{"a misspelt client field", with(rest, "clients", `{"partner-a": {"rateLimt": 1}}`), []string{"private-apis:clients", `unknown field "rateLimt"`}},
		{"an unknown WAF rule group", with(rest, "wafRuleGroups", `{"AWSManagedRulesBotControlRuleSet": "block"}`), []string{"private-apis:wafRuleGroups", `"AWSManagedRulesBotControlRuleSet" is not one of`}},
		{"a WAF action", with(rest, "wafRuleGroups", `{"AWSManagedRulesCommonRuleSet": "deny"}`), []string{"private-apis:wafRuleGroups", `action "deny" must be block or count`}},
		{"a WAF rate too low", with(rest, "wafRateLimit", "10"), []string{`private-apis:wafRateLimit = "10"`, "must be 100 to 2000000000"}},
		{"a bad WAF group and rate", with(rest, "wafRuleGroups", `{"Foo": "block"}`, "wafRateLimit", "10"), []string{
			`private-apis:wafRuleGroups = map[Foo:block]: rule group "Foo" is not one of`, `private-apis:wafRateLimit = "10": rate limit 10 must be 100`}},
		{"WAF settings with WAF off", with(rest, "waf", "false", "wafRateLimit", "500"), []string{`private-apis:wafRateLimit = "500": only means something with WAF on`}},
		{"more providers than an NLB has listeners", with(rest, "providers", manyProviders(51)), []string{"private-apis:providers = 51 stacks", "at most 50 listeners"}},
		{"an endpoint type", with(rest, "endpointType", "EDGE"), []string{`private-apis:endpointType = "EDGE"`, "must be REGIONAL or PRIVATE"}},
		{"private without endpoints", with(rest, "endpointType", "PRIVATE"), []string{`private-apis:endpointType = "PRIVATE"`, "needs private-apis:allowedVpcEndpoints"}},
		{"private with source IPs", with(rest, "endpointType", "PRIVATE", "allowedVpcEndpoints", `["vpce-0123456789abcdef0"]`, "deniedSourceIps", `["198.51.100.7/32"]`), []string{"private-apis:deniedSourceIps", "no public source IP"}},
		{"private with a domain", with(rest, "endpointType", "PRIVATE", "allowedVpcEndpoints", `["vpce-0123456789abcdef0"]`, "domainName", "api.example.com", "hostedZoneId", testZoneID), []string{`private-apis:domainName = "api.example.com"`, "set private-apis:endpointType to REGIONAL"}},
		{"a VPC endpoint ID", with(rest, "endpointType", "PRIVATE", "allowedVpcEndpoints", `["vpce-svc-0123456789abcdef0"]`), []string{"private-apis:allowedVpcEndpoints", `"vpce-svc-0123456789abcdef0" is not a VPC endpoint ID`}},
		{"endpoints on a regional API", with(rest, "allowedVpcEndpoints", `["vpce-0123456789abcdef0"]`), []string{"private-apis:allowedVpcEndpoints", "only mean something with private-apis:endpointType PRIVATE"}},
		{"a CIDR with host bits", with(rest, "allowedSourceIps", `["203.0.113.7/24"]`), []string{"private-apis:allowedSourceIps", `"203.0.113.7/24" is not a CIDR range`}},
		{"a listener port out of range", with(rest, "listenerPorts", `{"`+todoStack+`": 70000}`), []string{"private-apis:listenerPorts", "a port is 1 to 65535"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := runConsumerStack(t, tt.cfg, twoProviders(), func(m *fakeaws.AWS) { withAccountDomains(m) })
			require.Error(t, err)
			for _, want := range tt.want {
				require.ErrorContains(t, err, want)
			}
			require.Empty(t, customResources(m), "nothing is created")
		})
	}
}

// manyProviders is a providers list of n stacks.
func manyProviders(n int) string {
	stacks := make([]string, n)
	for i := range stacks {
		stacks[i] = fmt.Sprintf("organization/private-apis/svc%d", i)
	}
	return `["` + strings.Join(stacks, `","`) + `"]`
}
