package inventory_test

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/flowhec/flowhec/enrich/inventory"
)

func TestValidate(t *testing.T) {
	if err := loadSmall(t).Validate(); err != nil {
		t.Fatalf("testdata: %v", err)
	}
	tests := []struct {
		name   string
		change func(*inventory.Inventory)
		want   []string
	}{
		{"repeated interface ID", func(inv *inventory.Inventory) {
			inv.NetworkInterfaces[3].NetworkInterfaceID = inv.NetworkInterfaces[1].NetworkInterfaceID
		}, []string{"network_interfaces[3] eni-0a1b00000000000a1: network_interface_id repeats network_interfaces[1]"}},
		{"no interface ID", func(inv *inventory.Inventory) { inv.NetworkInterfaces[2].NetworkInterfaceID = "" }, []string{"network_interfaces[2]: no network_interface_id"}},
		{"malformed interface ID", func(inv *inventory.Inventory) { inv.NetworkInterfaces[2].NetworkInterfaceID = "nat-0e1f" }, []string{"network_interfaces[2] nat-0e1f: network_interface_id does not start with eni-"}},
		{"an address on two interfaces", func(inv *inventory.Inventory) {
			inv.NetworkInterfaces[3].PrivateIPAddresses = append(inv.NetworkInterfaces[3].PrivateIPAddresses, netip.MustParseAddr("10.20.17.68"))
		}, []string{"network_interfaces[3] eni-0f00000000000f001: private_ip_addresses: 10.20.17.68 is held by network_interfaces[0] eni-0c0ffee0c0ffee001 (vpc-0a1b2c3d4e5f60718) and eni-0f00000000000f001 (vpc-0a1b2c3d4e5f60718) too"}},
		{"a public address on two interfaces", func(inv *inventory.Inventory) { inv.NetworkInterfaces[2].PublicIP = inv.NetworkInterfaces[1].PublicIP }, []string{"public_ip: 198.51.100.10 is held by network_interfaces[1] eni-0a1b00000000000a1"}},
		{"an address listed twice", func(inv *inventory.Inventory) {
			inv.NetworkInterfaces[0].PrivateIPAddresses = append(inv.NetworkInterfaces[0].PrivateIPAddresses, netip.MustParseAddr("10.20.17.67"))
		}, []string{"private_ip_addresses: 10.20.17.67 is listed twice"}},
		{"IPv6 among IPv4", func(inv *inventory.Inventory) {
			inv.NetworkInterfaces[3].PrivateIPAddresses = []netip.Addr{netip.MustParseAddr("2a05:d018:abc:de00::99")}
		}, []string{"private_ip_addresses: 2a05:d018:abc:de00::99 is not an IPv4 address"}},
		{"IPv4 among IPv6", func(inv *inventory.Inventory) {
			inv.NetworkInterfaces[3].IPv6Addresses = []netip.Addr{netip.MustParseAddr("10.20.18.99")}
		}, []string{"ipv6_addresses: 10.20.18.99 is not an IPv6 address"}},
		{"IPv4-mapped IPv6", func(inv *inventory.Inventory) {
			inv.NetworkInterfaces[3].IPv6Addresses = []netip.Addr{netip.MustParseAddr("::ffff:10.20.18.99")}
		}, []string{"is not an IPv6 address"}},
		{"invalid address", func(inv *inventory.Inventory) { inv.NetworkInterfaces[3].PrivateIPAddresses = []netip.Addr{{}} }, []string{"private_ip_addresses: an invalid address"}},
		{"bad account IDs", func(inv *inventory.Inventory) {
			inv.Accounts[0].AccountID = "1111-2222-3333"
			inv.NetworkInterfaces[1].AccountID = "11112222333"
			inv.Instances[0].AccountID = "unknown"
		}, []string{
			`accounts[0]: account_id "1111-2222-3333" is not a 12-digit AWS account ID`,
			`network_interfaces[1] eni-0a1b00000000000a1: account_id "11112222333" is not a 12-digit AWS account ID`,
			`instances[0] i-0123456789abcdef0: account_id "unknown"`,
		}},
		{"repeated instance", func(inv *inventory.Inventory) { inv.Instances = append(inv.Instances, inv.Instances[0]) }, []string{"instances[1] i-0123456789abcdef0: instance_id repeats instances[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := loadSmall(t)
			tt.change(inv)
			err := inv.Validate()
			if err == nil {
				t.Fatal("valid")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %v\ndoes not say\n  %s", err, w)
				}
			}
		})
	}
}

func TestValidateManyProblems(t *testing.T) {
	inv := synthInventory(100)
	for i := range inv.NetworkInterfaces {
		inv.NetworkInterfaces[i].AccountID = "x"
	}
	err := inv.Validate()
	if err == nil || strings.Count(err.Error(), "\n") != 20 || !strings.HasSuffix(err.Error(), "and 80 more problems") {
		t.Errorf("100 problems reported as:\n%v", err)
	}
	if err := synthInventory(1000).Validate(); err != nil {
		t.Errorf("the synthetic inventory: %v", err)
	}
}

func TestLoad(t *testing.T) {
	inv := loadSmall(t)
	if len(inv.NetworkInterfaces) != 4 || inv.InterfaceByAddr(netip.MustParseAddr("10.20.17.68")).NetworkInterfaceID != "eni-0c0ffee0c0ffee001" {
		t.Errorf("testdata read as %+v", inv)
	}
	// What WriteJSON writes, Load reads back the same.
	var buf bytes.Buffer
	if err := inv.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	back, err := inventory.Load(write("round-trip.json", buf.String()))
	if err != nil || !reflect.DeepEqual(back, inv) {
		t.Errorf("round trip: %v", err)
	}

	dup := strings.Replace(buf.String(), `"eni-0f00000000000f001"`, `"eni-0c0ffee0c0ffee001"`, 1)
	tests := []struct {
		name, body string
		want       []string
	}{
		{"unknown key", `{"generated_by":"x","network_interface":[]}`, []string{`unknown field "network_interface"`, "fix the file"}},
		{"syntax error", "{\n  \"generated_by\": \"x\",\n  \"vpcs\": [,]\n}", []string{"line 3, column", "invalid character"}},
		{"wrong type", "{\n  \"instances\": {}\n}", []string{"line 2", "cannot unmarshal object"}},
		{"bad address", `{"network_interfaces":[{"private_ip_addresses":["10.0.0.256"]}]}`, []string{"10.0.0.256"}},
		{"trailing data", `{} {}`, []string{"data after the inventory object"}},
		{"invalid inventory", dup, []string{"network_interface_id repeats network_interfaces[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(strings.ReplaceAll(tt.name, " ", "-")+".json", tt.body)
			_, err := inventory.Load(path)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range append(tt.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if _, err := inventory.Load(filepath.Join(dir, "absent.json")); err == nil || !strings.Contains(err.Error(), "absent.json") {
		t.Errorf("a missing file: %v", err)
	}
	if _, err := inventory.ReadInventory(strings.NewReader(`{"generated_by":"x"}` + "\n\n")); err != nil {
		t.Errorf("trailing blank lines: %v", err)
	}
}
