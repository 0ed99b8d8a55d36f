// Package localgw is a local stand-in for the consumer stack's API Gateway
// HTTP API, so the whole system runs on a laptop without AWS.
//
// It is an http.Handler on net/http's server in front of an
// httputil.ReverseProxy, and reproduces what a client of the deployed API
// can observe, from the same definitions the stacks deploy:
//
//   - routes: the route keys of contract.Services, matched as HTTP API
//     matches them ({param} is one path segment, {proxy+} the rest of the
//     path, ANY any method, the most specific route wins, HEAD does not
//     match GET) against the decoded path, which is also the path the
//     backend gets (API Gateway decodes it, so /dogs%2Fmales is
//     GET /dogs/males); anything unmatched is 404 {"message":"Not Found"};
//   - throttling: a token bucket per route, as a stage applies its
//     default route settings to each route on its own, with write routes'
//     and private-apis:routeThrottling's routes' own settings
//     (apirules.Throttling, read by LoadStackConfig from the files the
//     consumer stack deploys with); 429 {"message":"Too Many Requests"}
//     over a route's limit;
//   - CORS, when the stack file configures it (apirules.CORS): a browser's
//     preflight (OPTIONS with Origin and Access-Control-Request-Method) is
//     answered 204 by the gateway itself, with the allowed methods and
//     headers for an allowed origin and no CORS header for another, unless
//     an OPTIONS or ANY route matches it, which then gets it as API Gateway
//     sends it there; integrations' responses get the API's CORS headers in
//     place of the backend's, which API Gateway ignores;
//   - the integration: the whole request is read first (over 10 MB is 413,
//     a malformed body 400, at once), then proxied with the client's
//     x-user-id removed and X-Private-Apis-Backend naming the backend, as
//     the integration's request parameters do; the whole response is read
//     before any of it is sent, as API Gateway buffers it, so a client
//     never sees half a response; a backend that doesn't answer, body
//     included, within apirules.IntegrationTimeoutMilliseconds gets API
//     Gateway's 503 {"message":"Service Unavailable"}, and one that refuses
//     the connection or answers malformed HTTP gets the consumer load
//     balancer's 502 page, which API Gateway passes through;
//   - the access log: one JSON line per request with exactly the fields of
//     apirules.AccessLogFields, every value a string ("-" when empty), as
//     the deployed stage's format writes them.
//
// It serves only its own address: a Host other than 127.0.0.1, localhost
// or ::1 with its port is 403, so a web page can't read it through DNS
// rebinding. It does not reproduce JWT authorization, TLS, custom domains,
// API Gateway's account-wide quota or its answers to malformed HTTP
// (net/http's server answers those).
package localgw
