package stacks

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
)

// consumerPlan is what the consumer builds, decided from its config and the
// providers' contracts before anything is created, so that every mismatch
// between accounts fails early with a message saying what to change where.
type consumerPlan struct {
	// AvailabilityZoneIDs of the consumer's network: its config's, or the
	// region's default, and never the providers', so that adding or
	// removing one moves nothing under the others.
	AvailabilityZoneIDs []string
	Backends            []backendPlan
}

// backendPlan is one provider as the consumer will reach it.
type backendPlan struct {
	Provider contract.Provider
	// Name is a short, resource-name-safe name for the provider, and
	// RulePriority its load balancer rule's priority. Both follow from the
	// provider's own stack name alone, so adding, removing or reordering
	// the other providers changes neither.
	Name         string
	RulePriority int
	// ListenerPort is its NLB listener's port on a REST API, derived the
	// same way.
	ListenerPort int
	// AwaitingAcceptance: the provider holds connections for acceptance
	// and has not accepted this consumer's endpoint yet.
	AwaitingAcceptance bool
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

// planConsumer decides the consumer, self being its own full stack name.
func planConsumer(cfg consumerConfig, self, region string, who caller, providers []contract.Provider) (consumerPlan, error) {
	errs := providerAccess(region, who, providers)
	errs = append(errs, routeConflicts(cfg, providers)...)
	plan := consumerPlan{AvailabilityZoneIDs: cfg.Network.AvailabilityZoneIds}
	for _, p := range providers {
		b, problem := planBackend(cfg, plan.AvailabilityZoneIDs, self, region, p)
		if problem != "" {
			errs = append(errs, problem)
		}
		plan.Backends = append(plan.Backends, b)
	}
	errs = append(errs, collisions(plan.Backends, cfg.ApiType)...)
	if len(errs) > 0 {
		return consumerPlan{}, fmt.Errorf("the providers' contracts don't fit this consumer; nothing was created:\n%s", strings.Join(errs, "\n"))
	}
	return plan, nil
}

// providerAccess reports each provider that would refuse this consumer:
// the deploying identity is not an allowed principal, or the consumer's
// region is not one it serves.
func providerAccess(region string, who caller, providers []contract.Provider) []string {
	var errs []string
	for _, p := range providers {
		if !principalAllowed(p.AllowedPrincipals, who) {
			errs = append(errs, fmt.Sprintf("provider stack %s does not allow %s to connect: add %q (the consumer account) or the deploying role's ARN to private-apis:allowedPrincipals in Pulumi.%s.yaml, then run `pulumi up -s %s`",
				p.Stack, who.Arn, "arn:"+partitionOf(who.Arn)+":iam::"+who.AccountID+":root", contract.ShortStackName(p.Stack), contract.ShortStackName(p.Stack)))
		}
		if p.Region != region && !slices.Contains(p.SupportedRegions, region) {
			exported := fmt.Sprintf("its supportedRegions are %q", p.SupportedRegions)
			if p.SupportedRegions == nil {
				exported = "it exports no supportedRegions (deploy it with this version of private-apis)"
			}
			errs = append(errs, fmt.Sprintf("provider stack %s is in %s and does not accept consumers from %s (%s): add %s to its private-apis:supportedRegions and run `pulumi up -s %s`",
				p.Stack, p.Region, region, exported, region, contract.ShortStackName(p.Stack)))
		}
	}
	return errs
}

// routeConflicts reports routes two providers claim, and consumer config
// naming routes no provider serves or that authorization would break.
func routeConflicts(cfg consumerConfig, providers []contract.Provider) []string {
	services := make([]contract.Service, len(providers))
	for i, p := range providers {
		services[i] = contract.Service{Name: p.Stack, Routes: p.Routes}
	}
	owner, conflicts := contract.RouteOwners(services)
	var errs []string
	for _, err := range conflicts {
		errs = append(errs, err.Error())
	}
	served := slices.Sorted(maps.Keys(owner))
	for _, route := range cfg.PublicRoutes {
		if _, ok := owner[route]; !ok {
			errs = append(errs, fmt.Sprintf("private-apis:publicRoutes names %q, which no provider serves; routes are: %s", route, strings.Join(served, ", ")))
		}
	}
	for _, route := range slices.Sorted(maps.Keys(cfg.Throttling.Routes)) {
		if _, ok := owner[route]; !ok {
			errs = append(errs, fmt.Sprintf("private-apis:routeThrottling names %q, which no provider serves; %s", route, nearMisses(route, served)))
		}
	}
	if cfg.CORS.Enabled() && cfg.JwtIssuer != "" && cfg.ApiType != apirules.ApiTypeREST {
		for _, route := range served {
			if apirules.ReceivesPreflight(route) && !slices.Contains(cfg.PublicRoutes, route) {
				errs = append(errs, fmt.Sprintf("provider stack %s's route %q would get browsers' CORS preflights (OPTIONS requests, which carry no token), so the JWT authorizer would refuse every one: serve its methods as separate routes, or add it to private-apis:publicRoutes",
					owner[route], route))
			}
		}
	}
	return errs
}

// planBackend places one provider: its name, rule priority, whether it
// awaits acceptance, and the consumer AZs its endpoint uses (every one of
// the consumer's across regions; otherwise those both share, at least 2).
func planBackend(cfg consumerConfig, zones []string, self, region string, p contract.Provider) (backendPlan, string) {
	b := backendPlan{
		Provider:           p,
		Name:               backendName(p.Stack),
		RulePriority:       rulePriority(cfg.ListenerRulePriorities, p.Stack),
		ListenerPort:       listenerPort(cfg.Rest.ListenerPorts, p.Stack),
		AwaitingAcceptance: p.AcceptanceRequired && p.AcceptedEndpoints[self] == "",
	}
	if p.Region != region {
		b.ServiceRegion = p.Region
		b.AvailabilityZoneIDs = zones
		return b, ""
	}
	for _, id := range zones {
		if slices.Contains(p.AvailabilityZoneIDs, id) {
			b.AvailabilityZoneIDs = append(b.AvailabilityZoneIDs, id)
		}
	}
	if len(b.AvailabilityZoneIDs) >= 2 {
		return b, ""
	}
	var missing []string
	for _, id := range p.AvailabilityZoneIDs {
		if !slices.Contains(zones, id) {
			missing = append(missing, id)
		}
	}
	return b, fmt.Sprintf("provider stack %s is in AZ IDs %v and the consumer in %v; they share %d (at least 2 are needed): add %v to the consumer's private-apis:availabilityZoneIds (an AZ added there adds its own subnets and moves nothing else), or the consumer's AZ IDs to the provider's",
		p.Stack, p.AvailabilityZoneIDs, zones, len(b.AvailabilityZoneIDs), missing[:min(len(missing), 2-len(b.AvailabilityZoneIDs))])
}

// collisions reports two providers that would share a resource name, or
// the rule priority (HTTP) or listener port (REST) that picks their
// backend. All derive from a hash of the stack name, so this is rare; the
// fix must not move the provider already deployed, so the message proposes
// pinning the other one.
func collisions(backends []backendPlan, apiType string) []string {
	var errs []string
	names := map[string]string{}
	for _, b := range backends {
		if other, ok := names[b.Name]; ok {
			errs = append(errs, fmt.Sprintf("provider stacks %s and %s would share the resource name %q (the start of their stack names and a hash of the full names): rename one of the stacks", other, b.Provider.Stack, b.Name))
		}
		names[b.Name] = b.Provider.Stack
	}
	slot, key, what, noun, limit := func(b backendPlan) int { return b.RulePriority }, "listenerRulePriorities", "load balancer rule priority", "priority", components.MaxRulePriority
	if apiType == apirules.ApiTypeREST {
		slot, key, what, noun, limit = func(b backendPlan) int { return b.ListenerPort }, "listenerPorts", "NLB listener port", "port", 65535
	}
	used := map[int]bool{}
	for _, b := range backends {
		used[slot(b)] = true
	}
	taken := map[int]string{}
	for _, b := range backends {
		if other, ok := taken[slot(b)]; ok {
			free := slot(b)
			for used[free] {
				free = free%limit + 1
			}
			errs = append(errs, fmt.Sprintf("provider stacks %s and %s both get %s %d (a hash of the stack name): pin the one you are adding to a free %s in private-apis:%s, e.g. {%q: %d}",
				other, b.Provider.Stack, what, slot(b), noun, key, b.Provider.Stack, free))
		}
		taken[slot(b)] = b.Provider.Stack
	}
	return errs
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

var nameUnsafe = regexp.MustCompile(`[^a-z0-9-]+`)

// backendNameHashLen is the number of hex digits of the full stack name's
// hash in a backend name: they tell apart stacks whose names start alike.
const backendNameHashLen = 4

// backendName is the provider's short, resource-name-safe name: the start
// of its stack name (as much as the PrivateApi's resource names leave room
// for) and a hash of its full name, so it depends on that provider alone
// and two orgs' "prod" stacks still differ.
func backendName(stack string) string {
	limit := components.MaxBackendNameLen(apiName) - backendNameHashLen - 1
	base := strings.Trim(nameUnsafe.ReplaceAllString(strings.ToLower(contract.ShortStackName(stack)), "-"), "-")
	if len(base) > limit {
		base = strings.TrimRight(base[:limit], "-")
	}
	if base == "" {
		base = "provider"
	}
	return base + "-" + stackHash(stack)[:backendNameHashLen]
}

// rulePriority is the provider's pinned priority, or one derived from its
// full stack name alone.
func rulePriority(pinned map[string]int, stack string) int {
	if p, ok := pinned[stack]; ok {
		return p
	}
	sum := sha256.Sum256([]byte("rule-priority:" + stack))
	return 1 + int(binary.BigEndian.Uint32(sum[:4])%components.MaxRulePriority)
}

func stackHash(stack string) string {
	sum := sha256.Sum256([]byte(stack))
	return hex.EncodeToString(sum[:])
}

// nearMisses suggests the served route keys closest to key, for a key that
// matches none: a method or a path a character or two away.
func nearMisses(key string, served []string) string {
	type candidate struct {
		key      string
		distance int
	}
	var close []candidate
	for _, s := range served {
		if d := editDistance(strings.ToUpper(key), strings.ToUpper(s)); d <= max(3, len(key)/3) {
			close = append(close, candidate{s, d})
		}
	}
	sort.SliceStable(close, func(i, j int) bool { return close[i].distance < close[j].distance })
	if len(close) == 0 {
		return "the routes are: " + strings.Join(served, ", ")
	}
	var names []string
	for i, c := range close {
		if i == 3 {
			break
		}
		names = append(names, fmt.Sprintf("%q", c.key))
	}
	return "did you mean " + strings.Join(names, " or ") + "?"
}
