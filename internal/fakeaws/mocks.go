// Package fakeaws fakes AWS and the Pulumi engine: the one Pulumi mocks
// harness every infrastructure test uses, modelled on what a real sequence
// of deployments meets rather than on one run with every value known. It
// also holds the helpers the root module's tests share (SyncBuffer).
//
// It records each resource's type, name, inputs and transforms; answers the
// AWS invokes and reads the program makes (from the account's existing load
// balancers, endpoint services, hosted zones and certificates, which a test
// sets up); returns the outputs of awsx remote
// components (which mocks never expand into children); injects stack config;
// and can make a chosen resource fail. On top of that it models the
// lifecycle:
//
//   - preview: with Preview set, the run is a dry run of a stack that does
//     not exist yet, so every value AWS computes (ids, ARNs, endpoint
//     interfaces and states, image URIs, awsx outputs) is unknown;
//   - names: the physical name of each resource, explicit or as Pulumi's
//     autonaming makes it, is checked against AWS's length and character
//     rules, failing the run as Pulumi or AWS would;
//   - endpoint states: an endpoint to a service that holds connections for
//     acceptance is pendingAcceptance with no network interfaces until
//     AcceptEndpoint, and the getVpcEndpoint and getNetworkInterface invokes
//     answer as the real ones do (an empty interface id is an error);
//   - runs in sequence: an AWS keeps what each update deployed, so running
//     it again is the next `pulumi up` of the same stack: a resource whose
//     inputs did not change keeps the outputs it had (nothing is refreshed),
//     an immutable ECR repository refuses a tag pushed again with other
//     content, and Changes reports what the last run added, removed,
//     updated in place or replaced;
//   - replacements (replace.go, replace_rules.go): an input that AWS can't
//     change in place, by the Terraform provider's rules, replaces the
//     resource: the new one is created first, under a fresh autoname and
//     ids, and the old one deleted at the end of a successful update
//     (first, with deleteBeforeReplace; never, with retainOnDelete);
//   - what a create, change or delete can break (lifecycle.go), failing the
//     run as AWS would: subnets that overlap in a VPC, a name held twice, a
//     target group forwarded to from two load balancers, two listeners on
//     one port, an accepter's delete rejecting a connection still in use
//     (EndpointsInUse), an endpoint service moved to a load balancer no
//     compute serves behind, and an Auto Scaling group whose instances never
//     pass their health checks (Unhealthy), which stays in the state with
//     init errors as the engine keeps it.
//
// Tests assert on what it recorded after RunErr has returned, on the test
// goroutine, so no assertion ever runs inside an ApplyT.
package fakeaws

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
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// Project is the Pulumi project name every mocked run uses.
const Project = "private-apis"

// Unknown stands for a value a preview cannot know yet, in recorded inputs
// (Resource.Map) and in resolved exports.
const Unknown = "<unknown>"

// AvailabilityZone pairs an account-specific AZ name with its global AZ ID.
type AvailabilityZone struct {
	Name string
	ID   string
}

// Resource is one registered resource as the program declared it, and what
// the mock answered.
type Resource struct {
	Type   string
	Name   string
	Custom bool
	// Read is a resource that exists already and is only read (a
	// GetXxx(ctx, name, id) call): nothing is created.
	Read       bool
	Inputs     resource.PropertyMap
	Transforms []pulumi.ResourceTransform
	// ReplaceOnChanges, DeleteBeforeReplace and RetainOnDelete are the
	// resource options the engine's replacements and deletes follow.
	ReplaceOnChanges    []string
	DeleteBeforeReplace bool
	RetainOnDelete      bool
	// InitErrors: the resource was created, but its create failed
	// part-way (an Auto Scaling group whose instances never turned
	// healthy), as the engine's state records it.
	InitErrors bool
	// ID and Outputs are the mock's answer: what AWS (or the engine's state)
	// gave the program. Both are empty in a preview or when it failed.
	ID      string
	Outputs resource.PropertyMap
}

