package fakeaws

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

// declared is one resource a test run registers.
type declared struct {
	token, name string
	props       pulumi.Map
	opts        []pulumi.ResourceOption
}

// deployAll runs one update that registers the resources in order: each
// depends on the one before, as the SDK otherwise sends registrations
// whose inputs are known in any order.
func deployAll(m *AWS, resources ...declared) error {
	_, err := m.Run("test", nil, "", func(ctx *pulumi.Context) error {
		var previous []pulumi.Resource
		for _, r := range resources {
			out := &custom{}
			opts := append(append([]pulumi.ResourceOption(nil), r.opts...), pulumi.DependsOn(previous))
			if err := ctx.RegisterResource(r.token, r.name, r.props, out, opts...); err != nil {
				return err
			}
			previous = []pulumi.Resource{out}
		}
		return nil
	})
	return err
}

// The IDs and ARNs the tests' resources name, in AWS's shapes.
const (
	testVpc     = "vpc-0a1b2c3d4e5f60718"
	testService = "vpce-svc-0a1b2c3d4e5f60718"
	subnetA     = "subnet-0a1b2c3d4e5f6070a"
	subnetB     = "subnet-0a1b2c3d4e5f6070b"
	subnetC     = "subnet-0a1b2c3d4e5f6070c"
	endpointA   = "vpce-0a1b2c3d4e5f6070a"
	endpointB   = "vpce-0a1b2c3d4e5f6070b"
	lb1         = "arn:aws:elasticloadbalancing:us-west-2:222222222222:loadbalancer/net/lb-1/0a1b2c3d4e5f6071"
	lb2         = "arn:aws:elasticloadbalancing:us-west-2:222222222222:loadbalancer/net/lb-2/0a1b2c3d4e5f6072"
	tg1         = "arn:aws:elasticloadbalancing:us-west-2:222222222222:targetgroup/tg-1/0a1b2c3d4e5f6071"
	tg2         = "arn:aws:elasticloadbalancing:us-west-2:222222222222:targetgroup/tg-2/0a1b2c3d4e5f6072"
)

func subnet(name, zone, cidr string, opts ...pulumi.ResourceOption) declared {
	return declared{"aws:ec2/subnet:Subnet", name, pulumi.Map{
		"vpcId": pulumi.String(testVpc), "availabilityZoneId": pulumi.String(zone), "cidrBlock": pulumi.String(cidr)}, opts}
}

func listener(name, lb string, port int, group string) declared {
	return declared{"aws:lb/listener:Listener", name, pulumi.Map{"loadBalancerArn": pulumi.String(lb), "port": pulumi.Int(port),
		"defaultActions": pulumi.Array{pulumi.Map{"type": pulumi.String("forward"), "targetGroupArn": pulumi.String(group)}}}, nil}
}

func accepter(name, endpoint string, opts ...pulumi.ResourceOption) declared {
	return declared{"aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter", name, pulumi.Map{
		"vpcEndpointId": pulumi.String(endpoint), "vpcEndpointServiceId": pulumi.String(testService)}, opts}
}

func nlb(name string, subnets ...string) declared {
	return declared{"aws:lb/loadBalancer:LoadBalancer", name, pulumi.Map{"loadBalancerType": pulumi.String("network"),
		"internal": pulumi.Bool(true), "subnets": pulumi.ToStringArray(subnets)}, nil}
}

