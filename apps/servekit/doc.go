// Package servekit is the plumbing every private-apis service shares, so
// that they all behave the same behind the load balancer: read the same
// environment variables with the same checks and messages, answer health
// checks the same way, drain the same way on SIGTERM, and send JSON with the
// same headers. A service keeps only what is its own (its routes, its
// bodies, its store) and does the rest through this package.
//
// The pieces, in the order a service's main uses them:
//
//   - [Main] wires a run function to the process: a context cancelled on
//     SIGTERM, the environment and stderr, and exit status 1 on error.
//   - [RejectArgs], [ParseConfig] and [ConfigError] read the common
//     variables (PORT, HOST, LOG_LEVEL, DRAIN_DELAY, SHUTDOWN_TIMEOUT) and
//     let a service add the errors of its own variables, so that a broken
//     task definition is reported whole and needs one fix.
//   - [Config.NewLogger] is the JSON log stream on stderr.
//   - [Listen] opens the port; [Serve] runs the handler and shuts it down
//     in the order a load balancer needs, using [Health] to fail /healthz
//     first.
//   - [Router], [Body] and [Write] build the handler: JSON everywhere,
//     including the 404 and 405 answers, in the {"message":"..."} shape
//     that API Gateway uses, and the health check.
//   - [Query] reads a request's query string and refuses, naming the
//     parameter, what it can't parse, where net/url would drop it.
//   - [LogRequests] logs every request when LOG_LEVEL=debug and costs
//     nothing otherwise.
//
// The package uses only the standard library, so depending on it adds
// nothing to a service's go.sum.
package servekit
