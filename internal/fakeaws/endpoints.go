package fakeaws

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Endpoint states, as EC2 reports them.
const (
	EndpointAvailable         = "available"
	EndpointPendingAcceptance = "pendingAcceptance"
)

// createEndpoint is what EC2 returns for a new interface endpoint: an id,
// and either a state of available with one network interface per subnet,
// or, when the service holds connections for acceptance, pendingAcceptance
// with none yet.
func (m *AWS) createEndpoint(logical string, in map[string]any) map[string]any {
	id := "vpce-" + digest(logical)[:17]
	service, _ := in["serviceName"].(string)
	state, enis := m.endpointState(id, service, in)
	return map[string]any{"id": id, "state": state, "networkInterfaceIds": enis}
}

func (m *AWS) endpointState(id, service string, in map[string]any) (string, []any) {
	if m.AcceptanceRequired[service] && !m.accepted[id] {
		return EndpointPendingAcceptance, []any{}
	}
	subnets, _ := in["subnetIds"].([]any)
	enis := make([]any, 0, len(subnets))
	for _, subnet := range subnets {
		enis = append(enis, endpointInterface(id, fmt.Sprint(subnet)))
	}
	// EC2 promises no order: sorted by ID, they are not in subnet order.
	sort.Slice(enis, func(i, j int) bool { return enis[i].(string) < enis[j].(string) })
	return EndpointAvailable, enis
}

// endpointInterface is the ID of endpoint id's network interface in a subnet.
func endpointInterface(id, subnet string) string {
	return "eni-" + digest(id + subnet)[:17]
}

// lookupEndpoint answers getVpcEndpoint (ec2.LookupVpcEndpoint) by id with
// the endpoint's live state, which an accepted connection has changed even
// where the endpoint's resource still holds what it was created with.
func (m *AWS) lookupEndpoint(args resource.PropertyMap) (map[string]any, error) {
	id, _ := args["id"].V.(string)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.endpoints() {
		if r.ID != id {
			continue
		}
		in := r.Inputs.Mappable()
		service, _ := in["serviceName"].(string)
		state, enis := m.endpointState(id, service, in)
		return map[string]any{
			"id": id, "vpcId": in["vpcId"], "serviceName": service, "state": state,
			"networkInterfaceIds": enis, "subnetIds": in["subnetIds"], "vpcEndpointType": in["vpcEndpointType"],
		}, nil
	}
	return nil, fmt.Errorf("no matching EC2 VPC Endpoint found (id %q)", id)
}

// endpoints are the interface endpoints that exist: those deployed, and
// those this run created.
func (m *AWS) endpoints() []Resource {
	var out []Resource
	for _, r := range m.deployed {
		if r.Type == "aws:ec2/vpcEndpoint:VpcEndpoint" {
			out = append(out, r)
		}
	}
	return out
}

// addressIn is an address for an interface in a subnet: in the subnet's
// range when the subnet is one the program made.
func (m *AWS) addressIn(subnet, id string) string {
	sum := digest(id)
	for _, r := range m.deployed {
		if r.Type != "aws:ec2/subnet:Subnet" || r.ID != subnet {
			continue
		}
		if p, err := netip.ParsePrefix(fmt.Sprint(r.Inputs.Mappable()["cidrBlock"])); err == nil && p.Bits() <= 28 {
			// AWS keeps a subnet's first four addresses and its last.
			hosts := uint32(1)<<(32-p.Bits()) - 5
			base := p.Addr().As4()
			v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
			v += 4 + (uint32(sum[1])<<16|uint32(sum[2])<<8|uint32(sum[3]))%hosts
			return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
		}
	}
	return fmt.Sprintf("10.0.%d.%d", sum[0]%64, 10+sum[1]%200)
}

// lookupNetworkInterface answers getNetworkInterface (ec2.LookupNetworkInterface)
// for the interfaces endpoints have. The real invoke filters on the id, so
// an empty id matches every interface in the account and fails.
func (m *AWS) lookupNetworkInterface(args resource.PropertyMap) (map[string]any, error) {
	id, _ := args["id"].V.(string)
	if id == "" {
		return nil, fmt.Errorf("multiple EC2 Network Interfaces matched; use additional constraints to reduce matches to a single EC2 Network Interface")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.endpoints() {
		in := r.Inputs.Mappable()
		service, _ := in["serviceName"].(string)
		if state, _ := m.endpointState(r.ID, service, in); state != EndpointAvailable {
			continue
		}
		subnets, _ := in["subnetIds"].([]any)
		for _, subnet := range subnets {
			if endpointInterface(r.ID, fmt.Sprint(subnet)) == id {
				return map[string]any{"id": id, "subnetId": subnet, "privateIp": m.addressIn(fmt.Sprint(subnet), id)}, nil
			}
		}
	}
	return nil, fmt.Errorf("no matching EC2 Network Interface found (id %q)", id)
}
