package inventory_test

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowhec/flowhec/enrich/inventory"
	"github.com/flowhec/flowhec/flowgen"
)

func loadSmall(t testing.TB) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Load("testdata/small.json")
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestIndexLookup(t *testing.T) {
	cfg := inventory.DefaultConfig()
	cfg.Names = []inventory.CIDRName{
		{CIDR: netip.MustParsePrefix("10.9.0.0/16"), Name: "corp-vpn"},
		{CIDR: netip.MustParsePrefix("10.20.0.0/16"), Name: "prod-vpc-unassigned"},
		{CIDR: netip.MustParsePrefix("2001:db8::/32"), Name: "office"},
	}
	ix, err := inventory.Build(loadSmall(t), nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	attach := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	collector := inventory.Owner{
		ENI: "eni-0c0ffee0c0ffee001", InstanceID: "i-0123456789abcdef0", InstanceName: "clarity-collector",
		Service: "metrics", VPCID: "vpc-0a1b2c3d4e5f60718", SubnetID: "subnet-0bbbbbbbbbbbbbbb2", AZ: "eu-west-1b",
		SecurityGroups: "sg-0aaaa00000000000a,sg-0ffff00000000000b", InterfaceType: "interface",
		AccountID: "111122223333", Region: "eu-west-1", Since: attach,
	}
	alb := inventory.Owner{
		ENI: "eni-0a1b00000000000a1", Service: "web", VPCID: "vpc-0a1b2c3d4e5f60718", SubnetID: "subnet-0aaaaaaaaaaaaaaa1",
		AZ: "eu-west-1a", SecurityGroups: "sg-0bbbb00000000000c", InterfaceType: "interface", Resource: "elb:app/web-prod",
		AccountID: "111122223333", Region: "eu-west-1",
	}
	nat := inventory.Owner{
		ENI: "eni-0da7000000000000d", VPCID: "vpc-0a1b2c3d4e5f60718", SubnetID: "subnet-0aaaaaaaaaaaaaaa1",
		AZ: "eu-west-1a", InterfaceType: "nat_gateway", Resource: "nat:nat-0e1f2a3b4c5d6e7f8",
		AccountID: "111122223333", Region: "eu-west-1",
	}
	lambda := inventory.Owner{
		ENI: "eni-0f00000000000f001", Service: "orders", VPCID: "vpc-0a1b2c3d4e5f60718", SubnetID: "subnet-0bbbbbbbbbbbbbbb2",
		AZ: "eu-west-1b", SecurityGroups: "sg-0cccc00000000000d", InterfaceType: "lambda", Resource: "lambda:orders-fn",
		AccountID: "111122223333", Region: "eu-west-1",
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix()
	tests := []struct {
		addr string
		want *inventory.Owner
	}{
		{"10.20.17.67", &collector},
		{"10.20.17.68", &collector}, // secondary address
		{"::ffff:10.20.17.67", &collector},
		{"10.20.1.10", &alb},
		{"2a05:d018:abc:de00::10", &alb},
		{"198.51.100.10", &alb}, // public address
		{"10.20.1.5", &nat},
		{"198.51.100.5", &nat},
		{"10.20.18.9", &lambda},
		{"10.20.18.10", &inventory.Owner{Service: "prod-vpc-unassigned"}},
		{"10.9.255.255", &inventory.Owner{Service: "corp-vpn"}},
		{"2001:db8:1::1", &inventory.Owner{Service: "office"}},
		{"10.10.0.0", nil},
		{"8.8.8.8", nil},
		{"2a05:d018:abc:de00::11", nil},
	}
	for _, tt := range tests {
		got, ok := ix.Lookup(netip.MustParseAddr(tt.addr), now)
		switch {
		case tt.want == nil && (ok || got != nil):
			t.Errorf("Lookup(%s) = %+v, %v; want none", tt.addr, got, ok)
		case tt.want != nil && (!ok || got == nil):
			t.Errorf("Lookup(%s) found nothing; want %+v", tt.addr, *tt.want)
		case tt.want != nil && *got != *tt.want:
			t.Errorf("Lookup(%s) =\n  %+v\nwant\n  %+v", tt.addr, *got, *tt.want)
		}
	}
	if _, ok := ix.Lookup(netip.Addr{}, now); ok {
		t.Error("the zero address has an owner")
	}
	var nilIndex *inventory.Index
	if _, ok := nilIndex.Lookup(netip.MustParseAddr("10.20.17.67"), now); ok {
		t.Error("a nil index found an owner")
	}
	if ix.Len() != 8 {
		t.Errorf("Len %d, want 8 addresses", ix.Len())
	}
}

func TestServiceTags(t *testing.T) {
	inst := func(tags map[string]string) *inventory.Inventory {
		return &inventory.Inventory{
			NetworkInterfaces: []inventory.NetworkInterface{{
				NetworkInterfaceID: "eni-01", PrivateIPAddresses: []netip.Addr{netip.MustParseAddr("10.0.0.1")},
				Attachment: &inventory.Attachment{InstanceID: "i-01"},
				Tags:       map[string]string{"service": "from-eni", "team": "eni-team"},
			}},
			Instances: []inventory.Instance{{InstanceID: "i-01", Tags: tags}},
		}
	}
	tests := []struct {
		name string
		keys []string
		tags map[string]string
		want string
	}{
		{"first default key on the instance", nil, map[string]string{"service": "svc", "app": "app"}, "svc"},
		{"a later key when the first is empty", nil, map[string]string{"service": "", "app": "app"}, "app"},
		{"stack name last", nil, map[string]string{"aws:cloudformation:stack-name": "stack"}, "stack"},
		{"keys are case-sensitive, in order", nil, map[string]string{"Service": "Upper", "app": "lower"}, "lower"},
		{"the interface's tags when the instance has none", nil, map[string]string{"Name": "x"}, "from-eni"},
		{"configured keys", []string{"team"}, map[string]string{"service": "svc"}, "eni-team"},
		{"configured keys on the instance first", []string{"team", "service"}, map[string]string{"service": "svc"}, "svc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := inventory.DefaultConfig()
			if tt.keys != nil {
				cfg.ServiceTags = tt.keys
			}
			ix, err := inventory.Build(inst(tt.tags), nil, cfg)
			if err != nil {
				t.Fatal(err)
			}
			o, ok := ix.Lookup(netip.MustParseAddr("10.0.0.1"), 0)
			if !ok || o.Service != tt.want {
				t.Errorf("service %q, want %q", o.Service, tt.want)
			}
		})
	}
}

// TestNames checks longest-prefix naming against a scan of every prefix.
func TestNames(t *testing.T) {
	names := []inventory.CIDRName{
		{CIDR: netip.MustParsePrefix("10.0.0.0/8"), Name: "corp"},
		{CIDR: netip.MustParsePrefix("10.9.0.0/16"), Name: "corp-vpn"},
		{CIDR: netip.MustParsePrefix("10.9.1.0/24"), Name: "vpn-admins"},
		{CIDR: netip.MustParsePrefix("10.9.1.128/32"), Name: "jump-host"},
		{CIDR: netip.MustParsePrefix("10.9.2.0/24"), Name: "vpn-ops"},
		{CIDR: netip.MustParsePrefix("10.10.0.0/16"), Name: "lab"},
		{CIDR: netip.MustParsePrefix("192.168.0.0/16"), Name: "office"},
		{CIDR: netip.MustParsePrefix("255.255.255.0/24"), Name: "top"},
		{CIDR: netip.MustParsePrefix("0.0.0.0/0"), Name: "internet"},
		{CIDR: netip.MustParsePrefix("fd00::/8"), Name: "ula"},
		{CIDR: netip.MustParsePrefix("fd00:1::/32"), Name: "ula-1"},
		{CIDR: netip.MustParsePrefix("fd00:1::/64"), Name: "ula-1-0"},
		{CIDR: netip.MustParsePrefix("2001:db8::/32"), Name: "doc"},
		{CIDR: netip.MustParsePrefix("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"), Name: "v6-top"},
	}
	cfg := inventory.DefaultConfig()
	cfg.Names = names
	ix, err := inventory.Build(nil, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := func(a netip.Addr) string {
		best, bits := "", -1
		for _, n := range names {
			if n.CIDR.Contains(a) && n.CIDR.Bits() > bits {
				best, bits = n.Name, n.CIDR.Bits()
			}
		}
		return best
	}
	check := func(a netip.Addr) {
		t.Helper()
		o, ok := ix.Lookup(a, 0)
		got := ""
		if ok {
			got = o.Service
		}
		if w := want(a); got != w {
			t.Errorf("Lookup(%v) names %q, want %q", a, got, w)
		}
	}
	// Every prefix's edges and their neighbours, then random addresses
	// near the prefixes.
	for _, n := range names {
		first := n.CIDR.Masked().Addr()
		last := lastAddr(n.CIDR)
		for _, a := range []netip.Addr{first, first.Prev(), first.Next(), last, last.Prev(), last.Next()} {
			if a.IsValid() {
				check(a)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		n := names[r.IntN(len(names))]
		b := n.CIDR.Addr().AsSlice()
		for i := len(b) - 1 - r.IntN(3); i < len(b); i++ {
			b[i] = byte(r.Uint32())
		}
		a, _ := netip.AddrFromSlice(b)
		check(a)
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func TestConfigValidate(t *testing.T) {
	if err := inventory.DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	tests := []struct {
		name   string
		change func(*inventory.Config)
		want   string
	}{
		{"empty tag key", func(c *inventory.Config) { c.ServiceTags = []string{"service", ""} }, "service_tags[1]: empty tag key"},
		{"host bits", func(c *inventory.Config) {
			c.Names = []inventory.CIDRName{{CIDR: netip.MustParsePrefix("10.9.0.1/16"), Name: "vpn"}}
		}, "cidr_names[0].cidr: 10.9.0.1/16 has bits set past /16; did you mean 10.9.0.0/16?"},
		{"no prefix", func(c *inventory.Config) { c.Names = []inventory.CIDRName{{Name: "vpn"}} }, "cidr_names[0].cidr: missing or invalid"},
		{"no name", func(c *inventory.Config) {
			c.Names = []inventory.CIDRName{{CIDR: netip.MustParsePrefix("10.9.0.0/16")}}
		}, "cidr_names[0].name: empty"},
		{"named twice", func(c *inventory.Config) {
			p := netip.MustParsePrefix("10.9.0.0/16")
			c.Names = []inventory.CIDRName{{CIDR: p, Name: "a"}, {CIDR: p, Name: "b"}}
		}, "cidr_names[1].cidr: 10.9.0.0/16 is named already by cidr_names[0]"},
		{"mapped prefix", func(c *inventory.Config) {
			c.Names = []inventory.CIDRName{{CIDR: netip.MustParsePrefix("::ffff:10.0.0.0/104"), Name: "x"}}
		}, "IPv4-mapped"},
		{"history age", func(c *inventory.Config) { c.History.MaxAge = 0 }, "history.max_age: 0s"},
		{"history length", func(c *inventory.Config) { c.History.MaxIntervals = 0 }, "history.max_intervals: 0; want at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := inventory.DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want it to say %q", err, tt.want)
			}
			if _, err := inventory.Build(nil, nil, c); err == nil {
				t.Error("Build accepted the config")
			}
		})
	}
}

// TestLookupAllocs guards the hot path: a lookup allocates nothing, hit
// or miss, IPv4 or IPv6, with or without history.
func TestLookupAllocs(t *testing.T) {
	cfg := inventory.DefaultConfig()
	cfg.Names = []inventory.CIDRName{{CIDR: netip.MustParsePrefix("10.9.0.0/16"), Name: "corp-vpn"}, {CIDR: netip.MustParsePrefix("fd00::/8"), Name: "ula"}}
	h, _ := inventory.NewHistory(cfg.History)
	inv := loadSmall(t)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if err := h.Observe(inv, t0); err != nil {
		t.Fatal(err)
	}
	ix, err := inventory.Build(inv, h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var cur inventory.Current
	cur.Store(ix)
	for _, s := range []string{"10.20.17.67", "2a05:d018:abc:de00::10", "198.51.100.5", "10.9.3.3", "fd00::1", "8.8.8.8", "2001:db8::1", "::ffff:10.20.1.5"} {
		a := netip.MustParseAddr(s)
		if n := testing.AllocsPerRun(100, func() { cur.Lookup(a, t0.Unix()) }); n != 0 {
			t.Errorf("Lookup(%s) allocates %v times", s, n)
		}
	}
}

// TestFlowgenInventory builds the index of the generator's fleet, the
// inventory its sample flow logs are enriched with.
func TestFlowgenInventory(t *testing.T) {
	cfg := flowgen.DefaultConfig()
	g, err := flowgen.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	inv := g.Inventory()
	if err := inv.Validate(); err != nil {
		t.Fatalf("flowgen's inventory does not validate: %v", err)
	}
	ix, err := inventory.Build(inv, nil, inventory.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	o, ok := ix.Lookup(netip.MustParseAddr("172.31.1.67"), cfg.Start.Unix())
	if !ok || o.InstanceName != "clarity-collector" || o.Service != "metrics" || o.Resource != "" {
		t.Errorf("172.31.1.67: %+v", o)
	}
	resources := map[string]bool{}
	for _, ni := range inv.NetworkInterfaces {
		o, ok := ix.Lookup(ni.PrivateIPAddresses[0], cfg.Start.Unix())
		if !ok || o.ENI != ni.NetworkInterfaceID {
			t.Errorf("%v: %+v, want %s", ni.PrivateIPAddresses[0], o, ni.NetworkInterfaceID)
			continue
		}
		resources[o.Resource] = true
	}
	for _, want := range []string{"", "rds", "nat:nat-", "lambda:orders-fn", "vpce:vpce-", "elb:app/web-prod", "elb:net/metrics-ingest", "ecs:task-attachment/"} {
		found := false
		for got := range resources {
			found = found || got == want || want != "" && strings.HasPrefix(got, want)
		}
		if !found {
			t.Errorf("no interface of the fleet is %q; have %v", want, resources)
		}
	}
}

// TestCurrentSwap has readers look addresses up while a writer swaps
// indexes under them: every answer must come whole from one index.
func TestCurrentSwap(t *testing.T) {
	a := netip.MustParseAddr("10.0.0.1")
	mk := func(service string) *inventory.Index {
		inv := &inventory.Inventory{NetworkInterfaces: []inventory.NetworkInterface{{
			NetworkInterfaceID: "eni-" + service, PrivateIPAddresses: []netip.Addr{a},
			Tags: map[string]string{"service": service},
		}}}
		ix, err := inventory.Build(inv, nil, inventory.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		return ix
	}
	var cur inventory.Current
	if _, ok := cur.Lookup(a, 0); ok {
		t.Fatal("an empty Current found an owner")
	}
	blue, green := mk("blue"), mk("green")
	cur.Store(blue)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var lookups atomic.Int64
	for range 4 {
		wg.Go(func() {
			for n := 0; !stop.Load(); n++ {
				o, ok := cur.Lookup(a, 0)
				if !ok || o.ENI != "eni-"+o.Service {
					t.Errorf("torn answer %+v", o)
					return
				}
				lookups.Add(1)
			}
		})
	}
	// Swap until the readers have done plenty of lookups across swaps.
	for i := 0; i < 2000 || lookups.Load() < 20000 && !t.Failed() && i < 1_000_000; i++ {
		if i%2 == 0 {
			cur.Store(green)
		} else {
			cur.Store(blue)
		}
		if i%100 == 0 {
			cur.Store(mk("fresh")) // a newly built index, not one the readers saw
		}
	}
	stop.Store(true)
	wg.Wait()
	if lookups.Load() == 0 {
		t.Error("no lookups ran")
	}
}

// TestIndexLarge checks every address of a larger fleet, in which every
// address changes hands at each of three observations, at times within
// each interval.
func TestIndexLarge(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	inv := synthInventory(n)
	h, err := inventory.NewHistory(inventory.DefaultHistoryConfig())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var last *inventory.Inventory
	for step := range 3 {
		last = shifted(inv, step)
		if err := h.Observe(last, t0.Add(time.Duration(step)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := inventory.Build(last, h, inventory.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	times := []struct {
		at    time.Time
		step  int
		since time.Time
	}{
		// Before anything known: the first holder, held since an unknown
		// time (the first observation, without attachment times).
		{t0.Add(-time.Hour), 0, time.Time{}},
		{t0.Add(30 * time.Minute), 0, time.Time{}},
		{t0.Add(90 * time.Minute), 1, t0.Add(time.Hour)},
		{t0.Add(3 * time.Hour), 2, t0.Add(2 * time.Hour)},
	}
	bad := 0
	for j := range n {
		src := &inv.NetworkInterfaces[j]
		addrs := append(append([]netip.Addr{}, src.PrivateIPAddresses...), src.IPv6Addresses...)
		if src.PublicIP.IsValid() {
			addrs = append(addrs, src.PublicIP)
		}
		for _, a := range addrs {
			for _, tt := range times {
				want := inv.NetworkInterfaces[(j-tt.step+n)%n].NetworkInterfaceID
				o, ok := ix.Lookup(a, tt.at.Unix())
				if !ok || o.ENI != want || !o.Since.Equal(tt.since) {
					if bad++; bad < 10 {
						t.Errorf("%v at %v: %+v, want %s since %v", a, tt.at, o, want, tt.since)
					}
				}
			}
		}
	}
	if ix.Len() != h.Len() {
		t.Errorf("index of %d addresses, history of %d", ix.Len(), h.Len())
	}
}
