package components

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
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
	// CidrBlock is the VPC's IPv4 range, /16 to /20 (see SubnetLayout).
	// Default "10.0.0.0/16".
	CidrBlock string
	// NatGateways decides the egress path. Default NatSingle, whose one
	// gateway sits in the lowest AZ ID.
	NatGateways NatStrategy
	// LogRetentionDays keeps VPC flow logs this long. Default 365.
	LogRetentionDays int
	// Tags are applied to every taggable resource.
	Tags pulumi.StringMapInput
}

// Network is a VPC with a workload subnet in each chosen AZ ID, flow logs,
// and a default security group stripped of its rules.
//
// Every subnet is a function of its AZ ID alone: its range (SubnetLayout)
// and its resource name ("<name>-workload-<az id>") stay the same whichever
// other AZs the network has and whatever its NAT strategy, so adding or
// removing an AZ adds or removes that AZ's subnets and touches no other.
// awsx's VPC, which this replaced, names subnets by position and sizes them
// by the number of AZs (pulumi/pulumi-awsx awsx/ec2/subnetNaming.ts,
// subnetDistributorNew.ts), so any change of AZs replaced every subnet with
// an overlapping one, which EC2 refuses.
type Network struct {
	pulumi.ResourceState

	VpcId pulumi.StringOutput
	// WorkloadSubnetIds are the subnets workloads and internal load
	// balancers go in, in AvailabilityZoneIds order: private subnets behind
	// NAT, or isolated ones with NatNone.
	WorkloadSubnetIds pulumi.StringArrayOutput
	// PublicSubnetIds hold only NAT gateways; empty with NatNone.
	PublicSubnetIds pulumi.StringArrayOutput
	// CidrBlock is the VPC's range, for rules that admit in-VPC traffic.
	CidrBlock string
	// AvailabilityZoneIds are the AZs used.
	AvailabilityZoneIds []string
	FlowLogGroupName    pulumi.StringOutput

	workloadSubnets map[string]pulumi.StringOutput
}

// NewNetwork creates a Network.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (_ *Network, err error) {
	defer componentErrors{"network", name}.wrap(&err)
	if args == nil {
		args = &NetworkArgs{}
	}
	a := args.withDefaults()
	if !slices.Contains(NatStrategies, a.NatGateways) {
		return nil, fmt.Errorf("NatGateways %q is not one of %v", a.NatGateways, NatStrategies)
	}
	vpcRange, err := netip.ParsePrefix(a.CidrBlock)
	if err != nil {
		return nil, fmt.Errorf("CidrBlock %q: %w", a.CidrBlock, err)
	}

	n := &Network{CidrBlock: a.CidrBlock, workloadSubnets: map[string]pulumi.StringOutput{}}
	if err := ctx.RegisterComponentResource("private-apis:network:Network", name, n, opts...); err != nil {
		return nil, err
	}
	if n.AvailabilityZoneIds, err = ResolveAvailabilityZones(ctx, a.AvailabilityZoneIds, pulumi.Parent(n)); err != nil {
		return nil, err
	}
	layout, err := subnetLayouts(vpcRange, n.AvailabilityZoneIds)
	if err != nil {
		return nil, err
	}

	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(a.CidrBlock),
		EnableDnsHostnames: pulumi.Bool(true),
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               nameTag(a.Tags, name),
	}, pulumi.Parent(n))
	if err != nil {
		return nil, fmt.Errorf("creating VPC: %w", err)
	}
	n.VpcId = vpc.ID().ToStringOutput()
	egress, public, err := n.natGateways(ctx, name, vpc, layout, a)
	if err != nil {
		return nil, err
	}
	workload := pulumi.StringArray{}
	for _, zone := range n.AvailabilityZoneIds {
		nat, routed := egress[zone]
		subnet, err := n.workloadSubnet(ctx, name, vpc, zone, layout[zone].Workload, nat, routed, a.Tags)
		if err != nil {
			return nil, err
		}
		n.workloadSubnets[zone] = subnet
		workload = append(workload, subnet)
	}
	n.WorkloadSubnetIds = workload.ToStringArrayOutput()
	n.PublicSubnetIds = public.ToStringArrayOutput()

	// Adopting the default security group with no rules means nothing that
	// falls back to it (a forgotten ENI) can talk to anything.
	if _, err := ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: vpc.ID(),
		Tags:  a.Tags,
	}, pulumi.Parent(n)); err != nil {
		return nil, fmt.Errorf("locking down default security group: %w", err)
	}

	if n.FlowLogGroupName, err = n.flowLogs(ctx, name, vpc.ID(), a); err != nil {
		return nil, err
	}

	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":               n.VpcId,
		"workloadSubnetIds":   n.WorkloadSubnetIds,
		"publicSubnetIds":     n.PublicSubnetIds,
		"availabilityZoneIds": pulumi.ToStringArray(n.AvailabilityZoneIds),
		"flowLogGroupName":    n.FlowLogGroupName,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs: %w", err)
	}
	return n, nil
}

