package components

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	awsxec2 "github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NatStrategy says how workloads in private subnets reach the internet.
type NatStrategy string

const (
	// NatNone gives workloads no route out: subnets are isolated.
	NatNone NatStrategy = "none"
	// NatSingle shares one NAT gateway across AZs: cheaper, one AZ's outage
	// cuts every AZ's egress.
	NatSingle NatStrategy = "single"
	// NatOnePerAz puts a NAT gateway in each AZ so an AZ failure stays local.
	NatOnePerAz NatStrategy = "onePerAz"
)

// NatStrategies lists the valid strategies, in the order error messages show them.
var NatStrategies = []NatStrategy{NatNone, NatSingle, NatOnePerAz}

// NetworkArgs configures a Network.
type NetworkArgs struct {
	// AvailabilityZoneIds places the network by AZ ID (e.g. "usw2-az1"), which
	// names the same physical zone in every account, unlike AZ names. Empty
	// means the region's first two AZ IDs in ID order. At least two are needed
	// because load balancers and PrivateLink require two AZs.
	AvailabilityZoneIds []string
	// CidrBlock is the VPC's IPv4 range. Default "10.0.0.0/16".
	CidrBlock string
	// NatGateways decides the egress path. Default NatSingle.
	NatGateways NatStrategy
	// LogRetentionDays keeps VPC flow logs this long. Default 365.
	LogRetentionDays int
	// Tags are applied to every taggable resource.
	Tags pulumi.StringMapInput
}

// Network is a VPC with workload subnets in chosen AZ IDs, flow logs, and a
// default security group stripped of its rules.
type Network struct {
	pulumi.ResourceState

	VpcId pulumi.StringOutput
	// WorkloadSubnetIds are the subnets workloads and internal load balancers
	// go in: private subnets behind NAT, or isolated ones with NatNone.
	WorkloadSubnetIds pulumi.StringArrayOutput
	// PublicSubnetIds hold only NAT gateways; empty with NatNone.
	PublicSubnetIds pulumi.StringArrayOutput
	// CidrBlock is the VPC's range, for rules that admit in-VPC traffic.
	CidrBlock string
	// AvailabilityZoneIds and AvailabilityZoneNames are the AZs used, in the
	// same order.
	AvailabilityZoneIds   []string
	AvailabilityZoneNames []string
	FlowLogGroupName      pulumi.StringOutput
}

