package components

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// loadBalancerArn is an Elastic Load Balancing ARN: partition, region,
// account, and the kind (net, app or gwy).
var loadBalancerArn = regexp.MustCompile(`^arn:(aws[a-z-]*):elasticloadbalancing:([a-z0-9-]+):([0-9]{12}):loadbalancer/(net|app|gwy)/[A-Za-z0-9-]+/[0-9a-f]+$`)

// PublishableLoadBalancer is what InspectLoadBalancer found out about a load
// balancer that can be published over PrivateLink.
type PublishableLoadBalancer struct {
	Arn string
	// ArnSuffix is its CloudWatch dimension (net/<name>/<id>).
	ArnSuffix string
	// AvailabilityZoneIds are the AZ IDs of its subnets, sorted.
	AvailabilityZoneIds []string
	// TargetGroupArnSuffixes are the CloudWatch dimensions
	// (targetgroup/<name>/<id>) of the target groups the service port's
	// listener forwards to.
	TargetGroupArnSuffixes []string
}

// InspectLoadBalancer checks, before anything is created, that arn is a load
// balancer PrivateLink can publish for a service on port: one that exists in
// this account and region, a Network Load Balancer, internal, not filtering
// PrivateLink traffic through its security groups, with a listener on
// port, in at least two AZs (read from its subnets, as AZ IDs,
// which name the same zones in every account). Each refusal says what to
// change.
func InspectLoadBalancer(ctx *pulumi.Context, arn string, port int, account, region string, opts ...pulumi.InvokeOption) (*PublishableLoadBalancer, error) {
	m := loadBalancerArn.FindStringSubmatch(arn)
	switch {
	case m == nil:
		return nil, fmt.Errorf("not a load balancer ARN; use one such as arn:aws:elasticloadbalancing:%s:%s:loadbalancer/net/my-service/0123456789abcdef", region, account)
	case m[4] == "app":
		return nil, fmt.Errorf("an Application Load Balancer: PrivateLink publishes Network Load Balancers only; put an internal NLB in front of it (an NLB can target an ALB)")
	case m[4] == "gwy":
		return nil, fmt.Errorf("a Gateway Load Balancer: PrivateLink publishes a service through an internal Network Load Balancer")
	case m[3] != account:
		return nil, fmt.Errorf("in account %s, but this stack deploys to %s: an endpoint service is made in the load balancer's own account, so run this stack there", m[3], account)
	case m[2] != region:
		return nil, fmt.Errorf("in region %s, but this stack deploys to %s: set aws:region to %s", m[2], region, m[2])
	}
	found, err := lb.LookupLoadBalancer(ctx, &lb.LookupLoadBalancerArgs{Arn: &arn}, opts...)
	if err != nil {
		return nil, fmt.Errorf("looking it up: %w", err)
	}
	switch {
	case found.LoadBalancerType != "network":
		return nil, fmt.Errorf("a load balancer of type %q: PrivateLink publishes Network Load Balancers only", found.LoadBalancerType)
	case !found.Internal:
		return nil, fmt.Errorf("internet-facing: publish an internal Network Load Balancer, so the service is reached over PrivateLink only")
	case len(found.SecurityGroups) > 0 && found.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic != "off":
		// With enforcement on, PrivateLink traffic must pass the NLB's
		// inbound rules as coming from the consumers' own addresses, which
		// no rule the provider writes knows: every request and health check
		// through the consumer's endpoint is dropped. Who may connect is
		// the endpoint service's allowed principals' to decide.
		return nil, fmt.Errorf("has security groups %v whose inbound rules it applies to PrivateLink traffic (EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic is %q), so it would drop every request from a consumer's endpoint; turn that off, keeping its groups: aws elbv2 set-security-groups --load-balancer-arn %s --security-groups %s --enforce-security-group-inbound-rules-on-private-link-traffic off",
			found.SecurityGroups, enforcement(found.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic), arn, strings.Join(found.SecurityGroups, " "))
	}
	listener, err := lb.LookupListener(ctx, &lb.LookupListenerArgs{LoadBalancerArn: &arn, Port: &port}, opts...)
	if err != nil {
		return nil, fmt.Errorf("has no listener on port %d (%v): add one, or set the service port to the port its listener uses", port, err)
	}
	var groups []string
	for _, action := range listener.DefaultActions {
		arns := []string{action.TargetGroupArn}
		for _, forward := range action.Forwards {
			for _, g := range forward.TargetGroups {
				arns = append(arns, g.Arn)
			}
		}
		for _, g := range arns {
			if _, suffix, ok := strings.Cut(g, ":targetgroup/"); ok && !slices.Contains(groups, "targetgroup/"+suffix) {
				groups = append(groups, "targetgroup/"+suffix)
			}
		}
	}
	subnets := found.Subnets
	for _, mapping := range found.SubnetMappings {
		if !slices.Contains(subnets, mapping.SubnetId) {
			subnets = append(subnets, mapping.SubnetId)
		}
	}
	var zones []string
	for _, id := range subnets {
		subnet, err := ec2.LookupSubnet(ctx, &ec2.LookupSubnetArgs{Id: &id}, opts...)
		if err != nil {
			return nil, fmt.Errorf("looking up its subnet %s: %w", id, err)
		}
		if !slices.Contains(zones, subnet.AvailabilityZoneId) {
			zones = append(zones, subnet.AvailabilityZoneId)
		}
	}
	slices.Sort(zones)
	if len(zones) < 2 {
		return nil, fmt.Errorf("in one availability zone (%v): a consumer needs two it shares with the service; add a subnet in a second AZ to the load balancer", zones)
	}
	_, suffix, _ := strings.Cut(arn, ":loadbalancer/")
	return &PublishableLoadBalancer{Arn: arn, ArnSuffix: suffix, AvailabilityZoneIds: zones, TargetGroupArnSuffixes: groups}, nil
}

// enforcement is how AWS reports an NLB with security groups that never
// set the attribute: on.
func enforcement(value string) string {
	if value == "" {
		return "on"
	}
	return value
}
