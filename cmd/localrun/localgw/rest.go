package localgw

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/private-apis/private-apis/apirules"
)

// Answers a REST API gives that an HTTP API doesn't. A request no method
// matches is MISSING_AUTHENTICATION_TOKEN's default answer, 403 (REST APIs
// answer no 404 of their own); an integration timeout is
// INTEGRATION_TIMEOUT's 504, with the body REST APIs are seen to send (AWS
// documents the status, not the body):
// https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
const (
	restMissingTokenBody = `{"message":"Missing Authentication Token"}`
	restTimeoutBody      = `{"message": "Endpoint request timed out"}`
	// restRequestIDHeader is where REST APIs put the request id.
	restRequestIDHeader = "X-Amzn-Requestid"
	// restAnonymous is the x-user-id the deployed integration sends on a
	// route that needs no key (a static 'anonymous').
	restAnonymous = "anonymous"
	// restAPIKeyStandIn is the x-api-key every backend gets from a REST
	// API, whatever the client sent: the deployed integration maps
	// integration.request.header.x-api-key to the static '-'.
	restAPIKeyStandIn = "-"
	// restResourceARN is the start of the method ARN a resource policy's
	// refusal names: the stage is the deployed one's
	// (components.RestStageName); the region, account and API id are
	// placeholders, the local API has none.
	restResourceARN = "arn:aws:execute-api:local:000000000000:localapi00/" + apirules.RESTStageName + "/"
)

// restGate is what a REST API checks before the integration that an HTTP
// API doesn't: the resource policy's source IPs, the API key and the
// client's usage plan.
type restGate struct {
	rules   *REST
	byValue map[string]*restClient
}

// restClient is one client's key and usage plan.
type restClient struct {
	name, keyID string
	rate        *bucket
	quota       *quota // nil: no quota
}

func newRESTGate(cfg Config, routeKeys []string, start time.Time) (*restGate, error) {
	rules := cfg.REST
	choice := apirules.TypeChoices{Type: apirules.ApiTypeREST, Clients: rules.Clients, CORS: cfg.CORS, PublicRoutes: rules.PublicRoutes}
	if cfg.JWT != nil {
		choice.JWTIssuer = cfg.JWT.Issuer
	}
	if p := errors.Join(problemErrors(rules.Clients.Problems())...); p != nil {
		return nil, p
	}
	if p := errors.Join(problemErrors(choice.Problems())...); p != nil {
		return nil, p
	}
	for _, r := range rules.PublicRoutes {
		if !slices.Contains(routeKeys, r) {
			return nil, fmt.Errorf("%s names %q, which no backend serves; routes are %s", apirules.KeyPublicRoutes, r, strings.Join(routeKeys, ", "))
		}
	}
	g := &restGate{rules: rules, byValue: map[string]*restClient{}}
	for _, name := range rules.Clients.Names() {
		key, plan := cfg.APIKeys[name], rules.Clients[name]
		switch {
		case !apiKeyIDPattern.MatchString(key.ID) || !apiKeyValuePattern.MatchString(key.Value):
			return nil, fmt.Errorf("%s: client %s has no API key of API Gateway's shape (LoadAPIKeys makes them)", apirules.KeyClients, name)
		case g.byValue[key.Value] != nil:
			return nil, fmt.Errorf("%s: clients %s and %s have the same API key", apirules.KeyClients, g.byValue[key.Value].name, name)
		}
		c := &restClient{name: name, keyID: key.ID, rate: newBucket(plan.RateLimit, plan.BurstLimit, start)}
		if plan.QuotaLimit > 0 {
			c.quota = &quota{limit: plan.QuotaLimit, period: plan.QuotaPeriod}
		}
		g.byValue[key.Value] = c
	}
	return g, nil
}

func problemErrors(ps []apirules.ThrottlingProblem) []error {
	out := make([]error, len(ps))
	for i, p := range ps {
		out[i] = p
	}
	return out
}

// sourceAllowed applies the resource policy's source IPs, answering a
// refusal as API Gateway does (403, and an AccessDeniedException's
// Message naming the method's ARN).
func (g *restGate) sourceAllowed(w http.ResponseWriter, r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, _ := netip.ParseAddr(host) // unreadable: the zero Addr, in no range
	if !g.rules.Refuses(ip.Unmap()) {
		return true
	}
	body, _ := json.Marshal(struct{ Message string }{ // a string always marshals
		"User: anonymous is not authorized to perform: execute-api:Invoke on resource: " + restResourceARN + r.Method + r.URL.Path,
	})
	writeBody(w, http.StatusForbidden, string(body))
	return false
}

// admit applies the route's API key and the client's usage plan,
// answering a refusal as a REST API does, and reports whether the request
// may go on. The order is API Gateway's as far as AWS documents it: the
// key identifies the client, whose usage plan applies before the stage's
// per-method throttling ("API Gateway applies your throttling-related
// settings in the following order: per-client or per-method throttling
// limits that you set for an API stage in a usage plan; per-method
// throttling limits that you set for an API stage; ...",
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html).
// Whether the quota or the plan's rate comes first AWS doesn't say; here
// the quota does. Nor does it say whether a refused request counts against
// the quota: here none does, whether the plan's rate or the route's
// throttling refused it (x.refundQuota); a request refused by the route's
// throttling has spent its token of the client's rate, which applied first.
func (g *restGate) admit(w http.ResponseWriter, r *http.Request, x *exchange) bool {
	if !g.rules.Clients.KeyRequired(g.rules.PublicRoutes, x.route.Key) {
		x.user = restAnonymous
		return true
	}
	c := g.byValue[r.Header.Get(apirules.APIKeyHeader)]
	if c == nil {
		writeBody(w, http.StatusForbidden, apirules.RESTForbiddenBody)
		return false
	}
	x.apiKeyID, x.user = c.keyID, c.keyID
	if c.quota != nil {
		refund, ok := c.quota.take(x.start)
		if !ok {
			writeBody(w, http.StatusTooManyRequests, apirules.RESTLimitExceededBody)
			return false
		}
		x.refundQuota = refund
	}
	if !c.rate.allow(x.start) {
		x.refund()
		writeBody(w, http.StatusTooManyRequests, apirules.RESTTooManyRequestsBody)
		return false
	}
	return true
}

// quota counts a client's requests in the current period (a UTC day, an
// ISO week from Monday, or a month), in memory: a restart starts afresh.
type quota struct {
	mu     sync.Mutex
	limit  int
	period string
	start  time.Time // of the period used counts in
	used   int
}

// take spends one request of now's period and returns what gives it back;
// false when the period's requests are spent.
func (q *quota) take(now time.Time) (refund func(), ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if start := periodStart(q.period, now); start.After(q.start) {
		q.start, q.used = start, 0
	}
	if q.used >= q.limit {
		return nil, false
	}
	q.used++
	spent := q.start
	return func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.start.Equal(spent) && q.used > 0 {
			q.used--
		}
	}, true
}

// periodStart is when the quota period holding t began, in UTC.
func periodStart(period string, t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch period {
	case "WEEK":
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)) // back to Monday
	case "MONTH":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}
