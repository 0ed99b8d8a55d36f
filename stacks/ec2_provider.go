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
func runEC2Provider(ctx *pulumi.Context) error {
	cfg, err := loadEC2ProviderConfig(ctx)
	if err != nil {
		return err
	}
	svc := contract.Todo
	appDir, err := appDirectory(ctx, svc.Name)
	if err != nil {
		return err
	}
	tags := pulumi.ToStringMap(cfg.Provider.Network.Tags)

	net, err := components.NewNetwork(ctx, svc.Name, networkArgs(cfg.Provider.Network, tags))
	if err != nil {
		return err
	}
	private, err := newPrivateService(ctx, svc, cfg.Provider, net, components.TargetTypeInstance, tags)
	if err != nil {
		return err
	}
	// Items are keyed on (owner, id), so every read and write is scoped to
	// the caller and a list is a Query of one partition.
	table, err := components.NewTable(ctx, svc.Name, &components.TableArgs{
		HashKey:       "owner",
		RangeKey:      "id",
		AllowDeletion: !cfg.TableDeletionProtection,
		Tags:          tags,
	})
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
	env := appTimings()
	env["TABLE_NAME"] = table.Name
	instances, err := components.NewEC2Service(ctx, svc.Name, &components.EC2ServiceArgs{
		Image:                 image.ImageUri,
		RepositoryArn:         image.RepositoryArn,
		Port:                  svc.Port,
		InstanceType:          cfg.InstanceType,
		MinSize:               cfg.MinSize,
		MaxSize:               cfg.MaxSize,
		DesiredCapacity:       cfg.DesiredCapacity,
		VpcId:                 net.VpcId,
		SubnetIds:             net.WorkloadSubnetIds,
		TargetSecurityGroupId: private.TargetSecurityGroupId,
		TargetGroupArn:        private.TargetGroupArn,
		Environment:           env,
		AppPermissions: []components.Permission{{
			Actions:   todoTableActions,
			Resources: pulumi.StringArray{table.Arn},
		}},
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
	ctx.Export("tableName", table.Name)
	ctx.Export("autoScalingGroupName", instances.AutoScalingGroupName)
	ctx.Export("logGroupName", instances.LogGroupName)
	return nil
}
