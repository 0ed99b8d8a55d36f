package stacks

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

// alarmsByName are the recorded alarms' inputs by alarm name (the part of
// the resource name after "monitoring-").
func alarmsByName(m *fakeaws.AWS) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, a := range m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		out[strings.TrimPrefix(a.Name, monitoringName+"-")] = a.Map()
	}
	return out
}

// dimensions are the dimensions of the metric with the given id in an
// alarm's queries.
func dimensions(t *testing.T, alarm map[string]any, id string) map[string]any {
	t.Helper()
	for _, q := range alarm["metricQueries"].([]any) {
		query := q.(map[string]any)
		if query["id"] == id {
			return query["metric"].(map[string]any)["dimensions"].(map[string]any)
		}
	}
	t.Fatalf("no metric %q in %v", id, alarm["metricQueries"])
	return nil
}

// metricsRead are the "namespace name stat" of the metrics each alarm reads.
func metricsRead(alarms map[string]map[string]any) map[string][]string {
	out := map[string][]string{}
	for name, a := range alarms {
		for _, q := range a["metricQueries"].([]any) {
			if metric, ok := q.(map[string]any)["metric"].(map[string]any); ok {
				out[name] = append(out[name], fmt.Sprintf("%s %s %s", metric["namespace"], metric["metricName"], metric["stat"]))
			}
		}
	}
	return out
}

func dashboard(t *testing.T, m *fakeaws.AWS) (name string, body map[string]any) {
	t.Helper()
	boards := m.ByType("aws:cloudwatch/dashboard:Dashboard")
	require.Len(t, boards, 1, "one dashboard per stack")
	in := boards[0].Map()
	require.NoError(t, json.Unmarshal([]byte(in["dashboardBody"].(string)), &body))
	return in["dashboardName"].(string), body
}

func TestMonitoringIsOffByDefault(t *testing.T) {
	for stack, cfg := range map[string]map[string]string{
		"consumer": validConsumerConfig(), "ecs-provider": validECSConfig(), "ec2-provider": validEC2Config(),
	} {
		m := fakeaws.New()
		m.Account = "111111111111"
		m.StackOutputs = twoProviders()
		_, err := m.Run(stack, cfg, repoRoot(t), Run)
		require.NoError(t, err, stack)
		for _, token := range []string{"aws:sns/topic:Topic", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/dashboard:Dashboard"} {
			require.Empty(t, m.ByType(token), "%s: %s costs money, so it is opt-in", stack, token)
		}
	}
}

