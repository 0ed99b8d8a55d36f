package fakeaws

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The checks AWS makes when a resource is created, changed or deleted,
// which an update can break even when each resource on its own is valid:
// a replacement created while the resource it replaces still exists
// meets it, and a delete can take away what something else still uses.

// live are the resources that exist in AWS at this point of an update:
// what the state holds (but the one being changed, except), what
// replacements are about to delete, and what was deleted from the state
// with RetainOnDelete.
func (m *AWS) live(except string) []Resource {
	var out []Resource
	for _, key := range sortedKeys(m.deployed) {
		if key != except {
			out = append(out, m.deployed[key])
		}
	}
	out = append(out, m.pending...)
	return append(out, m.retained...)
}

// nameScopes are the input that scopes a type's names, for types whose
// names are unique within a parent rather than the account and region.
var nameScopes = map[string]string{
	"aws:iam/rolePolicy:RolePolicy":          "role",
	"aws:ec2/securityGroup:SecurityGroup":    "vpcId",
	"aws:apigatewayv2/stage:Stage":           "apiId",
	"aws:apigatewayv2/authorizer:Authorizer": "apiId",
	"aws:apigateway/stage:Stage":             "restApi",
}

// sharedNames are types whose name many resources share: a task
// definition family holds every revision, each a resource of its own.
var sharedNames = map[string]bool{"aws:ecs/taskDefinition:TaskDefinition": true}

// check is what AWS refuses before creating (create) or changing a
// resource of type token named logical, with physical name physical.
func (m *AWS) check(token, logical, physical string, in map[string]any, self string) error {
	live := m.live(self)
	if physical != "" && !sharedNames[token] {
		property, scope := nameRules[token].Property, nameScopes[token]
		for _, r := range live {
			if r.Type == token && r.Outputs[resource.PropertyKey(property)].V == physical && (scope == "" || r.Inputs.Mappable()[scope] == in[scope]) {
				return fmt.Errorf("creating %s %s: %s %q already exists (%s %s holds it); a replacement with a fixed name must delete first, or the name must change", token, logical, property, physical, r.Type, r.Name)
			}
		}
	}
	switch token {
	case "aws:ec2/subnet:Subnet":
		return checkSubnet(logical, in, live)
	case "aws:apigatewayv2/apiMapping:ApiMapping":
		// CreateApiMapping: one mapping per domain name and path.
		for _, r := range live {
			if o := r.Map(); r.Type == token && o["domainName"] == in["domainName"] && fmt.Sprint(o["apiMappingKey"]) == fmt.Sprint(in["apiMappingKey"]) {
				return fmt.Errorf("creating %s %s: ConflictException: a mapping for path %q of %v already exists (%s)", token, logical, fmt.Sprint(in["apiMappingKey"]), in["domainName"], r.Name)
			}
		}
	case "aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule":
		return checkListener(token, logical, in, live)
	case "aws:ec2/vpcEndpointService:VpcEndpointService":
		if prior, ok := m.deployed[self]; ok {
			return checkServed(logical, prior.Inputs.Mappable(), in, live, m.serving())
		}
	case "aws:ecs/service:Service", "aws:autoscaling/group:Group":
		if prior, ok := m.deployed[self]; ok {
			return checkStillServed(token, logical, prior.Inputs.Mappable(), in, live)
		}
	}
	return nil
}

// serving are the resources in the state that finished their create:
// compute waiting to be deleted, or whose create failed part-way, serves
// no one.
func (m *AWS) serving() []Resource {
	var out []Resource
	for _, key := range sortedKeys(m.deployed) {
		if r := m.deployed[key]; !r.InitErrors {
			out = append(out, r)
		}
	}
	return out
}

