package stacks

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
)

// Drain timings of the apps, tied together: ECS or the Auto Scaling group
// deregisters a target (waiting deregistrationDelay) before the app gets
// SIGTERM; the app then drains and shuts down within its own timeouts, and
// ECS or Docker waits stopTimeout before SIGKILL.
const (
	appDrainDelaySeconds      = 5
	appShutdownTimeoutSeconds = 10
	deregistrationDelay       = 20 // >= the app's shutdown timeout
	stopTimeoutSeconds        = 30 // > drain delay + shutdown timeout
)

// appTimings tells an app how to drain, in the env vars both apps read.
func appTimings() pulumi.StringMap {
	return pulumi.StringMap{
		"DRAIN_DELAY":      pulumi.Sprintf("%ds", appDrainDelaySeconds),
		"SHUTDOWN_TIMEOUT": pulumi.Sprintf("%ds", appShutdownTimeoutSeconds),
	}
}

// providerBase is what every provider role builds around its compute: the
// network, the private service the compute registers with, and the app's
// image built from apps/<service>.
type providerBase struct {
	tags    pulumi.StringMap
	net     *components.Network
	private *components.PrivateLinkNLB
	image   *components.ContainerImage
}

func newProviderBase(ctx *pulumi.Context, svc contract.Service, c providerConfig, targetType string) (*providerBase, error) {
	imageArgs, err := appImage(ctx, svc.Name)
	if err != nil {
		return nil, err
	}
	b := &providerBase{tags: pulumi.ToStringMap(c.Network.Tags)}
	if b.net, err = components.NewNetwork(ctx, svc.Name, networkArgs(c.Network, b.tags)); err != nil {
		return nil, err
	}
	accept, err := consumerEndpoints(ctx, c.publishingConfig)
	if err != nil {
		return nil, err
	}
	if b.private, err = newPrivateLinkNLB(ctx, svc, c, b.net, targetType, accept, b.tags); err != nil {
		return nil, err
	}
	imageArgs.Tags = b.tags
	if b.image, err = components.NewContainerImage(ctx, svc.Name, &imageArgs); err != nil {
		return nil, err
	}
	return b, nil
}

// publish offers the service over PrivateLink once its compute serves
// (serving, an output of that compute), then exports the provider contract
// and the outputs every provider has.
func (b *providerBase) publish(ctx *pulumi.Context, svc contract.Service, serving pulumi.Input) error {
	if err := b.private.Publish(ctx, serving); err != nil {
		return err
	}
	if err := exportProviderContract(ctx, publishedService{
		Service:             svc,
		EndpointServiceName: b.private.EndpointServiceName,
		EndpointServiceID:   b.private.EndpointServiceId,
		AllowedPrincipals:   pulumi.ToStringArray(b.private.AllowedPrincipals),
		AvailabilityZoneIDs: pulumi.ToStringArray(b.net.AvailabilityZoneIds),
		SupportedRegions:    pulumi.ToStringArray(b.private.SupportedRegions),
		AcceptanceRequired:  b.private.AcceptanceRequired,
		Accepted:            b.private.Accepted,
	}); err != nil {
		return err
	}
	ctx.Export("vpcId", b.net.VpcId)
	ctx.Export("imageUri", b.image.ImageUri)
	return nil
}

func networkArgs(c networkConfig, tags pulumi.StringMap) *components.NetworkArgs {
	return &components.NetworkArgs{
		AvailabilityZoneIds: c.AvailabilityZoneIds,
		CidrBlock:           c.VpcCidr,
		NatGateways:         c.NatGateways,
		LogRetentionDays:    c.LogRetentionDays,
		Tags:                tags,
	}
}

