// Package localgw is a local stand-in for the consumer stack's API Gateway
// HTTP API, or its REST API with apiType rest, so the whole system runs on a
// laptop without AWS (make run).
//
// It is an http.Handler on net/http's server in front of an
// httputil.ReverseProxy, built from the same definitions the stacks deploy:
// the routes of contract.Services, and apirules' throttling, CORS, JWT
// authorization, a REST API's API keys, usage plans and answers,
// integration timeout, headers and access log fields. What it reproduces of
// the deployed API, and what it does not, is described once, for its users,
// in docs/local-run.md at the repository's root.
package localgw
