package stacks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
	"github.com/private-apis/private-apis/internal/mocks"
	"github.com/stretchr/testify/require"
)

func TestECSProviderExportsTheContract(t *testing.T) {
	cfg := with(validECSConfig(),
		"allowedPrincipals", `["arn:aws:iam::111111111111:root","arn:aws:iam::111111111111:role/consumer-deployer"]`,
		"availabilityZoneIds", `["usw2-az3","usw2-az1"]`)
	_, out, err := runStack(t, "ecs-provider", cfg)
	require.NoError(t, err)

	for _, name := range contract.Outputs {
		require.Contains(t, out, name, "contract output %s", name)
	}
	require.IsType(t, "", out[contract.EndpointServiceName])
	require.Regexp(t, `^com\.amazonaws\.vpce\.us-west-2\.vpce-svc-[0-9a-f]+$`, out[contract.EndpointServiceName])
	require.Regexp(t, `^vpce-svc-[0-9a-f]+$`, out[contract.EndpointServiceID])
	require.Equal(t, []string{"arn:aws:iam::111111111111:root", "arn:aws:iam::111111111111:role/consumer-deployer"}, out[contract.AllowedPrincipals])
	require.Equal(t, 8080, out[contract.ServicePort], "an int, not a string or float")
	require.Equal(t, "/healthz", out[contract.HealthCheckPath])
	require.Equal(t, []string{"GET /dogs", "GET /dogs/males", "GET /dogs/females"}, out[contract.Routes])
	require.Equal(t, []string{"usw2-az3", "usw2-az1"}, out[contract.AvailabilityZoneIDs])
	require.Equal(t, "us-west-2", out[contract.Region])
}

