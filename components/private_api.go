package components

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/contract"
)

// Backend is one private service the API routes to over PrivateLink.
type Backend struct {
	// Name is short, unique and lower-case; it names the backend's
	// resources, so it must fit the longest of them: at most
	// MaxBackendNameLen(the PrivateApi's name) characters.
	Name string
	// Provider is the provider's full name (its stack), for the tags and
	// descriptions of the backend's resources. Default: Name.
	Provider string
	// EndpointServiceName is the provider's VPC endpoint service.
	EndpointServiceName string
	// ServiceRegion is the provider's region when it differs from the
	// consumer's (cross-region PrivateLink); empty otherwise.
	ServiceRegion string
	// SubnetIds hold its interface endpoint: one subnet in each of
	// AvailabilityZoneIds (the AZs the service is also in), in that order.
	// Each AZ's endpoint address becomes a load balancer target named
	// after the AZ, so adding or removing an AZ touches that AZ's target
	// alone.
	SubnetIds           pulumi.StringArrayInput
	AvailabilityZoneIds []string
	// Port and HealthCheckPath are the service's, from its contract.
	Port            int
	HealthCheckPath string
	// Routes are the HTTP API route keys it serves.
	Routes []string
	// RulePriority is its listener rule's priority, 1 to 50000, unique
	// among the backends. It must not depend on the other backends (a
	// priority another rule still holds is refused by AWS), so derive it
	// from the backend itself. Required for an HTTP API.
	RulePriority int
	// ListenerPort is its own port on a REST API's NLB, 1 to 65535,
	// unique among the backends and, like RulePriority, derived from the
	// backend itself. Required for a REST API.
	ListenerPort int
	// AwaitingAcceptance says the provider holds the endpoint's connection
	// until it accepts it and has not yet: the endpoint, target group, rule,
	// integration and routes are created, but the endpoint has no
	// interfaces to register as targets until a later update. Otherwise the
	// endpoint must be available, and its interfaces' IPs, read live,
	// become the targets.
	AwaitingAcceptance bool
}

// MaxBackendNameLen is the longest backend name a PrivateApi called apiName
// can hold: its target groups are autonamed "<apiName>-<backend>-tg" plus
// Pulumi's 8 random characters, within AWS's 32.
func MaxBackendNameLen(apiName string) int {
	return targetGroupNameLimit - autonameSuffixLen - len(apiName) - len("--tg")
}

const (
	targetGroupNameLimit = 32
	// autonameSuffixLen is what Pulumi adds to a logical name: "-" and 7
	// random characters.
	autonameSuffixLen = 8
	// MaxRulePriority is the highest listener rule priority AWS accepts.
	MaxRulePriority = 50000
)

// JwtAuth turns on JWT authorization: the API's rules in apirules.JWTAuth,
// which the local gateway enforces too.
type JwtAuth = apirules.JWTAuth

// PrivateApiArgs configures a PrivateApi.
type PrivateApiArgs struct {
	// Type is apirules.ApiTypeHTTP (the default) or apirules.ApiTypeREST:
	// which kind of API Gateway API, and so which load balancer, is built.
	// Changing it on a deployed API replaces the API and its load
	// balancer (a new address); the endpoints stay.
	Type string
	// Rest holds what only a REST API has; it must be empty for HTTP.
	Rest RestOptions
	// VpcId and SubnetIds place the load balancer and the VPC link; use at
	// least two subnets in different AZs.
	VpcId     pulumi.StringInput
	SubnetIds pulumi.StringArrayInput
	Backends  []Backend
	// Throttling is applied by API Gateway to each route on its own, so the
	// API as a whole admits up to the number of routes times as much. A
	// zero limit takes apirules.DefaultThrottling's.
	Throttling apirules.Throttling
	// Jwt, when set, requires a token on every route but its PublicRoutes.
	// HTTP only.
	Jwt *JwtAuth
	// CORS lets browser pages on its origins call the API; API Gateway
	// answers their preflight requests itself. Off by default. HTTP only.
	CORS apirules.CORS
	// DisableExecuteApiEndpoint turns off the API's default
	// https://<id>.execute-api.<region>.amazonaws.com address, for an API
	// reached through a custom domain only.
	DisableExecuteApiEndpoint bool
	// DetailedMetrics turns on CloudWatch metrics per route (the stage's
	// detailed metrics), which CloudWatch bills as custom metrics per route
	// and metric name whether or not anyone looks at them. Default off:
	// the API's own metrics, which alarms use, are free.
	DetailedMetrics bool
	// AccessLogRetentionDays keeps access logs this long. Default 365.
	AccessLogRetentionDays int
	// IntegrationTimeoutMilliseconds bounds each backend call; API Gateway
	// allows at most 30000. Default 29000.
	IntegrationTimeoutMilliseconds int
	// Tags are applied to every taggable resource.
	Tags pulumi.StringMapInput
}

