package stacks

import (
	"github.com/private-apis/private-apis/components"
	"github.com/private-apis/private-apis/contract"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// todoTableActions are the only DynamoDB calls the todo app makes.
var todoTableActions = []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"}

// runEC2Provider publishes the todo API from an EC2 Auto Scaling group, with
// its DynamoDB table, as a private service and exports the provider contract.
func runEC2Provider(ctx *pulumi.Context, r *configReader) error {
	cfg, err := loadEC2ProviderConfig(ctx, r)
	if err != nil {
		return err
	}
	svc := contract.Todo
	b, err := newProviderBase(ctx, svc, cfg.Provider, components.TargetTypeInstance)
	if err != nil {
		return err
	}
	// Items are keyed on (owner, id), so every read and write is scoped to
	// the caller and a list is a Query of one partition.
	table, err := components.NewTable(ctx, svc.Name, &components.TableArgs{
		HashKey:       "owner",
		RangeKey:      "id",
		AllowDeletion: !cfg.TableDeletionProtection,
		Tags:          b.tags,
	})
	if err != nil {
		return err
	}
	env := appTimings()
	env["TABLE_NAME"] = table.Name
	instances, err := components.NewEC2Service(ctx, svc.Name, &components.EC2ServiceArgs{
		Image:                 b.image.ImageUri,
		RepositoryArn:         b.image.RepositoryArn,
		Port:                  svc.Port,
		InstanceType:          cfg.InstanceType,
		MinSize:               cfg.MinSize,
		MaxSize:               cfg.MaxSize,
		DesiredCapacity:       cfg.DesiredCapacity,
		VpcId:                 b.net.VpcId,
		SubnetIds:             b.net.WorkloadSubnetIds,
		TargetSecurityGroupId: b.private.TargetSecurityGroupId,
		TargetGroupArn:        b.private.TargetGroupArn,
		Environment:           env,
		AppPermissions: []components.Permission{{
			Actions:   todoTableActions,
			Resources: pulumi.StringArray{table.Arn},
		}},
		LogRetentionDays:   cfg.Provider.Network.LogRetentionDays,
		StopTimeoutSeconds: stopTimeoutSeconds,
		Tags:               b.tags,
	})
	if err != nil {
		return err
	}

	if cfg.Provider.Monitoring.Enabled {
		if err := newMonitoring(ctx, cfg.Provider.Monitoring, ec2Alarms(svc, b.private, instances, cfg.MinSize), b.tags); err != nil {
			return err
		}
	}
	if err := b.publish(ctx, svc, instances.AutoScalingGroupName); err != nil {
		return err
	}
	ctx.Export("tableName", table.Name)
	ctx.Export("autoScalingGroupName", instances.AutoScalingGroupName)
	ctx.Export("logGroupName", instances.LogGroupName)
	return nil
}
