package stacks

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

// scenario is a change a team makes to a deployed stack: the stack's
// first deployment, then the change, deployed.
type scenario struct {
	name string
	role string
	cfg  map[string]string
	// change edits the config, the account or the apps (under root)
	// between the two deployments, and returns the new config.
	change func(t *testing.T, m *fakeaws.AWS, root string, cfg map[string]string) map[string]string
}

func set(kv ...string) func(*testing.T, *fakeaws.AWS, string, map[string]string) map[string]string {
	return func(_ *testing.T, _ *fakeaws.AWS, _ string, cfg map[string]string) map[string]string {
		return with(cfg, kv...)
	}
}

// editApp appends a line to a file of the apps, as a commit does.
func editApp(path string) func(*testing.T, *fakeaws.AWS, string, map[string]string) map[string]string {
	return func(t *testing.T, _ *fakeaws.AWS, root string, cfg map[string]string) map[string]string {
		full := filepath.Join(root, "apps", path)
		f, err := os.OpenFile(full, os.O_APPEND|os.O_WRONLY, 0o644)
		require.NoError(t, err)
		_, err = f.WriteString("\n// a new release\n")
		require.NoError(t, err)
		require.NoError(t, f.Close())
		return cfg
	}
}

func scenarios() []scenario {
	consumer := validConsumerConfig()
	rest := restConsumerConfig()
	threeAZs := `["usw2-az1","usw2-az2","usw2-az3"]`
	return []scenario{
		{"a provider added", "consumer", consumer, set("providers", `["`+dognamesStack+`","`+todoStack+`","`+ordersStack+`"]`)},
		{"a provider removed", "consumer", consumer, set("providers", `["`+todoStack+`"]`)},
		{"providers reordered", "consumer", consumer, set("providers", `["`+todoStack+`","`+dognamesStack+`"]`)},
		{"an AZ added", "consumer", consumer, set("availabilityZoneIds", threeAZs)},
		{"an AZ removed", "consumer", with(consumer, "availabilityZoneIds", threeAZs), set("availabilityZoneIds", `["usw2-az1","usw2-az2"]`)},
		{"NAT turned on", "consumer", consumer, set("natGateways", "single")},
		{"a custom domain", "consumer", consumer, set("domainName", "api.example.com", "hostedZoneId", testZoneID)},
		{"CORS", "consumer", consumer, set("cors", `{"allowOrigins": ["https://app.example.com"]}`)},
		{"JWT", "consumer", consumer, set("jwtIssuer", "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_AbCdEf123", "jwtAudiences", `["client-1"]`,
			"publicRoutes", `["GET /dogs"]`, "writeScopes", `["todo/write"]`)},
		{"alarms", "consumer", consumer, set("monitoring", "true", "alarmEmail", "oncall@example.com")},

		{"rest: a provider added", "consumer", rest, set("providers", `["`+dognamesStack+`","`+todoStack+`","`+ordersStack+`"]`)},
		{"rest: a provider removed", "consumer", rest, set("providers", `["`+dognamesStack+`"]`)},
		{"rest: providers reordered", "consumer", rest, set("providers", `["`+todoStack+`","`+dognamesStack+`"]`)},
		{"rest: an AZ added", "consumer", rest, set("availabilityZoneIds", threeAZs)},
		{"rest: a client added", "consumer", rest, set("clients", `{"partner-a": {"rateLimit": 10, "burstLimit": 20, "quotaLimit": 10000, "quotaPeriod": "DAY"}, "partner-b": {"rateLimit": 5, "burstLimit": 5}}`)},
		{"rest: a client's quota raised", "consumer", rest, set("clients", `{"partner-a": {"rateLimit": 10, "burstLimit": 20, "quotaLimit": 50000, "quotaPeriod": "WEEK"}}`)},
		{"rest: one client for another", "consumer", rest, set("clients", `{"partner-b": {"rateLimit": 5, "burstLimit": 5}}`)},
		{"rest: a route made public", "consumer", rest, set("publicRoutes", `["GET /dogs","GET /todo"]`)},
		{"rest: a route's own limit", "consumer", rest, set("routeThrottling", `{"GET /dogs": {"rateLimit": 5, "burstLimit": 10}}`)},
		{"rest: a WAF rule group counting", "consumer", rest, set("wafRuleGroups", `{"AWSManagedRulesCommonRuleSet": "count", "AWSManagedRulesKnownBadInputsRuleSet": "block", "AWSManagedRulesAmazonIpReputationList": "block"}`)},
		{"rest: WAF off", "consumer", rest, set("waf", "false")},
		{"rest: source IPs denied", "consumer", rest, set("deniedSourceIps", `["198.51.100.7/32"]`)},
		{"rest: a custom domain", "consumer", rest, set("domainName", "api.example.com", "hostedZoneId", testZoneID)},
		{"rest: alarms", "consumer", rest, set("monitoring", "true", "alarmEmail", "oncall@example.com")},
		{"http to rest", "consumer", consumer, func(*testing.T, *fakeaws.AWS, string, map[string]string) map[string]string { return rest }},
		{"http to rest, with a custom domain", "consumer", with(consumer, "domainName", "api.example.com", "hostedZoneId", testZoneID),
			func(*testing.T, *fakeaws.AWS, string, map[string]string) map[string]string {
				return with(rest, "domainName", "api.example.com", "hostedZoneId", testZoneID)
			}},

		{"a new release", "ecs-provider", validECSConfig(), editApp("dognames/names.go")},
		{"a bigger task", "ecs-provider", validECSConfig(), set("cpu", "512", "memory", "1024")},
		{"an AZ added", "ecs-provider", validECSConfig(), set("availabilityZoneIds", threeAZs)},
		{"an AZ removed", "ecs-provider", with(validECSConfig(), "availabilityZoneIds", threeAZs), set("availabilityZoneIds", `["usw2-az2","usw2-az3"]`)},
		{"AZs listed in another order", "ecs-provider", validECSConfig(), set("availabilityZoneIds", `["usw2-az2","usw2-az1"]`)},
		{"alarms", "ecs-provider", validECSConfig(), set("monitoring", "true")},

		{"a new release", "ec2-provider", validEC2Config(), editApp("todo/server.go")},
		{"a new Amazon Linux AMI", "ec2-provider", validEC2Config(), func(_ *testing.T, m *fakeaws.AWS, _ string, cfg map[string]string) map[string]string {
			m.Parameters[components.AL2023AmiParameter] = "ami-0fedcba9876543210"
			return cfg
		}},
		{"a bigger instance type", "ec2-provider", validEC2Config(), set("instanceType", "t3.medium")},
		{"more instances", "ec2-provider", validEC2Config(), set("minSize", "3", "maxSize", "6")},
		{"an AZ added", "ec2-provider", validEC2Config(), set("availabilityZoneIds", threeAZs)},
		{"an AZ removed", "ec2-provider", with(validEC2Config(), "availabilityZoneIds", threeAZs), set("availabilityZoneIds", `["usw2-az1","usw2-az3"]`)},
		{"NAT in every AZ", "ec2-provider", validEC2Config(), set("natGateways", "onePerAz")},
	}
}

