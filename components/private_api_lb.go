package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/private-apis/private-apis/apirules"
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

	for _, b := range a.Backends {
		if err := api.backend(ctx, name, a, g, b, listener.Arn); err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("backend %s: %w", b.Name, err)
		}
	}
	api.LoadBalancerArn = alb.Arn
	api.LoadBalancerArnSuffix = alb.ArnSuffix
	return listener.Arn, nil
}

// ProviderTag is the tag that names, on each of a backend's resources, the
// provider it reaches, by its full name (resource names hold a shortened
// one).
const ProviderTag = "private-apis:provider"

// backend connects one provider to the ALB: its endpoint's targets and a
// listener rule.
func (api *PrivateApi) backend(ctx *pulumi.Context, name string, a PrivateApiArgs, g privateApiGroups, b Backend, listenerArn pulumi.StringOutput) error {
	prefix := name + "-" + b.Name
	tags := withTag(a.Tags, ProviderTag, b.Provider)
	tg, err := api.endpointTargets(ctx, name, a, g, b)
	if err != nil {
		return err
	}
	if _, err := lb.NewListenerRule(ctx, prefix+"-rule", &lb.ListenerRuleArgs{
		ListenerArn: listenerArn,
		Priority:    pulumi.Int(b.RulePriority),
		Conditions: lb.ListenerRuleConditionArray{&lb.ListenerRuleConditionArgs{
			HttpHeader: &lb.ListenerRuleConditionHttpHeaderArgs{
				HttpHeaderName: pulumi.String(apirules.BackendHeader),
				Values:         pulumi.StringArray{pulumi.String(b.Name)},
			},
		}},
		Actions: lb.ListenerRuleActionArray{&lb.ListenerRuleActionArgs{
			Type:           pulumi.String("forward"),
			TargetGroupArn: tg.Arn,
		}},
		Tags: tags,
	}, pulumi.Parent(api)); err != nil {
		return fmt.Errorf("creating listener rule: %w", err)
	}
	return nil
}

// endpointTargets creates a provider's interface endpoint and a target
// group whose targets are the endpoint's private IPs (read live from the
// endpoint and its interfaces, one per AZ, so no Lambda is needed). An
// ALB's group speaks HTTP; an NLB's passes TCP through. Either way the
// health check is HTTP, through the endpoint and PrivateLink to the
// service's own health path, so a broken provider shows up here.
func (api *PrivateApi) endpointTargets(ctx *pulumi.Context, name string, a PrivateApiArgs, g privateApiGroups, b Backend) (*lb.TargetGroup, error) {
	prefix := name + "-" + b.Name
	tags := withTag(a.Tags, ProviderTag, b.Provider)
	endpointArgs := &ec2.VpcEndpointArgs{
		VpcId:             a.VpcId,
		ServiceName:       pulumi.String(b.EndpointServiceName),
		VpcEndpointType:   pulumi.String("Interface"),
		SubnetIds:         b.SubnetIds,
		SecurityGroupIds:  pulumi.StringArray{g.endpoints.ID()},
		PrivateDnsEnabled: pulumi.Bool(false),
		IpAddressType:     pulumi.String("ipv4"),
		Tags:              tags,
	}
	if b.ServiceRegion != "" {
		endpointArgs.ServiceRegion = pulumi.String(b.ServiceRegion)
	}
	endpoint, err := ec2.NewVpcEndpoint(ctx, prefix+"-endpoint", endpointArgs, pulumi.Parent(api))
	if err != nil {
		return nil, fmt.Errorf("creating endpoint: %w", err)
	}
	api.EndpointIds[b.Name] = endpoint.ID().ToStringOutput()

	protocol := "HTTP"
	if a.Type == apirules.ApiTypeREST {
		protocol = "TCP"
	}
	tg, err := lb.NewTargetGroup(ctx, prefix+"-tg", &lb.TargetGroupArgs{
		VpcId:               a.VpcId,
		TargetType:          pulumi.String("ip"),
		Protocol:            pulumi.String(protocol),
		Port:                pulumi.Int(b.Port),
		DeregistrationDelay: pulumi.Int(30),
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
		Tags: tags,
	}, pulumi.Parent(api))
	if err != nil {
		return nil, fmt.Errorf("creating target group: %w", err)
	}
	api.TargetGroupArnSuffixes[b.Name] = tg.ArnSuffix
	if !b.AwaitingAcceptance {
		if err := api.registerEndpoint(ctx, prefix, b, endpoint, tg); err != nil {
			return nil, err
		}
	}
	return tg, nil
}

