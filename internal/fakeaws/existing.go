package fakeaws

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// LoadBalancer is a load balancer that exists in the account before the
// program runs, as the getLoadBalancer, getListener and getSubnet invokes
// find it.
type LoadBalancer struct {
	// Type is "network", "application" or "gateway".
	Type     string
	Internal bool
	// Subnets maps each of its subnets to the subnet's AZ ID.
	Subnets map[string]string
	// Ports are its listeners' ports.
	Ports []int
	// SecurityGroups are its security groups, and EnforcePrivateLink the
	// value of its enforce_security_group_inbound_rules_on_private_link_traffic
	// attribute ("on", "off", or empty as AWS reports it without groups).
	SecurityGroups     []string
	EnforcePrivateLink string
}

// EndpointService is a VPC endpoint service that exists before the program
// runs, as reading it by ID (ec2.GetVpcEndpointService) finds it.
type EndpointService struct {
	LoadBalancerArns   []string
	AllowedPrincipals  []string
	AcceptanceRequired bool
	SupportedRegions   []string
}

// existingVpc is the VPC the account's existing load balancers and their
// subnets are in.
const existingVpc = "vpc-0e1d2c3b4a5968770"

// listenerArn is the ARN ELB gives a load balancer's listener:
// listener/<type>/<load balancer name>/<its id>/<the listener's id>.
func listenerArn(loadBalancerArn, seed string) string {
	return strings.Replace(loadBalancerArn, ":loadbalancer/", ":listener/", 1) + "/" + digest(seed)[:16]
}

func (m *AWS) lookupLoadBalancer(args resource.PropertyMap) (map[string]any, error) {
	arn, _ := args["arn"].V.(string)
	lb, ok := m.LoadBalancers[arn]
	if !ok {
		return nil, fmt.Errorf("reading ELBv2 Load Balancer (%s): LoadBalancerNotFound: One or more load balancers not found", arn)
	}
	subnets := make([]any, 0, len(lb.Subnets))
	mappings := make([]any, 0, len(lb.Subnets))
	for _, id := range sortedKeys(lb.Subnets) {
		subnets = append(subnets, id)
		mappings = append(mappings, map[string]any{"subnetId": id})
	}
	return map[string]any{
		"id": arn, "arn": arn, "loadBalancerType": lb.Type, "internal": lb.Internal,
		"subnets": subnets, "subnetMappings": mappings, "vpcId": existingVpc,
		"securityGroups": append([]string{}, lb.SecurityGroups...),
		"enforceSecurityGroupInboundRulesOnPrivateLinkTraffic": lb.EnforcePrivateLink,
	}, nil
}

func (m *AWS) lookupListener(args resource.PropertyMap) (map[string]any, error) {
	arn, _ := args["loadBalancerArn"].V.(string)
	port, _ := args["port"].V.(float64)
	if lb, ok := m.LoadBalancers[arn]; ok && slices.Contains(lb.Ports, int(port)) {
		// It forwards to a target group named after the load balancer and
		// port, as controllers such as the AWS Load Balancer Controller make.
		prefix, rest, _ := strings.Cut(arn, ":loadbalancer/")
		name := strings.Split(rest, "/")[1]
		group := fmt.Sprintf("%s:targetgroup/%s-%d/%s", prefix, name, int(port), digest(arn)[:16])
		return map[string]any{
			"id": listenerArn(arn, fmt.Sprintf("%s:%d", arn, int(port))), "loadBalancerArn": arn, "port": port, "protocol": "TCP",
			"defaultActions": []any{map[string]any{"type": "forward", "targetGroupArn": group}},
		}, nil
	}
	return nil, fmt.Errorf("reading ELBv2 Listener: couldn't find resource (load balancer %s, port %d)", arn, int(port))
}

func (m *AWS) lookupSubnet(args resource.PropertyMap) (map[string]any, error) {
	id, _ := args["id"].V.(string)
	for _, lb := range m.LoadBalancers {
		if az, ok := lb.Subnets[id]; ok {
			return map[string]any{"id": id, "availabilityZoneId": az, "vpcId": existingVpc}, nil
		}
	}
	return nil, fmt.Errorf("no matching EC2 Subnet found (id %q)", id)
}

// readEndpointService answers reading an existing endpoint service by ID
// with its state, or fails as reading a missing one does.
func (m *AWS) readEndpointService(id string) (resource.PropertyMap, error) {
	es, ok := m.EndpointServices[id]
	if !ok {
		return nil, fmt.Errorf("reading EC2 VPC Endpoint Service (%s): InvalidVpcEndpointServiceId.NotFound", id)
	}
	regions := es.SupportedRegions
	if regions == nil {
		regions = []string{}
	}
	return resource.NewPropertyMapFromMap(map[string]any{
		"id":                      id,
		"serviceName":             fmt.Sprintf("com.amazonaws.vpce.%s.%s", m.Region, id),
		"networkLoadBalancerArns": es.LoadBalancerArns,
		"allowedPrincipals":       es.AllowedPrincipals,
		"acceptanceRequired":      es.AcceptanceRequired,
		"supportedRegions":        regions,
		"state":                   "Available",
	}), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
