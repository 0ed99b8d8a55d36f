package components

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AL2023AmiParameter is the public SSM parameter holding the current Amazon
// Linux 2023 AMI for x86_64. Reading it on every deploy keeps instances on a
// patched image: a new AMI means a new launch template version, which a new
// Auto Scaling group rolls out (see NewEC2Service).
const AL2023AmiParameter = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

// Permission grants the app some actions on some resources.
type Permission struct {
	Actions   []string
	Resources pulumi.StringArrayInput
}

// EC2ServiceArgs configures an EC2Service.
type EC2ServiceArgs struct {
	// Image is the container image URI, ideally pinned by digest.
	Image pulumi.StringInput
	// RepositoryArn is the ECR repository instances may pull from.
	RepositoryArn pulumi.StringInput
	// Port the container listens on, on the host network. Default 8080.
	Port int
	// InstanceType must be an x86_64 type (the AMI is x86_64). Default t3.small.
	InstanceType string
	// MinSize, MaxSize and DesiredCapacity size the Auto Scaling group.
	// Defaults 2, 4 and MinSize.
	MinSize, MaxSize, DesiredCapacity int
	// VpcId holds the instance security group; SubnetIds are private subnets
	// across AZs (instances never get public IPs).
	VpcId     pulumi.StringInput
	SubnetIds pulumi.StringArrayInput
	// TargetSecurityGroupId and TargetGroupArn come from the PrivateLinkNLB
	// the instances serve behind.
	TargetSecurityGroupId pulumi.StringInput
	TargetGroupArn        pulumi.StringInput
	// Environment holds non-secret settings for the container: names of
	// A-Z, 0-9 and _, one-line values.
	Environment pulumi.StringMapInput
	// AppPermissions are what the app itself may do with AWS, e.g. item
	// actions on its table; nothing else is granted.
	AppPermissions []Permission
	// AmiParameter names the SSM parameter with the AMI ID. Default AL2023AmiParameter.
	AmiParameter string
	// LogRetentionDays keeps container logs this long. Default 365.
	LogRetentionDays int
	// HealthCheckGracePeriodSeconds covers boot, the container runtime's
	// install and the image pull before ELB health checks count. Default 300.
	HealthCheckGracePeriodSeconds int
	// StopTimeoutSeconds is how long the container gets after SIGTERM: above
	// the app's drain delay plus shutdown timeout. Default 30.
	StopTimeoutSeconds int
	// ReleaseTimeout is how long a release's new instances get to pass the
	// load balancer's health checks before `pulumi up` fails and the
	// previous release keeps serving, as a Go-style duration Terraform
	// reads ("15m"). Default: the grace period plus 10 minutes.
	ReleaseTimeout string
	// Tags are applied to every taggable resource, and to the instances and
	// volumes the group launches.
	Tags pulumi.StringMapInput
}

// EC2Service runs a container on an EC2 Auto Scaling group in private
// subnets, registered in a load balancer target group, on the current Amazon
// Linux 2023 with IMDSv2, encrypted disks, SSM access instead of SSH keys and
// an instance role limited to what the app and the image pull need.
type EC2Service struct {
	pulumi.ResourceState

	AutoScalingGroupName pulumi.StringOutput
	LaunchTemplateId     pulumi.StringOutput
	LogGroupName         pulumi.StringOutput
}

// NewEC2Service creates an EC2Service.
func NewEC2Service(ctx *pulumi.Context, name string, args *EC2ServiceArgs, opts ...pulumi.ResourceOption) (_ *EC2Service, err error) {
	errs := componentErrors{"ec2 service", name}
	defer errs.wrap(&err)
	if args == nil {
		return nil, errors.New("args are required")
	}
	a := args.withDefaults()
	if err := a.validate(); err != nil {
		return nil, err
	}

	s := &EC2Service{}
	if err := ctx.RegisterComponentResource("private-apis:ec2:EC2Service", name, s, opts...); err != nil {
		return nil, err
	}
	region, err := aws.GetRegion(ctx, nil, pulumi.Parent(s))
	if err != nil {
		return nil, fmt.Errorf("looking up region: %w", err)
	}
	ami, err := ssm.LookupParameter(ctx, &ssm.LookupParameterArgs{Name: a.AmiParameter}, pulumi.Parent(s))
	if err != nil {
		return nil, fmt.Errorf("looking up the AMI in %s: %w", a.AmiParameter, err)
	}

	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(a.LogRetentionDays),
		Tags:            a.Tags,
	}, pulumi.Parent(s))
	if err != nil {
		return nil, fmt.Errorf("creating log group: %w", err)
	}
	profile, err := s.instanceProfile(ctx, name, a, logGroup.Arn)
	if err != nil {
		return nil, err
	}
	instanceSG, err := httpsEgressGroup(ctx, name+"-instances", "Instances of "+name, a.VpcId, a.Tags, s)
	if err != nil {
		return nil, err
	}

	lt, err := s.launchTemplate(ctx, name, a, launchSettings{ami: ami.Value, region: region.Name, profileArn: profile.Arn,
		securityGroupId: instanceSG.ID(), logGroupName: logGroup.Name, environment: checkedEnvironment(a.Environment, errs)})
	if err != nil {
		return nil, err
	}

	group, err := s.autoScalingGroup(ctx, name, a, lt)
	if err != nil {
		return nil, err
	}

	s.AutoScalingGroupName = group.Name
	s.LaunchTemplateId = lt.ID().ToStringOutput()
	s.LogGroupName = logGroup.Name
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{
		"autoScalingGroupName": s.AutoScalingGroupName,
		"launchTemplateId":     s.LaunchTemplateId,
		"logGroupName":         s.LogGroupName,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs: %w", err)
	}
	return s, nil
}

