package components

import (
	"errors"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// nonRootUser is distroless's "nonroot" user, which the app images run as.
const nonRootUser = "65532:65532"

// FargateServiceArgs configures a FargateService.
type FargateServiceArgs struct {
	// Image is the container image URI, ideally pinned by digest.
	Image pulumi.StringInput
	// RepositoryArn is the ECR repository the task may pull from; the
	// execution role gets pull rights on it alone.
	RepositoryArn pulumi.StringInput
	// Port the container listens on; passed to it as PORT. Default 8080.
	Port int
	// Cpu (CPU units) and Memory (MiB) must be a Fargate size. Default 256/512.
	Cpu, Memory int
	// DesiredCount tasks run, spread across the subnets' AZs. Default 2.
	DesiredCount int
	// VpcId holds the task security group; SubnetIds are private subnets
	// (tasks never get public IPs).
	VpcId     pulumi.StringInput
	SubnetIds pulumi.StringArrayInput
	// TargetSecurityGroupId and TargetGroupArn come from the PrivateLinkNLB
	// the tasks serve behind.
	TargetSecurityGroupId pulumi.StringInput
	TargetGroupArn        pulumi.StringInput
	// Environment holds non-secret settings for the container: names of
	// A-Z, 0-9 and _, one-line values. Secrets belong in Secrets Manager or
	// SSM, never here.
	Environment pulumi.StringMapInput
	// LogRetentionDays keeps container logs this long. Default 365.
	LogRetentionDays int
	// HealthCheckGracePeriodSeconds lets new tasks start before load
	// balancer health checks count. Default 60.
	HealthCheckGracePeriodSeconds int
	// StopTimeoutSeconds is how long ECS waits after SIGTERM before SIGKILL:
	// above the app's drain delay plus shutdown timeout. Default 30.
	StopTimeoutSeconds int
	// Tags are applied to every taggable resource.
	Tags pulumi.StringMapInput
}

// FargateService runs a container on ECS Fargate in private subnets,
// registered in a load balancer target group, with logs, a least-privilege
// execution role and a deployment circuit breaker that rolls back.
type FargateService struct {
	pulumi.ResourceState

	ClusterName  pulumi.StringOutput
	ServiceName  pulumi.StringOutput
	LogGroupName pulumi.StringOutput
}

// NewFargateService creates a FargateService.
func NewFargateService(ctx *pulumi.Context, name string, args *FargateServiceArgs, opts ...pulumi.ResourceOption) (_ *FargateService, err error) {
	errs := componentErrors{"fargate service", name}
	defer errs.wrap(&err)
	if args == nil {
		return nil, errors.New("args are required")
	}
	a := args.withDefaults()
	if err := a.validate(); err != nil {
		return nil, err
	}

	f := &FargateService{}
	if err := ctx.RegisterComponentResource("private-apis:ecs:FargateService", name, f, opts...); err != nil {
		return nil, err
	}
	cluster, err := ecs.NewCluster(ctx, name+"-cluster", &ecs.ClusterArgs{
		Settings: ecs.ClusterSettingArray{&ecs.ClusterSettingArgs{
			Name: pulumi.String("containerInsights"), Value: pulumi.String("enabled"),
		}},
		Tags: a.Tags,
	}, pulumi.Parent(f))
	if err != nil {
		return nil, fmt.Errorf("creating cluster: %w", err)
	}
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(a.LogRetentionDays),
		Tags:            a.Tags,
	}, pulumi.Parent(f))
	if err != nil {
		return nil, fmt.Errorf("creating log group: %w", err)
	}
	taskDef, err := f.taskDefinition(ctx, name, a, logGroup, checkedEnvironment(a.Environment, errs))
	if err != nil {
		return nil, err
	}
	taskSG, err := httpsEgressGroup(ctx, name+"-tasks", "Tasks of "+name, a.VpcId, a.Tags, f)
	if err != nil {
		return nil, err
	}
	service, err := f.service(ctx, name, a, cluster.Arn, taskDef.Arn, taskSG.ID())
	if err != nil {
		return nil, err
	}

	f.ClusterName = cluster.Name
	f.ServiceName = service.Name
	f.LogGroupName = logGroup.Name
	if err := ctx.RegisterResourceOutputs(f, pulumi.Map{
		"clusterName":  f.ClusterName,
		"serviceName":  f.ServiceName,
		"logGroupName": f.LogGroupName,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs: %w", err)
	}
	return f, nil
}

// withDefaults fills in the defaults FargateServiceArgs documents.
func (a FargateServiceArgs) withDefaults() FargateServiceArgs {
	setDefault(&a.Port, 8080)
	setDefault(&a.Cpu, 256)
	setDefault(&a.Memory, 512)
	setDefault(&a.DesiredCount, 2)
	setDefault(&a.LogRetentionDays, DefaultLogRetentionDays)
	setDefault(&a.HealthCheckGracePeriodSeconds, 60)
	setDefault(&a.StopTimeoutSeconds, 30)
	return a
}