// TestUpdateScenarios deploys each stack, makes one of the changes teams
// make most, deploys again, and compares what the update adds, deletes,
// updates in place and replaces (with the inputs that force it, by AWS's
// rules) with stacks/testdata/updates.golden: a reviewer sees the blast
// radius of a change before it ships. After an intended change:
// go test ./stacks -run UpdateScenarios -update
func TestUpdateScenarios(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("# What each update does, by AWS's replacement rules (internal/fakeaws/replace_rules.go).\n")
	b.WriteString("# + add, - delete, ~ update in place (inputs), +- replace: new first, then the old deleted (inputs that force it)\n")
	for _, s := range scenarios() {
		root := copyApps(t)
		m := fakeaws.New()
		m.Account = "222222222222"
		if s.role == "consumer" {
			m.Account = "111111111111"
			m.StackOutputs = threeProviders()
			withAccountDomains(m)
		}
		_, err := m.Run(s.role, s.cfg, root, Run)
		require.NoError(t, err, "%s: the first deployment", s.name)
		cfg := s.change(t, m, root, s.cfg)
		_, err = m.Run(s.role, cfg, root, Run)
		require.NoError(t, err, "%s %s: AWS takes the update", s.role, s.name)
		fmt.Fprintf(&b, "\n## %s: %s\n%s", s.role, s.name, describeChanges(m.Changes()))
	}
	path := filepath.Join("testdata", "updates.golden")
	if *update {
		require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no snapshot yet: run go test ./stacks -run UpdateScenarios -update")
	if !bytes.Equal(want, b.Bytes()) {
		t.Fatalf("%s no longer matches what the updates do.\nReview the change, then rewrite it with: go test ./stacks -run UpdateScenarios -update\n%s",
			path, firstDifference(string(want), b.String()))
	}
}

// describeChanges lists the AWS resources an update touches, one a line.
func describeChanges(c fakeaws.Changes) string {
	var lines []string
	aws := func(key string) bool { return strings.HasPrefix(key, "aws:") || strings.HasPrefix(key, "awsx:") }
	for _, k := range c.Added {
		if aws(k) {
			lines = append(lines, "+  "+k)
		}
	}
	for _, k := range c.Removed {
		if aws(k) {
			lines = append(lines, "-  "+k)
		}
	}
	for k, keys := range c.Changed {
		if !aws(k) {
			continue
		}
		if forced, ok := c.Replaced[k]; ok {
			lines = append(lines, fmt.Sprintf("+- %s (%s)", k, strings.Join(forced, ", ")))
			continue
		}
		lines = append(lines, fmt.Sprintf("~  %s (%s)", k, strings.Join(keys, ", ")))
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i][3:] < lines[j][3:] })
	if len(lines) == 0 {
		return "(nothing)\n"
	}
	return strings.Join(lines, "\n") + "\n"
}