// PrivateApi is the public API and what sits between it and the
// providers: one VPC link, ONE internal load balancer for all backends (a
// target group each, whose targets are the backend's endpoint IPs and whose
// health check crosses PrivateLink to the service), and an interface
// endpoint per backend. Throttling, authorization and access logs live on
// the API, in one place.
//
// An HTTP API reaches an Application Load Balancer, whose listener rules
// pick a backend by a header its integrations set. A REST API's VPC link
// reaches only a Network Load Balancer, so each backend gets a listener of
// its own there, on its ListenerPort; see private_api_rest.go.
type PrivateApi struct {
	pulumi.ResourceState

	ApiId pulumi.StringOutput
	// ApiName is the API's name, a REST API's CloudWatch dimension.
	ApiName pulumi.StringOutput
	// ApiEndpoint is the default execute-api address (a REST API's with
	// its stage), which answers 403 when DisableExecuteApiEndpoint is set.
	ApiEndpoint pulumi.StringOutput
	// StageName is "$default" for HTTP, RestStageName for REST, once the
	// stage exists.
	StageName pulumi.StringOutput
	// ApiKeyIds are a REST API's clients' API key IDs, by client name: an
	// operator reads a key with `aws apigateway get-api-key --api-key <id>
	// --include-value`. The keys themselves are never outputs.
	ApiKeyIds map[string]pulumi.StringOutput
	// WebAclName is the REST API's web ACL, when WAF is on, for its
	// CloudWatch metrics.
	WebAclName      pulumi.StringOutput
	LoadBalancerArn pulumi.StringOutput
	// LoadBalancerArnSuffix and TargetGroupArnSuffixes (by backend name)
	// are the load balancer's CloudWatch dimensions.
	LoadBalancerArnSuffix  pulumi.StringOutput
	TargetGroupArnSuffixes map[string]pulumi.StringOutput
	// EndpointIds are the interface endpoints by backend name.
	EndpointIds map[string]pulumi.StringOutput
}

// privateApiGroups are the security groups of the path from the VPC link
// through the load balancer to the endpoints: each admits only the one
// before. A REST API's VPC link has no group of its own: it is a
// PrivateLink connection to the NLB (see networkLoadBalancer).
type privateApiGroups struct {
	vpcLink, loadBalancer, endpoints *ec2.SecurityGroup
}

// NewPrivateApi creates a PrivateApi.
func NewPrivateApi(ctx *pulumi.Context, name string, args *PrivateApiArgs, opts ...pulumi.ResourceOption) (_ *PrivateApi, err error) {
	defer componentErrors{"private api", name}.wrap(&err)
	if args == nil {
		return nil, errors.New("args are required")
	}
	a := *args
	a.Throttling = a.Throttling.WithDefaults()
	var allRoutes []string
	for _, b := range a.Backends {
		allRoutes = append(allRoutes, b.Routes...)
	}
	a.CORS = a.CORS.WithDefaults(allRoutes)
	setDefault(&a.AccessLogRetentionDays, DefaultLogRetentionDays)
	setDefault(&a.IntegrationTimeoutMilliseconds, apirules.IntegrationTimeoutMilliseconds)
	a.Backends = append([]Backend(nil), a.Backends...)
	for i := range a.Backends {
		if a.Backends[i].Provider == "" {
			a.Backends[i].Provider = a.Backends[i].Name
		}
	}
	if err := a.validate(name); err != nil {
		return nil, err
	}

	api := &PrivateApi{EndpointIds: map[string]pulumi.StringOutput{}, TargetGroupArnSuffixes: map[string]pulumi.StringOutput{}, ApiKeyIds: map[string]pulumi.StringOutput{}}
	if err := ctx.RegisterComponentResource("private-apis:apigateway:PrivateApi", name, api, opts...); err != nil {
		return nil, err
	}
	groups, err := api.securityGroups(ctx, name, a)
	if err != nil {
		return nil, err
	}
	if a.Type == apirules.ApiTypeREST {
		err = api.restGateway(ctx, name, a, groups)
	} else {
		err = api.httpGateway(ctx, name, a, groups)
	}
	if err != nil {
		return nil, err
	}

	outputs := pulumi.Map{"apiId": api.ApiId, "apiEndpoint": api.ApiEndpoint, "loadBalancerArn": api.LoadBalancerArn}
	for backend, id := range api.EndpointIds {
		outputs["endpointId-"+backend] = id
	}
	for client, id := range api.ApiKeyIds {
		outputs["apiKeyId-"+client] = id
	}
	if err := ctx.RegisterResourceOutputs(api, outputs); err != nil {
		return nil, fmt.Errorf("registering outputs: %w", err)
	}
	return api, nil
}

