package components

import (
	"context"
	"testing"

	"github.com/private-apis/private-apis/internal/mocks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

func TestNetworkPlacesSubnetsByAZID(t *testing.T) {
	// The harness maps usw2-az1 to us-west-2b and usw2-az2 to us-west-2a,
	// as real accounts shuffle them.
	tests := []struct {
		name      string
		ids       []string
		wantIDs   []any
		wantNames []any
	}{
		{"default is the first two IDs in ID order", nil, []any{"usw2-az1", "usw2-az2"}, []any{"us-west-2b", "us-west-2a"}},
		{"configured IDs keep their order", []string{"usw2-az3", "usw2-az1"}, []any{"usw2-az3", "usw2-az1"}, []any{"us-west-2c", "us-west-2b"}},
		{"three AZs", []string{"usw2-az1", "usw2-az2", "usw2-az4"}, []any{"usw2-az1", "usw2-az2", "usw2-az4"}, []any{"us-west-2b", "us-west-2a", "us-west-2d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, out, err := run(t, func(ctx *pulumi.Context) error {
				n, err := NewNetwork(ctx, "net", &NetworkArgs{AvailabilityZoneIds: tt.ids})
				if err != nil {
					return err
				}
				ctx.Export("ids", pulumi.ToStringArray(n.AvailabilityZoneIds))
				ctx.Export("subnets", n.WorkloadSubnetIds)
				return nil
			})
			require.NoError(t, err)
			require.Equal(t, tt.wantIDs, toAny(out["ids"]))
			vpc := one(t, m, "awsx:ec2:Vpc")
			require.Equal(t, tt.wantNames, vpc["availabilityZoneNames"])
			require.Len(t, out["subnets"], len(tt.wantIDs), "one workload subnet per AZ")
		})
	}
}

func TestNetworkRejectsBadZones(t *testing.T) {
	tests := []struct {
		name    string
		ids     []string
		wantErr string
	}{
		{"unknown ID", []string{"usw2-az1", "use1-az1"}, `"use1-az1" is not in this region; available IDs: usw2-az1, usw2-az2, usw2-az3, usw2-az4`},
		{"duplicate", []string{"usw2-az1", "usw2-az1"}, `"usw2-az1" is listed twice`},
		{"single AZ", []string{"usw2-az1"}, "need at least 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := run(t, func(ctx *pulumi.Context) error {
				_, err := NewNetwork(ctx, "net", &NetworkArgs{AvailabilityZoneIds: tt.ids})
				return err
			})
			require.ErrorContains(t, err, tt.wantErr)
			require.Empty(t, m.ByType("awsx:ec2:Vpc"), "no VPC when the zones are wrong")
		})
	}
}

func TestNetworkNatStrategies(t *testing.T) {
	tests := []struct {
		nat          NatStrategy
		wantSpecs    []any
		wantStrategy string
		wantSubnet   string
	}{
		{NatNone, []any{map[string]any{"type": "Isolated"}}, "None", "isolated"},
		{NatSingle, []any{map[string]any{"type": "Private"}, map[string]any{"type": "Public"}}, "Single", "private"},
		{NatOnePerAz, []any{map[string]any{"type": "Private"}, map[string]any{"type": "Public"}}, "OnePerAz", "private"},
	}
	for _, tt := range tests {
		t.Run(string(tt.nat), func(t *testing.T) {
			m, out, err := run(t, func(ctx *pulumi.Context) error {
				n, err := NewNetwork(ctx, "net", &NetworkArgs{NatGateways: tt.nat})
				if err != nil {
					return err
				}
				ctx.Export("subnets", n.WorkloadSubnetIds)
				return nil
			})
			require.NoError(t, err)
			vpc := one(t, m, "awsx:ec2:Vpc")
			require.Equal(t, tt.wantSpecs, vpc["subnetSpecs"])
			require.Equal(t, map[string]any{"strategy": tt.wantStrategy}, vpc["natGateways"])
			require.Equal(t, "Auto", vpc["subnetStrategy"])
			require.Equal(t, "10.0.0.0/16", vpc["cidrBlock"])
			for _, s := range out["subnets"].([]string) {
				require.Contains(t, s, tt.wantSubnet, "workloads go in %s subnets", tt.wantSubnet)
			}
		})
	}

	_, _, err := run(t, func(ctx *pulumi.Context) error {
		_, err := NewNetwork(ctx, "net", &NetworkArgs{NatGateways: "twoPerAz"})
		return err
	})
	require.ErrorContains(t, err, `NatGateways "twoPerAz" is not one of [none single onePerAz]`)
}

