package stacks

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

const (
	testZoneID = "Z0123456789EXAMPLE"
	testCert   = "arn:aws:acm:us-west-2:111111111111:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"
)

// withAccountDomains gives the consumer's account a public zone for
// example.com, a private one, and certificates in each state that matters.
func withAccountDomains(m *fakeaws.AWS) {
	m.HostedZones[testZoneID] = fakeaws.HostedZone{Name: "example.com.", Records: []fakeaws.Record{
		{Name: "example.com.", Type: "NS"}, {Name: "example.com.", Type: "SOA"}, {Name: "www.example.com.", Type: "A"},
		{Name: "team.example.com.", Type: "NS"}, // delegated to the team's own zone
	}}
	m.HostedZones["ZPRIVATE0000000"] = fakeaws.HostedZone{Name: "example.com.", Private: true}
	m.Certificates[testCert] = fakeaws.Certificate{DomainName: "*.example.com", Status: "ISSUED"}
	m.Certificates["arn:aws:acm:us-west-2:111111111111:certificate/11111111-1111-1111-1111-111111111111"] = fakeaws.Certificate{DomainName: "example.com", AlternativeNames: []string{"www.example.com"}, Status: "ISSUED"}
	m.Certificates["arn:aws:acm:us-west-2:111111111111:certificate/22222222-2222-2222-2222-222222222222"] = fakeaws.Certificate{DomainName: "api.example.com", Status: "PENDING_VALIDATION"}
}

func TestConsumerCustomDomainInHostedZone(t *testing.T) {
	cfg := with(validConsumerConfig(), "domainName", "api.example.com", "hostedZoneId", testZoneID)
	m, out, err := runConsumerStack(t, cfg, twoProviders(), withAccountDomains)
	require.NoError(t, err)

	cert := m.ByType("aws:acm/certificate:Certificate")
	require.Len(t, cert, 1)
	require.Equal(t, "api.example.com", cert[0].Map()["domainName"])
	require.Equal(t, "DNS", cert[0].Map()["validationMethod"])

	validationRecord, ok := m.Named("aws:route53/record:Record", "api-domain-cert-validation")
	require.True(t, ok)
	option := cert[0].OutputMap()["domainValidationOptions"].([]any)[0].(map[string]any)
	require.Equal(t, map[string]any{
		"zoneId": testZoneID, "name": option["resourceRecordName"], "type": "CNAME",
		"records": []any{option["resourceRecordValue"]}, "ttl": 300.0, "allowOverwrite": true,
	}, validationRecord.Map(), "the record ACM asks for, in the zone")
	validation := m.ByType("aws:acm/certificateValidation:CertificateValidation")
	require.Len(t, validation, 1)
	require.Equal(t, cert[0].OutputMap()["arn"], validation[0].Map()["certificateArn"])
	require.Equal(t, []any{validationRecord.OutputMap()["fqdn"]}, validation[0].Map()["validationRecordFqdns"])

	domain, ok := m.Named("aws:apigatewayv2/domainName:DomainName", "api-domain")
	require.True(t, ok)
	require.Equal(t, "api.example.com", domain.Map()["domainName"])
	require.Equal(t, map[string]any{
		"certificateArn": validation[0].OutputMap()["certificateArn"], "endpointType": "REGIONAL", "securityPolicy": "TLS_1_2",
	}, domain.Map()["domainNameConfiguration"], "the validated certificate: the domain waits for validation")

	api := m.ByType("aws:apigatewayv2/api:Api")[0]
	mapping := m.ByType("aws:apigatewayv2/apiMapping:ApiMapping")
	require.Len(t, mapping, 1)
	require.Equal(t, map[string]any{"apiId": api.ID, "domainName": domain.ID, "stage": "$default"}, mapping[0].Map(), "the whole API at the name's root")

	alias, ok := m.Named("aws:route53/record:Record", "api-domain-alias")
	require.True(t, ok)
	target := domain.OutputMap()["domainNameConfiguration"].(map[string]any)
	require.Equal(t, map[string]any{
		"zoneId": testZoneID, "name": "api.example.com", "type": "A",
		"aliases": []any{map[string]any{"name": target["targetDomainName"], "zoneId": target["hostedZoneId"], "evaluateTargetHealth": false}},
	}, alias.Map())
	require.Equal(t, "Z2OJLYMUO9EFXC", target["hostedZoneId"], "API Gateway's own zone in us-west-2")

	require.Equal(t, true, api.Map()["disableExecuteApiEndpoint"], "one address by default")
	require.Equal(t, "https://api.example.com", out["apiUrl"])
	require.NotContains(t, out, "domainTarget", "Route 53 points the name: nothing for the user to do")
}

