package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
)

// apiName names the consumer's PrivateApi, and so prefixes its resources.
const apiName = "api"

// runConsumer builds the public HTTP API in the consumer account from the
// providers' contracts, read through StackReferences, after checking that
// every contract fits: the deploying identity is allowed, no route is
// claimed twice, and each provider shares at least two AZ IDs.
func runConsumer(ctx *pulumi.Context, r *configReader) error {
	cfg, err := loadConsumerConfig(ctx, r)
	if err != nil {
		return err
	}
	providers, err := contract.ReadProviders(ctx, cfg.Providers)
	if err != nil {
		return err
	}
	identity, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return fmt.Errorf("finding who is deploying the consumer: %w", err)
	}
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return fmt.Errorf("looking up the consumer's region: %w", err)
	}
	// The consumer's AZs are its own config's, or the region's default,
	// never derived from the providers: adding one must not move the
	// network under the others.
	if cfg.Network.AvailabilityZoneIds, err = components.ResolveAvailabilityZones(ctx, cfg.Network.AvailabilityZoneIds); err != nil {
		return fmt.Errorf("the consumer's network: %w", err)
	}
	plan, err := planConsumer(cfg, selfStackName(ctx), region.Name, caller{AccountID: identity.AccountId, Arn: identity.Arn}, providers)
	if err != nil {
		return err
	}
	if err := inspectDomain(ctx, cfg.Domain, identity.AccountId, region.Name); err != nil {
		return err
	}

	tags := pulumi.ToStringMap(cfg.Network.Tags)
	net, err := components.NewNetwork(ctx, "consumer", networkArgs(cfg.Network, tags))
	if err != nil {
		return err
	}

	backends, err := consumerBackends(ctx, plan, net)
	if err != nil {
		return err
	}
	api, err := components.NewPrivateApi(ctx, apiName, privateApiArgs(cfg, net, backends, tags))
	if err != nil {
		return err
	}

	if err := apiAddress(ctx, cfg.Domain, api, tags); err != nil {
		return err
	}
	if cfg.Monitoring.Enabled {
		if err := newMonitoring(ctx, cfg.Monitoring, consumerAlarms(cfg, api, plan.Backends, region.Name), tags); err != nil {
			return err
		}
	}
	exportConsumer(ctx, api, net, plan)
	return nil
}

// privateApiArgs is the consumer's API: its config's limits, CORS and
// authorization, over the backends placed in its network.
func privateApiArgs(cfg consumerConfig, net *components.Network, backends []components.Backend, tags pulumi.StringMap) *components.PrivateApiArgs {
	args := &components.PrivateApiArgs{
		Type:       cfg.ApiType,
		VpcId:      net.VpcId,
		SubnetIds:  net.WorkloadSubnetIds,
		Backends:   backends,
		Throttling: cfg.Throttling,
		CORS:       cfg.CORS,
		// With a custom domain, the API has one address by default, the
		// one the team publishes and its clients pin.
		DisableExecuteApiEndpoint: cfg.Domain.Name != "" && !cfg.Domain.KeepExecuteApiEndpoint,
		AccessLogRetentionDays:    cfg.AccessLogRetentionDays,
		// Per-route metrics cost money per route; they come with the
		// alarms and dashboard, for whoever watches them.
		DetailedMetrics: cfg.Monitoring.Enabled,
		Tags:            tags,
	}
	if cfg.ApiType == apirules.ApiTypeREST {
		args.Rest = restOptions(cfg)
	}
	if cfg.JwtIssuer != "" {
		args.Jwt = &components.JwtAuth{
			Issuer:       cfg.JwtIssuer,
			Audiences:    cfg.JwtAudiences,
			PublicRoutes: cfg.PublicRoutes,
			WriteScopes:  cfg.WriteScopes,
		}
	}
	return args
}

// restOptions are the REST API's clients, WAF and resource policy.
func restOptions(cfg consumerConfig) components.RestOptions {
	r := cfg.Rest
	opts := r.policy()
	opts.Clients, opts.PublicRoutes = r.Clients, cfg.PublicRoutes
	if r.WAF {
		waf := r.wafOptions()
		waf.LogRetentionDays = cfg.AccessLogRetentionDays
		opts.WAF = &waf
	}
	return opts
}

// exportConsumer exports the API's address and, for each provider, the
// consumer's half of the contract (contract.ConsumerEntry), which a
// provider that accepts connections itself reads.
func exportConsumer(ctx *pulumi.Context, api *components.PrivateApi, net *components.Network, plan consumerPlan) {
	ctx.Export("apiEndpoint", api.ApiEndpoint)
	exported := pulumi.Map{}
	for _, b := range plan.Backends {
		exported[b.Provider.Stack] = pulumi.Map{
			contract.ConsumerEndpointID:        api.EndpointIds[b.Name],
			contract.ConsumerEndpointServiceID: pulumi.String(b.Provider.EndpointServiceID),
			contract.ConsumerRoutes:            pulumi.ToStringArray(b.Provider.Routes),
			// false until the provider has accepted the endpoint and a
			// later update registered its addresses.
			contract.ConsumerWired: pulumi.Bool(!b.AwaitingAcceptance),
		}
	}
	ctx.Export(contract.ConsumerProviders, exported)
	if len(api.ApiKeyIds) > 0 {
		// Key IDs, never keys: `aws apigateway get-api-key --api-key <id>
		// --include-value` reads one (docs/api-types.md).
		ids := pulumi.StringMap{}
		for client, id := range api.ApiKeyIds {
			ids[client] = id
		}
		ctx.Export("apiKeyIds", ids)
	}
	ctx.Export("vpcId", net.VpcId)
}

// consumerBackends places each planned provider's endpoint in the
// consumer's subnets of the AZs it shares, and warns about those still
// waiting for the provider's acceptance.
func consumerBackends(ctx *pulumi.Context, plan consumerPlan, net *components.Network) ([]components.Backend, error) {
	backends := make([]components.Backend, 0, len(plan.Backends))
	for _, b := range plan.Backends {
		subnets, err := net.WorkloadSubnetsIn(b.AvailabilityZoneIDs)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", b.Provider.Stack, err)
		}
		if b.AwaitingAcceptance {
			ctx.Log.Warn(fmt.Sprintf("%s accepts each endpoint connection itself and has not accepted this consumer's yet: its endpoint, target group, rule and routes are created, and its targets once it has. Run `pulumi up -s %s` in its account (its private-apis:consumerStack must be %s), then `pulumi up -s %s` again; `make up` does both.",
				b.Provider.Stack, contract.ShortStackName(b.Provider.Stack), selfStackName(ctx), ctx.Stack()), nil)
		}
		backends = append(backends, components.Backend{
			Name:                b.Name,
			Provider:            b.Provider.Stack,
			RulePriority:        b.RulePriority,
			ListenerPort:        b.ListenerPort,
			AwaitingAcceptance:  b.AwaitingAcceptance,
			EndpointServiceName: b.Provider.EndpointServiceName,
			ServiceRegion:       b.ServiceRegion,
			SubnetIds:           subnets,
			AvailabilityZoneIds: b.AvailabilityZoneIDs,
			Port:                b.Provider.ServicePort,
			HealthCheckPath:     b.Provider.HealthCheckPath,
			Routes:              b.Provider.Routes,
		})
	}
	return backends, nil
}