// securityGroups chains VPC link → load balancer (port 80, HTTP only) →
// endpoints (each backend's port), with rules as separate resources.
func (api *PrivateApi) securityGroups(ctx *pulumi.Context, name string, a PrivateApiArgs) (privateApiGroups, error) {
	var g privateApiGroups
	lb, lbWhat := "alb", "Internal load balancer: from the VPC link, out to the endpoints"
	type group struct {
		target       **ec2.SecurityGroup
		suffix, what string
	}
	groups := []group{{&g.vpcLink, "vpclink", "API Gateway VPC link: out to the load balancer only"}}
	if a.Type == apirules.ApiTypeREST {
		lb, lbWhat = "nlb", "Internal NLB of the REST API's VPC link: out to the endpoints"
		groups = nil
	}
	groups = append(groups,
		group{&g.loadBalancer, lb, lbWhat},
		group{&g.endpoints, "endpoints", "PrivateLink endpoints: service ports from the load balancer only"})
	for _, sg := range groups {
		var err error
		*sg.target, err = ec2.NewSecurityGroup(ctx, name+"-"+sg.suffix, &ec2.SecurityGroupArgs{
			VpcId:               a.VpcId,
			Description:         pulumi.String(sg.what),
			RevokeRulesOnDelete: pulumi.Bool(true),
			Tags:                a.Tags,
		}, pulumi.Parent(api))
		if err != nil {
			return g, fmt.Errorf("creating %s security group: %w", sg.suffix, err)
		}
	}
	if g.vpcLink != nil {
		if err := api.allow(ctx, a, g.vpcLink, g.loadBalancer, 80, name+"-vpclink-to-alb", "API Gateway to the load balancer"); err != nil {
			return g, err
		}
	}
	var ports []int
	for _, b := range a.Backends {
		if !slices.Contains(ports, b.Port) {
			ports = append(ports, b.Port)
		}
	}
	for _, port := range ports {
		if err := api.allow(ctx, a, g.loadBalancer, g.endpoints, port, fmt.Sprintf("%s-%s-to-endpoints-%d", name, lb, port), fmt.Sprintf("Load balancer to the endpoints on %d", port)); err != nil {
			return g, err
		}
	}
	return g, nil
}

// allow lets from reach to on a TCP port: an egress rule on from and an
// ingress rule on to, each naming the other group.
func (api *PrivateApi) allow(ctx *pulumi.Context, a PrivateApiArgs, from, to *ec2.SecurityGroup, port int, ruleName, what string) error {
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, ruleName+"-out", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: from.ID(), ReferencedSecurityGroupId: to.ID(), Description: pulumi.String(what),
		IpProtocol: pulumi.String("tcp"), FromPort: pulumi.Int(port), ToPort: pulumi.Int(port), Tags: a.Tags,
	}, pulumi.Parent(api)); err != nil {
		return fmt.Errorf("creating rule %s: %w", ruleName, err)
	}
	if _, err := vpc.NewSecurityGroupIngressRule(ctx, ruleName+"-in", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId: to.ID(), ReferencedSecurityGroupId: from.ID(), Description: pulumi.String(what),
		IpProtocol: pulumi.String("tcp"), FromPort: pulumi.Int(port), ToPort: pulumi.Int(port), Tags: a.Tags,
	}, pulumi.Parent(api)); err != nil {
		return fmt.Errorf("creating rule %s: %w", ruleName, err)
	}
	return nil
}