// checkStillServed: compute updated in place out of a target group that
// consumers still reach (a listener of a load balancer that an endpoint
// service publishes forwards to it) leaves them with nothing behind it
// until the endpoint service moves.
func checkStillServed(token, logical string, prior, in map[string]any, live []Resource) error {
	now := servedGroups(token, in)
	for _, group := range servedGroups(token, prior) {
		if slices.Contains(now, group) {
			continue
		}
		for _, l := range live {
			if l.Type != "aws:lb/listener:Listener" || !slices.Contains(forwardedGroups(l.Type, l.OutputMap()), group) {
				continue
			}
			for _, es := range live {
				published, _ := es.OutputMap()["networkLoadBalancerArns"].([]any)
				if es.Type == "aws:ec2/vpcEndpointService:VpcEndpointService" && slices.Contains(published, l.OutputMap()["loadBalancerArn"]) {
					return fmt.Errorf("updating %s %s: it leaves target group %v, which consumers still reach through %s, so their requests fail until the endpoint service moves; replace it instead", token, logical, group, es.Name)
				}
			}
		}
	}
	return nil
}

// servedGroups are the target groups an ECS service's tasks or an Auto
// Scaling group's instances are registered in.
func servedGroups(token string, in map[string]any) []any {
	if token == "aws:autoscaling/group:Group" {
		groups, _ := in["targetGroupArns"].([]any)
		return groups
	}
	var out []any
	balancers, _ := in["loadBalancers"].([]any)
	for _, b := range balancers {
		if lb, ok := b.(map[string]any); ok {
			out = append(out, lb["targetGroupArn"])
		}
	}
	return out
}

// checkServed: an endpoint service that already has consumers, moved to
// another load balancer of the program's, sends them to it at once; if it
// has no listener yet, or no compute that finished its create is
// registered in its target groups, every request is dropped until one is.
// (AWS takes the update; the mocks refuse it, since traffic would stop.)
// Load balancers the program didn't make (an nlb-provider's) aren't known
// here and aren't checked.
func checkServed(logical string, prior, in map[string]any, live, serving []Resource) error {
	before, _ := prior["networkLoadBalancerArns"].([]any)
	after, _ := in["networkLoadBalancerArns"].([]any)
	for _, nlb := range after {
		if slices.Contains(before, nlb) || !made(nlb, live) {
			continue
		}
		listeners := 0
		for _, l := range live {
			if l.Type != "aws:lb/listener:Listener" || l.OutputMap()["loadBalancerArn"] != nlb {
				continue
			}
			listeners++
			for _, group := range forwardedGroups(l.Type, l.OutputMap()) {
				if !served(group, serving) {
					return fmt.Errorf("updating %s: it would send consumers to load balancer %v at once, and no compute serves its target group %v yet, so requests would be dropped; point it at the load balancer once the targets serve", logical, nlb, group)
				}
			}
		}
		if listeners == 0 {
			return fmt.Errorf("updating %s: it would send consumers to load balancer %v, which has no listener yet, so requests would be dropped", logical, nlb)
		}
	}
	return nil
}

// made reports whether a load balancer is one the program made.
func made(arn any, live []Resource) bool {
	for _, r := range live {
		if r.Type == "aws:lb/loadBalancer:LoadBalancer" && r.Outputs["arn"].V == arn {
			return true
		}
	}
	return false
}

// served reports whether an ECS service or an Auto Scaling group registers
// its tasks or instances in a target group.
func served(group any, resources []Resource) bool {
	for _, r := range resources {
		if (r.Type == "aws:autoscaling/group:Group" || r.Type == "aws:ecs/service:Service") && slices.Contains(servedGroups(r.Type, r.OutputMap()), group) {
			return true
		}
	}
	return false
}

// awaitReady is what a provider waits for after a create or an update:
// an Auto Scaling group's capacity.
func (m *AWS) awaitReady(token, logical, physical string, in map[string]any, create bool) error {
	if token == "aws:autoscaling/group:Group" {
		return m.checkCapacity(logical, physical, in, m.live(""), create)
	}
	return nil
}

