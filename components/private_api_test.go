package components

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

// endpointServices are the backends' endpoint service names, by backend.
var endpointServices = map[string]string{
	"dogs": "com.amazonaws.vpce.us-west-2.vpce-svc-0d06a1b2c3d4e5f60",
	"todo": "com.amazonaws.vpce.us-west-2.vpce-svc-070d0a1b2c3d4e5f6",
}

func backend(name string, priority int, routes ...string) Backend {
	return Backend{
		Name: name, Provider: "organization/private-apis/" + name, EndpointServiceName: endpointServices[name],
		SubnetIds: pulumi.StringArray{pulumi.String("subnet-0a1b2c3d4e5f60701"), pulumi.String("subnet-0a1b2c3d4e5f60702")}, AvailabilityZoneIds: []string{"usw2-az1", "usw2-az2"},
		Port: 8080, HealthCheckPath: "/healthz", Routes: routes, RulePriority: priority,
	}
}

func apiArgs(net *Network) *PrivateApiArgs {
	return &PrivateApiArgs{
		VpcId:     net.VpcId,
		SubnetIds: net.WorkloadSubnetIds,
		Backends:  []Backend{backend("dogs", 100, "GET /dogs"), backend("todo", 200, "GET /todo", "POST /todo")},
	}
}

// deployPrivateApi runs one deployment of a PrivateApi on m, the args
// shaped by mutate.
func deployPrivateApi(m *fakeaws.AWS, mutate func(*PrivateApiArgs)) (map[string]any, error) {
	return m.Run("test", nil, "", func(ctx *pulumi.Context) error {
		net, err := testNetwork(ctx)
		if err != nil {
			return err
		}
		args := apiArgs(net)
		mutate(args)
		api, err := NewPrivateApi(ctx, "api", args)
		if err != nil {
			return err
		}
		ctx.Export("endpoint", api.ApiEndpoint)
		for name, id := range api.EndpointIds {
			ctx.Export("endpoint-"+name, id)
		}
		return nil
	})
}

func runPrivateApi(t *testing.T, mutate func(*PrivateApiArgs)) (*testRun, error) {
	t.Helper()
	m := fakeaws.New()
	out, err := deployPrivateApi(m, mutate)
	return &testRun{m: m, out: out}, err
}

func TestPrivateApiDefaults(t *testing.T) {
	r, err := runPrivateApi(t, func(*PrivateApiArgs) {})
	require.NoError(t, err)
	stage := one(t, r.m, "aws:apigatewayv2/stage:Stage")
	defaults := stage["defaultRouteSettings"].(map[string]any)
	d := apirules.DefaultThrottling
	require.EqualValues(t, d.RateLimit, defaults["throttlingRateLimit"], "applied to each route on its own")
	require.EqualValues(t, d.BurstLimit, defaults["throttlingBurstLimit"])
	require.Equal(t, []any{map[string]any{"routeKey": "POST /todo", "throttlingRateLimit": float64(d.WriteRateLimit), "throttlingBurstLimit": float64(d.WriteBurstLimit), "detailedMetricsEnabled": false}},
		stage["routeSettings"], "POST /todo is the only write")
	require.Equal(t, false, defaults["detailedMetricsEnabled"], "per-route metrics cost money; off unless asked for")
	integrations := r.m.ByType("aws:apigatewayv2/integration:Integration")
	require.Len(t, integrations, 2, "one per backend")
	for _, i := range integrations {
		require.EqualValues(t, 29000, i.Map()["timeoutMilliseconds"])
	}
	require.Empty(t, r.m.ByType("aws:apigatewayv2/authorizer:Authorizer"))
	api := r.m.ByType("aws:apigatewayv2/api:Api")[0]
	require.Equal(t, api.OutputMap()["apiEndpoint"], r.out["endpoint"])
}

// TestPrivateApiDetailedMetrics: asked for, every route has them, the
// routes with settings of their own included (a route setting replaces the
// stage's defaults whole).
func TestPrivateApiDetailedMetrics(t *testing.T) {
	r, err := runPrivateApi(t, func(a *PrivateApiArgs) { a.DetailedMetrics = true })
	require.NoError(t, err)
	stage := one(t, r.m, "aws:apigatewayv2/stage:Stage")
	require.Equal(t, true, stage["defaultRouteSettings"].(map[string]any)["detailedMetricsEnabled"])
	settings := stage["routeSettings"].([]any)
	require.NotEmpty(t, settings)
	for _, s := range settings {
		require.Equal(t, true, s.(map[string]any)["detailedMetricsEnabled"], s)
	}
}

