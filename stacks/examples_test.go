package stacks

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

func loadProject(t *testing.T) *workspace.Project {
	t.Helper()
	proj, err := workspace.LoadProject(filepath.Join(repoRoot(t), "Pulumi.yaml"))
	require.NoError(t, err, "Pulumi.yaml must pass the CLI's own schema validation")
	return proj
}

// TestPulumiYamlDeclaresEveryKey keeps Pulumi.yaml, the one source of the
// program's keys and defaults, usable: every key has a description, a type
// and a default of that type (a key without a default would be required by
// every stack), and every key is read by some role, so none a user sets is
// ignored. (The reader refuses to read a key Pulumi.yaml doesn't declare.)
func TestPulumiYamlDeclaresEveryKey(t *testing.T) {
	proj := loadProject(t)
	require.Equal(t, "private-apis", proj.Name.String())
	require.NotEmpty(t, proj.Config)
	for key, decl := range proj.Config {
		require.NotEmpty(t, decl.Description, "%s needs a description", key)
		require.NotNil(t, decl.Type, "%s needs a type", key)
		require.NotNil(t, decl.Default, "%s needs a default, or every stack must set it", key)
		require.True(t, workspace.ValidateConfigValue(*decl.Type, decl.Items, decl.Default), "%s default has the wrong type", key)
	}

	deployExamples(t) // every role, so every key a role reads is read
	for key := range proj.Config {
		_, read := keysRead.Load(key)
		require.True(t, read, "Pulumi.yaml declares %s, but no role reads it: read it, or remove it", key)
	}
}

// exampleStacks are the shipped example stacks in deployment order.
var exampleStacks = []string{"ecs-provider", "ec2-provider", "orders", "consumer"}

// ordersLoadBalancer is the load balancer Pulumi.orders.yaml publishes.
const ordersLoadBalancer = "arn:aws:elasticloadbalancing:us-west-2:444444444444:loadbalancer/net/k8s-orders-orders-0a1b2c3d4e/0123456789abcdef"

// exampleAccount shapes the mocks as the account each example stack
// deploys to: the consumer's, or the orders team's with its load balancer.
func exampleAccount(stack string, m *fakeaws.AWS) {
	switch stack {
	case "consumer":
		m.Account = "111111111111"
	case "orders":
		m.Account = "444444444444"
		m.LoadBalancers[ordersLoadBalancer] = fakeaws.LoadBalancer{
			Type: "network", Internal: true, Ports: []int{8443},
			Subnets: map[string]string{"subnet-0a1b2c3d4e5f60701": "usw2-az1", "subnet-0a1b2c3d4e5f60702": "usw2-az2", "subnet-0a1b2c3d4e5f60703": "usw2-az3"},
		}
	}
}

// deployedExample is one example stack run under mocks.
type deployedExample struct {
	m   *fakeaws.AWS
	out map[string]any
}

// deployExamples runs the shipped Pulumi.<stack>.yaml files under mocks as
// they would be deployed: the providers first, then the consumer, which
// reads the providers' actual exports through StackReferences.
func deployExamples(t *testing.T) map[string]deployedExample {
	t.Helper()
	proj := loadProject(t)
	deployed := map[string]deployedExample{}
	exports := map[string]map[string]any{}
	for _, stack := range exampleStacks {
		cfg := exampleConfig(t, proj, stack)
		require.NotEmpty(t, cfg["aws:region"], "%s: aws:region is set", stack)
		require.NotEmpty(t, cfg["aws:allowedAccountIds"], "%s: aws:allowedAccountIds guards against the wrong credentials", stack)
		m := fakeaws.New()
		exampleAccount(stack, m)
		if stack == "consumer" {
			m.StackOutputs = exports
		}
		out, err := m.Run(stack, cfg, repoRoot(t), Run)
		require.NoError(t, err, "example stack %s", stack)
		exports["organization/private-apis/"+stack] = out
		deployed[stack] = deployedExample{m: m, out: out}
	}
	return deployed
}

