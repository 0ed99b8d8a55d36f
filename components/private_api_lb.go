package components

import (
	"fmt"
	"github.com/private-apis/private-apis/contract"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// loadBalancer creates the one internal ALB all backends share, its
// listener, and per backend an interface endpoint, a target group of the
// endpoint's IPs and a rule forwarding that backend's requests. It returns
// the listener ARN the API's integrations target.
//
// Plain HTTP from the VPC link to the ALB: the hop stays inside this VPC,
// and TLS ends at API Gateway. HTTPS here would need a certificate for a
// private name plus tlsConfig on every integration (Security Hub
// APIGateway.10, a "nice to have" in our checklist).
func (api *PrivateApi) loadBalancer(ctx *pulumi.Context, name string, a PrivateApiArgs, g privateApiGroups) (pulumi.StringOutput, error) {
	alb, err := lb.NewLoadBalancer(ctx, name+"-alb", &lb.LoadBalancerArgs{
		LoadBalancerType:        pulumi.String("application"),
		Internal:                pulumi.Bool(true),
		Subnets:                 a.SubnetIds,
		SecurityGroups:          pulumi.StringArray{g.loadBalancer.ID()},
		IpAddressType:           pulumi.String("ipv4"),
		DropInvalidHeaderFields: pulumi.Bool(true),
		DesyncMitigationMode:    pulumi.String("defensive"),
		IdleTimeout:             pulumi.Int(60),
		Tags:                    a.Tags,
	}, pulumi.Parent(api))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating load balancer: %w", err)
	}
	listener, err := lb.NewListener(ctx, name+"-listener", &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Port:            pulumi.Int(80),
		Protocol:        pulumi.String("HTTP"),
		// Only requests an integration marked for a backend get anywhere.
		DefaultActions: lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{
			Type: pulumi.String("fixed-response"),
			FixedResponse: &lb.ListenerDefaultActionFixedResponseArgs{
				ContentType: pulumi.String("application/json"),
				MessageBody: pulumi.String(`{"message":"Not Found"}`),
				StatusCode:  pulumi.String("404"),
			},
		}},
		Tags: a.Tags,
	}, pulumi.Parent(api))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating listener: %w", err)
	}

	for i, b := range a.Backends {
		if err := api.backend(ctx, name, a, g, b, i, listener.Arn); err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("backend %s: %w", b.Name, err)
		}
	}
	api.LoadBalancerArn = alb.Arn
	return listener.Arn, nil
}

// backend connects one provider: its interface endpoint, a target group
// whose targets are the endpoint's private IPs (looked up per ENI, one per
// AZ, so no Lambda is needed), and a listener rule.
func (api *PrivateApi) backend(ctx *pulumi.Context, name string, a PrivateApiArgs, g privateApiGroups, b Backend, index int, listenerArn pulumi.StringOutput) error {
	prefix := name + "-" + b.Name
	endpointArgs := &ec2.VpcEndpointArgs{
		VpcId:             a.VpcId,
		ServiceName:       pulumi.String(b.EndpointServiceName),
		VpcEndpointType:   pulumi.String("Interface"),
		SubnetIds:         b.SubnetIds,
		SecurityGroupIds:  pulumi.StringArray{g.endpoints.ID()},
		PrivateDnsEnabled: pulumi.Bool(false),
		IpAddressType:     pulumi.String("ipv4"),
		Tags:              a.Tags,
	}
	if b.ServiceRegion != "" {
		endpointArgs.ServiceRegion = pulumi.String(b.ServiceRegion)
	}
	endpoint, err := ec2.NewVpcEndpoint(ctx, prefix+"-endpoint", endpointArgs, pulumi.Parent(api))
	if err != nil {
		return fmt.Errorf("creating endpoint: %w", err)
	}
	api.EndpointIds[b.Name] = endpoint.ID().ToStringOutput()

	tg, err := lb.NewTargetGroup(ctx, prefix+"-tg", &lb.TargetGroupArgs{
		VpcId:               a.VpcId,
		TargetType:          pulumi.String("ip"),
		Protocol:            pulumi.String("HTTP"),
		Port:                pulumi.Int(b.Port),
		DeregistrationDelay: pulumi.Int(30),
		// Probes go through the endpoint and PrivateLink to the service's
		// own health path, so a broken provider shows up here.
		HealthCheck: &lb.TargetGroupHealthCheckArgs{
			Enabled:            pulumi.Bool(true),
			Protocol:           pulumi.String("HTTP"),
			Path:               pulumi.String(b.HealthCheckPath),
			Port:               pulumi.String("traffic-port"),
			Matcher:            pulumi.String("200"),
			Interval:           pulumi.Int(15),
			Timeout:            pulumi.Int(5),
			HealthyThreshold:   pulumi.Int(2),
			UnhealthyThreshold: pulumi.Int(3),
		},
		Tags: a.Tags,
	}, pulumi.Parent(api))
	if err != nil {
		return fmt.Errorf("creating target group: %w", err)
	}
	for i := 0; i < b.SubnetCount; i++ {
		eni := endpoint.NetworkInterfaceIds.Index(pulumi.Int(i))
		ip := ec2.LookupNetworkInterfaceOutput(ctx, ec2.LookupNetworkInterfaceOutputArgs{Id: eni}, pulumi.Parent(api)).PrivateIp()
		if _, err := lb.NewTargetGroupAttachment(ctx, fmt.Sprintf("%s-target-%d", prefix, i+1), &lb.TargetGroupAttachmentArgs{
			TargetGroupArn: tg.Arn,
			TargetId:       ip,
			Port:           pulumi.Int(b.Port),
		}, pulumi.Parent(api)); err != nil {
			return fmt.Errorf("registering endpoint IP %d: %w", i+1, err)
		}
	}
	if _, err := lb.NewListenerRule(ctx, prefix+"-rule", &lb.ListenerRuleArgs{
		ListenerArn: listenerArn,
		Priority:    pulumi.Int(index + 1),
		Conditions: lb.ListenerRuleConditionArray{&lb.ListenerRuleConditionArgs{
			HttpHeader: &lb.ListenerRuleConditionHttpHeaderArgs{
				HttpHeaderName: pulumi.String(contract.BackendHeader),
				Values:         pulumi.StringArray{pulumi.String(b.Name)},
			},
		}},
		Actions: lb.ListenerRuleActionArray{&lb.ListenerRuleActionArgs{
			Type:           pulumi.String("forward"),
			TargetGroupArn: tg.Arn,
		}},
		Tags: a.Tags,
	}, pulumi.Parent(api)); err != nil {
		return fmt.Errorf("creating listener rule: %w", err)
	}
	return nil
}
