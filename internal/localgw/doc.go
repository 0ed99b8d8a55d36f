// Package localgw is a local stand-in for the consumer stack's API Gateway
// HTTP API, so the whole system runs on a laptop without AWS.
//
// It reproduces what a client of the deployed API can observe, from the
// same definitions the stacks deploy, never a second copy:
//
//   - routes: the route keys of contract.Services, matched by HTTP API rules
//     ({param} is one path segment, {proxy+} the rest of the path, ANY any
//     method, the most specific route wins, HEAD does not match GET, and
//     anything unmatched is 404 {"message":"Not Found"});
//   - throttling: a token bucket for the whole API and a tighter one per
//     write route, with the limits of Pulumi.consumer.yaml or the defaults
//     declared in Pulumi.yaml (LoadThrottling), 429 {"message":"Too Many
//     Requests"} over the limit;
//   - the integration: the request is proxied as is, except that a
//     client's x-user-id header is removed and X-Private-Apis-Backend names
//     the backend, as the deployed integration's request parameters do; a
//     refused connection is 503 {"message":"Service Unavailable"} and a
//     backend slower than contract.IntegrationTimeoutMilliseconds is 504
//     {"message":"Gateway Timeout"};
//   - the access log: one JSON line per request with exactly the fields of
//     contract.AccessLogFields, every value a string ("-" when empty), which
//     is what the deployed stage's format produces.
//
// It does not reproduce JWT authorization, TLS, custom domains, payload
// size limits or API Gateway's own per-account quotas.
//
// It speaks HTTP/1.1 (and 1.0) on both sides, with its own connection loop
// rather than net/http's server and transport, because what it spends per
// request decides how much of a service's throughput survives it (serve.go
// says more). Requests and responses are still parsed by net/http. It keeps
// one backend connection per client connection and backend; it relays
// bodies of unknown length as they arrive; it does not pass on trailers,
// 1xx informational responses or protocol upgrades (HTTP APIs have no
// upgrades, and the services here use none of the three).
package localgw
