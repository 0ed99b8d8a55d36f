package components

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

func TestApiDomainRejectsBadArgs(t *testing.T) {
	api, stage := pulumi.String("a1b2c3"), pulumi.String("$default")
	for name, args := range map[string]*ApiDomainArgs{
		"no name":        {HostedZoneId: "Z1", ApiId: api, Stage: stage},
		"no api":         {DomainName: "api.example.com", HostedZoneId: "Z1", Stage: stage},
		"no stage":       {DomainName: "api.example.com", HostedZoneId: "Z1", ApiId: api},
		"neither source": {DomainName: "api.example.com", ApiId: api, Stage: stage},
		"both sources":   {DomainName: "api.example.com", HostedZoneId: "Z1", CertificateArn: "arn:aws:acm:us-west-2:1:certificate/x", ApiId: api, Stage: stage},
	} {
		t.Run(name, func(t *testing.T) {
			m, _, err := run(t, func(ctx *pulumi.Context) error {
				_, err := NewApiDomain(ctx, "domain", args)
				return err
			})
			require.ErrorContains(t, err, "api domain domain:")
			require.Empty(t, m.Resources())
		})
	}
}

func TestApiDomainChildrenAreNamedAfterIt(t *testing.T) {
	m, out, err := run(t, func(ctx *pulumi.Context) error {
		d, err := NewApiDomain(ctx, "edge", &ApiDomainArgs{
			DomainName: "api.example.com", HostedZoneId: "Z0123456789EXAMPLE",
			ApiId: pulumi.String("a1b2c3"), Stage: pulumi.String("$default"),
		})
		if err != nil {
			return err
		}
		ctx.Export("url", d.Url)
		return nil
	})
	require.NoError(t, err)
	var names []string
	for _, r := range m.Resources() {
		names = append(names, r.Type+" "+r.Name)
	}
	require.ElementsMatch(t, []string{
		"private-apis:apigateway:ApiDomain edge",
		"aws:acm/certificate:Certificate edge-cert",
		"aws:route53/record:Record edge-cert-validation",
		"aws:acm/certificateValidation:CertificateValidation edge-cert-validation",
		"aws:apigatewayv2/domainName:DomainName edge",
		"aws:apigatewayv2/apiMapping:ApiMapping edge-mapping",
		"aws:route53/record:Record edge-alias",
	}, names)
	require.Equal(t, "https://api.example.com", out["url"])
}

func TestCertificateCovers(t *testing.T) {
	for _, tt := range []struct {
		domain string
		names  []string
		want   bool
	}{
		{"api.example.com", []string{"api.example.com"}, true},
		{"api.example.com", []string{"API.Example.com"}, true},
		{"api.example.com", []string{"*.example.com"}, true},
		{"example.com", []string{"*.example.com"}, false},
		{"v1.api.example.com", []string{"*.example.com"}, false},
		{"api.example.com", []string{"example.com", "www.example.com"}, false},
		{"api.example.com", []string{"www.example.com", "api.example.com"}, true},
		{"api.example.com", nil, false},
	} {
		require.Equal(t, tt.want, CertificateCovers(tt.domain, tt.names...), "%s by %v", tt.domain, tt.names)
	}
}