func (a FargateServiceArgs) validate() error {
	if err := CheckFargateSize(a.Cpu, a.Memory); err != nil {
		return err
	}
	if a.DesiredCount < 1 {
		return fmt.Errorf("DesiredCount %d must be at least 1", a.DesiredCount)
	}
	if a.StopTimeoutSeconds > 120 {
		return fmt.Errorf("StopTimeoutSeconds %d exceeds Fargate's maximum of 120", a.StopTimeoutSeconds)
	}
	if a.Image == nil || a.RepositoryArn == nil || a.VpcId == nil || a.SubnetIds == nil ||
		a.TargetSecurityGroupId == nil || a.TargetGroupArn == nil {
		return errors.New("Image, RepositoryArn, VpcId, SubnetIds, TargetSecurityGroupId and TargetGroupArn are required")
	}
	return nil
}

// taskDefinition describes the task: one container from the image, as the
// non-root user on a read-only root filesystem, logging to logGroup, with
// its roles. env is the checked environment.
func (f *FargateService) taskDefinition(ctx *pulumi.Context, name string, a FargateServiceArgs, logGroup *cloudwatch.LogGroup, env pulumi.StringMapOutput) (*ecs.TaskDefinition, error) {
	region, err := aws.GetRegion(ctx, nil, pulumi.Parent(f))
	if err != nil {
		return nil, fmt.Errorf("looking up region: %w", err)
	}
	executionRole, taskRole, err := f.roles(ctx, name, a, logGroup.Arn)
	if err != nil {
		return nil, err
	}
	containerDefinitions := pulumi.All(a.Image, logGroup.Name, env).ApplyT(func(v []any) string {
		return containerDefinitionsJSON(name, v[0].(string), v[1].(string), region.Name, v[2].(map[string]string), a)
	}).(pulumi.StringOutput)
	taskDef, err := ecs.NewTaskDefinition(ctx, name+"-task", &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(ctx.Stack() + "-" + name),
		Cpu:                     pulumi.Sprintf("%d", a.Cpu),
		Memory:                  pulumi.Sprintf("%d", a.Memory),
		NetworkMode:             pulumi.String("awsvpc"),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			OperatingSystemFamily: pulumi.String("LINUX"),
			CpuArchitecture:       pulumi.String("X86_64"),
		},
		ExecutionRoleArn:     executionRole.Arn,
		TaskRoleArn:          taskRole.Arn,
		ContainerDefinitions: containerDefinitions,
		Tags:                 a.Tags,
	}, pulumi.Parent(f))
	if err != nil {
		return nil, fmt.Errorf("creating task definition: %w", err)
	}
	return taskDef, nil
}

// service runs the task definition's tasks in the private subnets, in the
// NLB's target group, rolling a failed deployment back.
func (f *FargateService) service(ctx *pulumi.Context, name string, a FargateServiceArgs, clusterArn, taskDefArn pulumi.StringOutput, taskSG pulumi.IDOutput) (*ecs.Service, error) {
	service, err := ecs.NewService(ctx, name+"-service", &ecs.ServiceArgs{
		Cluster:         clusterArn,
		TaskDefinition:  taskDefArn,
		DesiredCount:    pulumi.Int(a.DesiredCount),
		LaunchType:      pulumi.String("FARGATE"),
		PlatformVersion: pulumi.String("LATEST"),
		NetworkConfiguration: &ecs.ServiceNetworkConfigurationArgs{
			Subnets:        a.SubnetIds,
			SecurityGroups: pulumi.StringArray{a.TargetSecurityGroupId, taskSG},
			AssignPublicIp: pulumi.Bool(false),
		},
		LoadBalancers: ecs.ServiceLoadBalancerArray{&ecs.ServiceLoadBalancerArgs{
			TargetGroupArn: a.TargetGroupArn,
			ContainerName:  pulumi.String(name),
			ContainerPort:  pulumi.Int(a.Port),
		}},
		// Never drop below the desired count while deploying, and put a
		// failing deployment back on the last good task definition.
		DeploymentMinimumHealthyPercent: pulumi.Int(100),
		DeploymentMaximumPercent:        pulumi.Int(200),
		DeploymentCircuitBreaker: &ecs.ServiceDeploymentCircuitBreakerArgs{
			Enable: pulumi.Bool(true), Rollback: pulumi.Bool(true),
		},
		HealthCheckGracePeriodSeconds: pulumi.Int(a.HealthCheckGracePeriodSeconds),
		AvailabilityZoneRebalancing:   pulumi.String("ENABLED"),
		EnableEcsManagedTags:          pulumi.Bool(true),
		PropagateTags:                 pulumi.String("SERVICE"),
		// `pulumi up` reports a failed rollout instead of succeeding early.
		WaitForSteadyState: pulumi.Bool(true),
		Tags:               a.Tags,
	}, pulumi.Parent(f),
		// A new target group (the NLB replaced, as removing an AZ does) is
		// a new service beside the old one: updated in place, ECS would
		// start tasks in the new group and stop the old ones, which the
		// endpoint service still sends every request to until the update
		// ends. Created anew, the old service serves until the new one is
		// steady and the endpoint service has moved. "#initerror" replaces a
		// service whose create failed part-way rather than "continuing" it.
		pulumi.ReplaceOnChanges([]string{"loadBalancers", "#initerror"}))
	if err != nil {
		return nil, fmt.Errorf("creating service: %w", err)
	}
	return service, nil
}