// Map returns the inputs as plain Go values (strings, float64, bool, []any,
// map[string]any), which is what assertions want to compare against. A value
// unknown in a preview is the string Unknown.
func (r Resource) Map() map[string]any { return plain(r.Inputs) }

// OutputMap returns the mock's outputs as plain Go values.
func (r Resource) OutputMap() map[string]any { return plain(r.Outputs) }

func plain(props resource.PropertyMap) map[string]any {
	return resource.NewObjectProperty(props).MapRepl(nil, func(v resource.PropertyValue) (any, bool) {
		if v.IsComputed() || (v.IsOutput() && !v.OutputValue().Known) {
			return Unknown, true
		}
		return nil, false
	}).(map[string]any)
}

// Mocks implements pulumi.MockResourceMonitor. Its exported fields may be set
// before a run to shape the simulated account.
type AWS struct {
	// Region the simulated AWS provider is in. Default us-west-2.
	Region string
	// Account is the simulated caller's account ID. Default 222222222222.
	Account string
	// CallerArn is the identity getCallerIdentity reports. Default
	// arn:aws:iam::<Account>:user/deployer.
	CallerArn string
	// StackOutputs are the outputs of the stacks a StackReference can read,
	// by fully-qualified stack name; reading any other stack fails as the
	// engine would. A StackReference reads deployed state, so it answers in
	// a preview too.
	StackOutputs map[string]map[string]any
	// AvailabilityZones the region reports. The default deliberately maps AZ
	// names to IDs out of order, as real accounts do, so code that confuses
	// names with IDs fails its tests.
	AvailabilityZones []AvailabilityZone
	// Preview makes the next run `pulumi preview` of a stack with nothing
	// deployed: RunInfo.DryRun, and nothing AWS computes is known.
	Preview bool
	// AcceptanceRequired holds the endpoint service names whose service
	// holds new connections until the provider accepts them.
	AcceptanceRequired map[string]bool
	// LoadBalancers and EndpointServices exist before the program runs,
	// by ARN and by ID.
	LoadBalancers    map[string]LoadBalancer
	EndpointServices map[string]EndpointService
	// HostedZones and Certificates exist in the account before the program
	// runs, by zone ID and by ARN.
	HostedZones  map[string]HostedZone
	Certificates map[string]Certificate
	// EndpointsInUse are interface endpoints (of another account, as a
	// consumer's) that still carry traffic: rejecting one's connection,
	// as deleting its accepter does, fails the run, since traffic would stop.
	EndpointsInUse map[string]bool
	// Unhealthy reports whether instances launched from a launch template
	// with these inputs never pass their load balancer's health checks (a
	// broken release). Nil: every instance turns healthy.
	Unhealthy func(launchTemplate map[string]any) bool
	// Parameters are SSM parameter values by name; a parameter not here
	// reads as a value derived from its name.
	Parameters map[string]string

	mu        sync.Mutex
	resources []Resource
	previous  []Resource
	failures  map[string]error
	// deployed is the engine's state: what the updates so far left, by
	// type and name.
	deployed map[string]Resource
	accepted map[string]bool
	// pending are resources that replacements replaced, deleted at the end
	// of a successful update; retained were deleted from the state with
	// RetainOnDelete, so they still exist in AWS.
	pending, retained []Resource
	// generation counts each resource's replacements, which give it a
	// fresh autoname.
	generation map[string]int
	rejected   []string
	// revisions counts each task definition family's revisions.
	revisions map[string]int
	// pushed are the image tags in each ECR repository, by repository URL,
	// and the build each points to.
	pushed map[string]map[string]string
	// snapshots are what each REST API deployment holds, by its ID: the
	// API as it was when the deployment was made (see deployments.go).
	snapshots map[string]string
}

