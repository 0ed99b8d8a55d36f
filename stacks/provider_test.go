package stacks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

// baseline is what every provider stack must hold, whatever its compute.
type baseline struct {
	targetType    string
	logGroups     int
	retentionDays float64
	trustServices []string
	tags          map[string]any
	// untaggable are resource types AWS offers no tags for.
	untaggable map[string]bool
	// managedPolicies is how many AWS-managed policies the stack attaches
	// to its roles, each one a grant the stack does not write itself.
	managedPolicies int
}

// noTags are the resource types without tags in AWS or the provider.
var noTags = map[string]bool{
	"aws:iam/rolePolicy:RolePolicy":                       true,
	"aws:ecr/lifecyclePolicy:LifecyclePolicy":             true,
	"aws:ec2/route:Route":                                 true,
	"aws:ec2/routeTableAssociation:RouteTableAssociation": true,
}

// assertProviderBaseline checks the security checklist's M items that apply
// to every provider, across all the resources the stack declared.
func assertProviderBaseline(t *testing.T, m *fakeaws.AWS, out map[string]any, b baseline) {
	t.Run("no ingress from the internet", func(t *testing.T) { assertNoIngressFromTheInternet(t, m) })
	t.Run("internal NLB published to exact principals", func(t *testing.T) { assertInternalNLBPublished(t, m, b.targetType) })
	t.Run("logs kept with a retention", func(t *testing.T) { assertLogsRetained(t, m, out, b) })
	t.Run("least-privilege IAM", func(t *testing.T) { assertLeastPrivilegeIAM(t, m, b) })
	t.Run("ECR immutable and scanned", func(t *testing.T) { assertECRImmutableAndScanned(t, m) })
	t.Run("tags everywhere", func(t *testing.T) { assertTaggedEverywhere(t, m, b) })
	t.Run("contract complete and typed", func(t *testing.T) { assertContractCompleteAndTyped(t, out) })
}

func assertNoIngressFromTheInternet(t *testing.T, m *fakeaws.AWS) {
	require.NotEmpty(t, m.ByType("aws:ec2/securityGroup:SecurityGroup"))
	for _, r := range m.ByType("aws:ec2/securityGroup:SecurityGroup") {
		require.Nil(t, r.Map()["ingress"], "%s: rules are separate, reviewable resources", r.Name)
		require.NotEmpty(t, r.Map()["description"], r.Name)
	}
	rules := m.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	require.NotEmpty(t, rules)
	fromCIDR := 0
	for _, r := range rules {
		in := r.Map()
		require.Nil(t, in["cidrIpv6"], r.Name)
		if cidr, ok := in["cidrIpv4"]; ok {
			require.Equal(t, "10.0.0.0/16", cidr, "%s: only the VPC's own range", r.Name)
			fromCIDR++
		}
	}
	require.Positive(t, fromCIDR, "the NLB admits the VPC's range, the consumers' PrivateLink traffic")
	require.Empty(t, m.ByType("aws:ec2/securityGroupRule:SecurityGroupRule"))
	sg := m.ByType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
	require.Len(t, sg, 1)
	require.Nil(t, sg[0].Map()["ingress"])
	require.Nil(t, sg[0].Map()["egress"])
}

func assertInternalNLBPublished(t *testing.T, m *fakeaws.AWS, targetType string) {
	require.Len(t, m.ByType("aws:ec2/vpc:Vpc"), 1)
	subnets := m.ByType("aws:ec2/subnet:Subnet")
	require.NotEmpty(t, subnets)
	for _, s := range subnets {
		require.Equal(t, false, s.Map()["mapPublicIpOnLaunch"], s.Name)
	}
	nlbs := m.ByType("aws:lb/loadBalancer:LoadBalancer")
	require.Len(t, nlbs, 1)
	nlb := nlbs[0].Map()
	require.Equal(t, true, nlb["internal"])
	require.Equal(t, true, nlb["enableCrossZoneLoadBalancing"])
	require.GreaterOrEqual(t, len(nlb["subnets"].([]any)), 2)
	es := m.ByType("aws:ec2/vpcEndpointService:VpcEndpointService")
	require.Len(t, es, 1)
	require.Equal(t, []any{"arn:aws:iam::111111111111:root"}, es[0].Map()["allowedPrincipals"])
	require.Equal(t, false, es[0].Map()["acceptanceRequired"], "default; see README on acceptance")
	tgs := m.ByType("aws:lb/targetGroup:TargetGroup")
	require.Len(t, tgs, 1)
	tg := tgs[0].Map()
	require.Equal(t, targetType, tg["targetType"])
	require.Equal(t, "/healthz", tg["healthCheck"].(map[string]any)["path"])
	require.GreaterOrEqual(t, tg["deregistrationDelay"].(float64), float64(appShutdownTimeoutSeconds),
		"in-flight requests finish before the target is gone")
}

