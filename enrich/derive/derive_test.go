package derive

import (
	"context"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/flowhec/flowhec/enrich/ipranges"
	"github.com/flowhec/flowhec/flowlog"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		inside []string // "" is the zero Prefix
		want   []string // each in the error; none means valid
	}{
		{"default", nil, nil},
		{"vpc blocks", []string{"10.0.0.0/16", "172.31.0.0/16", "2600:1f18:4a2:c00::/56", "100.64.0.0/10"}, nil},
		{"host bits", []string{"10.0.0.0/16", "10.1.2.3/16"}, []string{"enrich.inside_networks[1]: 10.1.2.3/16 has host bits set; the network is 10.1.0.0/16"}},
		{"mapped", []string{"::ffff:10.0.0.0/104"}, []string{"enrich.inside_networks[0]: ::ffff:10.0.0.0/104 is IPv4-mapped; write it as IPv4 (10.0.0.0/8)"}},
		{"zero", []string{""}, []string{"enrich.inside_networks[0]: not a network"}},
		{"all of them", []string{"10.1.2.3/16", "", "fd00::1/8"}, []string{"[0]", "[1]", "[2]: fd00::1/8 has host bits set; the network is fd00::/8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Config
			for _, s := range tt.inside {
				var p netip.Prefix
				if s != "" {
					p = netip.MustParsePrefix(s)
				}
				c.Inside = append(c.Inside, p)
			}
			err := c.Validate()
			d, newErr := New(c, nil)
			if (err == nil) != (newErr == nil) || (newErr == nil) != (d != nil) {
				t.Fatalf("Validate() = %v but New() = %v, %v", err, d, newErr)
			}
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func mustNew(t testing.TB, inside ...string) *Deriver {
	t.Helper()
	var c Config
	for _, s := range inside {
		c.Inside = append(c.Inside, netip.MustParsePrefix(s))
	}
	d, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDeriverDirection(t *testing.T) {
	def := mustNew(t)
	vpc := mustNew(t, "172.31.0.0/16", "2600:1f18:4a2:c00::/56")
	tests := []struct {
		name     string
		d        *Deriver
		src, dst string
		want     Direction
	}{
		{"default: private to internet", def, "10.0.1.5", "8.8.8.8", Outbound},
		{"default: internet to private", def, "198.51.100.7", "172.31.1.67", Inbound},
		{"default: private to private", def, "10.0.1.5", "192.168.1.1", Internal},
		{"default: CGNAT is inside", def, "100.64.1.1", "8.8.8.8", Outbound},
		{"default: ULA is inside", def, "2001:db8::1", "fd00::5", Inbound},
		{"default: IPv6 GUA is outside", def, "2600:1f18:4a2:c01::5", "2001:db8::1", DirectionUnknown},
		{"default: both outside", def, "8.8.8.8", "1.1.1.1", DirectionUnknown},
		{"default: mapped", def, "::ffff:10.0.1.5", "8.8.8.8", Outbound},
		{"vpc: out", vpc, "172.31.1.67", "10.0.0.1", Outbound},
		{"vpc: in", vpc, "10.0.0.1", "172.31.1.67", Inbound},
		{"vpc: internal", vpc, "172.31.1.67", "172.31.200.1", Internal},
		{"vpc: IPv6 out", vpc, "2600:1f18:4a2:c01::5", "2a05:d018::1", Outbound},
		{"vpc: IPv6 in", vpc, "2a05:d018::1", "2600:1f18:4a2:c01::5", Inbound},
		{"missing src", def, "", "10.0.0.1", DirectionUnknown},
		{"missing dst", def, "10.0.0.1", "", DirectionUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var src, dst netip.Addr
			if tt.src != "" {
				src = netip.MustParseAddr(tt.src)
			}
			if tt.dst != "" {
				dst = netip.MustParseAddr(tt.dst)
			}
			if got := tt.d.Direction(src, dst); got != tt.want {
				t.Errorf("Direction(%s, %s) = %v, want %v", tt.src, tt.dst, got, tt.want)
			}
		})
	}
}

const (
	v2Header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
	v5Header = "version interface-id srcaddr dstaddr srcport dstport protocol tcp-flags flow-direction action start end log-status"
)

func parse(t testing.TB, header, line string) *flowlog.Record {
	t.Helper()
	f, err := flowlog.ParseFormat(header)
	if err != nil {
		t.Fatal(err)
	}
	var r flowlog.Record
	if err := f.Parse([]byte(line), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func fixtureTable(t testing.TB) *ipranges.Table {
	t.Helper()
	tab, err := ipranges.Load(context.Background(), ipranges.Config{Source: "../../testdata/ipranges/ip-ranges.json"})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestDerive(t *testing.T) {
	tab := fixtureTable(t)
	def, err := New(DefaultConfig(), tab.Contains)
	if err != nil {
		t.Fatal(err)
	}
	vpc, err := New(Config{Inside: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16"), netip.MustParsePrefix("2600:1f18:1234:a100::/56")}}, tab.Contains)
	if err != nil {
		t.Fatal(err)
	}
	tcp := func(f Fields) Fields {
		f.Protocol, f.ProtocolName, f.Transport = "ip", "tcp", "tcp"
		return f
	}
	udp := func(f Fields) Fields {
		f.Protocol, f.ProtocolName, f.Transport = "ip", "udp", "udp"
		return f
	}
	tests := []struct {
		name   string
		d      *Deriver
		header string
		line   string
		want   Fields
	}{
		{
			"default format, internal SSH", def, v2Header,
			"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
			tcp(Fields{Action: "allowed", ProtocolVersion: "ipv4", Duration: 60, HasDuration: true, Direction: Internal, SrcScope: ScopePrivate, DestScope: ScopePrivate}),
		},
		{
			"zombie knocking, rejected", def, v2Header,
			"2 123456789010 eni-0a1b2c3d 198.51.100.7 172.31.1.67 49152 80 6 1 40 1418530010 1418530030 REJECT OK",
			tcp(Fields{Action: "blocked", ProtocolVersion: "ipv4", Duration: 20, HasDuration: true, Direction: Inbound, SrcScope: ScopePublic, DestScope: ScopePrivate}),
		},
		{
			"memcached amplification, UDP from outside", def, v2Header,
			"2 123456789010 eni-0a1b2c3d 203.0.113.9 10.0.0.5 40000 11211 17 3422 5072550 1418530010 1418530070 ACCEPT OK",
			udp(Fields{Action: "allowed", ProtocolVersion: "ipv4", Duration: 60, HasDuration: true, Direction: Inbound, SrcScope: ScopePublic, DestScope: ScopePrivate}),
		},
		{
			"to S3", def, v2Header,
			"2 123456789010 eni-0a1b2c3d 10.0.1.5 52.217.10.1 50000 443 6 10 5000 1418530010 1418530070 ACCEPT OK",
			tcp(Fields{Action: "allowed", ProtocolVersion: "ipv4", Duration: 60, HasDuration: true, Direction: Outbound, SrcScope: ScopePrivate, DestScope: ScopeAWS}),
		},
		{
			"NODATA", def, v2Header,
			"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
			Fields{Duration: 58, HasDuration: true},
		},
		{
			"end before start", def, v2Header,
			"2 123456789010 eni-1 10.0.1.5 10.0.1.6 1 2 6 1 40 1418530070 1418530010 ACCEPT OK",
			tcp(Fields{Action: "allowed", ProtocolVersion: "ipv4", Direction: Internal, SrcScope: ScopePrivate, DestScope: ScopePrivate}),
		},
		{
			"IPv6 VPC to S3: a VPC's IPv6 addresses are AWS's", vpc, v2Header,
			"2 123456789010 eni-1 2600:1f18:1234:a100::5 2600:1fa0:80aa::5 34892 443 6 54 8855 1477913708 1477913820 ACCEPT OK",
			tcp(Fields{Action: "allowed", ProtocolVersion: "ipv6", Duration: 112, HasDuration: true, Direction: Outbound, SrcScope: ScopeAWS, DestScope: ScopeAWS}),
		},
		{
			"IPv6 with default inside: no direction", def, v2Header,
			"2 123456789010 eni-1 2600:1f18:1234:a100::5 2600:1fa0:80aa::5 34892 443 6 54 8855 1477913708 1477913820 ACCEPT OK",
			tcp(Fields{Action: "allowed", ProtocolVersion: "ipv6", Duration: 112, HasDuration: true, Direction: DirectionUnknown, SrcScope: ScopeAWS, DestScope: ScopeAWS}),
		},
		{
			"ICMP", def, v2Header,
			"2 123456789010 eni-1 10.0.1.5 8.8.8.8 0 0 1 4 336 1418530010 1418530070 ACCEPT OK",
			Fields{Action: "allowed", Protocol: "icmp", ProtocolName: "icmp", Transport: "icmp", ProtocolVersion: "ipv4", Duration: 60, HasDuration: true, Direction: Outbound, SrcScope: ScopePrivate, DestScope: ScopePublic},
		},
		{
			"ICMPv6", def, v2Header,
			"2 123456789010 eni-1 fd00::5 fe80::1 0 0 58 1 72 1418530010 1418530070 REJECT OK",
			Fields{Action: "blocked", Protocol: "icmp", ProtocolName: "ipv6-icmp", Transport: "icmp", ProtocolVersion: "ipv6", Duration: 60, HasDuration: true, Direction: Outbound, SrcScope: ScopePrivate, DestScope: ScopePrivate},
		},
		{
			"GRE", def, v2Header,
			"2 123456789010 eni-1 10.0.1.5 10.0.2.5 0 0 47 4 336 1418530010 1418530070 ACCEPT OK",
			Fields{Action: "allowed", Protocol: "ip", ProtocolName: "gre", Transport: "gre", ProtocolVersion: "ipv4", Duration: 60, HasDuration: true, Direction: Internal, SrcScope: ScopePrivate, DestScope: ScopePrivate},
		},
		{
			"flow-direction ingress wins, flags FIN SYN ACK", def, v5Header,
			"5 eni-1 52.217.10.1 10.0.1.5 443 50000 6 19 ingress ACCEPT 1418530010 1418530070 OK",
			tcp(Fields{Action: "allowed", ProtocolVersion: "ipv4", Duration: 60, HasDuration: true, Direction: Inbound, SrcScope: ScopeAWS, DestScope: ScopePrivate, TCPFlags: []string{"FIN", "SYN", "ACK"}}),
		},
		{
			"flow-direction egress between inside addresses", def, v5Header,
			"5 eni-1 10.0.1.5 10.0.0.220 50000 443 6 3 egress ACCEPT 1418530010 1418530070 OK",
			tcp(Fields{Action: "allowed", ProtocolVersion: "ipv4", Duration: 60, HasDuration: true, Direction: Outbound, SrcScope: ScopePrivate, DestScope: ScopePrivate, TCPFlags: []string{"FIN", "SYN"}}),
		},
		{
			"no flow-direction: from the addresses; SYN only", def, v5Header,
			"5 eni-1 198.51.100.7 172.31.1.67 49152 80 6 2 - REJECT 1418530010 1418530070 OK",
			tcp(Fields{Action: "blocked", ProtocolVersion: "ipv4", Duration: 60, HasDuration: true, Direction: Inbound, SrcScope: ScopePublic, DestScope: ScopePrivate, TCPFlags: []string{"SYN"}}),
		},
		{
			"UDP: tcp-flags ignored", def, v5Header,
			"5 eni-1 10.0.1.5 8.8.8.8 50000 53 17 2 egress ACCEPT 1418530010 1418530070 OK",
			udp(Fields{Action: "allowed", ProtocolVersion: "ipv4", Duration: 60, HasDuration: true, Direction: Outbound, SrcScope: ScopePrivate, DestScope: ScopePublic}),
		},
		{
			"TCP with flags 0", def, v5Header,
			"5 eni-1 10.0.1.5 8.8.8.8 50000 443 6 0 egress ACCEPT 1418530010 1418530070 OK",
			tcp(Fields{Action: "allowed", ProtocolVersion: "ipv4", Duration: 60, HasDuration: true, Direction: Outbound, SrcScope: ScopePrivate, DestScope: ScopePublic}),
		},
		{
			"few fields: no addresses, no times", def, "version interface-id action",
			"3 eni-1 ACCEPT",
			Fields{Action: "allowed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := parse(t, tt.header, tt.line)
			// Start from a dirty Fields: Derive overwrites all of it.
			got := Fields{Action: "x", TCPFlags: []string{"x"}, Duration: 9, HasDuration: true, Direction: Internal}
			tt.d.Derive(rec, &got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Derive =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestDeriveAllocs(t *testing.T) {
	tab := fixtureTable(t)
	d, err := New(Config{Inside: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}}, tab.Contains)
	if err != nil {
		t.Fatal(err)
	}
	recs := []*flowlog.Record{
		parse(t, v2Header, "2 123456789010 eni-1 198.51.100.7 10.0.1.67 49152 80 6 1 40 1418530010 1418530030 REJECT OK"),
		parse(t, v2Header, "2 123456789010 eni-1 - - - - - - - 1431280876 1431280934 - NODATA"),
		parse(t, v5Header, "5 eni-1 52.217.10.1 10.0.1.5 443 50000 6 19 ingress ACCEPT 1418530010 1418530070 OK"),
		parse(t, v2Header, "2 123456789010 eni-1 2600:1f18:1234:a100::5 2600:1fa0:80aa::5 34892 443 58 54 8855 1477913708 1477913820 ACCEPT OK"),
	}
	var f Fields
	for i, rec := range recs {
		if n := testing.AllocsPerRun(100, func() { d.Derive(rec, &f) }); n != 0 {
			t.Errorf("Derive(record %d): %v allocations, want 0", i, n)
		}
	}
	action := []byte("ACCEPT")
	if n := testing.AllocsPerRun(100, func() {
		_ = TCPFlags(19)
		_ = Action(action)
		_ = ProtocolName(58)
		_ = AddrScope(netip.MustParseAddr("52.217.10.1"), tab.Contains)
	}); n != 0 {
		t.Errorf("value functions: %v allocations, want 0", n)
	}
}
