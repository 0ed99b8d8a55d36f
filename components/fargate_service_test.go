package components

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

func fargateArgs(net *Network, svc *PrivateLinkNLB) *FargateServiceArgs {
	return &FargateServiceArgs{
		Image:                 pulumi.String("222222222222.dkr.ecr.us-west-2.amazonaws.com/app@sha256:f9e8d7c6b5a4938271605f4e3d2c1b0af9e8d7c6b5a4938271605f4e3d2c1b0a"),
		RepositoryArn:         pulumi.String("arn:aws:ecr:us-west-2:222222222222:repository/app"),
		VpcId:                 net.VpcId,
		SubnetIds:             net.WorkloadSubnetIds,
		TargetSecurityGroupId: svc.TargetSecurityGroupId,
		TargetGroupArn:        svc.TargetGroupArn,
		Environment:           pulumi.StringMap{"DRAIN_DELAY": pulumi.String("5s")},
	}
}

func runFargate(t *testing.T, mutate func(*FargateServiceArgs)) (*testRun, error) {
	t.Helper()
	return runBehindPrivateLinkNLB(t, TargetTypeIP, func(ctx *pulumi.Context, net *Network, svc *PrivateLinkNLB) error {
		args := fargateArgs(net, svc)
		mutate(args)
		_, err := NewFargateService(ctx, "app", args)
		return err
	})
}

func TestFargateService(t *testing.T) {
	r, err := runFargate(t, func(*FargateServiceArgs) {})
	require.NoError(t, err)
	m := r.m

	cluster := one(t, m, "aws:ecs/cluster:Cluster")
	require.Equal(t, []any{map[string]any{"name": "containerInsights", "value": "enabled"}}, cluster["settings"])

	service := one(t, m, "aws:ecs/service:Service")
	require.EqualValues(t, 2, service["desiredCount"])
	require.Equal(t, "FARGATE", service["launchType"])
	require.Equal(t, "LATEST", service["platformVersion"])
	require.Equal(t, map[string]any{"enable": true, "rollback": true}, service["deploymentCircuitBreaker"])
	require.EqualValues(t, 100, service["deploymentMinimumHealthyPercent"])
	require.EqualValues(t, 60, service["healthCheckGracePeriodSeconds"])
	require.Equal(t, "ENABLED", service["availabilityZoneRebalancing"])
	require.Equal(t, true, service["waitForSteadyState"])
	network := service["networkConfiguration"].(map[string]any)
	require.Equal(t, false, network["assignPublicIp"])
	require.Equal(t, toAny(r.out["subnets"]), network["subnets"])
	require.GreaterOrEqual(t, len(network["subnets"].([]any)), 2)
	require.Contains(t, network["securityGroups"], r.out["targetSG"])
	lbs := service["loadBalancers"].([]any)
	require.Len(t, lbs, 1)
	require.Equal(t, map[string]any{"targetGroupArn": r.out["targetGroup"], "containerName": "app", "containerPort": 8080.0}, lbs[0])
	svc, _ := m.Named("aws:ecs/service:Service", "app-service")
	require.Equal(t, []string{"loadBalancers", "#initerror"}, svc.ReplaceOnChanges, "a new target group is a new service")

	task := one(t, m, "aws:ecs/taskDefinition:TaskDefinition")
	require.Equal(t, "awsvpc", task["networkMode"])
	require.Nil(t, task["pidMode"])
	require.Equal(t, []any{"FARGATE"}, task["requiresCompatibilities"])
	require.Equal(t, "256", task["cpu"])
	require.Equal(t, "512", task["memory"])
	require.NotEqual(t, task["executionRoleArn"], task["taskRoleArn"])
	require.Contains(t, task["executionRoleArn"], "role/app-execution")
	require.Contains(t, task["taskRoleArn"], "role/app-task")

	var defs []containerDefinition
	parseJSON(t, task["containerDefinitions"], &defs)
	require.Len(t, defs, 1)
	c := defs[0]
	require.Equal(t, "app", c.Name)
	require.Equal(t, "222222222222.dkr.ecr.us-west-2.amazonaws.com/app@sha256:f9e8d7c6b5a4938271605f4e3d2c1b0af9e8d7c6b5a4938271605f4e3d2c1b0a", c.Image)
	require.True(t, c.ReadonlyRootFilesystem)
	require.False(t, c.Privileged)
	require.Equal(t, "65532:65532", c.User, "non-root")
	require.Equal(t, []string{"ALL"}, c.LinuxParameters.Capabilities.Drop)
	require.Equal(t, 30, c.StopTimeout)
	require.Equal(t, []portMapping{{ContainerPort: 8080, Protocol: "tcp"}}, c.PortMappings)
	require.Equal(t, []keyValue{{Name: "PORT", Value: "8080"}, {Name: "DRAIN_DELAY", Value: "5s"}}, c.Environment)
	for _, kv := range c.Environment {
		require.NotRegexp(t, `(?i)secret|password|token|AKIA`, kv.Name+"="+kv.Value, "secrets belong in secrets, not environment")
	}
	require.Equal(t, "awslogs", c.LogConfiguration.LogDriver)
	require.Equal(t, "us-west-2", c.LogConfiguration.Options["awslogs-region"])
	require.Equal(t, output(t, m, "aws:cloudwatch/logGroup:LogGroup", "app-logs", "name"), c.LogConfiguration.Options["awslogs-group"], "the log group's physical name")
	require.EqualValues(t, 365, named(t, m, "aws:cloudwatch/logGroup:LogGroup", "app-logs")["retentionInDays"])
}

