package derive

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestProtocolName(t *testing.T) {
	tests := []struct {
		p    uint64
		want string
	}{
		{0, "hopopt"}, {1, "icmp"}, {2, "igmp"}, {4, "ipv4"}, {6, "tcp"}, {17, "udp"},
		{41, "ipv6"}, {47, "gre"}, {50, "esp"}, {51, "ah"}, {58, "ipv6-icmp"}, {59, "ipv6-nonxt"},
		{84, "ttp"}, {88, "eigrp"}, {89, "ospfigp"}, {93, "ax.25"}, {103, "pim"}, {112, "vrrp"},
		{115, "l2tp"}, {124, "isis"}, {132, "sctp"}, {135, "mobility-header"}, {136, "udplite"},
		{143, "ethernet"}, {145, "nsh"}, {146, "homa"},
		// No keyword.
		{61, ""}, {63, ""}, {68, ""}, {99, ""}, {114, ""}, {147, ""}, {252, ""}, {253, ""}, {254, ""}, {255, ""},
		{256, ""}, {1 << 40, ""},
	}
	for _, tt := range tests {
		if got := ProtocolName(tt.p); got != tt.want {
			t.Errorf("ProtocolName(%d) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

// TestProtocolTable checks the whole table: every assigned number but the
// "any …" ones has a keyword, and keywords are distinct, lower case and
// without blanks.
func TestProtocolTable(t *testing.T) {
	noKeyword := map[int]bool{61: true, 63: true, 68: true, 99: true, 114: true}
	seen := make(map[string]int)
	for p, name := range protocolNames {
		switch {
		case p <= 146 && !noKeyword[p] && name == "":
			t.Errorf("protocol %d has no name", p)
		case (p > 146 || noKeyword[p]) && name != "":
			t.Errorf("protocol %d is named %q; IANA gives it no keyword", p, name)
		case name != strings.ToLower(name) || strings.ContainsAny(name, " \t()"):
			t.Errorf("protocol %d: %q is not a lower-case keyword", p, name)
		}
		if q, dup := seen[name]; dup && name != "" {
			t.Errorf("protocols %d and %d are both %q", q, p, name)
		}
		seen[name] = p
	}
}

func TestTransport(t *testing.T) {
	tests := []struct {
		p    uint64
		want string
	}{
		{6, "tcp"}, {17, "udp"}, {1, "icmp"}, {58, "icmp"}, {47, "gre"}, {50, "esp"}, {132, "sctp"},
		{0, "hopopt"}, {61, ""}, {200, ""}, {300, ""},
	}
	for _, tt := range tests {
		if got := Transport(tt.p); got != tt.want {
			t.Errorf("Transport(%d) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestCIMProtocol(t *testing.T) {
	tests := []struct {
		p    uint64
		want string
	}{
		{6, "ip"}, {17, "ip"}, {1, "icmp"}, {58, "icmp"}, {47, "ip"}, {50, "ip"}, {0, "ip"}, {255, "ip"},
	}
	for _, tt := range tests {
		if got := CIMProtocol(tt.p); got != tt.want {
			t.Errorf("CIMProtocol(%d) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestProtocolVersion(t *testing.T) {
	tests := []struct {
		addr string
		want string
	}{
		{"10.0.0.1", "ipv4"}, {"0.0.0.0", "ipv4"}, {"2600:1f18::1", "ipv6"}, {"::", "ipv6"},
		{"::ffff:10.0.0.1", "ipv4"}, {"fe80::1%eth0", "ipv6"}, {"", ""},
	}
	for _, tt := range tests {
		var a netip.Addr
		if tt.addr != "" {
			a = netip.MustParseAddr(tt.addr)
		}
		if got := ProtocolVersion(a); got != tt.want {
			t.Errorf("ProtocolVersion(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestAction(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"ACCEPT", "allowed"}, {"REJECT", "blocked"},
		{"", ""}, {"-", ""}, {"accept", ""}, {"ACCEPTED", ""}, {"NODATA", ""},
	}
	for _, tt := range tests {
		if got := Action([]byte(tt.in)); got != tt.want {
			t.Errorf("Action(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Action(nil); got != "" {
		t.Errorf("Action(nil) = %q", got)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		start, end uint64
		want       int64
		ok         bool
	}{
		{1418530010, 1418530070, 60, true},
		{1418530010, 1418530010, 0, true},
		{0, 1 << 62, 1 << 62, true},
		{1418530070, 1418530010, 0, false},
		{0, 1 << 63, 0, false},
	}
	for _, tt := range tests {
		got, ok := Duration(tt.start, tt.end)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Duration(%d, %d) = %d, %v; want %d, %v", tt.start, tt.end, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTCPFlags(t *testing.T) {
	tests := []struct {
		flags uint64
		want  []string
	}{
		{0, nil},
		{1, []string{"FIN"}},
		{2, []string{"SYN"}},
		{3, []string{"FIN", "SYN"}},
		{4, []string{"RST"}},
		{8, []string{"PSH"}},
		{16, []string{"ACK"}},
		{17, []string{"FIN", "ACK"}},
		{18, []string{"SYN", "ACK"}},
		{19, []string{"FIN", "SYN", "ACK"}},
		{20, []string{"RST", "ACK"}},
		{24, []string{"PSH", "ACK"}},
		{27, []string{"FIN", "SYN", "PSH", "ACK"}},
		{32, []string{"URG"}},
		{64, []string{"ECE"}},
		{128, []string{"CWR"}},
		{194, []string{"SYN", "ECE", "CWR"}},
		{255, []string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"}},
		{256, nil},
		{1 << 40, nil},
	}
	for _, tt := range tests {
		if got := TCPFlags(tt.flags); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("TCPFlags(%d) = %q, want %q", tt.flags, got, tt.want)
		}
	}
}

// TestTCPFlagsTable checks every entry: the names give back the mask, in
// bit order, and an append cannot write into a neighbour.
func TestTCPFlagsTable(t *testing.T) {
	bit := make(map[string]uint64)
	for i, n := range tcpFlagNames {
		bit[n] = 1 << i
	}
	for m := range uint64(256) {
		names := TCPFlags(m)
		var got, last uint64
		for _, n := range names {
			if bit[n] <= last {
				t.Errorf("TCPFlags(%d) = %q: not in bit order", m, names)
			}
			last = bit[n]
			got |= bit[n]
		}
		if got != m {
			t.Errorf("TCPFlags(%d) = %q, which is %d", m, names, got)
		}
		if cap(names) != len(names) {
			t.Errorf("TCPFlags(%d) has spare capacity %d", m, cap(names)-len(names))
		}
	}
	_ = append(TCPFlags(1), "X")
	if got := TCPFlags(2); !reflect.DeepEqual(got, []string{"SYN"}) {
		t.Errorf("after an append to TCPFlags(1), TCPFlags(2) = %q", got)
	}
}

func TestFlowDirection(t *testing.T) {
	tests := []struct {
		in   string
		want Direction
		cim  string
		str  string
	}{
		{"ingress", Inbound, "inbound", "inbound"},
		{"egress", Outbound, "outbound", "outbound"},
		{"", DirectionUnknown, "", "unknown"},
		{"-", DirectionUnknown, "", "unknown"},
		{"INGRESS", DirectionUnknown, "", "unknown"},
	}
	for _, tt := range tests {
		got := FlowDirection([]byte(tt.in))
		if got != tt.want || got.CIM() != tt.cim || got.String() != tt.str {
			t.Errorf("FlowDirection(%q) = %v (CIM %q); want %v (CIM %q)", tt.in, got, got.CIM(), tt.want, tt.cim)
		}
	}
	if Internal.CIM() != "" || Internal.String() != "internal" || Direction(9).String() != "unknown" || Direction(9).CIM() != "" {
		t.Error("Internal or out-of-range Direction")
	}
}

func TestScope(t *testing.T) {
	aws := func(a netip.Addr) bool {
		return netip.MustParsePrefix("52.216.0.0/15").Contains(a) ||
			netip.MustParsePrefix("2600:1f18::/33").Contains(a) ||
			// Private addresses are private even if the func says AWS.
			netip.MustParsePrefix("10.0.0.0/8").Contains(a)
	}
	tests := []struct {
		addr    string
		private bool
		scope   Scope
		noAWS   Scope // with a nil isAWS
		str     string
	}{
		{"10.0.0.1", true, ScopePrivate, ScopePrivate, "private"},
		{"172.16.0.1", true, ScopePrivate, ScopePrivate, "private"},
		{"172.31.255.255", true, ScopePrivate, ScopePrivate, "private"},
		{"172.32.0.1", false, ScopePublic, ScopePublic, "public"},
		{"192.168.1.1", true, ScopePrivate, ScopePrivate, "private"},
		{"100.64.0.1", true, ScopePrivate, ScopePrivate, "private"},
		{"100.127.255.255", true, ScopePrivate, ScopePrivate, "private"},
		{"100.128.0.1", false, ScopePublic, ScopePublic, "public"},
		{"100.63.255.255", false, ScopePublic, ScopePublic, "public"},
		{"169.254.169.254", true, ScopePrivate, ScopePrivate, "private"},
		{"127.0.0.1", true, ScopePrivate, ScopePrivate, "private"},
		{"fd00:ec2::254", true, ScopePrivate, ScopePrivate, "private"},
		{"fe80::1", true, ScopePrivate, ScopePrivate, "private"},
		{"::1", true, ScopePrivate, ScopePrivate, "private"},
		{"::ffff:192.168.1.1", true, ScopePrivate, ScopePrivate, "private"},
		{"52.217.1.1", false, ScopeAWS, ScopePublic, "aws"},
		{"::ffff:52.217.1.1", false, ScopeAWS, ScopePublic, "aws"},
		{"2600:1f18::1", false, ScopeAWS, ScopePublic, "aws"},
		{"8.8.8.8", false, ScopePublic, ScopePublic, "public"},
		{"2001:4860::8888", false, ScopePublic, ScopePublic, "public"},
		{"", false, ScopeUnknown, ScopeUnknown, ""},
	}
	for _, tt := range tests {
		var a netip.Addr
		if tt.addr != "" {
			a = netip.MustParseAddr(tt.addr)
		}
		if got := IsPrivate(a); got != tt.private {
			t.Errorf("IsPrivate(%s) = %v", tt.addr, got)
		}
		if got := AddrScope(a, aws); got != tt.scope || got.String() != tt.str {
			t.Errorf("AddrScope(%s) = %v (%q), want %v (%q)", tt.addr, got, got, tt.scope, tt.str)
		}
		if got := AddrScope(a, nil); got != tt.noAWS {
			t.Errorf("AddrScope(%s, nil) = %v, want %v", tt.addr, got, tt.noAWS)
		}
	}
	if Scope(9).String() != "" {
		t.Error("out-of-range Scope has a name")
	}
}
