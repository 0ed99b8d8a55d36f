// Command dognames is the dog names API: a tiny HTTP service that returns a
// random dog name as JSON. It runs on ECS Fargate behind an AWS Network Load
// Balancer and is a rewrite of an older Go + logrus sample, so its responses
// are byte-for-byte what that sample's json.Encoder produced, for example
//
//	{"Name":"Rex","Gender":"male"}
//
// Routes:
//
//	GET /dogs          a random dog of either gender
//	GET /dogs/males    a random male dog
//	GET /dogs/females  a random female dog
//	GET /healthz       200 {"status":"ok"}; 503 {"status":"draining"} once
//	                   shutdown has begun, so the load balancer stops sending
//	                   new connections before the server stops accepting them
//
// HEAD is accepted wherever GET is. Other methods on these paths get a JSON 405
// with an Allow header, and any other path gets a JSON 404 in the
// {"message":"..."} shape that API Gateway uses, so clients that already
// handle API Gateway errors need nothing new.
//
// Configuration comes only from the environment:
//
//	PORT              port to listen on, 1-65535 (default 8080)
//	HOST              IP address to listen on (default: all interfaces, which
//	                  the load balancer needs; set 127.0.0.1 for local tests)
//	LOG_LEVEL         debug, info, warn or error (default info); debug logs
//	                  every request
//	DRAIN_DELAY       how long /healthz reports draining before the server
//	                  stops accepting connections, a Go duration >= 0
//	                  (default 5s)
//	SHUTDOWN_TIMEOUT  how long in-flight requests get to finish after that,
//	                  a Go duration > 0 (default 10s)
//
// Logs are JSON lines on stderr. The service never writes to disk, so it runs
// on a read-only root filesystem.
package main
