package ec2test

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/flowhec/flowhec/enrich/inventory"
)

// Fleet builds a synthetic inventory of n interfaces in each account and
// region, for tests that need many pages. Account a (0-based) in region r
// has one VPC, 10.(16a+r).0.0/16, with a public subnet (the low half) and
// a private one (the high half). Interface i of the pair has the private
// address 10.(16a+r).128.0 + 4 + i in the private subnet; even interfaces
// are attached to an instance (i-…, tagged Name=app-i and service=svc-i%7),
// odd ones belong to Lambda (requester-managed, no attachment). IDs are
// derived from account, region and index, so that two fleets of the same
// shape agree.
func Fleet(accounts, regions []string, n int) *inventory.Inventory {
	inv := &inventory.Inventory{GeneratedBy: "ec2test.Fleet"}
	launch := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for ai, acct := range accounts {
		inv.Accounts = append(inv.Accounts, inventory.Account{AccountID: acct})
		for ri, region := range regions {
			key := acct + "/" + region
			second := byte(16*ai + ri)
			vpc := inventory.VPC{
				VPCID: "vpc-" + hexID(key, 17), AccountID: acct, Region: region,
				CIDRBlock: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, second, 0, 0}), 16),
				Tags:      map[string]string{"Name": "vpc-" + acct + "-" + region},
			}
			inv.VPCs = append(inv.VPCs, vpc)
			az, azID := region+"a", azIDOf(region)
			pub := inventory.Subnet{
				SubnetID: "subnet-" + hexID(key+"/public", 17), VPCID: vpc.VPCID, AccountID: acct, Region: region,
				AvailabilityZone: az, AvailabilityZoneID: azID,
				CIDRBlock: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, second, 0, 0}), 17),
				Public:    true, Tags: map[string]string{"Name": "public"},
			}
			priv := pub
			priv.SubnetID = "subnet-" + hexID(key+"/private", 17)
			priv.CIDRBlock = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, second, 128, 0}), 17)
			priv.Public = false
			priv.Tags = map[string]string{"Name": "private"}
			inv.Subnets = append(inv.Subnets, pub, priv)
			base := netip.AddrFrom4([4]byte{10, second, 128, 0})
			for i := range n {
				addr := addrAdd(base, 4+i)
				ni := inventory.NetworkInterface{
					NetworkInterfaceID: "eni-" + hexID(fmt.Sprintf("%s/%d", key, i), 17),
					AccountID:          acct, Region: region,
					AvailabilityZone: az, AvailabilityZoneID: azID,
					VPCID: vpc.VPCID, SubnetID: priv.SubnetID,
					InterfaceType:      "interface",
					Status:             "in-use",
					PrivateIPAddresses: []netip.Addr{addr},
					SecurityGroups:     []inventory.SecurityGroup{{GroupID: "sg-" + hexID(key, 17), GroupName: "default"}},
				}
				if i%2 == 0 {
					inst := inventory.Instance{
						InstanceID: "i-" + hexID(fmt.Sprintf("%s/i%d", key, i), 17),
						AccountID:  acct, Region: region, AvailabilityZone: az,
						VPCID: vpc.VPCID, SubnetID: priv.SubnetID,
						InstanceType: "m6i.large", State: "running",
						LaunchTime:        launch.Add(time.Duration(i) * time.Minute),
						PrivateIPAddress:  addr,
						NetworkInterfaces: []string{ni.NetworkInterfaceID},
						Tags:              map[string]string{"Name": fmt.Sprintf("app-%d", i), "service": fmt.Sprintf("svc-%d", i%7)},
					}
					ni.Description = "Primary network interface"
					ni.Attachment = &inventory.Attachment{
						InstanceID: inst.InstanceID, AttachTime: inst.LaunchTime, Status: "attached", DeleteOnTerm: true,
					}
					inv.Instances = append(inv.Instances, inst)
				} else {
					ni.InterfaceType = "lambda"
					ni.Description = fmt.Sprintf("AWS Lambda VPC ENI-fn-%d-%s", i%5, hexID(ni.NetworkInterfaceID, 8))
					ni.RequesterID = "AROA" + hexID("lambda", 17)
					ni.RequesterManaged = true
				}
				inv.NetworkInterfaces = append(inv.NetworkInterfaces, ni)
			}
		}
	}
	return inv
}

func addrAdd(a netip.Addr, n int) netip.Addr {
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// azIDOf makes up the ID of a region's first zone as AWS spells them
// ("us-east-1" → "use1-az1").
func azIDOf(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) < 2 {
		return region + "-az1"
	}
	id := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		id += p[:1]
	}
	return id + parts[len(parts)-1] + "-az1"
}
