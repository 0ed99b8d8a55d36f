package components

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

func backend(name string, routes ...string) Backend {
	return Backend{
		Name: name, EndpointServiceName: "com.amazonaws.vpce.us-west-2.vpce-svc-" + name,
		SubnetIds: pulumi.StringArray{pulumi.String("subnet-a"), pulumi.String("subnet-b")}, SubnetCount: 2,
		Port: 8080, HealthCheckPath: "/healthz", Routes: routes,
	}
}

func runPrivateApi(t *testing.T, mutate func(*PrivateApiArgs)) (*testRun, error) {
	t.Helper()
	m, out, err := run(t, func(ctx *pulumi.Context) error {
		net, err := testNetwork(ctx)
		if err != nil {
			return err
		}
		args := &PrivateApiArgs{
			VpcId:     net.VpcId,
			SubnetIds: net.WorkloadSubnetIds,
			Backends:  []Backend{backend("dogs", "GET /dogs"), backend("todo", "GET /todo", "POST /todo")},
		}
		mutate(args)
		api, err := NewPrivateApi(ctx, "api", args)
		if err != nil {
			return err
		}
		ctx.Export("endpoint", api.ApiEndpoint)
		return nil
	})
	return &testRun{m: m, out: out}, err
}

func TestPrivateApiDefaults(t *testing.T) {
	r, err := runPrivateApi(t, func(*PrivateApiArgs) {})
	require.NoError(t, err)
	stage := one(t, r.m, "aws:apigatewayv2/stage:Stage")
	require.EqualValues(t, 100, stage["defaultRouteSettings"].(map[string]any)["throttlingRateLimit"])
	require.Len(t, stage["routeSettings"], 1, "POST /todo is the only write")
	for _, i := range r.m.ByType("aws:apigatewayv2/integration:Integration") {
		require.EqualValues(t, 29000, i.Map()["timeoutMilliseconds"])
	}
	require.Len(t, r.m.ByType("aws:lb/targetGroupAttachment:TargetGroupAttachment"), 4)
	require.Empty(t, r.m.ByType("aws:apigatewayv2/authorizer:Authorizer"))
	require.NotEmpty(t, r.out["endpoint"])
}

func TestPrivateApiRejectsBadArgs(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*PrivateApiArgs)
		wantErr string
	}{
		{"no backends", func(a *PrivateApiArgs) { a.Backends = nil }, "no backends"},
		{"timeout over API Gateway's limit", func(a *PrivateApiArgs) { a.IntegrationTimeoutMilliseconds = 31000 }, "IntegrationTimeoutMilliseconds 31000"},
		{"bad backend name", func(a *PrivateApiArgs) { a.Backends[0].Name = "Dogs_1" }, `backend name "Dogs_1"`},
		{"duplicate backend", func(a *PrivateApiArgs) { a.Backends[1].Name = "dogs" }, `backend name "dogs"`},
		{"route claimed twice", func(a *PrivateApiArgs) { a.Backends[1].Routes = []string{"GET /dogs"} }, `route "GET /dogs" is served by both dogs and todo`},
		{"greedy route", func(a *PrivateApiArgs) { a.Backends[0].Routes = []string{"ANY /{proxy+}"} }, "greedy"},
		{"colliding resource names", func(a *PrivateApiArgs) { a.Backends[1].Routes = []string{"GET /dogs-x", "GET /dogs/x"} }, "would share the resource name"},
		{"no subnets", func(a *PrivateApiArgs) { a.Backends[0].SubnetCount = 0 }, "SubnetIds and SubnetCount are required"},
		{"http issuer", func(a *PrivateApiArgs) { a.Jwt = &JwtAuth{Issuer: "http://x", Audiences: []string{"a"}} }, "https Issuer"},
		{"unknown public route", func(a *PrivateApiArgs) {
			a.Jwt = &JwtAuth{Issuer: "https://x", Audiences: []string{"a"}, PublicRoutes: []string{"GET /cats"}}
		}, `public route "GET /cats"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := runPrivateApi(t, tt.mutate)
			require.ErrorContains(t, err, tt.wantErr)
			require.Empty(t, r.m.ByType("aws:apigatewayv2/api:Api"))
		})
	}
}

func TestRouteResourceName(t *testing.T) {
	require.Equal(t, "get-todo-id", routeResourceName("GET /todo/{id}"))
	require.Equal(t, "delete-todo-id", routeResourceName("DELETE /todo/{id}"))
	require.True(t, isWrite("POST /todo"))
	require.False(t, isWrite("GET /todo"))
}
