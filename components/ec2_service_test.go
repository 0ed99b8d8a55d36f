package components

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

func runEC2(t *testing.T, mutate func(*EC2ServiceArgs)) (*testRun, error) {
	t.Helper()
	return runEC2On(t, fakeaws.New(), mutate)
}

// runEC2On is runEC2 in an account the test has shaped.
func runEC2On(t *testing.T, m *fakeaws.AWS, mutate func(*EC2ServiceArgs)) (*testRun, error) {
	t.Helper()
	out, err := deployBehindPrivateLinkNLB(m, TargetTypeInstance, func(ctx *pulumi.Context, net *Network, svc *PrivateLinkNLB) error {
		args := &EC2ServiceArgs{
			Image:                 pulumi.String("333333333333.dkr.ecr.us-west-2.amazonaws.com/todo@sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"),
			RepositoryArn:         pulumi.String("arn:aws:ecr:us-west-2:333333333333:repository/todo"),
			VpcId:                 net.VpcId,
			SubnetIds:             net.WorkloadSubnetIds,
			TargetSecurityGroupId: svc.TargetSecurityGroupId,
			TargetGroupArn:        svc.TargetGroupArn,
			Environment:           pulumi.StringMap{"TABLE_NAME": pulumi.String("todo-table")},
			AppPermissions: []Permission{{
				Actions:   []string{"dynamodb:GetItem", "dynamodb:PutItem"},
				Resources: pulumi.StringArray{pulumi.String("arn:aws:dynamodb:us-west-2:333333333333:table/todo-table")},
			}},
			Tags: pulumi.StringMap{"team": pulumi.String("todo")},
		}
		mutate(args)
		_, err := NewEC2Service(ctx, "app", args)
		return err
	})
	return &testRun{m: m, out: out}, err
}

func TestEC2ServiceLaunchTemplate(t *testing.T) {
	const ami = "ami-0a1b2c3d4e5f60718"
	m := fakeaws.New()
	m.Parameters[AL2023AmiParameter] = ami
	r, err := runEC2On(t, m, func(*EC2ServiceArgs) {})
	require.NoError(t, err)
	lt := one(t, r.m, "aws:ec2/launchTemplate:LaunchTemplate")

	require.Equal(t, ami, lt["imageId"], "the AMI comes from the SSM parameter")
	require.Equal(t, "t3.small", lt["instanceType"])
	require.Equal(t, map[string]any{
		"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1.0, "instanceMetadataTags": "disabled",
	}, lt["metadataOptions"])
	nics := lt["networkInterfaces"].([]any)
	require.Len(t, nics, 1)
	nic := nics[0].(map[string]any)
	require.Equal(t, "false", nic["associatePublicIpAddress"])
	require.Contains(t, nic["securityGroups"], r.out["targetSG"])
	require.NotEmpty(t, lt["blockDeviceMappings"])
	for _, bd := range lt["blockDeviceMappings"].([]any) {
		require.Equal(t, "true", bd.(map[string]any)["ebs"].(map[string]any)["encrypted"])
	}
	require.Nil(t, lt["keyName"], "no SSH key pair: Session Manager instead")
	require.Equal(t, map[string]any{"enabled": true}, lt["monitoring"])
	require.Contains(t, lt["iamInstanceProfile"].(map[string]any)["arn"], "app-instance")

	raw, err := base64.StdEncoding.DecodeString(lt["userData"].(string))
	require.NoError(t, err)
	script := string(raw)
	require.Contains(t, script, "dnf install -y docker")
	require.Contains(t, script, "docker login --username AWS --password-stdin 333333333333.dkr.ecr.us-west-2.amazonaws.com")
	require.Contains(t, script, "--restart always --network host")
	require.Contains(t, script, "--read-only --cap-drop ALL")
	require.Contains(t, script, "TABLE_NAME=todo-table\n")
	require.Contains(t, script, "AWS_REGION=us-west-2\n")
	require.Contains(t, script, "PORT=8080\n")
	require.Contains(t, script, "333333333333.dkr.ecr.us-west-2.amazonaws.com/todo@sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9")
	require.Contains(t, script, "awslogs-group=app-logs")
	require.NotRegexp(t, `AKIA[0-9A-Z]{16}|aws_secret_access_key`, script, "no credentials in user data")
}

