package components

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// certificateArnPattern is an ACM certificate ARN: partition, region,
// account.
var certificateArnPattern = regexp.MustCompile(`^arn:(aws[a-z-]*):acm:([a-z0-9-]+):([0-9]{12}):certificate/[0-9a-f-]{36}$`)

// InspectHostedZone checks, before anything is created, that zoneID is a
// public hosted zone this account can read and that domain is in it, so
// ACM can validate a certificate through it and clients resolve the alias.
func InspectHostedZone(ctx *pulumi.Context, zoneID, domain string, opts ...pulumi.InvokeOption) error {
	zone, err := route53.LookupZone(ctx, &route53.LookupZoneArgs{ZoneId: &zoneID}, opts...)
	if err != nil {
		return fmt.Errorf("looking up hosted zone %s (%w): use a hosted zone ID of this account, as `aws route53 list-hosted-zones` shows it", zoneID, err)
	}
	zoneName := strings.TrimSuffix(strings.ToLower(zone.Name), ".")
	switch {
	case zone.PrivateZone != nil && *zone.PrivateZone:
		return fmt.Errorf("hosted zone %s (%s) is private: ACM validates certificates and clients resolve the API through public DNS, so use the public zone of %s", zoneID, zoneName, zoneName)
	case domain != zoneName && !strings.HasSuffix(domain, "."+zoneName):
		return fmt.Errorf("%s is not in hosted zone %s (%s): use a name that ends in .%s, or the zone the name is in", domain, zoneID, zoneName, zoneName)
	}
	return checkNotDelegated(ctx, zoneID, zoneName, domain, opts...)
}

// checkNotDelegated refuses a name under a part of the zone that is
// delegated to other name servers (an NS record below the apex): records
// made in the zone for it would never be seen, so ACM would wait for its
// validation record until it timed out.
func checkNotDelegated(ctx *pulumi.Context, zoneID, zoneName, domain string, opts ...pulumi.InvokeOption) error {
	var between []string // the domain and each parent below the apex
	for name := domain; name != zoneName && strings.Contains(name, "."); name = parentDomain(name) {
		between = append(between, name)
	}
	if len(between) == 0 {
		return nil
	}
	quoted := make([]string, len(between))
	for i, name := range between {
		quoted[i] = regexp.QuoteMeta(name)
	}
	pattern := `^(` + strings.Join(quoted, "|") + `)\.$`
	records, err := route53.GetRecords(ctx, &route53.GetRecordsArgs{ZoneId: zoneID, NameRegex: &pattern}, opts...)
	if err != nil {
		return fmt.Errorf("reading the records of hosted zone %s: %w", zoneID, err)
	}
	for _, r := range records.ResourceRecordSets {
		name := strings.TrimSuffix(strings.ToLower(r.Name), ".")
		if r.Type == "NS" && slices.Contains(between, name) {
			return fmt.Errorf("%s is delegated to other name servers (an NS record in hosted zone %s, %s), so records made there for %s would never be seen: use the hosted zone of %s", name, zoneID, zoneName, domain, name)
		}
	}
	return nil
}

// InspectCertificate checks, before anything else is created, that arn is
// an issued ACM certificate that an API Gateway regional custom domain in
// this account and region can use for domain: API Gateway takes
// certificates from its own account and region only, and refuses one that
// doesn't cover the name. It reads the certificate as a resource (reads
// happen in previews too) named name.
func InspectCertificate(ctx *pulumi.Context, name, arn, domain, account, region string, opts ...pulumi.ResourceOption) error {
	m := certificateArnPattern.FindStringSubmatch(arn)
	switch {
	case m == nil:
		return fmt.Errorf("not an ACM certificate ARN; use one such as arn:aws:acm:%s:%s:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f", region, account)
	case m[2] != region:
		return fmt.Errorf("in region %s, but the API is in %s: a regional custom domain needs a certificate in its own region; request or import one for %s in %s", m[2], region, domain, region)
	case m[3] != account:
		return fmt.Errorf("in account %s, but the API is in %s: API Gateway uses certificates of its own account only", m[3], account)
	}
	cert, err := acm.GetCertificate(ctx, name, pulumi.ID(arn), nil, opts...)
	if err != nil {
		return fmt.Errorf("reading it: %w", err)
	}
	found, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.All(cert.DomainName, cert.SubjectAlternativeNames, cert.Status))
	if err != nil {
		return fmt.Errorf("reading it: %w", err)
	}
	if !found.Known {
		// Never so for a read, which happens in previews too; API Gateway
		// checks it then.
		return nil
	}
	v := found.Value.([]any)
	names, status := []string{v[0].(string)}, v[2].(string)
	for _, n := range v[1].([]string) { // ACM lists the domain name here too
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if !CertificateCovers(domain, names...) {
		return fmt.Errorf("is for %s, which does not cover %s: use a certificate for %s or *.%s", strings.Join(names, ", "), domain, domain, parentDomain(domain))
	}
	if status != "ISSUED" {
		return fmt.Errorf("is %s, not ISSUED: API Gateway uses issued certificates only; finish its validation (aws acm describe-certificate --certificate-arn %s)", status, arn)
	}
	return nil
}

// CertificateCovers reports whether a certificate for name and alternative
// names covers domain: exactly, or by a wildcard for its first label only.
func CertificateCovers(domain string, names ...string) bool {
	domain = strings.ToLower(domain)
	for _, n := range names {
		n = strings.ToLower(n)
		if n == domain {
			return true
		}
		if rest, ok := strings.CutPrefix(n, "*."); ok && parentDomain(domain) == rest {
			return true
		}
	}
	return false
}

func parentDomain(domain string) string {
	_, parent, _ := strings.Cut(domain, ".")
	return parent
}
