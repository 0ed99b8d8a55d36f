package stacks

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
)

// A stack name as a StackReference takes it: <org>/<project>/<stack>, with
// the literal word "organization" as the org on a self-managed backend.
var stackNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

// consumerConfig is the whole config of the consumer role.
type consumerConfig struct {
	Network   networkConfig
	Providers []string
	// ApiType is apirules.ApiTypeHTTP or ApiTypeREST; Rest holds what only
	// a REST API has.
	ApiType string
	Rest    restConfig
	// Throttling is each route's limits, as API Gateway applies them.
	Throttling             apirules.Throttling
	AccessLogRetentionDays int
	// ListenerRulePriorities pins the load balancer rule priority of some
	// providers, by stack; the others get one derived from their name.
	ListenerRulePriorities map[string]int
	JwtIssuer              string
	JwtAudiences           []string
	PublicRoutes           []string
	WriteScopes            []string
	CORS                   apirules.CORS
	Domain                 domainConfig
	Monitoring             monitoringConfig
}

// domainConfig is the API's custom domain; Name empty means none.
type domainConfig struct {
	Name string
	// HostedZoneID (a certificate and DNS records are made in it) or
	// CertificateArn (an existing certificate; DNS is the user's).
	HostedZoneID   string
	CertificateArn string
	// KeepExecuteApiEndpoint keeps the execute-api address too; by default
	// a custom domain is the API's only address.
	KeepExecuteApiEndpoint bool
}

var (
	// A public DNS name: lower-case labels of letters, digits and inner
	// hyphens, at least two of them.
	domainNamePattern   = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
	hostedZoneIDPattern = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
)

func readDomainConfig(r *configReader) domainConfig {
	d := domainConfig{
		Name:                   r.string("domainName"),
		HostedZoneID:           r.string("hostedZoneId"),
		CertificateArn:         r.string("certificateArn"),
		KeepExecuteApiEndpoint: r.bool("keepExecuteApiEndpoint"),
	}
	if d.Name == "" {
		for _, set := range []struct{ key, value string }{{"hostedZoneId", d.HostedZoneID}, {"certificateArn", d.CertificateArn}} {
			if set.value != "" {
				r.fail(set.key, fmt.Sprintf("%q", set.value), "only means something with a custom domain; set private-apis:domainName too")
			}
		}
		if d.KeepExecuteApiEndpoint {
			r.fail("keepExecuteApiEndpoint", "true", "only means something with a custom domain (without one the execute-api address is the API's address); remove it or set private-apis:domainName")
		}
		return d
	}
	if len(d.Name) > 253 || !domainNamePattern.MatchString(d.Name) {
		r.fail("domainName", fmt.Sprintf("%q", d.Name), "not a domain name; use a lower-case name such as api.example.com (no wildcard, scheme, path or trailing dot)")
	}
	switch {
	case d.HostedZoneID == "" && d.CertificateArn == "":
		r.failf("domainName", "%q needs private-apis:hostedZoneId (a public Route 53 zone the name is in: the certificate and DNS records are made there) or private-apis:certificateArn (an ACM certificate for the name in this region: you point the name at the API)", d.Name)
	case d.HostedZoneID != "" && d.CertificateArn != "":
		r.fail("certificateArn", fmt.Sprintf("%q", d.CertificateArn), "set private-apis:hostedZoneId (a certificate is made) or private-apis:certificateArn (yours), not both")
	case d.HostedZoneID != "" && !hostedZoneIDPattern.MatchString(d.HostedZoneID):
		r.fail("hostedZoneId", fmt.Sprintf("%q", d.HostedZoneID), "not a Route 53 hosted zone ID; use one such as Z0123456789ABCDEFGHIJ (without /hostedzone/)")
	}
	return d
}

// loadConsumerConfig reads and validates the consumer's own config; the
// providers' contracts are checked against it once they are read.
func loadConsumerConfig(ctx *pulumi.Context, r *configReader) (consumerConfig, error) {
	c := consumerConfig{
		Network:   readNetworkConfig(r, components.NatNone),
		Providers: r.stringList("providers", "[organization/private-apis/ecs-provider, organization/private-apis/ec2-provider]"),
		Throttling: apirules.Throttling{
			RateLimit:       r.int(apirules.KeyRouteRateLimit, "50"),
			BurstLimit:      r.int(apirules.KeyRouteBurstLimit, "100"),
			WriteRateLimit:  r.int(apirules.KeyWriteRouteRateLimit, "10"),
			WriteBurstLimit: r.int(apirules.KeyWriteRouteBurstLimit, "20"),
			Routes: readJSON[map[string]apirules.RouteLimit](r, apirules.KeyRouteThrottling, "a map of route keys to limits", "a YAML map",
				`{"POST /todo": {rateLimit: 5, burstLimit: 10}}`),
		},
		AccessLogRetentionDays: r.int("accessLogRetentionDays", "365"),
		ListenerRulePriorities: r.intMap("listenerRulePriorities", `{"organization/private-apis/orders": 4242}`),
		JwtIssuer:              r.string(apirules.KeyJwtIssuer),
		JwtAudiences:           r.stringList(apirules.KeyJwtAudiences, "[my-api-client-id]"),
		PublicRoutes:           r.stringList(apirules.KeyPublicRoutes, `["GET /dogs"]`),
		WriteScopes:            r.stringList(apirules.KeyWriteScopes, "[todo/write]"),
		CORS: readJSON[apirules.CORS](r, apirules.KeyCORS, "CORS settings", "a YAML map",
			`{allowOrigins: ["https://app.example.com"], allowCredentials: true}`),
		Domain:     readDomainConfig(r),
		Monitoring: readMonitoringConfig(r, true),
		ApiType:    r.string(apirules.KeyApiType),
	}
	c.Rest = readRestConfig(r, c.ApiType)
	c.checkTypeChoices(r)
	for _, p := range c.CORS.Problems() {
		r.failf(apirules.KeyCORS, "%s", p)
	}
	c.checkProviders(r)
	for _, p := range c.Throttling.Problems() {
		r.fail(p.Key, p.Value, "%s", p.Problem)
	}
	validateRetention(r, "accessLogRetentionDays", c.AccessLogRetentionDays)
	c.checkAuthorization(r)
	return c, r.err(ctx, roleConsumer)
}

