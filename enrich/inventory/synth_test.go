package inventory_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/flowhec/flowhec/enrich/inventory"
)

// synthAttach is the attachment time of every synthetic instance interface.
var synthAttach = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// synthInventory is an inventory of n interfaces in one account: nine in
// ten are instances' (one instance each, every fourth with a second
// private address), one in ten belong to AWS services; every third has an
// IPv6 address and every fifth a public one. Interface i holds
// synthAddr(i) as its primary address.
func synthInventory(n int) *inventory.Inventory {
	const acct, region = "123456789012", "us-east-1"
	inv := &inventory.Inventory{
		GeneratedBy:       "synthetic",
		Accounts:          []inventory.Account{{AccountID: acct}},
		NetworkInterfaces: make([]inventory.NetworkInterface, 0, n),
		Instances:         make([]inventory.Instance, 0, n),
	}
	services := []string{"web", "api", "metrics", "db", "cache", "batch", "auth"}
	for i := range n {
		ni := inventory.NetworkInterface{
			NetworkInterfaceID: fmt.Sprintf("eni-%017x", i),
			AccountID:          acct,
			Region:             region,
			AvailabilityZone:   region + string(rune('a'+i%3)),
			VPCID:              fmt.Sprintf("vpc-%017x", i%8),
			SubnetID:           fmt.Sprintf("subnet-%017x", i%64),
			InterfaceType:      "interface",
			Description:        "Primary network interface",
			Status:             "in-use",
			PrivateIPAddresses: []netip.Addr{synthAddr(i)},
			SecurityGroups: []inventory.SecurityGroup{
				{GroupID: fmt.Sprintf("sg-%017x", i%97), GroupName: "app"},
				{GroupID: fmt.Sprintf("sg-%017x", 1000+i%13), GroupName: "ssh"},
			},
		}
		if i%4 == 0 {
			ni.PrivateIPAddresses = append(ni.PrivateIPAddresses, synthAddr(i).Next())
		}
		if i%3 == 0 {
			ni.IPv6Addresses = []netip.Addr{synthAddr6(i)}
		}
		if i%5 == 0 {
			ni.PublicIP = synthPublic(i)
		}
		if i%10 == 9 {
			ni.RequesterManaged = true
			switch i % 30 {
			case 9:
				ni.Description = fmt.Sprintf("ELB app/lb-%d/%016x", i%50, i)
				ni.RequesterID = "amazon-elb"
			case 19:
				ni.InterfaceType = "lambda"
				ni.Description = fmt.Sprintf("AWS Lambda VPC ENI-fn-%d-2b7c4d1e-9f0a-4b3c-8d2e-%012x", i%40, i)
			default:
				ni.InterfaceType = "vpc_endpoint"
				ni.Description = fmt.Sprintf("VPC Endpoint Interface vpce-%017x", i)
			}
			ni.Tags = map[string]string{"service": services[i%len(services)]}
		} else {
			id := fmt.Sprintf("i-%017x", i)
			ni.Attachment = &inventory.Attachment{InstanceID: id, AttachTime: synthAttach, Status: "attached", DeleteOnTerm: true}
			inv.Instances = append(inv.Instances, inventory.Instance{
				InstanceID: id, AccountID: acct, Region: region,
				AvailabilityZone: ni.AvailabilityZone, VPCID: ni.VPCID, SubnetID: ni.SubnetID,
				InstanceType: "m6i.large", State: "running", LaunchTime: synthAttach,
				PrivateIPAddress:  ni.PrivateIPAddresses[0],
				NetworkInterfaces: []string{ni.NetworkInterfaceID},
				Tags:              map[string]string{"Name": fmt.Sprintf("host-%d", i), "service": services[i%len(services)]},
			})
		}
		inv.NetworkInterfaces = append(inv.NetworkInterfaces, ni)
	}
	return inv
}

// synthAddr is interface i's primary address, in 10.0.0.0/8, two apart.
func synthAddr(i int) netip.Addr {
	v := 0x0a000000 + 2*uint32(i) + 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func synthAddr6(i int) netip.Addr {
	b := netip.MustParseAddr("2600:1f18:4000::").As16()
	b[12], b[13], b[14], b[15] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
	return netip.AddrFrom16(b)
}

func synthPublic(i int) netip.Addr {
	v := 0x03000000 + uint32(i)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