func TestEC2ServiceAutoScalingGroup(t *testing.T) {
	r, err := runEC2(t, func(a *EC2ServiceArgs) { a.MinSize, a.MaxSize, a.DesiredCapacity = 2, 6, 3 })
	require.NoError(t, err)
	asg := one(t, r.m, "aws:autoscaling/group:Group")
	require.EqualValues(t, 2, asg["minSize"])
	require.EqualValues(t, 6, asg["maxSize"])
	require.EqualValues(t, 3, asg["desiredCapacity"])
	require.Equal(t, "ELB", asg["healthCheckType"])
	require.EqualValues(t, 300, asg["healthCheckGracePeriod"])
	require.Equal(t, []any{r.out["targetGroup"]}, asg["targetGroupArns"])
	require.Equal(t, toAny(r.out["subnets"]), asg["vpcZoneIdentifiers"])
	require.GreaterOrEqual(t, len(asg["vpcZoneIdentifiers"].([]any)), 2)
	lt := asg["launchTemplate"].(map[string]any)
	require.NotEmpty(t, lt["id"])
	require.NotEmpty(t, lt["version"], "pinned to the template's latest version")
	require.Nil(t, asg["instanceRefresh"], "a release is a new group, not a refresh in place")
	require.EqualValues(t, 2, asg["minElbCapacity"], "its create waits for the minimum to be healthy")
	require.Equal(t, "15m0s", asg["waitForCapacityTimeout"], "the grace period and 10 minutes")
	group, _ := r.m.Named("aws:autoscaling/group:Group", "app-asg")
	require.Equal(t, []string{"launchTemplate", "targetGroupArns", "#initerror"}, group.ReplaceOnChanges)
	require.Equal(t, []any{map[string]any{"key": "team", "value": "todo", "propagateAtLaunch": true}}, asg["tags"])
}

// TestEC2ServiceReleases rolls out releases as `pulumi up` does: each is a
// new Auto Scaling group whose create waits until its instances are
// healthy, so a release that never turns healthy fails the update and the
// previous group, on its own launch template version, keeps serving.
func TestEC2ServiceReleases(t *testing.T) {
	m := fakeaws.New()
	deploy := func(image string) error {
		_, err := deployBehindPrivateLinkNLB(m, TargetTypeInstance, func(ctx *pulumi.Context, net *Network, svc *PrivateLinkNLB) error {
			_, err := NewEC2Service(ctx, "app", &EC2ServiceArgs{
				Image: pulumi.String(image), RepositoryArn: pulumi.String("arn:aws:ecr:us-west-2:333333333333:repository/todo"),
				VpcId: net.VpcId, SubnetIds: net.WorkloadSubnetIds, TargetSecurityGroupId: svc.TargetSecurityGroupId, TargetGroupArn: svc.TargetGroupArn,
			})
			return err
		})
		return err
	}
	const asg = "aws:autoscaling/group:Group"
	// Instances of the "broken" build never pass the health checks.
	m.Unhealthy = func(lt map[string]any) bool { return strings.Contains(lt["userData"].(string), "todo:broken") }

	require.NoError(t, deploy("todo:v1"))
	first := m.State(asg)
	require.Len(t, first, 1)

	require.NoError(t, deploy("todo:v2"), "a healthy release")
	changes := m.Changes()
	require.Equal(t, []string{"launchTemplate"}, changes.Replaced[asg+" app-asg"], "a new group for the new version")
	second := m.State(asg)
	require.Len(t, second, 1, "the old group is gone once the new one is healthy")
	require.NotEqual(t, first[0].OutputMap()["name"], second[0].OutputMap()["name"], "the new group has a name of its own")

	name := func(r fakeaws.Resource) any { return r.OutputMap()["name"] }
	existing := func() []any {
		var names []any
		for _, g := range m.Existing(asg) {
			names = append(names, name(g))
		}
		return names
	}
	for attempt := 1; attempt <= 2; attempt++ {
		// The second attempt is a plain retry, as CI or `make up` would
		// make: the failed group is replaced, not "continued".
		err := deploy("todo:broken")
		require.ErrorContains(t, err, "want at least 2 healthy instance(s) registered to Load Balancer, have 0", "attempt %d", attempt)
		require.ErrorContains(t, err, "timeout: 15m0s")
		require.Contains(t, existing(), name(second[0]), "attempt %d: the previous release keeps serving", attempt)
	}
	state := m.State(asg)
	require.Len(t, state, 1)
	require.True(t, state[0].InitErrors, "the failed group stays in the state, to be replaced")

	require.NoError(t, deploy("todo:v3"), "the next good release goes out")
	require.Len(t, existing(), 1, "the failed groups and the previous release are deleted once it serves")
	require.NotContains(t, existing(), name(second[0]))
}