func TestConsumerCustomDomainAtTheZoneApexAndBelow(t *testing.T) {
	for _, name := range []string{"example.com", "v1.api.example.com"} {
		_, out, err := runConsumerStack(t, with(validConsumerConfig(), "domainName", name, "hostedZoneId", testZoneID), twoProviders(), withAccountDomains)
		require.NoError(t, err, name)
		require.Equal(t, "https://"+name, out["apiUrl"])
	}
}

func TestConsumerCustomDomainWithOwnCertificate(t *testing.T) {
	for _, tt := range []struct{ name, domain, cert string }{
		{"wildcard", "api.example.com", testCert},
		{"alternative name", "www.example.com", "arn:aws:acm:us-west-2:111111111111:certificate/11111111-1111-1111-1111-111111111111"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := with(validConsumerConfig(), "domainName", tt.domain, "certificateArn", tt.cert, "keepExecuteApiEndpoint", "true")
			m, out, err := runConsumerStack(t, cfg, twoProviders(), withAccountDomains)
			require.NoError(t, err)

			require.Empty(t, m.ByType("aws:route53/record:Record"), "DNS is the user's")
			var created []string
			for _, c := range m.ByType("aws:acm/certificate:Certificate") {
				if !c.Read {
					created = append(created, c.Name)
				}
			}
			require.Empty(t, created, "their certificate is only read")
			domain, ok := m.Named("aws:apigatewayv2/domainName:DomainName", "api-domain")
			require.True(t, ok)
			require.Equal(t, tt.cert, domain.Map()["domainNameConfiguration"].(map[string]any)["certificateArn"])
			require.Equal(t, false, m.ByType("aws:apigatewayv2/api:Api")[0].Map()["disableExecuteApiEndpoint"], "kept on request")

			require.Equal(t, "https://"+tt.domain, out["apiUrl"])
			target := domain.OutputMap()["domainNameConfiguration"].(map[string]any)
			require.Equal(t, map[string]any{"name": target["targetDomainName"], "hostedZoneId": target["hostedZoneId"]}, out["domainTarget"],
				"where the user points the name")
		})
	}
}

func TestConsumerWithoutCustomDomain(t *testing.T) {
	m, out, err := runConsumerStack(t, validConsumerConfig(), twoProviders(), nil)
	require.NoError(t, err)
	require.Empty(t, m.ByType("aws:apigatewayv2/domainName:DomainName"))
	require.Empty(t, m.ByType("aws:acm/certificate:Certificate"))
	require.Equal(t, false, m.ByType("aws:apigatewayv2/api:Api")[0].Map()["disableExecuteApiEndpoint"])
	require.Equal(t, out["apiEndpoint"], out["apiUrl"], "the default endpoint is the address")
	require.NotEmpty(t, out["apiUrl"])
}

func TestConsumerCustomDomainPreview(t *testing.T) {
	for _, source := range []map[string]string{
		{"hostedZoneId": testZoneID},
		{"certificateArn": testCert},
	} {
		cfg := with(validConsumerConfig(), "domainName", "api.example.com")
		for k, v := range source {
			cfg[k] = v
		}
		m, out, err := runConsumerStack(t, cfg, twoProviders(), func(m *fakeaws.AWS) {
			withAccountDomains(m)
			m.Preview = true
		})
		require.NoError(t, err, "%v", source)
		require.Len(t, m.ByType("aws:apigatewayv2/domainName:DomainName"), 1)
		require.Equal(t, "https://api.example.com", out["apiUrl"], "known before anything exists")
	}
}

