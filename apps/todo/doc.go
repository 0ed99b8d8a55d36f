// Command todo is the todo API: a small HTTP service that stores short
// to-do items per user. It runs as a container (with --network host) on EC2
// instances behind an AWS Network Load Balancer and keeps its items in
// DynamoDB. It is a rewrite of an old Flask sample and stays compatible with
// that sample's clients: the same paths, the same {"id": ..., "data": ...}
// items, form posts such as
//
//	curl -d data="Write new AWS blog post" http://localhost:8080/todo
//
// and the same "Todo <id> doesn't exist" message.
//
// Routes (JSON everywhere; errors are {"message": "..."}):
//
//	GET    /todo       a page of the caller's todos, oldest first, as a JSON
//	                   array; query limit (1-100, default 50) and cursor. The
//	                   next page's cursor is in the X-Next-Cursor response
//	                   header, which is absent on the last page
//	POST   /todo       create a todo from the form field data
//	                   (application/x-www-form-urlencoded or
//	                   multipart/form-data) or a JSON body {"data": "..."};
//	                   201 with the item and a Location header. data is 1 to
//	                   4096 characters; the body is at most 64 KiB
//	GET    /todo/{id}  one todo, or 404
//	DELETE /todo/{id}  204, or 404
//	GET    /healthz    liveness for the load balancer: 200 {"status":"ok"};
//	                   503 {"status":"draining"} once shutdown has begun. It
//	                   never touches the store
//	GET    /readyz     200 {"status":"ready"} if the store answers within
//	                   2 s, else 503
//
// HEAD is accepted wherever GET is. Other methods on these paths get a JSON
// 405 with an Allow header, and any other path a JSON 404.
//
// Every todo belongs to the user in the X-User-Id request header (1 to 128
// characters of A-Z, a-z, 0-9 and ._@|:-), which the API Gateway in front
// sets from the token's sub claim, or to "anonymous" without one. Users
// only ever see their own todos. Ids are 26-character ULIDs, so they sort
// by creation time.
//
// Configuration comes only from the environment:
//
//	PORT               port to listen on, 1-65535 (default 8080)
//	HOST               IP address to listen on (default: all interfaces,
//	                   which the load balancer needs; set 127.0.0.1 for
//	                   local tests)
//	LOG_LEVEL          debug, info, warn or error (default info); debug logs
//	                   every request
//	DRAIN_DELAY        how long /healthz reports draining before the server
//	                   stops accepting connections, a Go duration >= 0
//	                   (default 5s)
//	SHUTDOWN_TIMEOUT   how long in-flight requests get to finish after that,
//	                   a Go duration > 0 (default 10s)
//	TABLE_NAME         the DynamoDB table (partition key owner, sort key id,
//	                   both strings). If set the service uses DynamoDB;
//	                   if not, a local bbolt file
//	AWS_REGION         the table's region (default: the AWS SDK's own lookup)
//	DYNAMODB_ENDPOINT  a DynamoDB-compatible endpoint instead of AWS's, e.g.
//	                   http://127.0.0.1:4567 for dynalite; needs TABLE_NAME
//	DATA_DIR           directory of the local store's todo.db when
//	                   TABLE_NAME is not set (default ./data, created 0700)
//
// AWS credentials come from the SDK's default chain (on EC2, the instance
// role). Logs are JSON lines on stderr.
package main
