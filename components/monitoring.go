package components

import (
	"errors"
	"fmt"
	"regexp"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AlarmMetric is one CloudWatch metric an alarm reads.
type AlarmMetric struct {
	// Id names it in Expression: lower-case letters, digits and _,
	// starting with a letter.
	Id         string
	Namespace  string
	MetricName string
	Dimensions pulumi.StringMap
	// Stat is Sum, Average, Minimum, Maximum or a percentile such as p99.
	Stat string
}

// AlarmSpec is one alarm: what it measures, when it fires, and what it
// tells whoever it pages.
type AlarmSpec struct {
	// Name identifies the alarm within the component and names its resource.
	Name string
	// Description says what broke and where to look.
	Description string
	// Metrics are what it reads; with one metric and no Expression the
	// alarm watches that metric.
	Metrics []AlarmMetric
	// Expression is metric math over the metrics' Ids, e.g.
	// "IF(requests > 0, 100 * errors / requests, 0)".
	Expression string
	// Comparison is a CloudWatch comparison operator, e.g.
	// GreaterThanThreshold.
	Comparison string
	Threshold  float64
	// Period is the seconds each data point covers. Default 300.
	Period int
	// EvaluationPeriods is how many periods are looked at, and
	// DatapointsToAlarm how many of them must breach. Defaults 1 and all.
	EvaluationPeriods, DatapointsToAlarm int
	// TreatMissingData is notBreaching (default), breaching, ignore or
	// missing. A metric that stops when things break (healthy hosts) wants
	// breaching.
	TreatMissingData string
	// Unit labels the dashboard graph's axis, e.g. "%" or "ms".
	Unit string
}

// MonitoringArgs configures a Monitoring.
type MonitoringArgs struct {
	// Alarms to create. At least one.
	Alarms []AlarmSpec
	// Email, when set, is subscribed to the alarms' topic (AWS sends it a
	// confirmation to accept).
	Email string
	// DashboardName names the CloudWatch dashboard of the same metrics:
	// letters, digits, - and _. Required.
	DashboardName string
	// Region is where the metrics are, for the dashboard.
	Region string
	// Tags are applied to the topic and alarms.
	Tags pulumi.StringMapInput
}

// Monitoring is a stack's alarms: an SNS topic they notify (with an e-mail
// subscription when asked), a CloudWatch alarm per spec, and one dashboard
// graphing each alarm's metrics against its threshold.
type Monitoring struct {
	pulumi.ResourceState

	TopicArn      pulumi.StringOutput
	DashboardName string
}

// MaxAlarmDescriptionLen is the longest alarm description CloudWatch
// takes (terraform-provider-aws internal/service/cloudwatch/metric_alarm.go
// validates alarm_description to 1024).
const MaxAlarmDescriptionLen = 1024

var (
	metricID      = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
	dashboardName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	emailAddress  = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// NewMonitoring creates a Monitoring.
func NewMonitoring(ctx *pulumi.Context, name string, args *MonitoringArgs, opts ...pulumi.ResourceOption) (_ *Monitoring, err error) {
	defer componentErrors{"monitoring", name}.wrap(&err)
	if args == nil {
		return nil, errors.New("args are required")
	}
	a := *args
	a.Alarms = append([]AlarmSpec(nil), a.Alarms...)
	for i := range a.Alarms {
		s := &a.Alarms[i]
		setDefault(&s.Period, 300)
		setDefault(&s.EvaluationPeriods, 1)
		setDefault(&s.DatapointsToAlarm, s.EvaluationPeriods)
		if s.TreatMissingData == "" {
			s.TreatMissingData = "notBreaching"
		}
	}
	if err := a.validate(); err != nil {
		return nil, err
	}
	mon := &Monitoring{DashboardName: a.DashboardName}
	if err := ctx.RegisterComponentResource("private-apis:cloudwatch:Monitoring", name, mon, opts...); err != nil {
		return nil, err
	}

	// Not encrypted: CloudWatch cannot publish to a topic encrypted with
	// the AWS-managed SNS key, and alarm notifications carry no data.
	topic, err := sns.NewTopic(ctx, name+"-alarms", &sns.TopicArgs{Tags: a.Tags}, pulumi.Parent(mon))
	if err != nil {
		return nil, fmt.Errorf("creating topic: %w", err)
	}
	if a.Email != "" {
		if _, err := sns.NewTopicSubscription(ctx, name+"-email", &sns.TopicSubscriptionArgs{
			Topic: topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(a.Email),
		}, pulumi.Parent(mon)); err != nil {
			return nil, fmt.Errorf("subscribing %s: %w", a.Email, err)
		}
	}
	for _, s := range a.Alarms {
		if _, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+s.Name, &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.String(s.Description),
			ComparisonOperator: pulumi.String(s.Comparison),
			Threshold:          pulumi.Float64(s.Threshold),
			EvaluationPeriods:  pulumi.Int(s.EvaluationPeriods),
			DatapointsToAlarm:  pulumi.Int(s.DatapointsToAlarm),
			TreatMissingData:   pulumi.String(s.TreatMissingData),
			MetricQueries:      s.queries(),
			AlarmActions:       pulumi.Array{topic.Arn},
			OkActions:          pulumi.Array{topic.Arn},
			Tags:               a.Tags,
		}, pulumi.Parent(mon)); err != nil {
			return nil, fmt.Errorf("creating alarm %s: %w", s.Name, err)
		}
	}
	if _, err := cloudwatch.NewDashboard(ctx, name+"-dashboard", &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(a.DashboardName),
		DashboardBody: dashboardBody(a),
	}, pulumi.Parent(mon)); err != nil {
		return nil, fmt.Errorf("creating dashboard: %w", err)
	}

	mon.TopicArn = topic.Arn
	if err := ctx.RegisterResourceOutputs(mon, pulumi.Map{"topicArn": mon.TopicArn, "dashboardName": pulumi.String(a.DashboardName)}); err != nil {
		return nil, fmt.Errorf("registering outputs: %w", err)
	}
	return mon, nil
}

