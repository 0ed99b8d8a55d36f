package stacks

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/private-apis/private-apis/contract"
)

// consumerPlan is what the consumer builds, decided from its config and the
// providers' contracts before anything is created, so that every mismatch
// between accounts fails early with a message saying what to change where.
type consumerPlan struct {
	// AvailabilityZoneIDs of the consumer's network; empty means the
	// region's default (only when every provider is in another region).
	AvailabilityZoneIDs []string
	Backends            []backendPlan
}

// backendPlan is one provider as the consumer will reach it.
type backendPlan struct {
	Provider contract.Provider
	// Name is a short, unique, resource-name-safe name for the provider.
	Name string
	// AvailabilityZoneIDs are where its endpoint goes: the consumer's AZs
	// the provider's service is also in, or all of them cross-region.
	AvailabilityZoneIDs []string
	// ServiceRegion is the provider's region when it differs from the
	// consumer's (cross-region PrivateLink), else empty.
	ServiceRegion string
}

// caller is who is deploying the consumer, from getCallerIdentity.
type caller struct {
	AccountID string
	Arn       string
}

func planConsumer(cfg consumerConfig, region string, who caller, providers []contract.Provider) (consumerPlan, error) {
	var errs []string
	for _, p := range providers {
		if !principalAllowed(p.AllowedPrincipals, who) {
			errs = append(errs, fmt.Sprintf("provider stack %s does not allow %s to connect: add %q (the consumer account) or the deploying role's ARN to private-apis:allowedPrincipals in Pulumi.%s.yaml, then run `pulumi up -s %s`",
				p.Stack, who.Arn, "arn:"+partitionOf(who.Arn)+":iam::"+who.AccountID+":root", contract.ShortStackName(p.Stack), contract.ShortStackName(p.Stack)))
		}
		if p.Region != region && len(p.SupportedRegions) > 0 && !slices.Contains(p.SupportedRegions, region) {
			errs = append(errs, fmt.Sprintf("provider stack %s is in %s and does not accept consumers from %s: add %s to its private-apis:supportedRegions",
				p.Stack, p.Region, region, region))
		}
	}

	owner := map[string]string{}
	for _, p := range providers {
		for _, route := range p.Routes {
			if other, taken := owner[route]; taken {
				errs = append(errs, fmt.Sprintf("route %q is served by both %s and %s: a route key must belong to one provider", route, other, p.Stack))
				continue
			}
			owner[route] = p.Stack
		}
	}
	for _, route := range cfg.PublicRoutes {
		if _, ok := owner[route]; !ok {
			errs = append(errs, fmt.Sprintf("private-apis:publicRoutes names %q, which no provider serves; routes are: %s", route, strings.Join(sortedKeys(owner), ", ")))
		}
	}

	plan := consumerPlan{AvailabilityZoneIDs: cfg.Network.AvailabilityZoneIds}
	var local []contract.Provider
	for _, p := range providers {
		if p.Region == region {
			local = append(local, p)
		}
	}
	if len(plan.AvailabilityZoneIDs) == 0 && len(local) > 0 {
		plan.AvailabilityZoneIDs = commonZones(local)
		if len(plan.AvailabilityZoneIDs) < 2 {
			errs = append(errs, fmt.Sprintf("the providers in %s share fewer than two AZ IDs (%s): give every provider at least two common AZ IDs in private-apis:availabilityZoneIds",
				region, describeZones(local)))
		}
	}

	names := map[string]int{}
	for _, p := range providers {
		b := backendPlan{Provider: p, Name: uniqueName(names, contract.ShortStackName(p.Stack))}
		if p.Region != region {
			b.ServiceRegion = p.Region
			b.AvailabilityZoneIDs = plan.AvailabilityZoneIDs
		} else {
			for _, id := range plan.AvailabilityZoneIDs {
				if slices.Contains(p.AvailabilityZoneIDs, id) {
					b.AvailabilityZoneIDs = append(b.AvailabilityZoneIDs, id)
				}
			}
			if len(plan.AvailabilityZoneIDs) > 0 && len(b.AvailabilityZoneIDs) < 2 {
				errs = append(errs, fmt.Sprintf("provider stack %s is in AZ IDs %v and the consumer in %v; they share %d (at least 2 are needed): set the consumer's private-apis:availabilityZoneIds to two of %v, or add the consumer's AZ IDs to the provider's",
					p.Stack, p.AvailabilityZoneIDs, plan.AvailabilityZoneIDs, len(b.AvailabilityZoneIDs), p.AvailabilityZoneIDs))
			}
		}
		plan.Backends = append(plan.Backends, b)
	}

	if len(errs) > 0 {
		return consumerPlan{}, fmt.Errorf("the providers' contracts don't fit this consumer; nothing was created:\n%s", strings.Join(errs, "\n"))
	}
	return plan, nil
}

var assumedRole = regexp.MustCompile(`^arn:([a-z-]+):sts::([0-9]{12}):assumed-role/([^/]+)/`)

// principalAllowed reports whether the deploying identity is covered by the
// endpoint service's allowed principals: its account root, its exact ARN,
// or, for an assumed role, that role (at any IAM path).
func principalAllowed(principals []string, who caller) bool {
	partition := partitionOf(who.Arn)
	for _, p := range principals {
		if p == who.Arn || p == "arn:"+partition+":iam::"+who.AccountID+":root" {
			return true
		}
		if m := assumedRole.FindStringSubmatch(who.Arn); m != nil {
			prefix := "arn:" + m[1] + ":iam::" + m[2] + ":role/"
			if strings.HasPrefix(p, prefix) && p[strings.LastIndex(p, "/")+1:] == m[3] {
				return true
			}
		}
	}
	return false
}

func partitionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 || parts[1] == "" {
		return "aws"
	}
	return parts[1]
}

// commonZones are the AZ IDs every provider is in, in ID order.
func commonZones(providers []contract.Provider) []string {
	count := map[string]int{}
	for _, p := range providers {
		for _, id := range p.AvailabilityZoneIDs {
			count[id]++
		}
	}
	var out []string
	for id, n := range count {
		if n == len(providers) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func describeZones(providers []contract.Provider) string {
	parts := make([]string, len(providers))
	for i, p := range providers {
		parts[i] = fmt.Sprintf("%s in %v", p.Stack, p.AvailabilityZoneIDs)
	}
	return strings.Join(parts, "; ")
}

var nameUnsafe = regexp.MustCompile(`[^a-z0-9-]+`)

// uniqueName makes a short resource-name-safe name, numbered on repeats
// (two orgs may both have an "ecs-provider" stack).
func uniqueName(seen map[string]int, base string) string {
	name := strings.Trim(nameUnsafe.ReplaceAllString(strings.ToLower(base), "-"), "-")
	if name == "" {
		name = "provider"
	}
	seen[name]++
	if n := seen[name]; n > 1 {
		return fmt.Sprintf("%s-%d", name, n)
	}
	return name
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
