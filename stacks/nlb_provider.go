package stacks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// nlbProviderConfig is the whole config of the nlb-provider role: a
// service that already runs behind an internal Network Load Balancer,
// whatever its compute, published as it is.
type nlbProviderConfig struct {
	publishingConfig
	Monitoring monitoringConfig
	// ServiceName names the stack's resources; default: the stack name.
	ServiceName string
	// LoadBalancerArn (a new endpoint service for it) or EndpointServiceID
	// (an existing endpoint service): exactly one is set.
	LoadBalancerArn   string
	EndpointServiceID string
	ServicePort       int
	HealthCheckPath   string
	Routes            []string
	Tags              map[string]string
}

var (
	endpointServiceIDPattern = regexp.MustCompile(`^vpce-svc-[0-9a-f]{8,17}$`)
	serviceNamePattern       = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
)

// loadNLBProviderConfig reads and validates everything the nlb-provider
// role needs before it looks anything up or creates anything.
func loadNLBProviderConfig(ctx *pulumi.Context, r *configReader) (nlbProviderConfig, error) {
	c := nlbProviderConfig{
		ServiceName:       r.string("serviceName"),
		LoadBalancerArn:   r.string("loadBalancerArn"),
		EndpointServiceID: r.string("endpointServiceId"),
		ServicePort:       r.int("servicePort", "8080"),
		HealthCheckPath:   r.string("healthCheckPath"),
		Routes:            r.stringList("routes", `["GET /orders", "ANY /orders/{proxy+}"]`),
		Tags:              r.stringMap("tags", "{team: payments}"),
	}
	if c.ServiceName == "" {
		// Empty means the stack name, as Pulumi.yaml says.
		c.ServiceName = strings.Trim(nameUnsafe.ReplaceAllString(strings.ToLower(ctx.Stack()), "-"), "-")
	}
	existing := c.EndpointServiceID != ""
	c.publishingConfig = readPublishingConfig(r, !existing)
	c.Monitoring = readMonitoringConfig(r, false)
	if c.Monitoring.Enabled && existing {
		r.fail("monitoring", "true", "alarms watch the published load balancer's target groups, which a stack given private-apis:endpointServiceId learns only once it runs: publish with private-apis:loadBalancerArn instead, or alarm on the load balancer in the stack that owns it")
	}
	validateTags(r, c.Tags)
	switch {
	case c.LoadBalancerArn == "" && !existing:
		r.failf("loadBalancerArn", "required for an nlb-provider: the ARN of the internal Network Load Balancer in front of the service, e.g. arn:aws:elasticloadbalancing:us-west-2:222222222222:loadbalancer/net/orders/0123456789abcdef (or set private-apis:endpointServiceId to publish an existing endpoint service)")
	case c.LoadBalancerArn != "" && existing:
		r.fail("endpointServiceId", fmt.Sprintf("%q", c.EndpointServiceID), "set either private-apis:loadBalancerArn (a new endpoint service for that load balancer) or private-apis:endpointServiceId (one that exists), not both")
	case existing && !endpointServiceIDPattern.MatchString(c.EndpointServiceID):
		r.fail("endpointServiceId", fmt.Sprintf("%q", c.EndpointServiceID), "not an endpoint service ID; use one such as vpce-svc-0123456789abcdef0")
	case existing && len(c.SupportedRegions) > 0:
		r.fail("supportedRegions", fmt.Sprintf("%q", c.SupportedRegions), "an existing endpoint service's regions are its own: change them on the service, and leave this unset")
	}
	if !serviceNamePattern.MatchString(c.ServiceName) {
		r.fail("serviceName", fmt.Sprintf("%q", c.ServiceName), "names the stack's resources: lower-case letters, digits and dashes, starting with a letter, at most 32; e.g. orders")
	}
	if c.ServicePort < 1 || c.ServicePort > 65535 {
		r.fail("servicePort", fmt.Sprint(c.ServicePort), "required: the TCP port of the load balancer's listener for the service (1-65535), e.g. 8080")
	}
	if !strings.HasPrefix(c.HealthCheckPath, "/") {
		r.fail("healthCheckPath", fmt.Sprintf("%q", c.HealthCheckPath), "a path that answers 200 over HTTP on the service port, e.g. /healthz")
	}
	if len(c.Routes) == 0 {
		r.failf("routes", "required: the HTTP API route keys the service serves, e.g. [\"GET /orders\", \"POST /orders\"], or a prefix such as [\"ANY /orders/{proxy+}\"]")
	}
	for i, route := range c.Routes {
		if err := contract.ValidateRouteKey(route); err != nil {
			r.fail("routes", fmt.Sprintf("%q", route), "%v", err)
		} else if slices.Contains(c.Routes[:i], route) {
			r.fail("routes", fmt.Sprintf("%q", route), "listed twice")
		}
	}
	return c, r.err(ctx, roleNLBProvider)
}