// queries are the alarm's metric queries: its metrics, and the expression
// when there is one, which is then the value the alarm watches.
func (s AlarmSpec) queries() cloudwatch.MetricAlarmMetricQueryArray {
	var q cloudwatch.MetricAlarmMetricQueryArray
	for _, m := range s.Metrics {
		q = append(q, &cloudwatch.MetricAlarmMetricQueryArgs{
			Id:         pulumi.String(m.Id),
			ReturnData: pulumi.Bool(s.Expression == ""),
			Metric: &cloudwatch.MetricAlarmMetricQueryMetricArgs{
				Namespace:  pulumi.String(m.Namespace),
				MetricName: pulumi.String(m.MetricName),
				Dimensions: m.Dimensions,
				Stat:       pulumi.String(m.Stat),
				Period:     pulumi.Int(s.Period),
			},
		})
	}
	if s.Expression != "" {
		q = append(q, &cloudwatch.MetricAlarmMetricQueryArgs{
			Id:         pulumi.String("value"),
			Expression: pulumi.String(s.Expression),
			Label:      pulumi.String(s.Name),
			ReturnData: pulumi.Bool(true),
		})
	}
	return q
}

// dashboardBody is a graph per alarm of what it watches, with its
// threshold drawn in, once the metrics' dimensions are known.
func dashboardBody(a MonitoringArgs) pulumi.StringOutput {
	var dims []any
	for _, s := range a.Alarms {
		for _, m := range s.Metrics {
			dims = append(dims, m.Dimensions.ToStringMapOutput())
		}
	}
	return pulumi.All(dims...).ApplyT(func(resolved []any) string {
		var widgets []any
		next := 0
		for i, s := range a.Alarms {
			var metrics []any
			for _, m := range s.Metrics {
				row := []any{m.Namespace, m.MetricName}
				d := resolved[next].(map[string]string)
				next++
				keys := make([]string, 0, len(d))
				for k := range d {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					row = append(row, k, d[k])
				}
				row = append(row, map[string]any{"id": m.Id, "stat": m.Stat, "visible": s.Expression == ""})
				metrics = append(metrics, row)
			}
			if s.Expression != "" {
				metrics = append(metrics, []any{map[string]any{"expression": s.Expression, "label": s.Name, "id": "value"}})
			}
			widgets = append(widgets, map[string]any{
				"type": "metric", "x": (i % 2) * 12, "y": (i / 2) * 6, "width": 12, "height": 6,
				"properties": map[string]any{
					"title":       s.Name,
					"region":      a.Region,
					"view":        "timeSeries",
					"period":      s.Period,
					"metrics":     metrics,
					"annotations": map[string]any{"horizontal": []any{map[string]any{"label": "alarm", "value": s.Threshold}}},
					"yAxis":       map[string]any{"left": map[string]any{"label": s.Unit, "showUnits": false}},
				},
			})
		}
		return mustJSON(map[string]any{"widgets": widgets})
	}).(pulumi.StringOutput)
}

// CheckEmail accepts an address SNS can send alarm e-mails to.
func CheckEmail(address string) error {
	if !emailAddress.MatchString(address) {
		return fmt.Errorf("%q is not an e-mail address", address)
	}
	return nil
}

func (a MonitoringArgs) validate() error {
	if len(a.Alarms) == 0 {
		return fmt.Errorf("no alarms")
	}
	if !dashboardName.MatchString(a.DashboardName) {
		return fmt.Errorf("DashboardName %q: letters, digits, - and _ only, 1-255 characters", a.DashboardName)
	}
	if a.Email != "" {
		if err := CheckEmail(a.Email); err != nil {
			return err
		}
	}
	names := map[string]bool{}
	for _, s := range a.Alarms {
		switch {
		case s.Name == "" || names[s.Name]:
			return fmt.Errorf("alarm name %q must be set and unique", s.Name)
		case s.Description == "":
			return fmt.Errorf("alarm %s has no description: say what broke and where to look", s.Name)
		case len(s.Description) > MaxAlarmDescriptionLen:
			return fmt.Errorf("alarm %s's description is %d characters; CloudWatch takes at most %d", s.Name, len(s.Description), MaxAlarmDescriptionLen)
		case len(s.Metrics) == 0 || (len(s.Metrics) > 1 && s.Expression == ""):
			return fmt.Errorf("alarm %s: one metric, or several with an Expression", s.Name)
		}
		names[s.Name] = true
		for _, m := range s.Metrics {
			if !metricID.MatchString(m.Id) {
				return fmt.Errorf("alarm %s: metric id %q must start with a lower-case letter", s.Name, m.Id)
			}
		}
	}
	return nil
}
