package components

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

const subnetType = "aws:ec2/subnet:Subnet"

// subnets are a run's subnets by name, each as its AZ ID and range.
func subnets(t *testing.T, m *fakeaws.AWS) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, s := range m.ByType(subnetType) {
		in := s.Map()
		require.Equal(t, false, in["mapPublicIpOnLaunch"], "%s: nothing gets a public address at launch", s.Name)
		out[s.Name] = fmt.Sprintf("%v %v", in["availabilityZoneId"], in["cidrBlock"])
	}
	return out
}

func TestNetworkPlacesSubnetsByAZID(t *testing.T) {
	tests := []struct {
		name    string
		ids     []string
		wantIDs []any
		want    map[string]string
	}{
		{"default is the first two IDs in ID order", nil, []any{"usw2-az1", "usw2-az2"}, map[string]string{
			"net-workload-usw2-az1": "usw2-az1 10.0.0.0/20", "net-workload-usw2-az2": "usw2-az2 10.0.16.0/20",
			"net-public-usw2-az1": "usw2-az1 10.0.240.0/24"}},
		{"configured IDs keep their order", []string{"usw2-az3", "usw2-az1"}, []any{"usw2-az3", "usw2-az1"}, map[string]string{
			"net-workload-usw2-az3": "usw2-az3 10.0.32.0/20", "net-workload-usw2-az1": "usw2-az1 10.0.0.0/20",
			"net-public-usw2-az1": "usw2-az1 10.0.240.0/24"}},
		{"three AZs", []string{"usw2-az1", "usw2-az2", "usw2-az4"}, []any{"usw2-az1", "usw2-az2", "usw2-az4"}, map[string]string{
			"net-workload-usw2-az1": "usw2-az1 10.0.0.0/20", "net-workload-usw2-az2": "usw2-az2 10.0.16.0/20",
			"net-workload-usw2-az4": "usw2-az4 10.0.48.0/20", "net-public-usw2-az1": "usw2-az1 10.0.240.0/24"}},
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
				picked, err := n.WorkloadSubnetsIn([]string{tt.wantIDs[0].(string), "usw2-az1"})
				ctx.Export("picked", picked)
				return err
			})
			require.NoError(t, err)
			require.Equal(t, tt.wantIDs, toAny(out["ids"]))
			require.Equal(t, tt.want, subnets(t, m))
			var workload []any
			for _, id := range tt.wantIDs {
				r, ok := m.Named(subnetType, "net-workload-"+id.(string))
				require.True(t, ok)
				workload = append(workload, r.ID)
			}
			require.Equal(t, workload, toAny(out["subnets"]), "one workload subnet per AZ, in the AZs' order")
			az1, _ := m.Named(subnetType, "net-workload-usw2-az1")
			require.Equal(t, az1.ID, toAny(out["picked"])[1], "picked by AZ ID")
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
			requireNamedOnce(t, err, "network net")
			require.Empty(t, m.ByType("aws:ec2/vpc:Vpc"), "no VPC when the zones are wrong")
		})
	}
	_, _, err := run(t, func(ctx *pulumi.Context) error {
		n, err := testNetwork(ctx)
		if err != nil {
			return err
		}
		_, err = n.WorkloadSubnetsIn([]string{"usw2-az3"})
		return err
	})
	require.ErrorContains(t, err, "the network has no subnet in usw2-az3 (its AZ IDs are [usw2-az1 usw2-az2])")
}

