package fakeaws

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// computedOutputs are what AWS returns on a create or an update, beyond the
// inputs: ids, ARNs, addresses, states. physical is the resource's name in
// AWS (empty for types without one); prior is what the state held before an
// update (existed false on a create).
func (m *AWS) computedOutputs(token, logical, physical string, in map[string]any, prior Resource, existed bool) (map[string]any, error) {
	if physical == "" {
		physical = logical
	}
	out := map[string]any{"arn": fmt.Sprintf("arn:aws:%s:%s:%s:%s", service(token), m.Region, m.Account, physical)}
	if format, ok := arnFormats[token]; ok {
		out["arn"] = fmt.Sprintf(format, m.Region, m.Account, physical)
	}
	// Each family sets the types it knows and leaves the others alone.
	m.networkOutputs(out, token, logical, in)
	m.loadBalancingOutputs(out, token, logical, physical, in)
	m.privateLinkOutputs(out, token, logical, in)
	apiAndIAMIDs(out, token, logical, physical, in)
	m.restOutputs(out, token, logical, physical, in)
	switch token {
	case "awsx:ecr:Image":
		return m.pushImage(logical, in, prior, existed)
	case "aws:ecr/repository:Repository":
		out["repositoryUrl"] = fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", m.Account, m.Region, physical)
		out["registryId"] = m.Account
	case "aws:iam/role:Role":
		out["arn"] = fmt.Sprintf("arn:aws:iam::%s:role/%s", m.Account, physical)
	case "aws:apigatewayv2/api:Api":
		apiID := digest(logical)[:10]
		out["id"] = apiID
		out["apiEndpoint"] = fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com", apiID, m.Region)
		out["executionArn"] = fmt.Sprintf("arn:aws:execute-api:%s:%s:%s", m.Region, m.Account, apiID)
	case "aws:acm/certificate:Certificate", "aws:apigatewayv2/domainName:DomainName", "aws:route53/record:Record":
		for k, v := range m.domainOutputs(token, logical, in) {
			out[k] = v
		}
	case "aws:ecs/taskDefinition:TaskDefinition":
		// Each create is the family's next revision.
		m.revisions[physical]++
		out["revision"] = m.revisions[physical]
		out["arnWithoutRevision"] = fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s", m.Region, m.Account, physical)
		out["arn"] = fmt.Sprintf("%s:%d", out["arnWithoutRevision"], m.revisions[physical])
	case "aws:ec2/launchTemplate:LaunchTemplate":
		out["id"] = "lt-" + digest(logical)[:17]
		out["arn"] = fmt.Sprintf("arn:aws:ec2:%s:%s:launch-template/%s", m.Region, m.Account, out["id"])
		version := 1.0
		if existed {
			if v, ok := prior.Outputs["latestVersion"]; ok && v.IsNumber() {
				version = v.NumberValue() + 1
			}
		}
		out["latestVersion"] = version
	}
	return out, nil
}

// networkOutputs are the VPC's own resources'.
func (m *AWS) networkOutputs(out map[string]any, token, logical string, in map[string]any) {
	switch token {
	case "aws:ec2/vpc:Vpc":
		out["id"] = "vpc-" + digest(logical)[:17]
		out["arn"] = fmt.Sprintf("arn:aws:ec2:%s:%s:vpc/%s", m.Region, m.Account, out["id"])
		out["defaultSecurityGroupId"] = "sg-" + digest(logical + "-default")[:17]
	case "aws:ec2/subnet:Subnet":
		out["id"] = "subnet-" + digest(logical)[:17]
		out["arn"] = fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", m.Region, m.Account, out["id"])
		out["availabilityZone"] = m.azName(fmt.Sprint(in["availabilityZoneId"]))
	case "aws:ec2/routeTable:RouteTable":
		out["id"] = "rtb-" + digest(logical)[:17]
	case "aws:ec2/routeTableAssociation:RouteTableAssociation":
		out["id"] = "rtbassoc-" + digest(logical)[:17]
	case "aws:ec2/route:Route":
		out["id"] = fmt.Sprintf("r-%v%s", in["routeTableId"], "1080289494")
	case "aws:ec2/internetGateway:InternetGateway":
		out["id"] = "igw-" + digest(logical)[:17]
	case "aws:ec2/eip:Eip":
		out["id"] = "eipalloc-" + digest(logical)[:17]
		out["allocationId"] = out["id"]
		sum := digest(logical)
		out["publicIp"] = fmt.Sprintf("52.%d.%d.%d", sum[0], sum[1], sum[2])
	case "aws:ec2/natGateway:NatGateway":
		out["id"] = "nat-" + digest(logical)[:17]
	case "aws:ec2/securityGroup:SecurityGroup":
		out["id"] = "sg-" + digest(logical)[:17]
		out["arn"] = fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", m.Region, m.Account, out["id"])
	}
}

