package stacks

import (
	"encoding/json"
	"fmt"
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
			require.Len(t, m.ByType("aws:apigateway/method:Method"), 7, "one per route key")
			require.Len(t, m.ByType("aws:apigateway/integration:Integration"), 7)
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

func TestConsumerRestMethods(t *testing.T) {
	m, _, err := runConsumerStack(t, with(restConsumerConfig(), "routeThrottling", `{"GET /todo/{id}": {"rateLimit": 5, "burstLimit": 10}}`), twoProviders(), nil)
	require.NoError(t, err)
	methods := map[string]map[string]any{}
	for _, r := range m.ByType("aws:apigateway/method:Method") {
		methods[r.Name] = r.Map()
	}
	require.Equal(t, false, methods[apiName+"-get-dogs"]["apiKeyRequired"], "a public route needs no key")
	require.Equal(t, true, methods[apiName+"-get-todo"]["apiKeyRequired"])
	require.Equal(t, map[string]any{"method.request.path.id": true}, methods[apiName+"-delete-todo-id"]["requestParameters"])

	integration, ok := m.Named("aws:apigateway/integration:Integration", apiName+"-delete-todo-id")
	require.True(t, ok)
	in := integration.Map()
	require.Equal(t, "HTTP_PROXY", in["type"])
	require.Equal(t, "VPC_LINK", in["connectionType"])
	port := listenerPort(nil, todoStack)
	require.Regexp(t, fmt.Sprintf(`^http://internal-api-nlb-[0-9a-f]+-[0-9a-f]{16}\.elb\.us-west-2\.amazonaws\.com:%d/todo/\{id\}$`, port), in["uri"])
	require.Equal(t, map[string]any{
		"integration.request.path.id":          "method.request.path.id",
		"integration.request.header.x-user-id": "context.identity.apiKeyId",
	}, in["requestParameters"])
	public, _ := m.Named("aws:apigateway/integration:Integration", apiName+"-get-dogs")
	require.Equal(t, "'anonymous'", public.Map()["requestParameters"].(map[string]any)["integration.request.header.x-user-id"])

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