func TestConsumerAlarms(t *testing.T) {
	cfg := with(validConsumerConfig(), "monitoring", "true", "alarmEmail", "oncall@example.com", "alarm5xxRatePercent", "2", "alarmLatencyP99Milliseconds", "1500")
	m, _, err := runConsumerStack(t, cfg, twoProviders(), nil)
	require.NoError(t, err)

	topic := m.ByType("aws:sns/topic:Topic")
	require.Len(t, topic, 1)
	topicArn := topic[0].OutputMap()["arn"]
	sub := m.ByType("aws:sns/topicSubscription:TopicSubscription")
	require.Len(t, sub, 1)
	require.Equal(t, map[string]any{"topic": topicArn, "protocol": "email", "endpoint": "oncall@example.com"}, sub[0].Map())

	alarms := alarmsByName(m)
	dog, todo := backendName(dognamesStack), backendName(todoStack)
	require.ElementsMatch(t, []string{"api-5xx-rate", "api-latency-p99",
		dog + "-no-healthy-targets", dog + "-5xx-rate", todo + "-no-healthy-targets", todo + "-5xx-rate"}, slices.Collect(maps.Keys(alarms)))
	for name, a := range alarms {
		require.Equal(t, []any{topicArn}, a["alarmActions"], name)
		require.Equal(t, []any{topicArn}, a["okActions"], "%s: recovery is news too", name)
		require.NotEmpty(t, a["alarmDescription"], name)
	}

	api := m.ByType("aws:apigatewayv2/api:Api")[0]
	require.EqualValues(t, 2, alarms["api-5xx-rate"]["threshold"], "from alarm5xxRatePercent")
	require.Equal(t, map[string]any{"ApiId": api.ID, "Stage": "$default"}, dimensions(t, alarms["api-5xx-rate"], "errors"))
	require.EqualValues(t, 1500, alarms["api-latency-p99"]["threshold"])
	require.Contains(t, alarms["api-latency-p99"]["alarmDescription"], "integrationLatency", "says where to look")

	alb := m.ByType("aws:lb/loadBalancer:LoadBalancer")[0]
	tg, ok := m.Named("aws:lb/targetGroup:TargetGroup", apiName+"-"+todo+"-tg")
	require.True(t, ok)
	healthy := alarms[todo+"-no-healthy-targets"]
	require.Equal(t, map[string]any{"TargetGroup": tg.OutputMap()["arnSuffix"], "LoadBalancer": alb.OutputMap()["arnSuffix"]},
		dimensions(t, healthy, "healthy"), "the provider's target group in the consumer's load balancer")
	require.Equal(t, "LessThanThreshold", healthy["comparisonOperator"])
	require.Equal(t, "notBreaching", healthy["treatMissingData"], "a new target group reports nothing yet; a dead one reports 0")
	require.Contains(t, healthy["alarmDescription"], todoStack)
	require.Contains(t, healthy["alarmDescription"], "PrivateLink")
	require.Contains(t, healthy["alarmDescription"], "POST /todo", "names the routes that fail")
	require.Contains(t, alarms[todo+"-5xx-rate"]["alarmDescription"], todoStack)

	require.Equal(t, map[string][]string{
		"api-5xx-rate":               {"AWS/ApiGateway 5xx Sum", "AWS/ApiGateway Count Sum"},
		"api-latency-p99":            {"AWS/ApiGateway Latency p99"},
		todo + "-no-healthy-targets": {"AWS/ApplicationELB HealthyHostCount Minimum"},
		todo + "-5xx-rate":           {"AWS/ApplicationELB HTTPCode_Target_5XX_Count Sum", "AWS/ApplicationELB RequestCount Sum"},
		dog + "-no-healthy-targets":  {"AWS/ApplicationELB HealthyHostCount Minimum"},
		dog + "-5xx-rate":            {"AWS/ApplicationELB HTTPCode_Target_5XX_Count Sum", "AWS/ApplicationELB RequestCount Sum"},
	}, metricsRead(alarms), "the metrics HTTP APIs and ALBs publish, by their CloudWatch names")

	name, body := dashboard(t, m)
	require.Equal(t, "private-apis-consumer", name)
	widgets := body["widgets"].([]any)
	require.Len(t, widgets, len(alarms), "a graph per alarm")
	encoded, _ := json.Marshal(body)
	require.Contains(t, string(encoded), tg.OutputMap()["arnSuffix"], "graphs the same target group")
	require.Contains(t, string(encoded), `"region":"us-west-2"`)
}

// TestConsumerAlarmsFollowAcceptance: a provider still to accept the
// consumer's endpoint has no targets to watch; once it is wired, the next
// update adds its alarms and changes nothing else's.
func TestConsumerAlarmsFollowAcceptance(t *testing.T) {
	providers := twoProviders()
	providers[todoStack]["acceptanceRequired"] = true
	cfg := with(validConsumerConfig(), "monitoring", "true")
	m := fakeaws.New()
	m.Account = "111111111111"
	m.StackOutputs = providers
	m.AcceptanceRequired[providers[todoStack]["endpointServiceName"].(string)] = true
	out, err := m.Run("consumer", cfg, repoRoot(t), Run)
	require.NoError(t, err)
	todo := backendName(todoStack)
	alarms := alarmsByName(m)
	require.Contains(t, alarms, backendName(dognamesStack)+"-no-healthy-targets")
	for name := range alarms {
		require.NotContains(t, name, todo, "no alarms for a provider not yet wired")
	}

	endpointID := out["providers"].(map[string]any)[todoStack].(map[string]any)["endpointId"].(string)
	m.AcceptEndpoint(endpointID)
	providers[todoStack]["acceptedEndpoints"] = map[string]any{consumerStackName: endpointID}
	_, err = m.Run("consumer", cfg, repoRoot(t), Run)
	require.NoError(t, err)
	changes := m.Changes()
	alarm := "aws:cloudwatch/metricAlarm:MetricAlarm " + monitoringName + "-" + todo
	require.Contains(t, changes.Added, alarm+"-no-healthy-targets")
	require.Contains(t, changes.Added, alarm+"-5xx-rate")
	dashboard := "aws:cloudwatch/dashboard:Dashboard " + monitoringName + "-dashboard"
	require.Contains(t, changes.Changed, dashboard, "the dashboard gains the provider's graphs")
	for key := range changes.Changed {
		require.Equal(t, dashboard, key, "only the dashboard changes")
	}
}

