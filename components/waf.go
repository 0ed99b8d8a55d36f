package components

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/private-apis/private-apis/apirules"
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

// CheckRuleGroups refuses rule groups the web ACL can't have: one not in
// WAFRuleGroups, or an action other than block or count. (Every group of
// WAFRuleGroups fits a web ACL's capacity at once; a test keeps it so.)
func (w WAFOptions) CheckRuleGroups() error {
	for _, group := range slices.Sorted(maps.Keys(w.RuleGroups)) {
		if _, ok := wafGroupCapacity(group); !ok {
			var known []string
			for _, g := range WAFRuleGroups {
				known = append(known, g.Name)
			}
			return fmt.Errorf("rule group %q is not one of %s (others charge extra or need settings)", group, strings.Join(known, ", "))
		}
		if action := w.RuleGroups[group]; action != WAFBlock && action != WAFCount {
			return fmt.Errorf("rule group %s: action %q must be %s or %s", group, action, WAFBlock, WAFCount)
		}
	}
	return nil
}

// CheckRateLimit refuses a rate limit the provider refuses.
func (w WAFOptions) CheckRateLimit() error {
	if w.RateLimit < WAFMinRateLimit || w.RateLimit > WAFMaxRateLimit {
		return fmt.Errorf("rate limit %d must be %d to %d requests per 5 minutes", w.RateLimit, WAFMinRateLimit, WAFMaxRateLimit)
	}
	return nil
}

// Check is CheckRuleGroups and CheckRateLimit.
func (w WAFOptions) Check() error {
	if err := w.CheckRuleGroups(); err != nil {
		return fmt.Errorf("WAF: %w", err)
	}
	if err := w.CheckRateLimit(); err != nil {
		return fmt.Errorf("WAF: %w", err)
	}
	return nil
}

// webACL puts a regional web ACL on the stage: a rate limit per client IP
// first, then the managed rule groups, everything else allowed, with
// CloudWatch metrics and its logs in a log group WAF accepts.
func (api *PrivateApi) webACL(ctx *pulumi.Context, name string, a PrivateApiArgs, stage *apigateway.Stage) error {
	w := *a.Rest.WAF
	setDefault(&w.LogRetentionDays, DefaultLogRetentionDays)
	// Sampled requests show every header in WAF's console, a client's API
	// key among them, and log redaction doesn't apply to them; the logs,
	// redacted, say the same.
	visibility := func(metric string) *wafv2.WebAclRuleVisibilityConfigArgs {
		return &wafv2.WebAclRuleVisibilityConfigArgs{CloudwatchMetricsEnabled: pulumi.Bool(true), MetricName: pulumi.String(metric), SampledRequestsEnabled: pulumi.Bool(false)}
	}
	aclName := webACLName(ctx, name)
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
		// Named for the stack, and its metrics after its name: CloudWatch's
		// WebACL dimension, which the alarm names, is then one and the same
		// whichever of the two WAF publishes it by.
		Name:          pulumi.String(aclName),
		Description:   pulumi.String("The public REST API's web ACL"),
		Scope:         pulumi.String("REGIONAL"),
		DefaultAction: &wafv2.WebAclDefaultActionArgs{Allow: &wafv2.WebAclDefaultActionAllowArgs{}},
		Rules:         rules,
		VisibilityConfig: &wafv2.WebAclVisibilityConfigArgs{
			CloudwatchMetricsEnabled: pulumi.Bool(true), MetricName: pulumi.String(aclName), SampledRequestsEnabled: pulumi.Bool(false),
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
		PolicyName:     pulumi.Sprintf("%s-waf-logs", logs.Name),
		PolicyDocument: logs.Arn.ApplyT(wafLogPolicy).(pulumi.StringOutput),
	}, pulumi.Parent(api))
	if err != nil {
		return fmt.Errorf("creating WAF log policy: %w", err)
	}
	if _, err := wafv2.NewWebAclLoggingConfiguration(ctx, name+"-waf", &wafv2.WebAclLoggingConfigurationArgs{
		ResourceArn:           acl.Arn,
		LogDestinationConfigs: pulumi.StringArray{logs.Arn},
		// WAF logs every header; a client's API key must not be one.
		RedactedFields: wafv2.WebAclLoggingConfigurationRedactedFieldArray{&wafv2.WebAclLoggingConfigurationRedactedFieldArgs{
			SingleHeader: &wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs{Name: pulumi.String(apirules.APIKeyHeader)},
		}},
	}, pulumi.Parent(api), pulumi.DependsOn([]pulumi.Resource{policy})); err != nil {
		return fmt.Errorf("logging the web ACL: %w", err)
	}
	return nil
}

// wafLogPolicy lets WAF's log delivery write to one log group, for this
// account's deliveries only (the confused-deputy conditions of
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html).
// An account has at most 10 such policies per region.
func wafLogPolicy(logGroupArn string) string {
	// arn:<partition>:logs:<region>:<account>:log-group:<name>
	parts := strings.SplitN(logGroupArn, ":", 6)
	account, region, partition := "", "", "aws"
	if len(parts) == 6 {
		partition, region, account = parts[1], parts[3], parts[4]
	}
	return mustJSON(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "delivery.logs.amazonaws.com"},
			"Action":    []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			"Resource":  logGroupArn + ":*",
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": account},
				"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:%s:logs:%s:%s:*", partition, region, account)},
			},
		}},
	})
}

// webACLName is the web ACL's name: the project, stack and component, so
// two stacks in one account and region never share a name or metrics,
// within WAF's 128 letters, digits, hyphens and underscores
// (terraform-provider-aws wafv2/web_acl.go).
func webACLName(ctx *pulumi.Context, name string) string {
	n := wafNameUnsafe.ReplaceAllString(fmt.Sprintf("%s-%s-%s-waf", ctx.Project(), ctx.Stack(), name), "-")
	if len(n) > 128 {
		sum := sha256.Sum256([]byte(n))
		n = n[:119] + "-" + hex.EncodeToString(sum[:4])
	}
	return n
}

var wafNameUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)