// NewNetwork creates a Network.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		args = &NetworkArgs{}
	}
	a := *args
	if a.CidrBlock == "" {
		a.CidrBlock = "10.0.0.0/16"
	}
	if a.NatGateways == "" {
		a.NatGateways = NatSingle
	}
	if a.LogRetentionDays == 0 {
		a.LogRetentionDays = DefaultLogRetentionDays
	}
	natStrategy, ok := map[NatStrategy]awsxec2.NatGatewayStrategy{
		NatNone:     awsxec2.NatGatewayStrategyNone,
		NatSingle:   awsxec2.NatGatewayStrategySingle,
		NatOnePerAz: awsxec2.NatGatewayStrategyOnePerAz,
	}[a.NatGateways]
	if !ok {
		return nil, fmt.Errorf("network %s: NatGateways %q is not one of %v", name, a.NatGateways, NatStrategies)
	}

	n := &Network{CidrBlock: a.CidrBlock}
	if err := ctx.RegisterComponentResource("private-apis:network:Network", name, n, opts...); err != nil {
		return nil, err
	}

	zones, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{
		State: pulumi.StringRef("available"),
		// Local and Wavelength zones need opting in and lack most services.
		Filters: []aws.GetAvailabilityZonesFilter{{Name: "opt-in-status", Values: []string{"opt-in-not-required"}}},
	}, pulumi.Parent(n))
	if err != nil {
		return nil, fmt.Errorf("network %s: looking up availability zones: %w", name, err)
	}
	n.AvailabilityZoneIds, n.AvailabilityZoneNames, err = resolveZones(a.AvailabilityZoneIds, zones.ZoneIds, zones.Names)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", name, err)
	}

	// Workloads never sit in public subnets: public ones exist only to hold
	// NAT gateways, and without NAT the workload subnets are isolated.
	subnetSpecs := []awsxec2.SubnetSpecArgs{{Type: awsxec2.SubnetTypeIsolated}}
	if a.NatGateways != NatNone {
		subnetSpecs = []awsxec2.SubnetSpecArgs{{Type: awsxec2.SubnetTypePrivate}, {Type: awsxec2.SubnetTypePublic}}
	}
	subnetStrategy := awsxec2.SubnetAllocationStrategyAuto
	vpc, err := awsxec2.NewVpc(ctx, name+"-vpc", &awsxec2.VpcArgs{
		CidrBlock:             pulumi.StringRef(a.CidrBlock),
		AvailabilityZoneNames: n.AvailabilityZoneNames,
		SubnetStrategy:        &subnetStrategy,
		SubnetSpecs:           subnetSpecs,
		NatGateways:           &awsxec2.NatGatewayConfigurationArgs{Strategy: natStrategy},
		EnableDnsHostnames:    pulumi.Bool(true),
		EnableDnsSupport:      pulumi.Bool(true),
		Tags:                  a.Tags,
	}, pulumi.Parent(n), pulumi.Transforms([]pulumi.ResourceTransform{NoPublicIPOnLaunch}))
	if err != nil {
		return nil, fmt.Errorf("network %s: creating VPC: %w", name, err)
	}
	n.VpcId = vpc.VpcId
	n.PublicSubnetIds = vpc.PublicSubnetIds
	n.WorkloadSubnetIds = vpc.PrivateSubnetIds
	if a.NatGateways == NatNone {
		n.WorkloadSubnetIds = vpc.IsolatedSubnetIds
	}

	// Adopting the default security group with no rules means nothing that
	// falls back to it (a forgotten ENI) can talk to anything.
	if _, err := ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: vpc.VpcId,
		Tags:  a.Tags,
	}, pulumi.Parent(n)); err != nil {
		return nil, fmt.Errorf("network %s: locking down default security group: %w", name, err)
	}

	logGroupName, err := n.flowLogs(ctx, name, vpc.VpcId, a)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", name, err)
	}
	n.FlowLogGroupName = logGroupName

	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":                 n.VpcId,
		"workloadSubnetIds":     n.WorkloadSubnetIds,
		"publicSubnetIds":       n.PublicSubnetIds,
		"availabilityZoneIds":   pulumi.ToStringArray(n.AvailabilityZoneIds),
		"availabilityZoneNames": pulumi.ToStringArray(n.AvailabilityZoneNames),
		"flowLogGroupName":      n.FlowLogGroupName,
	}); err != nil {
		return nil, fmt.Errorf("network %s: registering outputs: %w", name, err)
	}
	return n, nil
}

// WorkloadSubnetsIn picks the workload subnets in the given AZ IDs, e.g.
// those a PrivateLink service shares with this network. The subnets follow
// the order of AvailabilityZoneIds, as awsx creates them.
func (n *Network) WorkloadSubnetsIn(zoneIDs []string) pulumi.StringArrayOutput {
	var indexes []int
	for _, zone := range zoneIDs {
		if i := slices.Index(n.AvailabilityZoneIds, zone); i >= 0 {
			indexes = append(indexes, i)
		}
	}
	return n.WorkloadSubnetIds.ApplyT(func(all []string) ([]string, error) {
		out := make([]string, 0, len(indexes))
		for _, i := range indexes {
			if i >= len(all) {
				return nil, fmt.Errorf("the network has %d workload subnets, fewer than its %d AZs", len(all), len(n.AvailabilityZoneIds))
			}
			out = append(out, all[i])
		}
		return out, nil
	}).(pulumi.StringArrayOutput)
}