func assertLogsRetained(t *testing.T, m *fakeaws.AWS, out map[string]any, b baseline) {
	groups := m.ByType("aws:cloudwatch/logGroup:LogGroup")
	require.Len(t, groups, b.logGroups)
	for _, g := range groups {
		require.Equal(t, b.retentionDays, g.Map()["retentionInDays"], g.Name)
	}
	flowLogs := m.ByType("aws:ec2/flowLog:FlowLog")
	require.Len(t, flowLogs, 1)
	require.Equal(t, out["vpcId"], flowLogs[0].Map()["vpcId"])
	require.Equal(t, "ALL", flowLogs[0].Map()["trafficType"])
}

func assertLeastPrivilegeIAM(t *testing.T, m *fakeaws.AWS, b baseline) {
	require.NotEmpty(t, m.ByType("aws:iam/rolePolicy:RolePolicy"))
	require.NotEmpty(t, m.ByType("aws:iam/role:Role"))
	for _, r := range m.ByType("aws:iam/rolePolicy:RolePolicy") {
		var doc struct{ Statement []struct{ Action []string } }
		require.NoError(t, json.Unmarshal([]byte(r.Map()["policy"].(string)), &doc), r.Name)
		require.NotEmpty(t, doc.Statement, r.Name)
		for _, s := range doc.Statement {
			require.NotEmpty(t, s.Action, r.Name)
			for _, a := range s.Action {
				require.False(t, strings.Contains(a, "*"), "%s grants wildcard action %s", r.Name, a)
			}
		}
	}
	for _, r := range m.ByType("aws:iam/role:Role") {
		var doc struct {
			Statement []struct{ Principal map[string]string }
		}
		require.NoError(t, json.Unmarshal([]byte(r.Map()["assumeRolePolicy"].(string)), &doc), r.Name)
		require.Len(t, doc.Statement, 1)
		require.Contains(t, b.trustServices, doc.Statement[0].Principal["Service"], r.Name)
	}
	attachments := m.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
	require.Len(t, attachments, b.managedPolicies)
	for _, r := range attachments {
		require.NotContains(t, r.Map()["policyArn"], "AdministratorAccess")
	}
}

func assertECRImmutableAndScanned(t *testing.T, m *fakeaws.AWS) {
	repo := m.ByType("aws:ecr/repository:Repository")
	require.Len(t, repo, 1)
	require.Equal(t, "IMMUTABLE", repo[0].Map()["imageTagMutability"])
	require.Equal(t, map[string]any{"scanOnPush": true}, repo[0].Map()["imageScanningConfiguration"])
	require.Len(t, m.ByType("aws:ecr/lifecyclePolicy:LifecyclePolicy"), 1)
}

func assertTaggedEverywhere(t *testing.T, m *fakeaws.AWS, b baseline) {
	tagged := 0
	for _, r := range customResources(m) {
		if b.untaggable[r.Type] || noTags[r.Type] {
			continue
		}
		tags, _ := r.Map()["tags"].(map[string]any)
		for k, v := range b.tags {
			require.Equal(t, v, tags[k], "%s %s: tag %s", r.Type, r.Name, k)
		}
		tagged++
	}
	require.Greater(t, tagged, 20)
}

func assertContractCompleteAndTyped(t *testing.T, out map[string]any) {
	for _, name := range contract.Outputs {
		require.Contains(t, out, name)
	}
	require.IsType(t, "", out[contract.EndpointServiceName])
	require.IsType(t, "", out[contract.EndpointServiceID])
	require.IsType(t, []string{}, out[contract.AllowedPrincipals])
	require.IsType(t, 0, out[contract.ServicePort])
	require.IsType(t, "", out[contract.HealthCheckPath])
	require.IsType(t, []string{}, out[contract.Routes])
	require.IsType(t, []string{}, out[contract.AvailabilityZoneIDs])
	require.IsType(t, "", out[contract.Region])
}

// assertImageBuiltFrom checks the image is built from apps/ with the app's
// own Dockerfile (whose ignore file picks the app's files), named by paths
// relative to the program, and tagged with exactly what that build sends.
func assertImageBuiltFrom(t *testing.T, m *fakeaws.AWS, app string) {
	t.Helper()
	images := m.ByType("awsx:ecr:Image")
	require.Len(t, images, 1)
	image := images[0].Map()
	wd, err := os.Getwd()
	require.NoError(t, err)
	apps, err := filepath.Rel(wd, filepath.Join(repoRoot(t), "apps"))
	require.NoError(t, err)
	require.Equal(t, apps, image["context"])
	require.Equal(t, filepath.Join(apps, app, "Dockerfile"), image["dockerfile"])
	tag, err := components.BuildContextTag(apps, filepath.Join(apps, app, "Dockerfile"), "linux/amd64")
	require.NoError(t, err)
	require.Equal(t, tag, image["imageTag"])
}
