package awsinv_test

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/flowhec/flowhec/enrich/awsinv"
	"github.com/flowhec/flowhec/enrich/ec2test"
	"github.com/flowhec/flowhec/enrich/inventory"
)

// TestResolverFindsNewInterface: an interface created after the last
// refresh is found on the first miss (IPv4 and IPv6), with the instance
// it is attached to, and Refresher.Extend puts it into the index.
func TestResolverFindsNewInterface(t *testing.T) {
	fleet := ec2test.Fleet([]string{acctB}, []string{"us-east-1", "eu-west-1"}, 4)
	s := newFake(t, fleet)
	cfg := testConfig("us-east-1", "eu-west-1")
	cfg.RoleARNs = []string{roleOf(acctB)}
	l := newLoader(t, s, cfg)
	var mu sync.Mutex
	var index *inventory.Inventory
	r := awsinv.NewRefresher(l, func(inv *inventory.Inventory) {
		mu.Lock()
		index = inv
		mu.Unlock()
	})
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}

	// EC2 gets a new instance in eu-west-1 with an IPv4 and an IPv6 address.
	tmpl := fleet.NetworkInterfaces[4] // eu-west-1, attached
	v4, v6 := netip.MustParseAddr("10.1.200.9"), netip.MustParseAddr("2600:1f18::9")
	eni := tmpl
	eni.NetworkInterfaceID = "eni-0new"
	eni.PrivateIPAddresses = []netip.Addr{v4}
	eni.IPv6Addresses = []netip.Addr{v6}
	eni.Attachment = &inventory.Attachment{InstanceID: "i-0new", Status: "attached", AttachTime: time.Now().UTC().Truncate(time.Second)}
	inst := fleet.Instances[2]
	inst.InstanceID, inst.PrivateIPAddress = "i-0new", v4
	inst.NetworkInterfaces = []string{"eni-0new"}
	inst.Tags = map[string]string{"Name": "metrics-collector", "service": "clarity-collector"}
	s.Edit(func(inv *inventory.Inventory) {
		inv.NetworkInterfaces = append(inv.NetworkInterfaces, eni)
		inv.Instances = append(inv.Instances, inst)
	})

	var found []awsinv.Found
	res := awsinv.NewResolver(l, func(f awsinv.Found) {
		mu.Lock()
		found = append(found, f)
		mu.Unlock()
		if err := r.Extend(f); err != nil {
			t.Error(err)
		}
	})
	runInBackground(t, res.Run)
	if !res.Ask(v4) || !res.Ask(v6) {
		t.Fatal("Ask refused a new address")
	}
	owner := func(a netip.Addr) *inventory.NetworkInterface {
		mu.Lock()
		defer mu.Unlock()
		return index.InterfaceByAddr(a)
	}
	foundAddrs := func() []netip.Addr {
		mu.Lock()
		defer mu.Unlock()
		var addrs []netip.Addr
		for _, f := range found {
			addrs = append(addrs, f.Addrs...)
		}
		return addrs
	}
	// The first batch may hold one address or both; wait for both answers.
	waitFor(t, 5*time.Second, "both addresses found", func() bool {
		a := foundAddrs()
		return slices.Contains(a, v4) && slices.Contains(a, v6)
	})
	waitFor(t, 5*time.Second, "both addresses in the index", func() bool { return owner(v4) != nil && owner(v6) != nil })
	ni := owner(v4)
	if ni.NetworkInterfaceID != "eni-0new" || ni.Region != "eu-west-1" || ni.AccountID != acctB {
		t.Fatalf("found %+v", ni)
	}
	mu.Lock()
	defer mu.Unlock()
	if in := index.InstanceByID("i-0new"); in == nil || in.Tags["service"] != "clarity-collector" {
		t.Fatalf("instance %+v", in)
	}
	// Each filter asked the addresses of its family, in both regions.
	var filters []string
	for _, q := range s.Requests() {
		if q.Action == "DescribeNetworkInterfaces" && q.Form.Get("Filter.1.Name") != "" {
			filters = append(filters, q.Region+" "+q.Form.Get("Filter.1.Name")+"="+q.Form.Get("Filter.1.Value.1"))
		}
	}
	slices.Sort(filters)
	want := []string{
		"eu-west-1 addresses.private-ip-address=10.1.200.9", "eu-west-1 ipv6-addresses.ipv6-address=2600:1f18::9",
		"us-east-1 addresses.private-ip-address=10.1.200.9", "us-east-1 ipv6-addresses.ipv6-address=2600:1f18::9",
	}
	if !slices.Equal(filters, want) {
		t.Fatalf("lookups %v, want %v", filters, want)
	}
}

