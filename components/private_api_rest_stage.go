package components

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/private-apis/private-apis/apirules"
)

// restAccessLogFormat is accessLogFormat's REST counterpart: the same
// fields from REST's context variables, plus the API key ID and WAF's
// verdict.
var restAccessLogFormat = mustJSON(apirules.RESTAccessLogFields)

// restStage deploys the API and serves the deployment at RestStageName,
// with X-Ray tracing, access logs and each method's throttling. triggers
// decide when a new deployment is made.
func (api *PrivateApi) restStage(ctx *pulumi.Context, name string, a PrivateApiArgs, rest *apigateway.RestApi, triggers pulumi.StringMap, listeners []pulumi.Resource) (*apigateway.Stage, error) {
	// The deployment waits for the API's update (its body) and for the
	// listeners its integrations reach, so a new route never serves
	// before its way to the backend exists.
	deployment, err := apigateway.NewDeployment(ctx, name+"-deployment", &apigateway.DeploymentArgs{
		RestApi:     rest.ID(),
		Description: pulumi.String("The API's methods and integrations as private-apis deployed them"),
		Triggers:    triggers,
	}, pulumi.Parent(api), pulumi.DependsOn(listeners))
	if err != nil {
		return nil, fmt.Errorf("creating deployment: %w", err)
	}
	account, err := api.restLogRole(ctx, name, a)
	if err != nil {
		return nil, err
	}
	logs, err := api.accessLogs(ctx, name, a)
	if err != nil {
		return nil, err
	}
	stage, err := apigateway.NewStage(ctx, name+"-stage", &apigateway.StageArgs{
		RestApi:            rest.ID(),
		Deployment:         deployment.ID(),
		StageName:          pulumi.String(RestStageName),
		XrayTracingEnabled: pulumi.Bool(true),
		AccessLogSettings: &apigateway.StageAccessLogSettingsArgs{
			DestinationArn: logs.Arn,
			Format:         pulumi.String(restAccessLogFormat),
		},
		Tags: a.Tags,
	}, pulumi.Parent(api), pulumi.DependsOn([]pulumi.Resource{account}))
	if err != nil {
		return nil, fmt.Errorf("creating stage: %w", err)
	}
	return stage, api.methodSettings(ctx, name, a, rest, stage)
}

// restLogRole lets API Gateway write this account's REST access logs: a
// REST stage's logs need the account's CloudWatch role, which is one
// setting per account and region (HTTP APIs use a service-linked role
// instead): https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
// Any role with AWS's managed push policy serves every REST API in the
// account, so setting ours leaves others' logs working, and so it stays
// when the stack goes: other APIs may log through it by then, and an
// account left pointing at a deleted role (or at none) stops their logs.
func (api *PrivateApi) restLogRole(ctx *pulumi.Context, name string, a PrivateApiArgs) (*apigateway.Account, error) {
	keep := []pulumi.ResourceOption{pulumi.Parent(api), pulumi.RetainOnDelete(true)}
	role, err := iam.NewRole(ctx, name+"-apigw-logs", &iam.RoleArgs{
		Description:      pulumi.String("Lets API Gateway write this account's REST API access logs"),
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("apigateway.amazonaws.com")),
		Tags:             a.Tags,
	}, keep...)
	if err != nil {
		return nil, fmt.Errorf("creating the logging role: %w", err)
	}
	push, err := iam.NewRolePolicyAttachment(ctx, name+"-apigw-logs", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String("arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"),
	}, keep...)
	if err != nil {
		return nil, fmt.Errorf("letting the logging role write logs: %w", err)
	}
	account, err := apigateway.NewAccount(ctx, name+"-apigw-account", &apigateway.AccountArgs{
		CloudwatchRoleArn: role.Arn,
	}, append(keep, pulumi.DependsOn([]pulumi.Resource{push}))...)
	if err != nil {
		return nil, fmt.Errorf("setting the account's logging role: %w", err)
	}
	return account, nil
}

