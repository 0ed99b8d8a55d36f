package components

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/private-apis/private-apis/apirules"
)

// RestStageName is a REST API's one stage. Its default address ends with
// it (https://<id>.execute-api.<region>.amazonaws.com/api); a custom
// domain's doesn't.
const RestStageName = apirules.RESTStageName

// MaxRestBackends is the most backends a REST API reaches: each is a
// listener of its NLB, which takes 50 (a quota AWS doesn't raise:
// https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-limits.html).
const MaxRestBackends = 50

// Endpoint types of a REST API.
const (
	EndpointRegional = "REGIONAL"
	EndpointPrivate  = "PRIVATE"
)

// vpcEndpointIDPattern is an interface endpoint's ID, as the contract
// schemas take them.
var vpcEndpointIDPattern = regexp.MustCompile(`^vpce-[0-9a-f]{8,17}$`)

// RestOptions are what only a REST API has.
type RestOptions struct {
	// Clients each get an API key and a usage plan of their own. With any,
	// every route but PublicRoutes needs a key (header x-api-key).
	Clients      apirules.Clients
	PublicRoutes []string
	// WAF, when set, puts a regional web ACL on the stage.
	WAF *WAFOptions
	// EndpointType is EndpointRegional (the default) or EndpointPrivate:
	// reachable only through AllowedVpcEndpoints (execute-api interface
	// endpoints), which the resource policy then names.
	EndpointType        string
	AllowedVpcEndpoints []string
	// AllowedSourceIps, when set, are the only CIDR ranges that may call
	// the API; DeniedSourceIps may not. Both go in its resource policy.
	AllowedSourceIps, DeniedSourceIps []string
}

// restGateway is a REST API's half of the path: an NLB with a listener per
// backend (a REST API's VPC link targets one NLB, pulumi-aws v6 having no
// REST integration with an ALB), the VPC link, the API, a deployment made
// exactly when what it holds changes, the stage with its method settings,
// the clients' keys and plans, and WAF.
//
// The API's paths, methods and integrations are its OpenAPI body rather
// than resources of their own: a deployment snapshots the API as it is
// when it is made, and Pulumi deletes removed resources only at the end
// of an update, after the new deployment, which would keep serving a
// removed route. A body is replaced whole by the API's own update, which
// the deployment waits for.
func (api *PrivateApi) restGateway(ctx *pulumi.Context, name string, a PrivateApiArgs, g privateApiGroups) error {
	nlb, listeners, err := api.networkLoadBalancer(ctx, name, a, g)
	if err != nil {
		return err
	}
	link, err := apigateway.NewVpcLink(ctx, name+"-vpclink", &apigateway.VpcLinkArgs{
		Description: pulumi.String("The REST API's way into the consumer VPC, to its NLB"),
		TargetArn:   nlb.Arn,
		Tags:        a.Tags,
	}, pulumi.Parent(api))
	if err != nil {
		return fmt.Errorf("creating VPC link: %w", err)
	}
	body := pulumi.All(nlb.DnsName, link.ID()).ApplyT(func(v []any) (string, error) {
		return restOpenAPI(name, a, restTarget{nlbDNS: v[0].(string), linkID: string(v[1].(pulumi.ID))})
	}).(pulumi.StringOutput)
	policy := restPolicy(a.Rest)
	restArgs := &apigateway.RestApiArgs{
		Description:               pulumi.String("Public entry point to private services over PrivateLink"),
		Body:                      body,
		ApiKeySource:              pulumi.String("HEADER"),
		DisableExecuteApiEndpoint: pulumi.Bool(a.DisableExecuteApiEndpoint),
		EndpointConfiguration:     restEndpoint(a.Rest),
		Tags:                      a.Tags,
	}
	if policy != "" {
		restArgs.Policy = pulumi.String(policy)
	}
	rest, err := apigateway.NewRestApi(ctx, name, restArgs, pulumi.Parent(api))
	if err != nil {
		return fmt.Errorf("creating REST API: %w", err)
	}
	// A new deployment exactly when what it holds changes: the body, the
	// policy, the endpoint, whether the execute-api address answers
	// (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-disable-default-endpoint.html
	// takes effect on the next deployment).
	triggers := pulumi.StringMap{"api": body.ApplyT(func(b string) string { return restFingerprint(a, b, policy) }).(pulumi.StringOutput)}
	stage, err := api.restStage(ctx, name, a, rest, triggers, listeners)
	if err != nil {
		return err
	}
	if err := api.restClients(ctx, name, a, rest, stage); err != nil {
		return err
	}
	if a.Rest.WAF != nil {
		if err := api.webACL(ctx, name, a, stage); err != nil {
			return err
		}
	}
	api.ApiId = rest.ID().ToStringOutput()
	api.ApiName = rest.Name
	api.ApiEndpoint = stage.InvokeUrl
	api.StageName = stage.StageName
	return nil
}