// registerEndpoint makes the endpoint's private IPs, one per AZ, the target
// group's targets. The endpoint is read live rather than from its resource:
// the resource keeps what it was created with until an update changes it,
// and an endpoint accepted since has interfaces its resource doesn't list.
// Each target is named after its AZ and takes the address of the interface
// in that AZ's subnet (EC2 lists an endpoint's interfaces in no promised
// order), so a target never moves to another address while another AZ
// comes or goes.
func (api *PrivateApi) registerEndpoint(ctx *pulumi.Context, prefix string, b Backend, endpoint *ec2.VpcEndpoint, tg *lb.TargetGroup) error {
	live := ec2.LookupVpcEndpointOutput(ctx, ec2.LookupVpcEndpointOutputArgs{Id: endpoint.ID().ToStringOutput()}, pulumi.Parent(api))
	zones := len(b.AvailabilityZoneIds)
	interfaces := pulumi.All(live.Id(), live.State(), live.NetworkInterfaceIds()).ApplyT(func(v []any) ([]string, error) {
		id, state, enis := v[0].(string), v[1].(string), v[2].([]string)
		if state != "available" {
			return nil, fmt.Errorf("endpoint %s to %s is %s, so it has no addresses to register: the provider must accept it (`pulumi up` of %s, whose private-apis:consumerStack names this stack), then run `pulumi up` of this stack again; `make up` does both",
				id, b.Provider, state, b.Provider)
		}
		if len(enis) != zones {
			return nil, fmt.Errorf("endpoint %s to %s has %d network interfaces, want one in each of its %d subnets", id, b.Provider, len(enis), zones)
		}
		return enis, nil
	}).(pulumi.StringArrayOutput)
	found := make([]any, 0, zones+1)
	found = append(found, b.SubnetIds)
	for i := 0; i < zones; i++ {
		found = append(found, ec2.LookupNetworkInterfaceOutput(ctx, ec2.LookupNetworkInterfaceOutputArgs{Id: interfaces.Index(pulumi.Int(i))}, pulumi.Parent(api)))
	}
	addresses := pulumi.All(found...).ApplyT(func(v []any) (map[string]string, error) {
		bySubnet := map[string]string{}
		for _, r := range v[1:] {
			eni := r.(ec2.LookupNetworkInterfaceResult)
			bySubnet[eni.SubnetId] = eni.PrivateIp
		}
		out := map[string]string{}
		for i, subnet := range v[0].([]string) {
			ip, ok := bySubnet[subnet]
			if !ok {
				return nil, fmt.Errorf("endpoint to %s has no network interface in subnet %s (%s)", b.Provider, subnet, b.AvailabilityZoneIds[i])
			}
			out[b.AvailabilityZoneIds[i]] = ip
		}
		return out, nil
	}).(pulumi.StringMapOutput)
	for _, zone := range b.AvailabilityZoneIds {
		if _, err := lb.NewTargetGroupAttachment(ctx, prefix+"-target-"+zone, &lb.TargetGroupAttachmentArgs{
			TargetGroupArn: tg.Arn,
			TargetId:       addresses.MapIndex(pulumi.String(zone)),
			Port:           pulumi.Int(b.Port),
		}, pulumi.Parent(api)); err != nil {
			return fmt.Errorf("registering the endpoint address in %s: %w", zone, err)
		}
	}
	return nil
}

// withTag adds one tag to a tag map that may be nil.
func withTag(tags pulumi.StringMapInput, key, value string) pulumi.StringMapOutput {
	if tags == nil {
		return pulumi.StringMap{key: pulumi.String(value)}.ToStringMapOutput()
	}
	return tags.ToStringMapOutput().ApplyT(func(m map[string]string) map[string]string {
		out := make(map[string]string, len(m)+1)
		for k, v := range m {
			out[k] = v
		}
		out[key] = value
		return out
	}).(pulumi.StringMapOutput)
}
