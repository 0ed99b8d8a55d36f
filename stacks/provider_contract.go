package stacks

import (
	"fmt"

	"github.com/private-apis/private-apis/contract"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// publishedService is a provider's service as its contract describes it,
// whichever role published it.
type publishedService struct {
	Service             contract.Service
	EndpointServiceName pulumi.StringOutput
	EndpointServiceID   pulumi.StringOutput
	AllowedPrincipals   pulumi.StringArrayInput
	AvailabilityZoneIDs pulumi.StringArrayInput
	SupportedRegions    pulumi.StringArrayInput
	AcceptanceRequired  bool
	Accepted            pulumi.StringMapOutput
}

// exportProviderContract exports what the consumer stack reads from every
// provider, under the names in package contract, at this contract version.
func exportProviderContract(ctx *pulumi.Context, p publishedService) error {
	if err := p.Service.Validate(); err != nil {
		return err
	}
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return fmt.Errorf("looking up the provider's region: %w", err)
	}
	ctx.Export(contract.ContractVersion, pulumi.String(contract.Version))
	ctx.Export(contract.EndpointServiceName, p.EndpointServiceName)
	ctx.Export(contract.EndpointServiceID, p.EndpointServiceID)
	ctx.Export(contract.AllowedPrincipals, p.AllowedPrincipals)
	ctx.Export(contract.ServicePort, pulumi.Int(p.Service.Port))
	ctx.Export(contract.HealthCheckPath, pulumi.String(p.Service.HealthCheckPath))
	ctx.Export(contract.Routes, pulumi.ToStringArray(p.Service.Routes))
	ctx.Export(contract.AvailabilityZoneIDs, p.AvailabilityZoneIDs)
	ctx.Export(contract.Region, pulumi.String(region.Name))
	ctx.Export(contract.SupportedRegions, p.SupportedRegions)
	ctx.Export(contract.AcceptanceRequired, pulumi.Bool(p.AcceptanceRequired))
	ctx.Export(contract.AcceptedEndpoints, p.Accepted)
	return nil
}
