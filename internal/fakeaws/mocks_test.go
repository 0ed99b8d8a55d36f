package fakeaws

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

// custom is a resource of any type, read through its outputs.
type custom struct {
	pulumi.CustomResourceState
	State               pulumi.StringOutput      `pulumi:"state"`
	NetworkInterfaceIds pulumi.StringArrayOutput `pulumi:"networkInterfaceIds"`
	Name                pulumi.StringOutput      `pulumi:"name"`
	ImageURI            pulumi.StringOutput      `pulumi:"imageUri"`
	Arn                 pulumi.StringOutput      `pulumi:"arn"`
}

func register(ctx *pulumi.Context, token, name string, props pulumi.Map) (*custom, error) {
	var r custom
	return &r, ctx.RegisterResource(token, name, props, &r)
}

func TestPhysicalNames(t *testing.T) {
	tests := []struct {
		name, token, logical string
		inputs               map[string]any
		want                 string // the name, or the error it contains
		wantErr              bool
	}{
		{name: "autonamed", token: "aws:lb/targetGroup:TargetGroup", logical: "api-todo-tg", want: "api-todo-tg-"},
		{name: "a target group name Pulumi refuses", token: "aws:lb/targetGroup:TargetGroup", logical: "api-dognames-production-tg", wantErr: true,
			want: "could not make instance of 'aws:lb/targetGroup:TargetGroup': name 'api-dognames-production-tg-' plus 7 random chars is longer than maximum length 32"},
		{name: "a load balancer name AWS refuses", token: "aws:lb/loadBalancer:LoadBalancer", logical: "consumer-api-internal-alb", wantErr: true,
			want: `name "consumer-api-internal-alb-`},
		{name: "a reserved load balancer prefix", token: "aws:lb/loadBalancer:LoadBalancer", logical: "internal-api", wantErr: true, want: `must not begin with "internal-"`},
		{name: "underscores in a load balancer", token: "aws:lb/loadBalancer:LoadBalancer", logical: "api_alb", wantErr: true, want: "only alphanumerics and hyphens"},
		{name: "an IAM role at its limit", token: "aws:iam/role:Role", logical: strings.Repeat("r", 56), want: strings.Repeat("r", 56) + "-"},
		{name: "an IAM role over it", token: "aws:iam/role:Role", logical: strings.Repeat("r", 57), wantErr: true, want: "longer than maximum length 64"},
		{name: "ECR is lower-case only", token: "aws:ecr/repository:Repository", logical: "Dognames-repo", wantErr: true, want: "lower-case letters"},
		{name: "an explicit family with a dot", token: "aws:ecs/taskDefinition:TaskDefinition", logical: "task", inputs: map[string]any{"family": "dog.names-app"}, wantErr: true,
			want: `family "dog.names-app": AWS allows letters, digits, hyphens and underscores`},
		{name: "an explicit name", token: "aws:apigatewayv2/stage:Stage", logical: "api-stage", inputs: map[string]any{"name": "$default"}, want: "$default"},
		{name: "a required name missing", token: "aws:ecs/taskDefinition:TaskDefinition", logical: "task", wantErr: true, want: "the required family is not set"},
		{name: "a name prefix", token: "aws:iam/role:Role", logical: "r", inputs: map[string]any{"namePrefix": strings.Repeat("p", 40)}, wantErr: true, want: "cannot be longer than 64"},
		{name: "an unknown AWS type", token: "aws:s3/bucket:Bucket", logical: "b", wantErr: true, want: "no AWS name rule for aws:s3/bucket:Bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := physicalName(tt.token, tt.logical, tt.inputs, nil, 0)
			if tt.wantErr {
				require.ErrorContains(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			require.True(t, ok)
			require.True(t, strings.HasPrefix(got, tt.want), "%q", got)
			if strings.HasSuffix(tt.want, "-") {
				require.Len(t, got, len(tt.want)+randomSuffixLen, "logical name, a dash and 7 random characters")
			}
		})
	}
	_, ok, err := physicalName("aws:lb/listener:Listener", "l", nil, nil, 0)
	require.NoError(t, err)
	require.False(t, ok, "listeners have no name")
	_, ok, err = physicalName("aws:ecs/taskDefinition:TaskDefinition", "task", nil, map[string]bool{"family": true}, 0)
	require.NoError(t, err)
	require.False(t, ok, "a name unknown in a preview is checked once it is known")
}

func TestPreviewLeavesComputedValuesUnknown(t *testing.T) {
	m := New()
	m.Preview = true
	out, err := m.Run("test", nil, "", func(ctx *pulumi.Context) error {
		e, err := register(ctx, "aws:ec2/vpcEndpoint:VpcEndpoint", "e", pulumi.Map{"serviceName": pulumi.String(openService)})
		if err != nil {
			return err
		}
		tg, err := register(ctx, "aws:lb/targetGroup:TargetGroup", "tg", pulumi.Map{"port": pulumi.Int(80)})
		if err != nil {
			return err
		}
		ctx.Export("id", e.ID())
		ctx.Export("state", e.State)
		ctx.Export("tgName", tg.Name)
		// An input built from an unknown is recorded as unknown.
		_, err = register(ctx, "aws:lb/listener:Listener", "l", pulumi.Map{"defaultActions": tg.ID()})
		return err
	})
	require.NoError(t, err)
	require.Equal(t, Unknown, out["id"])
	require.Equal(t, Unknown, out["state"])
	require.Regexp(t, `^tg-[0-9a-f]{7}$`, out["tgName"], "autonames are known in a preview")
	l, ok := m.Named("aws:lb/listener:Listener", "l")
	require.True(t, ok)
	require.Equal(t, Unknown, l.Map()["defaultActions"])
}

// Endpoint services' names: one that accepts every connection, and one
// that holds them for acceptance.
const (
	openService = "com.amazonaws.vpce.us-west-2.vpce-svc-0a1b2c3d4e5f60701"
	heldService = "com.amazonaws.vpce.us-west-2.vpce-svc-0a1b2c3d4e5f60702"
)

func TestEndpointStates(t *testing.T) {
	m := New()
	m.AcceptanceRequired[heldService] = true
	lookup := func(ctx *pulumi.Context, token string, args pulumi.Map) (map[string]any, error) {
		var out map[string]any
		err := ctx.Invoke(token, args, &out)
		return out, err
	}
	var endpointID string
	_, err := m.Run("test", nil, "", func(ctx *pulumi.Context) error {
		subnets := pulumi.StringArray{pulumi.String("subnet-0a1b2c3d4e5f6070a"), pulumi.String("subnet-0a1b2c3d4e5f6070b")}
		open, err := register(ctx, "aws:ec2/vpcEndpoint:VpcEndpoint", "open", pulumi.Map{"serviceName": pulumi.String(openService), "subnetIds": subnets})
		if err != nil {
			return err
		}
		held, err := register(ctx, "aws:ec2/vpcEndpoint:VpcEndpoint", "held", pulumi.Map{"serviceName": pulumi.String(heldService), "subnetIds": subnets})
		if err != nil {
			return err
		}
		ctx.Export("open", pulumi.All(open.ID(), open.State, open.NetworkInterfaceIds))
		ctx.Export("held", pulumi.All(held.ID(), held.State, held.NetworkInterfaceIds))
		return nil
	})
	require.NoError(t, err)
	endpoints := m.ByType("aws:ec2/vpcEndpoint:VpcEndpoint")
	require.Len(t, endpoints, 2)
	for _, r := range endpoints {
		out := r.OutputMap()
		if r.Name == "open" {
			require.Equal(t, EndpointAvailable, out["state"])
			require.Len(t, out["networkInterfaceIds"], 2, "one interface per subnet")
			continue
		}
		endpointID = r.ID
		require.Equal(t, EndpointPendingAcceptance, out["state"])
		require.Empty(t, out["networkInterfaceIds"], "no interfaces until accepted")
	}

	// The lookups' answers, asserted once the run is over.
	var pending, accepted, eni map[string]any
	var emptyErr, unknownENIErr, unknownEndpointErr error
	_, err = m.Run("test", nil, "", func(ctx *pulumi.Context) error {
		var err error
		if pending, err = lookup(ctx, "aws:ec2/getVpcEndpoint:getVpcEndpoint", pulumi.Map{"id": pulumi.String(endpointID)}); err != nil {
			return err
		}
		m.AcceptEndpoint(endpointID)
		if accepted, err = lookup(ctx, "aws:ec2/getVpcEndpoint:getVpcEndpoint", pulumi.Map{"id": pulumi.String(endpointID)}); err != nil {
			return err
		}
		if enis, _ := accepted["networkInterfaceIds"].([]any); len(enis) > 0 {
			if eni, err = lookup(ctx, "aws:ec2/getNetworkInterface:getNetworkInterface", pulumi.Map{"id": pulumi.String(enis[0].(string))}); err != nil {
				return err
			}
		}
		_, emptyErr = lookup(ctx, "aws:ec2/getNetworkInterface:getNetworkInterface", pulumi.Map{"id": pulumi.String("")})
		_, unknownENIErr = lookup(ctx, "aws:ec2/getNetworkInterface:getNetworkInterface", pulumi.Map{"id": pulumi.String("eni-0ffffffffffffffff")})
		_, unknownEndpointErr = lookup(ctx, "aws:ec2/getVpcEndpoint:getVpcEndpoint", pulumi.Map{"id": pulumi.String("vpce-0ffffffffffffffff")})
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, EndpointPendingAcceptance, pending["state"])
	require.Equal(t, EndpointAvailable, accepted["state"], "the live state follows the acceptance")
	require.Len(t, accepted["networkInterfaceIds"], 2)
	require.NotEmpty(t, eni["privateIp"])
	require.ErrorContains(t, emptyErr, "multiple EC2 Network Interfaces matched")
	require.ErrorContains(t, unknownENIErr, "no matching EC2 Network Interface found")
	require.ErrorContains(t, unknownEndpointErr, "no matching EC2 VPC Endpoint found")
}

func TestRunsInSequence(t *testing.T) {
	m := New()
	deploy := func(resources map[string]string) error {
		_, err := m.Run("test", nil, "", func(ctx *pulumi.Context) error {
			for name, description := range resources {
				if _, err := register(ctx, "aws:ec2/securityGroup:SecurityGroup", name, pulumi.Map{"description": pulumi.String(description)}); err != nil {
					return err
				}
			}
			return nil
		})
		return err
	}
	require.NoError(t, deploy(map[string]string{"a": "kept", "b": "first", "c": "gone"}))
	first, _ := m.Named("aws:ec2/securityGroup:SecurityGroup", "a")
	require.NoError(t, deploy(map[string]string{"a": "kept", "b": "second", "d": "new"}))
	require.Equal(t, Changes{
		Added:   []string{"aws:ec2/securityGroup:SecurityGroup d"},
		Removed: []string{"aws:ec2/securityGroup:SecurityGroup c"},
		Changed: map[string][]string{"aws:ec2/securityGroup:SecurityGroup b": {"description"}},
		// terraform-provider-aws ec2/vpc_security_group.go: description is ForceNew.
		Replaced: map[string][]string{"aws:ec2/securityGroup:SecurityGroup b": {"description"}},
	}, m.Changes())
	again, _ := m.Named("aws:ec2/securityGroup:SecurityGroup", "a")
	require.Equal(t, first.ID, again.ID)
	require.True(t, first.Outputs.DeepEquals(again.Outputs), "an unchanged resource keeps its state")

	m.FailResource("aws:ec2/securityGroup:SecurityGroup", "b", os.ErrPermission)
	require.ErrorContains(t, deploy(map[string]string{"b": "third"}), "permission denied")
}

// TestImmutableRepository pushes images as awsx does: a rebuild under a tag
// the repository already holds with other content is refused.
func TestImmutableRepository(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY . /\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n"), 0o644))
	m := New()
	push := func(tag string) (map[string]any, error) {
		return m.Run("test", nil, "", func(ctx *pulumi.Context) error {
			var img custom
			if err := ctx.RegisterRemoteComponentResource("awsx:ecr:Image", "img", pulumi.Map{
				"repositoryUrl": pulumi.String("222222222222.dkr.ecr.us-west-2.amazonaws.com/app"),
				"context":       pulumi.String(dir),
				"imageTag":      pulumi.String(tag),
			}, &img); err != nil {
				return err
			}
			ctx.Export("uri", img.ImageURI)
			return nil
		})
	}
	first, err := push("v1")
	require.NoError(t, err)
	_, err = push("v1")
	require.NoError(t, err, "the same content under the same tag is no rebuild")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main // v2\n"), 0o644))
	_, err = push("v1")
	require.ErrorContains(t, err, "tag invalid: The image tag 'v1' already exists in the 'app' repository and cannot be overwritten because the repository is immutable")
	second, err := push("v2")
	require.NoError(t, err)
	require.NotEqual(t, first["uri"], second["uri"])
	require.False(t, m.RegistryHas(first["uri"].(string)), "docker-build deleted the old child's image")
	require.True(t, m.RegistryHas(second["uri"].(string)))
}