// methodSettings are the stage's throttling, as the HTTP API's route
// settings are: every method by default (*/*), and a setting per method
// with limits of its own. Detailed metrics follow DetailedMetrics.
func (api *PrivateApi) methodSettings(ctx *pulumi.Context, name string, a PrivateApiArgs, rest *apigateway.RestApi, stage *apigateway.Stage) error {
	settings := func(logical, path string, rate, burst int) error {
		_, err := apigateway.NewMethodSettings(ctx, logical, &apigateway.MethodSettingsArgs{
			RestApi:    rest.ID(),
			StageName:  stage.StageName,
			MethodPath: pulumi.String(path),
			Settings: &apigateway.MethodSettingsSettingsArgs{
				ThrottlingRateLimit:  pulumi.Float64(float64(rate)),
				ThrottlingBurstLimit: pulumi.Int(burst),
				MetricsEnabled:       pulumi.Bool(a.DetailedMetrics),
				// Access logs, not execution logs, which would log
				// request data.
				LoggingLevel: pulumi.String("OFF"),
			},
		}, pulumi.Parent(api))
		if err != nil {
			return fmt.Errorf("creating method settings %s: %w", path, err)
		}
		return nil
	}
	if err := settings(name+"-methods", "*/*", a.Throttling.RateLimit, a.Throttling.BurstLimit); err != nil {
		return err
	}
	for _, b := range a.Backends {
		for _, routeKey := range b.Routes {
			if rate, burst, own := a.Throttling.RouteLimit(routeKey); own {
				if err := settings(name+"-"+RouteResourceName(routeKey)+"-limits", restMethodPath(routeKey), rate, burst); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// restMethodPath is a method's key among a stage's method settings: its
// resource path with every "/" written "~1" (JSON Pointer's escape, which
// UpdateStage's patch paths use), a "/" and its HTTP method, e.g.
// "~1todo~1{id}/DELETE". terraform-provider-aws apigateway/method_settings.go
// passes method_path through unescaped ("/" + method_path + "/..."), and
// hashicorp/terraform-provider-aws#9738 shows AWS keeping nested paths in
// this form.
func restMethodPath(routeKey string) string {
	method, path, _ := strings.Cut(routeKey, " ")
	return strings.ReplaceAll(path, "/", "~1") + "/" + method
}

// restClients gives each client an API key and a usage plan on the stage:
// its own limits and quota. Keys are generated by API Gateway and kept
// secret in the stack's state; ApiKeyIds say which is whose.
func (api *PrivateApi) restClients(ctx *pulumi.Context, name string, a PrivateApiArgs, rest *apigateway.RestApi, stage *apigateway.Stage) error {
	for _, client := range a.Rest.Clients.Names() {
		c := a.Rest.Clients[client]
		prefix := name + "-client-" + client
		tags := withTag(a.Tags, ClientTag, client)
		planArgs := &apigateway.UsagePlanArgs{
			Description: pulumi.Sprintf("private-apis client %s", client),
			ApiStages:   apigateway.UsagePlanApiStageArray{&apigateway.UsagePlanApiStageArgs{ApiId: rest.ID(), Stage: stage.StageName}},
			ThrottleSettings: &apigateway.UsagePlanThrottleSettingsArgs{
				RateLimit:  pulumi.Float64(float64(c.RateLimit)),
				BurstLimit: pulumi.Int(c.BurstLimit),
			},
			Tags: tags,
		}
		if c.QuotaLimit > 0 {
			planArgs.QuotaSettings = &apigateway.UsagePlanQuotaSettingsArgs{Limit: pulumi.Int(c.QuotaLimit), Period: pulumi.String(c.QuotaPeriod)}
		}
		plan, err := apigateway.NewUsagePlan(ctx, prefix, planArgs, pulumi.Parent(api))
		if err != nil {
			return fmt.Errorf("client %s: creating usage plan: %w", client, err)
		}
		key, err := apigateway.NewApiKey(ctx, prefix+"-key", &apigateway.ApiKeyArgs{
			Description: pulumi.Sprintf("private-apis client %s", client),
			Enabled:     pulumi.Bool(true),
			Tags:        tags,
		}, pulumi.Parent(api))
		if err != nil {
			return fmt.Errorf("client %s: creating API key: %w", client, err)
		}
		if _, err := apigateway.NewUsagePlanKey(ctx, prefix+"-plan-key", &apigateway.UsagePlanKeyArgs{
			KeyId:       key.ID(),
			KeyType:     pulumi.String("API_KEY"),
			UsagePlanId: plan.ID(),
		}, pulumi.Parent(api)); err != nil {
			return fmt.Errorf("client %s: adding the key to its plan: %w", client, err)
		}
		api.ApiKeyIds[client] = key.ID().ToStringOutput()
	}
	return nil
}

// ClientTag names, on a client's key and plan, the client they are for.
const ClientTag = "private-apis:client"