func TestNetworkFlowLogsAndDefaultSecurityGroup(t *testing.T) {
	m, out, err := run(t, func(ctx *pulumi.Context) error {
		n, err := NewNetwork(ctx, "net", &NetworkArgs{LogRetentionDays: 90, Tags: pulumi.StringMap{"team": pulumi.String("t")}})
		if err != nil {
			return err
		}
		ctx.Export("vpcId", n.VpcId)
		return nil
	})
	require.NoError(t, err)
	vpcID := out["vpcId"]

	flowLog := one(t, m, "aws:ec2/flowLog:FlowLog")
	require.Equal(t, vpcID, flowLog["vpcId"])
	require.Equal(t, "ALL", flowLog["trafficType"])
	require.Equal(t, "cloud-watch-logs", flowLog["logDestinationType"])
	group := named(t, m, "aws:cloudwatch/logGroup:LogGroup", "net-flow-logs")
	require.EqualValues(t, 90, group["retentionInDays"])
	require.Contains(t, flowLog["logDestination"], "net-flow-logs")
	require.Contains(t, flowLog["iamRoleArn"], "role/net-flow-logs")

	var trust policyDocument
	parseJSON(t, named(t, m, "aws:iam/role:Role", "net-flow-logs")["assumeRolePolicy"], &trust)
	require.Equal(t, map[string]string{"Service": "vpc-flow-logs.amazonaws.com"}, trust.Statement[0].Principal)
	var policy policyDocument
	parseJSON(t, named(t, m, "aws:iam/rolePolicy:RolePolicy", "net-flow-logs")["policy"], &policy)
	for _, s := range policy.Statement {
		for _, r := range s.Resource {
			require.Contains(t, r, "net-flow-logs", "flow logs may write only to their own group")
		}
	}

	defaultSG := one(t, m, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
	require.Equal(t, vpcID, defaultSG["vpcId"])
	require.Nil(t, defaultSG["ingress"], "default SG keeps no ingress rules")
	require.Nil(t, defaultSG["egress"], "default SG keeps no egress rules")
	require.Equal(t, map[string]any{"team": "t"}, one(t, m, "awsx:ec2:Vpc")["tags"])
}

func TestNetworkTurnsOffPublicIPsOnAwsxSubnets(t *testing.T) {
	m, _, err := run(t, func(ctx *pulumi.Context) error {
		_, err := testNetwork(ctx)
		return err
	})
	require.NoError(t, err)
	vpc := m.ByType("awsx:ec2:Vpc")
	require.Len(t, vpc, 1)
	require.Len(t, vpc[0].Transforms, 1, "the VPC carries the transform to its awsx children")

	// Apply the registered transform to a public subnet as awsx declares it.
	got := vpc[0].Transforms[0](context.Background(), &pulumi.ResourceTransformArgs{
		Custom: true, Type: "aws:ec2/subnet:Subnet", Name: "net-vpc-public-1",
		Props: pulumi.Map{"mapPublicIpOnLaunch": pulumi.Bool(true), "cidrBlock": pulumi.String("10.0.0.0/20")},
	})
	require.NotNil(t, got)
	require.Equal(t, pulumi.Bool(false), got.Props["mapPublicIpOnLaunch"])
	require.Equal(t, pulumi.String("10.0.0.0/20"), got.Props["cidrBlock"], "other props are kept")

	require.Nil(t, NoPublicIPOnLaunch(context.Background(), &pulumi.ResourceTransformArgs{Type: "aws:ec2/natGateway:NatGateway"}),
		"other resources are left alone")
}

func TestResolveZonesSortsIDsNumerically(t *testing.T) {
	ids, names, err := resolveZones(nil,
		[]string{"usw2-az10", "usw2-az2", "usw2-az3"},
		[]string{"us-west-2x", "us-west-2a", "us-west-2c"})
	require.NoError(t, err)
	require.Equal(t, []string{"usw2-az2", "usw2-az3"}, ids)
	require.Equal(t, []string{"us-west-2a", "us-west-2c"}, names)

	_, _, err = resolveZones(nil, []string{"usw2-az1"}, []string{"us-west-2a"})
	require.ErrorContains(t, err, "1 usable availability zone")
}

func TestNetworkFailsWhenAResourceFails(t *testing.T) {
	m := mocks.New()
	m.FailResource("aws:ec2/flowLog:FlowLog", "", context.DeadlineExceeded)
	_, err := m.Run("test", nil, "", func(ctx *pulumi.Context) error {
		_, err := testNetwork(ctx)
		return err
	})
	require.ErrorContains(t, err, "context deadline exceeded")
}

func toAny(v any) []any {
	ss, _ := v.([]string)
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
