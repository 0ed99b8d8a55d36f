package components

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// WAFOptions are a REST API's web ACL.
type WAFOptions struct {
	// RuleGroups are AWS managed rule groups (names of WAFRuleGroups),
	// each WAFBlock or WAFCount (count only labels and logs what it would
	// block, to try a group out).
	RuleGroups map[string]string
	// RateLimit is the requests one client IP may send in any 5 minutes
	// before it is blocked: WAFMinRateLimit to WAFMaxRateLimit.
	RateLimit int
	// LogRetentionDays keeps WAF's logs this long. Default 365.
	LogRetentionDays int
}

// A managed rule group's action.
const (
	WAFBlock = "block"
	WAFCount = "count"
)

// WAFRuleGroups are the AWS managed rule groups a web ACL here may use,
// with their web ACL capacity units: those that need no configuration and
// cost nothing beyond WAF's own prices (Bot Control, account takeover and
// account creation fraud prevention charge extra and need settings). Their
// order sets their priorities, so adding a group moves no other.
// Capacities: https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
// and aws-managed-rule-groups-ip-rep.html.
var WAFRuleGroups = []struct {
	Name     string
	Capacity int
}{
	{"AWSManagedRulesAmazonIpReputationList", 25},
	{"AWSManagedRulesKnownBadInputsRuleSet", 200},
	{"AWSManagedRulesCommonRuleSet", 700},
}

// WAF's limits: a web ACL takes 1,500 capacity units without extra charge
// (https://docs.aws.amazon.com/waf/latest/developerguide/aws-waf-capacity-units.html),
// and terraform-provider-aws's wafv2 schemas.go refuses a rate-based limit
// under 100 in the releases pulumi-aws v6 was built from (pulumi/pulumi-aws#5841).
const (
	WAFCapacityLimit = 1500
	WAFMinRateLimit  = 100
	WAFMaxRateLimit  = 2000000000
	// wafRateRuleCapacity is a rate-based rule on IPs alone.
	wafRateRuleCapacity = 2
)

func wafGroupCapacity(name string) (int, bool) {
	for i, g := range WAFRuleGroups {
		if g.Name == name {
			return WAFRuleGroups[i].Capacity, true
		}
	}
	return 0, false
}

// Check refuses rule groups and limits the web ACL can't have.
func (w WAFOptions) Check() error {
	capacity := wafRateRuleCapacity
	for _, group := range slices.Sorted(maps.Keys(w.RuleGroups)) {
		c, ok := wafGroupCapacity(group)
		if !ok {
			var known []string
			for _, g := range WAFRuleGroups {
				known = append(known, g.Name)
			}
			return fmt.Errorf("WAF rule group %q is not one of %s", group, strings.Join(known, ", "))
		}
		if action := w.RuleGroups[group]; action != WAFBlock && action != WAFCount {
			return fmt.Errorf("WAF rule group %s: action %q must be %s or %s", group, action, WAFBlock, WAFCount)
		}
		capacity += c
	}
	if capacity > WAFCapacityLimit {
		return fmt.Errorf("WAF rule groups take %d capacity units, over the %d a web ACL has", capacity, WAFCapacityLimit)
	}
	if w.RateLimit < WAFMinRateLimit || w.RateLimit > WAFMaxRateLimit {
		return fmt.Errorf("WAF RateLimit %d must be %d to %d requests per 5 minutes", w.RateLimit, WAFMinRateLimit, WAFMaxRateLimit)
	}
	return nil
}