// loadBalancingOutputs are Elastic Load Balancing's, with the ARN suffixes
// that CloudWatch alarms name load balancers and target groups by.
func (m *AWS) loadBalancingOutputs(out map[string]any, token, logical, physical string, in map[string]any) {
	switch token {
	case "aws:lb/loadBalancer:LoadBalancer":
		kind := "net"
		if in["loadBalancerType"] == "application" {
			kind = "app"
		}
		out["arnSuffix"] = fmt.Sprintf("%s/%s/%s", kind, physical, digest(logical)[:16])
		out["arn"] = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/%s", m.Region, m.Account, out["arnSuffix"])
		// internal-<name>-<16 hex digits>.elb.<region>... for a Network Load
		// Balancer, internal-<name>-<10 digits>.<region>.elb... for others.
		out["dnsName"] = fmt.Sprintf("internal-%s-%s.elb.%s.amazonaws.com", physical, digest(logical)[:16], m.Region)
		if kind == "app" {
			n, _ := strconv.ParseUint(digest(logical)[:8], 16, 64)
			out["dnsName"] = fmt.Sprintf("internal-%s-%d.%s.elb.amazonaws.com", physical, 1000000000+n%1000000000, m.Region)
		}
	case "aws:lb/listener:Listener":
		lb, _ := in["loadBalancerArn"].(string)
		if !strings.Contains(lb, ":loadbalancer/") {
			// A load balancer the test names by something else than an ARN.
			lb = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/net/%s/%s", m.Region, m.Account, logical, digest(lb)[:16])
		}
		out["arn"] = listenerArn(lb, logical)
	case "aws:lb/targetGroup:TargetGroup":
		out["arnSuffix"] = fmt.Sprintf("targetgroup/%s/%s", physical, digest(logical)[:16])
		out["arn"] = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:%s", m.Region, m.Account, out["arnSuffix"])
	}
}

// privateLinkOutputs are the endpoint services' and endpoints'.
func (m *AWS) privateLinkOutputs(out map[string]any, token, logical string, in map[string]any) {
	switch token {
	case "aws:ec2/vpcEndpointService:VpcEndpointService":
		svcID := "vpce-svc-" + digest(logical)[:17]
		out["id"] = svcID
		out["serviceName"] = fmt.Sprintf("com.amazonaws.vpce.%s.%s", m.Region, svcID)
		out["availabilityZones"] = m.azNames()
		out["state"] = "Available"
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		for k, v := range m.createEndpoint(logical, in) {
			out[k] = v
		}
	case "aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter":
		out["vpcEndpointState"] = "available"
	}
}

