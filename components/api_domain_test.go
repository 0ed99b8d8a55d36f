package components

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

// testZoneID and testApiID are a hosted zone's and an HTTP API's IDs in
// AWS's shapes.
const (
	testZoneID = "Z0123456789ABCDEFGHIJ"
	testApiID  = "a1b2c3d4e5"
)

func TestApiDomainRejectsBadArgs(t *testing.T) {
	const cert = "arn:aws:acm:us-west-2:222222222222:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"
	api, stage := pulumi.String(testApiID), pulumi.String("$default")
	for name, tt := range map[string]struct {
		args *ApiDomainArgs
		want string
	}{
		"no name":        {&ApiDomainArgs{HostedZoneId: testZoneID, ApiId: api, Stage: stage}, "DomainName, ApiId and Stage are required"},
		"no api":         {&ApiDomainArgs{DomainName: "api.example.com", HostedZoneId: testZoneID, Stage: stage}, "DomainName, ApiId and Stage are required"},
		"no stage":       {&ApiDomainArgs{DomainName: "api.example.com", HostedZoneId: testZoneID, ApiId: api}, "DomainName, ApiId and Stage are required"},
		"neither source": {&ApiDomainArgs{DomainName: "api.example.com", ApiId: api, Stage: stage}, "set exactly one of HostedZoneId and CertificateArn"},
		"both sources":   {&ApiDomainArgs{DomainName: "api.example.com", HostedZoneId: testZoneID, CertificateArn: cert, ApiId: api, Stage: stage}, "set exactly one of HostedZoneId and CertificateArn"},
	} {
		t.Run(name, func(t *testing.T) {
			m, _, err := run(t, func(ctx *pulumi.Context) error {
				_, err := NewApiDomain(ctx, "domain", tt.args)
				return err
			})
			require.ErrorContains(t, err, tt.want)
			requireNamedOnce(t, err, "api domain domain")
			require.Empty(t, m.Resources())
		})
	}
}

func TestApiDomainChildrenAreNamedAfterIt(t *testing.T) {
	m, out, err := run(t, func(ctx *pulumi.Context) error {
		d, err := NewApiDomain(ctx, "edge", &ApiDomainArgs{
			DomainName: "api.example.com", HostedZoneId: testZoneID,
			ApiId: pulumi.String(testApiID), Stage: pulumi.String("$default"),
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
