package components

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

var consumerRoot = []string{"arn:aws:iam::111111111111:root"}

func privateLinkNLBArgs(net *Network) *PrivateLinkNLBArgs {
	return &PrivateLinkNLBArgs{
		VpcId:        net.VpcId,
		SubnetIds:    net.WorkloadSubnetIds,
		VpcCidrBlock: pulumi.String(net.CidrBlock),
		Publishing:   Publishing{AllowedPrincipals: consumerRoot},
	}
}

func TestPrivateLinkNLBLoadBalancer(t *testing.T) {
	m, out, err := run(t, func(ctx *pulumi.Context) error {
		net, err := testNetwork(ctx)
		if err != nil {
			return err
		}
		if _, err := NewPrivateLinkNLB(ctx, "svc", privateLinkNLBArgs(net)); err != nil {
			return err
		}
		ctx.Export("subnets", net.WorkloadSubnetIds)
		return nil
	})
	require.NoError(t, err)

	nlb := one(t, m, "aws:lb/loadBalancer:LoadBalancer")
	require.Equal(t, "network", nlb["loadBalancerType"])
	require.Equal(t, true, nlb["internal"], "never internet-facing")
	require.Equal(t, true, nlb["enableCrossZoneLoadBalancing"])
	require.Equal(t, "off", nlb["enforceSecurityGroupInboundRulesOnPrivateLinkTraffic"])
	require.Equal(t, toAny(out["subnets"]), nlb["subnets"])
	require.GreaterOrEqual(t, len(nlb["subnets"].([]any)), 2)
	require.Len(t, nlb["securityGroups"], 1, "NLB security groups can only be attached at creation")

	tg := one(t, m, "aws:lb/targetGroup:TargetGroup")
	require.Regexp(t, `^svc-[0-9a-f]{8}$`, tg["name"], "named after its load balancer, which it follows")
	require.Equal(t, "TCP", tg["protocol"])
	require.EqualValues(t, 8080, tg["port"])
	require.Equal(t, "ip", tg["targetType"])
	require.EqualValues(t, 20, tg["deregistrationDelay"], "explicit, not the 300 s default")
	require.Equal(t, true, tg["connectionTermination"])
	require.Equal(t, map[string]any{
		"enabled": true, "protocol": "HTTP", "path": "/healthz", "port": "traffic-port", "matcher": "200",
		"interval": 10.0, "timeout": 5.0, "healthyThreshold": 2.0, "unhealthyThreshold": 2.0,
	}, tg["healthCheck"])

	listener := one(t, m, "aws:lb/listener:Listener")
	require.EqualValues(t, 8080, listener["port"])
	require.Equal(t, "TCP", listener["protocol"])
	require.Equal(t, output(t, m, "aws:lb/loadBalancer:LoadBalancer", "svc-nlb", "arn"), listener["loadBalancerArn"])
	action := listener["defaultActions"].([]any)[0].(map[string]any)
	require.Equal(t, "forward", action["type"])
	require.Equal(t, output(t, m, "aws:lb/targetGroup:TargetGroup", "svc-tg", "arn"), action["targetGroupArn"])
}

func TestPrivateLinkNLBEndpointService(t *testing.T) {
	tests := []struct {
		name    string
		args    func(*PrivateLinkNLBArgs)
		want    map[string]any
		regions any
	}{
		{
			name: "defaults",
			args: func(*PrivateLinkNLBArgs) {},
			want: map[string]any{"acceptanceRequired": false, "allowedPrincipals": []any{"arn:aws:iam::111111111111:root"}},
		},
		{
			name: "acceptance, several principals, cross-region",
			args: func(a *PrivateLinkNLBArgs) {
				a.AcceptanceRequired = true
				a.AllowedPrincipals = []string{"arn:aws:iam::111111111111:root", "arn:aws:iam::444444444444:role/deployer"}
				a.SupportedRegions = []string{"us-east-1", "eu-west-1"}
			},
			want: map[string]any{
				"acceptanceRequired": true,
				"allowedPrincipals":  []any{"arn:aws:iam::111111111111:root", "arn:aws:iam::444444444444:role/deployer"},
			},
			regions: []any{"us-east-1", "eu-west-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, out, err := run(t, func(ctx *pulumi.Context) error {
				net, err := testNetwork(ctx)
				if err != nil {
					return err
				}
				args := privateLinkNLBArgs(net)
				tt.args(args)
				s, err := NewPrivateLinkNLB(ctx, "svc", args)
				if err != nil {
					return err
				}
				if err := s.Publish(ctx, nil); err != nil {
					return err
				}
				ctx.Export("name", s.EndpointServiceName)
				ctx.Export("id", s.EndpointServiceId)
				return nil
			})
			require.NoError(t, err)
			es := one(t, m, "aws:ec2/vpcEndpointService:VpcEndpointService")
			require.Equal(t, tt.want["acceptanceRequired"], es["acceptanceRequired"])
			require.Equal(t, tt.want["allowedPrincipals"], es["allowedPrincipals"], "exactly the configured principals")
			require.NotContains(t, es["allowedPrincipals"], "*")
			require.Equal(t, tt.regions, es["supportedRegions"])
			require.Equal(t, []any{output(t, m, "aws:lb/loadBalancer:LoadBalancer", "svc-nlb", "arn")}, es["networkLoadBalancerArns"])
			service := m.ByType("aws:ec2/vpcEndpointService:VpcEndpointService")[0]
			require.Equal(t, service.OutputMap()["serviceName"], out["name"])
			require.Equal(t, service.ID, out["id"])
		})
	}
}