func TestFargateServiceIAM(t *testing.T) {
	r, err := runFargate(t, func(*FargateServiceArgs) {})
	require.NoError(t, err)
	m := r.m

	for _, name := range []string{"app-execution", "app-task"} {
		var trust policyDocument
		parseJSON(t, named(t, m, "aws:iam/role:Role", name)["assumeRolePolicy"], &trust)
		require.Len(t, trust.Statement, 1)
		require.Equal(t, map[string]string{"Service": "ecs-tasks.amazonaws.com"}, trust.Statement[0].Principal)
	}

	policies := m.ByType("aws:iam/rolePolicy:RolePolicy")
	var execution policyDocument
	for _, p := range policies {
		require.NotEqual(t, "app-task", p.Name, "the app calls no AWS APIs, so its role has no policy")
		if p.Name == "app-execution" {
			parseJSON(t, p.Map()["policy"], &execution)
		}
	}
	require.NotEmpty(t, execution.Statement)
	for _, s := range execution.Statement {
		for _, action := range s.Action {
			require.NotContains(t, action, "*", "no wildcard actions")
		}
		if s.Action[0] == "ecr:GetAuthorizationToken" {
			continue // account-wide by design
		}
		require.NotContains(t, s.Resource, "*", "%v is scoped to a resource", s.Action)
	}
	require.Empty(t, m.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment"), "no managed policies")

	egress := named(t, m, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "app-tasks-https-out")
	require.EqualValues(t, 443, egress["fromPort"])
	require.EqualValues(t, 443, egress["toPort"])
	require.Empty(t, m.ByType("aws:ec2/securityGroupRule:SecurityGroupRule"))
	rules := m.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	require.NotEmpty(t, rules, "the load balancer's")
	for _, rule := range rules {
		require.False(t, strings.HasPrefix(rule.Name, "app-"), "tasks take no ingress of their own")
	}
}

func TestFargateServiceRejectsBadArgs(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*FargateServiceArgs)
		wantErr string
	}{
		{"bad size", func(a *FargateServiceArgs) { a.Cpu, a.Memory = 256, 4096 }, "fargate service app: memory 4096 does not fit cpu 256"},
		{"unknown cpu", func(a *FargateServiceArgs) { a.Cpu = 300 }, "cpu 300 is not a Fargate size"},
		{"negative count", func(a *FargateServiceArgs) { a.DesiredCount = -1 }, "DesiredCount -1"},
		{"stop timeout", func(a *FargateServiceArgs) { a.StopTimeoutSeconds = 200 }, "exceeds Fargate's maximum of 120"},
		{"no image", func(a *FargateServiceArgs) { a.Image = nil }, "Image, RepositoryArn"},
		{"env injection", func(a *FargateServiceArgs) { a.Environment = pulumi.StringMap{"X": pulumi.String("a\nrm -rf /")} }, `fargate service app: environment variable "X"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := runFargate(t, tt.mutate)
			require.ErrorContains(t, err, tt.wantErr)
			requireNamedOnce(t, err, "fargate service app")
			require.Empty(t, r.m.ByType("aws:ecs/service:Service"))
		})
	}
}

func TestCheckFargateSize(t *testing.T) {
	valid := [][2]int{{256, 512}, {256, 1024}, {256, 2048}, {512, 1024}, {512, 4096}, {1024, 2048}, {1024, 8192},
		{2048, 16384}, {4096, 30720}, {8192, 16384}, {8192, 20480}, {16384, 122880}}
	for _, s := range valid {
		require.NoError(t, CheckFargateSize(s[0], s[1]), "%v", s)
	}
	invalid := [][2]int{{256, 1536}, {256, 4096}, {512, 512}, {512, 1536}, {1024, 9216}, {8192, 18432}, {128, 512}, {0, 0}}
	for _, s := range invalid {
		require.Error(t, CheckFargateSize(s[0], s[1]), "%v", s)
	}
}