// launchSettings are what a launch template takes from the rest of the
// service.
type launchSettings struct {
	ami, region     string
	profileArn      pulumi.StringOutput
	securityGroupId pulumi.IDOutput
	logGroupName    pulumi.StringOutput
	environment     pulumi.StringMapOutput
}

// launchTemplate describes the instances: the AMI, IMDSv2 only, an
// encrypted disk, no public address, and user data that runs the image.
func (s *EC2Service) launchTemplate(ctx *pulumi.Context, name string, a EC2ServiceArgs, l launchSettings) (*ec2.LaunchTemplate, error) {
	userData := pulumi.All(a.Image, l.logGroupName, l.environment).ApplyT(func(v []any) string {
		script := userDataScript(name, v[0].(string), v[1].(string), l.region, v[2].(map[string]string), a)
		return base64.StdEncoding.EncodeToString([]byte(script))
	}).(pulumi.StringOutput)

	lt, err := ec2.NewLaunchTemplate(ctx, name+"-lt", &ec2.LaunchTemplateArgs{
		Description:  pulumi.Sprintf("%s: container on Amazon Linux 2023", name),
		ImageId:      pulumi.String(l.ami),
		InstanceType: pulumi.String(a.InstanceType),
		IamInstanceProfile: &ec2.LaunchTemplateIamInstanceProfileArgs{
			Arn: l.profileArn,
		},
		// IMDSv2 only. The container uses the host network, so a hop limit
		// of 1 reaches the metadata service from the container while
		// anything one network hop further away cannot.
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(1),
			InstanceMetadataTags:    pulumi.String("disabled"),
		},
		NetworkInterfaces: ec2.LaunchTemplateNetworkInterfaceArray{&ec2.LaunchTemplateNetworkInterfaceArgs{
			AssociatePublicIpAddress: pulumi.String("false"),
			DeleteOnTermination:      pulumi.String("true"),
			SecurityGroups:           pulumi.StringArray{a.TargetSecurityGroupId, l.securityGroupId},
		}},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{&ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String("/dev/xvda"),
			Ebs: &ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeType:          pulumi.String("gp3"),
				VolumeSize:          pulumi.Int(20),
				Encrypted:           pulumi.String("true"),
				DeleteOnTermination: pulumi.String("true"),
			},
		}},
		Monitoring:           &ec2.LaunchTemplateMonitoringArgs{Enabled: pulumi.Bool(true)},
		UserData:             userData,
		UpdateDefaultVersion: pulumi.Bool(true),
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{
			&ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("instance"), Tags: a.Tags},
			&ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("volume"), Tags: a.Tags},
		},
		Tags: a.Tags,
	}, pulumi.Parent(s))
	if err != nil {
		return nil, fmt.Errorf("creating launch template: %w", err)
	}
	return lt, nil
}