func TestPrivateLinkNLBSecurityGroups(t *testing.T) {
	m, _, err := run(t, func(ctx *pulumi.Context) error {
		net, err := testNetwork(ctx)
		if err != nil {
			return err
		}
		_, err = NewPrivateLinkNLB(ctx, "svc", privateLinkNLBArgs(net))
		return err
	})
	require.NoError(t, err)

	nlbSG := m.ByType("aws:ec2/securityGroup:SecurityGroup")
	require.Len(t, nlbSG, 2)
	for _, sg := range nlbSG {
		require.NotEmpty(t, sg.Map()["description"])
		require.Nil(t, sg.Map()["ingress"], "rules are separate resources")
	}
	fromVPC := named(t, m, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "svc-nlb-from-vpc")
	require.Equal(t, "10.0.0.0/16", fromVPC["cidrIpv4"])
	require.EqualValues(t, 8080, fromVPC["fromPort"])
	require.EqualValues(t, 8080, fromVPC["toPort"])

	targets := named(t, m, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "svc-targets-from-nlb")
	nlbGroupID := named(t, m, "aws:lb/loadBalancer:LoadBalancer", "svc-nlb")["securityGroups"].([]any)[0]
	require.Equal(t, nlbGroupID, targets["referencedSecurityGroupId"], "targets admit only the NLB")
	require.Nil(t, targets["cidrIpv4"])
	require.NotEqual(t, nlbGroupID, targets["securityGroupId"])

	for _, rule := range m.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		in := rule.Map()
		require.NotEqual(t, "0.0.0.0/0", in["cidrIpv4"], rule.Name)
		require.Nil(t, in["cidrIpv6"], rule.Name)
		require.NotEmpty(t, in["description"], rule.Name)
	}
}

func TestPrivateLinkNLBTargetGroupArnWaitsForListener(t *testing.T) {
	var arn pulumi.StringOutput
	m := fakeaws.New()
	_, err := m.Run("test", nil, "", func(ctx *pulumi.Context) error {
		net, err := testNetwork(ctx)
		if err != nil {
			return err
		}
		s, err := NewPrivateLinkNLB(ctx, "svc", privateLinkNLBArgs(net))
		if err != nil {
			return err
		}
		arn = s.TargetGroupArn
		return nil
	})
	require.NoError(t, err)
	res, err := internals.UnsafeAwaitOutput(context.Background(), arn)
	require.NoError(t, err)
	var types []string
	for _, dep := range res.Dependencies {
		urn, err := internals.UnsafeAwaitOutput(context.Background(), dep.URN())
		require.NoError(t, err)
		types = append(types, string(urn.Value.(pulumi.URN)))
	}
	require.Len(t, types, 2)
	require.Contains(t, types[0]+types[1], "aws:lb/listener:Listener", "compute registering with the target group waits for the listener")
}