// apiAndIAMIDs are the IDs of API Gateway's and IAM's resources that other
// resources name: API Gateway's own short IDs (an integration's or a
// route's 7 characters, a VPC link's 6), and the names by which the
// provider identifies a custom domain, a stage, a role and an instance
// profile.
func apiAndIAMIDs(out map[string]any, token, logical, physical string, in map[string]any) {
	switch token {
	case "aws:apigatewayv2/integration:Integration", "aws:apigatewayv2/route:Route":
		out["id"] = digest(token + logical)[:7]
	case "aws:apigatewayv2/vpcLink:VpcLink", "aws:apigatewayv2/authorizer:Authorizer", "aws:apigatewayv2/apiMapping:ApiMapping":
		out["id"] = digest(token + logical)[:6]
	case "aws:apigatewayv2/domainName:DomainName":
		out["id"] = in["domainName"]
	case "aws:apigatewayv2/stage:Stage":
		out["id"] = in["name"]
	case "aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile":
		out["id"] = physical
	}
}

// arnFormats are the ARNs AWS gives named resources, by type: region,
// account and name fill them, in that order (%[1]s, %[2]s, %[3]s).
var arnFormats = map[string]string{
	"aws:cloudwatch/logGroup:LogGroup":        "arn:aws:logs:%[1]s:%[2]s:log-group:%[3]s",
	"aws:cloudwatch/metricAlarm:MetricAlarm":  "arn:aws:cloudwatch:%[1]s:%[2]s:alarm:%[3]s",
	"aws:cloudwatch/dashboard:Dashboard":      "arn:aws:cloudwatch::%[2]s:dashboard/%[3]s",
	"aws:dynamodb/table:Table":                "arn:aws:dynamodb:%[1]s:%[2]s:table/%[3]s",
	"aws:ecr/repository:Repository":           "arn:aws:ecr:%[1]s:%[2]s:repository/%[3]s",
	"aws:ecs/cluster:Cluster":                 "arn:aws:ecs:%[1]s:%[2]s:cluster/%[3]s",
	"aws:ecs/service:Service":                 "arn:aws:ecs:%[1]s:%[2]s:service/%[3]s",
	"aws:iam/instanceProfile:InstanceProfile": "arn:aws:iam::%[2]s:instance-profile/%[3]s",
	"aws:autoscaling/group:Group":             "arn:aws:autoscaling:%[1]s:%[2]s:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/%[3]s",
	"aws:sns/topic:Topic":                     "arn:aws:sns:%[1]s:%[2]s:%[3]s",
}

// azName is the account's name for an AZ ID.
func (m *AWS) azName(id string) string {
	for _, az := range m.AvailabilityZones {
		if az.ID == id {
			return az.Name
		}
	}
	return ""
}

// Call answers the invokes the program makes. An invoke it doesn't know is an
// error, so a new lookup can't silently get an empty answer in tests.
func (m *AWS) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	var out map[string]any
	var err error
	switch args.Token {
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		ids := make([]any, 0, len(m.AvailabilityZones))
		for _, az := range m.AvailabilityZones {
			ids = append(ids, az.ID)
		}
		out = map[string]any{"id": m.Region, "names": m.azNames(), "zoneIds": ids}
	case "aws:index/getRegion:getRegion":
		out = map[string]any{"id": m.Region, "name": m.Region, "description": "mock region"}
	case "aws:index/getCallerIdentity:getCallerIdentity":
		arn := m.CallerArn
		if arn == "" {
			arn = fmt.Sprintf("arn:aws:iam::%s:user/deployer", m.Account)
		}
		// A user's unique ID is AIDA and 17 characters; an assumed role's
		// is its role's (AROA...) and the session name.
		userID := "AIDA" + strings.ToUpper(digest(arn)[:17])
		if _, session, ok := strings.Cut(arn, ":assumed-role/"); ok {
			userID = "AROA" + strings.ToUpper(digest(arn)[:17]) + ":" + session[strings.LastIndex(session, "/")+1:]
		}
		out = map[string]any{"id": m.Account, "accountId": m.Account, "arn": arn, "userId": userID}
	case "aws:ec2/getVpcEndpoint:getVpcEndpoint":
		out, err = m.lookupEndpoint(args.Args)
	case "aws:ec2/getNetworkInterface:getNetworkInterface":
		out, err = m.lookupNetworkInterface(args.Args)
	case "aws:lb/getLoadBalancer:getLoadBalancer":
		out, err = m.lookupLoadBalancer(args.Args)
	case "aws:lb/getListener:getListener":
		out, err = m.lookupListener(args.Args)
	case "aws:ec2/getSubnet:getSubnet":
		out, err = m.lookupSubnet(args.Args)
	case "aws:route53/getZone:getZone":
		out, err = m.lookupZone(args.Args)
	case "aws:route53/getRecords:getRecords":
		out, err = m.lookupRecords(args.Args)
	case "aws:ssm/getParameter:getParameter":
		name, _ := args.Args["name"].V.(string)
		value, ok := m.Parameters[name]
		if !ok {
			value = "ami-0" + digest(name)[:16]
		}
		out = map[string]any{"id": name, "name": name, "type": "String", "value": value,
			"arn": fmt.Sprintf("arn:aws:ssm:%s::parameter%s", m.Region, name)}
	case "aws:index/getPartition:getPartition":
		out = map[string]any{"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com"}
	default:
		return nil, fmt.Errorf("fakeaws: no answer for invoke %q; teach internal/fakeaws about it", args.Token)
	}
	if err != nil {
		return nil, err
	}
	return resource.NewPropertyMapFromMap(out), nil
}

