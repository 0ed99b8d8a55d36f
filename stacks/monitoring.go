package stacks

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The alarms each role gets with private-apis:monitoring, and what each
// tells whoever it pages.

var dashboardUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// monitoringName names each stack's Monitoring, and so prefixes its
// resources.
const monitoringName = "monitoring"

// newMonitoring creates the stack's alarms, topic and dashboard; the
// dashboard, whose name is the account's alone, is named after the project
// and stack.
func newMonitoring(ctx *pulumi.Context, cfg monitoringConfig, alarms []components.AlarmSpec, tags pulumi.StringMap) error {
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return fmt.Errorf("looking up the region for the dashboard: %w", err)
	}
	_, err = components.NewMonitoring(ctx, monitoringName, &components.MonitoringArgs{
		Alarms:        alarms,
		Email:         cfg.Email,
		DashboardName: dashboardUnsafe.ReplaceAllString(ctx.Project()+"-"+ctx.Stack(), "-"),
		Region:        region.Name,
		Tags:          tags,
	})
	return err
}

// consumerAlarms watch the API as its clients see it, and each provider as
// the consumer reaches it. A provider still waiting to accept the
// consumer's endpoint has no targets to watch yet.
func consumerAlarms(cfg consumerConfig, api *components.PrivateApi, backends []backendPlan, region string) []components.AlarmSpec {
	stage := pulumi.StringMap{"ApiId": api.ApiId, "Stage": pulumi.String("$default")}
	fiveXX, elb := "5xx", "AWS/ApplicationELB"
	rest := cfg.ApiType == apirules.ApiTypeREST
	if rest {
		// REST APIs' metrics have other names and dimensions:
		// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
		stage = pulumi.StringMap{"ApiName": api.ApiName, "Stage": pulumi.String(components.RestStageName)}
		fiveXX, elb = "5XXError", "AWS/NetworkELB"
	}
	alarms := []components.AlarmSpec{
		{
			Name: "api-5xx-rate",
			Description: fmt.Sprintf("More than %d%% of the public API's requests got a 5xx answer over 5 minutes. "+
				"Look at the access log group (routeKey, status, integrationError say which provider and why), then at that provider's alarms.", cfg.Monitoring.FiveXXRatePercent),
			Metrics: []components.AlarmMetric{
				{Id: "errors", Namespace: "AWS/ApiGateway", MetricName: fiveXX, Dimensions: stage, Stat: "Sum"},
				{Id: "requests", Namespace: "AWS/ApiGateway", MetricName: "Count", Dimensions: stage, Stat: "Sum"},
			},
			Expression: "IF(requests > 0, 100 * errors / requests, 0)",
			Comparison: "GreaterThanThreshold", Threshold: float64(cfg.Monitoring.FiveXXRatePercent), Unit: "%",
		},
		{
			Name: "api-latency-p99",
			Description: fmt.Sprintf("The public API's p99 latency was over %d ms for 15 minutes. "+
				"The access log's integrationLatency tells a slow provider from API Gateway; look at that provider's service.", cfg.Monitoring.LatencyP99Ms),
			Metrics:           []components.AlarmMetric{{Id: "latency", Namespace: "AWS/ApiGateway", MetricName: "Latency", Dimensions: stage, Stat: "p99"}},
			Comparison:        "GreaterThanThreshold",
			Threshold:         float64(cfg.Monitoring.LatencyP99Ms),
			EvaluationPeriods: 3,
			Unit:              "ms",
		},
	}
	if rest && cfg.Rest.WAF {
		alarms = append(alarms, wafBlockedAlarm(api, region))
	}
	for _, b := range backends {
		if b.AwaitingAcceptance {
			continue
		}
		group := pulumi.StringMap{"TargetGroup": api.TargetGroupArnSuffixes[b.Name], "LoadBalancer": api.LoadBalancerArnSuffix}
		short := contract.ShortStackName(b.Provider.Stack)
		alarms = append(alarms,
			components.AlarmSpec{
				Name: b.Name + "-no-healthy-targets",
				Description: withinAlarmDescription(fmt.Sprintf("No healthy target for provider %s for 3 minutes: its service, PrivateLink or this consumer's endpoint to it is down, so its routes ("+routesPlaceholder+") fail. "+
					"Look at the provider stack %s's alarms and its NLB's targets, then at this account's endpoint to %s (the providers output's endpointId; aws ec2 describe-vpc-endpoints).",
					b.Provider.Stack, short, b.Provider.EndpointServiceName), b.Provider.Routes),
				Metrics:    []components.AlarmMetric{{Id: "healthy", Namespace: elb, MetricName: "HealthyHostCount", Dimensions: group, Stat: "Minimum"}},
				Comparison: "LessThanThreshold",
				Threshold:  1,
				Period:     60,
				// Reported every minute while health checks are on, 0 when
				// nothing is healthy; missing data is a target group too new
				// to report, which is no outage.
				EvaluationPeriods: 3,
			},
		)
		if rest {
			// An NLB passes TCP through and counts no HTTP answers; the
			// API's own 5xx alarm covers a failing provider.
			continue
		}
		alarms = append(alarms,
			components.AlarmSpec{
				Name: b.Name + "-5xx-rate",
				Description: fmt.Sprintf("More than %d%% of provider %s's answers were 5xx over 5 minutes: its service is failing. Look at the provider stack %s's logs and alarms.",
					cfg.Monitoring.FiveXXRatePercent, b.Provider.Stack, short),
				Metrics: []components.AlarmMetric{
					{Id: "errors", Namespace: "AWS/ApplicationELB", MetricName: "HTTPCode_Target_5XX_Count", Dimensions: group, Stat: "Sum"},
					{Id: "requests", Namespace: "AWS/ApplicationELB", MetricName: "RequestCount", Dimensions: group, Stat: "Sum"},
				},
				Expression: "IF(requests > 0, 100 * errors / requests, 0)",
				Comparison: "GreaterThanThreshold", Threshold: float64(cfg.Monitoring.FiveXXRatePercent), Unit: "%",
			})
	}
	return alarms
}

