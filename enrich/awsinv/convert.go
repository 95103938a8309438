package awsinv

import (
	"net/netip"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/flowhec/flowhec/enrich/inventory"
)

// The conversions keep what enrichment uses of EC2's answers, in the
// inventory file's shape. Addresses EC2 writes are parsed; one that does
// not parse is left out rather than failing the load.

func addr(s *string) netip.Addr {
	a, err := netip.ParseAddr(aws.ToString(s))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func prefix(s *string) netip.Prefix {
	p, err := netip.ParsePrefix(aws.ToString(s))
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

// tagMap turns EC2's tag list into a map; nil when there are no tags.
func tagMap(tags []types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func convertVPC(v *types.Vpc, region string) inventory.VPC {
	out := inventory.VPC{
		VPCID:     aws.ToString(v.VpcId),
		AccountID: aws.ToString(v.OwnerId),
		Region:    region,
		CIDRBlock: prefix(v.CidrBlock),
		Tags:      tagMap(v.Tags),
	}
	for _, a := range v.Ipv6CidrBlockAssociationSet {
		if a.Ipv6CidrBlockState == nil || a.Ipv6CidrBlockState.State == types.VpcCidrBlockStateCodeAssociated {
			if p := prefix(a.Ipv6CidrBlock); p.IsValid() {
				out.IPv6CIDRBlock = p
				break
			}
		}
	}
	return out
}

// routes tells which subnets route to an internet gateway.
type routes struct {
	explicit map[string]bool // subnet ID → its own table has a default route to an internet gateway
	main     map[string]bool // VPC ID → its main table has one
}

// publicSubnets reads the route tables: a subnet is public when the table
// it is associated with (its own, or else its VPC's main table) sends
// 0.0.0.0/0 or ::/0 to an internet gateway.
func publicSubnets(tables []types.RouteTable) routes {
	r := routes{explicit: map[string]bool{}, main: map[string]bool{}}
	for _, t := range tables {
		igw := false
		for _, rt := range t.Routes {
			dest := aws.ToString(rt.DestinationCidrBlock)
			if dest == "" {
				dest = aws.ToString(rt.DestinationIpv6CidrBlock)
			}
			if (dest == "0.0.0.0/0" || dest == "::/0") && strings.HasPrefix(aws.ToString(rt.GatewayId), "igw-") &&
				rt.State != types.RouteStateBlackhole {
				igw = true
			}
		}
		for _, a := range t.Associations {
			switch {
			case aws.ToBool(a.Main):
				r.main[aws.ToString(t.VpcId)] = igw
			case aws.ToString(a.SubnetId) != "":
				r.explicit[aws.ToString(a.SubnetId)] = igw
			}
		}
	}
	return r
}

func (r routes) public(subnetID, vpcID string) bool {
	if v, ok := r.explicit[subnetID]; ok {
		return v
	}
	return r.main[vpcID]
}

func convertSubnet(s *types.Subnet, region string, r routes) inventory.Subnet {
	out := inventory.Subnet{
		SubnetID:           aws.ToString(s.SubnetId),
		VPCID:              aws.ToString(s.VpcId),
		AccountID:          aws.ToString(s.OwnerId),
		Region:             region,
		AvailabilityZone:   aws.ToString(s.AvailabilityZone),
		AvailabilityZoneID: aws.ToString(s.AvailabilityZoneId),
		CIDRBlock:          prefix(s.CidrBlock),
		Tags:               tagMap(s.Tags),
	}
	out.Public = r.public(out.SubnetID, out.VPCID)
	for _, a := range s.Ipv6CidrBlockAssociationSet {
		if a.Ipv6CidrBlockState == nil || a.Ipv6CidrBlockState.State == types.SubnetCidrBlockStateCodeAssociated {
			if p := prefix(a.Ipv6CidrBlock); p.IsValid() {
				out.IPv6CIDRBlock = p
				break
			}
		}
	}
	return out
}

func convertENI(n *types.NetworkInterface, region string) inventory.NetworkInterface {
	out := inventory.NetworkInterface{
		NetworkInterfaceID: aws.ToString(n.NetworkInterfaceId),
		AccountID:          aws.ToString(n.OwnerId),
		Region:             region,
		AvailabilityZone:   aws.ToString(n.AvailabilityZone),
		AvailabilityZoneID: aws.ToString(n.AvailabilityZoneId),
		VPCID:              aws.ToString(n.VpcId),
		SubnetID:           aws.ToString(n.SubnetId),
		InterfaceType:      string(n.InterfaceType),
		Description:        aws.ToString(n.Description),
		RequesterID:        aws.ToString(n.RequesterId),
		RequesterManaged:   aws.ToBool(n.RequesterManaged),
		Status:             string(n.Status),
		PrivateIPAddresses: []netip.Addr{},
		SecurityGroups:     []inventory.SecurityGroup{},
		Tags:               tagMap(n.TagSet),
	}
	// The primary address first, then the others in EC2's order.
	for _, p := range n.PrivateIpAddresses {
		if a := addr(p.PrivateIpAddress); a.IsValid() && aws.ToBool(p.Primary) {
			out.PrivateIPAddresses = append(out.PrivateIPAddresses, a)
		}
	}
	for _, p := range n.PrivateIpAddresses {
		if a := addr(p.PrivateIpAddress); a.IsValid() && !aws.ToBool(p.Primary) {
			out.PrivateIPAddresses = append(out.PrivateIPAddresses, a)
		}
	}
	if len(out.PrivateIPAddresses) == 0 {
		if a := addr(n.PrivateIpAddress); a.IsValid() {
			out.PrivateIPAddresses = append(out.PrivateIPAddresses, a)
		}
	}
	for _, p := range n.Ipv6Addresses {
		if a := addr(p.Ipv6Address); a.IsValid() {
			out.IPv6Addresses = append(out.IPv6Addresses, a)
		}
	}
	if n.Association != nil {
		out.PublicIP = addr(n.Association.PublicIp)
	}
	for _, g := range n.Groups {
		out.SecurityGroups = append(out.SecurityGroups, inventory.SecurityGroup{
			GroupID: aws.ToString(g.GroupId), GroupName: aws.ToString(g.GroupName),
		})
	}
	// Interfaces of AWS services (load balancers, NAT gateways) have an
	// attachment with no instance; the schema records instances only.
	if a := n.Attachment; a != nil && aws.ToString(a.InstanceId) != "" {
		out.Attachment = &inventory.Attachment{
			InstanceID:   aws.ToString(a.InstanceId),
			DeviceIndex:  int(aws.ToInt32(a.DeviceIndex)),
			AttachTime:   aws.ToTime(a.AttachTime).UTC(),
			Status:       string(a.Status),
			DeleteOnTerm: aws.ToBool(a.DeleteOnTermination),
		}
	}
	return out
}

func convertInstance(in *types.Instance, owner, region string) inventory.Instance {
	out := inventory.Instance{
		InstanceID:        aws.ToString(in.InstanceId),
		AccountID:         owner,
		Region:            region,
		VPCID:             aws.ToString(in.VpcId),
		SubnetID:          aws.ToString(in.SubnetId),
		InstanceType:      string(in.InstanceType),
		LaunchTime:        aws.ToTime(in.LaunchTime).UTC(),
		PrivateIPAddress:  addr(in.PrivateIpAddress),
		PublicIPAddress:   addr(in.PublicIpAddress),
		NetworkInterfaces: []string{},
		Tags:              tagMap(in.Tags),
	}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	if in.Placement != nil {
		out.AvailabilityZone = aws.ToString(in.Placement.AvailabilityZone)
	}
	if in.State != nil {
		out.State = string(in.State.Name)
	}
	for _, n := range in.NetworkInterfaces {
		out.NetworkInterfaces = append(out.NetworkInterfaces, aws.ToString(n.NetworkInterfaceId))
	}
	return out
}