// webACL puts a regional web ACL on the stage: a rate limit per client IP
// first, then the managed rule groups, everything else allowed, with
// CloudWatch metrics and its logs in a log group WAF accepts.
func (api *PrivateApi) webACL(ctx *pulumi.Context, name string, a PrivateApiArgs, stage *apigateway.Stage) error {
	w := *a.Rest.WAF
	setDefault(&w.LogRetentionDays, DefaultLogRetentionDays)
	visibility := func(metric string) *wafv2.WebAclRuleVisibilityConfigArgs {
		return &wafv2.WebAclRuleVisibilityConfigArgs{CloudwatchMetricsEnabled: pulumi.Bool(true), MetricName: pulumi.String(metric), SampledRequestsEnabled: pulumi.Bool(true)}
	}
	rules := wafv2.WebAclRuleArray{&wafv2.WebAclRuleArgs{
		Name:     pulumi.String("rate-limit-per-ip"),
		Priority: pulumi.Int(0),
		Action:   &wafv2.WebAclRuleActionArgs{Block: &wafv2.WebAclRuleActionBlockArgs{}},
		Statement: &wafv2.WebAclRuleStatementArgs{RateBasedStatement: &wafv2.WebAclRuleStatementRateBasedStatementArgs{
			Limit: pulumi.Int(w.RateLimit), AggregateKeyType: pulumi.String("IP"), EvaluationWindowSec: pulumi.Int(300),
		}},
		VisibilityConfig: visibility("rate-limit-per-ip"),
	}}
	for i, g := range WAFRuleGroups {
		action, ok := w.RuleGroups[g.Name]
		if !ok {
			continue
		}
		override := &wafv2.WebAclRuleOverrideActionArgs{None: &wafv2.WebAclRuleOverrideActionNoneArgs{}}
		if action == WAFCount {
			override = &wafv2.WebAclRuleOverrideActionArgs{Count: &wafv2.WebAclRuleOverrideActionCountArgs{}}
		}
		rules = append(rules, &wafv2.WebAclRuleArgs{
			Name:           pulumi.String(g.Name),
			Priority:       pulumi.Int(i + 1),
			OverrideAction: override,
			Statement: &wafv2.WebAclRuleStatementArgs{ManagedRuleGroupStatement: &wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs{
				Name: pulumi.String(g.Name), VendorName: pulumi.String("AWS"),
			}},
			VisibilityConfig: visibility(g.Name),
		})
	}
	acl, err := wafv2.NewWebAcl(ctx, name+"-waf", &wafv2.WebAclArgs{
		Description:   pulumi.String("The public REST API's web ACL"),
		Scope:         pulumi.String("REGIONAL"),
		DefaultAction: &wafv2.WebAclDefaultActionArgs{Allow: &wafv2.WebAclDefaultActionAllowArgs{}},
		Rules:         rules,
		VisibilityConfig: &wafv2.WebAclVisibilityConfigArgs{
			CloudwatchMetricsEnabled: pulumi.Bool(true), MetricName: pulumi.String(name + "-waf"), SampledRequestsEnabled: pulumi.Bool(true),
		},
		Tags: a.Tags,
	}, pulumi.Parent(api))
	if err != nil {
		return fmt.Errorf("creating web ACL: %w", err)
	}
	if _, err := wafv2.NewWebAclAssociation(ctx, name+"-waf", &wafv2.WebAclAssociationArgs{
		ResourceArn: stage.Arn,
		WebAclArn:   acl.Arn,
	}, pulumi.Parent(api)); err != nil {
		return fmt.Errorf("associating the web ACL with the stage: %w", err)
	}
	api.WebAclName = acl.Name
	return api.wafLogs(ctx, name, a, w, acl)
}

// wafLogs sends the web ACL's logs to a log group, whose name WAF requires
// to begin with aws-waf-logs-, under a resource policy of our own: without
// one WAF edits a shared policy that can outgrow its size limit
// (terraform-provider-aws website/docs/r/wafv2_web_acl_logging_configuration.html.markdown).
func (api *PrivateApi) wafLogs(ctx *pulumi.Context, name string, a PrivateApiArgs, w WAFOptions, acl *wafv2.WebAcl) error {
	logs, err := cloudwatch.NewLogGroup(ctx, name+"-waf-logs", &cloudwatch.LogGroupArgs{
		NamePrefix:      pulumi.String("aws-waf-logs-" + name + "-"),
		RetentionInDays: pulumi.Int(w.LogRetentionDays),
		Tags:            a.Tags,
	}, pulumi.Parent(api))
	if err != nil {
		return fmt.Errorf("creating WAF log group: %w", err)
	}
	policy, err := cloudwatch.NewLogResourcePolicy(ctx, name+"-waf-logs", &cloudwatch.LogResourcePolicyArgs{
		PolicyName: pulumi.Sprintf("%s-waf-logs", logs.Name),
		PolicyDocument: logs.Arn.ApplyT(func(arn string) string {
			return mustJSON(map[string]any{
				"Version": "2012-10-17",
				"Statement": []any{map[string]any{
					"Effect":    "Allow",
					"Principal": map[string]any{"Service": "delivery.logs.amazonaws.com"},
					"Action":    []string{"logs:CreateLogStream", "logs:PutLogEvents"},
					"Resource":  arn + ":*",
				}},
			})
		}).(pulumi.StringOutput),
	}, pulumi.Parent(api))
	if err != nil {
		return fmt.Errorf("creating WAF log policy: %w", err)
	}
	if _, err := wafv2.NewWebAclLoggingConfiguration(ctx, name+"-waf", &wafv2.WebAclLoggingConfigurationArgs{
		ResourceArn:           acl.Arn,
		LogDestinationConfigs: pulumi.StringArray{logs.Arn},
	}, pulumi.Parent(api), pulumi.DependsOn([]pulumi.Resource{policy})); err != nil {
		return fmt.Errorf("logging the web ACL: %w", err)
	}
	return nil
}