func TestNetworkNatStrategies(t *testing.T) {
	tests := []struct {
		nat NatStrategy
		// egress maps each workload route table to the NAT gateway it
		// leaves through.
		egress  map[string]string
		public  []string
		gateway bool
	}{
		{NatNone, map[string]string{}, nil, false},
		{NatSingle, map[string]string{"net-workload-usw2-az1": "net-nat-usw2-az1", "net-workload-usw2-az2": "net-nat-usw2-az1"},
			[]string{"net-public-usw2-az1"}, true},
		{NatOnePerAz, map[string]string{"net-workload-usw2-az1": "net-nat-usw2-az1", "net-workload-usw2-az2": "net-nat-usw2-az2"},
			[]string{"net-public-usw2-az1", "net-public-usw2-az2"}, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.nat), func(t *testing.T) {
			m, out, err := run(t, func(ctx *pulumi.Context) error {
				n, err := NewNetwork(ctx, "net", &NetworkArgs{NatGateways: tt.nat})
				if err != nil {
					return err
				}
				ctx.Export("public", n.PublicSubnetIds)
				return nil
			})
			require.NoError(t, err)
			nats := m.ByType("aws:ec2/natGateway:NatGateway")
			require.Len(t, nats, len(tt.public), "a NAT gateway in each public subnet")
			natByID := map[string]string{}
			for _, nat := range nats {
				natByID[nat.ID] = nat.Name
				eip, ok := m.Named("aws:ec2/eip:Eip", nat.Name)
				require.True(t, ok)
				require.Equal(t, eip.OutputMap()["allocationId"], nat.Map()["allocationId"])
			}
			tableByID := map[string]string{}
			for _, rt := range m.ByType("aws:ec2/routeTable:RouteTable") {
				tableByID[rt.ID] = rt.Name
			}
			// Each workload table's egress, and the public table's way to
			// the internet gateway.
			routes := m.ByType("aws:ec2/route:Route")
			require.Len(t, routes, len(tt.egress)+len(tt.public[:min(1, len(tt.public))]))
			egress := map[string]string{}
			for _, r := range routes {
				in := r.Map()
				require.Equal(t, "0.0.0.0/0", in["destinationCidrBlock"])
				if nat, ok := in["natGatewayId"]; ok {
					egress[tableByID[in["routeTableId"].(string)]] = natByID[nat.(string)]
				}
			}
			require.Equal(t, tt.egress, egress)
			var public []string
			for name := range subnets(t, m) {
				if strings.Contains(name, "-public-") {
					public = append(public, name)
				}
			}
			require.ElementsMatch(t, tt.public, public)
			require.Len(t, out["public"], len(tt.public))
			require.Len(t, m.ByType("aws:ec2/internetGateway:InternetGateway"), map[bool]int{true: 1}[tt.gateway])
			require.Len(t, m.ByType("aws:ec2/routeTableAssociation:RouteTableAssociation"), 2+len(tt.public), "each subnet has its table")
		})
	}

	_, _, err := run(t, func(ctx *pulumi.Context) error {
		_, err := NewNetwork(ctx, "net", &NetworkArgs{NatGateways: "twoPerAz"})
		return err
	})
	require.ErrorContains(t, err, `NatGateways "twoPerAz" is not one of [none single onePerAz]`)
	requireNamedOnce(t, err, "network net")
}