func (m *AWS) azNames() []any {
	names := make([]any, 0, len(m.AvailabilityZones))
	for _, az := range m.AvailabilityZones {
		names = append(names, az.Name)
	}
	return names
}

// service guesses an ARN service part from a type token such as
// "aws:lb/loadBalancer:LoadBalancer"; precise ARNs are set per type above.
func service(token string) string {
	parts := strings.Split(token, ":")
	if len(parts) < 2 {
		return "mock"
	}
	return strings.Split(parts[1], "/")[0]
}

// restOutputs are REST APIs' and WAF's: API Gateway's short IDs (a REST
// API's and an API key's 10 characters, a VPC link's, a usage plan's and a
// deployment's 6), the stage's ARN and address, and a web ACL's ARN.
func (m *AWS) restOutputs(out map[string]any, token, logical, physical string, in map[string]any) {
	short := func(n int) string { return digest(token + logical)[:n] }
	switch token {
	case "aws:apigateway/restApi:RestApi":
		out["id"] = short(10)
		out["arn"] = fmt.Sprintf("arn:aws:apigateway:%s::/restapis/%s", m.Region, out["id"])
		out["executionArn"] = fmt.Sprintf("arn:aws:execute-api:%s:%s:%s", m.Region, m.Account, out["id"])
	case "aws:apigateway/vpcLink:VpcLink", "aws:apigateway/usagePlan:UsagePlan", "aws:apigateway/deployment:Deployment":
		out["id"] = short(6)
	case "aws:apigateway/apiKey:ApiKey":
		out["id"] = short(10)
		// API Gateway generates 40 characters when the program sets none.
		if in["value"] == nil {
			out["value"] = digest(logical + "/value")[:40]
		}
	case "aws:apigateway/stage:Stage":
		out["id"] = fmt.Sprintf("ags-%v-%v", in["restApi"], in["stageName"])
		out["arn"] = fmt.Sprintf("arn:aws:apigateway:%s::/restapis/%v/stages/%v", m.Region, in["restApi"], in["stageName"])
		out["invokeUrl"] = fmt.Sprintf("https://%v.execute-api.%s.amazonaws.com/%v", in["restApi"], m.Region, in["stageName"])
	case "aws:wafv2/webAcl:WebAcl":
		id := digest(logical)
		out["id"] = fmt.Sprintf("%s-%s-%s-%s-%s", id[:8], id[8:12], id[12:16], id[16:20], id[20:32])
		out["arn"] = fmt.Sprintf("arn:aws:wafv2:%s:%s:regional/webacl/%s/%s", m.Region, m.Account, physical, out["id"])
		out["capacity"] = 927
	}
}
