// Package mocks is the one Pulumi mocks harness every infrastructure test uses.
//
// It records each resource's type, name, inputs and transforms; answers the
// AWS invokes the program makes; returns the outputs of awsx remote components
// (which mocks never expand into children); injects stack config; and can make
// a chosen resource fail. Tests assert on what it recorded after RunErr has
// returned, on the test goroutine, so no assertion ever runs inside an ApplyT.
package mocks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// Project is the Pulumi project name every mocked run uses.
const Project = "private-apis"

// AvailabilityZone pairs an account-specific AZ name with its global AZ ID.
type AvailabilityZone struct {
	Name string
	ID   string
}

// Resource is one registered resource as the program declared it.
type Resource struct {
	Type       string
	Name       string
	Custom     bool
	Inputs     resource.PropertyMap
	Transforms []pulumi.ResourceTransform
}

// Map returns the inputs as plain Go values (strings, float64, bool, []any,
// map[string]any), which is what assertions want to compare against.
func (r Resource) Map() map[string]any { return r.Inputs.Mappable() }

// Mocks implements pulumi.MockResourceMonitor. Its exported fields may be set
// before a run to shape the simulated account.
type Mocks struct {
	// Region the simulated AWS provider is in. Default us-west-2.
	Region string
	// Account is the simulated caller's account ID. Default 222222222222.
	Account string
	// CallerArn is the identity getCallerIdentity reports. Default
	// arn:aws:iam::<Account>:user/deployer.
	CallerArn string
	// StackOutputs are the outputs of the stacks a StackReference can read,
	// by fully-qualified stack name; reading any other stack fails as the
	// engine would.
	StackOutputs map[string]map[string]any
	// AvailabilityZones the region reports. The default deliberately maps AZ
	// names to IDs out of order, as real accounts do, so code that confuses
	// names with IDs fails its tests.
	AvailabilityZones []AvailabilityZone

	mu        sync.Mutex
	resources []Resource
	failures  map[string]error
}

// New returns a harness for a four-AZ us-west-2 account.
func New() *Mocks {
	return &Mocks{
		Region:  "us-west-2",
		Account: "222222222222",
		AvailabilityZones: []AvailabilityZone{
			{Name: "us-west-2a", ID: "usw2-az2"},
			{Name: "us-west-2b", ID: "usw2-az1"},
			{Name: "us-west-2c", ID: "usw2-az3"},
			{Name: "us-west-2d", ID: "usw2-az4"},
		},
		StackOutputs: map[string]map[string]any{},
		failures:     map[string]error{},
	}
}

// FailResource makes registering a resource of type token fail with err. An
// empty name fails every resource of that type.
func (m *Mocks) FailResource(token, name string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures[token+"::"+name] = err
}

// Resources returns every recorded resource in registration order.
func (m *Mocks) Resources() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Resource(nil), m.resources...)
}