// TestPrivateApiBackendResources checks what each backend gets, named after
// it and tagged with its provider's full name.
func TestPrivateApiBackendResources(t *testing.T) {
	r, err := runPrivateApi(t, func(a *PrivateApiArgs) { a.Tags = pulumi.StringMap{"team": pulumi.String("platform")} })
	require.NoError(t, err)
	for _, b := range []struct {
		name     string
		priority float64
	}{{"dogs", 100}, {"todo", 200}} {
		wantTags := map[string]any{"team": "platform", ProviderTag: "organization/private-apis/" + b.name}
		endpoint := named(t, r.m, "aws:ec2/vpcEndpoint:VpcEndpoint", "api-"+b.name+"-endpoint")
		require.Equal(t, wantTags, endpoint["tags"])
		tg := named(t, r.m, "aws:lb/targetGroup:TargetGroup", "api-"+b.name+"-tg")
		require.Equal(t, wantTags, tg["tags"])
		rule := named(t, r.m, "aws:lb/listenerRule:ListenerRule", "api-"+b.name+"-rule")
		require.Equal(t, b.priority, rule["priority"], "the priority the backend was given")
		require.Equal(t, wantTags, rule["tags"])
		integration := named(t, r.m, "aws:apigatewayv2/integration:Integration", "api-"+b.name)
		require.Equal(t, "organization/private-apis/"+b.name+" over PrivateLink", integration["description"])
		require.Equal(t, output(t, r.m, "aws:ec2/vpcEndpoint:VpcEndpoint", "api-"+b.name+"-endpoint", "id"), r.out["endpoint-"+b.name])

		// The targets are the endpoint's interfaces' addresses, one per AZ.
		for _, zone := range []string{"usw2-az1", "usw2-az2"} {
			attachment := named(t, r.m, "aws:lb/targetGroupAttachment:TargetGroupAttachment", fmt.Sprintf("api-%s-target-%s", b.name, zone))
			require.Equal(t, output(t, r.m, "aws:lb/targetGroup:TargetGroup", "api-"+b.name+"-tg", "arn"), attachment["targetGroupArn"])
			require.EqualValues(t, 8080, attachment["port"])
		}
	}
	var ips []any
	for _, a := range r.m.ByType("aws:lb/targetGroupAttachment:TargetGroupAttachment") {
		ips = append(ips, a.Map()["targetId"])
	}
	require.Len(t, ips, 4)
	for i := range ips {
		for j := range ips {
			if i != j {
				require.NotEqual(t, ips[i], ips[j], "each interface is its own target")
			}
		}
	}
}

// TestPrivateApiPreview runs the component as the first preview of a stack
// does, with nothing AWS computes known yet.
func TestPrivateApiPreview(t *testing.T) {
	m := fakeaws.New()
	m.Preview = true
	_, err := deployPrivateApi(m, func(*PrivateApiArgs) {})
	require.NoError(t, err)
	attachments := m.ByType("aws:lb/targetGroupAttachment:TargetGroupAttachment")
	require.Len(t, attachments, 4, "a preview shows every target it will register")
	for _, a := range attachments {
		require.Equal(t, fakeaws.Unknown, a.Map()["targetId"], "an endpoint's addresses are known once it exists")
	}
}

// TestPrivateApiWiresAnEndpointOnceAccepted follows a provider that accepts
// connections itself through two consumer deployments: the first creates
// the endpoint, which waits with no interfaces, and registers no targets;
// once the provider accepts it, the second registers the addresses it has
// now, read live, since the endpoint's resource (unchanged, not refreshed)
// still holds what it was created with.
func TestPrivateApiWiresAnEndpointOnceAccepted(t *testing.T) {
	m := fakeaws.New()
	m.AcceptanceRequired[endpointServices["todo"]] = true
	pending := func(a *PrivateApiArgs) { a.Backends[1].AwaitingAcceptance = true }

	first, err := deployPrivateApi(m, pending)
	require.NoError(t, err, "a pending endpoint does not fail the deployment")
	require.Equal(t, fakeaws.EndpointPendingAcceptance, output(t, m, "aws:ec2/vpcEndpoint:VpcEndpoint", "api-todo-endpoint", "state"))
	attachments := m.ByType("aws:lb/targetGroupAttachment:TargetGroupAttachment")
	require.Len(t, attachments, 2, "the dogs endpoint's addresses, one per AZ")
	for _, a := range attachments {
		require.NotContains(t, a.Name, "api-todo-", "nothing to register yet")
	}
	named(t, m, "aws:lb/targetGroup:TargetGroup", "api-todo-tg")
	named(t, m, "aws:lb/listenerRule:ListenerRule", "api-todo-rule")
	named(t, m, "aws:apigatewayv2/route:Route", "api-post-todo")

	m.AcceptEndpoint(first["endpoint-todo"].(string))
	_, err = deployPrivateApi(m, func(*PrivateApiArgs) {})
	require.NoError(t, err)
	changes := m.Changes()
	require.Equal(t, []string{
		"aws:lb/targetGroupAttachment:TargetGroupAttachment api-todo-target-usw2-az1",
		"aws:lb/targetGroupAttachment:TargetGroupAttachment api-todo-target-usw2-az2",
	}, changes.Added)
	require.Empty(t, changes.Removed)
	require.Empty(t, changes.Changed, "only the targets are new")
	require.Equal(t, fakeaws.EndpointPendingAcceptance, output(t, m, "aws:ec2/vpcEndpoint:VpcEndpoint", "api-todo-endpoint", "state"),
		"the endpoint's resource still holds its state at creation")
}