// TestPrivateLinkNLBPublishesOnceServing: the endpoint service waits for
// the compute's output, so consumers are sent to a load balancer only once
// something serves behind it.
func TestPrivateLinkNLBPublishesOnceServing(t *testing.T) {
	r, err := runBehindPrivateLinkNLB(t, TargetTypeIP, func(ctx *pulumi.Context, _ *Network, s *PrivateLinkNLB) error {
		var compute struct{ pulumi.CustomResourceState }
		if err := ctx.RegisterResource("aws:ecs/service:Service", "compute", pulumi.Map{
			"loadBalancers": pulumi.Array{pulumi.Map{"targetGroupArn": s.TargetGroupArn}},
		}, &compute); err != nil {
			return err
		}
		return s.Publish(ctx, compute.ID())
	})
	require.NoError(t, err)
	order := map[string]int{}
	for i, res := range r.m.Resources() {
		order[res.Type] = i
	}
	require.Contains(t, order, "aws:ec2/vpcEndpointService:VpcEndpointService")
	require.Less(t, order["aws:ecs/service:Service"], order["aws:ec2/vpcEndpointService:VpcEndpointService"], "published after the compute")
}

func TestTargetGroupName(t *testing.T) {
	m := fakeaws.New()
	var names []pulumi.StringOutput
	_, err := m.Run("test", nil, "", func(ctx *pulumi.Context) error {
		a := PrivateLinkNLBArgs{Port: 8080, TargetType: TargetTypeIP}
		const lb1 = "arn:aws:elasticloadbalancing:us-west-2:222222222222:loadbalancer/net/dognames-nlb/0a1b2c3d4e5f6071"
		const lb2 = "arn:aws:elasticloadbalancing:us-west-2:222222222222:loadbalancer/net/dognames-nlb-2/0a1b2c3d4e5f6072"
		for _, in := range []struct{ name, arn string }{
			{"dognames", lb1}, {"dognames", lb2}, {"Billing_Payments_Production_Service", lb1}, {"__", lb1},
		} {
			names = append(names, targetGroupName(in.name, pulumi.String(in.arn).ToStringOutput(), a))
		}
		return nil
	})
	require.NoError(t, err)
	var got []string
	for _, n := range names {
		res, err := internals.UnsafeAwaitOutput(context.Background(), n)
		require.NoError(t, err)
		got = append(got, res.Value.(string))
	}
	require.Regexp(t, `^dognames-[0-9a-f]{8}$`, got[0])
	require.NotEqual(t, got[0], got[1], "a new load balancer, a new name")
	require.Regexp(t, `^billing-payments-produc-[0-9a-f]{8}$`, got[2], "lower-case, within AWS's 32 characters")
	require.LessOrEqual(t, len(got[2]), 32)
	require.Regexp(t, `^tg-[0-9a-f]{8}$`, got[3], "never a leading hyphen")
}

func TestPrivateLinkNLBRejectsBadArgs(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*PrivateLinkNLBArgs)
		wantErr string
	}{
		{"no principals", func(a *PrivateLinkNLBArgs) { a.AllowedPrincipals = nil }, "AllowedPrincipals is empty"},
		{"wildcard", func(a *PrivateLinkNLBArgs) { a.AllowedPrincipals = []string{"*"} }, `AllowedPrincipals contains "*"`},
		{"wildcard in ARN", func(a *PrivateLinkNLBArgs) { a.AllowedPrincipals = []string{"arn:aws:iam::*:root"} }, "wildcards"},
		{"bad port", func(a *PrivateLinkNLBArgs) { a.Port = 70000 }, "Port 70000"},
		{"bad target type", func(a *PrivateLinkNLBArgs) { a.TargetType = "lambda" }, `TargetType "lambda"`},
		{"relative health path", func(a *PrivateLinkNLBArgs) { a.HealthCheckPath = "healthz" }, "must start with /"},
		{"no VPC", func(a *PrivateLinkNLBArgs) { a.VpcId = nil }, "VpcId, SubnetIds and VpcCidrBlock are required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := run(t, func(ctx *pulumi.Context) error {
				net, err := testNetwork(ctx)
				if err != nil {
					return err
				}
				args := privateLinkNLBArgs(net)
				tt.mutate(args)
				_, err = NewPrivateLinkNLB(ctx, "svc", args)
				return err
			})
			require.ErrorContains(t, err, tt.wantErr)
			requireNamedOnce(t, err, "PrivateLink NLB svc")
			require.Empty(t, m.ByType("aws:lb/loadBalancer:LoadBalancer"))
			require.Empty(t, m.ByType("aws:lb/targetGroup:TargetGroup"))
		})
	}
}
