package stacks

import (
	"fmt"

	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// exportProviderContract exports what the consumer stack reads from every
// provider, under the names in package contract.
func exportProviderContract(ctx *pulumi.Context, svc contract.Service, private *components.PrivateService, net *components.Network) error {
	if err := svc.Validate(); err != nil {
		return err
	}
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return fmt.Errorf("looking up the provider's region: %w", err)
	}
	ctx.Export(contract.EndpointServiceName, private.EndpointServiceName)
	ctx.Export(contract.EndpointServiceID, private.EndpointServiceId)
	ctx.Export(contract.AllowedPrincipals, pulumi.ToStringArray(private.AllowedPrincipals))
	ctx.Export(contract.ServicePort, pulumi.Int(private.Port))
	ctx.Export(contract.HealthCheckPath, pulumi.String(private.HealthCheckPath))
	ctx.Export(contract.Routes, pulumi.ToStringArray(svc.Routes))
	ctx.Export(contract.AvailabilityZoneIDs, pulumi.ToStringArray(net.AvailabilityZoneIds))
	ctx.Export(contract.Region, pulumi.String(region.Name))
	ctx.Export(contract.SupportedRegions, pulumi.ToStringArray(private.SupportedRegions))
	ctx.Export(contract.AcceptanceRequired, pulumi.Bool(private.AcceptanceRequired))
	ctx.Export(contract.AcceptedEndpoints, private.Accepted)
	return nil
}