func TestPrivateApiRefusesToRegisterAPendingEndpoint(t *testing.T) {
	m := fakeaws.New()
	m.AcceptanceRequired[endpointServices["todo"]] = true
	_, err := deployPrivateApi(m, func(*PrivateApiArgs) {})
	require.ErrorContains(t, err, "to organization/private-apis/todo is pendingAcceptance, so it has no addresses to register: the provider must accept it")
	require.ErrorContains(t, err, "`make up` does both")
}

func TestPrivateApiIntegrations(t *testing.T) {
	jwt := &JwtAuth{Issuer: "https://issuer.example.com", Audiences: []string{"app"}, PublicRoutes: []string{"GET /dogs", "GET /todo"}, WriteScopes: []string{"todo/write"}}
	tests := []struct {
		name string
		jwt  *JwtAuth
		// integration each route targets, and the user header mapping of
		// each integration
		routes       map[string]string
		integrations map[string]map[string]any
	}{
		{
			name:   "no authorization: every integration removes the user header",
			routes: map[string]string{"GET /dogs": "api-dogs", "GET /todo": "api-todo", "POST /todo": "api-todo"},
			integrations: map[string]map[string]any{
				"api-dogs": {"remove:header.x-user-id": "''"},
				"api-todo": {"remove:header.x-user-id": "''"},
			},
		},
		{
			name: "JWT: token routes get the subject, public routes their own integration without it",
			jwt:  jwt,
			routes: map[string]string{
				"GET /dogs": "api-dogs-public", "GET /todo": "api-todo-public", "POST /todo": "api-todo",
			},
			integrations: map[string]map[string]any{
				"api-dogs":        {"overwrite:header.x-user-id": "$context.authorizer.claims.sub"},
				"api-dogs-public": {"remove:header.x-user-id": "''"},
				"api-todo":        {"overwrite:header.x-user-id": "$context.authorizer.claims.sub"},
				"api-todo-public": {"remove:header.x-user-id": "''"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := runPrivateApi(t, func(a *PrivateApiArgs) { a.Jwt = tt.jwt })
			require.NoError(t, err)
			ids := map[string]string{}
			got := map[string]map[string]any{}
			for _, i := range r.m.ByType("aws:apigatewayv2/integration:Integration") {
				ids[i.ID] = i.Name
				params := i.Map()["requestParameters"].(map[string]any)
				require.Equal(t, i.Name[len("api-"):len("api-")+4], params["overwrite:header.X-Private-Apis-Backend"], "stamps its backend")
				delete(params, "overwrite:header.X-Private-Apis-Backend")
				got[i.Name] = params
			}
			require.Equal(t, tt.integrations, got)
			routes := r.m.ByType("aws:apigatewayv2/route:Route")
			require.Len(t, routes, len(tt.routes))
			for _, route := range routes {
				in := route.Map()
				key := in["routeKey"].(string)
				target := ids[in["target"].(string)[len("integrations/"):]]
				require.Equal(t, tt.routes[key], target, key)
				if got[target]["remove:header.x-user-id"] != nil {
					require.Equal(t, "NONE", in["authorizationType"], "%s: only routes without a token drop the header", key)
				} else {
					require.Equal(t, "JWT", in["authorizationType"], "%s: the subject comes from a verified token", key)
				}
			}
		})
	}
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
		{"backend name too long for a target group", func(a *PrivateApiArgs) { a.Backends[0].Name = "dognames-production" },
			`backend name "dognames-production" is 19 characters; with the API named "api" it may have 17`},
		{"no rule priority", func(a *PrivateApiArgs) { a.Backends[0].RulePriority = 0 }, "backend dogs: RulePriority 0 must be 1-50000"},
		{"shared rule priority", func(a *PrivateApiArgs) { a.Backends[1].RulePriority = 100 }, "backends dogs and todo both have listener rule priority 100"},
		{"route claimed twice", func(a *PrivateApiArgs) { a.Backends[1].Routes = []string{"GET /dogs"} }, `route "GET /dogs" is served by both dogs and todo`},
		{"greedy route", func(a *PrivateApiArgs) { a.Backends[0].Routes = []string{"ANY /{proxy+}"} }, "a catch-all for every path is not allowed"},
		{"overlapping prefix", func(a *PrivateApiArgs) {
			a.Backends[0].Routes = []string{"GET /dogs/males"}
			a.Backends[1].Routes = []string{"ANY /dogs/{proxy+}"}
		}, `route prefix "ANY /dogs/{proxy+}" of todo would capture "GET /dogs/males" of dogs`},
		{"colliding resource names", func(a *PrivateApiArgs) { a.Backends[1].Routes = []string{"GET /dogs-x", "GET /dogs/x"} }, "would share the resource name"},
		{"no subnets", func(a *PrivateApiArgs) { a.Backends[0].AvailabilityZoneIds = nil }, "SubnetIds and AvailabilityZoneIds are required"},
		{"http issuer", func(a *PrivateApiArgs) {
			a.Jwt = &JwtAuth{Issuer: "http://issuer.example.com", Audiences: []string{"a"}}
		}, `Jwt: issuer "http://issuer.example.com" is not an https URL`},
		{"no audience", func(a *PrivateApiArgs) { a.Jwt = &JwtAuth{Issuer: "https://issuer.example.com"} }, "at least one Audience"},
		{"write limit over the read limit", func(a *PrivateApiArgs) { a.Throttling = apirules.Throttling{RateLimit: 5, WriteRateLimit: 6} },
			"Throttling: writeRouteRateLimit = 6: must not exceed routeRateLimit (5)"},
		{"unknown public route", func(a *PrivateApiArgs) {
			a.Jwt = &JwtAuth{Issuer: "https://issuer.example.com", Audiences: []string{"a"}, PublicRoutes: []string{"GET /cats"}}
		}, `public route "GET /cats"`},
		{"limit of a route nobody serves", func(a *PrivateApiArgs) {
			a.Throttling.Routes = map[string]apirules.RouteLimit{"GET /cats": {RateLimit: 1, BurstLimit: 1}}
		}, `Throttling.Routes: "GET /cats" is not one of the backends' routes`},
		{"bad CORS", func(a *PrivateApiArgs) { a.CORS = apirules.CORS{AllowOrigins: []string{"http://a.example.com"}} }, `CORS: allowOrigins: "http://a.example.com" is not an https origin`},
		{"CORS preflights into a JWT route", func(a *PrivateApiArgs) {
			a.Backends[0].Routes = []string{"ANY /dogs/{proxy+}"}
			a.CORS = apirules.CORS{AllowOrigins: []string{"https://a.example.com"}}
			a.Jwt = &JwtAuth{Issuer: "https://issuer.example.com", Audiences: []string{"a"}}
		}, `route "ANY /dogs/{proxy+}" would get browsers' CORS preflights`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := runPrivateApi(t, tt.mutate)
			require.ErrorContains(t, err, tt.wantErr)
			requireNamedOnce(t, err, "private api api")
			require.Empty(t, r.m.ByType("aws:apigatewayv2/api:Api"))
		})
	}
}