var (
	resourceNameUnsafe = regexp.MustCompile(`[^a-z0-9]+`)
	backendNamePattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// RouteResourceName turns a route key into the name of the resources made
// for it (an HTTP API's route, a REST method's own limits): "GET /todo/{id}"
// becomes "get-todo-id".
func RouteResourceName(routeKey string) string {
	return strings.Trim(resourceNameUnsafe.ReplaceAllString(strings.ToLower(routeKey), "-"), "-")
}

// validate guards the component's own invariants, whoever calls it.
func (a PrivateApiArgs) validate(name string) error {
	if a.VpcId == nil || a.SubnetIds == nil {
		return fmt.Errorf("VpcId and SubnetIds are required")
	}
	if len(a.Backends) == 0 {
		return fmt.Errorf("no backends: an API needs at least one provider")
	}
	if a.IntegrationTimeoutMilliseconds < 50 || a.IntegrationTimeoutMilliseconds > 30000 {
		return fmt.Errorf("IntegrationTimeoutMilliseconds %d must be 50-30000, API Gateway's range", a.IntegrationTimeoutMilliseconds)
	}
	for _, p := range a.Throttling.Problems() {
		return fmt.Errorf("Throttling: %w", p)
	}
	routes, err := a.checkBackends(name)
	if err != nil {
		return err
	}
	for key := range a.Throttling.Routes {
		if _, ok := routes[key]; !ok {
			return fmt.Errorf("Throttling.Routes: %q is not one of the backends' routes", key)
		}
	}
	if p := a.CORS.Problems(); len(p) > 0 {
		return fmt.Errorf("CORS: %s", strings.Join(p, "; "))
	}
	switch a.Type {
	case apirules.ApiTypeREST:
		return a.checkRest()
	case "", apirules.ApiTypeHTTP:
	default:
		return fmt.Errorf("Type %q must be %s or %s", a.Type, apirules.ApiTypeHTTP, apirules.ApiTypeREST)
	}
	if !a.Rest.empty() {
		return fmt.Errorf("Rest options are a REST API's; set Type %s", apirules.ApiTypeREST)
	}
	if a.Jwt != nil {
		return a.checkJwt(routes)
	}
	return nil
}

func (r RestOptions) empty() bool {
	return len(r.Clients) == 0 && len(r.PublicRoutes) == 0 && r.WAF == nil && r.EndpointType == "" &&
		len(r.AllowedVpcEndpoints)+len(r.AllowedSourceIps)+len(r.DeniedSourceIps) == 0
}

// checkBackends checks each backend on its own and against the others, and
// returns every route with the backend that serves it.
func (a PrivateApiArgs) checkBackends(name string) (routes map[string]string, err error) {
	names := map[string]bool{}
	priorities := map[int]string{}
	resourceNames := map[string]string{}
	services := make([]contract.Service, 0, len(a.Backends))
	for _, b := range a.Backends {
		if !backendNamePattern.MatchString(b.Name) || names[b.Name] {
			return nil, fmt.Errorf("backend name %q must be unique, lower-case letters, digits and dashes", b.Name)
		}
		if limit := MaxBackendNameLen(name); len(b.Name) > limit {
			return nil, fmt.Errorf("backend name %q is %d characters; with the API named %q it may have %d, or its target group's name would exceed AWS's 32", b.Name, len(b.Name), name, limit)
		}
		names[b.Name] = true
		if a.Type != apirules.ApiTypeREST {
			if b.RulePriority < 1 || b.RulePriority > MaxRulePriority {
				return nil, fmt.Errorf("backend %s: RulePriority %d must be 1-%d", b.Name, b.RulePriority, MaxRulePriority)
			}
			if other, taken := priorities[b.RulePriority]; taken {
				return nil, fmt.Errorf("backends %s and %s both have listener rule priority %d", other, b.Name, b.RulePriority)
			}
			priorities[b.RulePriority] = b.Name
		}
		if len(b.AvailabilityZoneIds) < 1 || b.SubnetIds == nil {
			return nil, fmt.Errorf("backend %s: SubnetIds and AvailabilityZoneIds are required", b.Name)
		}
		svc := contract.Service{Name: b.Name, Port: b.Port, HealthCheckPath: b.HealthCheckPath, Routes: b.Routes}
		if err := svc.Validate(); err != nil {
			return nil, err
		}
		services = append(services, svc)
		for _, r := range b.Routes {
			if other, ok := resourceNames[RouteResourceName(r)]; ok && other != r {
				return nil, fmt.Errorf("routes %q and %q would share the resource name %q", other, r, RouteResourceName(r))
			}
			resourceNames[RouteResourceName(r)] = r
		}
	}
	routes, conflicts := contract.RouteOwners(services)
	if len(conflicts) > 0 {
		return nil, conflicts[0]
	}
	return routes, nil
}

// checkJwt checks the JWT settings against the backends' routes.
func (a PrivateApiArgs) checkJwt(routes map[string]string) error {
	if err := apirules.CheckIssuer(a.Jwt.Issuer); err != nil {
		return fmt.Errorf("Jwt: %w", err)
	}
	if len(a.Jwt.Audiences) == 0 {
		return fmt.Errorf("Jwt needs at least one Audience")
	}
	for _, r := range a.Jwt.PublicRoutes {
		if _, ok := routes[r]; !ok {
			return fmt.Errorf("public route %q is not one of the backends' routes", r)
		}
	}
	if a.CORS.Enabled() {
		for _, r := range slices.Sorted(maps.Keys(routes)) {
			if apirules.ReceivesPreflight(r) && !slices.Contains(a.Jwt.PublicRoutes, r) {
				return fmt.Errorf("route %q would get browsers' CORS preflights, which carry no token, so its JWT authorizer would refuse them all: list its methods instead of %s, or make it public", r, strings.Fields(r)[0])
			}
		}
	}
	return nil
}
