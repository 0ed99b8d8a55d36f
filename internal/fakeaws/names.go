package fakeaws

import (
	"fmt"
	"regexp"
	"strings"
)

// nameRule is how AWS (and Pulumi's autonaming in front of it) names one
// resource type: the property that holds the name, the longest name AWS
// takes, the characters it allows, and what Pulumi does when the program
// gives no name.
type nameRule struct {
	// Property holds the physical name ("name", or "family" for task
	// definitions). Explicit-only properties have Autonamed false.
	Property  string
	Autonamed bool
	// MaxLen is AWS's limit (the Terraform provider's validator refuses a
	// longer name during preview). AutonameMax is the limit pulumi-aws gives
	// its autonaming, which refuses a logical name whose autoname would be
	// longer: AWS's own limit for a few types, 255 for the rest.
	MaxLen      int
	MinLen      int
	AutonameMax int
	// Pattern is what AWS accepts; Why says it in words for the error.
	Pattern *regexp.Regexp
	Why     string
	// Forbid holds extra refusals: a prefix AWS reserves, a trailing dash.
	Forbid func(name string) string
}

// randomSuffixLen is the length of the random part Pulumi's autonaming
// appends after a dash: "api-alb" becomes "api-alb-1a2b3c4".
const randomSuffixLen = 7

// namePrefixSuffixLen is what AWS adds to a namePrefix (Terraform's unique
// suffix: a timestamp and a counter).
const namePrefixSuffixLen = 26

