package ipranges

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

const fixture = "../../testdata/ipranges/ip-ranges.json"

func loadFixture(t testing.TB) *Table {
	t.Helper()
	tab, err := Load(context.Background(), Config{Source: fixture})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestLookupFixture(t *testing.T) {
	tab := loadFixture(t)
	tests := []struct {
		name    string
		addr    string
		service string
		region  string
		nbg     string // "" means the region
		prefix  string // "" means no match
	}{
		// AMAZON and one service on the same prefix: the service.
		{"S3 over AMAZON", "52.217.10.1", "S3", "us-east-1", "", "52.216.0.0/15"},
		{"S3 eu", "52.218.1.1", "S3", "eu-west-1", "", "52.218.0.0/17"},
		{"DYNAMODB over AMAZON", "52.94.1.2", "DYNAMODB", "us-east-1", "", "52.94.0.0/22"},
		{"CLOUDFRONT GLOBAL", "13.33.4.5", "CLOUDFRONT", "GLOBAL", "", "13.32.0.0/15"},
		{"ROUTE53", "205.251.199.1", "ROUTE53", "GLOBAL", "", "205.251.192.0/21"},
		{"AMAZON only", "52.95.245.7", "AMAZON", "us-east-1", "", "52.95.245.0/24"},
		// AMAZON, EC2 and ROUTE53_HEALTHCHECKS on one prefix, whatever the
		// order of the file.
		{"R53 health checks over EC2", "54.243.31.200", "ROUTE53_HEALTHCHECKS", "us-east-1", "", "54.243.31.192/26"},
		{"R53 health checks listed first", "107.23.255.10", "ROUTE53_HEALTHCHECKS", "us-east-1", "", "107.23.255.0/26"},
		// Nested prefixes: the longest wins.
		{"DYNAMODB /22 in EC2 /12", "3.218.181.9", "DYNAMODB", "us-east-1", "", "3.218.180.0/22"},
		{"EC2 /12 around it", "3.218.184.1", "EC2", "us-east-1", "", "3.208.0.0/12"},
		{"EC2 instance connect /29 in EC2 /14", "18.206.107.30", "EC2_INSTANCE_CONNECT", "us-east-1", "", "18.206.107.24/29"},
		{"just past the /29", "18.206.107.32", "EC2", "us-east-1", "", "18.204.0.0/14"},
		{"AMAZON /28 in EC2 /11: longest wins", "44.192.134.241", "AMAZON", "us-east-1", "", "44.192.134.240/28"},
		{"EC2 /11 around it", "44.192.134.1", "EC2", "us-east-1", "", "44.192.0.0/11"},
		{"S3 first address", "3.5.0.0", "S3", "us-east-1", "", "3.5.0.0/19"},
		{"S3 last address", "3.5.31.255", "S3", "us-east-1", "", "3.5.0.0/19"},
		{"Local Zone border group", "15.181.233.4", "EC2", "us-east-1", "us-east-1-bos-1", "15.181.232.0/21"},
		// Misses.
		{"private", "10.0.0.1", "", "", "", ""},
		{"just past S3", "3.5.32.0", "", "", "", ""},
		{"public not AWS", "8.8.8.8", "", "", "", ""},
		{"zero Addr", "", "", "", "", ""},
		// IPv6.
		{"v6 EC2", "2600:1f18:1234::1", "EC2", "us-east-1", "", "2600:1f18::/33"},
		{"v6 R53 health checks in EC2", "2600:1f18:7fff:f8aa::1", "ROUTE53_HEALTHCHECKS", "us-east-1", "", "2600:1f18:7fff:f800::/53"},
		{"v6 S3", "2600:1fa0:80aa::5", "S3", "us-east-1", "", "2600:1fa0:8000::/39"},
		{"v6 ROUTE53 /45 in CLOUDFRONT /28", "2600:9000:5301::1", "ROUTE53", "GLOBAL", "", "2600:9000:5300::/45"},
		{"v6 CLOUDFRONT", "2600:9000:2000::1", "CLOUDFRONT", "GLOBAL", "", "2600:9000::/28"},
		{"v6 EC2 in AMAZON-only /25", "2a05:d018::1", "EC2", "eu-west-1", "", "2a05:d018::/35"},
		{"v6 AMAZON-only /25", "2a05:d07f::1", "AMAZON", "eu-west-1", "", "2a05:d000::/25"},
		{"v6 other half of /33", "2600:1f18:8000::1", "", "", "", ""},
		{"v6 miss", "2001:db8::1", "", "", "", ""},
		{"v6 zone", "2600:1f18::1%eth0", "EC2", "us-east-1", "", "2600:1f18::/33"},
		// IPv4-mapped IPv6 is the IPv4 address.
		{"mapped S3", "::ffff:52.217.10.1", "S3", "us-east-1", "", "52.216.0.0/15"},
		{"mapped nested", "::ffff:3.218.181.9", "DYNAMODB", "us-east-1", "", "3.218.180.0/22"},
		{"mapped miss", "::ffff:10.0.0.1", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a netip.Addr
			if tt.addr != "" {
				a = netip.MustParseAddr(tt.addr)
			}
			got, ok := tab.Lookup(a)
			if ok != (tt.prefix != "") || ok != tab.Contains(a) {
				t.Fatalf("Lookup(%s) ok = %v, Contains = %v; want %v", tt.addr, ok, tab.Contains(a), tt.prefix != "")
			}
			if !ok {
				if got != (Match{}) {
					t.Errorf("Lookup(%s) = %+v on a miss, want the zero Match", tt.addr, got)
				}
				return
			}
			nbg := tt.nbg
			if nbg == "" {
				nbg = tt.region
			}
			want := Match{Service: tt.service, Region: tt.region, NetworkBorderGroup: nbg, Prefix: netip.MustParsePrefix(tt.prefix)}
			if got != want {
				t.Errorf("Lookup(%s) = %+v, want %+v", tt.addr, got, want)
			}
		})
	}
}

