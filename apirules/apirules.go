// Package apirules is the public API's own behaviour, which the consumer
// stack deploys on API Gateway and the local gateway reproduces: per-route
// throttling, CORS, the access log's fields, the headers integrations set
// and the integration timeout. The provider contract is in package contract.
package apirules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/private-apis/private-apis/contract"
)

// AccessLogFields are the fields of the consumer API's JSON access log, each
// with the API Gateway context variable that fills it. The deployed stage
// logs exactly these, and a local stand-in for the API logs the same names.
var AccessLogFields = map[string]string{
	"requestId":          "$context.requestId",
	"requestTime":        "$context.requestTime",
	"ip":                 "$context.identity.sourceIp",
	"httpMethod":         "$context.httpMethod",
	"path":               "$context.path",
	"routeKey":           "$context.routeKey",
	"status":             "$context.status",
	"protocol":           "$context.protocol",
	"responseLength":     "$context.responseLength",
	"responseLatency":    "$context.responseLatency",
	"integrationLatency": "$context.integrationLatency",
	"integrationStatus":  "$context.integrationStatus",
	"integrationError":   "$context.integrationErrorMessage",
	"authorizerError":    "$context.authorizer.error",
	"userAgent":          "$context.identity.userAgent",
}

// BackendHeader carries a backend's name from its API integration to the
// load balancer rule that forwards to it. The integration overwrites it, so
// a client cannot pick a backend itself.
const BackendHeader = "X-Private-Apis-Backend"

// UserHeader carries the caller's identity to the backends. The integration
// overwrites it with the JWT subject, or removes it without authorization,
// so a client cannot claim to be someone else.
const UserHeader = "x-user-id"

// IntegrationTimeoutMilliseconds bounds every call from the API to a
// backend; API Gateway allows at most 30000.
const IntegrationTimeoutMilliseconds = 29000

// The consumer's throttling config keys, without the project namespace.
const (
	KeyRouteRateLimit       = "routeRateLimit"
	KeyRouteBurstLimit      = "routeBurstLimit"
	KeyWriteRouteRateLimit  = "writeRouteRateLimit"
	KeyWriteRouteBurstLimit = "writeRouteBurstLimit"
)

// MaxRouteRate is API Gateway's default account limit in most regions: no
// route can usefully be allowed more.
const MaxRouteRate = 10000

// Throttling is a stage's throttling as API Gateway applies it: every route
// has a token bucket of its own, not one shared by the API. A route gets
// RateLimit requests per second with bursts of BurstLimit (the stage's
// default route settings), except a write route (POST, PUT, PATCH,
// DELETE, or ANY, which takes them all), whose route setting replaces them with WriteRateLimit and
// WriteBurstLimit. The consumer stack deploys it; the local gateway
// reproduces it.
type Throttling struct {
	RateLimit, BurstLimit           int
	WriteRateLimit, WriteBurstLimit int
	// Routes are limits of particular route keys (private-apis:routeThrottling),
	// each a route setting that replaces the defaults above for that route.
	Routes map[string]RouteLimit
}

// RouteLimit is one route's rate (requests a second) and burst.
type RouteLimit struct {
	RateLimit  int `json:"rateLimit" yaml:"rateLimit"`
	BurstLimit int `json:"burstLimit" yaml:"burstLimit"`
}

// KeyRouteThrottling is the config key of Throttling.Routes.
const KeyRouteThrottling = "routeThrottling"

// DefaultThrottling is what a consumer gets without throttling config:
// enough for a few hundred requests per second over a handful of routes,
// which two small tasks or instances per provider serve with room to spare.
// It is PrivateApiArgs' default for users of the component outside these
// stacks; Pulumi.yaml declares the same defaults for the stacks (a stacks
// test keeps them in step).
var DefaultThrottling = Throttling{RateLimit: 50, BurstLimit: 100, WriteRateLimit: 10, WriteBurstLimit: 20}

// WithDefaults fills each unset (zero) limit from DefaultThrottling.
func (t Throttling) WithDefaults() Throttling {
	d := DefaultThrottling
	if t.RateLimit == 0 {
		t.RateLimit = d.RateLimit
	}
	if t.BurstLimit == 0 {
		t.BurstLimit = d.BurstLimit
	}
	if t.WriteRateLimit == 0 {
		t.WriteRateLimit = d.WriteRateLimit
	}
	if t.WriteBurstLimit == 0 {
		t.WriteBurstLimit = d.WriteBurstLimit
	}
	return t
}

// RouteLimit is the rate and burst API Gateway gives a route key, and
// whether they come from a route setting of its own rather than the stage's
// defaults.
func (t Throttling) RouteLimit(routeKey string) (rate, burst int, routeSetting bool) {
	if l, ok := t.Routes[routeKey]; ok {
		return l.RateLimit, l.BurstLimit, true
	}
	method, _, _ := strings.Cut(routeKey, " ")
	if contract.IsWriteMethod(method) {
		return t.WriteRateLimit, t.WriteBurstLimit, true
	}
	return t.RateLimit, t.BurstLimit, false
}

// ThrottlingProblem is one limit API Gateway would not take, or that
// defeats its purpose, named by its config key.
type ThrottlingProblem struct {
	Key string
	// Value is the bad value as the user wrote it.
	Value   string
	Problem string
}

func (p ThrottlingProblem) Error() string {
	return fmt.Sprintf("%s = %s: %s", p.Key, p.Value, p.Problem)
}

// Problems lists every limit out of range: each must be 1 to MaxRouteRate
// (a zero burst would refuse every request), and writes must not be allowed
// more than reads.
func (t Throttling) Problems() []ThrottlingProblem {
	var out []ThrottlingProblem
	for _, l := range []struct {
		key string
		v   int
	}{
		{KeyRouteRateLimit, t.RateLimit}, {KeyRouteBurstLimit, t.BurstLimit},
		{KeyWriteRouteRateLimit, t.WriteRateLimit}, {KeyWriteRouteBurstLimit, t.WriteBurstLimit},
	} {
		if l.v < 1 || l.v > MaxRouteRate {
			out = append(out, ThrottlingProblem{l.key, strconv.Itoa(l.v), fmt.Sprintf("must be 1 to %d requests per second for each route (API Gateway's default account limit); e.g. 50", MaxRouteRate)})
		}
	}
	if t.WriteRateLimit > t.RateLimit {
		out = append(out, ThrottlingProblem{KeyWriteRouteRateLimit, strconv.Itoa(t.WriteRateLimit), fmt.Sprintf("must not exceed %s (%d): writes are throttled tighter", KeyRouteRateLimit, t.RateLimit)})
	}
	keys := make([]string, 0, len(t.Routes))
	for k := range t.Routes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		l := t.Routes[key]
		if err := contract.ValidateRouteKey(key); err != nil {
			out = append(out, ThrottlingProblem{KeyRouteThrottling, strconv.Quote(key), err.Error()})
			continue
		}
		for _, v := range []struct {
			field string
			n     int
		}{{"rateLimit", l.RateLimit}, {"burstLimit", l.BurstLimit}} {
			if v.n < 1 || v.n > MaxRouteRate {
				out = append(out, ThrottlingProblem{KeyRouteThrottling, fmt.Sprintf("%q: {%s: %d}", key, v.field, v.n), fmt.Sprintf("%s must be 1 to %d; give each route both, e.g. {%q: {rateLimit: 5, burstLimit: 10}}", v.field, MaxRouteRate, key)})
			}
		}
	}
	return out
}