// checkSubnet: a subnet's range must lie in its VPC's and overlap no other
// subnet's there (EC2's InvalidSubnet.Range and InvalidSubnet.Conflict).
func checkSubnet(logical string, in map[string]any, live []Resource) error {
	cidr, err := netip.ParsePrefix(fmt.Sprint(in["cidrBlock"]))
	if err != nil {
		return fmt.Errorf("creating EC2 Subnet %s: InvalidParameterValue: cidrBlock %v: %w", logical, in["cidrBlock"], err)
	}
	for _, r := range live {
		out := r.OutputMap()
		switch {
		case r.Type == "aws:ec2/vpc:Vpc" && r.ID == in["vpcId"]:
			vpc, err := netip.ParsePrefix(fmt.Sprint(out["cidrBlock"]))
			if err == nil && (vpc.Bits() > cidr.Bits() || !vpc.Contains(cidr.Addr())) {
				return fmt.Errorf("creating EC2 Subnet %s: InvalidSubnet.Range: The CIDR '%s' is invalid for VPC %s (%s)", logical, cidr, r.ID, vpc)
			}
		case r.Type == "aws:ec2/subnet:Subnet" && out["vpcId"] == in["vpcId"]:
			other, err := netip.ParsePrefix(fmt.Sprint(out["cidrBlock"]))
			if err == nil && other.Overlaps(cidr) {
				return fmt.Errorf("creating EC2 Subnet %s: InvalidSubnet.Conflict: The CIDR '%s' conflicts with another subnet (%s, %s)", logical, cidr, r.Name, other)
			}
		}
	}
	return nil
}

// checkListener: one listener a port on a load balancer (DuplicateListener),
// and a target group forwarded to from one load balancer only
// (TargetGroupAssociationLimit).
func checkListener(token, logical string, in map[string]any, live []Resource) error {
	lb := loadBalancerOf(token, in, live)
	for _, r := range live {
		if r.Type != "aws:lb/listener:Listener" && r.Type != "aws:lb/listenerRule:ListenerRule" {
			continue
		}
		out := r.OutputMap()
		otherLB := loadBalancerOf(r.Type, out, live)
		if token == "aws:lb/listener:Listener" && r.Type == token && otherLB == lb && out["port"] == in["port"] {
			return fmt.Errorf("creating ELBv2 Listener %s: DuplicateListener: A listener already exists on port %v of %v (%s)", logical, in["port"], lb, r.Name)
		}
		if otherLB == lb || otherLB == "" {
			continue
		}
		for _, group := range forwardedGroups(token, in) {
			if slices.Contains(forwardedGroups(r.Type, out), group) {
				return fmt.Errorf("creating ELBv2 %s %s: TargetGroupAssociationLimit: The following target groups cannot be associated with more than one load balancer: %s (%s forwards to it from %v)", token, logical, group, r.Name, otherLB)
			}
		}
	}
	return nil
}

// loadBalancerOf is the load balancer a listener or listener rule is on.
func loadBalancerOf(token string, in map[string]any, live []Resource) any {
	if token == "aws:lb/listener:Listener" {
		return in["loadBalancerArn"]
	}
	for _, r := range live {
		if r.Type == "aws:lb/listener:Listener" && r.Outputs["arn"].V == in["listenerArn"] {
			return r.OutputMap()["loadBalancerArn"]
		}
	}
	return ""
}

// forwardedGroups are the target groups a listener's default actions or a
// rule's actions forward to.
func forwardedGroups(token string, in map[string]any) []any {
	key := "actions"
	if token == "aws:lb/listener:Listener" {
		key = "defaultActions"
	}
	var out []any
	actions, _ := in[key].([]any)
	for _, a := range actions {
		action, _ := a.(map[string]any)
		if arn, ok := action["targetGroupArn"]; ok {
			out = append(out, arn)
		}
		forward, _ := action["forward"].(map[string]any)
		groups, _ := forward["targetGroups"].([]any)
		for _, g := range groups {
			if group, ok := g.(map[string]any); ok {
				out = append(out, group["arn"])
			}
		}
	}
	return out
}