// New returns a harness for a four-AZ us-west-2 account.
func New() *AWS {
	return &AWS{
		Region:  "us-west-2",
		Account: "222222222222",
		AvailabilityZones: []AvailabilityZone{
			{Name: "us-west-2a", ID: "usw2-az2"},
			{Name: "us-west-2b", ID: "usw2-az1"},
			{Name: "us-west-2c", ID: "usw2-az3"},
			{Name: "us-west-2d", ID: "usw2-az4"},
		},
		StackOutputs:       map[string]map[string]any{},
		AcceptanceRequired: map[string]bool{},
		LoadBalancers:      map[string]LoadBalancer{},
		EndpointServices:   map[string]EndpointService{},
		HostedZones:        map[string]HostedZone{},
		Certificates:       map[string]Certificate{},
		failures:           map[string]error{},
		deployed:           map[string]Resource{},
		accepted:           map[string]bool{},
		generation:         map[string]int{},
		revisions:          map[string]int{},
		EndpointsInUse:     map[string]bool{},
		Parameters:         map[string]string{},
		pushed:             map[string]map[string]string{},
		snapshots:          map[string]string{},
	}
}

// FailResource makes registering a resource of type token fail with err. An
// empty name fails every resource of that type.
func (m *AWS) FailResource(token, name string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures[token+"::"+name] = err
}

// AcceptEndpoint is the provider accepting an endpoint's connection: from
// now on the endpoint is available, with its network interfaces, to the
// getVpcEndpoint invoke (its resource keeps the outputs it was created with
// until an update changes it, as without a refresh).
func (m *AWS) AcceptEndpoint(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.accepted[id] = true
}

// Resources returns every resource the last run registered, in
// registration order.
func (m *AWS) Resources() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Resource(nil), m.resources...)
}

