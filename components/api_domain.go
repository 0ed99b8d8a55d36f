package components

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigatewayv2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ApiDomainArgs configures an ApiDomain. Set HostedZoneId or
// CertificateArn.
type ApiDomainArgs struct {
	// DomainName is the API's own name, e.g. api.example.com. Required.
	DomainName string
	// HostedZoneId is a public Route 53 zone DomainName is in: a
	// certificate is created and validated by DNS records in the zone, and
	// an alias record points the name at the API.
	HostedZoneId string
	// CertificateArn is an ACM certificate in the API's region that covers
	// DomainName: nothing is changed in DNS; point the name at
	// TargetDomainName (an alias to TargetHostedZoneId, or a CNAME) yourself.
	// InspectCertificate checks one before anything is created.
	CertificateArn string
	// ApiId and Stage are what the name maps to, both required; Stage is
	// the stage's name as its resource outputs it, so the mapping waits for
	// the stage to exist.
	ApiId pulumi.StringInput
	Stage pulumi.StringInput
	// Tags are applied to every taggable resource.
	Tags pulumi.StringMapInput
}

// ApiDomain is an HTTP or REST API's custom domain: a regional API Gateway domain
// name with a TLS 1.2 security policy, mapped to the API's stage, with its
// certificate and DNS records when it is given a hosted zone.
type ApiDomain struct {
	pulumi.ResourceState

	// Url is https://DomainName.
	Url pulumi.StringOutput
	// TargetDomainName and TargetHostedZoneId are where the name must point.
	TargetDomainName   pulumi.StringOutput
	TargetHostedZoneId pulumi.StringOutput
}

// NewApiDomain creates an ApiDomain.
func NewApiDomain(ctx *pulumi.Context, name string, args *ApiDomainArgs, opts ...pulumi.ResourceOption) (_ *ApiDomain, err error) {
	defer componentErrors{"api domain", name}.wrap(&err)
	if args == nil || args.DomainName == "" || args.ApiId == nil || args.Stage == nil {
		return nil, errors.New("DomainName, ApiId and Stage are required")
	}
	if (args.HostedZoneId == "") == (args.CertificateArn == "") {
		return nil, errors.New("set exactly one of HostedZoneId and CertificateArn")
	}
	a := *args
	d := &ApiDomain{}
	if err := ctx.RegisterComponentResource("private-apis:apigateway:ApiDomain", name, d, opts...); err != nil {
		return nil, err
	}

	certificate := pulumi.StringInput(pulumi.String(a.CertificateArn))
	if a.HostedZoneId != "" {
		var err error
		if certificate, err = d.validatedCertificate(ctx, name, a); err != nil {
			return nil, err
		}
	}
	domain, err := apigatewayv2.NewDomainName(ctx, name, &apigatewayv2.DomainNameArgs{
		DomainName: pulumi.String(a.DomainName),
		DomainNameConfiguration: &apigatewayv2.DomainNameDomainNameConfigurationArgs{
			CertificateArn: certificate,
			EndpointType:   pulumi.String("REGIONAL"),
			SecurityPolicy: pulumi.String("TLS_1_2"),
		},
		Tags: a.Tags,
	}, pulumi.Parent(d))
	if err != nil {
		return nil, fmt.Errorf("creating domain name: %w", err)
	}
	// A new API (another API type) replaces the mapping, and a domain takes
	// one mapping per path (ConflictException), so the old one goes first.
	if _, err := apigatewayv2.NewApiMapping(ctx, name+"-mapping", &apigatewayv2.ApiMappingArgs{
		ApiId:      a.ApiId,
		DomainName: domain.ID(),
		Stage:      a.Stage,
	}, pulumi.Parent(d), pulumi.DeleteBeforeReplace(true)); err != nil {
		return nil, fmt.Errorf("mapping the API: %w", err)
	}
	d.TargetDomainName = domain.DomainNameConfiguration.TargetDomainName().Elem()
	d.TargetHostedZoneId = domain.DomainNameConfiguration.HostedZoneId().Elem()
	if a.HostedZoneId != "" {
		if _, err := route53.NewRecord(ctx, name+"-alias", &route53.RecordArgs{
			ZoneId: pulumi.String(a.HostedZoneId),
			Name:   pulumi.String(a.DomainName),
			Type:   pulumi.String("A"),
			Aliases: route53.RecordAliasArray{&route53.RecordAliasArgs{
				Name:                 d.TargetDomainName,
				ZoneId:               d.TargetHostedZoneId,
				EvaluateTargetHealth: pulumi.Bool(false),
			}},
		}, pulumi.Parent(d)); err != nil {
			return nil, fmt.Errorf("creating alias record: %w", err)
		}
	}
	d.Url = pulumi.Sprintf("https://%s", domain.DomainName)
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{
		"url":                d.Url,
		"targetDomainName":   d.TargetDomainName,
		"targetHostedZoneId": d.TargetHostedZoneId,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs: %w", err)
	}
	return d, nil
}

// validatedCertificate requests a certificate for the name, validated by
// the DNS record ACM asks for in the zone, and returns its ARN once it is
// issued.
func (d *ApiDomain) validatedCertificate(ctx *pulumi.Context, name string, a ApiDomainArgs) (pulumi.StringOutput, error) {
	cert, err := acm.NewCertificate(ctx, name+"-cert", &acm.CertificateArgs{
		DomainName:       pulumi.String(a.DomainName),
		ValidationMethod: pulumi.String("DNS"),
		Tags:             a.Tags,
	}, pulumi.Parent(d))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("requesting certificate: %w", err)
	}
	option := cert.DomainValidationOptions.Index(pulumi.Int(0))
	record, err := route53.NewRecord(ctx, name+"-cert-validation", &route53.RecordArgs{
		ZoneId:         pulumi.String(a.HostedZoneId),
		Name:           option.ResourceRecordName().Elem(),
		Type:           option.ResourceRecordType().Elem(),
		Records:        pulumi.StringArray{option.ResourceRecordValue().Elem()},
		Ttl:            pulumi.Int(300),
		AllowOverwrite: pulumi.Bool(true),
	}, pulumi.Parent(d))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating certificate validation record: %w", err)
	}
	validation, err := acm.NewCertificateValidation(ctx, name+"-cert-validation", &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: pulumi.StringArray{record.Fqdn},
	}, pulumi.Parent(d))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("validating certificate: %w", err)
	}
	return validation.CertificateArn, nil
}