// wafBlockedPercent is the share of requests WAF blocks, over 5 minutes,
// at which its alarm fires: a few blocked requests are the internet's
// background noise, a tenth of all of them an attack or a rule blocking
// real clients.
const wafBlockedPercent = 10

// wafBlockedAlarm watches the share of requests the REST API's web ACL
// blocks (AWS/WAFV2, dimensions WebACL, Region and Rule ALL:
// https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html).
func wafBlockedAlarm(api *components.PrivateApi, region string) components.AlarmSpec {
	acl := func(metric string) components.AlarmMetric {
		return components.AlarmMetric{Id: strings.ToLower(metric[:1]) + metric[1:], Namespace: "AWS/WAFV2", MetricName: metric, Stat: "Sum",
			Dimensions: pulumi.StringMap{"WebACL": api.WebAclName, "Region": pulumi.String(region), "Rule": pulumi.String("ALL")}}
	}
	return components.AlarmSpec{
		Name: "api-waf-blocked-rate",
		Description: fmt.Sprintf("WAF blocked more than %d%% of the public API's requests over 5 minutes: an attack, or a rule blocking real clients. "+
			"WAF's log group (aws-waf-logs-api-...) says which rule (terminatingRuleId) and whom (httpRequest.clientIp); set that rule group to count in private-apis:wafRuleGroups if it blocks clients it shouldn't.", wafBlockedPercent),
		Metrics:    []components.AlarmMetric{acl("BlockedRequests"), acl("AllowedRequests")},
		Expression: "IF(blockedRequests + allowedRequests > 0, 100 * blockedRequests / (blockedRequests + allowedRequests), 0)",
		Comparison: "GreaterThanThreshold", Threshold: wafBlockedPercent, Unit: "%",
	}
}

// unhealthyTargetsAlarm watches a target group of a provider's NLB, given
// by their CloudWatch dimensions.
func unhealthyTargetsAlarm(name string, svc contract.Service, targetGroup, loadBalancer pulumi.StringInput, compute, logs string) components.AlarmSpec {
	return components.AlarmSpec{
		Name: name,
		Description: fmt.Sprintf("A target of the %s NLB has failed its health check (%s on port %d) for 3 minutes: a %s is unhealthy or starting. Look at %s.",
			svc.Name, svc.HealthCheckPath, svc.Port, compute, logs),
		Metrics: []components.AlarmMetric{{Id: "unhealthy", Namespace: "AWS/NetworkELB", MetricName: "UnHealthyHostCount",
			Dimensions: pulumi.StringMap{"TargetGroup": targetGroup, "LoadBalancer": loadBalancer}, Stat: "Maximum"}},
		Comparison:        "GreaterThanThreshold",
		Threshold:         0,
		Period:            60,
		EvaluationPeriods: 3,
	}
}