// checkCapacity: an Auto Scaling group with minElbCapacity waits, when it
// is created, until that many of its instances pass the load balancer's
// health checks, and fails after waitForCapacityTimeout when they never
// do; waitForElbCapacity waits on updates too. Without either nothing
// waits, and the update succeeds whatever the instances do.
func (m *AWS) checkCapacity(logical, physical string, in map[string]any, live []Resource, create bool) error {
	want, _ := in["waitForElbCapacity"].(float64)
	if minimum, _ := in["minElbCapacity"].(float64); create && want == 0 {
		want = minimum
	}
	if want == 0 || m.Unhealthy == nil {
		return nil
	}
	template, _ := in["launchTemplate"].(map[string]any)
	for _, r := range live {
		if r.Type != "aws:ec2/launchTemplate:LaunchTemplate" || r.ID != template["id"] {
			continue
		}
		lt := r.Inputs.Mappable()
		if data, ok := lt["userData"].(string); ok {
			if decoded, err := base64.StdEncoding.DecodeString(data); err == nil {
				lt["userData"] = string(decoded)
			}
		}
		if m.Unhealthy(lt) {
			timeout := in["waitForCapacityTimeout"]
			if timeout == nil {
				timeout = "10m"
			}
			return fmt.Errorf("creating Auto Scaling Group %s (%s): waiting for capacity: timeout while waiting for state to become 'ok' (last state: 'want at least %d healthy instance(s) registered to Load Balancer, have 0', timeout: %v)", logical, physical, int(want), timeout)
		}
	}
	return nil
}

// destroy deletes a resource, as the provider's Delete would, or drops it
// from the state with RetainOnDelete.
func (m *AWS) destroy(r Resource) error {
	if r.RetainOnDelete {
		m.retained = append(m.retained, r)
		return nil
	}
	if r.Type == "aws:apigateway/deployment:Deployment" {
		// DeleteDeployment: "Active stages pointing to this deployment
		// must be moved or deleted" (BadRequestException).
		for _, stage := range m.deployed {
			if stage.Type == "aws:apigateway/stage:Stage" && stage.Map()["deployment"] == r.ID && m.declared(stage) {
				return fmt.Errorf("deleting %s %s: BadRequestException: Active stages pointing to this deployment must be moved or deleted (%s)", r.Type, r.Name, stage.Name)
			}
		}
	}
	if r.Type == "aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter" {
		// The provider's Delete rejects the connection.
		endpoint := fmt.Sprint(r.Inputs.Mappable()["vpcEndpointId"])
		m.rejected = append(m.rejected, endpoint)
		delete(m.accepted, endpoint)
		if m.EndpointsInUse[endpoint] {
			return fmt.Errorf("deleting %s %s rejected the connection of endpoint %s (RejectVpcEndpointConnections), which still carries traffic", r.Type, r.Name, endpoint)
		}
	}
	return nil
}

// Rejected are the endpoints whose connections deleting an accepter
// rejected, in order.
func (m *AWS) Rejected() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.rejected...)
}

// Existing returns the resources of one type that exist in AWS after the
// runs so far: those in the state, those a replacement has yet to delete
// (its update failed), and those retained on delete.
func (m *AWS) Existing(token string) []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Resource
	for _, r := range m.live("") {
		if r.Type == token {
			out = append(out, r)
		}
	}
	return out
}

// State returns what the engine's state holds of one type after the runs
// so far, sorted by name: the resources that exist and are managed.
func (m *AWS) State(token string) []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Resource
	for _, key := range sortedKeys(m.deployed) {
		if r := m.deployed[key]; r.Type == token {
			out = append(out, r)
		}
	}
	return out
}

// declared reports whether the update being applied declares r.
func (m *AWS) declared(r Resource) bool {
	for _, d := range m.resources {
		if d.Type == r.Type && d.Name == r.Name {
			return true
		}
	}
	return false
}