func TestLenFixture(t *testing.T) {
	tab := loadFixture(t)
	if tab.Len4() != 21 || tab.Len6() != 7 {
		t.Errorf("Len4, Len6 = %d, %d; want 21, 7 (the distinct prefixes of %s)", tab.Len4(), tab.Len6(), fixture)
	}
	if tab.SyncToken != "1730835132" || tab.CreateDate.Format(createDateLayout) != "2024-11-05-19-32-12" {
		t.Errorf("SyncToken %q, CreateDate %v", tab.SyncToken, tab.CreateDate)
	}
}

func TestPrefer(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"EC2", "AMAZON", true},
		{"AMAZON", "EC2", false},
		{"S3", "AMAZON", true},
		{"ROUTE53_HEALTHCHECKS", "EC2", true},
		{"EC2", "ROUTE53_HEALTHCHECKS", false},
		{"CLOUD9", "EC2", true},
		// Two names other than AMAZON and EC2: the alphabetically first.
		{"AMAZON_CONNECT", "WORKSPACES_GATEWAYS", true},
		{"WORKSPACES_GATEWAYS", "AMAZON_CONNECT", false},
		{"API_GATEWAY", "AMAZON_APPFLOW", false},
		// Strict: never over itself.
		{"EC2", "EC2", false},
		{"AMAZON", "AMAZON", false},
		{"S3", "S3", false},
	}
	for _, tt := range tests {
		if got := Prefer(tt.a, tt.b); got != tt.want {
			t.Errorf("Prefer(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// doc returns an ip-ranges.json document listing prefix under each of
// services, in that order.
func doc(prefix string, services ...string) []byte {
	var b strings.Builder
	b.WriteString(`{"syncToken":"1","createDate":"2024-01-02-03-04-05","prefixes":[`)
	for i, s := range services {
		if i > 0 {
			b.WriteByte(',')
		}
		region := "us-east-1"
		if s == "WORKSPACES_GATEWAYS" {
			region = "us-east-2" // shows which entry the Match came from
		}
		fmt.Fprintf(&b, `{"ip_prefix":%q,"region":%q,"service":%q,"network_border_group":%q}`, prefix, region, s, region)
	}
	b.WriteString(`],"ipv6_prefixes":[]}`)
	return []byte(b.String())
}

// TestTieOnOnePrefix checks that the service chosen for a prefix listed
// several times does not depend on the order of the file.
func TestTieOnOnePrefix(t *testing.T) {
	tests := []struct {
		services []string
		want     string
		region   string
	}{
		{[]string{"AMAZON", "EC2"}, "EC2", "us-east-1"},
		{[]string{"EC2", "AMAZON"}, "EC2", "us-east-1"},
		{[]string{"AMAZON", "EC2", "ROUTE53_HEALTHCHECKS"}, "ROUTE53_HEALTHCHECKS", "us-east-1"},
		{[]string{"ROUTE53_HEALTHCHECKS", "EC2", "AMAZON"}, "ROUTE53_HEALTHCHECKS", "us-east-1"},
		{[]string{"AMAZON", "EC2", "WORKSPACES_GATEWAYS", "AMAZON_CONNECT"}, "AMAZON_CONNECT", "us-east-1"},
		{[]string{"AMAZON_CONNECT", "WORKSPACES_GATEWAYS", "EC2", "AMAZON"}, "AMAZON_CONNECT", "us-east-1"},
		{[]string{"WORKSPACES_GATEWAYS", "EC2"}, "WORKSPACES_GATEWAYS", "us-east-2"},
		{[]string{"AMAZON"}, "AMAZON", "us-east-1"},
		// The same name twice keeps the first entry.
		{[]string{"WORKSPACES_GATEWAYS", "AMAZON_CONNECT", "AMAZON_CONNECT"}, "AMAZON_CONNECT", "us-east-1"},
	}
	for _, tt := range tests {
		name := strings.Join(tt.services, ",")
		t.Run(name, func(t *testing.T) {
			tab, err := Parse(doc("198.51.100.0/24", tt.services...))
			if err != nil {
				t.Fatal(err)
			}
			m, ok := tab.Lookup(netip.MustParseAddr("198.51.100.7"))
			if !ok || m.Service != tt.want || m.Region != tt.region {
				t.Errorf("Lookup = %+v, %v; want service %s region %s", m, ok, tt.want, tt.region)
			}
			if tab.Len4() != 1 {
				t.Errorf("Len4 = %d, want 1", tab.Len4())
			}
		})
	}
}

func TestNilTable(t *testing.T) {
	var tab *Table
	a := netip.MustParseAddr("52.217.10.1")
	if m, ok := tab.Lookup(a); ok || m != (Match{}) {
		t.Errorf("nil Lookup = %+v, %v", m, ok)
	}
	if tab.Contains(a) || tab.Len4() != 0 || tab.Len6() != 0 {
		t.Error("nil table is not empty")
	}
}

func TestLookupAllocs(t *testing.T) {
	tab := loadFixture(t)
	addrs := []netip.Addr{
		netip.MustParseAddr("52.217.10.1"),
		netip.MustParseAddr("10.0.0.1"),
		netip.MustParseAddr("2600:1f18:7fff:f8aa::1"),
		netip.MustParseAddr("2001:db8::1"),
		netip.MustParseAddr("::ffff:3.218.181.9"),
	}
	var sink Match
	for _, a := range addrs {
		n := testing.AllocsPerRun(100, func() {
			m, _ := tab.Lookup(a)
			sink = m
			_ = tab.Contains(a)
		})
		if n != 0 {
			t.Errorf("Lookup(%s): %v allocations, want 0", a, n)
		}
	}
	_ = sink
}