// TestECSProviderMeetsTheSecurityChecklist asserts the M items of
// shared/reference/security-checklist.md for every resource this stack
// declares, across all resources rather than one component at a time.
func TestECSProviderMeetsTheSecurityChecklist(t *testing.T) {
	m, out, err := runStack(t, "ecs-provider", with(validECSConfig(), "logRetentionDays", "90"))
	require.NoError(t, err)

	t.Run("no ingress from the internet", func(t *testing.T) {
		for _, r := range m.ByType("aws:ec2/securityGroup:SecurityGroup") {
			require.Nil(t, r.Map()["ingress"], "%s: rules are separate, reviewable resources", r.Name)
			require.NotEmpty(t, r.Map()["description"], r.Name)
		}
		rules := m.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
		require.NotEmpty(t, rules)
		for _, r := range rules {
			in := r.Map()
			require.NotEqual(t, "0.0.0.0/0", in["cidrIpv4"], r.Name)
			require.Nil(t, in["cidrIpv6"], r.Name)
			if cidr, ok := in["cidrIpv4"]; ok {
				require.Equal(t, "10.0.0.0/16", cidr, "%s: only the VPC's own range", r.Name)
			}
		}
		require.Empty(t, m.ByType("aws:ec2/securityGroupRule:SecurityGroupRule"))
		sg := m.ByType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
		require.Len(t, sg, 1)
		require.Nil(t, sg[0].Map()["ingress"])
		require.Nil(t, sg[0].Map()["egress"])
	})

	t.Run("no public IPs", func(t *testing.T) {
		vpc := m.ByType("awsx:ec2:Vpc")
		require.Len(t, vpc, 1)
		require.Len(t, vpc[0].Transforms, 1, "subnets created by awsx get mapPublicIpOnLaunch=false")
		service := m.ByType("aws:ecs/service:Service")[0].Map()
		require.Equal(t, false, service["networkConfiguration"].(map[string]any)["assignPublicIp"])
		for _, lb := range m.ByType("aws:lb/loadBalancer:LoadBalancer") {
			require.Equal(t, true, lb.Map()["internal"], lb.Name)
		}
	})

	t.Run("NLB and endpoint service", func(t *testing.T) {
		nlbs := m.ByType("aws:lb/loadBalancer:LoadBalancer")
		require.Len(t, nlbs, 1)
		nlb := nlbs[0].Map()
		require.Equal(t, true, nlb["enableCrossZoneLoadBalancing"])
		require.GreaterOrEqual(t, len(nlb["subnets"].([]any)), 2)
		es := m.ByType("aws:ec2/vpcEndpointService:VpcEndpointService")
		require.Len(t, es, 1)
		require.Equal(t, []any{"arn:aws:iam::111111111111:root"}, es[0].Map()["allowedPrincipals"])
		require.Equal(t, false, es[0].Map()["acceptanceRequired"], "default; see README on acceptance")
		tg := m.ByType("aws:lb/targetGroup:TargetGroup")[0].Map()
		require.Equal(t, "ip", tg["targetType"], "Fargate tasks are IP targets")
		require.Equal(t, "/healthz", tg["healthCheck"].(map[string]any)["path"])
	})

	t.Run("drain timings fit together", func(t *testing.T) {
		tg := m.ByType("aws:lb/targetGroup:TargetGroup")[0].Map()
		defs := containerDefs(t, m)
		env := map[string]string{}
		for _, kv := range defs[0].Environment {
			env[kv.Name] = kv.Value
		}
		require.Equal(t, "5s", env["DRAIN_DELAY"])
		require.Equal(t, "10s", env["SHUTDOWN_TIMEOUT"])
		require.GreaterOrEqual(t, tg["deregistrationDelay"].(float64), float64(appShutdownTimeoutSeconds))
		require.Greater(t, defs[0].StopTimeout, appDrainDelaySeconds+appShutdownTimeoutSeconds)
	})

	t.Run("ECS and ECR", func(t *testing.T) {
		service := m.ByType("aws:ecs/service:Service")[0].Map()
		require.Equal(t, map[string]any{"enable": true, "rollback": true}, service["deploymentCircuitBreaker"])
		require.EqualValues(t, 2, service["desiredCount"])
		cluster := m.ByType("aws:ecs/cluster:Cluster")[0].Map()
		require.Equal(t, []any{map[string]any{"name": "containerInsights", "value": "enabled"}}, cluster["settings"])
		defs := containerDefs(t, m)
		require.Equal(t, "awslogs", defs[0].LogConfiguration.LogDriver)
		require.True(t, defs[0].ReadonlyRootFilesystem)
		require.Equal(t, "65532:65532", defs[0].User)

		repo := m.ByType("aws:ecr/repository:Repository")[0].Map()
		require.Equal(t, "IMMUTABLE", repo["imageTagMutability"])
		require.Equal(t, map[string]any{"scanOnPush": true}, repo["imageScanningConfiguration"])
		require.Len(t, m.ByType("aws:ecr/lifecyclePolicy:LifecyclePolicy"), 1)

		image := m.ByType("awsx:ecr:Image")[0].Map()
		wd, err := os.Getwd()
		require.NoError(t, err)
		appDir, err := filepath.Rel(wd, filepath.Join(repoRoot(t), "apps", "dognames"))
		require.NoError(t, err)
		require.Equal(t, appDir, image["context"], "built from the repo's own app, by a relative path")
		tag, err := components.ContentTag(appDir)
		require.NoError(t, err)
		require.Equal(t, tag, image["imageTag"])
		require.Equal(t, out["imageUri"], defs[0].Image, "the task runs the image just pushed")
	})

	t.Run("logs kept with a retention", func(t *testing.T) {
		groups := m.ByType("aws:cloudwatch/logGroup:LogGroup")
		require.Len(t, groups, 2, "flow logs and app logs")
		for _, g := range groups {
			require.EqualValues(t, 90, g.Map()["retentionInDays"], g.Name)
		}
		flowLogs := m.ByType("aws:ec2/flowLog:FlowLog")
		require.Len(t, flowLogs, 1)
		require.Equal(t, out["vpcId"], flowLogs[0].Map()["vpcId"])
		require.Equal(t, "ALL", flowLogs[0].Map()["trafficType"])
	})

	t.Run("least-privilege IAM", func(t *testing.T) {
		for _, r := range m.ByType("aws:iam/rolePolicy:RolePolicy") {
			var doc struct{ Statement []struct{ Action []string } }
			require.NoError(t, json.Unmarshal([]byte(r.Map()["policy"].(string)), &doc), r.Name)
			for _, s := range doc.Statement {
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
			require.Contains(t, []string{"ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"}, doc.Statement[0].Principal["Service"], r.Name)
		}
		for _, r := range m.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
			require.NotContains(t, r.Map()["policyArn"], "AdministratorAccess")
		}
	})

	t.Run("tags everywhere", func(t *testing.T) {
		// These AWS resource types take no tags.
		untaggable := map[string]bool{"aws:iam/rolePolicy:RolePolicy": true, "aws:ecr/lifecyclePolicy:LifecyclePolicy": true}
		for _, r := range customResources(m) {
			if untaggable[r.Type] {
				continue
			}
			require.Equal(t, map[string]any{"team": "dognames"}, r.Map()["tags"], "%s %s", r.Type, r.Name)
		}
	})
}

// containerDef is the part of an ECS container definition the tests read.
type containerDef struct {
	Image                  string
	User                   string
	ReadonlyRootFilesystem bool
	StopTimeout            int
	Environment            []struct{ Name, Value string }
	LogConfiguration       struct{ LogDriver string }
}

func containerDefs(t *testing.T, m *mocks.Mocks) []containerDef {
	t.Helper()
	tasks := m.ByType("aws:ecs/taskDefinition:TaskDefinition")
	require.Len(t, tasks, 1)
	var defs []containerDef
	require.NoError(t, json.Unmarshal([]byte(tasks[0].Map()["containerDefinitions"].(string)), &defs))
	require.Len(t, defs, 1)
	return defs
}