// ecsAlarms watch the dog names service on Fargate.
func ecsAlarms(svc contract.Service, private *components.PrivateLinkNLB, fargate *components.FargateService) []components.AlarmSpec {
	service := pulumi.StringMap{"ClusterName": fargate.ClusterName, "ServiceName": fargate.ServiceName}
	return []components.AlarmSpec{
		unhealthyTargetsAlarm(svc.Name+"-unhealthy-targets", svc, private.TargetGroupArnSuffix, private.LoadBalancerArnSuffix, "task", "the service's logs (the logGroupName output)"),
		{
			Name: svc.Name + "-tasks-below-desired",
			Description: fmt.Sprintf("The %s ECS service ran fewer tasks than it wants for 5 minutes: tasks are failing to start or crashing. "+
				"Look at the service's events (aws ecs describe-services, the clusterName and serviceName outputs) and its logs.", svc.Name),
			Metrics: []components.AlarmMetric{
				{Id: "running", Namespace: "ECS/ContainerInsights", MetricName: "RunningTaskCount", Dimensions: service, Stat: "Minimum"},
				{Id: "desired", Namespace: "ECS/ContainerInsights", MetricName: "DesiredTaskCount", Dimensions: service, Stat: "Maximum"},
			},
			Expression:        "desired - running",
			Comparison:        "GreaterThanThreshold",
			Threshold:         0,
			Period:            60,
			EvaluationPeriods: 5,
		},
	}
}

// ec2Alarms watch the todo service's Auto Scaling group.
func ec2Alarms(svc contract.Service, private *components.PrivateLinkNLB, instances *components.EC2Service, minSize int) []components.AlarmSpec {
	return []components.AlarmSpec{
		unhealthyTargetsAlarm(svc.Name+"-unhealthy-targets", svc, private.TargetGroupArnSuffix, private.LoadBalancerArnSuffix, "instance", "the service's logs (the logGroupName output)"),
		{
			Name: svc.Name + "-below-minimum",
			Description: fmt.Sprintf("The %s Auto Scaling group had fewer than its minimum of %d instances in service for 5 minutes: instances fail to launch or their health checks. "+
				"Look at its activity (aws autoscaling describe-scaling-activities, the autoScalingGroupName output) and the service's logs.", svc.Name, minSize),
			Metrics: []components.AlarmMetric{{Id: "inservice", Namespace: "AWS/AutoScaling", MetricName: "GroupInServiceInstances",
				Dimensions: pulumi.StringMap{"AutoScalingGroupName": instances.AutoScalingGroupName}, Stat: "Minimum"}},
			Comparison:        "LessThanThreshold",
			Threshold:         float64(minSize),
			Period:            60,
			EvaluationPeriods: 5,
		},
	}
}

// nlbAlarms watch the target groups an nlb-provider's listener forwards to;
// the compute behind them is its owners' to watch.
func nlbAlarms(svc contract.Service, nlb *components.PublishableLoadBalancer) []components.AlarmSpec {
	var alarms []components.AlarmSpec
	for i, group := range nlb.TargetGroupArnSuffixes {
		name := svc.Name + "-unhealthy-targets"
		if len(nlb.TargetGroupArnSuffixes) > 1 {
			name = fmt.Sprintf("%s-unhealthy-targets-%d", svc.Name, i+1)
		}
		alarms = append(alarms, unhealthyTargetsAlarm(name, svc, pulumi.String(group), pulumi.String(nlb.ArnSuffix),
			"target", fmt.Sprintf("target group %s (aws elbv2 describe-target-health) and the service behind it", group)))
	}
	return alarms
}

// withinAlarmDescription puts in place of the routesPlaceholder in text as
// many of a provider's routes as fit CloudWatch's 1,024 characters of alarm
// description, and says how many more there are: a provider may serve any
// number of routes.
func withinAlarmDescription(text string, routes []string) string {
	budget := components.MaxAlarmDescriptionLen - len(text) + len(routesPlaceholder)
	var listed []string
	used := 0
	for i, route := range routes {
		more := ""
		if left := len(routes) - i - 1; left > 0 {
			more = fmt.Sprintf(", and %d more", left)
		}
		separator := 0
		if i > 0 {
			separator = len(", ")
		}
		if used+separator+len(route)+len(more) > budget {
			break
		}
		listed = append(listed, route)
		used += separator + len(route)
	}
	list := strings.Join(listed, ", ")
	switch left := len(routes) - len(listed); {
	case len(listed) == 0:
		list = fmt.Sprintf("%d routes", len(routes))
	case left > 0:
		list += fmt.Sprintf(", and %d more", left)
	}
	return strings.Replace(text, routesPlaceholder, list, 1)
}

// routesPlaceholder marks where withinAlarmDescription lists the routes.
const routesPlaceholder = "<routes>"
