package apirules

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The consumer's API type: KeyApiType chooses an HTTP API (the default) or
// a REST API, which adds WAF, per-client API keys and quotas, resource
// policies and tracing, at REST's price.
const (
	KeyApiType  = "apiType"
	ApiTypeHTTP = "http"
	ApiTypeREST = "rest"
	KeyClients  = "clients"
)

// The resource policy's source IP keys.
const (
	KeyAllowedSourceIPs = "allowedSourceIps"
	KeyDeniedSourceIPs  = "deniedSourceIps"
)

// RESTStageName is a REST API's one stage: its default address ends with
// it (https://<id>.execute-api.<region>.amazonaws.com/api).
const RESTStageName = "api"

// APIKeyHeader is where a REST API's callers put their API key.
const APIKeyHeader = "x-api-key"

// The answers API Gateway's REST APIs give, by default gateway response,
// when a caller has no valid key (INVALID_API_KEY, MISSING_AUTHENTICATION_TOKEN),
// has spent its quota (QUOTA_EXCEEDED) or is over a rate (THROTTLED):
// https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
const (
	RESTForbiddenBody       = `{"message":"Forbidden"}`
	RESTLimitExceededBody   = `{"message":"Limit Exceeded"}`
	RESTTooManyRequestsBody = `{"message":"Too Many Requests"}`
)

// Quota periods a usage plan takes (aws_api_gateway_usage_plan's
// quota_settings.period, validated by terraform-provider-aws
// internal/service/apigateway/usage_plan.go).
var QuotaPeriods = []string{"DAY", "WEEK", "MONTH"}

// ClientPlan is one client's usage plan on a REST API: its own API key, a
// limit on everything the client sends whatever the route, and optionally
// a quota of requests per period.
type ClientPlan struct {
	// RateLimit (requests a second) and BurstLimit bound the client's
	// requests across all routes; each route's own limits still apply.
	RateLimit  int `json:"rateLimit" yaml:"rateLimit"`
	BurstLimit int `json:"burstLimit" yaml:"burstLimit"`
	// QuotaLimit requests per QuotaPeriod (DAY, WEEK or MONTH, in UTC);
	// zero means no quota.
	QuotaLimit  int    `json:"quotaLimit" yaml:"quotaLimit"`
	QuotaPeriod string `json:"quotaPeriod" yaml:"quotaPeriod"`
}

// Clients are a REST API's clients, by name.
type Clients map[string]ClientPlan

// clientNamePattern keeps a client's name fit for resource names, API key
// and usage plan names, and the keys file the local gateway writes.
var clientNamePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)

// MaxClientNameLen is the longest client name: it is part of its API key's
// and usage plan's resource names.
const MaxClientNameLen = 32

// Names are the clients' names, sorted.
func (c Clients) Names() []string { return slices.Sorted(maps.Keys(c)) }

// Problems lists every client API Gateway would refuse, or that would not
// do what it says, under KeyClients.
func (c Clients) Problems() []ThrottlingProblem {
	var out []ThrottlingProblem
	example := `{partner-a: {rateLimit: 10, burstLimit: 20, quotaLimit: 10000, quotaPeriod: DAY}}`
	for _, name := range c.Names() {
		p := c[name]
		if !clientNamePattern.MatchString(name) {
			out = append(out, ThrottlingProblem{KeyClients, strconv.Quote(name), fmt.Sprintf("a client's name is 1 to %d lower-case letters, digits and inner dashes, e.g. %s", MaxClientNameLen, example)})
		}
		for _, v := range []struct {
			field, unit string
			n           int
		}{{"rateLimit", "requests per second", p.RateLimit}, {"burstLimit", "requests at once", p.BurstLimit}} {
			if v.n < 1 || v.n > MaxRouteRate {
				out = append(out, ThrottlingProblem{KeyClients, fmt.Sprintf("%s: {%s: %d}", name, v.field, v.n), fmt.Sprintf("%s must be 1 to %d %s; give each client both, e.g. %s", v.field, MaxRouteRate, v.unit, example)})
			}
		}
		switch {
		case p.QuotaLimit < 0:
			out = append(out, ThrottlingProblem{KeyClients, fmt.Sprintf("%s: {quotaLimit: %d}", name, p.QuotaLimit), "quotaLimit is a number of requests per quotaPeriod, at least 1 (leave it out for no quota)"})
		case p.QuotaLimit == 0 && p.QuotaPeriod != "":
			out = append(out, ThrottlingProblem{KeyClients, fmt.Sprintf("%s: {quotaPeriod: %s}", name, p.QuotaPeriod), "a quotaPeriod needs a quotaLimit, the requests allowed in each period"})
		case p.QuotaLimit > 0 && !slices.Contains(QuotaPeriods, p.QuotaPeriod):
			out = append(out, ThrottlingProblem{KeyClients, fmt.Sprintf("%s: {quotaPeriod: %q}", name, p.QuotaPeriod), fmt.Sprintf("quotaPeriod must be one of %s with a quotaLimit", strings.Join(QuotaPeriods, ", "))})
		}
	}
	return out
}

