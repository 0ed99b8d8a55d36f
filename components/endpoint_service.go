package components

import (
	"errors"
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// EndpointServiceArgs configures an EndpointService. Set LoadBalancerArn
// or ExistingServiceId.
type EndpointServiceArgs struct {
	// LoadBalancerArn is an internal Network Load Balancer that already
	// serves the service (one an EKS controller, another team's IaC or an
	// on-premises integration made): a new endpoint service publishes it.
	// Check it first with InspectLoadBalancer.
	LoadBalancerArn string
	// ExistingServiceId is an endpoint service that already exists
	// (vpce-svc-...): it is read, never changed, and published as it is.
	ExistingServiceId string
	// Publishing is who may connect to a new service. For an existing one
	// the principals and regions are read from it (principals, when set,
	// must match it), and AcceptanceRequired must say what the service
	// does, as it decides whether AcceptEndpoints are accepted.
	Publishing
	// Tags are applied to a new service.
	Tags pulumi.StringMapInput
}

// EndpointService publishes a service that already runs behind a Network
// Load Balancer as a VPC endpoint service for allow-listed principals: a new
// endpoint service on the load balancer, or one that exists already.
type EndpointService struct {
	pulumi.ResourceState

	ServiceId   pulumi.StringOutput
	ServiceName pulumi.StringOutput
	// LoadBalancerArns are the load balancers behind the service.
	LoadBalancerArns   pulumi.StringArrayOutput
	AllowedPrincipals  pulumi.StringArrayOutput
	AcceptanceRequired bool
	SupportedRegions   pulumi.StringArrayOutput
	// Accepted maps each accepted endpoint's Consumer to its endpoint ID.
	Accepted pulumi.StringMapOutput
}

// NewEndpointService creates an EndpointService.
func NewEndpointService(ctx *pulumi.Context, name string, args *EndpointServiceArgs, opts ...pulumi.ResourceOption) (_ *EndpointService, err error) {
	defer componentErrors{"endpoint service", name}.wrap(&err)
	if args == nil || (args.LoadBalancerArn == "") == (args.ExistingServiceId == "") {
		return nil, errors.New("set exactly one of LoadBalancerArn and ExistingServiceId")
	}
	a := *args
	if a.LoadBalancerArn != "" {
		if err := checkPrincipals(a.AllowedPrincipals); err != nil {
			return nil, err
		}
	}
	es := &EndpointService{AcceptanceRequired: a.AcceptanceRequired}
	if err := ctx.RegisterComponentResource("private-apis:privatelink:EndpointService", name, es, opts...); err != nil {
		return nil, err
	}

	var service *ec2.VpcEndpointService
	accepted := pulumi.StringMap{}
	if a.LoadBalancerArn != "" {
		service, accepted, err = publish(ctx, es, name, pulumi.String(a.LoadBalancerArn), a.Publishing, a.Tags)
		if err != nil {
			return nil, err
		}
	} else {
		if service, err = ec2.GetVpcEndpointService(ctx, name+"-endpoint-service", pulumi.ID(a.ExistingServiceId), nil, pulumi.Parent(es)); err != nil {
			return nil, fmt.Errorf("reading %s: %w", a.ExistingServiceId, err)
		}
	}
	es.ServiceId = es.checkedExisting(service, a)
	if a.ExistingServiceId != "" && a.AcceptanceRequired {
		if accepted, err = acceptEndpoints(ctx, es, name, es.ServiceId, a.AcceptEndpoints); err != nil {
			return nil, err
		}
	}

	es.ServiceName = service.ServiceName
	es.LoadBalancerArns = service.NetworkLoadBalancerArns
	es.AllowedPrincipals = service.AllowedPrincipals
	es.SupportedRegions = service.SupportedRegions
	es.Accepted = accepted.ToStringMapOutput()
	if err := ctx.RegisterResourceOutputs(es, pulumi.Map{
		"serviceId":        es.ServiceId,
		"serviceName":      es.ServiceName,
		"loadBalancerArns": es.LoadBalancerArns,
		"accepted":         es.Accepted,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs: %w", err)
	}
	return es, nil
}

// checkedExisting is the service's ID, once an existing service has been
// found to be one a consumer can rely on: principals listed and none a
// wildcard, exactly the configured ones when some are configured, and
// acceptance as configured. A new service is what its args say already.
func (es *EndpointService) checkedExisting(service *ec2.VpcEndpointService, a EndpointServiceArgs) pulumi.StringOutput {
	id := service.ID().ToStringOutput()
	if a.ExistingServiceId == "" {
		return id
	}
	return pulumi.All(id, service.AllowedPrincipals, service.AcceptanceRequired).ApplyT(func(v []any) (string, error) {
		id, principals, acceptance := v[0].(string), v[1].([]string), v[2].(bool)
		if err := checkPrincipals(principals); err != nil {
			return "", fmt.Errorf("endpoint service %s allows %q: %w", id, principals, err)
		}
		if len(a.AllowedPrincipals) > 0 && !sameSet(principals, a.AllowedPrincipals) {
			return "", fmt.Errorf("endpoint service %s allows %q, not the configured %q: make them the same, so the contract says who may connect", id, principals, a.AllowedPrincipals)
		}
		if acceptance != a.AcceptanceRequired {
			return "", fmt.Errorf("endpoint service %s has acceptance required %v, but AcceptanceRequired is %v: set it to what the service does", id, acceptance, a.AcceptanceRequired)
		}
		return id, nil
	}).(pulumi.StringOutput)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