func (args NetworkArgs) withDefaults() NetworkArgs {
	if args.CidrBlock == "" {
		args.CidrBlock = "10.0.0.0/16"
	}
	if args.NatGateways == "" {
		args.NatGateways = NatSingle
	}
	if args.LogRetentionDays == 0 {
		args.LogRetentionDays = DefaultLogRetentionDays
	}
	return args
}

// workloadSubnet is one AZ's workload subnet with a route table of its own,
// whose only route out, if any, is the egress NAT gateway.
func (n *Network) workloadSubnet(ctx *pulumi.Context, name string, vpc *ec2.Vpc, zone string, cidr netip.Prefix, nat pulumi.IDOutput, routed bool, tags pulumi.StringMapInput) (pulumi.StringOutput, error) {
	resourceName := name + "-workload-" + zone
	table, err := ec2.NewRouteTable(ctx, resourceName, &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Tags:  nameTag(tags, resourceName),
	}, pulumi.Parent(n))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating route table %s: %w", resourceName, err)
	}
	subnet, err := n.subnet(ctx, resourceName, vpc, zone, cidr, table, tags)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	if routed {
		if _, err := ec2.NewRoute(ctx, resourceName+"-egress", &ec2.RouteArgs{
			RouteTableId:         table.ID(),
			DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
			NatGatewayId:         nat,
		}, pulumi.Parent(n)); err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("creating egress route %s: %w", resourceName, err)
		}
	}
	return subnet.ID().ToStringOutput(), nil
}

// natGateways creates the internet gateway, a public subnet and a NAT
// gateway in each AZ that holds one (the lowest AZ ID with NatSingle, every
// AZ with NatOnePerAz), and returns the NAT gateway each AZ's workloads leave
// through and the public subnets. With NatNone it creates nothing.
func (n *Network) natGateways(ctx *pulumi.Context, name string, vpc *ec2.Vpc, layout map[string]SubnetLayout, a NetworkArgs) (map[string]pulumi.IDOutput, pulumi.StringArray, error) {
	egress := map[string]pulumi.IDOutput{}
	public := pulumi.StringArray{}
	if a.NatGateways == NatNone {
		return egress, public, nil
	}
	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  nameTag(a.Tags, name+"-igw"),
	}, pulumi.Parent(n))
	if err != nil {
		return nil, nil, fmt.Errorf("creating internet gateway: %w", err)
	}
	table, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Tags:  nameTag(a.Tags, name+"-public"),
	}, pulumi.Parent(n))
	if err != nil {
		return nil, nil, fmt.Errorf("creating public route table: %w", err)
	}
	if _, err := ec2.NewRoute(ctx, name+"-public-internet", &ec2.RouteArgs{
		RouteTableId:         table.ID(),
		DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
		GatewayId:            igw.ID(),
	}, pulumi.Parent(n)); err != nil {
		return nil, nil, fmt.Errorf("creating internet route: %w", err)
	}
	zones := n.AvailabilityZoneIds
	if a.NatGateways == NatSingle {
		// The lowest AZ ID, whatever the list's order: the gateway, and
		// the egress address partners may allow, move only when its own
		// AZ is removed.
		zones = []string{slices.MinFunc(zones, func(a, b string) int {
			if azIDLess(a, b) {
				return -1
			}
			return 1
		})}
	}
	for _, zone := range zones {
		nat, subnet, err := n.natGateway(ctx, name, vpc, zone, layout[zone].Public, table, a.Tags)
		if err != nil {
			return nil, nil, err
		}
		egress[zone] = nat
		public = append(public, subnet)
	}
	for _, zone := range n.AvailabilityZoneIds {
		if _, ok := egress[zone]; !ok {
			egress[zone] = egress[zones[0]]
		}
	}
	return egress, public, nil
}

// subnet is a subnet in one AZ, routed by table. Nothing in it gets a
// public address at launch: NAT gateways use their Elastic IPs.
func (n *Network) subnet(ctx *pulumi.Context, resourceName string, vpc *ec2.Vpc, zone string, cidr netip.Prefix, table *ec2.RouteTable, tags pulumi.StringMapInput) (*ec2.Subnet, error) {
	subnet, err := ec2.NewSubnet(ctx, resourceName, &ec2.SubnetArgs{
		VpcId:               vpc.ID(),
		CidrBlock:           pulumi.String(cidr.String()),
		AvailabilityZoneId:  pulumi.String(zone),
		MapPublicIpOnLaunch: pulumi.Bool(false),
		Tags:                nameTag(tags, resourceName),
	}, pulumi.Parent(n))
	if err != nil {
		return nil, fmt.Errorf("creating subnet %s: %w", resourceName, err)
	}
	if _, err := ec2.NewRouteTableAssociation(ctx, resourceName, &ec2.RouteTableAssociationArgs{
		SubnetId:     subnet.ID(),
		RouteTableId: table.ID(),
	}, pulumi.Parent(n)); err != nil {
		return nil, fmt.Errorf("associating route table %s: %w", resourceName, err)
	}
	return subnet, nil
}

