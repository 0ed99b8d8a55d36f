package stacks

import (
	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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
		Environment:           appTimings(),
		LogRetentionDays:      cfg.Provider.Network.LogRetentionDays,
		StopTimeoutSeconds:    stopTimeoutSeconds,
		Tags:                  tags,
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