// checkTypeChoices refuses what the chosen API type can't carry.
func (c consumerConfig) checkTypeChoices(r *configReader) {
	for _, p := range (apirules.TypeChoices{Type: c.ApiType, Clients: c.Rest.Clients, JWTIssuer: c.JwtIssuer, CORS: c.CORS, PublicRoutes: c.PublicRoutes}).Problems() {
		r.fail(p.Key, p.Value, "%s", p.Problem)
	}
	checkPinned(r, "listenerPorts", "port", 1, 65535, c.Providers, c.Rest.ListenerPorts)
	if c.ApiType != apirules.ApiTypeREST {
		return
	}
	if len(c.Providers) > components.MaxRestBackends {
		r.fail("providers", fmt.Sprintf("%d stacks", len(c.Providers)), "a REST API reaches its providers through one NLB, a listener each, and an NLB has at most %d listeners: split them across consumers, or use apiType http", components.MaxRestBackends)
	}
	if len(c.ListenerRulePriorities) > 0 {
		r.fail("listenerRulePriorities", strconv.Quote(r.raw("listenerRulePriorities")), "an HTTP API's load balancer rules; a REST API's providers have NLB listener ports: pin those in private-apis:listenerPorts")
	}
	if c.Rest.EndpointType == components.EndpointPrivate && c.Domain.Name != "" {
		r.fail("domainName", strconv.Quote(c.Domain.Name), "a PRIVATE REST API is reached through VPC endpoints, not a regional custom domain: remove domainName, or set private-apis:endpointType to REGIONAL")
	}
}

// checkProviders checks the provider stacks' names and their pinned rule
// priorities.
func (c consumerConfig) checkProviders(r *configReader) {
	if len(c.Providers) == 0 {
		r.failf("providers", "required for the consumer: list the provider stacks, e.g. [organization/private-apis/ecs-provider] on a self-managed backend or [<org>/private-apis/ecs-provider] on Pulumi Cloud")
	}
	seen := map[string]bool{}
	for _, p := range c.Providers {
		switch {
		case !stackNamePattern.MatchString(p):
			r.fail("providers", fmt.Sprintf("%q", p), "not a fully-qualified stack name; use <org>/<project>/<stack>, e.g. organization/private-apis/ecs-provider (self-managed backends use the word organization)")
		case seen[p]:
			r.fail("providers", fmt.Sprintf("%q", p), "listed twice")
		}
		seen[p] = true
	}
	checkPinned(r, "listenerRulePriorities", "priority", 1, components.MaxRulePriority, c.Providers, c.ListenerRulePriorities)
}

// checkAuthorization checks the JWT keys, and the public routes, which
// mean "no token" on an HTTP API and "no API key" on a REST API.
func (c consumerConfig) checkAuthorization(r *configReader) {
	rest := c.ApiType == apirules.ApiTypeREST
	if c.JwtIssuer != "" {
		if err := apirules.CheckIssuer(c.JwtIssuer); err != nil {
			r.fail(apirules.KeyJwtIssuer, fmt.Sprintf("%q", c.JwtIssuer), "%v", err)
		}
		if len(c.JwtAudiences) == 0 && !rest {
			r.failf(apirules.KeyJwtAudiences, "required with jwtIssuer: list the audiences (client IDs) tokens must carry")
		}
	} else {
		jwtOnly := map[string][]string{apirules.KeyJwtAudiences: c.JwtAudiences, apirules.KeyWriteScopes: c.WriteScopes}
		if !rest {
			jwtOnly[apirules.KeyPublicRoutes] = c.PublicRoutes
		}
		why := "only means something with authorization on; set private-apis:jwtIssuer too"
		if rest {
			why = "a JWT authorizer's, which only an HTTP API has: remove it, or set private-apis:apiType to http with private-apis:jwtIssuer"
		}
		for key, v := range jwtOnly {
			if len(v) > 0 {
				r.fail(key, fmt.Sprintf("%q", v), "%s", why)
			}
		}
	}
	for _, route := range c.PublicRoutes {
		if err := contract.ValidateRouteKey(route); err != nil {
			r.fail(apirules.KeyPublicRoutes, fmt.Sprintf("%q", route), "%v", err)
		}
	}
}