// newPrivateLinkNLB publishes a service from a provider's network; every
// provider role shares it.
func newPrivateLinkNLB(ctx *pulumi.Context, svc contract.Service, c providerConfig, net *components.Network, targetType string, accept []components.ConsumerEndpoint, tags pulumi.StringMap) (*components.PrivateLinkNLB, error) {
	return components.NewPrivateLinkNLB(ctx, svc.Name, &components.PrivateLinkNLBArgs{
		VpcId:                      net.VpcId,
		SubnetIds:                  net.WorkloadSubnetIds,
		VpcCidrBlock:               pulumi.String(net.CidrBlock),
		Port:                       svc.Port,
		HealthCheckPath:            svc.HealthCheckPath,
		TargetType:                 targetType,
		DeregistrationDelaySeconds: deregistrationDelay,
		Publishing: components.Publishing{
			AllowedPrincipals:  c.AllowedPrincipals,
			AcceptanceRequired: c.AcceptanceRequired,
			AcceptEndpoints:    accept,
			SupportedRegions:   c.SupportedRegions,
		},
		Tags: tags,
	})
}

// appImage describes how to build apps/<name>. The build context is apps/,
// so the service's Dockerfile can copy the shared module (apps/servekit)
// next to it, and apps/<name>/Dockerfile.dockerignore picks the files this
// image is made of, so another app's change neither rebuilds it nor moves its
// tag. Paths are relative to the working directory, which keeps
// machine-specific paths out of the state, so building from a laptop and
// from CI is not a change.
func appImage(ctx *pulumi.Context, name string) (components.ContainerImageArgs, error) {
	wd, err := os.Getwd()
	if err != nil {
		return components.ContainerImageArgs{}, fmt.Errorf("finding the working directory: %w", err)
	}
	root := ctx.RootDirectory()
	if root == "" {
		root = wd // older CLIs run Go programs from the project root
	}
	apps, err := filepath.Rel(wd, filepath.Join(root, "apps"))
	if err != nil {
		return components.ContainerImageArgs{}, fmt.Errorf("locating apps/: %w", err)
	}
	dockerfile := filepath.Join(apps, name, "Dockerfile")
	if _, err := os.Stat(dockerfile); err != nil {
		return components.ContainerImageArgs{}, fmt.Errorf("the %s app's Dockerfile is missing (%w); run pulumi from the private-apis checkout", name, err)
	}
	if _, err := os.Stat(dockerfile + ".dockerignore"); err != nil {
		return components.ContainerImageArgs{}, fmt.Errorf("the %s app has no %s (%w): every app's Dockerfile needs its own ignore file, listing the files its image is made of, since the build context apps/ holds every app",
			name, dockerfile+".dockerignore", err)
	}
	return components.ContainerImageArgs{Context: apps, Dockerfile: dockerfile}, nil
}

// consumerEndpoints reads, when this provider accepts connections itself,
// the endpoint the consumer stack created for it. A consumer stack that
// exists but isn't deployed yet has no endpoints: nothing to accept yet.
func consumerEndpoints(ctx *pulumi.Context, c publishingConfig) ([]components.ConsumerEndpoint, error) {
	if !c.AcceptanceRequired || c.ConsumerStack == "" {
		return nil, nil
	}
	outputs, err := contract.ReadOutputs(ctx, c.ConsumerStack, []string{contract.ConsumerProviders})
	if err != nil {
		return nil, err
	}
	providers, err := contract.ParseConsumer(c.ConsumerStack, outputs[contract.ConsumerProviders])
	if err != nil {
		return nil, err
	}
	entry, ok := providers[selfStackName(ctx)]
	if !ok {
		return nil, nil
	}
	if entry.EndpointID == "" || entry.EndpointServiceID == "" {
		return nil, fmt.Errorf("consumer stack %s exports no endpointId/endpointServiceId for %s: deploy the consumer with this version of private-apis", c.ConsumerStack, selfStackName(ctx))
	}
	return []components.ConsumerEndpoint{{Consumer: c.ConsumerStack, EndpointID: entry.EndpointID, EndpointServiceID: entry.EndpointServiceID}}, nil
}

// selfStackName is this stack's fully-qualified name, as the consumer's
// private-apis:providers lists it.
func selfStackName(ctx *pulumi.Context) string {
	org := ctx.Organization()
	if org == "" {
		org = "organization" // self-managed backends' literal org
	}
	return org + "/" + ctx.Project() + "/" + ctx.Stack()
}