func restEndpoint(r RestOptions) *apigateway.RestApiEndpointConfigurationArgs {
	if r.EndpointType == EndpointPrivate {
		return &apigateway.RestApiEndpointConfigurationArgs{
			Types:          pulumi.String(EndpointPrivate),
			VpcEndpointIds: pulumi.ToStringArray(r.AllowedVpcEndpoints),
		}
	}
	return &apigateway.RestApiEndpointConfigurationArgs{Types: pulumi.String(EndpointRegional)}
}

// networkLoadBalancer is the REST API's NLB: a TCP listener per backend on
// its ListenerPort, forwarding to a target group of its endpoint's IPs.
// Cross-zone load balancing is on because a backend's endpoint is in the
// AZs it shares with the consumer, not necessarily in every AZ of the NLB.
// The NLB's security group reaches the endpoints; it evaluates no inbound
// rules for PrivateLink traffic, which is all the VPC link sends, as AWS's
// VPC link setup says ("Turn off security group evaluation for
// PrivateLink": https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-nlb-for-vpclink-using-console.html).
// Security groups can't be added to an NLB created without them
// (terraform-provider-aws elbv2/load_balancer.go customizeDiffLoadBalancerNLB
// replaces it), so it has one from the start.
func (api *PrivateApi) networkLoadBalancer(ctx *pulumi.Context, name string, a PrivateApiArgs, g privateApiGroups) (*lb.LoadBalancer, []pulumi.Resource, error) {
	nlb, err := lb.NewLoadBalancer(ctx, name+"-nlb", &lb.LoadBalancerArgs{
		LoadBalancerType:             pulumi.String("network"),
		Internal:                     pulumi.Bool(true),
		Subnets:                      a.SubnetIds,
		SecurityGroups:               pulumi.StringArray{g.loadBalancer.ID()},
		EnableCrossZoneLoadBalancing: pulumi.Bool(true),
		IpAddressType:                pulumi.String("ipv4"),
		EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: pulumi.String("off"),
		Tags: a.Tags,
	}, pulumi.Parent(api))
	if err != nil {
		return nil, nil, fmt.Errorf("creating NLB: %w", err)
	}
	var listeners []pulumi.Resource
	for _, b := range a.Backends {
		tg, err := api.endpointTargets(ctx, name, a, g, b)
		if err != nil {
			return nil, nil, fmt.Errorf("backend %s: %w", b.Name, err)
		}
		listener, err := lb.NewListener(ctx, name+"-"+b.Name+"-listener", &lb.ListenerArgs{
			LoadBalancerArn: nlb.Arn,
			Port:            pulumi.Int(b.ListenerPort),
			Protocol:        pulumi.String("TCP"),
			DefaultActions: lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{
				Type:           pulumi.String("forward"),
				TargetGroupArn: tg.Arn,
			}},
			Tags: withTag(a.Tags, ProviderTag, b.Provider),
		}, pulumi.Parent(api))
		if err != nil {
			return nil, nil, fmt.Errorf("backend %s: creating listener: %w", b.Name, err)
		}
		listeners = append(listeners, listener)
	}
	api.LoadBalancerArn = nlb.Arn
	api.LoadBalancerArnSuffix = nlb.ArnSuffix
	return nlb, listeners, nil
}

// restTarget is where every integration goes: through the VPC link to the
// NLB, whose listener port picks the backend.
type restTarget struct {
	nlbDNS, linkID string
}

