package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigatewayv2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/private-apis/private-apis/apirules"
)

// accessLogFormat is one JSON line per request: enough to trace a request
// to its route and backend and to see why it failed.
var accessLogFormat = mustJSON(apirules.AccessLogFields)

// httpGateway is an HTTP API's half of the path: the shared ALB, and the
// API whose integrations reach its listener.
func (api *PrivateApi) httpGateway(ctx *pulumi.Context, name string, a PrivateApiArgs, g privateApiGroups) error {
	listenerArn, err := api.loadBalancer(ctx, name, a, g)
	if err != nil {
		return err
	}
	return api.httpApi(ctx, name, a, g, listenerArn)
}

// httpApi creates the public HTTP API: a VPC link into the consumer VPC,
// each backend's integrations to the shared listener, one route per route
// key, the JWT authorizer when configured, and the $default stage with
// per-route throttling and access logs.
func (api *PrivateApi) httpApi(ctx *pulumi.Context, name string, a PrivateApiArgs, g privateApiGroups, listenerArn pulumi.StringOutput) error {
	httpApi, err := apigatewayv2.NewApi(ctx, name, httpApiArgs(a), pulumi.Parent(api))
	if err != nil {
		return fmt.Errorf("creating HTTP API: %w", err)
	}
	link, err := apigatewayv2.NewVpcLink(ctx, name+"-vpclink", &apigatewayv2.VpcLinkArgs{
		SubnetIds:        a.SubnetIds,
		SecurityGroupIds: pulumi.StringArray{g.vpcLink.ID()},
		Tags:             a.Tags,
	}, pulumi.Parent(api))
	if err != nil {
		return fmt.Errorf("creating VPC link: %w", err)
	}
	var authorizerID pulumi.IDOutput
	if a.Jwt != nil {
		if authorizerID, err = api.jwtAuthorizer(ctx, name, a, httpApi.ID()); err != nil {
			return err
		}
	}
	routes, routeSettings, err := api.routes(ctx, name, a, integrationTarget{httpApi.ID(), link.ID(), listenerArn}, authorizerID)
	if err != nil {
		return err
	}
	stage, err := api.stage(ctx, name, a, httpApi.ID(), routes, routeSettings)
	if err != nil {
		return err
	}

	api.ApiId = httpApi.ID().ToStringOutput()
	api.ApiName = httpApi.Name
	api.ApiEndpoint = httpApi.ApiEndpoint
	api.StageName = stage.Name
	return nil
}

// httpApiArgs describe the API itself, with its CORS answers when on.
func httpApiArgs(a PrivateApiArgs) *apigatewayv2.ApiArgs {
	apiArgs := &apigatewayv2.ApiArgs{
		ProtocolType:              pulumi.String("HTTP"),
		Description:               pulumi.String("Public entry point to private services over PrivateLink"),
		DisableExecuteApiEndpoint: pulumi.Bool(a.DisableExecuteApiEndpoint),
		Tags:                      a.Tags,
	}
	if c := a.CORS; c.Enabled() {
		apiArgs.CorsConfiguration = &apigatewayv2.ApiCorsConfigurationArgs{
			AllowOrigins:     pulumi.ToStringArray(c.AllowOrigins),
			AllowMethods:     pulumi.ToStringArray(c.AllowMethods),
			AllowHeaders:     pulumi.ToStringArray(c.AllowHeaders),
			ExposeHeaders:    pulumi.ToStringArray(c.ExposeHeaders),
			MaxAge:           pulumi.Int(c.MaxAge),
			AllowCredentials: pulumi.Bool(c.AllowCredentials),
		}
	}
	return apiArgs
}

// jwtAuthorizer checks the Authorization header's token against a.Jwt's
// issuer and audiences.
func (api *PrivateApi) jwtAuthorizer(ctx *pulumi.Context, name string, a PrivateApiArgs, apiID pulumi.IDOutput) (pulumi.IDOutput, error) {
	authorizer, err := apigatewayv2.NewAuthorizer(ctx, name+"-jwt", &apigatewayv2.AuthorizerArgs{
		ApiId:           apiID,
		AuthorizerType:  pulumi.String("JWT"),
		IdentitySources: pulumi.StringArray{pulumi.String("$request.header.Authorization")},
		JwtConfiguration: &apigatewayv2.AuthorizerJwtConfigurationArgs{
			Issuer:    pulumi.String(a.Jwt.Issuer),
			Audiences: pulumi.ToStringArray(a.Jwt.Audiences),
		},
		Name: pulumi.String(name + "-jwt"),
	}, pulumi.Parent(api))
	if err != nil {
		return pulumi.IDOutput{}, fmt.Errorf("creating JWT authorizer: %w", err)
	}
	return authorizer.ID(), nil
}

