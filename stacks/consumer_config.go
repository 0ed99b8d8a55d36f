package stacks

import (
	"fmt"
	"net/url"
	"regexp"

	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Consumer defaults, also declared in Pulumi.yaml. They protect the
// backends: one t3.small or two small Fargate tasks serve far more, and a
// team raises them deliberately.
const (
	defaultThrottlingRateLimit       = 100
	defaultThrottlingBurstLimit      = 200
	defaultWriteThrottlingRateLimit  = 20
	defaultWriteThrottlingBurstLimit = 40
	defaultAccessLogRetentionDays    = 365
)

// A stack name as a StackReference takes it: <org>/<project>/<stack>, with
// the literal word "organization" as the org on a self-managed backend.
var stackNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

// consumerConfig is the whole config of the consumer role.
type consumerConfig struct {
	Network                   networkConfig
	Providers                 []string
	ThrottlingRateLimit       int
	ThrottlingBurstLimit      int
	WriteThrottlingRateLimit  int
	WriteThrottlingBurstLimit int
	AccessLogRetentionDays    int
	JwtIssuer                 string
	JwtAudiences              []string
	PublicRoutes              []string
	WriteScopes               []string
}

// loadConsumerConfig reads and validates the consumer's own config; the
// providers' contracts are checked against it once they are read.
func loadConsumerConfig(ctx *pulumi.Context) (consumerConfig, error) {
	r := newConfigReader(ctx)
	c := consumerConfig{
		Network:                   readNetworkConfig(r, components.NatNone),
		Providers:                 r.stringList("providers", "[organization/private-apis/ecs-provider, organization/private-apis/ec2-provider]"),
		ThrottlingRateLimit:       r.int("throttlingRateLimit", defaultThrottlingRateLimit, "100"),
		ThrottlingBurstLimit:      r.int("throttlingBurstLimit", defaultThrottlingBurstLimit, "200"),
		WriteThrottlingRateLimit:  r.int("writeThrottlingRateLimit", defaultWriteThrottlingRateLimit, "20"),
		WriteThrottlingBurstLimit: r.int("writeThrottlingBurstLimit", defaultWriteThrottlingBurstLimit, "40"),
		AccessLogRetentionDays:    r.int("accessLogRetentionDays", defaultAccessLogRetentionDays, "365"),
		JwtIssuer:                 r.string("jwtIssuer", ""),
		JwtAudiences:              r.stringList("jwtAudiences", "[my-api-client-id]"),
		PublicRoutes:              r.stringList("publicRoutes", `["GET /dogs"]`),
		WriteScopes:               r.stringList("writeScopes", "[todo/write]"),
	}

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
	positive := func(key string, v int) {
		if v < 1 || v > 10000 {
			r.fail(key, fmt.Sprint(v), "must be 1 to 10000 requests per second (API Gateway's account default); e.g. 100")
		}
	}
	positive("throttlingRateLimit", c.ThrottlingRateLimit)
	positive("throttlingBurstLimit", c.ThrottlingBurstLimit)
	positive("writeThrottlingRateLimit", c.WriteThrottlingRateLimit)
	positive("writeThrottlingBurstLimit", c.WriteThrottlingBurstLimit)
	if c.WriteThrottlingRateLimit > c.ThrottlingRateLimit {
		r.fail("writeThrottlingRateLimit", fmt.Sprint(c.WriteThrottlingRateLimit), "must not exceed throttlingRateLimit (%d): writes are throttled tighter", c.ThrottlingRateLimit)
	}
	validateRetention(r, "accessLogRetentionDays", c.AccessLogRetentionDays)

	if c.JwtIssuer != "" {
		u, err := url.Parse(c.JwtIssuer)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			r.fail("jwtIssuer", fmt.Sprintf("%q", c.JwtIssuer), "not an https URL; use the issuer of your identity provider, e.g. https://cognito-idp.us-west-2.amazonaws.com/us-west-2_AbCdEf")
		}
		if len(c.JwtAudiences) == 0 {
			r.failf("jwtAudiences", "required with jwtIssuer: list the audiences (client IDs) tokens must carry")
		}
	} else {
		for key, v := range map[string][]string{"jwtAudiences": c.JwtAudiences, "publicRoutes": c.PublicRoutes, "writeScopes": c.WriteScopes} {
			if len(v) > 0 {
				r.fail(key, fmt.Sprintf("%q", v), "only means something with authorization on; set private-apis:jwtIssuer too")
			}
		}
	}
	for _, route := range c.PublicRoutes {
		if err := contract.ValidateRouteKey(route); err != nil {
			r.fail("publicRoutes", fmt.Sprintf("%q", route), "%v", err)
		}
	}
	return c, r.err(ctx, roleConsumer)
}