func TestConsumerRefusesCustomDomainsThatCannotWork(t *testing.T) {
	base := validConsumerConfig()
	pending := "arn:aws:acm:us-west-2:111111111111:certificate/22222222-2222-2222-2222-222222222222"
	tests := []struct {
		name string
		kv   []string
		want []string
	}{
		{"malformed name", []string{"domainName", "https://api.example.com", "hostedZoneId", testZoneID}, []string{`private-apis:domainName = "https://api.example.com": not a domain name`}},
		{"upper case", []string{"domainName", "API.example.com", "hostedZoneId", testZoneID}, []string{`private-apis:domainName = "API.example.com"`, "lower-case"}},
		{"wildcard", []string{"domainName", "*.example.com", "hostedZoneId", testZoneID}, []string{`private-apis:domainName = "*.example.com"`, "no wildcard"}},
		{"one label", []string{"domainName", "localhost", "hostedZoneId", testZoneID}, []string{`private-apis:domainName = "localhost"`}},
		{"neither zone nor certificate", []string{"domainName", "api.example.com"}, []string{"private-apis:domainName", "needs private-apis:hostedZoneId", "or private-apis:certificateArn"}},
		{"both", []string{"domainName", "api.example.com", "hostedZoneId", testZoneID, "certificateArn", testCert}, []string{"private-apis:certificateArn", "not both"}},
		{"zone id form", []string{"domainName", "api.example.com", "hostedZoneId", "/hostedzone/" + testZoneID}, []string{`private-apis:hostedZoneId = "/hostedzone/` + testZoneID + `": not a Route 53 hosted zone ID`}},
		{"zone without domain", []string{"hostedZoneId", testZoneID}, []string{"private-apis:hostedZoneId", "set private-apis:domainName too"}},
		{"certificate without domain", []string{"certificateArn", testCert}, []string{"private-apis:certificateArn", "set private-apis:domainName too"}},
		{"keep without domain", []string{"keepExecuteApiEndpoint", "true"}, []string{"private-apis:keepExecuteApiEndpoint = true", "only means something with a custom domain"}},
		{"zone not in account", []string{"domainName", "api.example.com", "hostedZoneId", "ZNOTHERE0000"}, []string{`private-apis:hostedZoneId = "ZNOTHERE0000"`, "looking up hosted zone", "NoSuchHostedZone"}},
		{"name outside zone", []string{"domainName", "api.example.org", "hostedZoneId", testZoneID}, []string{"api.example.org is not in hosted zone " + testZoneID + " (example.com)", "ends in .example.com"}},
		{"name that only ends like the zone", []string{"domainName", "api.notexample.com", "hostedZoneId", testZoneID}, []string{"api.notexample.com is not in hosted zone"}},
		{"name in a delegated subdomain", []string{"domainName", "api.team.example.com", "hostedZoneId", testZoneID},
			[]string{"team.example.com is delegated to other name servers (an NS record in hosted zone " + testZoneID, "use the hosted zone of team.example.com"}},
		{"private zone", []string{"domainName", "api.example.com", "hostedZoneId", "ZPRIVATE0000000"}, []string{"hosted zone ZPRIVATE0000000 (example.com) is private"}},
		{"certificate ARN malformed", []string{"domainName", "api.example.com", "certificateArn", "my-cert"}, []string{`private-apis:certificateArn = "my-cert": not an ACM certificate ARN`}},
		{"certificate in another region", []string{"domainName", "api.example.com", "certificateArn", "arn:aws:acm:us-east-1:111111111111:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"},
			[]string{"in region us-east-1, but the API is in us-west-2", "certificate in its own region"}},
		{"certificate in another account", []string{"domainName", "api.example.com", "certificateArn", "arn:aws:acm:us-west-2:999999999999:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"},
			[]string{"in account 999999999999, but the API is in 111111111111"}},
		{"certificate not found", []string{"domainName", "api.example.com", "certificateArn", "arn:aws:acm:us-west-2:111111111111:certificate/33333333-3333-3333-3333-333333333333"},
			// The engine reports a failed read itself, under the read's name.
			[]string{"33333333-3333-3333-3333-333333333333", "ResourceNotFoundException"}},
		{"certificate for other names", []string{"domainName", "api.example.com", "certificateArn", "arn:aws:acm:us-west-2:111111111111:certificate/11111111-1111-1111-1111-111111111111"},
			[]string{"is for example.com, www.example.com, which does not cover api.example.com"}},
		{"wildcard one level only", []string{"domainName", "v1.api.example.com", "certificateArn", testCert}, []string{"does not cover v1.api.example.com", "*.api.example.com"}},
		{"certificate not issued", []string{"domainName", "api.example.com", "certificateArn", pending}, []string{"is PENDING_VALIDATION, not ISSUED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := runConsumerStack(t, with(base, tt.kv...), twoProviders(), withAccountDomains)
			require.Error(t, err)
			for _, want := range tt.want {
				require.ErrorContains(t, err, want)
			}
			require.Empty(t, customResources(m), "nothing is created for a domain that cannot work")
		})
	}
}
