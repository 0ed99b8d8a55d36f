package stacks

import (
	"fmt"

	"github.com/private-apis/private-apis/components"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// apiDomainName names the consumer's ApiDomain, and so prefixes its
// resources.
const apiDomainName = apiName + "-domain"

// inspectDomain refuses, before anything is created, a custom domain that
// cannot work: a name outside its hosted zone, a private zone, or a
// certificate from another account or region, not issued, or not covering
// the name.
func inspectDomain(ctx *pulumi.Context, d domainConfig, account, region string) error {
	switch {
	case d.Name == "":
		return nil
	case d.HostedZoneID != "":
		if err := components.InspectHostedZone(ctx, d.HostedZoneID, d.Name); err != nil {
			return fmt.Errorf("%s:hostedZoneId = %q: %w", namespace, d.HostedZoneID, err)
		}
	default:
		if err := components.InspectCertificate(ctx, apiDomainName+"-existing-cert", d.CertificateArn, d.Name, account, region); err != nil {
			return fmt.Errorf("%s:certificateArn = %q: %w", namespace, d.CertificateArn, err)
		}
	}
	return nil
}

// apiAddress gives the API its custom domain, when one is configured, and
// exports apiUrl, the address clients use: the custom domain, else the
// default execute-api endpoint. With a certificate of the user's, DNS is
// theirs too, so the stack exports where the name must point.
func apiAddress(ctx *pulumi.Context, d domainConfig, api *components.PrivateApi, tags pulumi.StringMap) error {
	if d.Name == "" {
		ctx.Export("apiUrl", api.ApiEndpoint)
		return nil
	}
	domain, err := components.NewApiDomain(ctx, apiDomainName, &components.ApiDomainArgs{
		DomainName:     d.Name,
		HostedZoneId:   d.HostedZoneID,
		CertificateArn: d.CertificateArn,
		ApiId:          api.ApiId,
		Stage:          api.StageName,
		Tags:           tags,
	})
	if err != nil {
		return err
	}
	ctx.Export("apiUrl", domain.Url)
	if d.CertificateArn != "" && !d.KeepExecuteApiEndpoint {
		// Not an error: on a first deployment there is nobody to cut off.
		if err := ctx.Log.Warn(fmt.Sprintf("the API answers only at https://%s, once its DNS points at the domainTarget output (`pulumi stack output -s %s domainTarget`); clients of its execute-api address get 403 from this update on. To move clients over first, set private-apis:keepExecuteApiEndpoint: true, and remove it once they have.", d.Name, ctx.Stack()), nil); err != nil {
			return fmt.Errorf("warning about the domain's DNS: %w", err)
		}
	}
	if d.CertificateArn != "" {
		ctx.Export("domainTarget", pulumi.Map{
			"name":         domain.TargetDomainName,
			"hostedZoneId": domain.TargetHostedZoneId,
		})
	}
	return nil
}
