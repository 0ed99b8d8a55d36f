package components

import (
	"fmt"
	"net/netip"
)

// SubnetLayout is where an AZ's subnets sit in the VPC's range. It depends
// on the VPC range and the AZ ID's number alone (usw2-az3 is number 3), so a
// subnet never moves when other AZs come or go, and two AZs never share a
// range.
//
// The range is cut into 16 blocks of 1/16th: AZ number N's workload subnet
// is block N-1, and block 15 is cut into 16 again for the public subnets,
// which hold only NAT gateways: public subnet N is piece N-1. In a /16 a
// workload subnet is a /20 (4,091 usable addresses) and a public one a /24;
// in a /20, the smallest range allowed, they are a /24 and a /28 (AWS's
// smallest subnet). Load balancers need a /27 or larger with 8 free
// addresses, which every workload subnet has.
type SubnetLayout struct {
	Workload, Public netip.Prefix
}

// Range limits of a Network's VPC: /16 is the largest range AWS gives a
// VPC; with /20, public subnets are /28, the smallest AWS allows.
const (
	MinVpcPrefix = 16
	MaxVpcPrefix = 20
	// MaxZoneNumber is the highest AZ ID number the layout has room for.
	MaxZoneNumber = 15
)

// NewSubnetLayout places the subnets of AZ ID zone in the VPC range vpc.
func NewSubnetLayout(vpc netip.Prefix, zone string) (SubnetLayout, error) {
	if !vpc.Addr().Is4() || vpc.Bits() < MinVpcPrefix || vpc.Bits() > MaxVpcPrefix || vpc.Masked() != vpc {
		return SubnetLayout{}, fmt.Errorf("VPC range %s must be an IPv4 /%d to /%d without host bits", vpc, MinVpcPrefix, MaxVpcPrefix)
	}
	_, number := splitAZID(zone)
	if number < 1 || number > MaxZoneNumber {
		return SubnetLayout{}, fmt.Errorf("availability zone ID %q has no number from 1 to %d (such as usw2-az3), which places its subnets", zone, MaxZoneNumber)
	}
	publicBlock := nthPrefix(vpc, 4, 15)
	return SubnetLayout{
		Workload: nthPrefix(vpc, 4, number-1),
		Public:   nthPrefix(publicBlock, 4, number-1),
	}, nil
}

// subnetLayouts places the subnets of each AZ ID in the VPC range.
func subnetLayouts(vpc netip.Prefix, zones []string) (map[string]SubnetLayout, error) {
	out := make(map[string]SubnetLayout, len(zones))
	for _, zone := range zones {
		layout, err := NewSubnetLayout(vpc, zone)
		if err != nil {
			return nil, err
		}
		out[zone] = layout
	}
	return out, nil
}

// nthPrefix is the n-th (from 0) sub-range of p that is extra bits longer.
func nthPrefix(p netip.Prefix, extra, n int) netip.Prefix {
	base := p.Addr().As4()
	v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	bits := p.Bits() + extra
	v += uint32(n) << (32 - bits)
	addr := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	return netip.PrefixFrom(addr, bits)
}