// routes creates each backend's integrations and a route for each of its
// route keys, and returns the routes with the stage's settings for those
// with limits of their own.
func (api *PrivateApi) routes(ctx *pulumi.Context, name string, a PrivateApiArgs, to integrationTarget, authorizerID pulumi.IDOutput) ([]pulumi.Resource, apigatewayv2.StageRouteSettingArray, error) {
	var routes []pulumi.Resource
	var routeSettings apigatewayv2.StageRouteSettingArray
	for _, b := range a.Backends {
		integrations, err := api.integrations(ctx, name, a, b, to)
		if err != nil {
			return nil, nil, err
		}
		for _, routeKey := range b.Routes {
			route, err := api.route(ctx, name, a, routeKey, to.apiID, integrations, authorizerID)
			if err != nil {
				return nil, nil, err
			}
			routes = append(routes, route)
			if rate, burst, own := a.Throttling.RouteLimit(routeKey); own {
				// A route setting replaces the defaults whole, so it repeats
				// the stage's choice of detailed metrics.
				routeSettings = append(routeSettings, &apigatewayv2.StageRouteSettingArgs{
					RouteKey:               pulumi.String(routeKey),
					ThrottlingRateLimit:    pulumi.Float64(float64(rate)),
					ThrottlingBurstLimit:   pulumi.Int(burst),
					DetailedMetricsEnabled: pulumi.Bool(a.DetailedMetrics),
				})
			}
		}
	}
	return routes, routeSettings, nil
}

// route sends a route key to its backend: through the anonymous
// integration when it needs no token, else through the authorized one,
// behind the JWT authorizer and, for writes, the write scopes.
func (api *PrivateApi) route(ctx *pulumi.Context, name string, a PrivateApiArgs, routeKey string, apiID pulumi.IDOutput, integrations backendIntegrations, authorizerID pulumi.IDOutput) (*apigatewayv2.Route, error) {
	routeArgs := &apigatewayv2.RouteArgs{
		ApiId:             apiID,
		RouteKey:          pulumi.String(routeKey),
		AuthorizationType: pulumi.String("NONE"),
	}
	token, scopes := a.Jwt.Route(routeKey)
	if !token {
		routeArgs.Target = pulumi.Sprintf("integrations/%s", integrations.anonymous.ID())
	} else {
		routeArgs.Target = pulumi.Sprintf("integrations/%s", integrations.authorized.ID())
		routeArgs.AuthorizationType = pulumi.String("JWT")
		routeArgs.AuthorizerId = authorizerID
		if len(scopes) > 0 {
			routeArgs.AuthorizationScopes = pulumi.ToStringArray(scopes)
		}
	}
	route, err := apigatewayv2.NewRoute(ctx, name+"-"+RouteResourceName(routeKey), routeArgs, pulumi.Parent(api))
	if err != nil {
		return nil, fmt.Errorf("creating route %q: %w", routeKey, err)
	}
	return route, nil
}

// stage is the $default stage, deployed as the API changes, with its
// throttling and access logs.
func (api *PrivateApi) stage(ctx *pulumi.Context, name string, a PrivateApiArgs, apiID pulumi.IDOutput, routes []pulumi.Resource, routeSettings apigatewayv2.StageRouteSettingArray) (*apigatewayv2.Stage, error) {
	logs, err := api.accessLogs(ctx, name, a)
	if err != nil {
		return nil, err
	}
	// Route settings name routes, so the stage waits for them.
	stage, err := apigatewayv2.NewStage(ctx, name+"-stage", &apigatewayv2.StageArgs{
		ApiId:      apiID,
		Name:       pulumi.String("$default"),
		AutoDeploy: pulumi.Bool(true),
		// API Gateway applies these to each route on its own, not to the
		// stage as a whole; route settings replace them for write routes.
		DefaultRouteSettings: &apigatewayv2.StageDefaultRouteSettingsArgs{
			ThrottlingRateLimit:    pulumi.Float64(float64(a.Throttling.RateLimit)),
			ThrottlingBurstLimit:   pulumi.Int(a.Throttling.BurstLimit),
			DetailedMetricsEnabled: pulumi.Bool(a.DetailedMetrics),
		},
		RouteSettings: routeSettings,
		AccessLogSettings: &apigatewayv2.StageAccessLogSettingsArgs{
			DestinationArn: logs.Arn,
			Format:         pulumi.String(accessLogFormat),
		},
		Tags: a.Tags,
	}, pulumi.Parent(api), pulumi.DependsOn(routes))
	if err != nil {
		return nil, fmt.Errorf("creating stage: %w", err)
	}
	return stage, nil
}

