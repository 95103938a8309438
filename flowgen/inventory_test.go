package flowgen_test

import (
	"bytes"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flowhec/flowhec/enrich/inventory"
	"github.com/flowhec/flowhec/flowgen"
)

func TestInventoryRoundTrip(t *testing.T) {
	inv := fixture(t).inv
	raw := inventoryJSON(t, inv)
	back, err := inventory.ReadInventory(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(inv, back) {
		t.Errorf("inventory changed through JSON:\n%s", raw)
	}
	if !bytes.Equal(raw, inventoryJSON(t, back)) {
		t.Error("inventory JSON is not stable")
	}
	for _, key := range []string{`"generated_by": "flowhec gen"`, `"network_interface_id"`, `"interface_type": "nat_gateway"`, `"private_ip_addresses"`, `"attachment"`, `"requester_managed": true`} {
		if !bytes.Contains(raw, []byte(key)) {
			t.Errorf("inventory JSON lacks %s", key)
		}
	}
	if _, err := inventory.ReadInventory(strings.NewReader(`{"generated_by":"x","network_interface":[]}`)); err == nil {
		t.Error("ReadInventory accepted a misspelt key")
	}
}

func TestLabelsRoundTrip(t *testing.T) {
	l := fixture(t).labels
	raw := labelsJSON(t, l)
	back, err := flowgen.ReadLabels(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l, back) {
		t.Errorf("labels changed through JSON:\n%s", raw)
	}
}

var descriptionRE = map[string]*regexp.Regexp{
	"nat_gateway":           regexp.MustCompile(`^Interface for NAT Gateway nat-0[0-9a-f]{16}$`),
	"lambda":                regexp.MustCompile(`^AWS Lambda VPC ENI-orders-fn-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$`),
	"vpc_endpoint":          regexp.MustCompile(`^VPC Endpoint Interface vpce-0[0-9a-f]{16}$`),
	"network_load_balancer": regexp.MustCompile(`^ELB net/metrics-ingest/[0-9a-f]{16}$`),
	"interface":             regexp.MustCompile(`^(Primary network interface|ELB app/web-prod/[0-9a-f]{16}|RDSNetworkInterface|arn:aws:ecs:us-east-1:123456789012:attachment/[0-9a-f-]{36})$`),
}

func TestInventory(t *testing.T) {
	g := fixture(t)
	inv := g.inv
	if len(inv.Accounts) != 1 || inv.Accounts[0].AccountID != "123456789012" || len(inv.VPCs) != 1 {
		t.Fatalf("accounts %+v, VPCs %+v", inv.Accounts, inv.VPCs)
	}
	vpc := inv.VPCs[0]
	if vpc.CIDRBlock != netip.MustParsePrefix("172.31.0.0/16") || vpc.VPCID != g.labels.VPCID {
		t.Errorf("VPC %+v", vpc)
	}
	subnets := map[string]inventory.Subnet{}
	for _, s := range inv.Subnets {
		if !vpc.CIDRBlock.Contains(s.CIDRBlock.Addr()) || !vpc.IPv6CIDRBlock.Contains(s.IPv6CIDRBlock.Addr()) {
			t.Errorf("subnet %s %v outside the VPC", s.SubnetID, s.CIDRBlock)
		}
		if !regexp.MustCompile(`^use1-az[1-3]$`).MatchString(s.AvailabilityZoneID) || !strings.HasPrefix(s.AvailabilityZone, "us-east-1") {
			t.Errorf("subnet %s in %s (%s)", s.SubnetID, s.AvailabilityZone, s.AvailabilityZoneID)
		}
		subnets[s.SubnetID] = s
	}
	ids := map[string]bool{}
	addrs := map[netip.Addr]string{}
	types := map[string]int{}
	for _, ni := range inv.NetworkInterfaces {
		if ids[ni.NetworkInterfaceID] || !regexp.MustCompile(`^eni-0[0-9a-f]{16}$`).MatchString(ni.NetworkInterfaceID) {
			t.Errorf("interface ID %q repeated or malformed", ni.NetworkInterfaceID)
		}
		ids[ni.NetworkInterfaceID] = true
		types[ni.InterfaceType]++
		s, ok := subnets[ni.SubnetID]
		if !ok || s.AvailabilityZoneID != ni.AvailabilityZoneID {
			t.Errorf("interface %s: subnet %s unknown or in another zone", ni.NetworkInterfaceID, ni.SubnetID)
		}
		for _, a := range append(append([]netip.Addr{}, ni.PrivateIPAddresses...), ni.IPv6Addresses...) {
			if other, dup := addrs[a]; dup {
				t.Errorf("%v held by %s and %s", a, other, ni.NetworkInterfaceID)
			}
			addrs[a] = ni.NetworkInterfaceID
			if !s.CIDRBlock.Contains(a) && !s.IPv6CIDRBlock.Contains(a) {
				t.Errorf("%v outside subnet %v", a, s.CIDRBlock)
			}
		}
		if re := descriptionRE[ni.InterfaceType]; re == nil || !re.MatchString(ni.Description) {
			t.Errorf("interface %s of type %q described %q", ni.NetworkInterfaceID, ni.InterfaceType, ni.Description)
		}
		attached := ni.Attachment != nil
		if attached && inv.InstanceByID(ni.Attachment.InstanceID) == nil {
			t.Errorf("interface %s attached to unknown instance %s", ni.NetworkInterfaceID, ni.Attachment.InstanceID)
		}
		if ni.RequesterManaged == (ni.Description == "Primary network interface") {
			t.Errorf("interface %s: requester_managed %v for %q", ni.NetworkInterfaceID, ni.RequesterManaged, ni.Description)
		}
		if ni.PublicIP.IsValid() && !subnets[ni.SubnetID].Public {
			t.Errorf("interface %s has a public IP in a private subnet", ni.NetworkInterfaceID)
		}
	}
	for _, typ := range []string{"interface", "nat_gateway", "lambda", "vpc_endpoint", "network_load_balancer"} {
		if types[typ] == 0 {
			t.Errorf("no interface of type %s", typ)
		}
	}

	// The story's cast, by name.
	byName := map[string]inventory.Instance{}
	for _, in := range inv.Instances {
		byName[in.Tags["Name"]] = in
		if in.Tags["service"] == "" {
			t.Errorf("instance %s has no service tag", in.Tags["Name"])
		}
		if ni := inv.InterfaceByAddr(in.PrivateIPAddress); ni == nil || ni.Attachment == nil || ni.Attachment.InstanceID != in.InstanceID {
			t.Errorf("instance %s: its address %v is not on an interface attached to it", in.Tags["Name"], in.PrivateIPAddress)
		}
	}
	cc, ok := byName["clarity-collector"]
	if !ok || cc.Tags["service"] != "metrics" || cc.PrivateIPAddress != netip.MustParseAddr("172.31.1.67") {
		t.Errorf("clarity-collector %+v", cc)
	}
	if byName["cache-01"].Tags["service"] != "memcached" {
		t.Errorf("cache-01 %+v", byName["cache-01"])
	}
	if !byName["cache-01"].PublicIPAddress.IsValid() {
		t.Error("cache-01 has no public address: the internet could not reach its memcached")
	}
	if cc.LaunchTime.After(g.cfg.Start) || cc.LaunchTime.Before(g.cfg.Start.Add(-90*24*time.Hour)) {
		t.Errorf("clarity-collector launched %s", cc.LaunchTime)
	}
}