func TestConsumerAlarmsInPreview(t *testing.T) {
	m, _, err := runConsumerStack(t, with(validConsumerConfig(), "monitoring", "true"), twoProviders(), func(m *fakeaws.AWS) { m.Preview = true })
	require.NoError(t, err)
	require.Len(t, m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm"), 6)
	require.Equal(t, fakeaws.Unknown, m.ByType("aws:cloudwatch/dashboard:Dashboard")[0].Map()["dashboardBody"], "its dimensions are AWS's to compute")
}

func TestProviderAlarms(t *testing.T) {
	t.Run("ecs-provider", func(t *testing.T) {
		m, _, err := runStack(t, "ecs-provider", with(validECSConfig(), "monitoring", "true"))
		require.NoError(t, err)
		alarms := alarmsByName(m)
		require.Equal(t, map[string][]string{
			"dognames-unhealthy-targets":   {"AWS/NetworkELB UnHealthyHostCount Maximum"},
			"dognames-tasks-below-desired": {"ECS/ContainerInsights RunningTaskCount Minimum", "ECS/ContainerInsights DesiredTaskCount Maximum"},
		}, metricsRead(alarms))

		nlb := m.ByType("aws:lb/loadBalancer:LoadBalancer")[0]
		tg := m.ByType("aws:lb/targetGroup:TargetGroup")[0]
		unhealthy := alarms["dognames-unhealthy-targets"]
		require.Equal(t, map[string]any{"TargetGroup": tg.OutputMap()["arnSuffix"], "LoadBalancer": nlb.OutputMap()["arnSuffix"]}, dimensions(t, unhealthy, "unhealthy"))
		require.True(t, strings.HasPrefix(nlb.OutputMap()["arnSuffix"].(string), "net/"))
		require.Equal(t, "AWS/NetworkELB", unhealthy["metricQueries"].([]any)[0].(map[string]any)["metric"].(map[string]any)["namespace"])
		require.Contains(t, unhealthy["alarmDescription"], "/healthz on port 8080")

		tasks := alarms["dognames-tasks-below-desired"]
		cluster := m.ByType("aws:ecs/cluster:Cluster")[0]
		service := m.ByType("aws:ecs/service:Service")[0]
		require.Equal(t, map[string]any{"ClusterName": cluster.OutputMap()["name"], "ServiceName": service.OutputMap()["name"]}, dimensions(t, tasks, "running"))
		require.Contains(t, tasks["alarmDescription"], "aws ecs describe-services")
		require.Empty(t, m.ByType("aws:sns/topicSubscription:TopicSubscription"), "no e-mail unless asked")

		name, _ := dashboard(t, m)
		require.Equal(t, "private-apis-ecs-provider", name)
	})

	t.Run("ec2-provider", func(t *testing.T) {
		m, _, err := runStack(t, "ec2-provider", with(validEC2Config(), "monitoring", "true", "minSize", "3", "alarmEmail", "todo-team@example.com"))
		require.NoError(t, err)
		alarms := alarmsByName(m)
		require.Equal(t, map[string][]string{
			"todo-unhealthy-targets": {"AWS/NetworkELB UnHealthyHostCount Maximum"},
			"todo-below-minimum":     {"AWS/AutoScaling GroupInServiceInstances Minimum"},
		}, metricsRead(alarms))
		below := alarms["todo-below-minimum"]
		require.EqualValues(t, 3, below["threshold"], "the group's own minimum")
		group := m.ByType("aws:autoscaling/group:Group")[0]
		require.Equal(t, map[string]any{"AutoScalingGroupName": group.OutputMap()["name"]}, dimensions(t, below, "inservice"))
		require.Contains(t, group.Map()["enabledMetrics"], "GroupInServiceInstances", "the group publishes the metric the alarm reads")
		require.Len(t, m.ByType("aws:sns/topicSubscription:TopicSubscription"), 1)
	})
}

// TestNLBProviderAlarms: an nlb-provider alarms on the target groups its
// listener forwards to, found when it inspects the load balancer.
func TestNLBProviderAlarms(t *testing.T) {
	m := billingAccountMocks()
	_, err := runBilling(t, m, billingConfig("monitoring", "true", "alarmEmail", "billing@example.com"))
	require.NoError(t, err)
	alarms := alarmsByName(m)
	require.Equal(t, map[string][]string{"billing-unhealthy-targets": {"AWS/NetworkELB UnHealthyHostCount Maximum"}}, metricsRead(alarms))
	dims := dimensions(t, alarms["billing-unhealthy-targets"], "unhealthy")
	require.Equal(t, "net/billing/0123456789abcdef", dims["LoadBalancer"])
	require.Regexp(t, `^targetgroup/billing-8080/[0-9a-f]{16}$`, dims["TargetGroup"], "the listener's target group")
	require.Contains(t, alarms["billing-unhealthy-targets"]["alarmDescription"], "aws elbv2 describe-target-health")
	require.Len(t, m.ByType("aws:sns/topicSubscription:TopicSubscription"), 1)
	name, _ := dashboard(t, m)
	require.Equal(t, "private-apis-billing", name)

	m = billingAccountMocks()
	_, err = runBilling(t, m, billingConfig("loadBalancerArn", "<unset>", "endpointServiceId", billingService, "allowedPrincipals", "<unset>", "monitoring", "true"))
	require.ErrorContains(t, err, "private-apis:monitoring = true: alarms watch the published load balancer's target groups")
	require.Empty(t, customResources(m))
}

func TestMonitoringBadConfig(t *testing.T) {
	tests := []struct {
		name  string
		stack string
		kv    []string
		want  string
	}{
		{"e-mail without monitoring", "consumer", []string{"alarmEmail", "oncall@example.com"}, `private-apis:alarmEmail = "oncall@example.com": alarms are off`},
		{"not an e-mail", "consumer", []string{"monitoring", "true", "alarmEmail", "oncall"}, `private-apis:alarmEmail = "oncall": "oncall" is not an e-mail address`},
		{"provider e-mail", "ec2-provider", []string{"monitoring", "true", "alarmEmail", "team at example.com"}, `private-apis:alarmEmail = "team at example.com"`},
		{"5xx rate zero", "consumer", []string{"monitoring", "true", "alarm5xxRatePercent", "0"}, "private-apis:alarm5xxRatePercent = 0: a share of requests in percent, 1 to 100"},
		{"5xx rate over 100", "consumer", []string{"monitoring", "true", "alarm5xxRatePercent", "150"}, "private-apis:alarm5xxRatePercent = 150"},
		{"5xx rate not a number", "consumer", []string{"monitoring", "true", "alarm5xxRatePercent", "5%"}, `private-apis:alarm5xxRatePercent = "5%": not a whole number`},
		{"latency too low", "consumer", []string{"monitoring", "true", "alarmLatencyP99Milliseconds", "20"}, "private-apis:alarmLatencyP99Milliseconds = 20: 100 to 30000 milliseconds"},
		{"consumer threshold on a provider", "ec2-provider", []string{"monitoring", "true", "alarm5xxRatePercent", "1"}, "private-apis:alarm5xxRatePercent = 1: the consumer's alarm threshold"},
		{"monitoring not a boolean", "ecs-provider", []string{"monitoring", "yes please"}, `private-apis:monitoring = "yes please": not a boolean`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := map[string]map[string]string{"consumer": validConsumerConfig(), "ecs-provider": validECSConfig(), "ec2-provider": validEC2Config()}[tt.stack]
			m := fakeaws.New()
			m.Account = "111111111111"
			m.StackOutputs = twoProviders()
			_, err := m.Run(tt.stack, with(base, tt.kv...), repoRoot(t), Run)
			require.ErrorContains(t, err, tt.want)
			require.Empty(t, customResources(m))
		})
	}
}

func TestWithinAlarmDescription(t *testing.T) {
	routes := []string{"GET /a", "GET /b", "GET /c"}
	text := "routes (<routes>) fail"
	require.Equal(t, "routes (GET /a, GET /b, GET /c) fail", withinAlarmDescription(text, routes))
	long := strings.Repeat("x", components.MaxAlarmDescriptionLen-len("routes () fail")-len("GET /a, and 2 more"))
	got := withinAlarmDescription(text+long, routes)
	require.Equal(t, "routes (GET /a, and 2 more) fail"+long, got)
	require.Len(t, got, components.MaxAlarmDescriptionLen)
	longer := strings.Repeat("x", components.MaxAlarmDescriptionLen-len("routes () fail")-5)
	require.Equal(t, "routes (3 routes) fail"+longer, withinAlarmDescription(text+longer, routes), "not even one fits")
}