// TestReplacements runs two updates and checks what AWS makes of the
// second: in place, a replacement, or a refusal of what a replacement
// breaks.
func TestReplacements(t *testing.T) {
	tests := []struct {
		name          string
		before, after []declared
		inUse         []string
		replaced      map[string][]string
		wantErr       string
	}{
		{name: "a subnet moved to another AZ overlaps itself, created before its old self goes",
			before:  []declared{subnet("a", "usw2-az1", "10.0.0.0/20")},
			after:   []declared{subnet("a", "usw2-az2", "10.0.0.0/20")},
			wantErr: "InvalidSubnet.Conflict: The CIDR '10.0.0.0/20' conflicts with another subnet (a, 10.0.0.0/20)"},
		{name: "deleted first, it is created",
			before:   []declared{subnet("a", "usw2-az1", "10.0.0.0/20")},
			after:    []declared{subnet("a", "usw2-az2", "10.0.0.0/20", pulumi.DeleteBeforeReplace(true))},
			replaced: map[string][]string{"aws:ec2/subnet:Subnet a": {"availabilityZoneId"}}},
		{name: "a new subnet overlapping another",
			before:  []declared{subnet("a", "usw2-az1", "10.0.0.0/20")},
			after:   []declared{subnet("a", "usw2-az1", "10.0.0.0/20"), subnet("b", "usw2-az2", "10.0.8.0/21")},
			wantErr: "InvalidSubnet.Conflict"},
		{name: "a Network Load Balancer gaining a subnet is updated",
			before: []declared{nlb("lb", subnetA, subnetB)}, after: []declared{nlb("lb", subnetA, subnetB, subnetC)}},
		{name: "one losing a subnet is replaced, under a fresh autoname",
			before: []declared{nlb("lb", subnetA, subnetB, subnetC)}, after: []declared{nlb("lb", subnetB, subnetC)},
			replaced: map[string][]string{"aws:lb/loadBalancer:LoadBalancer lb": {"subnets"}}},
		{name: "a Network Load Balancer's subnets reordered is no change (a set)",
			before: []declared{nlb("lb", subnetA, subnetB)}, after: []declared{nlb("lb", subnetB, subnetA)}},
		{name: "a fixed name replaced before its old holder goes",
			before:  []declared{{"aws:lb/targetGroup:TargetGroup", "tg", pulumi.Map{"name": pulumi.String("orders"), "port": pulumi.Int(80)}, nil}},
			after:   []declared{{"aws:lb/targetGroup:TargetGroup", "tg", pulumi.Map{"name": pulumi.String("orders"), "port": pulumi.Int(8080)}, nil}},
			wantErr: `name "orders" already exists`},
		{name: "a target group on a second load balancer",
			before:  []declared{listener("old", lb1, 80, tg1)},
			after:   []declared{listener("old", lb1, 80, tg1), listener("new", lb2, 80, tg1)},
			wantErr: "TargetGroupAssociationLimit"},
		{name: "two listeners on one port",
			before:  []declared{listener("a", lb1, 80, tg1)},
			after:   []declared{listener("a", lb1, 80, tg1), listener("b", lb1, 80, tg2)},
			wantErr: "DuplicateListener"},
		{name: "a listener moved to another port of its load balancer",
			before: []declared{listener("a", lb1, 80, tg1)}, after: []declared{listener("a", lb1, 8080, tg1)}},
		{name: "an accepter replaced rejects the connection it accepted",
			before: []declared{accepter("accept", endpointA)}, after: []declared{accepter("accept", endpointB)}, inUse: []string{endpointA},
			wantErr: "rejected the connection of endpoint " + endpointA + " (RejectVpcEndpointConnections), which still carries traffic"},
		{name: "a retained one leaves it accepted",
			before:   []declared{accepter("accept", endpointA, pulumi.RetainOnDelete(true))},
			after:    []declared{accepter("accept", endpointB, pulumi.RetainOnDelete(true))},
			inUse:    []string{endpointA},
			replaced: map[string][]string{"aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter accept": {"vpcEndpointId"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			require.NoError(t, deployAll(m, tt.before...))
			for _, id := range tt.inUse {
				m.EndpointsInUse[id] = true
			}
			err := deployAll(m, tt.after...)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			changes := m.Changes()
			require.Equal(t, len(tt.replaced), len(changes.Replaced), "%v", changes)
			for key, keys := range tt.replaced {
				require.Equal(t, keys, changes.Replaced[key])
			}
		})
	}
}

// TestReplacementNamesAndDeletes: a replaced autonamed resource gets a
// new name, its predecessor is deleted at the end of the update, and a
// retained resource stays in AWS though it leaves the state.
func TestReplacementNamesAndDeletes(t *testing.T) {
	m := New()
	require.NoError(t, deployAll(m, nlb("lb", subnetA, subnetB), accepter("accept", endpointA)))
	first := m.State("aws:lb/loadBalancer:LoadBalancer")
	require.NoError(t, deployAll(m, nlb("lb", subnetA, subnetC)))
	second := m.State("aws:lb/loadBalancer:LoadBalancer")
	require.Len(t, second, 1, "the old one was deleted")
	require.NotEqual(t, first[0].OutputMap()["name"], second[0].OutputMap()["name"])
	require.Regexp(t, `^lb-[0-9a-f]{7}$`, second[0].OutputMap()["name"])
	require.Equal(t, []string{endpointA}, m.Rejected(), "the accepter, no longer declared, was deleted")
	require.Empty(t, m.State("aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter"))
}

func TestEveryCreatedTypeHasAReplacementRule(t *testing.T) {
	for token := range nameRules {
		_, ok := replaceRules[token]
		require.True(t, ok, "%s has a name rule but no replacement rule", token)
	}
	for token := range unnamedTypes {
		if _, ok := replaceRules[token]; !ok {
			require.NotContains(t, token, "aws:", "%s has no replacement rule", token)
		}
	}
	for token, rule := range replaceRules {
		require.NotEmpty(t, rule.Source, "%s cites no source", token)
	}
	_, err := forcedKeys("aws:s3/bucket:Bucket", nil, nil, nil)
	require.ErrorContains(t, err, "no replacement rule for aws:s3/bucket:Bucket")
}

// TestEndpointServiceMoves replaces a provider's load balancer as removing
// an AZ does: consumers may be moved to the new one only once compute
// serves behind it, and compute may leave the old one only by being
// replaced, so the old one serves until the move.
func TestEndpointServiceMoves(t *testing.T) {
	tests := []struct {
		name    string
		step    moveStep
		wantErr string
	}{
		{"consumers moved to a load balancer nothing serves behind yet", moveAtOnce, "no compute serves its target group"},
		{"compute moved in place, out of the group consumers still reach", moveComputeInPlace, "consumers still reach through service"},
		{"new compute, then the consumers", replaceComputeThenMove, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			require.NoError(t, deployMove(m, beforeMove))
			err := deployMove(m, tt.step)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
		})
	}
}

