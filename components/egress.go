package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// httpsEgressGroup creates a security group for compute that allows HTTPS
// out (AWS APIs: ECR, CloudWatch Logs, DynamoDB, SSM) and no inbound
// traffic. Who may reach the compute is decided by the PrivateLinkNLB's
// target security group, which the compute joins as well.
func httpsEgressGroup(ctx *pulumi.Context, name, what string, vpcID pulumi.StringInput, tags pulumi.StringMapInput, parent pulumi.Resource) (*ec2.SecurityGroup, error) {
	sg, err := ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId:               vpcID,
		Description:         pulumi.Sprintf("%s: HTTPS out to AWS APIs, no inbound", what),
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                tags,
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, fmt.Errorf("creating security group %s: %w", name, err)
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-https-out", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: sg.ID(),
		Description:     pulumi.String("HTTPS to AWS APIs"),
		IpProtocol:      pulumi.String("tcp"),
		FromPort:        pulumi.Int(443),
		ToPort:          pulumi.Int(443),
		CidrIpv4:        pulumi.String("0.0.0.0/0"),
		Tags:            tags,
	}, pulumi.Parent(parent)); err != nil {
		return nil, fmt.Errorf("creating egress rule of %s: %w", name, err)
	}
	return sg, nil
}