var (
	elbName     = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
	iamName     = regexp.MustCompile(`^[\w+=,.@-]+$`)
	ecrName     = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	sgName      = regexp.MustCompile(`^[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+$`)
	logGroup    = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]+$`)
	ecsName     = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	ltName      = regexp.MustCompile(`^[A-Za-z0-9().\-/_]+$`)
	tableName   = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	anyPrintble = regexp.MustCompile(`^[^\x00-\x1f]+$`)
)

func elbForbid(kind string) func(string) string {
	return func(name string) string {
		switch {
		case strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-"):
			return kind + " names must not begin or end with a hyphen"
		case kind == "load balancer" && strings.HasPrefix(strings.ToLower(name), "internal-"):
			return "load balancer names must not begin with \"internal-\""
		}
		return ""
	}
}

// nameRules covers every named type the program creates. A type that has
// a name and is missing here fails the run, so a new resource type gets its
// rule written down when it is first used.
var nameRules = map[string]nameRule{
	"aws:lb/loadBalancer:LoadBalancer": {Property: "name", Autonamed: true, MaxLen: 32, Pattern: elbName,
		Why: "only alphanumerics and hyphens", Forbid: elbForbid("load balancer")},
	"aws:lb/targetGroup:TargetGroup": {Property: "name", Autonamed: true, MaxLen: 32, AutonameMax: 32, Pattern: elbName,
		Why: "only alphanumerics and hyphens", Forbid: elbForbid("target group")},
	"aws:iam/role:Role":                       {Property: "name", Autonamed: true, MaxLen: 64, AutonameMax: 64, Pattern: iamName, Why: `alphanumerics and +=,.@_-`},
	"aws:iam/rolePolicy:RolePolicy":           {Property: "name", Autonamed: true, MaxLen: 128, Pattern: iamName, Why: `alphanumerics and +=,.@_-`},
	"aws:iam/instanceProfile:InstanceProfile": {Property: "name", Autonamed: true, MaxLen: 128, Pattern: iamName, Why: `alphanumerics and +=,.@_-`},
	"aws:ecr/repository:Repository": {Property: "name", Autonamed: true, MaxLen: 256, MinLen: 2, Pattern: ecrName,
		Why: "lower-case letters, digits and . _ - / between them"},
	"aws:ec2/securityGroup:SecurityGroup": {Property: "name", Autonamed: true, MaxLen: 255, Pattern: sgName,
		Why: "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*", Forbid: func(n string) string {
			if strings.HasPrefix(strings.ToLower(n), "sg-") {
				return "security group names must not begin with sg-"
			}
			return ""
		}},
	"aws:cloudwatch/logGroup:LogGroup":       {Property: "name", Autonamed: true, MaxLen: 512, Pattern: logGroup, Why: "letters, digits and ._-/#"},
	"aws:ecs/cluster:Cluster":                {Property: "name", Autonamed: true, MaxLen: 255, Pattern: ecsName, Why: "letters, digits, hyphens and underscores"},
	"aws:ecs/service:Service":                {Property: "name", Autonamed: true, MaxLen: 255, Pattern: ecsName, Why: "letters, digits, hyphens and underscores"},
	"aws:ecs/taskDefinition:TaskDefinition":  {Property: "family", MaxLen: 255, Pattern: ecsName, Why: "letters, digits, hyphens and underscores"},
	"aws:ec2/launchTemplate:LaunchTemplate":  {Property: "name", Autonamed: true, MaxLen: 125, MinLen: 3, Pattern: ltName, Why: "letters, digits and ().-/_"},
	"aws:autoscaling/group:Group":            {Property: "name", Autonamed: true, MaxLen: 255, Pattern: anyPrintble, Why: "printable characters"},
	"aws:dynamodb/table:Table":               {Property: "name", Autonamed: true, MaxLen: 255, MinLen: 3, Pattern: tableName, Why: "letters, digits and _.-"},
	"aws:apigatewayv2/api:Api":               {Property: "name", Autonamed: true, MaxLen: 128, Pattern: anyPrintble, Why: "printable characters"},
	"aws:apigatewayv2/vpcLink:VpcLink":       {Property: "name", Autonamed: true, MaxLen: 128, Pattern: anyPrintble, Why: "printable characters"},
	"aws:apigatewayv2/authorizer:Authorizer": {Property: "name", MaxLen: 128, Pattern: anyPrintble, Why: "printable characters"},
	"aws:sns/topic:Topic":                    {Property: "name", Autonamed: true, MaxLen: 256, AutonameMax: 80, Pattern: ecsName, Why: "letters, digits, hyphens and underscores"},
	"aws:cloudwatch/metricAlarm:MetricAlarm": {Property: "name", Autonamed: true, MaxLen: 255, Pattern: anyPrintble, Why: "printable characters"},
	"aws:cloudwatch/dashboard:Dashboard":     {Property: "dashboardName", MaxLen: 255, Pattern: ecsName, Why: "letters, digits, hyphens and underscores"},
	"aws:apigatewayv2/stage:Stage":           {Property: "name", MaxLen: 128, Pattern: regexp.MustCompile(`^(\$default|[A-Za-z0-9_-]+)$`), Why: "$default, or letters, digits, hyphens and underscores"},
	// REST APIs: AWS documents no length for these names and the provider
	// validates none, so Pulumi's autoname limit of 255 applies; a REST
	// stage's name is letters, digits, hyphens and underscores (no
	// $default), up to 128 (CreateStage).
	"aws:apigateway/restApi:RestApi":     {Property: "name", Autonamed: true, MaxLen: 1024, Pattern: anyPrintble, Why: "printable characters"},
	"aws:apigateway/vpcLink:VpcLink":     {Property: "name", Autonamed: true, MaxLen: 255, Pattern: anyPrintble, Why: "printable characters"},
	"aws:apigateway/usagePlan:UsagePlan": {Property: "name", Autonamed: true, MaxLen: 255, Pattern: anyPrintble, Why: "printable characters"},
	"aws:apigateway/apiKey:ApiKey":       {Property: "name", Autonamed: true, MaxLen: 1024, Pattern: anyPrintble, Why: "printable characters"},
	"aws:apigateway/stage:Stage":         {Property: "stageName", MaxLen: 128, Pattern: ecsName, Why: "letters, digits, hyphens and underscores"},
	// terraform-provider-aws wafv2/web_acl.go: name StringLenBetween(1, 128)
	// and ^[0-9A-Za-z_-]+$.
	"aws:wafv2/webAcl:WebAcl": {Property: "name", Autonamed: true, MaxLen: 128, AutonameMax: 128, Pattern: ecsName, Why: "letters, digits, hyphens and underscores"},
	// logs/resource_policy.go: policy_name, which AWS bounds at 255.
	"aws:cloudwatch/logResourcePolicy:LogResourcePolicy": {Property: "policyName", MaxLen: 255, Pattern: anyPrintble, Why: "printable characters"},
}

// unnamedTypes are the resource types the program creates that have no
// physical name to check.
var unnamedTypes = map[string]bool{
	"aws:ec2/vpc:Vpc":                                                     true,
	"aws:ec2/subnet:Subnet":                                               true,
	"aws:ec2/routeTable:RouteTable":                                       true,
	"aws:ec2/route:Route":                                                 true,
	"aws:ec2/routeTableAssociation:RouteTableAssociation":                 true,
	"aws:ec2/internetGateway:InternetGateway":                             true,
	"aws:ec2/eip:Eip":                                                     true,
	"aws:ec2/natGateway:NatGateway":                                       true,
	"aws:ec2/vpcEndpoint:VpcEndpoint":                                     true,
	"aws:ec2/vpcEndpointService:VpcEndpointService":                       true,
	"aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter": true,
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":                   true,
	"aws:ec2/flowLog:FlowLog":                                             true,
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":           true,
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":             true,
	"aws:lb/listener:Listener":                                            true,
	"aws:lb/listenerRule:ListenerRule":                                    true,
	"aws:lb/targetGroupAttachment:TargetGroupAttachment":                  true,
	"aws:ecr/lifecyclePolicy:LifecyclePolicy":                             true,
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":                   true,
	"aws:apigatewayv2/integration:Integration":                            true,
	"aws:apigatewayv2/route:Route":                                        true,
	"aws:apigatewayv2/apiMapping:ApiMapping":                              true,
	// A custom domain's name, a certificate's domain and a DNS record's
	// name are the DNS names themselves, never autonamed.
	"aws:apigatewayv2/domainName:DomainName":                          true,
	"aws:acm/certificate:Certificate":                                 true,
	"aws:acm/certificateValidation:CertificateValidation":             true,
	"aws:route53/record:Record":                                       true,
	"aws:sns/topicSubscription:TopicSubscription":                     true,
	"awsx:ecr:Image":                                                  true,
	"aws:apigateway/method:Method":                                    true,
	"aws:apigateway/deployment:Deployment":                            true,
	"aws:apigateway/methodSettings:MethodSettings":                    true,
	"aws:apigateway/usagePlanKey:UsagePlanKey":                        true,
	"aws:apigateway/account:Account":                                  true,
	"aws:wafv2/webAclAssociation:WebAclAssociation":                   true,
	"aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": true,
	"pulumi:pulumi:StackReference":                                    true,
}

// fieldLimits are the longest values AWS takes for other string inputs
// than names, by type and input, as the provider's validators refuse them
// in a preview.
var fieldLimits = map[string]map[string]int{
	// terraform-provider-aws internal/service/cloudwatch/metric_alarm.go:
	// alarm_description StringLenBetween(0, 1024).
	"aws:cloudwatch/metricAlarm:MetricAlarm": {"alarmDescription": 1024},
}

// checkFields refuses a known input longer than AWS takes.
func checkFields(token, logical string, in map[string]any) error {
	for field, limit := range fieldLimits[token] {
		if v, ok := in[field].(string); ok && len(v) > limit {
			return fmt.Errorf("%s %s: %s is %d characters; AWS takes at most %d", token, logical, field, len(v), limit)
		}
	}
	return nil
}

// physicalName returns the name AWS would get for a resource, as Pulumi's
// autonaming or the program's explicit name decides it, and an error where
// Pulumi or AWS would refuse it. ok is false for types without a name.
// An explicit name that is unknown (a preview) cannot be checked yet.
//
// generation counts the resource's replacements: each one gets a fresh
// random suffix, as Pulumi autonames a replacement anew.
func physicalName(token, logical string, in map[string]any, unknown map[string]bool, generation int) (name string, ok bool, err error) {
	rule, known := nameRules[token]
	if !known {
		if unnamedTypes[token] || !strings.HasPrefix(token, "aws:") {
			return "", false, nil
		}
		return "", false, fmt.Errorf("fakeaws: no AWS name rule for %s; add it to internal/fakeaws/names.go", token)
	}
	if unknown[rule.Property] || unknown["namePrefix"] {
		return "", false, nil
	}
	explicit, hasName := in[rule.Property].(string)
	prefix, hasPrefix := in["namePrefix"].(string)
	switch {
	case hasName:
		name = explicit
	case hasPrefix:
		// AWS appends its own unique suffix to a prefix.
		name = prefix + strings.Repeat("0", namePrefixSuffixLen)
	case rule.Autonamed:
		limit := rule.AutonameMax
		if limit == 0 {
			limit = 255
		}
		if len(logical)+1+randomSuffixLen > limit {
			// Pulumi's own refusal, which a preview already shows.
			return "", true, fmt.Errorf("could not make instance of '%s': name '%s-' plus %d random chars is longer than maximum length %d",
				token, logical, randomSuffixLen, limit)
		}
		// The random part is lower-case hex, derived from the resource.
		seed := token + "::" + logical
		if generation > 0 {
			seed += fmt.Sprintf("::%d", generation)
		}
		name = logical + "-" + digest(seed)[:randomSuffixLen]
	default:
		return "", true, fmt.Errorf("%s %s: the required %s is not set", token, logical, rule.Property)
	}
	if err := rule.check(name); err != nil {
		return "", true, fmt.Errorf("%s %s: %s %q: %w", token, logical, rule.Property, name, err)
	}
	return name, true, nil
}

func (r nameRule) check(name string) error {
	switch {
	case len(name) > r.MaxLen:
		return fmt.Errorf("cannot be longer than %d characters (it is %d)", r.MaxLen, len(name))
	case len(name) < max(1, r.MinLen):
		return fmt.Errorf("is %d characters; AWS needs at least %d", len(name), max(1, r.MinLen))
	case !r.Pattern.MatchString(name):
		return fmt.Errorf("AWS allows %s", r.Why)
	}
	if r.Forbid != nil {
		if why := r.Forbid(name); why != "" {
			return fmt.Errorf("%s", why)
		}
	}
	return nil
}