// moveStep is one of TestEndpointServiceMoves's updates.
type moveStep int

const (
	beforeMove moveStep = iota
	moveAtOnce
	moveComputeInPlace
	replaceComputeThenMove
)

// deployMove runs step s's update: the endpoint service on load balancer
// "1" with compute behind it at first, then on "2" in the step's order.
func deployMove(m *AWS, s moveStep) error {
	_, err := m.Run("test", nil, "", func(ctx *pulumi.Context) error {
		r := mover{ctx}
		lb, group, listener, err := r.balancer("1")
		if err != nil {
			return err
		}
		published, serving := lb, pulumi.Resource(nil)
		switch s {
		case beforeMove:
			serving, err = r.tasks("tasks", group, listener)
		case moveAtOnce:
			if _, err = r.tasks("tasks", group, listener); err == nil {
				// After its listener, so only the compute is missing.
				published, _, serving, err = r.balancer("2")
			}
		case moveComputeInPlace, replaceComputeThenMove:
			var group2, listener2 *custom
			if published, group2, listener2, err = r.balancer("2"); err == nil {
				name := "tasks"
				if s == replaceComputeThenMove {
					name = "tasks-2"
				}
				serving, err = r.tasks(name, group2, listener2)
			}
		}
		if err != nil {
			return err
		}
		var opts []pulumi.ResourceOption
		if serving != nil {
			opts = append(opts, pulumi.DependsOn([]pulumi.Resource{serving}))
		}
		_, err = r.register("aws:ec2/vpcEndpointService:VpcEndpointService", "service", pulumi.Map{
			"networkLoadBalancerArns": pulumi.StringArray{published.Arn}}, opts...)
		return err
	})
	return err
}

// mover registers deployMove's resources, each depending on those it
// takes, so they reach the mocks in the order AWS would need them.
type mover struct{ ctx *pulumi.Context }

func (r mover) register(token, name string, props pulumi.Map, opts ...pulumi.ResourceOption) (*custom, error) {
	res := &custom{}
	return res, r.ctx.RegisterResource(token, name, props, res, opts...)
}

func (r mover) balancer(n string) (lb, group, listener *custom, err error) {
	if lb, err = r.register("aws:lb/loadBalancer:LoadBalancer", "nlb"+n, pulumi.Map{"loadBalancerType": pulumi.String("network"),
		"subnets": pulumi.ToStringArray([]string{"subnet-0a1b2c3d4e5f6070" + n})}); err != nil {
		return
	}
	if group, err = r.register("aws:lb/targetGroup:TargetGroup", "tg"+n, pulumi.Map{"port": pulumi.Int(80)}); err != nil {
		return
	}
	listener, err = r.register("aws:lb/listener:Listener", "listener"+n, pulumi.Map{"loadBalancerArn": lb.Arn, "port": pulumi.Int(80),
		"defaultActions": pulumi.Array{pulumi.Map{"type": pulumi.String("forward"), "targetGroupArn": group.Arn}}})
	return
}

func (r mover) tasks(name string, group *custom, listener *custom) (*custom, error) {
	return r.register("aws:ecs/service:Service", name, pulumi.Map{
		"loadBalancers": pulumi.Array{pulumi.Map{"targetGroupArn": group.Arn}}}, pulumi.DependsOn([]pulumi.Resource{listener}))
}
