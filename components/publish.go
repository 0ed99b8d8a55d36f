package components

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Publishing is who may connect to an endpoint service, and how: the part
// of PrivateLinkNLBArgs and EndpointServiceArgs that publishes a load
// balancer over PrivateLink.
type Publishing struct {
	// AllowedPrincipals may create endpoints to the service: IAM ARNs such as
	// "arn:aws:iam::111111111111:root". Required; "*" is refused.
	AllowedPrincipals []string
	// AcceptanceRequired makes each new endpoint connection wait for the
	// provider to accept it. Default false: allowed principals connect directly.
	AcceptanceRequired bool
	// AcceptEndpoints are consumer endpoints to accept when
	// AcceptanceRequired is on. Each names the endpoint service it was
	// created for; one aimed at another service is refused with an error.
	AcceptEndpoints []ConsumerEndpoint
	// SupportedRegions lets endpoints in other regions connect (cross-region
	// PrivateLink). Empty: same region only.
	SupportedRegions []string
}

// publish creates the VPC endpoint service of nlbArn, name-endpoint-service,
// for exactly the allowed principals, and with acceptance on an accepter
// for each consumer endpoint, as children of parent. It returns the
// endpoint service and the accepted endpoints by consumer.
func publish(ctx *pulumi.Context, parent pulumi.Resource, name string, nlbArn pulumi.StringInput, p Publishing, tags pulumi.StringMapInput) (*ec2.VpcEndpointService, pulumi.StringMap, error) {
	args := &ec2.VpcEndpointServiceArgs{
		NetworkLoadBalancerArns: pulumi.StringArray{nlbArn},
		AllowedPrincipals:       pulumi.ToStringArray(p.AllowedPrincipals),
		AcceptanceRequired:      pulumi.Bool(p.AcceptanceRequired),
		SupportedIpAddressTypes: pulumi.StringArray{pulumi.String("ipv4")},
		Tags:                    tags,
	}
	if len(p.SupportedRegions) > 0 {
		args.SupportedRegions = pulumi.ToStringArray(p.SupportedRegions)
	}
	service, err := ec2.NewVpcEndpointService(ctx, name+"-endpoint-service", args, pulumi.Parent(parent))
	if err != nil {
		return nil, nil, fmt.Errorf("creating endpoint service: %w", err)
	}
	accepted := pulumi.StringMap{}
	if p.AcceptanceRequired {
		if accepted, err = acceptEndpoints(ctx, parent, name, service.ID().ToStringOutput(), p.AcceptEndpoints); err != nil {
			return nil, nil, err
		}
	}
	return service, accepted, nil
}

// acceptEndpoints approves each consumer endpoint, after checking it was
// created for this very endpoint service: the consumer's export is another
// account's word, so it is checked, not trusted. It returns the accepted
// endpoint IDs by consumer, known once each connection is accepted.
func acceptEndpoints(ctx *pulumi.Context, parent pulumi.Resource, name string, serviceID pulumi.StringOutput, endpoints []ConsumerEndpoint) (pulumi.StringMap, error) {
	accepted := pulumi.StringMap{}
	for i, e := range endpoints {
		checked := serviceID.ApplyT(func(id string) (string, error) {
			if id != e.EndpointServiceID {
				return "", fmt.Errorf("consumer endpoint %s is for endpoint service %s, not this one (%s); refusing to accept it: redeploy the consumer so it reads this provider's current contract", e.EndpointID, e.EndpointServiceID, id)
			}
			return id, nil
		}).(pulumi.StringOutput)
		accepter, err := ec2.NewVpcEndpointConnectionAccepter(ctx, fmt.Sprintf("%s-accept-%d", name, i+1), &ec2.VpcEndpointConnectionAccepterArgs{
			VpcEndpointId:        pulumi.String(e.EndpointID),
			VpcEndpointServiceId: checked,
		}, pulumi.Parent(parent),
			// Deleting an accepter rejects its connection
			// (RejectVpcEndpointConnections), and a replaced one is deleted
			// while the endpoint may still carry every request of the
			// consumer. Retained, an acceptance ends only when the consumer
			// deletes its endpoint, or when the provider rejects it on
			// purpose (docs/updates.md).
			pulumi.RetainOnDelete(true))
		if err != nil {
			return nil, fmt.Errorf("accepting endpoint %s: %w", e.EndpointID, err)
		}
		accepted[e.Consumer] = accepter.VpcEndpointId
	}
	return accepted, nil
}

// checkPrincipals refuses an endpoint service no one may use, and one
// anyone may.
func checkPrincipals(principals []string) error {
	if len(principals) == 0 {
		return fmt.Errorf("AllowedPrincipals is empty: name the consumer principals, e.g. arn:aws:iam::111111111111:root")
	}
	for _, p := range principals {
		if strings.Contains(p, "*") {
			return fmt.Errorf("AllowedPrincipals contains %q: wildcards would let any AWS account connect", p)
		}
	}
	return nil
}
