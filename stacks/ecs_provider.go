package stacks

import (
	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// runECSProvider publishes the dog names API from ECS Fargate as a private
// service and exports the provider contract.
func runECSProvider(ctx *pulumi.Context, r *configReader) error {
	cfg, err := loadECSProviderConfig(ctx, r)
	if err != nil {
		return err
	}
	svc := contract.DogNames
	b, err := newProviderBase(ctx, svc, cfg.Provider, components.TargetTypeIP)
	if err != nil {
		return err
	}
	fargate, err := components.NewFargateService(ctx, svc.Name, &components.FargateServiceArgs{
		Image:                 b.image.ImageUri,
		RepositoryArn:         b.image.RepositoryArn,
		Port:                  svc.Port,
		Cpu:                   cfg.CPU,
		Memory:                cfg.Memory,
		DesiredCount:          cfg.DesiredCount,
		VpcId:                 b.net.VpcId,
		SubnetIds:             b.net.WorkloadSubnetIds,
		TargetSecurityGroupId: b.private.TargetSecurityGroupId,
		TargetGroupArn:        b.private.TargetGroupArn,
		Environment:           appTimings(),
		LogRetentionDays:      cfg.Provider.Network.LogRetentionDays,
		StopTimeoutSeconds:    stopTimeoutSeconds,
		Tags:                  b.tags,
	})
	if err != nil {
		return err
	}

	if cfg.Provider.Monitoring.Enabled {
		if err := newMonitoring(ctx, cfg.Provider.Monitoring, ecsAlarms(svc, b.private, fargate), b.tags); err != nil {
			return err
		}
	}
	if err := b.publish(ctx, svc, fargate.ServiceName); err != nil {
		return err
	}
	ctx.Export("clusterName", fargate.ClusterName)
	ctx.Export("serviceName", fargate.ServiceName)
	ctx.Export("logGroupName", fargate.LogGroupName)
	return nil
}
