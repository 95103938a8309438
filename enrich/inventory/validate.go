package inventory

import (
	"errors"
	"fmt"
	"net/netip"
)

// maxProblems is how many problems Validate lists before it only counts
// them: a broken export of 100,000 interfaces must not make an error of
// megabytes.
const maxProblems = 20

// Validate reports what makes the inventory unusable for enrichment, each
// problem naming the entry (its list, position and ID): a missing or
// repeated interface or instance ID, an account ID that is not 12 digits,
// an address that is not valid or not of its list's family, and an address
// held by two interfaces — enrichment names one owner per address, so two
// VPCs with overlapping CIDRs cannot share one inventory.
//
// An interface attached to an instance the inventory does not list is
// not a problem: a live export can see an instance end between two calls;
// its owner then has no instance name.
func (inv *Inventory) Validate() error {
	if inv == nil {
		return errors.New("inventory: none")
	}
	var v problems
	account := func(where, id string) {
		if id != "" && !isAccountID(id) {
			v.addf("%s: account_id %q is not a 12-digit AWS account ID", where, id)
		}
	}
	for i, a := range inv.Accounts {
		where := fmt.Sprintf("accounts[%d]", i)
		if a.AccountID == "" {
			v.addf("%s: no account_id", where)
		}
		account(where, a.AccountID)
	}
	for i, x := range inv.VPCs {
		account(fmt.Sprintf("vpcs[%d] %s", i, x.VPCID), x.AccountID)
	}
	for i, x := range inv.Subnets {
		account(fmt.Sprintf("subnets[%d] %s", i, x.SubnetID), x.AccountID)
	}

	instances := make(map[string]int, len(inv.Instances))
	for i, in := range inv.Instances {
		where := func() string { return fmt.Sprintf("instances[%d] %s", i, in.InstanceID) }
		if in.InstanceID == "" {
			v.addf("instances[%d]: no instance_id", i)
		} else if j, dup := instances[in.InstanceID]; dup {
			v.addf("%s: instance_id repeats instances[%d]", where(), j)
		} else {
			instances[in.InstanceID] = i
		}
		if in.AccountID != "" && !isAccountID(in.AccountID) {
			account(where(), in.AccountID)
		}
	}

	enis := make(map[string]int, len(inv.NetworkInterfaces))
	held := make(map[netip.Addr]int, 2*len(inv.NetworkInterfaces)) // address → interface
	for i := range inv.NetworkInterfaces {
		ni := &inv.NetworkInterfaces[i]
		where := func() string { return fmt.Sprintf("network_interfaces[%d] %s", i, ni.NetworkInterfaceID) }
		switch id := ni.NetworkInterfaceID; {
		case id == "":
			v.addf("network_interfaces[%d]: no network_interface_id", i)
		case len(id) < 5 || id[:4] != "eni-":
			v.addf("%s: network_interface_id does not start with eni-", where())
		}
		if j, dup := enis[ni.NetworkInterfaceID]; dup && ni.NetworkInterfaceID != "" {
			v.addf("%s: network_interface_id repeats network_interfaces[%d]", where(), j)
		} else {
			enis[ni.NetworkInterfaceID] = i
		}
		if ni.AccountID != "" && !isAccountID(ni.AccountID) {
			account(where(), ni.AccountID)
		}
		check := func(key string, a netip.Addr, want4 bool) {
			switch {
			case !a.IsValid():
				v.addf("%s: %s: an invalid address", where(), key)
				return
			case a.Zone() != "":
				v.addf("%s: %s: %v has a zone", where(), key, a)
				return
			case a.Is4() != want4 || a.Is4In6():
				family := "IPv6"
				if want4 {
					family = "IPv4"
				}
				v.addf("%s: %s: %v is not an %s address", where(), key, a, family)
				return
			}
			j, dup := held[a]
			switch {
			case !dup:
				held[a] = i
			case j == i:
				v.addf("%s: %s: %v is listed twice", where(), key, a)
			default:
				other := &inv.NetworkInterfaces[j]
				v.addf("%s: %s: %v is held by network_interfaces[%d] %s (%s) and %s (%s) too; an address must have one owner",
					where(), key, a, j, other.NetworkInterfaceID, other.VPCID, ni.NetworkInterfaceID, ni.VPCID)
			}
		}
		for _, a := range ni.PrivateIPAddresses {
			check("private_ip_addresses", a, true)
		}
		for _, a := range ni.IPv6Addresses {
			check("ipv6_addresses", a, false)
		}
		if ni.PublicIP.IsValid() {
			check("public_ip", ni.PublicIP, true)
		}
	}
	return v.err()
}

// problems collects validation problems, keeping the first maxProblems.
type problems struct {
	errs []error
	n    int
}

func (p *problems) addf(format string, args ...any) {
	p.n++
	if len(p.errs) < maxProblems {
		p.errs = append(p.errs, fmt.Errorf(format, args...))
	}
}

func (p *problems) err() error {
	if p.n > len(p.errs) {
		p.errs = append(p.errs, fmt.Errorf("and %d more problems", p.n-len(p.errs)))
	}
	return errors.Join(p.errs...)
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