// restOpenAPI is the API's OpenAPI 3 definition with API Gateway's
// extensions: per route key a method whose HTTP_PROXY integration goes over
// the VPC link to its backend's NLB listener, asks for an API key unless
// the route is public, and sets x-user-id so no caller chooses the user id
// a backend trusts: the caller's key ID, or "anonymous" on a route without
// a key. Path variables, {proxy+} included, pass through by name.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration.html
func restOpenAPI(name string, a PrivateApiArgs, to restTarget) (string, error) {
	paths := map[string]map[string]any{}
	for _, b := range a.Backends {
		for _, routeKey := range b.Routes {
			method, path, _ := strings.Cut(routeKey, " ")
			user := "'anonymous'"
			op := map[string]any{"responses": map[string]any{}}
			if a.Rest.Clients.KeyRequired(a.Rest.PublicRoutes, routeKey) {
				user = "context.identity.apiKeyId"
				op["security"] = []any{map[string]any{"api_key": []any{}}}
			}
			params := map[string]string{
				"integration.request.header." + apirules.UserHeader: user,
				// A proxy integration passes every header on; a backend has
				// no use for a client's secret.
				"integration.request.header." + apirules.APIKeyHeader: "'-'",
			}
			var declared []any
			for _, p := range restPathParameters(path) {
				declared = append(declared, map[string]any{"name": p, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
				params["integration.request.path."+p] = "method.request.path." + p
			}
			if declared != nil {
				op["parameters"] = declared
			}
			op["x-amazon-apigateway-integration"] = map[string]any{
				"type":                "http_proxy",
				"httpMethod":          method,
				"uri":                 fmt.Sprintf("http://%s:%d%s", to.nlbDNS, b.ListenerPort, strings.ReplaceAll(path, "+}", "}")),
				"connectionType":      "VPC_LINK",
				"connectionId":        to.linkID,
				"timeoutInMillis":     a.IntegrationTimeoutMilliseconds,
				"passthroughBehavior": "when_no_match",
				"requestParameters":   params,
			}
			if paths[path] == nil {
				paths[path] = map[string]any{}
			}
			paths[path][openAPIMethod(method)] = op
		}
	}
	doc := map[string]any{
		"openapi": "3.0.1",
		"info":    map[string]any{"title": name, "version": "1.0"},
		"paths":   paths,
		"components": map[string]any{"securitySchemes": map[string]any{
			"api_key": map[string]any{"type": "apiKey", "name": apirules.APIKeyHeader, "in": "header"},
		}},
		"x-amazon-apigateway-api-key-source": "HEADER",
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("writing the OpenAPI definition: %w", err)
	}
	return string(out), nil
}

// openAPIMethod is an HTTP method as an OpenAPI path item's key; ANY is
// API Gateway's own.
func openAPIMethod(method string) string {
	if method == "ANY" {
		return "x-amazon-apigateway-any-method"
	}
	return strings.ToLower(method)
}

// restPaths are every resource path the routes need, parents first.
func restPaths(backends []Backend) []string {
	seen := map[string]bool{}
	for _, b := range backends {
		for _, routeKey := range b.Routes {
			_, path, _ := strings.Cut(routeKey, " ")
			for i := 1; i < len(path); i++ {
				if path[i] == '/' {
					seen[path[:i]] = true
				}
			}
			if path != "/" {
				seen[path] = true
			}
		}
	}
	paths := make([]string, 0, len(seen))
	for p := range seen {
		paths = append(paths, p)
	}
	slices.SortFunc(paths, func(x, y string) int {
		if d := strings.Count(x, "/") - strings.Count(y, "/"); d != 0 {
			return d
		}
		return strings.Compare(x, y)
	})
	return paths
}

// restPathParameters are a path's variables by name: {proxy+} is proxy.
func restPathParameters(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.TrimSuffix(seg[1:len(seg)-1], "+"))
		}
	}
	return out
}

// restFingerprint sums up what a deployment of the API holds: its body
// (every method and integration), its resource policy, its endpoint type
// and whether the execute-api address answers.
func restFingerprint(a PrivateApiArgs, body, policy string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{body, "policy=" + policy, "endpoint=" + restEndpointType(a.Rest),
		fmt.Sprintf("disableExecuteApiEndpoint=%t", a.DisableExecuteApiEndpoint)}, "\n")))
	return hex.EncodeToString(sum[:])
}

func restEndpointType(r RestOptions) string {
	if r.EndpointType == "" {
		return EndpointRegional
	}
	return r.EndpointType
}

