package main

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/cmd/localrun/localgw"
)

// writeREST finishes the banner of a REST API: which routes need a key,
// each client's key id and plan, where the keys are kept, what is not
// reproduced, and the blog's calls with each client's key.
func writeREST(b *strings.Builder, t *topology, opts options) {
	rest := opts.REST
	notHere := "            not reproduced here: WAF (waf, wafRuleGroups, wafRateLimit) and a private endpoint (endpointType, allowedVpcEndpoints)\n"
	writeSourceIPs(b, rest)
	if len(rest.Clients) == 0 {
		fmt.Fprintf(b, "  REST API  no %s:%s, so no route asks for an API key\n%s", "private-apis", apirules.KeyClients, notHere)
		writeTryIt(b, t)
		return
	}
	var open, keyed []string
	for _, s := range t.services {
		for _, route := range s.contract.Routes {
			if rest.Clients.KeyRequired(rest.PublicRoutes, route) {
				keyed = append(keyed, route)
			} else {
				open = append(open, route)
			}
		}
	}
	fmt.Fprintf(b, "  REST API  an API key in %s on: %s\n", apirules.APIKeyHeader, listOrNone(keyed))
	fmt.Fprintf(b, "            no key: %s\n", listOrNone(open))
	for _, name := range rest.Clients.Names() {
		fmt.Fprintf(b, "            %s: key id %s, %s\n", name, opts.APIKeys[name].ID, planText(rest.Clients[name]))
	}
	fmt.Fprintf(b, "            keys kept in %s (cat it to read them again; delete an entry for a new key)\n%s", filepath.Join(opts.LocalDir, apiKeysFile), notHere)
	writeRESTTryIt(b, t, opts)
}

// writeRESTTryIt is the banner's calls on a REST API with clients: each
// client's, then the blog's as the first client, and a refusal without a
// key. The calls carry the keys' values, ready to paste: these are local
// dev keys, made by make run for its own gateway and kept in a file only
// the user can read (0600), not the deployed API's keys (the deployed
// stack never prints or exports a key). The access log that follows on
// stdout has key ids only.
func writeRESTTryIt(b *strings.Builder, t *topology, opts options) {
	rest := opts.REST
	names := rest.Clients.Names()
	fmt.Fprintf(b, "\nTry it (each client's key, then the blog's calls as %s):\n\n  URL=%s\n", names[0], t.gatewayURL)
	for _, name := range names {
		fmt.Fprintf(b, "  curl -s %s$URL/todo    # as %s\n", keyOption(opts.APIKeys[name].Value), name)
	}
	writeBlogCalls(b, func(route string) string {
		if rest.Clients.KeyRequired(rest.PublicRoutes, route) {
			return keyOption(opts.APIKeys[names[0]].Value)
		}
		return ""
	}, "403 "+apirules.RESTForbiddenBody)
}

// keyOption is curl's option that sends key in x-api-key, in single
// quotes: a key's value is letters and digits (localgw.LoadAPIKeys refuses
// any other), so it needs no escaping.
func keyOption(key string) string {
	return fmt.Sprintf("-H '%s: %s' ", apirules.APIKeyHeader, key)
}

// planText is a client's usage plan in words.
func planText(p apirules.ClientPlan) string {
	quota := "no quota"
	if p.QuotaLimit > 0 {
		quota = fmt.Sprintf("%d requests a %s (UTC; counted in memory, a restart starts afresh)", p.QuotaLimit, strings.ToLower(p.QuotaPeriod))
	}
	return fmt.Sprintf("%d req/s, burst %d, %s", p.RateLimit, p.BurstLimit, quota)
}

// writeSourceIPs says which source IPs the resource policy allows or
// denies, and whether that refuses the local callers (127.0.0.1), as AWS
// would refuse a caller from outside them.
func writeSourceIPs(b *strings.Builder, rest *localgw.REST) {
	if len(rest.AllowedSourceIPs)+len(rest.DeniedSourceIPs) == 0 {
		return
	}
	fmt.Fprintf(b, "  source IPs allowed: %s; denied: %s (resource policy)\n", prefixesOrAny(rest.AllowedSourceIPs, "any"), prefixesOrAny(rest.DeniedSourceIPs, "none"))
	if rest.Refuses(netip.MustParseAddr("127.0.0.1")) {
		fmt.Fprintf(b, "            so every call here, from 127.0.0.1, is refused 403, as the deployed API refuses callers outside them (%s, %s)\n", apirules.KeyAllowedSourceIPs, apirules.KeyDeniedSourceIPs)
	}
}

func prefixesOrAny(ps []netip.Prefix, none string) string {
	if len(ps) == 0 {
		return none
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ", ")
}