func TestPrivateApiCORSAndOneAddress(t *testing.T) {
	r, err := runPrivateApi(t, func(a *PrivateApiArgs) {
		a.CORS = apirules.CORS{AllowOrigins: []string{"https://a.example.com"}, MaxAge: 60}
		a.DisableExecuteApiEndpoint = true
	})
	require.NoError(t, err)
	api := one(t, r.m, "aws:apigatewayv2/api:Api")
	require.Equal(t, true, api["disableExecuteApiEndpoint"])
	cors := api["corsConfiguration"].(map[string]any)
	require.Equal(t, []any{"https://a.example.com"}, cors["allowOrigins"])
	require.Equal(t, []any{"GET", "POST"}, cors["allowMethods"], "the backends' methods")
	require.EqualValues(t, 60, cors["maxAge"])
}

func TestMaxBackendNameLen(t *testing.T) {
	// The longest target group logical name Pulumi can autoname within
	// AWS's 32 characters is 24: "api-" + 17 + "-tg".
	require.Equal(t, 17, MaxBackendNameLen("api"))
	require.Equal(t, 24, len("api-")+MaxBackendNameLen("api")+len("-tg"))
}

func TestRouteResourceName(t *testing.T) {
	require.Equal(t, "get-todo-id", RouteResourceName("GET /todo/{id}"))
	require.Equal(t, "delete-todo-id", RouteResourceName("DELETE /todo/{id}"))
}