// restPolicy is the API's resource policy, or "" without one: an explicit
// allow (API Gateway requires one once there is a policy), the allowed
// source ranges as its condition, and denials of denied ranges and, for a
// private API, of every VPC endpoint but the allowed ones. Private APIs
// can't be deployed without a policy:
// https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html
func restPolicy(r RestOptions) string {
	if r.EndpointType != EndpointPrivate && len(r.AllowedSourceIps) == 0 && len(r.DeniedSourceIps) == 0 {
		return ""
	}
	statement := func(effect string, condition map[string]any) map[string]any {
		s := map[string]any{"Effect": effect, "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
		if condition != nil {
			s["Condition"] = condition
		}
		return s
	}
	var allow map[string]any
	if len(r.AllowedSourceIps) > 0 {
		allow = map[string]any{"IpAddress": map[string]any{"aws:SourceIp": r.AllowedSourceIps}}
	}
	statements := []any{statement("Allow", allow)}
	if len(r.DeniedSourceIps) > 0 {
		statements = append(statements, statement("Deny", map[string]any{"IpAddress": map[string]any{"aws:SourceIp": r.DeniedSourceIps}}))
	}
	if r.EndpointType == EndpointPrivate {
		statements = append(statements, statement("Deny", map[string]any{"StringNotEquals": map[string]any{"aws:SourceVpce": r.AllowedVpcEndpoints}}))
	}
	return mustJSON(map[string]any{"Version": "2012-10-17", "Statement": statements})
}

// checkRest guards a REST API's own invariants: listener ports, the
// resource tree API Gateway accepts, the options' values.
func (a PrivateApiArgs) checkRest() error {
	if a.Jwt != nil || a.CORS.Enabled() {
		return fmt.Errorf("Jwt and CORS are an HTTP API's; a REST API refuses them")
	}
	if len(a.Backends) > MaxRestBackends {
		return fmt.Errorf("%d backends: a REST API's NLB takes a listener each, and at most %d", len(a.Backends), MaxRestBackends)
	}
	ports := map[int]string{}
	for _, b := range a.Backends {
		if b.ListenerPort < 1 || b.ListenerPort > 65535 {
			return fmt.Errorf("backend %s: ListenerPort %d must be 1-65535", b.Name, b.ListenerPort)
		}
		if other, taken := ports[b.ListenerPort]; taken {
			return fmt.Errorf("backends %s and %s both have NLB listener port %d", other, b.Name, b.ListenerPort)
		}
		ports[b.ListenerPort] = b.Name
	}
	if err := checkRestPaths(restPaths(a.Backends)); err != nil {
		return err
	}
	if p := a.Rest.Clients.Problems(); len(p) > 0 {
		return fmt.Errorf("Clients: %w", p[0])
	}
	var routes []string
	for _, b := range a.Backends {
		routes = append(routes, b.Routes...)
	}
	for _, r := range a.Rest.PublicRoutes {
		if !slices.Contains(routes, r) {
			return fmt.Errorf("Rest.PublicRoutes: %q is not one of the backends' routes", r)
		}
	}
	if err := a.Rest.CheckPolicy(); err != nil {
		return err
	}
	if a.Rest.WAF != nil {
		return a.Rest.WAF.Check()
	}
	return nil
}

// checkRestPaths refuses what API Gateway refuses in a resource tree: two
// variables under one parent ("only one is allowed").
func checkRestPaths(paths []string) error {
	variables := map[string]string{}
	for _, p := range paths {
		parent, part := p[:strings.LastIndex(p, "/")], p[strings.LastIndex(p, "/")+1:]
		if strings.HasPrefix(part, "{") {
			if other, ok := variables[parent]; ok && other != part {
				return fmt.Errorf("paths %s/%s and %s share a parent with two different variables, which a REST API refuses (one variable path part per parent); name them alike", parent, other, p)
			}
			variables[parent] = part
		}
	}
	return nil
}

// PolicyProblem is a resource policy setting a REST API can't have, by
// its RestOptions field.
type PolicyProblem struct {
	Field string
	Err   error
}

func (p *PolicyProblem) Error() string { return p.Field + ": " + p.Err.Error() }

// CheckPolicy checks the endpoint type and the ranges and endpoints the
// resource policy names; a problem is a *PolicyProblem.
func (r RestOptions) CheckPolicy() error {
	problem := func(field, format string, args ...any) error {
		return &PolicyProblem{field, fmt.Errorf(format, args...)}
	}
	switch r.EndpointType {
	case "", EndpointRegional:
		if len(r.AllowedVpcEndpoints) > 0 {
			return problem("AllowedVpcEndpoints", "only mean something with EndpointType %s", EndpointPrivate)
		}
	case EndpointPrivate:
		if len(r.AllowedVpcEndpoints) == 0 {
			return problem("EndpointType", "a %s API needs AllowedVpcEndpoints, the execute-api endpoints that may call it", EndpointPrivate)
		}
		for _, f := range r.sourceRanges() {
			if len(f.ranges) > 0 {
				return problem(f.field, "a %s API's callers come through VPC endpoints, with no public source IP to allow or deny", EndpointPrivate)
			}
		}
	default:
		return problem("EndpointType", "%q must be %s or %s", r.EndpointType, EndpointRegional, EndpointPrivate)
	}
	for _, e := range r.AllowedVpcEndpoints {
		if !vpcEndpointIDPattern.MatchString(e) {
			return problem("AllowedVpcEndpoints", "%q is not a VPC endpoint ID (vpce- and 8 to 17 hex digits)", e)
		}
	}
	for _, f := range r.sourceRanges() {
		for _, cidr := range f.ranges {
			if p, err := netip.ParsePrefix(cidr); err != nil || p.Masked() != p {
				return problem(f.field, "%q is not a CIDR range such as 203.0.113.0/24 (host bits clear)", cidr)
			}
		}
	}
	return nil
}

// sourceRanges are the allowed and denied ranges by field, in that order.
func (r RestOptions) sourceRanges() []struct {
	field  string
	ranges []string
} {
	return []struct {
		field  string
		ranges []string
	}{{"AllowedSourceIps", r.AllowedSourceIps}, {"DeniedSourceIps", r.DeniedSourceIps}}
}