// flowLogs sends every VPC flow (accepted and rejected) to a log group with a
// retention, through a role only the flow logs service can assume.
func (n *Network) flowLogs(ctx *pulumi.Context, name string, vpcID pulumi.StringInput, a NetworkArgs) (pulumi.StringOutput, error) {
	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(a.LogRetentionDays),
		Tags:            a.Tags,
	}, pulumi.Parent(n))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating flow log group: %w", err)
	}
	role, err := iam.NewRole(ctx, name+"-flow-logs", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("vpc-flow-logs.amazonaws.com")),
		Description:      pulumi.String("Lets VPC Flow Logs write to its own log group"),
		Tags:             a.Tags,
	}, pulumi.Parent(n))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating flow log role: %w", err)
	}
	policy := group.Arn.ApplyT(func(arn string) string {
		return mustJSON(policyDocument{
			Version: "2012-10-17",
			Statement: []policyStatement{{
				Effect:   "Allow",
				Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
				Resource: []string{arn, arn + ":*"},
			}},
		})
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-flow-logs", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policy,
	}, pulumi.Parent(n)); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating flow log policy: %w", err)
	}
	if _, err := ec2.NewFlowLog(ctx, name+"-flow-logs", &ec2.FlowLogArgs{
		VpcId:                  vpcID,
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("cloud-watch-logs"),
		LogDestination:         group.Arn,
		IamRoleArn:             role.Arn,
		MaxAggregationInterval: pulumi.Int(60),
		Tags:                   a.Tags,
	}, pulumi.Parent(n)); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating flow log: %w", err)
	}
	return group.Name, nil
}

// NoPublicIPOnLaunch is a resource transform that turns off automatic public
// IPs on every subnet, including those awsx creates inside its VPC component
// (where it sets them on for public subnets). NAT gateways use their Elastic
// IP, so nothing here needs an address assigned at launch.
func NoPublicIPOnLaunch(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
	if args.Type != "aws:ec2/subnet:Subnet" {
		return nil
	}
	props := pulumi.Map{}
	for k, v := range args.Props {
		props[k] = v
	}
	props["mapPublicIpOnLaunch"] = pulumi.Bool(false)
	return &pulumi.ResourceTransformResult{Props: props, Opts: args.Opts}
}

// resolveZones maps wanted AZ IDs to this account's AZ names. With none
// wanted it picks the region's first two AZ IDs in ID order, which are the
// same physical zones in every account, so separate stacks line up.
func resolveZones(wanted, regionIDs, regionNames []string) (ids, names []string, err error) {
	nameByID := make(map[string]string, len(regionIDs))
	for i, id := range regionIDs {
		if i < len(regionNames) {
			nameByID[id] = regionNames[i]
		}
	}
	available := append([]string(nil), regionIDs...)
	sort.Slice(available, func(i, j int) bool { return azIDLess(available[i], available[j]) })

	if len(wanted) == 0 {
		if len(available) < 2 {
			return nil, nil, fmt.Errorf("the region has %d usable availability zone(s) %v; at least 2 are needed", len(available), available)
		}
		wanted = available[:2]
	}
	seen := map[string]bool{}
	for _, id := range wanted {
		name, ok := nameByID[id]
		if !ok {
			return nil, nil, fmt.Errorf("availability zone ID %q is not in this region; available IDs: %s", id, strings.Join(available, ", "))
		}
		if seen[id] {
			return nil, nil, fmt.Errorf("availability zone ID %q is listed twice", id)
		}
		seen[id] = true
		ids = append(ids, id)
		names = append(names, name)
	}
	if len(ids) < 2 {
		return nil, nil, fmt.Errorf("%d availability zone ID given (%v); load balancers and PrivateLink need at least 2, e.g. %v", len(ids), ids, available[:min(2, len(available))])
	}
	return ids, names, nil
}

// azIDLess orders AZ IDs by region prefix, then numerically by zone number,
// so usw2-az10 sorts after usw2-az2.
func azIDLess(a, b string) bool {
	pa, na := splitAZID(a)
	pb, nb := splitAZID(b)
	if pa != pb {
		return pa < pb
	}
	if na != nb {
		return na < nb
	}
	return a < b
}

func splitAZID(id string) (string, int) {
	i := strings.LastIndex(id, "-az")
	if i < 0 {
		return id, 0
	}
	n, err := strconv.Atoi(id[i+3:])
	if err != nil {
		return id, 0
	}
	return id[:i], n
}