// KeyRequired says whether a REST API asks a route's callers for an API
// key: with clients, every route but the public ones; without, none (there
// would be no key to give).
func (c Clients) KeyRequired(publicRoutes []string, routeKey string) bool {
	return len(c) > 0 && !slices.Contains(publicRoutes, routeKey)
}

// RESTAccessLogFields are AccessLogFields for a REST API, which names some
// context variables differently and has no route key of its own, plus the
// caller's API key id (never the key) and WAF's verdict:
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html#context-variable-reference
var RESTAccessLogFields = func() map[string]string {
	f := maps.Clone(AccessLogFields)
	f["routeKey"] = "$context.httpMethod $context.resourcePath"
	f["integrationStatus"] = "$context.integration.status"
	f["integrationError"] = "$context.integration.error"
	f["apiKeyId"] = "$context.identity.apiKeyId"
	f["wafResponseCode"] = "$context.wafResponseCode"
	return f
}()

// TypeChoices are the consumer's settings whose meaning depends on the API
// type, as both the stack and the local gateway read them.
type TypeChoices struct {
	Type         string
	Clients      Clients
	JWTIssuer    string
	CORS         CORS
	PublicRoutes []string
}

// Problems refuses each setting the chosen API type can't carry, naming
// the type that can.
func (c TypeChoices) Problems() []ThrottlingProblem {
	var out []ThrottlingProblem
	switch c.Type {
	case ApiTypeHTTP:
		if len(c.Clients) > 0 {
			out = append(out, ThrottlingProblem{KeyClients, strconv.Quote(strings.Join(c.Clients.Names(), ", ")), "API keys and usage plans are a REST API's: set private-apis:apiType to rest, or remove the clients"})
		}
	case ApiTypeREST:
		if c.JWTIssuer != "" {
			out = append(out, ThrottlingProblem{KeyJwtIssuer, strconv.Quote(c.JWTIssuer), "a JWT authorizer is an HTTP API's (a REST API authorizes with Cognito, IAM or a Lambda, none of which this project builds): set private-apis:apiType to http for JWT, or give REST callers API keys with private-apis:clients"})
		}
		if c.CORS.Enabled() {
			out = append(out, ThrottlingProblem{KeyCORS, strconv.Quote(strings.Join(c.CORS.AllowOrigins, ", ")), "CORS on a REST API needs an OPTIONS method on every resource, which this project doesn't build; an HTTP API answers preflights itself: set private-apis:apiType to http for browser clients"})
		}
		if len(c.PublicRoutes) > 0 && len(c.Clients) == 0 {
			out = append(out, ThrottlingProblem{KeyPublicRoutes, fmt.Sprintf("%q", c.PublicRoutes), "on a REST API these are the routes that need no API key, and without private-apis:clients no route needs one: add clients, or remove publicRoutes"})
		}
	default:
		out = append(out, ThrottlingProblem{KeyApiType, strconv.Quote(c.Type), "must be http (an HTTP API) or rest (a REST API, with WAF, API keys and resource policies)"})
	}
	return out
}