// ByType returns the recorded resources of one type token, sorted by name so
// assertions don't depend on registration order.
func (m *Mocks) ByType(token string) []Resource {
	var out []Resource
	for _, r := range m.Resources() {
		if r.Type == token {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Named returns the resource of that type and name, if it was registered.
func (m *Mocks) Named(token, name string) (Resource, bool) {
	for _, r := range m.ByType(token) {
		if r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// NewResource records the registration and answers with the inputs plus the
// computed outputs a real provider would return.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	m.resources = append(m.resources, Resource{
		Type:       args.TypeToken,
		Name:       args.Name,
		Custom:     args.Custom,
		Inputs:     args.Inputs.Copy(),
		Transforms: args.Transforms,
	})
	err := m.failures[args.TypeToken+"::"+args.Name]
	if err == nil {
		err = m.failures[args.TypeToken+"::"]
	}
	m.mu.Unlock()
	if err != nil {
		return "", nil, err
	}

	if args.TypeToken == "pulumi:pulumi:StackReference" {
		return m.stackReference(args.ID)
	}

	outputs := args.Inputs.Copy()
	id := args.Name + "-id"
	for k, v := range m.computedOutputs(args) {
		outputs[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
	}
	if v, ok := outputs["id"]; ok && v.IsString() {
		id = v.StringValue()
	}
	return id, outputs, nil
}

func (m *Mocks) computedOutputs(args pulumi.MockResourceArgs) map[string]any {
	in := args.Inputs.Mappable()
	name := args.Name
	arn := fmt.Sprintf("arn:aws:%s:%s:%s:%s", service(args.TypeToken), m.Region, m.Account, name)
	out := map[string]any{"arn": arn}
	if _, ok := in["name"]; !ok {
		out["name"] = name
	}

	switch args.TypeToken {
	case "awsx:ec2:Vpc":
		out = m.vpcOutputs(name, in)
	case "awsx:ecr:Image":
		// The digest follows the repository, not the source, so snapshots of
		// the infrastructure don't change with every edit to an app.
		out = map[string]any{"imageUri": fmt.Sprintf("%s@sha256:%s", in["repositoryUrl"], digest(fmt.Sprint(in["repositoryUrl"])))}
	case "aws:ecr/repository:Repository":
		out["repositoryUrl"] = fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", m.Account, m.Region, name)
		out["registryId"] = m.Account
	case "aws:iam/role:Role":
		out["arn"] = fmt.Sprintf("arn:aws:iam::%s:role/%s", m.Account, name)
	case "aws:ec2/securityGroup:SecurityGroup":
		out["id"] = "sg-" + digest(name)[:17]
	case "aws:ec2/vpcEndpointService:VpcEndpointService":
		svcID := "vpce-svc-" + digest(name)[:17]
		out["id"] = svcID
		out["serviceName"] = fmt.Sprintf("com.amazonaws.vpce.%s.%s", m.Region, svcID)
		out["availabilityZones"] = m.azNames()
		out["state"] = "Available"
	case "aws:lb/loadBalancer:LoadBalancer":
		out["arn"] = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/net/%s/%s", m.Region, m.Account, name, digest(name)[:16])
		out["dnsName"] = fmt.Sprintf("%s-%s.elb.%s.amazonaws.com", name, digest(name)[:8], m.Region)
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		out["id"] = "vpce-" + digest(name)[:17]
		subnets, _ := in["subnetIds"].([]any)
		enis := make([]any, 0, len(subnets))
		for _, subnet := range subnets {
			enis = append(enis, "eni-"+digest(name + fmt.Sprint(subnet))[:17])
		}
		out["networkInterfaceIds"] = enis
		out["state"] = "available"
	case "aws:apigatewayv2/api:Api":
		apiID := digest(name)[:10]
		out["id"] = apiID
		out["apiEndpoint"] = fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com", apiID, m.Region)
		out["executionArn"] = fmt.Sprintf("arn:aws:execute-api:%s:%s:%s", m.Region, m.Account, apiID)
	case "aws:lb/listener:Listener":
		out["arn"] = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:listener/%s/%s", m.Region, m.Account, name, digest(name)[:16])
	case "aws:lb/targetGroup:TargetGroup":
		out["arn"] = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", m.Region, m.Account, name, digest(name)[:16])
	}
	return out
}

// stackReference answers a StackReference read with the stack's outputs.
func (m *Mocks) stackReference(stack string) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	outputs, ok := m.StackOutputs[stack]
	m.mu.Unlock()
	if !ok {
		return "", nil, fmt.Errorf("unknown stack %q", stack)
	}
	return stack, resource.NewPropertyMapFromMap(map[string]any{
		"name":              stack,
		"outputs":           outputs,
		"secretOutputNames": []any{},
	}), nil
}

// vpcOutputs answers for the awsx VPC component: one subnet per AZ and per
// subnet type it was asked for, as awsx would create them.
func (m *Mocks) vpcOutputs(name string, in map[string]any) map[string]any {
	azs, _ := in["availabilityZoneNames"].([]any)
	ids := map[string][]any{"Private": {}, "Public": {}, "Isolated": {}}
	specs, _ := in["subnetSpecs"].([]any)
	for _, s := range specs {
		spec, _ := s.(map[string]any)
		typ, _ := spec["type"].(string)
		for _, az := range azs {
			ids[typ] = append(ids[typ], fmt.Sprintf("subnet-%s-%s-%v", name, strings.ToLower(typ), az))
		}
	}
	return map[string]any{
		"vpcId":             "vpc-" + digest(name)[:17],
		"privateSubnetIds":  ids["Private"],
		"publicSubnetIds":   ids["Public"],
		"isolatedSubnetIds": ids["Isolated"],
	}
}

// Call answers the invokes the program makes. An invoke it doesn't know is an
// error, so a new lookup can't silently get an empty answer in tests.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	var out map[string]any
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
		out = map[string]any{"id": m.Account, "accountId": m.Account, "arn": arn, "userId": "AIDAMOCK"}
	case "aws:ec2/getNetworkInterface:getNetworkInterface":
		id, _ := args.Args["id"].V.(string)
		sum := digest(id)
		out = map[string]any{"id": id, "privateIp": fmt.Sprintf("10.0.%d.%d", sum[0]%64, 10+sum[1]%200)}
	case "aws:ssm/getParameter:getParameter":
		name, _ := args.Args["name"].V.(string)
		out = map[string]any{"id": name, "name": name, "type": "String", "value": "ami-0mock" + digest(name)[:12],
			"arn": fmt.Sprintf("arn:aws:ssm:%s::parameter%s", m.Region, name)}
	case "aws:index/getPartition:getPartition":
		out = map[string]any{"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com"}
	default:
		return nil, fmt.Errorf("mocks: no answer for invoke %q; teach internal/mocks about it", args.Token)
	}
	return resource.NewPropertyMapFromMap(out), nil
}

func (m *Mocks) azNames() []any {
	names := make([]any, 0, len(m.AvailabilityZones))
	for _, az := range m.AvailabilityZones {
		names = append(names, az.Name)
	}
	return names
}

// Run runs fn as stack `stack` of the project under these mocks, with config
// given as key → value (keys without a namespace get "private-apis:"; list
// and map values are JSON, as the Pulumi CLI passes them). It returns the
// stack's exports resolved to plain Go values, and fn's error.
func (m *Mocks) Run(stack string, config map[string]string, rootDir string, fn pulumi.RunFunc) (map[string]any, error) {
	cfg := make(map[string]string, len(config))
	for k, v := range config {
		if !strings.Contains(k, ":") {
			k = Project + ":" + k
		}
		cfg[k] = v
	}

	var exports pulumi.Map
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		runErr := fn(ctx)
		exports = ctx.GetCurrentExportMap()
		return runErr
	}, pulumi.WithMocks(Project, stack, m), func(info *pulumi.RunInfo) {
		info.Config = cfg
		info.RootDirectory = rootDir
	})

	resolved := map[string]any{}
	// RunErr has returned, so every output is settled; the timeout only keeps
	// a bug from hanging the test binary.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for k, v := range exports {
		res, awaitErr := internals.UnsafeAwaitOutput(ctx, pulumi.ToOutput(v))
		if awaitErr != nil {
			return resolved, fmt.Errorf("mocks: export %q: %w", k, awaitErr)
		}
		resolved[k] = res.Value
	}
	return resolved, err
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

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
