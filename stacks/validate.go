package stacks

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/private-apis/private-apis/components"
)

var (
	// AZ IDs look like usw2-az1 or apne1-az4; local zone IDs (usw2-lax1-az1)
	// lack the services this project needs.
	azIDPattern = regexp.MustCompile(`^[a-z]{2,6}[0-9]-az[0-9]{1,2}$`)
	// Principals PrivateLink accepts: an account root, a role or a user.
	principalPattern = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:(root|role/[\w+=,.@/-]+|user/[\w+=,.@/-]+)$`)
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	// CloudWatch Logs accepts only these retention periods.
	logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

func validateAZIDs(r *configReader, ids []string) {
	for _, id := range ids {
		if !azIDPattern.MatchString(id) {
			r.fail("availabilityZoneIds", fmt.Sprintf("%q", ids), "%q is not an availability zone ID; use IDs such as usw2-az1 (see `aws ec2 describe-availability-zones`), not names such as us-west-2a", id)
			return
		}
	}
	if len(ids) == 1 {
		r.fail("availabilityZoneIds", fmt.Sprintf("%q", ids), "one AZ ID given; load balancers and PrivateLink need at least 2, e.g. [usw2-az1, usw2-az2]")
	}
}

func validateCIDR(r *configReader, cidr string) {
	p, err := netip.ParsePrefix(cidr)
	switch {
	case err != nil || !p.Addr().Is4():
		r.fail("vpcCidr", fmt.Sprintf("%q", cidr), "not an IPv4 CIDR block; use e.g. 10.0.0.0/16")
	case p.Bits() < components.MinVpcPrefix || p.Bits() > components.MaxVpcPrefix:
		r.fail("vpcCidr", fmt.Sprintf("%q", cidr), "prefix /%d is outside /%d to /%d (AWS allows /16 at most, and each AZ's subnets take a 16th of the range, its public subnet a 256th, at least a /28); use e.g. 10.0.0.0/16", p.Bits(), components.MinVpcPrefix, components.MaxVpcPrefix)
	case p.Masked() != p:
		r.fail("vpcCidr", fmt.Sprintf("%q", cidr), "host bits are set; did you mean %s?", p.Masked())
	case !p.Addr().IsPrivate():
		r.fail("vpcCidr", fmt.Sprintf("%q", cidr), "not a private (RFC 1918) range; use e.g. 10.0.0.0/16, 172.16.0.0/16 or 192.168.0.0/16")
	}
}

func validatePrincipals(r *configReader, principals []string) {
	if len(principals) == 0 {
		r.failf("allowedPrincipals", "required for a provider: list the consumer account's principals, e.g. [\"arn:aws:iam::111111111111:root\"]")
		return
	}
	for _, p := range principals {
		switch {
		case strings.Contains(p, "*"):
			r.fail("allowedPrincipals", fmt.Sprintf("%q", principals), "%q would let any AWS account connect to the service; list the consumer's ARN, e.g. arn:aws:iam::111111111111:root", p)
		case !principalPattern.MatchString(p):
			r.fail("allowedPrincipals", fmt.Sprintf("%q", principals), "%q is not an IAM principal ARN; use an account root (arn:aws:iam::111111111111:root), a role or a user ARN", p)
		}
	}
}

func validateRegions(r *configReader, key string, regions []string) {
	for _, region := range regions {
		if !regionPattern.MatchString(region) {
			r.fail(key, fmt.Sprintf("%q", regions), "%q is not an AWS region name; use e.g. us-east-1", region)
		}
	}
}

func validateTags(r *configReader, tags map[string]string) {
	for k, v := range tags {
		switch {
		case k == "" || len(k) > 128:
			r.fail("tags", fmt.Sprintf("%q", k), "tag keys must be 1-128 characters")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			r.fail("tags", fmt.Sprintf("%q", k), "the aws: prefix is reserved for AWS; use e.g. team or cost-center")
		case len(v) > 256:
			r.fail("tags", fmt.Sprintf("%q", k), "tag value is %d characters; AWS allows 256", len(v))
		}
	}
}

func validateRetention(r *configReader, key string, days int) {
	if !slices.Contains(logRetentionDays, days) {
		r.fail(key, fmt.Sprint(days), "CloudWatch Logs accepts only %v", logRetentionDays)
	}
}