func TestEC2ServiceInstanceRole(t *testing.T) {
	r, err := runEC2(t, func(*EC2ServiceArgs) {})
	require.NoError(t, err)
	var trust policyDocument
	parseJSON(t, named(t, r.m, "aws:iam/role:Role", "app-instance")["assumeRolePolicy"], &trust)
	require.Len(t, trust.Statement, 1)
	require.Equal(t, map[string]string{"Service": "ec2.amazonaws.com"}, trust.Statement[0].Principal)

	var policy policyDocument
	parseJSON(t, named(t, r.m, "aws:iam/rolePolicy:RolePolicy", "app-instance")["policy"], &policy)
	actions := map[string][]string{}
	for _, s := range policy.Statement {
		for _, a := range s.Action {
			require.NotContains(t, a, "*")
			actions[a] = s.Resource
		}
	}
	require.Equal(t, []string{"arn:aws:dynamodb:us-west-2:333333333333:table/todo-table"}, actions["dynamodb:PutItem"])
	require.Equal(t, []string{"arn:aws:ecr:us-west-2:333333333333:repository/todo"}, actions["ecr:BatchGetImage"])
	require.Equal(t, []string{output(t, r.m, "aws:cloudwatch/logGroup:LogGroup", "app-logs", "arn").(string) + ":*"}, actions["logs:PutLogEvents"], "only its own log group")
	require.Len(t, actions, 8, "pull (4), logs (2) and the app's own two actions: nothing else")

	attachment := one(t, r.m, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
	require.Equal(t, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", attachment["policyArn"])
	require.Equal(t, output(t, r.m, "aws:iam/role:Role", "app-instance", "name"), one(t, r.m, "aws:iam/instanceProfile:InstanceProfile")["role"])
}

func TestEC2ServiceRejectsBadArgs(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*EC2ServiceArgs)
		wantErr string
	}{
		{"graviton", func(a *EC2ServiceArgs) { a.InstanceType = "t4g.small" }, `"t4g.small" is a Graviton`},
		{"not a type", func(a *EC2ServiceArgs) { a.InstanceType = "large" }, `"large" is not an EC2 instance type`},
		{"min above max", func(a *EC2ServiceArgs) { a.MinSize, a.MaxSize = 3, 2 }, "MinSize (3)"},
		{"desired above max", func(a *EC2ServiceArgs) { a.DesiredCapacity, a.MaxSize = 5, 4 }, "DesiredCapacity (5)"},
		{"env injection", func(a *EC2ServiceArgs) { a.Environment = pulumi.StringMap{"X": pulumi.String("a\nrm -rf /")} }, `ec2 service app: environment variable "X"`},
		{"wildcard action", func(a *EC2ServiceArgs) { a.AppPermissions[0].Actions = []string{"dynamodb:*"} }, "no wildcards"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := runEC2(t, tt.mutate)
			require.ErrorContains(t, err, tt.wantErr)
			requireNamedOnce(t, err, "ec2 service app")
			require.Empty(t, r.m.ByType("aws:autoscaling/group:Group"))
		})
	}
}

func TestCheckInstanceType(t *testing.T) {
	for _, ok := range []string{"t3.small", "t3a.micro", "m7i.large", "m7i-flex.large", "c6in.xlarge", "g4dn.xlarge", "r5.24xlarge"} {
		require.NoError(t, CheckInstanceType(ok), ok)
	}
	for _, bad := range []string{"t4g.small", "c7gn.large", "m6gd.xlarge", "x2gd.medium", "t3", "T3.small", ""} {
		require.Error(t, CheckInstanceType(bad), bad)
	}
}