// ByType returns the recorded resources of one type token, sorted by name so
// assertions don't depend on registration order.
func (m *AWS) ByType(token string) []Resource {
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
func (m *AWS) Named(token, name string) (Resource, bool) {
	for _, r := range m.ByType(token) {
		if r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// NewResource records the registration and answers as AWS and the engine
// would at this point of the stack's life.
func (m *AWS) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	inputs, unknown := registeredInputs(args)
	m.mu.Lock()
	defer m.mu.Unlock()
	r := Resource{
		Type:       args.TypeToken,
		Name:       args.Name,
		Custom:     args.Custom,
		Read:       args.ReadRPC != nil,
		Inputs:     inputs,
		Transforms: args.Transforms,
	}
	if rpc := args.RegisterRPC; rpc != nil {
		r.ReplaceOnChanges = rpc.GetReplaceOnChanges()
		r.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		r.RetainOnDelete = rpc.GetRetainOnDelete()
	}
	m.resources = append(m.resources, r)
	index := len(m.resources) - 1
	err := m.failures[args.TypeToken+"::"+args.Name]
	if err == nil {
		err = m.failures[args.TypeToken+"::"]
	}
	if err != nil {
		return "", nil, err
	}

	var id string
	var outputs resource.PropertyMap
	switch {
	case args.TypeToken == "pulumi:pulumi:StackReference":
		id, outputs, err = m.stackReference(args.ID)
	case args.ReadRPC != nil && args.TypeToken == "aws:ec2/vpcEndpointService:VpcEndpointService":
		id = args.ID
		outputs, err = m.readEndpointService(args.ID)
	case args.ReadRPC != nil && args.TypeToken == "aws:acm/certificate:Certificate":
		id = args.ID
		outputs, err = m.readCertificate(args.ID)
	case args.ReadRPC != nil:
		err = fmt.Errorf("fakeaws: reading an existing %s is not modelled; teach internal/fakeaws about it", args.TypeToken)
	default:
		id, outputs, err = m.answer(args, m.resources[index], unknown)
	}
	if err != nil {
		return "", nil, err
	}
	m.resources[index].ID, m.resources[index].Outputs = id, outputs
	return id, outputs, nil
}

// registeredInputs reads the inputs as the program sent them, unknowns
// included (the args' own copy drops them), and names the top-level keys
// that are unknown.
func registeredInputs(args pulumi.MockResourceArgs) (resource.PropertyMap, map[string]bool) {
	inputs := args.Inputs.Copy()
	if args.RegisterRPC != nil {
		if raw, err := plugin.UnmarshalProperties(args.RegisterRPC.GetObject(), plugin.MarshalOptions{
			KeepUnknowns: true, KeepSecrets: true, KeepResources: true,
		}); err == nil {
			inputs = raw
		}
	}
	unknown := map[string]bool{}
	for k, v := range inputs {
		if v.ContainsUnknowns() {
			unknown[string(k)] = true
		}
	}
	return inputs, unknown
}

// answer is the provider's answer: in a preview the inputs and the
// autoname only; on an update the engine's state when nothing changed, or
// what AWS returns for a create, an update in place or a replacement, after
// the checks AWS makes (see lifecycle.go).
func (m *AWS) answer(args pulumi.MockResourceArgs, declared Resource, unknown map[string]bool) (string, resource.PropertyMap, error) {
	in := args.Inputs.Mappable()
	u, err := m.updateOf(args, declared)
	if err != nil {
		return "", nil, err
	}
	name, named, err := physicalName(args.TypeToken, args.Name, in, unknown, u.generation)
	if err != nil {
		return "", nil, err
	}
	u.name = name
	if err := checkFields(args.TypeToken, args.Name, in); err != nil {
		return "", nil, err
	}
	outputs := args.Inputs.Copy()
	if named {
		outputs[resource.PropertyKey(nameRules[args.TypeToken].Property)] = resource.NewProperty(name)
	}
	if m.Preview {
		// Whatever AWS computes is left out, which a dry run reads as unknown.
		return "", outputs, nil
	}

	if u.existed && !u.replacing && !u.prior.InitErrors && sameInputs(args.TypeToken, u.prior.Inputs, args.Inputs) && args.TypeToken != "awsx:ecr:Image" {
		return u.prior.ID, u.prior.Outputs, nil
	}
	return m.apply(args, declared, in, u, outputs)
}

// update is one registration measured against the engine's state.
type update struct {
	key       string
	prior     Resource
	existed   bool
	replacing bool
	// generation counts the resource's replacements, this one included.
	generation int
	name       string // physical
}

func (m *AWS) updateOf(args pulumi.MockResourceArgs, declared Resource) (update, error) {
	u := update{key: args.TypeToken + "::" + args.Name}
	u.prior, u.existed = m.deployed[u.key]
	var forced []string
	if u.existed {
		var err error
		if forced, err = replacement(u.prior, declared); err != nil {
			return update{}, err
		}
	} else if _, err := forcedKeys(args.TypeToken, nil, nil, nil); err != nil {
		return update{}, err
	}
	u.replacing = len(forced) > 0
	u.generation = m.generation[u.key]
	if u.replacing {
		// A replacement gets a fresh autoname, as the engine checks the
		// inputs again without the old ones.
		u.generation++
	}
	return u, nil
}

// apply makes the change in AWS and the engine's state: a create, a
// replacement, an update in place, or, for a resource whose create failed
// part-way, an update that "continues" it (the engine's word), with no
// change.
func (m *AWS) apply(args pulumi.MockResourceArgs, declared Resource, in map[string]any, u update, outputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	if u.replacing && declared.DeleteBeforeReplace {
		if err := m.destroy(u.prior); err != nil {
			return "", nil, err
		}
		delete(m.deployed, u.key)
	}
	self := u.key
	if u.replacing {
		self = "" // the new resource is not the old one, which may still exist
	}
	if err := m.check(args.TypeToken, args.Name, u.name, in, self); err != nil {
		return "", nil, err
	}
	// A replacement is another resource in AWS, with ids of its own.
	seed := args.Name
	if u.generation > 0 {
		seed = fmt.Sprintf("%s#%d", args.Name, u.generation)
	}
	computed, err := m.computedOutputs(args.TypeToken, seed, u.name, in, u.prior, u.existed && !u.replacing)
	if err != nil {
		return "", nil, err
	}
	for k, v := range computed {
		outputs[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
	}
	id := seed + "-id"
	if v, ok := outputs["id"]; ok && v.IsString() {
		id = v.StringValue()
	}
	if args.TypeToken == deploymentType && (!u.existed || u.replacing) {
		m.snapshots[id] = m.restAPISnapshot(in["restApi"])
	}
	if u.replacing && !declared.DeleteBeforeReplace {
		// The old one goes at the end of a successful update.
		m.pending = append(m.pending, u.prior)
	}
	m.generation[u.key] = u.generation
	deployed := declared
	deployed.Inputs, deployed.ID, deployed.Outputs = args.Inputs.Copy(), id, outputs
	m.deployed[u.key] = deployed
	// What the provider waits for once the resource exists: failing, the
	// resource stays in the state with its init errors.
	if err := m.awaitReady(args.TypeToken, args.Name, u.name, in, !u.existed || u.replacing); err != nil {
		deployed.InitErrors = true
		m.deployed[u.key] = deployed
		return "", nil, err
	}
	return id, outputs, nil
}

// stackReference answers a StackReference read with the stack's outputs.
func (m *AWS) stackReference(stack string) (string, resource.PropertyMap, error) {
	outputs, ok := m.StackOutputs[stack]
	if !ok {
		return "", nil, fmt.Errorf("unknown stack %q", stack)
	}
	return stack, resource.NewPropertyMapFromMap(map[string]any{
		"name":              stack,
		"outputs":           outputs,
		"secretOutputNames": []any{},
	}), nil
}

// Run runs fn as stack `stack` of the project under these mocks, with config
// given as key → value (keys without a namespace get "private-apis:"; list
// and map values are JSON, as the Pulumi CLI passes them) laid over the
// defaults Pulumi.yaml in rootDir declares, as the CLI lays a stack's config
// over them. It returns the
// stack's exports resolved to plain Go values (Unknown where a preview can't
// know them), and fn's error.
//
// Each Run is the next deployment of the same stack: after a successful
// update, resources the run no longer declares are deleted from the state.
func (m *AWS) Run(stack string, config map[string]string, rootDir string, fn pulumi.RunFunc) (map[string]any, error) {
	cfg, err := ProjectDefaults(rootDir)
	if err != nil {
		return nil, err
	}
	for k, v := range config {
		if !strings.Contains(k, ":") {
			k = Project + ":" + k
		}
		cfg[k] = v
	}
	m.mu.Lock()
	if len(m.resources) > 0 {
		m.previous = m.resources
	}
	m.resources = nil
	preview := m.Preview
	m.mu.Unlock()

	var exports pulumi.Map
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		runErr := fn(ctx)
		exports = ctx.GetCurrentExportMap()
		return runErr
	}, pulumi.WithMocks(Project, stack, m), func(info *pulumi.RunInfo) {
		info.Config = cfg
		info.RootDirectory = rootDir
		info.DryRun = preview
	})

	if err == nil && !preview {
		err = m.deleteUndeclared()
	}
	if err == nil && !preview {
		err = m.checkDeployments()
	}

	resolved := map[string]any{}
	// RunErr has returned, so every output is settled; the timeout only keeps
	// a bug from hanging the test binary.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for k, v := range exports {
		res, awaitErr := internals.UnsafeAwaitOutput(ctx, pulumi.ToOutput(v))
		if awaitErr != nil {
			return resolved, fmt.Errorf("fakeaws: export %q: %w", k, awaitErr)
		}
		resolved[k] = res.Value
		if !res.Known {
			resolved[k] = Unknown
		}
	}
	return resolved, err
}

// deleteUndeclared deletes what the last update no longer declared, and
// the resources its replacements replaced, as the engine does at the end
// of a successful update.
func (m *AWS) deleteUndeclared() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	declared := map[string]bool{}
	for _, r := range m.resources {
		declared[r.Type+"::"+r.Name] = true
	}
	pending := m.pending
	m.pending = nil
	for i, r := range pending {
		if err := m.destroy(r); err != nil {
			m.pending = append(m.pending, pending[i:]...)
			return err
		}
	}
	for _, key := range sortedKeys(m.deployed) {
		if declared[key] {
			continue
		}
		if err := m.destroy(m.deployed[key]); err != nil {
			return err
		}
		delete(m.deployed, key)
	}
	return nil
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
