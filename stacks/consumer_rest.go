package stacks

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/components"
)

// restConfig is the consumer's choices that only a REST API has.
type restConfig struct {
	Clients apirules.Clients
	WAF     bool
	// WAFRuleGroups and WAFRateLimit configure the web ACL when WAF is on.
	WAFRuleGroups       map[string]string
	WAFRateLimit        int
	EndpointType        string
	AllowedVpcEndpoints []string
	AllowedSourceIps    []string
	DeniedSourceIps     []string
	// ListenerPorts pins some providers' NLB listener ports, by stack; the
	// others get one derived from their name.
	ListenerPorts map[string]int
}

// readRestConfig reads the REST keys and refuses, for an HTTP API, those
// set to anything but their defaults: an HTTP API has none of them.
func readRestConfig(r *configReader, apiType string) restConfig {
	c := restConfig{
		Clients: readJSON[apirules.Clients](r, apirules.KeyClients, "a map of client names to plans", "a YAML map",
			`{partner-a: {rateLimit: 10, burstLimit: 20, quotaLimit: 10000, quotaPeriod: DAY}}`),
		WAF:                 r.bool("waf"),
		WAFRuleGroups:       r.stringMap("wafRuleGroups", "{AWSManagedRulesCommonRuleSet: block}"),
		WAFRateLimit:        r.int("wafRateLimit", "2000"),
		EndpointType:        r.string("endpointType"),
		AllowedVpcEndpoints: r.stringList("allowedVpcEndpoints", "[vpce-0123456789abcdef0]"),
		AllowedSourceIps:    r.stringList(apirules.KeyAllowedSourceIPs, "[203.0.113.0/24]"),
		DeniedSourceIps:     r.stringList(apirules.KeyDeniedSourceIPs, "[198.51.100.7/32]"),
		ListenerPorts:       r.intMap("listenerPorts", `{"organization/private-apis/orders": 24242}`),
	}
	for _, p := range c.Clients.Problems() {
		r.fail(p.Key, p.Value, "%s", p.Problem)
	}
	if apiType != apirules.ApiTypeREST {
		for _, key := range []string{"wafRuleGroups", "wafRateLimit", "endpointType", "allowedVpcEndpoints", apirules.KeyAllowedSourceIPs, apirules.KeyDeniedSourceIPs, "listenerPorts"} {
			if r.changed(key) {
				r.fail(key, r.shown(key), "only a REST API has it: set private-apis:%s to %s, or remove it", apirules.KeyApiType, apirules.ApiTypeREST)
			}
		}
		return c
	}
	c.checkWAF(r)
	c.checkPolicy(r)
	return c
}

// checkWAF refuses rule groups, actions and limits the web ACL can't take,
// with the component's own rules, and WAF settings with WAF off.
func (c restConfig) checkWAF(r *configReader) {
	if !c.WAF {
		for _, key := range []string{"wafRuleGroups", "wafRateLimit"} {
			if r.changed(key) {
				r.fail(key, r.shown(key), "only means something with WAF on: remove it, or set private-apis:waf to true")
			}
		}
		return
	}
	if err := c.wafOptions().CheckRuleGroups(); err != nil {
		r.fail("wafRuleGroups", r.shown("wafRuleGroups"), "%v", err)
	}
	if err := c.wafOptions().CheckRateLimit(); err != nil {
		r.fail("wafRateLimit", r.shown("wafRateLimit"), "%v", err)
	}
}

// checkPolicy checks the endpoint type and what the resource policy names,
// with the component's own rules, under the key of the field at fault.
func (c restConfig) checkPolicy(r *configReader) {
	var p *components.PolicyProblem
	if err := c.policy().CheckPolicy(); errors.As(err, &p) {
		key := strings.ToLower(p.Field[:1]) + p.Field[1:]
		// The component names its fields; a user knows the keys.
		msg := strings.NewReplacer("AllowedVpcEndpoints", namespace+":allowedVpcEndpoints", "EndpointType", namespace+":endpointType").Replace(p.Err.Error())
		r.fail(key, r.shown(key), "%s", msg)
	}
}

// policy is the REST API's endpoint and resource policy settings.
func (c restConfig) policy() components.RestOptions {
	return components.RestOptions{EndpointType: c.EndpointType, AllowedVpcEndpoints: c.AllowedVpcEndpoints,
		AllowedSourceIps: c.AllowedSourceIps, DeniedSourceIps: c.DeniedSourceIps}
}

func (c restConfig) wafOptions() components.WAFOptions {
	return components.WAFOptions{RuleGroups: c.WAFRuleGroups, RateLimit: c.WAFRateLimit}
}

// The ports a provider's NLB listener is derived in: above the well-known
// and registered ranges' busiest part, 50000 of them.
const (
	minDerivedPort = 10000
	derivedPorts   = 50000
)

// listenerPort is the provider's pinned NLB listener port, or one derived
// from its full stack name alone, so adding, removing or reordering the
// other providers never moves it.
func listenerPort(pinned map[string]int, stack string) int {
	if p, ok := pinned[stack]; ok {
		return p
	}
	sum := sha256.Sum256([]byte("listener-port:" + stack))
	return minDerivedPort + int(binary.BigEndian.Uint32(sum[:4])%derivedPorts)
}

// checkPinned refuses pinned slots (rule priorities, listener ports) under
// key that name no provider, are out of lo..hi or are taken twice.
func checkPinned(r *configReader, key, noun string, lo, hi int, providers []string, pinned map[string]int) {
	taken := map[int]string{}
	for _, stack := range slices.Sorted(maps.Keys(pinned)) {
		n := pinned[stack]
		switch {
		case !slices.Contains(providers, stack):
			r.fail(key, fmt.Sprintf("%q", stack), "not one of private-apis:providers %q", providers)
		case n < lo || n > hi:
			r.fail(key, fmt.Sprintf("%s: %d", stack, n), "a %s is %d to %d", noun, lo, hi)
		case taken[n] != "":
			r.fail(key, fmt.Sprintf("%s: %d", stack, n), "%s has %s %d too; give each provider its own", taken[n], noun, n)
		}
		taken[n] = stack
	}
}