// autoScalingGroup runs the launch template's instances across the
// subnets, registered in the target group, one group per release.
func (s *EC2Service) autoScalingGroup(ctx *pulumi.Context, name string, a EC2ServiceArgs, lt *ec2.LaunchTemplate) (*autoscaling.Group, error) {
	group, err := autoscaling.NewGroup(ctx, name+"-asg", &autoscaling.GroupArgs{
		MinSize:            pulumi.Int(a.MinSize),
		MaxSize:            pulumi.Int(a.MaxSize),
		DesiredCapacity:    pulumi.Int(a.DesiredCapacity),
		VpcZoneIdentifiers: a.SubnetIds,
		LaunchTemplate: &autoscaling.GroupLaunchTemplateArgs{
			Id:      lt.ID(),
			Version: lt.LatestVersion.ApplyT(func(v int) string { return strconv.Itoa(v) }).(pulumi.StringOutput),
		},
		TargetGroupArns:        pulumi.StringArray{a.TargetGroupArn},
		HealthCheckType:        pulumi.String("ELB"),
		HealthCheckGracePeriod: pulumi.Int(a.HealthCheckGracePeriodSeconds),
		DefaultInstanceWarmup:  pulumi.Int(a.HealthCheckGracePeriodSeconds),
		DefaultCooldown:        pulumi.Int(300),
		// A group is created only when a release is rolled out (see the
		// replacement below), and its create waits until this many of its
		// instances pass the load balancer's health check, or fails after
		// the timeout: a release that never turns healthy fails
		// `pulumi up` while the previous group keeps serving.
		MinElbCapacity:         pulumi.Int(a.MinSize),
		WaitForCapacityTimeout: pulumi.String(a.ReleaseTimeout),
		EnabledMetrics: pulumi.ToStringArray([]string{
			"GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances", "GroupTerminatingInstances",
		}),
		Tags: groupTags(a.Tags),
	}, pulumi.Parent(s),
		// Each release (a new launch template version: image, AMI, instance
		// type, settings) is a new group beside the old one, which is
		// deleted only once the new one is healthy. An in-place instance
		// refresh can't promise that: the provider sets the group's new
		// version before the refresh starts, so its automatic rollback
		// "rolls back" to the new version, and it doesn't wait for the
		// refresh, so a broken release would report success
		// (hashicorp/terraform-provider-aws#34189; autoscaling/group.go
		// waits for capacity on create only, for min_elb_capacity).
		//
		// A new target group (a replaced NLB) is a new group too, so the
		// endpoint service moves to the new NLB once instances are healthy
		// behind it. And a group whose capacity wait failed stays in the
		// state with init errors: "#initerror" replaces it on the next
		// update rather than "continuing" it with an update that waits for
		// nothing and then deletes the healthy group
		// (pkg/resource/deploy/step_generator.go, applyReplaceOnChanges).
		pulumi.ReplaceOnChanges([]string{"launchTemplate", "targetGroupArns", "#initerror"}))
	if err != nil {
		return nil, fmt.Errorf("creating auto scaling group: %w", err)
	}
	return group, nil
}

// instanceProfile creates the instance role: the app's own permissions, the
// image pull from one repository, log writes to one group, and Session
// Manager access in place of SSH keys.
func (s *EC2Service) instanceProfile(ctx *pulumi.Context, name string, a EC2ServiceArgs, logGroupArn pulumi.StringOutput) (*iam.InstanceProfile, error) {
	role, err := iam.NewRole(ctx, name+"-instance", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("ec2.amazonaws.com")),
		Description:      pulumi.Sprintf("Instances of %s: the app's data, its image, its logs, SSM", name),
		Tags:             a.Tags,
	}, pulumi.Parent(s))
	if err != nil {
		return nil, fmt.Errorf("creating instance role: %w", err)
	}

	inputs := []any{a.RepositoryArn, logGroupArn}
	for _, p := range a.AppPermissions {
		inputs = append(inputs, p.Resources)
	}
	policy := pulumi.All(inputs...).ApplyT(func(v []any) string {
		statements := append(imagePullStatements(v[0].(string)), logWriteStatement(v[1].(string)))
		for i, p := range a.AppPermissions {
			statements = append(statements, policyStatement{Effect: "Allow", Action: p.Actions, Resource: v[2+i].([]string)})
		}
		return mustJSON(policyDocument{Version: "2012-10-17", Statement: statements})
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-instance", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policy,
	}, pulumi.Parent(s)); err != nil {
		return nil, fmt.Errorf("creating instance policy: %w", err)
	}
	// An AWS-managed policy (cdk-nag IAM4 flags those): AWS maintains the
	// exact set of SSM calls Session Manager needs, and it grants no data access.
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-ssm", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
	}, pulumi.Parent(s)); err != nil {
		return nil, fmt.Errorf("attaching SSM policy: %w", err)
	}
	profile, err := iam.NewInstanceProfile(ctx, name+"-instance", &iam.InstanceProfileArgs{
		Role: role.Name,
		Tags: a.Tags,
	}, pulumi.Parent(s))
	if err != nil {
		return nil, fmt.Errorf("creating instance profile: %w", err)
	}
	return profile, nil
}

