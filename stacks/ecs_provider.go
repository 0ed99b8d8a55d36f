package stacks

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Drain timings of the app, tied together: ECS deregisters a task from the
// target group (waiting deregistrationDelay) before it sends SIGTERM; the app
// then drains and shuts down within its own timeouts, and ECS waits
// stopTimeout before SIGKILL.
const (
	appDrainDelaySeconds      = 5
	appShutdownTimeoutSeconds = 10
	deregistrationDelay       = 20 // >= the app's shutdown timeout
	stopTimeoutSeconds        = 30 // > drain delay + shutdown timeout
)

// runECSProvider publishes the dog names API from ECS Fargate as a private
// service and exports the provider contract.
func runECSProvider(ctx *pulumi.Context) error {
	cfg, err := loadECSProviderConfig(ctx)
	if err != nil {
		return err
	}
	svc := contract.DogNames
	appDir, err := appDirectory(ctx, svc.Name)
	if err != nil {
		return err
	}
	tags := pulumi.ToStringMap(cfg.Provider.Network.Tags)

	net, err := components.NewNetwork(ctx, svc.Name, networkArgs(cfg.Provider.Network, tags))
	if err != nil {
		return err
	}
	private, err := newPrivateService(ctx, svc, cfg.Provider, net, components.TargetTypeIP, tags)
	if err != nil {
		return err
	}
	image, err := components.NewContainerImage(ctx, svc.Name, &components.ContainerImageArgs{
		Context: appDir,
		Tags:    tags,
	})
	if err != nil {
		return err
	}
	fargate, err := components.NewFargateService(ctx, svc.Name, &components.FargateServiceArgs{
		Image:                 image.ImageUri,
		RepositoryArn:         image.RepositoryArn,
		Port:                  svc.Port,
		Cpu:                   cfg.CPU,
		Memory:                cfg.Memory,
		DesiredCount:          cfg.DesiredCount,
		VpcId:                 net.VpcId,
		SubnetIds:             net.WorkloadSubnetIds,
		TargetSecurityGroupId: private.TargetSecurityGroupId,
		TargetGroupArn:        private.TargetGroupArn,
		Environment: map[string]string{
			"DRAIN_DELAY":      fmt.Sprintf("%ds", appDrainDelaySeconds),
			"SHUTDOWN_TIMEOUT": fmt.Sprintf("%ds", appShutdownTimeoutSeconds),
		},
		LogRetentionDays:   cfg.Provider.Network.LogRetentionDays,
		StopTimeoutSeconds: stopTimeoutSeconds,
		Tags:               tags,
	})
	if err != nil {
		return err
	}

	if err := exportProviderContract(ctx, svc, private, net); err != nil {
		return err
	}
	ctx.Export("vpcId", net.VpcId)
	ctx.Export("imageUri", image.ImageUri)
	ctx.Export("clusterName", fargate.ClusterName)
	ctx.Export("serviceName", fargate.ServiceName)
	ctx.Export("logGroupName", fargate.LogGroupName)
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

// newPrivateService publishes a service from a provider's network; every
// provider role shares it.
func newPrivateService(ctx *pulumi.Context, svc contract.Service, c providerConfig, net *components.Network, targetType string, tags pulumi.StringMap) (*components.PrivateService, error) {
	return components.NewPrivateService(ctx, svc.Name, &components.PrivateServiceArgs{
		VpcId:                      net.VpcId,
		SubnetIds:                  net.WorkloadSubnetIds,
		VpcCidrBlock:               pulumi.String(net.CidrBlock),
		Port:                       svc.Port,
		HealthCheckPath:            svc.HealthCheckPath,
		TargetType:                 targetType,
		DeregistrationDelaySeconds: deregistrationDelay,
		AllowedPrincipals:          c.AllowedPrincipals,
		AcceptanceRequired:         c.AcceptanceRequired,
		SupportedRegions:           c.SupportedRegions,
		Tags:                       tags,
	})
}

// appDirectory finds apps/<name> (the image build context) under the
// project root, which the Pulumi CLI passes, and returns it relative to the
// working directory: a relative path keeps machine-specific paths out of the
// state, so building from a laptop and from CI is not a change.
func appDirectory(ctx *pulumi.Context, name string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the working directory: %w", err)
	}
	root := ctx.RootDirectory()
	if root == "" {
		root = wd // older CLIs run Go programs from the project root
	}
	dir, err := filepath.Rel(wd, filepath.Join(root, "apps", name))
	if err != nil {
		return "", fmt.Errorf("locating apps/%s: %w", name, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Dockerfile")); err != nil {
		return "", fmt.Errorf("the %s app's Dockerfile is missing (%w); run pulumi from the private-apis checkout", name, err)
	}
	return dir, nil
}
