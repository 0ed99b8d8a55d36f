package contract

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

// Services lists every private service this repository runs, for tools
// that need all of them (the stacks pick theirs by role).
var Services = []Service{DogNames, Todo}
