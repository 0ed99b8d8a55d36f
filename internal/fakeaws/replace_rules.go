package fakeaws

// replaceRules are AWS's replacement rules for every resource type the
// program creates, as the Terraform provider behind pulumi-aws v6.83.4
// encodes them: its schemas' ForceNew (and plugin-framework RequiresReplace)
// and the CustomizeDiff rules that force new. Sources are files of
// hashicorp/terraform-provider-aws under internal/service/, read at v5.46
// (a fork's snapshot, upstream main of 2024-04-17) and checked against
// later upstream copies for load_balancer.go, vpc_endpoint.go, vpc_subnet.go
// and vpc_.go. Names are the Pulumi input names; tags never force new. Name
// inputs are listed where they force new: an autonamed resource gets a new
// name on replacement, a fixed name collides with itself (see lifecycle.go).
var replaceRules = map[string]replaceRule{
	// EC2 and VPC.
	"aws:ec2/vpc:Vpc": {ForceNew: []string{"cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"},
		CustomizeDiff: func(old, new map[string]any) []string {
			// resourceVPCCustomizeDiff: a tenancy change forces new but
			// for dedicated to default.
			if old["instanceTenancy"] != new["instanceTenancy"] && !(old["instanceTenancy"] == "dedicated" && new["instanceTenancy"] == "default") {
				return []string{"instanceTenancy"}
			}
			return nil
		},
		Source: "ec2/vpc_.go"},
	"aws:ec2/subnet:Subnet": {ForceNew: []string{"availabilityZone", "availabilityZoneId", "cidrBlock", "ipv6Native", "outpostArn", "vpcId"},
		Source: "ec2/vpc_subnet.go"},
	"aws:ec2/routeTable:RouteTable": {ForceNew: []string{"vpcId"}, Source: "ec2/vpc_route_table.go"},
	// A route's targets change in place (ReplaceRoute).
	"aws:ec2/route:Route": {ForceNew: []string{"routeTableId", "destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId"},
		Source: "ec2/vpc_route.go"},
	// routeTableId changes in place (ReplaceRouteTableAssociation).
	"aws:ec2/routeTableAssociation:RouteTableAssociation": {ForceNew: []string{"subnetId", "gatewayId"},
		Source: "ec2/vpc_route_table_association.go"},
	"aws:ec2/internetGateway:InternetGateway": {Source: "ec2/vpc_internet_gateway.go"},
	"aws:ec2/natGateway:NatGateway": {ForceNew: []string{"allocationId", "connectivityType", "privateIp", "secondaryPrivateIpAddressCount", "subnetId"},
		Source: "ec2/vpc_nat_gateway.go"},
	"aws:ec2/eip:Eip": {ForceNew: []string{"address", "domain", "networkBorderGroup", "publicIpv4Pool", "vpc"},
		Source: "ec2/ec2_eip.go"},
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {ForceNew: []string{"vpcId"}, Source: "ec2/vpc_default_security_group.go"},
	"aws:ec2/flowLog:FlowLog": {ForceNew: []string{"deliverCrossAccountRole", "destinationOptions", "eniId", "iamRoleArn", "logDestination",
		"logDestinationType", "logFormat", "logGroupName", "maxAggregationInterval", "subnetId", "trafficType", "transitGatewayAttachmentId",
		"transitGatewayId", "vpcId"}, Source: "ec2/vpc_flow_log.go"},
	"aws:ec2/securityGroup:SecurityGroup": {ForceNew: []string{"description", "name", "namePrefix", "vpcId"},
		Source: "ec2/vpc_security_group.go"},
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {ForceNew: []string{"securityGroupId"}, CustomizeDiff: ruleSourceType,
		Source: "ec2/vpc_security_group_ingress_rule.go"},
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {ForceNew: []string{"securityGroupId"}, CustomizeDiff: ruleSourceType,
		Source: "ec2/vpc_security_group_egress_rule.go, vpc_security_group_ingress_rule.go"},
	// subnetIds and securityGroupIds change in place.
	"aws:ec2/vpcEndpoint:VpcEndpoint": {ForceNew: []string{"serviceName", "vpcEndpointType", "vpcId", "serviceRegion", "resourceConfigurationArn", "serviceNetworkArn"},
		Sets: []string{"subnetIds", "securityGroupIds"}, Source: "ec2/vpc_endpoint.go"},
	"aws:ec2/vpcEndpointService:VpcEndpointService": {Sets: []string{"networkLoadBalancerArns", "allowedPrincipals", "supportedRegions"},
		Source: "ec2/vpc_endpoint_service.go"},
	// No Update: every input forces new, and Delete rejects the connection.
	"aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter": {ForceNew: []string{"vpcEndpointId", "vpcEndpointServiceId"},
		Source: "ec2/vpc_endpoint_connection_accepter.go"},
	// Any other change is a new version of the same template.
	"aws:ec2/launchTemplate:LaunchTemplate": {ForceNew: []string{"name", "namePrefix"}, Source: "ec2/ec2_launch_template.go"},

	// Elastic Load Balancing.
	"aws:lb/loadBalancer:LoadBalancer": {ForceNew: []string{"customerOwnedIpv4Pool", "internal", "loadBalancerType", "name", "namePrefix"},
		CustomizeDiff: loadBalancerSubnets, Sets: []string{"subnets", "securityGroups"}, Source: "elbv2/load_balancer.go"},
	"aws:lb/targetGroup:TargetGroup": {ForceNew: []string{"ipAddressType", "name", "namePrefix", "port", "protocol", "protocolVersion", "targetType", "vpcId"},
		Source: "elbv2/target_group.go"},
	// Port, protocol and actions change in place (ModifyListener).
	"aws:lb/listener:Listener":         {ForceNew: []string{"loadBalancerArn"}, Source: "elbv2/listener.go"},
	"aws:lb/listenerRule:ListenerRule": {ForceNew: []string{"listenerArn"}, Source: "elbv2/listener_rule.go"},
	"aws:lb/targetGroupAttachment:TargetGroupAttachment": {ForceNew: []string{"availabilityZone", "targetGroupArn", "targetId", "port"},
		Source: "elbv2/target_group_attachment.go"},

	// Compute, containers, IAM and data.
	"aws:autoscaling/group:Group": {ForceNew: []string{"name", "namePrefix", "initialLifecycleHooks"},
		Sets: []string{"vpcZoneIdentifiers", "targetGroupArns"}, Source: "autoscaling/group.go"},
	"aws:ecs/cluster:Cluster": {ForceNew: []string{"name"}, Source: "ecs/cluster.go"},
	"aws:ecs/service:Service": {ForceNew: []string{"cluster", "deploymentController", "iamRole", "launchType", "name", "schedulingStrategy"},
		CustomizeDiff: func(old, new map[string]any) []string {
			// capacityProviderStrategyCustomizeDiff.
			if !sameValue(old["capacityProviderStrategies"], new["capacityProviderStrategies"]) &&
				!(new["forceNewDeployment"] == true && old["capacityProviderStrategies"] != nil && new["capacityProviderStrategies"] != nil) {
				return []string{"capacityProviderStrategies"}
			}
			return nil
		},
		Sets: []string{"networkConfiguration.subnets", "networkConfiguration.securityGroups"}, Source: "ecs/service.go"},
	"aws:ecs/taskDefinition:TaskDefinition": {ForceNew: []string{"containerDefinitions", "cpu", "ephemeralStorage", "executionRoleArn", "family",
		"inferenceAccelerators", "ipcMode", "memory", "networkMode", "pidMode", "placementConstraints", "proxyConfiguration",
		"requiresCompatibilities", "runtimePlatform", "taskRoleArn", "volumes", "enableFaultInjection"}, Source: "ecs/task_definition.go"},
	"aws:ecr/repository:Repository":                     {ForceNew: []string{"name", "encryptionConfigurations"}, Source: "ecr/repository.go"},
	"aws:ecr/lifecyclePolicy:LifecyclePolicy":           {ForceNew: []string{"policy", "repository"}, Source: "ecr/lifecycle_policy.go"},
	"aws:iam/role:Role":                                 {ForceNew: []string{"name", "namePrefix", "path"}, Source: "iam/role.go"},
	"aws:iam/rolePolicy:RolePolicy":                     {ForceNew: []string{"name", "namePrefix", "role"}, Source: "iam/role_policy.go"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": {ForceNew: []string{"policyArn", "role"}, Source: "iam/role_policy_attachment.go"},
	"aws:iam/instanceProfile:InstanceProfile":           {ForceNew: []string{"name", "namePrefix", "path"}, Source: "iam/instance_profile.go"},
	"aws:dynamodb/table:Table": {ForceNew: []string{"name", "hashKey", "rangeKey", "localSecondaryIndexes", "importTable", "restoreDateTime", "restoreToLatestTime"},
		CustomizeDiff: func(old, new map[string]any) []string {
			// ForceNewIfChange("restore_source_name", ...) to a non-empty value.
			if v, _ := new["restoreSourceName"].(string); v != "" && old["restoreSourceName"] != v {
				return []string{"restoreSourceName"}
			}
			return nil
		},
		Source: "dynamodb/table.go"},
	"aws:cloudwatch/logGroup:LogGroup":       {ForceNew: []string{"name", "namePrefix", "logGroupClass"}, Source: "logs/group.go"},
	"aws:cloudwatch/metricAlarm:MetricAlarm": {ForceNew: []string{"name"}, Source: "cloudwatch/metric_alarm.go"},
	"aws:cloudwatch/dashboard:Dashboard":     {ForceNew: []string{"dashboardName"}, Source: "cloudwatch/dashboard.go"},
	"aws:sns/topic:Topic":                    {ForceNew: []string{"fifoTopic", "name", "namePrefix"}, Source: "sns/topic.go"},
	"aws:sns/topicSubscription:TopicSubscription": {ForceNew: []string{"endpoint", "protocol", "topic"},
		Source: "sns/topic_subscription.go"},

	// API Gateway, ACM and Route 53.
	"aws:apigatewayv2/api:Api": {ForceNew: []string{"protocolType", "credentialsArn", "routeKey", "target"}, Source: "apigatewayv2/api.go"},
	// VPC links are immutable.
	"aws:apigatewayv2/vpcLink:VpcLink": {ForceNew: []string{"securityGroupIds", "subnetIds"}, Sets: []string{"securityGroupIds", "subnetIds"},
		Source: "apigatewayv2/vpc_link.go"},
	"aws:apigatewayv2/integration:Integration": {ForceNew: []string{"apiId", "integrationSubtype", "integrationType"},
		Source: "apigatewayv2/integration.go"},
	"aws:apigatewayv2/route:Route":           {ForceNew: []string{"apiId"}, Source: "apigatewayv2/route.go"},
	"aws:apigatewayv2/stage:Stage":           {ForceNew: []string{"apiId", "name"}, Source: "apigatewayv2/stage.go"},
	"aws:apigatewayv2/authorizer:Authorizer": {ForceNew: []string{"apiId"}, Source: "apigatewayv2/authorizer.go"},
	"aws:apigatewayv2/domainName:DomainName": {ForceNew: []string{"domainName"}, Source: "apigatewayv2/domain_name.go"},
	"aws:apigatewayv2/apiMapping:ApiMapping": {ForceNew: []string{"apiId", "domainName"}, Source: "apigatewayv2/api_mapping.go"},
	"aws:acm/certificate:Certificate": {ForceNew: []string{"certificateAuthorityArn", "domainName", "keyAlgorithm", "subjectAlternativeNames",
		"validationMethod", "validationOptions"}, Source: "acm/certificate.go"},
	"aws:acm/certificateValidation:CertificateValidation": {ForceNew: []string{"certificateArn", "validationRecordFqdns"},
		Source: "acm/certificate_validation.go"},
	"aws:route53/record:Record": {ForceNew: []string{"name", "zoneId"}, Source: "route53/record.go"},

	// REST APIs, read at v5.46. A method's key requirement and a stage's
	// deployment change in place. (The program defines methods in the API's
	// body; the fake's tests still make one, to show why.)
	"aws:apigateway/restApi:RestApi": {Source: "apigateway/rest_api.go"},
	"aws:apigateway/method:Method":   {ForceNew: []string{"httpMethod", "resourceId", "restApi"}, Source: "apigateway/method.go"},
	"aws:apigateway/deployment:Deployment": {ForceNew: []string{"restApi", "stageName", "stageDescription", "triggers", "variables"},
		Source: "apigateway/deployment.go"},
	"aws:apigateway/stage:Stage":                   {ForceNew: []string{"restApi", "stageName"}, Source: "apigateway/stage.go"},
	"aws:apigateway/methodSettings:MethodSettings": {ForceNew: []string{"restApi", "stageName", "methodPath"}, Source: "apigateway/method_settings.go"},
	"aws:apigateway/usagePlan:UsagePlan":           {Source: "apigateway/usage_plan.go"},
	"aws:apigateway/usagePlanKey:UsagePlanKey":     {ForceNew: []string{"keyId", "keyType", "usagePlanId"}, Source: "apigateway/usage_plan_key.go"},
	"aws:apigateway/apiKey:ApiKey":                 {ForceNew: []string{"value"}, Source: "apigateway/api_key.go"},
	"aws:apigateway/vpcLink:VpcLink":               {ForceNew: []string{"targetArn"}, Source: "apigateway/vpc_link.go"},
	"aws:apigateway/account:Account":               {Source: "apigateway/account.go"},
	"aws:wafv2/webAcl:WebAcl":                      {ForceNew: []string{"name", "namePrefix", "scope"}, Source: "wafv2/web_acl.go"},
	"aws:wafv2/webAclAssociation:WebAclAssociation": {ForceNew: []string{"resourceArn", "webAclArn"},
		Source: "wafv2/web_acl_association.go"},
	"aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": {ForceNew: []string{"resourceArn", "logDestinationConfigs"},
		Source: "wafv2/web_acl_logging_configuration.go"},
	"aws:cloudwatch/logResourcePolicy:LogResourcePolicy": {ForceNew: []string{"policyName"}, Source: "logs/resource_policy.go"},
}

// loadBalancerSubnets is load_balancer.go's customizeDiffLoadBalancerNLB
// and ...ALB for the inputs the program sets: a Network Load Balancer is
// replaced when a subnet is removed or swapped (only adding is in place),
// or when it goes from no security groups to some or back; either kind is
// replaced when a subnet mapping changes.
func loadBalancerSubnets(old, new map[string]any) []string {
	var keys []string
	if new["loadBalancerType"] == "network" {
		before, _ := old["subnets"].([]any)
		after, _ := new["subnets"].([]any)
		if (len(before) > 0 || len(after) > 0) && !sameValue(old["subnets"], new["subnets"]) && (len(after) <= len(before) || removedFrom(old, new, "subnets")) {
			keys = append(keys, "subnets")
		}
		groupsBefore, _ := old["securityGroups"].([]any)
		groupsAfter, _ := new["securityGroups"].([]any)
		if (len(groupsBefore) == 0) != (len(groupsAfter) == 0) {
			keys = append(keys, "securityGroups")
		}
	}
	if removedFrom(old, new, "subnetMappings") {
		keys = append(keys, "subnetMappings")
	}
	return keys
}

// ruleSourceType is the security group rules' ModifyPlan: a rule can't
// change what kind of source it has (a CIDR, a prefix list, a group).
func ruleSourceType(old, new map[string]any) []string {
	for _, k := range []string{"cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId"} {
		if (old[k] == nil) != (new[k] == nil) {
			return []string{k}
		}
	}
	return nil
}