// TestExampleStackFiles checks the shipped Pulumi.<stack>.yaml files: they
// parse, use only declared keys with the declared types, and deploy under
// mocks as they stand.
func TestExampleStackFiles(t *testing.T) {
	deployed := deployExamples(t)
	for _, provider := range []string{"ecs-provider", "ec2-provider", "orders"} {
		require.Equal(t, []string{"arn:aws:iam::111111111111:root"}, deployed[provider].out["allowedPrincipals"])
		requireValidContract(t, deployed[provider].out)
	}
	require.Equal(t, []string{"usw2-az1", "usw2-az2", "usw2-az3"}, deployed["orders"].out["availabilityZoneIds"], "from the load balancer's subnets")
	consumer := deployed["consumer"]
	require.Len(t, consumer.out["providers"], 2)
	requireValidConsumerContract(t, consumer.out)
	require.Len(t, consumer.m.ByType("aws:apigatewayv2/route:Route"), len(contract.DogNames.Routes)+len(contract.Todo.Routes))
}

// TestExampleStacksPreview previews each shipped stack as `pulumi preview`
// does before its first deployment: nothing AWS computes is known yet, and
// AWS's name rules already apply. The consumer reads the providers'
// deployed contracts, as a StackReference does in a preview too.
func TestExampleStacksPreview(t *testing.T) {
	proj := loadProject(t)
	deployed := deployExamples(t)
	contracts := map[string]map[string]any{}
	for _, stack := range exampleStacks[:3] {
		contracts["organization/private-apis/"+stack] = deployed[stack].out
	}
	for _, stack := range exampleStacks {
		t.Run(stack, func(t *testing.T) {
			m := fakeaws.New()
			m.Preview = true
			exampleAccount(stack, m)
			if stack == "consumer" {
				m.StackOutputs = contracts
			}
			out, err := m.Run(stack, exampleConfig(t, proj, stack), repoRoot(t), Run)
			require.NoError(t, err)
			require.Equal(t, len(deployed[stack].m.Resources()), len(m.Resources()), "a preview shows every resource the update creates")
			for _, key := range []string{"vpcId", "apiEndpoint", "endpointServiceName", "imageUri"} {
				if v, ok := out[key]; ok {
					require.Equal(t, fakeaws.Unknown, v, "%s is computed by AWS", key)
				}
			}
		})
	}
}

// exampleConfig is the config Pulumi.<stack>.yaml sets, checking each
// project key's value against its declared type; the harness lays it over
// Pulumi.yaml's defaults as the CLI does.
func exampleConfig(t *testing.T, proj *workspace.Project, stack string) map[string]string {
	t.Helper()
	return stackFileConfig(t, proj, filepath.Join(repoRoot(t), "Pulumi."+stack+".yaml"))
}

// stackFileConfig reads the config a stack file sets, as the CLI passes it
// to the program, checking each project key is declared and of its type.
func stackFileConfig(t *testing.T, proj *workspace.Project, path string) map[string]string {
	t.Helper()
	_, err := os.Stat(path)
	require.NoError(t, err)
	ps, err := workspace.LoadProjectStack(diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never}), proj, path)
	require.NoError(t, err)

	out := map[string]string{}
	for key, value := range ps.Config {
		raw, err := value.Value(config.NopDecrypter)
		require.NoError(t, err)
		out[key.String()] = raw
		if key.Namespace() != namespace {
			continue
		}
		decl, ok := proj.Config[key.Name()]
		require.True(t, ok, "%s sets %s, which Pulumi.yaml doesn't declare (a typo?)", path, key)
		var v any = raw
		if value.Object() {
			v, err = value.ToObject()
			require.NoError(t, err)
		}
		require.True(t, workspace.ValidateConfigValue(*decl.Type, decl.Items, v), "%s: %s has the wrong type", path, key)
	}
	return out
}

// TestComponentDefaultsFollowPulumiYaml: the components' documented
// defaults, for users outside these stacks, say what Pulumi.yaml says.
func TestComponentDefaultsFollowPulumiYaml(t *testing.T) {
	proj := loadProject(t)
	for key, want := range map[string]int{
		apirules.KeyRouteRateLimit:       apirules.DefaultThrottling.RateLimit,
		apirules.KeyRouteBurstLimit:      apirules.DefaultThrottling.BurstLimit,
		apirules.KeyWriteRouteRateLimit:  apirules.DefaultThrottling.WriteRateLimit,
		apirules.KeyWriteRouteBurstLimit: apirules.DefaultThrottling.WriteBurstLimit,
		"logRetentionDays":               components.DefaultLogRetentionDays,
		"accessLogRetentionDays":         components.DefaultLogRetentionDays,
	} {
		require.EqualValues(t, want, proj.Config[key].Default, "Pulumi.yaml's default of %s", key)
	}
}