// withDefaults fills in the defaults EC2ServiceArgs documents.
func (a EC2ServiceArgs) withDefaults() EC2ServiceArgs {
	setDefault(&a.Port, 8080)
	setDefault(&a.MinSize, 2)
	setDefault(&a.MaxSize, 4)
	setDefault(&a.DesiredCapacity, a.MinSize)
	setDefault(&a.LogRetentionDays, DefaultLogRetentionDays)
	setDefault(&a.HealthCheckGracePeriodSeconds, 300)
	setDefault(&a.StopTimeoutSeconds, 30)
	if a.ReleaseTimeout == "" {
		a.ReleaseTimeout = (time.Duration(a.HealthCheckGracePeriodSeconds)*time.Second + 10*time.Minute).String()
	}
	if a.InstanceType == "" {
		a.InstanceType = "t3.small"
	}
	if a.AmiParameter == "" {
		a.AmiParameter = AL2023AmiParameter
	}
	return a
}

func (a EC2ServiceArgs) validate() error {
	if a.Image == nil || a.RepositoryArn == nil || a.VpcId == nil || a.SubnetIds == nil ||
		a.TargetSecurityGroupId == nil || a.TargetGroupArn == nil {
		return fmt.Errorf("Image, RepositoryArn, VpcId, SubnetIds, TargetSecurityGroupId and TargetGroupArn are required")
	}
	if err := CheckInstanceType(a.InstanceType); err != nil {
		return err
	}
	if a.MinSize < 1 || a.MaxSize < a.MinSize || a.DesiredCapacity < a.MinSize || a.DesiredCapacity > a.MaxSize {
		return fmt.Errorf("sizes must satisfy 1 <= MinSize (%d) <= DesiredCapacity (%d) <= MaxSize (%d)", a.MinSize, a.DesiredCapacity, a.MaxSize)
	}
	for _, p := range a.AppPermissions {
		for _, action := range p.Actions {
			if strings.Contains(action, "*") {
				return fmt.Errorf("app permission %q: list actions explicitly, no wildcards", action)
			}
		}
	}
	return nil
}

var instanceTypePattern = regexp.MustCompile(`^([a-z]+)([0-9]+)([a-z-]*)\.([0-9]*[a-z]+[0-9]*)$`)

// CheckInstanceType accepts EC2 instance types that run the x86_64 AMI.
// Graviton types carry a "g" after the generation (t4g, c7gn, m6gd).
func CheckInstanceType(t string) error {
	m := instanceTypePattern.FindStringSubmatch(t)
	if m == nil {
		return fmt.Errorf("instance type %q is not an EC2 instance type; use e.g. t3.small", t)
	}
	if strings.Contains(m[3], "g") {
		return fmt.Errorf("instance type %q is a Graviton (arm64) type, but the image and AMI are x86_64; use e.g. t3.small or m7i.large", t)
	}
	return nil
}

// userDataScript installs Docker, logs in to ECR and runs the image with a
// restart policy. The container shares the host network (so IMDSv2 works
// with a hop limit of 1), runs as the image's non-root user with a
// read-only root filesystem and no capabilities, and logs to CloudWatch.
func userDataScript(name, image, logGroup, region string, appEnv map[string]string, a EC2ServiceArgs) string {
	registry := strings.SplitN(image, "/", 2)[0]
	env := map[string]string{"PORT": strconv.Itoa(a.Port), "AWS_REGION": region}
	for k, v := range appEnv {
		env[k] = v
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var envFile strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&envFile, "%s=%s\n", k, env[k])
	}
	return fmt.Sprintf(`#!/bin/bash
set -euo pipefail
dnf install -y docker
systemctl enable --now docker
install -d -m 0700 /etc/%[1]s
cat > /etc/%[1]s/env <<'ENV'
%[2]sENV
for attempt in 1 2 3 4 5; do
  aws ecr get-login-password --region %[3]s | docker login --username AWS --password-stdin %[4]s && break
  sleep $((attempt * 5))
done
docker pull %[5]s
docker run -d --name %[1]s --restart always --network host \
  --read-only --cap-drop ALL --security-opt no-new-privileges \
  --stop-timeout %[6]d --env-file /etc/%[1]s/env \
  --log-driver awslogs --log-opt awslogs-region=%[3]s --log-opt awslogs-group=%[7]s \
  %[5]s
`, name, envFile.String(), region, registry, image, a.StopTimeoutSeconds, logGroup)
}

// groupTags turns a tag map into Auto Scaling group tags that propagate to
// the instances it launches.
func groupTags(tags pulumi.StringMapInput) autoscaling.GroupTagArrayInput {
	if tags == nil {
		return nil
	}
	return tags.ToStringMapOutput().ApplyT(func(m map[string]string) []autoscaling.GroupTag {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]autoscaling.GroupTag, 0, len(m))
		for _, k := range keys {
			out = append(out, autoscaling.GroupTag{Key: k, Value: m[k], PropagateAtLaunch: true})
		}
		return out
	}).(autoscaling.GroupTagArrayOutput)
}