// waitStats polls a resolver's counters.
func waitStats(t *testing.T, r *awsinv.Resolver, what string, cond func(awsinv.LookupStats) bool) awsinv.LookupStats {
	t.Helper()
	var st awsinv.LookupStats
	waitFor(t, 5*time.Second, what, func() bool { st = r.Stats(); return cond(st) })
	return st
}

// TestResolverDedupe: many concurrent asks for one address make one call.
func TestResolverDedupe(t *testing.T) {
	fleet := ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 4)
	s := newFake(t, fleet)
	l := newLoader(t, s, testConfig("us-east-1"))
	var mu sync.Mutex
	var found []awsinv.Found
	res := awsinv.NewResolver(l, func(f awsinv.Found) { mu.Lock(); found = append(found, f); mu.Unlock() })
	addr := fleet.NetworkInterfaces[2].PrivateIPAddresses[0]

	var wg sync.WaitGroup
	var queued sync.Map
	for g := range 10 {
		wg.Go(func() {
			for i := range 10 {
				if res.Ask(addr) {
					queued.Store(g*10+i, true)
				}
			}
		})
	}
	wg.Wait()
	n := 0
	queued.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d asks queued, want 1", n)
	}
	runInBackground(t, res.Run)
	st := waitStats(t, res, "the lookup", func(st awsinv.LookupStats) bool { return st.Found == 1 })
	if st.Asked != 100 || st.Queued != 1 || st.Deduplicated != 99 || st.Calls != 2 { // interfaces, then the instance
		t.Fatalf("stats %+v", st)
	}
	if c := s.Calls(ec2test.Match{Action: "DescribeNetworkInterfaces"}); c != 1 {
		t.Fatalf("%d DescribeNetworkInterfaces calls, want 1", c)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(found) != 1 || found[0].Interfaces[0].NetworkInterfaceID != fleet.NetworkInterfaces[2].NetworkInterfaceID ||
		len(found[0].Instances) != 1 || found[0].Instances[0].Tags["Name"] != "app-2" {
		t.Fatalf("found %+v", found)
	}
}

// TestResolverNegativeCache: an address EC2 does not know is not asked
// about again until negative_ttl has passed.
func TestResolverNegativeCache(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 2))
	cfg := testConfig("us-east-1")
	cfg.Lookup.NegativeTTL = 300 * time.Millisecond
	l := newLoader(t, s, cfg)
	res := awsinv.NewResolver(l, func(awsinv.Found) { t.Error("found an address nobody has") })
	runInBackground(t, res.Run)
	unknown := netip.MustParseAddr("10.0.250.250")
	if !res.Ask(unknown) {
		t.Fatal("first ask refused")
	}
	asked := time.Now()
	waitStats(t, res, "the lookup", func(st awsinv.LookupStats) bool { return st.NotFound == 1 })
	answered := time.Now() // no earlier than the answer
	// The answer came after the ask, so it stands until at least
	// asked+300ms.
	for time.Since(asked) < 200*time.Millisecond {
		if res.Ask(unknown) {
			t.Fatalf("asked again %v after the answer", time.Since(asked))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := res.Stats(); st.Cached == 0 || st.Calls != 1 {
		t.Fatalf("stats %+v", st)
	}
	time.Sleep(time.Until(answered.Add(350 * time.Millisecond)))
	if !res.Ask(unknown) {
		t.Fatal("still refused after negative_ttl")
	}
	waitStats(t, res, "the second lookup", func(st awsinv.LookupStats) bool { return st.NotFound == 2 })
	if c := s.Calls(ec2test.Match{Action: "DescribeNetworkInterfaces"}); c != 2 {
		t.Fatalf("%d calls, want 2", c)
	}
}

// TestResolverRateLimit: lookups wait for the limiter: six addresses
// asked one per call at 20 calls a second (burst 1) take at least 250 ms.
func TestResolverRateLimit(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 2))
	cfg := testConfig("us-east-1")
	cfg.Lookup.Rate, cfg.Lookup.Burst, cfg.Lookup.Batch = 20, 1, 1
	l := newLoader(t, s, cfg)
	res := awsinv.NewResolver(l, func(awsinv.Found) {})
	for i := range 6 {
		if !res.Ask(netip.AddrFrom4([4]byte{10, 9, 0, byte(i)})) {
			t.Fatal("ask refused")
		}
	}
	start := time.Now()
	runInBackground(t, res.Run)
	waitStats(t, res, "six lookups", func(st awsinv.LookupStats) bool { return st.NotFound == 6 })
	if d := time.Since(start); d < 240*time.Millisecond {
		t.Fatalf("six calls at 20/s (burst 1) took %v, want at least 250ms", d)
	}
	if c := s.Calls(ec2test.Match{}); c != 6 {
		t.Fatalf("%d calls, want 6", c)
	}
}