// natGateway is one AZ's public subnet, its Elastic IP and NAT gateway.
func (n *Network) natGateway(ctx *pulumi.Context, name string, vpc *ec2.Vpc, zone string, cidr netip.Prefix, table *ec2.RouteTable, tags pulumi.StringMapInput) (pulumi.IDOutput, pulumi.StringOutput, error) {
	resourceName := name + "-public-" + zone
	subnet, err := n.subnet(ctx, resourceName, vpc, zone, cidr, table, tags)
	if err != nil {
		return pulumi.IDOutput{}, pulumi.StringOutput{}, err
	}
	natName := name + "-nat-" + zone
	eip, err := ec2.NewEip(ctx, natName, &ec2.EipArgs{
		Domain: pulumi.String("vpc"),
		Tags:   nameTag(tags, natName),
	}, pulumi.Parent(n))
	if err != nil {
		return pulumi.IDOutput{}, pulumi.StringOutput{}, fmt.Errorf("creating Elastic IP %s: %w", natName, err)
	}
	nat, err := ec2.NewNatGateway(ctx, natName, &ec2.NatGatewayArgs{
		AllocationId: eip.AllocationId,
		SubnetId:     subnet.ID(),
		Tags:         nameTag(tags, natName),
	}, pulumi.Parent(n))
	if err != nil {
		return pulumi.IDOutput{}, pulumi.StringOutput{}, fmt.Errorf("creating NAT gateway %s: %w", natName, err)
	}
	return nat.ID(), subnet.ID().ToStringOutput(), nil
}

// WorkloadSubnetsIn picks the workload subnets in the given AZ IDs, e.g.
// those a PrivateLink service shares with this network, in the order
// given. An AZ ID the network is not in is an error.
func (n *Network) WorkloadSubnetsIn(zoneIDs []string) (pulumi.StringArrayOutput, error) {
	out := pulumi.StringArray{}
	for _, zone := range zoneIDs {
		subnet, ok := n.workloadSubnets[zone]
		if !ok {
			return pulumi.StringArrayOutput{}, fmt.Errorf("the network has no subnet in %s (its AZ IDs are %v)", zone, n.AvailabilityZoneIds)
		}
		out = append(out, subnet)
	}
	return out.ToStringArrayOutput(), nil
}

// nameTag adds a Name tag, which the EC2 console lists resources by.
func nameTag(tags pulumi.StringMapInput, name string) pulumi.StringMapOutput {
	return withTag(tags, "Name", name)
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

// ResolveAvailabilityZones checks the wanted AZ IDs against the region's
// usable ones (available, and not Local or Wavelength zones, which need
// opting in and lack most services), or picks the default: the region's
// first two AZ IDs in ID order, the same physical zones in every account,
// so separately deployed stacks line up.
func ResolveAvailabilityZones(ctx *pulumi.Context, wanted []string, opts ...pulumi.InvokeOption) ([]string, error) {
	zones, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{
		State:   pulumi.StringRef("available"),
		Filters: []aws.GetAvailabilityZonesFilter{{Name: "opt-in-status", Values: []string{"opt-in-not-required"}}},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("looking up availability zones: %w", err)
	}
	return resolveZones(wanted, zones.ZoneIds)
}

// resolveZones checks wanted AZ IDs against the region's, or picks the
// first two in ID order.
func resolveZones(wanted, regionIDs []string) (ids []string, err error) {
	available := append([]string(nil), regionIDs...)
	sort.Slice(available, func(i, j int) bool { return azIDLess(available[i], available[j]) })

	if len(wanted) == 0 {
		if len(available) < 2 {
			return nil, fmt.Errorf("the region has %d usable availability zone(s) %v; at least 2 are needed", len(available), available)
		}
		wanted = available[:2]
	}
	seen := map[string]bool{}
	for _, id := range wanted {
		if !slices.Contains(regionIDs, id) {
			return nil, fmt.Errorf("availability zone ID %q is not in this region; available IDs: %s", id, strings.Join(available, ", "))
		}
		if seen[id] {
			return nil, fmt.Errorf("availability zone ID %q is listed twice", id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if len(ids) < 2 {
		return nil, fmt.Errorf("%d availability zone ID given (%v); load balancers and PrivateLink need at least 2, e.g. %v", len(ids), ids, available[:min(2, len(available))])
	}
	return ids, nil
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