// roles creates the execution role, which ECS uses to pull the image and
// write logs (scoped to this repository and log group), and a separate task
// role for the app, which needs no AWS access.
func (f *FargateService) roles(ctx *pulumi.Context, name string, a FargateServiceArgs, logGroupArn pulumi.StringOutput) (execution, task *iam.Role, err error) {
	execution, err = iam.NewRole(ctx, name+"-execution", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("ecs-tasks.amazonaws.com")),
		Description:      pulumi.Sprintf("ECS pulls the %s image and writes its logs", name),
		Tags:             a.Tags,
	}, pulumi.Parent(f))
	if err != nil {
		return nil, nil, fmt.Errorf("creating execution role: %w", err)
	}
	policy := pulumi.All(a.RepositoryArn, logGroupArn).ApplyT(func(v []any) string {
		repoArn, logArn := v[0].(string), v[1].(string)
		return mustJSON(policyDocument{
			Version:   "2012-10-17",
			Statement: append(imagePullStatements(repoArn), logWriteStatement(logArn)),
		})
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-execution", &iam.RolePolicyArgs{
		Role:   execution.ID(),
		Policy: policy,
	}, pulumi.Parent(f)); err != nil {
		return nil, nil, fmt.Errorf("creating execution policy: %w", err)
	}
	task, err = iam.NewRole(ctx, name+"-task", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("ecs-tasks.amazonaws.com")),
		Description:      pulumi.Sprintf("Identity of the %s app; it calls no AWS APIs", name),
		Tags:             a.Tags,
	}, pulumi.Parent(f))
	if err != nil {
		return nil, nil, fmt.Errorf("creating task role: %w", err)
	}
	return execution, task, nil
}

type containerDefinition struct {
	Name                   string           `json:"name"`
	Image                  string           `json:"image"`
	Essential              bool             `json:"essential"`
	User                   string           `json:"user"`
	ReadonlyRootFilesystem bool             `json:"readonlyRootFilesystem"`
	Privileged             bool             `json:"privileged"`
	StopTimeout            int              `json:"stopTimeout"`
	PortMappings           []portMapping    `json:"portMappings"`
	Environment            []keyValue       `json:"environment"`
	LogConfiguration       logConfiguration `json:"logConfiguration"`
	LinuxParameters        linuxParameters  `json:"linuxParameters"`
}

type linuxParameters struct {
	Capabilities struct {
		Drop []string `json:"drop"`
	} `json:"capabilities"`
}

type portMapping struct {
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
}

type keyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type logConfiguration struct {
	LogDriver string            `json:"logDriver"`
	Options   map[string]string `json:"options"`
}

func containerDefinitionsJSON(name, image, logGroup, region string, appEnv map[string]string, a FargateServiceArgs) string {
	env := []keyValue{{Name: "PORT", Value: fmt.Sprint(a.Port)}}
	keys := make([]string, 0, len(appEnv))
	for k := range appEnv {
		if k != "PORT" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, keyValue{Name: k, Value: appEnv[k]})
	}
	return mustJSON([]containerDefinition{{
		Name:                   name,
		Image:                  image,
		Essential:              true,
		User:                   nonRootUser,
		ReadonlyRootFilesystem: true,
		Privileged:             false,
		StopTimeout:            a.StopTimeoutSeconds,
		PortMappings:           []portMapping{{ContainerPort: a.Port, Protocol: "tcp"}},
		Environment:            env,
		LogConfiguration: logConfiguration{LogDriver: "awslogs", Options: map[string]string{
			"awslogs-group":         logGroup,
			"awslogs-region":        region,
			"awslogs-stream-prefix": name,
		}},
		LinuxParameters: noCapabilities(),
	}})
}

// noCapabilities drops every Linux capability: the app binds an
// unprivileged port and needs none.
func noCapabilities() linuxParameters {
	var p linuxParameters
	p.Capabilities.Drop = []string{"ALL"}
	return p
}

func setDefault(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}
