package localgw

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/contract"
)

// REST is the consumer's REST API as the gateway reproduces it: API keys
// and usage plans per client, and the resource policy's source IPs. WAF
// (waf, wafRuleGroups, wafRateLimit) and a private endpoint (endpointType,
// allowedVpcEndpoints) are not reproduced.
type REST struct {
	// Clients each get an API key and their usage plan.
	Clients apirules.Clients
	// PublicRoutes need no API key (apirules.Clients.KeyRequired).
	PublicRoutes []string
	// AllowedSourceIPs, when there are any, are the only callers the
	// resource policy lets in; DeniedSourceIPs it always refuses.
	AllowedSourceIPs, DeniedSourceIPs []netip.Prefix
}

// Refuses says whether the resource policy's source IPs refuse a caller
// from ip: one in DeniedSourceIPs, or, when AllowedSourceIPs lists any, one
// outside them all (the zero Addr is in no range).
func (r *REST) Refuses(ip netip.Addr) bool {
	in := func(p netip.Prefix) bool { return p.Contains(ip) }
	return slices.ContainsFunc(r.DeniedSourceIPs, in) ||
		(len(r.AllowedSourceIPs) > 0 && !slices.ContainsFunc(r.AllowedSourceIPs, in))
}

// apiType reads private-apis:apiType and the settings whose meaning
// depends on it, refusing what apirules.TypeChoices refuses: an HTTP API's
// JWT authorization, or a REST API's clients and source IPs.
func (f *configFiles) apiType(cors apirules.CORS) (*apirules.JWTAuth, *REST) {
	choice := apirules.TypeChoices{Type: apirules.ApiTypeHTTP, CORS: cors}
	f.decode(apirules.KeyApiType, &choice.Type)
	f.decode(apirules.KeyClients, &choice.Clients)
	f.decode(apirules.KeyJwtIssuer, &choice.JWTIssuer)
	f.decode(apirules.KeyPublicRoutes, &choice.PublicRoutes)
	f.problems(choice.Clients.Problems())
	f.problems(choice.Problems())
	if choice.Type != apirules.ApiTypeREST {
		return f.jwt(), nil
	}
	return nil, f.rest(choice)
}

// rest is a REST API's settings: publicRoutes are the routes that need no
// API key; JWT's other keys mean nothing on a REST API.
func (f *configFiles) rest(choice apirules.TypeChoices) *REST {
	r := &REST{Clients: choice.Clients, PublicRoutes: choice.PublicRoutes}
	if len(r.Clients) == 0 {
		r.Clients = nil // a declared {} is no client
	}
	for _, route := range r.PublicRoutes {
		if err := contract.ValidateRouteKey(route); err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s: %s:%s: %w", f.stackPath, f.project.Name, apirules.KeyPublicRoutes, err))
		}
	}
	for _, key := range []string{apirules.KeyJwtAudiences, apirules.KeyWriteScopes} {
		var v []string
		f.decode(key, &v)
		if len(v) > 0 {
			f.errs = append(f.errs, fmt.Errorf("%s: %s:%s = %q is JWT authorization, an HTTP API's; a REST API's callers use API keys (%s:%s): remove it, or set %s:%s to %s",
				f.stackPath, f.project.Name, key, v, f.project.Name, apirules.KeyClients, f.project.Name, apirules.KeyApiType, apirules.ApiTypeHTTP))
		}
	}
	r.AllowedSourceIPs = f.prefixes(apirules.KeyAllowedSourceIPs)
	r.DeniedSourceIPs = f.prefixes(apirules.KeyDeniedSourceIPs)
	return r
}

// prefixes reads a list of CIDR ranges, refusing what the consumer stack
// refuses: anything but a range with its host bits clear.
func (f *configFiles) prefixes(key string) []netip.Prefix {
	var raw []string
	f.decode(key, &raw)
	var out []netip.Prefix
	for _, s := range raw {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Masked() != p {
			_, where, _ := f.value(key)
			f.errs = append(f.errs, fmt.Errorf("%s: %q is not a CIDR range such as 203.0.113.0/24 (host bits clear)", where, s))
			continue
		}
		out = append(out, p)
	}
	return out
}

// problems records each problem with where its key's value came from: the
// file, the key and its line, then the value and what is wrong with it.
func (f *configFiles) problems(ps []apirules.ThrottlingProblem) {
	for _, p := range ps {
		where := f.stackPath + " and " + f.projectPath
		if _, w, ok := f.value(p.Key); ok {
			where = w
		}
		f.errs = append(f.errs, fmt.Errorf("%s: %w", where, p))
	}
}