// runNLBProvider publishes a service that already runs behind an internal
// Network Load Balancer (EKS, another team's IaC, an on-premises service
// behind IP targets) as a private service, and exports the same contract
// the built-in providers export. The load balancer is checked, before
// anything is created, to be one PrivateLink can publish.
func runNLBProvider(ctx *pulumi.Context, r *configReader) error {
	cfg, err := loadNLBProviderConfig(ctx, r)
	if err != nil {
		return err
	}
	identity, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return fmt.Errorf("finding the account this stack deploys to: %w", err)
	}
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return fmt.Errorf("looking up the region this stack deploys to: %w", err)
	}
	svc := contract.Service{Name: cfg.ServiceName, Port: cfg.ServicePort, HealthCheckPath: cfg.HealthCheckPath, Routes: cfg.Routes}
	accept, err := consumerEndpoints(ctx, cfg.publishingConfig)
	if err != nil {
		return err
	}
	args := &components.EndpointServiceArgs{
		Publishing: components.Publishing{
			AllowedPrincipals:  cfg.AllowedPrincipals,
			AcceptanceRequired: cfg.AcceptanceRequired,
			AcceptEndpoints:    accept,
			SupportedRegions:   cfg.SupportedRegions,
		},
		Tags: pulumi.ToStringMap(cfg.Tags),
	}
	inspect := func(arn string) (*components.PublishableLoadBalancer, error) {
		return components.InspectLoadBalancer(ctx, arn, cfg.ServicePort, identity.AccountId, region.Name)
	}
	publish := publishNewEndpointService
	if cfg.EndpointServiceID != "" {
		publish = publishExistingEndpointService
	}
	p, err := publish(ctx, cfg, svc, args, inspect)
	if err != nil {
		return err
	}
	es := p.service
	if err := exportProviderContract(ctx, publishedService{
		Service:             svc,
		EndpointServiceName: es.ServiceName,
		EndpointServiceID:   es.ServiceId,
		AllowedPrincipals:   p.principals,
		AvailabilityZoneIDs: p.zones,
		SupportedRegions:    p.regions,
		AcceptanceRequired:  cfg.AcceptanceRequired,
		Accepted:            es.Accepted,
	}); err != nil {
		return err
	}
	ctx.Export("loadBalancerArns", es.LoadBalancerArns)
	return nil
}

// nlbPublication is what an nlb-provider published: the endpoint service,
// the AZ IDs of its load balancers, and who and which regions it allows.
type nlbPublication struct {
	service             *components.EndpointService
	zones               pulumi.StringArrayOutput
	principals, regions pulumi.StringArrayInput
}

// inspectFunc checks a load balancer PrivateLink is to publish.
type inspectFunc func(arn string) (*components.PublishableLoadBalancer, error)

// publishNewEndpointService checks the configured load balancer, then
// publishes it as a new endpoint service that allows what the config says,
// with alarms on its target groups when monitoring is on.
func publishNewEndpointService(ctx *pulumi.Context, cfg nlbProviderConfig, svc contract.Service, args *components.EndpointServiceArgs, inspect inspectFunc) (nlbPublication, error) {
	nlb, err := inspect(cfg.LoadBalancerArn)
	if err != nil {
		return nlbPublication{}, fmt.Errorf("stack %q (role %s) has invalid config; nothing was created:\n%s:loadBalancerArn = %q: %w",
			ctx.Stack(), roleNLBProvider, namespace, cfg.LoadBalancerArn, err)
	}
	args.LoadBalancerArn = nlb.Arn
	if cfg.Monitoring.Enabled {
		alarms := nlbAlarms(svc, nlb)
		if len(alarms) == 0 {
			return nlbPublication{}, fmt.Errorf("%s:monitoring = true: the listener on port %d of %s forwards to no target group, so there are no targets to watch", namespace, cfg.ServicePort, cfg.LoadBalancerArn)
		}
		if err := newMonitoring(ctx, cfg.Monitoring, alarms, pulumi.ToStringMap(cfg.Tags)); err != nil {
			return nlbPublication{}, err
		}
	}
	es, err := components.NewEndpointService(ctx, cfg.ServiceName, args)
	if err != nil {
		return nlbPublication{}, err
	}
	return nlbPublication{service: es, zones: pulumi.ToStringArray(nlb.AvailabilityZoneIds).ToStringArrayOutput(),
		principals: pulumi.ToStringArray(cfg.AllowedPrincipals), regions: pulumi.ToStringArray(cfg.SupportedRegions)}, nil
}

// publishExistingEndpointService reads an endpoint service as it is (its
// principals and regions are its own, checked by EndpointService), and
// gives its load balancers the same checks as a configured one.
func publishExistingEndpointService(ctx *pulumi.Context, cfg nlbProviderConfig, _ contract.Service, args *components.EndpointServiceArgs, inspect inspectFunc) (nlbPublication, error) {
	args.ExistingServiceId = cfg.EndpointServiceID
	es, err := components.NewEndpointService(ctx, cfg.ServiceName, args)
	if err != nil {
		return nlbPublication{}, err
	}
	zones := es.LoadBalancerArns.ApplyT(func(arns []string) ([]string, error) {
		var all []string
		for _, arn := range arns {
			nlb, err := inspect(arn)
			if err != nil {
				return nil, fmt.Errorf("%s:endpointServiceId = %q: its load balancer %s is %w", namespace, cfg.EndpointServiceID, arn, err)
			}
			for _, z := range nlb.AvailabilityZoneIds {
				if !slices.Contains(all, z) {
					all = append(all, z)
				}
			}
		}
		slices.Sort(all)
		return all, nil
	}).(pulumi.StringArrayOutput)
	return nlbPublication{service: es, zones: zones, principals: es.AllowedPrincipals, regions: es.SupportedRegions}, nil
}
