package components

import (
	"fmt"
	"slices"

	"github.com/private-apis/private-apis/contract"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigatewayv2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// accessLogFormat is one JSON line per request: enough to trace a request
// to its route and backend and to see why it failed.
var accessLogFormat = mustJSON(contract.AccessLogFields)

// httpApi creates the public HTTP API: a VPC link into the consumer VPC, an
// integration per backend to the shared listener, one route per route key,
// the JWT authorizer when configured, and the $default stage with
// throttling and access logs.
func (api *PrivateApi) httpApi(ctx *pulumi.Context, name string, a PrivateApiArgs, g privateApiGroups, listenerArn pulumi.StringOutput) error {
	httpApi, err := apigatewayv2.NewApi(ctx, name, &apigatewayv2.ApiArgs{
		ProtocolType: pulumi.String("HTTP"),
		Description:  pulumi.String("Public entry point to private services over PrivateLink"),
		Tags:         a.Tags,
	}, pulumi.Parent(api))
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
		authorizer, err := apigatewayv2.NewAuthorizer(ctx, name+"-jwt", &apigatewayv2.AuthorizerArgs{
			ApiId:           httpApi.ID(),
			AuthorizerType:  pulumi.String("JWT"),
			IdentitySources: pulumi.StringArray{pulumi.String("$request.header.Authorization")},
			JwtConfiguration: &apigatewayv2.AuthorizerJwtConfigurationArgs{
				Issuer:    pulumi.String(a.Jwt.Issuer),
				Audiences: pulumi.ToStringArray(a.Jwt.Audiences),
			},
			Name: pulumi.String(name + "-jwt"),
		}, pulumi.Parent(api))
		if err != nil {
			return fmt.Errorf("creating JWT authorizer: %w", err)
		}
		authorizerID = authorizer.ID()
	}

	// Without authorization the user header is removed; with it, it is the
	// token's subject. Either way a client cannot set it.
	userHeader := pulumi.String("''")
	userAction := "remove:header." + contract.UserHeader
	if a.Jwt != nil {
		userHeader = pulumi.String("$context.authorizer.claims.sub")
		userAction = "overwrite:header." + contract.UserHeader
	}

	var routes []pulumi.Resource
	var routeSettings apigatewayv2.StageRouteSettingArray
	for _, b := range a.Backends {
		integration, err := apigatewayv2.NewIntegration(ctx, name+"-"+b.Name, &apigatewayv2.IntegrationArgs{
			ApiId:                httpApi.ID(),
			IntegrationType:      pulumi.String("HTTP_PROXY"),
			IntegrationMethod:    pulumi.String("ANY"),
			IntegrationUri:       listenerArn,
			ConnectionType:       pulumi.String("VPC_LINK"),
			ConnectionId:         link.ID(),
			PayloadFormatVersion: pulumi.String("1.0"),
			TimeoutMilliseconds:  pulumi.Int(a.IntegrationTimeoutMilliseconds),
			Description:          pulumi.Sprintf("%s over PrivateLink", b.Name),
			RequestParameters: pulumi.StringMap{
				"overwrite:header." + contract.BackendHeader: pulumi.String(b.Name),
				userAction: userHeader,
			},
		}, pulumi.Parent(api))
		if err != nil {
			return fmt.Errorf("creating integration for %s: %w", b.Name, err)
		}
		for _, routeKey := range b.Routes {
			routeArgs := &apigatewayv2.RouteArgs{
				ApiId:             httpApi.ID(),
				RouteKey:          pulumi.String(routeKey),
				Target:            pulumi.Sprintf("integrations/%s", integration.ID()),
				AuthorizationType: pulumi.String("NONE"),
			}
			if a.Jwt != nil && !slices.Contains(a.Jwt.PublicRoutes, routeKey) {
				routeArgs.AuthorizationType = pulumi.String("JWT")
				routeArgs.AuthorizerId = authorizerID
				if isWrite(routeKey) && len(a.Jwt.WriteScopes) > 0 {
					routeArgs.AuthorizationScopes = pulumi.ToStringArray(a.Jwt.WriteScopes)
				}
			}
			route, err := apigatewayv2.NewRoute(ctx, name+"-"+routeResourceName(routeKey), routeArgs, pulumi.Parent(api))
			if err != nil {
				return fmt.Errorf("creating route %q: %w", routeKey, err)
			}
			routes = append(routes, route)
			if isWrite(routeKey) {
				routeSettings = append(routeSettings, &apigatewayv2.StageRouteSettingArgs{
					RouteKey:             pulumi.String(routeKey),
					ThrottlingRateLimit:  pulumi.Float64(float64(a.WriteThrottlingRateLimit)),
					ThrottlingBurstLimit: pulumi.Int(a.WriteThrottlingBurstLimit),
				})
			}
		}
	}

	logs, err := cloudwatch.NewLogGroup(ctx, name+"-access-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(a.AccessLogRetentionDays),
		Tags:            a.Tags,
	}, pulumi.Parent(api))
	if err != nil {
		return fmt.Errorf("creating access log group: %w", err)
	}
	// Route settings name routes, so the stage waits for them.
	if _, err := apigatewayv2.NewStage(ctx, name+"-stage", &apigatewayv2.StageArgs{
		ApiId:      httpApi.ID(),
		Name:       pulumi.String("$default"),
		AutoDeploy: pulumi.Bool(true),
		DefaultRouteSettings: &apigatewayv2.StageDefaultRouteSettingsArgs{
			ThrottlingRateLimit:    pulumi.Float64(float64(a.ThrottlingRateLimit)),
			ThrottlingBurstLimit:   pulumi.Int(a.ThrottlingBurstLimit),
			DetailedMetricsEnabled: pulumi.Bool(true),
		},
		RouteSettings: routeSettings,
		AccessLogSettings: &apigatewayv2.StageAccessLogSettingsArgs{
			DestinationArn: logs.Arn,
			Format:         pulumi.String(accessLogFormat),
		},
		Tags: a.Tags,
	}, pulumi.Parent(api), pulumi.DependsOn(routes)); err != nil {
		return fmt.Errorf("creating stage: %w", err)
	}

	api.ApiId = httpApi.ID().ToStringOutput()
	api.ApiEndpoint = httpApi.ApiEndpoint
	return nil
}