// TestResolverBatches: addresses asked together go in one filter, and the
// answer says which were found.
func TestResolverBatches(t *testing.T) {
	fleet := ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 40)
	s := newFake(t, fleet)
	l := newLoader(t, s, testConfig("us-east-1"))
	var mu sync.Mutex
	var found []netip.Addr
	res := awsinv.NewResolver(l, func(f awsinv.Found) { mu.Lock(); found = append(found, f.Addrs...); mu.Unlock() })
	var want []netip.Addr
	for i := range 40 {
		if i%4 == 1 { // lambda interfaces: no instance to describe
			a := fleet.NetworkInterfaces[i].PrivateIPAddresses[0]
			want = append(want, a)
			res.Ask(a)
		}
		res.Ask(netip.AddrFrom4([4]byte{10, 9, 1, byte(i)}))
	}
	runInBackground(t, res.Run)
	waitStats(t, res, "the batch", func(st awsinv.LookupStats) bool { return st.Found+st.NotFound == 50 })
	if c := s.Calls(ec2test.Match{}); c != 1 {
		t.Fatalf("%d calls for one batch of 50, want 1", c)
	}
	mu.Lock()
	defer mu.Unlock()
	slices.SortFunc(found, netip.Addr.Compare)
	slices.SortFunc(want, netip.Addr.Compare)
	if !slices.Equal(found, want) {
		t.Fatalf("found %v, want %v", found, want)
	}
}

// TestResolverQueueFull: when the queue is full, Ask drops and says so.
func TestResolverQueueFull(t *testing.T) {
	s := newFake(t, nil)
	cfg := testConfig("us-east-1")
	cfg.Lookup.Queue = 2
	l := newLoader(t, s, cfg)
	res := awsinv.NewResolver(l, func(awsinv.Found) {})
	got := []bool{
		res.Ask(netip.MustParseAddr("10.0.0.1")),
		res.Ask(netip.MustParseAddr("10.0.0.2")),
		res.Ask(netip.MustParseAddr("10.0.0.3")),
		res.Ask(netip.Addr{}),
	}
	if !slices.Equal(got, []bool{true, true, false, false}) {
		t.Fatalf("asks %v", got)
	}
	if st := res.Stats(); st.Dropped != 1 || st.Queued != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// TestResolverDisabled: with lookup.enabled false nothing is asked.
func TestResolverDisabled(t *testing.T) {
	s := newFake(t, nil)
	cfg := testConfig("us-east-1")
	cfg.Lookup.Enabled = false
	l := newLoader(t, s, cfg)
	res := awsinv.NewResolver(l, func(awsinv.Found) {})
	stop := runInBackground(t, res.Run)
	if res.Ask(netip.MustParseAddr("10.0.0.1")) {
		t.Fatal("a disabled resolver queued an address")
	}
	stop()
	if s.Calls(ec2test.Match{}) != 0 {
		t.Fatal("a disabled resolver called EC2")
	}
}