// backendIntegrations are a backend's integrations: anonymous, for routes
// without authorization, removes the user header, so no caller chooses the
// user id a backend trusts; authorized, with JWT on, sets it from the
// token's subject. What API Gateway sends for a claim a route without an
// authorizer doesn't have is not documented, so public routes never use the
// authorized integration.
type backendIntegrations struct {
	anonymous, authorized *apigatewayv2.Integration
}

// integrationTarget is what every integration goes through: the API's VPC
// link to the shared listener.
type integrationTarget struct {
	apiID, linkID pulumi.IDOutput
	listenerArn   pulumi.StringOutput
}

func (api *PrivateApi) integrations(ctx *pulumi.Context, name string, a PrivateApiArgs, b Backend, to integrationTarget) (backendIntegrations, error) {
	var out backendIntegrations
	newIntegration := func(resourceName, description string, userHeader pulumi.StringMap) (*apigatewayv2.Integration, error) {
		params := pulumi.StringMap{"overwrite:header." + apirules.BackendHeader: pulumi.String(b.Name)}
		for k, v := range userHeader {
			params[k] = v
		}
		integration, err := apigatewayv2.NewIntegration(ctx, resourceName, &apigatewayv2.IntegrationArgs{
			ApiId:                to.apiID,
			IntegrationType:      pulumi.String("HTTP_PROXY"),
			IntegrationMethod:    pulumi.String("ANY"),
			IntegrationUri:       to.listenerArn,
			ConnectionType:       pulumi.String("VPC_LINK"),
			ConnectionId:         to.linkID,
			PayloadFormatVersion: pulumi.String("1.0"),
			TimeoutMilliseconds:  pulumi.Int(a.IntegrationTimeoutMilliseconds),
			Description:          pulumi.String(description),
			RequestParameters:    params,
		}, pulumi.Parent(api))
		if err != nil {
			return nil, fmt.Errorf("creating integration %s: %w", resourceName, err)
		}
		return integration, nil
	}
	removeUser := pulumi.StringMap{"remove:header." + apirules.UserHeader: pulumi.String("''")}
	var err error
	if a.Jwt == nil {
		out.anonymous, err = newIntegration(name+"-"+b.Name, b.Provider+" over PrivateLink", removeUser)
		return out, err
	}
	out.authorized, err = newIntegration(name+"-"+b.Name, b.Provider+" over PrivateLink, for callers with a token",
		pulumi.StringMap{"overwrite:header." + apirules.UserHeader: pulumi.String("$context.authorizer.claims.sub")})
	if err != nil {
		return out, err
	}
	for _, route := range b.Routes {
		if token, _ := a.Jwt.Route(route); !token {
			out.anonymous, err = newIntegration(name+"-"+b.Name+"-public", b.Provider+" over PrivateLink, for its public routes (no caller identity)", removeUser)
			return out, err
		}
	}
	return out, nil
}

// accessLogs is the log group of the API's access logs, whichever its
// type: it stays when the type changes.
func (api *PrivateApi) accessLogs(ctx *pulumi.Context, name string, a PrivateApiArgs) (*cloudwatch.LogGroup, error) {
	logs, err := cloudwatch.NewLogGroup(ctx, name+"-access-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(a.AccessLogRetentionDays),
		Tags:            a.Tags,
	}, pulumi.Parent(api))
	if err != nil {
		return nil, fmt.Errorf("creating access log group: %w", err)
	}
	return logs, nil
}