// TestNetworkUpdates deploys a network and changes its AZs and NAT
// strategy as teams do: each change adds or removes the parts of the AZ
// or the NAT it names, replaces nothing, and never makes a subnet overlap
// another (which EC2 refuses, and the mocks model).
func TestNetworkUpdates(t *testing.T) {
	type step struct {
		zones []string
		nat   NatStrategy
	}
	tests := []struct {
		name           string
		before, after  step
		added, removed []string
	}{
		{"an AZ added", step{[]string{"usw2-az1", "usw2-az2"}, NatNone}, step{[]string{"usw2-az1", "usw2-az2", "usw2-az3"}, NatNone},
			[]string{"net-workload-usw2-az3"}, nil},
		{"an AZ added in front", step{[]string{"usw2-az2", "usw2-az3"}, NatNone}, step{[]string{"usw2-az1", "usw2-az2", "usw2-az3"}, NatNone},
			[]string{"net-workload-usw2-az1"}, nil},
		{"the first AZ removed", step{[]string{"usw2-az1", "usw2-az2", "usw2-az3"}, NatNone}, step{[]string{"usw2-az2", "usw2-az3"}, NatNone},
			nil, []string{"net-workload-usw2-az1"}},
		{"AZs swapped for others", step{[]string{"usw2-az1", "usw2-az2"}, NatNone}, step{[]string{"usw2-az3", "usw2-az4"}, NatNone},
			[]string{"net-workload-usw2-az3", "net-workload-usw2-az4"}, []string{"net-workload-usw2-az1", "net-workload-usw2-az2"}},
		{"AZs listed in another order, the NAT gateway staying in the lowest", step{[]string{"usw2-az2", "usw2-az1"}, NatSingle},
			step{[]string{"usw2-az1", "usw2-az2"}, NatSingle}, nil, nil},
		{"a lower AZ ID added moves the NAT gateway there", step{[]string{"usw2-az2", "usw2-az3"}, NatSingle}, step{[]string{"usw2-az1", "usw2-az2", "usw2-az3"}, NatSingle},
			[]string{"net-workload-usw2-az1", "net-nat-usw2-az1", "net-public-usw2-az1"}, []string{"net-nat-usw2-az2", "net-public-usw2-az2"}},
		{"NAT turned on", step{nil, NatNone}, step{nil, NatSingle},
			[]string{"net-igw", "net-nat-usw2-az1", "net-public-usw2-az1", "net-workload-usw2-az1-egress", "net-workload-usw2-az2-egress"}, nil},
		{"NAT in every AZ", step{nil, NatSingle}, step{nil, NatOnePerAz}, []string{"net-nat-usw2-az2", "net-public-usw2-az2"}, nil},
		{"NAT turned off", step{nil, NatOnePerAz}, step{nil, NatNone},
			nil, []string{"net-igw", "net-nat-usw2-az1", "net-nat-usw2-az2", "net-public-usw2-az1", "net-workload-usw2-az1-egress", "net-workload-usw2-az2-egress"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fakeaws.New()
			deploy := func(s step) error {
				_, err := m.Run("test", nil, "", func(ctx *pulumi.Context) error {
					_, err := NewNetwork(ctx, "net", &NetworkArgs{AvailabilityZoneIds: s.zones, NatGateways: s.nat})
					return err
				})
				return err
			}
			require.NoError(t, deploy(tt.before))
			require.NoError(t, deploy(tt.after), "AWS takes the update")
			changes := m.Changes()
			require.Empty(t, changes.Replaced, "nothing is replaced")
			for key := range changes.Changed {
				require.NotContains(t, key, subnetType, "no subnet changes")
			}
			names := func(keys []string) []string {
				var out []string
				for _, k := range keys {
					name := k[strings.LastIndex(k, " ")+1:]
					if !contains(out, name) {
						out = append(out, name)
					}
				}
				return out
			}
			for _, name := range tt.added {
				require.Contains(t, names(changes.Added), name)
			}
			for _, name := range tt.removed {
				require.Contains(t, names(changes.Removed), name)
			}
			for _, name := range names(append(changes.Added, changes.Removed...)) {
				require.True(t, anyPrefix(name, append(tt.added, tt.removed...)), "%s is not part of the change", name)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// anyPrefix: a name belongs to one of the changed parts (a subnet's route
// table, association and egress route share its name).
func anyPrefix(name string, parts []string) bool {
	for _, p := range parts {
		if strings.HasPrefix(name, p) || (strings.HasPrefix(p, "net-nat-") && name == "net-public") ||
			(strings.HasPrefix(p, "net-igw") && strings.HasPrefix(name, "net-public")) {
			return true
		}
	}
	return false
}

func TestSubnetLayout(t *testing.T) {
	tests := []struct {
		vpc, zone        string
		workload, public string
		wantErr          string
	}{
		{vpc: "10.0.0.0/16", zone: "usw2-az1", workload: "10.0.0.0/20", public: "10.0.240.0/24"},
		{vpc: "10.0.0.0/16", zone: "use1-az6", workload: "10.0.80.0/20", public: "10.0.245.0/24"},
		{vpc: "10.0.0.0/16", zone: "usw2-az15", workload: "10.0.224.0/20", public: "10.0.254.0/24"},
		{vpc: "172.16.32.0/20", zone: "usw2-az2", workload: "172.16.33.0/24", public: "172.16.47.16/28"},
		{vpc: "10.0.0.0/16", zone: "usw2-az16", wantErr: `"usw2-az16" has no number from 1 to 15`},
		{vpc: "10.0.0.0/16", zone: "usw2-lax1", wantErr: "has no number"},
		{vpc: "10.0.0.0/21", zone: "usw2-az1", wantErr: "must be an IPv4 /16 to /20"},
		{vpc: "10.0.0.0/15", zone: "usw2-az1", wantErr: "must be an IPv4 /16 to /20"},
	}
	for _, tt := range tests {
		t.Run(tt.vpc+" "+tt.zone, func(t *testing.T) {
			got, err := NewSubnetLayout(netip.MustParsePrefix(tt.vpc), tt.zone)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.workload, got.Workload.String())
			require.Equal(t, tt.public, got.Public.String())
		})
	}

	// Every AZ's subnets lie in the VPC and overlap no other's.
	for _, vpc := range []string{"10.0.0.0/16", "192.168.16.0/20"} {
		vpcRange := netip.MustParsePrefix(vpc)
		var all []netip.Prefix
		for n := 1; n <= MaxZoneNumber; n++ {
			l, err := NewSubnetLayout(vpcRange, fmt.Sprintf("euw1-az%d", n))
			require.NoError(t, err)
			for _, p := range []netip.Prefix{l.Workload, l.Public} {
				require.True(t, vpcRange.Contains(p.Addr()) && p.Bits() <= 28, "%s in %s", p, vpc)
				for _, other := range all {
					require.False(t, p.Overlaps(other), "%s overlaps %s", p, other)
				}
				all = append(all, p)
			}
		}
	}
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
	require.Len(t, trust.Statement, 1)
	require.Equal(t, map[string]string{"Service": "vpc-flow-logs.amazonaws.com"}, trust.Statement[0].Principal)
	var policy policyDocument
	parseJSON(t, named(t, m, "aws:iam/rolePolicy:RolePolicy", "net-flow-logs")["policy"], &policy)
	require.NotEmpty(t, policy.Statement)
	for _, s := range policy.Statement {
		require.NotEmpty(t, s.Resource, "%v", s.Action)
		for _, r := range s.Resource {
			require.Contains(t, r, "net-flow-logs", "flow logs may write only to their own group")
		}
	}

	defaultSG := one(t, m, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
	require.Equal(t, vpcID, defaultSG["vpcId"])
	require.Nil(t, defaultSG["ingress"], "default SG keeps no ingress rules")
	require.Nil(t, defaultSG["egress"], "default SG keeps no egress rules")
	vpc := one(t, m, "aws:ec2/vpc:Vpc")
	require.Equal(t, map[string]any{"team": "t", "Name": "net"}, vpc["tags"])
	require.Equal(t, "10.0.0.0/16", vpc["cidrBlock"])
	require.Equal(t, true, vpc["enableDnsHostnames"])
}

func TestResolveZonesSortsIDsNumerically(t *testing.T) {
	ids, err := resolveZones(nil, []string{"usw2-az10", "usw2-az2", "usw2-az3"})
	require.NoError(t, err)
	require.Equal(t, []string{"usw2-az2", "usw2-az3"}, ids)

	_, err = resolveZones(nil, []string{"usw2-az1"})
	require.ErrorContains(t, err, "1 usable availability zone")
}

func TestNetworkFailsWhenAResourceFails(t *testing.T) {
	m := fakeaws.New()
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
