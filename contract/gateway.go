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

// IntegrationTimeoutMilliseconds bounds every call from the API to a
// backend; API Gateway allows at most 30000.
const IntegrationTimeoutMilliseconds = 29000

// Services lists every private service this repository runs, for tools
// that need all of them (the stacks pick theirs by role).
var Services = []Service{DogNames, Todo}
