package components

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

func testAlarm(name string) AlarmSpec {
	return AlarmSpec{
		Name: name, Description: "the thing broke; look at its logs",
		Metrics:    []AlarmMetric{{Id: "errors", Namespace: "AWS/Test", MetricName: "Errors", Dimensions: pulumi.StringMap{"Thing": pulumi.String("t1")}, Stat: "Sum"}},
		Comparison: "GreaterThanThreshold", Threshold: 3,
	}
}

func TestMonitoring(t *testing.T) {
	ratio := testAlarm("error-rate")
	ratio.Metrics = append(ratio.Metrics, AlarmMetric{Id: "requests", Namespace: "AWS/Test", MetricName: "Requests", Dimensions: pulumi.StringMap{"Thing": pulumi.String("t1")}, Stat: "Sum"})
	ratio.Expression, ratio.Unit = "IF(requests > 0, 100 * errors / requests, 0)", "%"
	m, _, err := run(t, func(ctx *pulumi.Context) error {
		_, err := NewMonitoring(ctx, "mon", &MonitoringArgs{
			Alarms: []AlarmSpec{testAlarm("errors"), ratio}, Email: "oncall@example.com", DashboardName: "test-stack", Region: "us-west-2",
		})
		return err
	})
	require.NoError(t, err)

	topicArn := output(t, m, "aws:sns/topic:Topic", "mon-alarms", "arn")
	require.Equal(t, map[string]any{"topic": topicArn, "protocol": "email", "endpoint": "oncall@example.com"}, named(t, m, "aws:sns/topicSubscription:TopicSubscription", "mon-email"))

	single := named(t, m, "aws:cloudwatch/metricAlarm:MetricAlarm", "mon-errors")
	require.Equal(t, "notBreaching", single["treatMissingData"], "default: no traffic is not an outage")
	require.EqualValues(t, 1, single["evaluationPeriods"])
	require.EqualValues(t, 1, single["datapointsToAlarm"])
	queries := single["metricQueries"].([]any)
	require.Len(t, queries, 1)
	require.Equal(t, true, queries[0].(map[string]any)["returnData"], "one metric is what the alarm watches")
	require.EqualValues(t, 300, queries[0].(map[string]any)["metric"].(map[string]any)["period"])

	expression := named(t, m, "aws:cloudwatch/metricAlarm:MetricAlarm", "mon-error-rate")["metricQueries"].([]any)
	require.Len(t, expression, 3)
	for _, q := range expression[:2] {
		require.Equal(t, false, q.(map[string]any)["returnData"], "metrics feed the expression")
	}
	require.Equal(t, map[string]any{"id": "value", "expression": ratio.Expression, "label": "error-rate", "returnData": true}, expression[2])

	board := named(t, m, "aws:cloudwatch/dashboard:Dashboard", "mon-dashboard")
	require.Equal(t, "test-stack", board["dashboardName"])
	var body struct {
		Widgets []struct {
			Properties struct {
				Title, Region string
				Metrics       [][]any
				Annotations   struct{ Horizontal []struct{ Value float64 } }
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(board["dashboardBody"].(string)), &body))
	require.Len(t, body.Widgets, 2)
	w := body.Widgets[1].Properties
	require.Equal(t, "error-rate", w.Title)
	require.Equal(t, "us-west-2", w.Region)
	require.Equal(t, []any{"AWS/Test", "Errors", "Thing", "t1", map[string]any{"id": "errors", "stat": "Sum", "visible": false}}, w.Metrics[0])
	require.Equal(t, 3.0, w.Annotations.Horizontal[0].Value, "the threshold is drawn in")
}

func TestMonitoringRejectsBadArgs(t *testing.T) {
	tests := map[string]struct {
		mutate func(*MonitoringArgs)
		want   string
	}{
		"no alarms":       {func(a *MonitoringArgs) { a.Alarms = nil }, "no alarms"},
		"dashboard name":  {func(a *MonitoringArgs) { a.DashboardName = "my dashboard" }, `DashboardName "my dashboard"`},
		"e-mail":          {func(a *MonitoringArgs) { a.Email = "oncall" }, `"oncall" is not an e-mail address`},
		"same name twice": {func(a *MonitoringArgs) { a.Alarms = append(a.Alarms, testAlarm("errors")) }, `alarm name "errors" must be set and unique`},
		"no description":  {func(a *MonitoringArgs) { a.Alarms[0].Description = "" }, "alarm errors has no description"},
		"two metrics, no expression": {func(a *MonitoringArgs) {
			a.Alarms[0].Metrics = append(a.Alarms[0].Metrics, a.Alarms[0].Metrics[0])
		}, "one metric, or several with an Expression"},
		"metric id": {func(a *MonitoringArgs) { a.Alarms[0].Metrics[0].Id = "Errors" }, `metric id "Errors"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			args := &MonitoringArgs{Alarms: []AlarmSpec{testAlarm("errors")}, DashboardName: "d", Region: "us-west-2"}
			tt.mutate(args)
			m, _, err := run(t, func(ctx *pulumi.Context) error {
				_, err := NewMonitoring(ctx, "mon", args)
				return err
			})
			require.ErrorContains(t, err, tt.want)
			requireNamedOnce(t, err, "monitoring mon")
			require.Empty(t, m.Resources())
		})
	}
}
