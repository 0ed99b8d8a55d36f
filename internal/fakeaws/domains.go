package fakeaws

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// HostedZone is a Route 53 hosted zone, as the getZone invoke finds it.
type HostedZone struct {
	// Name is the zone's domain, e.g. example.com.
	Name    string
	Private bool
	// Records are its record sets, as getRecords lists them.
	Records []Record
}

// Record is one record set of a hosted zone.
type Record struct {
	// Name is fully qualified with its trailing dot, e.g. team.example.com.
	Name string
	Type string
}

// Certificate is an ACM certificate, as reading it by ARN finds it.
type Certificate struct {
	DomainName string
	// AlternativeNames are its other names; ACM lists DomainName among
	// them too, which the answer does.
	AlternativeNames []string
	// Status is ISSUED, PENDING_VALIDATION, EXPIRED, ...
	Status string
}

// regionalDomainZones are API Gateway's hosted zones for regional custom
// domains, which an alias record points to.
var regionalDomainZones = map[string]string{
	"us-east-1": "Z1UJRXOUMOOFQ8",
	"us-west-2": "Z2OJLYMUO9EFXC",
	"eu-west-1": "ZLY8HYME6SFDD",
}

// domainOutputs are what ACM, API Gateway and Route 53 compute for a
// custom domain's resources.
func (m *AWS) domainOutputs(token, logical string, in map[string]any) map[string]any {
	switch token {
	case "aws:acm/certificate:Certificate":
		domain, _ := in["domainName"].(string)
		id := digest(logical)
		return map[string]any{
			"arn":    fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s-%s-%s-%s-%s", m.Region, m.Account, id[:8], id[8:12], id[12:16], id[16:20], id[20:32]),
			"status": "PENDING_VALIDATION",
			// ACM asks for one CNAME per name, in a label it makes up.
			"domainValidationOptions": []any{map[string]any{
				"domainName":          domain,
				"resourceRecordName":  fmt.Sprintf("_%s.%s.", digest("name" + domain)[:32], domain),
				"resourceRecordType":  "CNAME",
				"resourceRecordValue": fmt.Sprintf("_%s.acm-validations.aws.", digest("value" + domain)[:32]),
			}},
		}
	case "aws:apigatewayv2/domainName:DomainName":
		config, _ := in["domainNameConfiguration"].(map[string]any)
		withTarget := map[string]any{}
		for k, v := range config {
			withTarget[k] = v
		}
		zone, ok := regionalDomainZones[m.Region]
		if !ok {
			zone = "Z" + strings.ToUpper(digest(m.Region)[:13])
		}
		withTarget["targetDomainName"] = fmt.Sprintf("d-%s.execute-api.%s.amazonaws.com", digest(logical)[:10], m.Region)
		withTarget["hostedZoneId"] = zone
		return map[string]any{
			"domainNameConfiguration":       withTarget,
			"apiMappingSelectionExpression": "$request.basepath",
			"arn":                           fmt.Sprintf("arn:aws:apigateway:%s::/domainnames/%s", m.Region, in["domainName"]),
		}
	case "aws:route53/record:Record":
		name, _ := in["name"].(string)
		return map[string]any{"fqdn": strings.ToLower(strings.TrimSuffix(name, "."))}
	}
	return nil
}

func (m *AWS) lookupZone(args resource.PropertyMap) (map[string]any, error) {
	id, _ := args["zoneId"].V.(string)
	zone, ok := m.HostedZones[id]
	if !ok {
		return nil, fmt.Errorf("reading Route53 Hosted Zone (%s): NoSuchHostedZone: No hosted zone found with ID: %s", id, id)
	}
	return map[string]any{
		"id": id, "zoneId": id, "name": zone.Name, "privateZone": zone.Private,
		"arn":         "arn:aws:route53:::hostedzone/" + id,
		"nameServers": []any{"ns-1.awsdns-01.org", "ns-2.awsdns-02.com"},
	}, nil
}

// lookupRecords answers getRecords with the zone's record sets whose name
// matches nameRegex, as Route 53 lists them.
func (m *AWS) lookupRecords(args resource.PropertyMap) (map[string]any, error) {
	id, _ := args["zoneId"].V.(string)
	zone, ok := m.HostedZones[id]
	if !ok {
		return nil, fmt.Errorf("listing Route53 Resource Record Sets (%s): NoSuchHostedZone", id)
	}
	match := func(string) bool { return true }
	if pattern, ok := args["nameRegex"].V.(string); ok {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return nil, fmt.Errorf("invalid nameRegex %q: %w", pattern, err)
		}
		match = re.MatchString
	}
	sets := []any{}
	for _, r := range zone.Records {
		if match(r.Name) {
			sets = append(sets, map[string]any{"name": r.Name, "type": r.Type, "ttl": 172800.0})
		}
	}
	return map[string]any{"id": id, "zoneId": id, "resourceRecordSets": sets}, nil
}

// readCertificate answers reading a certificate by ARN, or fails as
// reading a missing one does.
func (m *AWS) readCertificate(arn string) (resource.PropertyMap, error) {
	c, ok := m.Certificates[arn]
	if !ok {
		return nil, fmt.Errorf("reading ACM Certificate (%s): ResourceNotFoundException: Could not find certificate %s", arn, arn)
	}
	names := append([]string{c.DomainName}, c.AlternativeNames...)
	return resource.NewPropertyMapFromMap(map[string]any{
		"id": arn, "arn": arn, "domainName": c.DomainName, "subjectAlternativeNames": names, "status": c.Status,
	}), nil
}
