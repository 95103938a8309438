package inventory_test

import (
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/flowhec/flowhec/enrich/inventory"
)

const benchENIs = 100_000

var bench struct {
	once    sync.Once
	inv     *inventory.Inventory
	ix      *inventory.Index
	histIx  *inventory.Index // every address handed over twice
	histAt  int64            // a time in the middle interval
	v4, v6  []netip.Addr
	public  []netip.Addr
	misses  []netip.Addr
	buildNs float64
}

func benchSetup(b *testing.B) {
	bench.once.Do(func() {
		inv := synthInventory(benchENIs)
		cfg := benchConfig()
		start := time.Now()
		ix, err := inventory.Build(inv, nil, cfg)
		if err != nil {
			b.Fatal(err)
		}
		bench.buildNs = float64(time.Since(start).Nanoseconds())
		bench.inv, bench.ix = inv, ix

		// Three inventories in which every address moves to the next
		// interface: each address has three intervals.
		h, err := inventory.NewHistory(cfg.History)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		var last *inventory.Inventory
		for step := range 3 {
			last = shifted(inv, step)
			if err := h.Observe(last, t0.Add(time.Duration(step)*time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
		if bench.histIx, err = inventory.Build(last, h, cfg); err != nil {
			b.Fatal(err)
		}
		bench.histAt = t0.Add(90 * time.Minute).Unix()

		r := rand.New(rand.NewPCG(3, 4))
		const n = 1 << 16
		for range n {
			i := r.IntN(benchENIs)
			bench.v4 = append(bench.v4, synthAddr(i))
			bench.v6 = append(bench.v6, synthAddr6(i/3*3))
			bench.public = append(bench.public, synthPublic(i/5*5))
			// Internet addresses outside every named prefix.
			bench.misses = append(bench.misses, netip.AddrFrom4([4]byte{byte(r.IntN(89) + 11), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}))
		}
	})
}

func benchConfig() inventory.Config {
	cfg := inventory.DefaultConfig()
	for i, p := range []string{"172.16.0.0/12", "172.20.0.0/16", "192.168.0.0/16", "100.64.0.0/10", "10.200.0.0/16"} {
		cfg.Names = append(cfg.Names, inventory.CIDRName{CIDR: netip.MustParsePrefix(p), Name: "named-" + string(rune('a'+i))})
	}
	for i := range 200 { // a few hundred on-premises networks
		cfg.Names = append(cfg.Names, inventory.CIDRName{CIDR: netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, byte(i), 0}), 24), Name: "site"})
	}
	return cfg
}

// shifted is inv with interface i holding the addresses of interface
// i+step (mod n), and no attachment times, so that every address changes
// hands at each step.
func shifted(inv *inventory.Inventory, step int) *inventory.Inventory {
	out := *inv
	n := len(inv.NetworkInterfaces)
	out.NetworkInterfaces = make([]inventory.NetworkInterface, n)
	for i := range inv.NetworkInterfaces {
		ni := inv.NetworkInterfaces[i]
		src := &inv.NetworkInterfaces[(i+step)%n]
		ni.PrivateIPAddresses, ni.IPv6Addresses, ni.PublicIP = src.PrivateIPAddresses, src.IPv6Addresses, src.PublicIP
		if ni.Attachment != nil {
			a := *ni.Attachment
			a.AttachTime = time.Time{}
			ni.Attachment = &a
		}
		out.NetworkInterfaces[i] = ni
	}
	return &out
}

func benchLookup(b *testing.B, ix func() *inventory.Index, addrs *[]netip.Addr, sec func() int64, wantHit bool) {
	benchSetup(b)
	x, as, t := ix(), *addrs, sec()
	if _, ok := x.Lookup(as[0], t); ok != wantHit {
		b.Fatalf("Lookup(%v) found %v", as[0], ok)
	}
	b.ReportAllocs()
	i, found := 0, 0
	for b.Loop() {
		if _, ok := x.Lookup(as[i&(len(as)-1)], t); ok {
			found++
		}
		i++
	}
	if wantHit && found != i || !wantHit && found != 0 {
		b.Fatalf("%d of %d lookups found an owner", found, i)
	}
}

// benchLookupChain makes each lookup wait for the one before (the next
// address depends on the last owner found), so that it measures latency
// rather than the throughput of lookups the CPU overlaps. With read, it
// also reads the owner found, as enrichment does: one more cache miss in
// a large fleet.
func benchLookupChain(b *testing.B, ix func() *inventory.Index, addrs *[]netip.Addr, sec func() int64, read bool) {
	benchSetup(b)
	x, as, t := ix(), *addrs, sec()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		o, _ := x.Lookup(as[i&(len(as)-1)], t)
		if read {
			i += 1 + len(o.ENI)&1
		} else {
			i += 1 + int(uintptr(unsafe.Pointer(o))>>4&1)
		}
	}
}

// BenchmarkLookup looks up random addresses of a 100,000-interface
// inventory, so that most probes miss the CPU caches as they would for a
// large fleet's traffic.
func BenchmarkLookup(b *testing.B) {
	plain := func() *inventory.Index { return bench.ix }
	now := func() int64 { return time.Now().Unix() }
	b.Run("private-v4", func(b *testing.B) { benchLookup(b, plain, &bench.v4, now, true) })
	b.Run("ipv6", func(b *testing.B) { benchLookup(b, plain, &bench.v6, now, true) })
	b.Run("public-v4", func(b *testing.B) { benchLookup(b, plain, &bench.public, now, true) })
	b.Run("miss-205-names", func(b *testing.B) { benchLookup(b, plain, &bench.misses, now, false) })
	hist := func() *inventory.Index { return bench.histIx }
	b.Run("history-3-intervals", func(b *testing.B) {
		benchLookup(b, hist, &bench.v4, func() int64 { return bench.histAt }, true)
	})
	b.Run("chained-private-v4", func(b *testing.B) { benchLookupChain(b, plain, &bench.v4, now, false) })
	b.Run("chained-ipv6", func(b *testing.B) { benchLookupChain(b, plain, &bench.v6, now, false) })
	b.Run("chained-miss", func(b *testing.B) { benchLookupChain(b, plain, &bench.misses, now, false) })
	b.Run("chained-history-3-intervals", func(b *testing.B) {
		benchLookupChain(b, hist, &bench.v4, func() int64 { return bench.histAt }, false)
	})
	b.Run("chained-private-v4-read-owner", func(b *testing.B) { benchLookupChain(b, plain, &bench.v4, now, true) })
}

// BenchmarkBuild builds the index of a 100,000-interface inventory and
// reports the heap the index keeps.
func BenchmarkBuild(b *testing.B) {
	benchSetup(b)
	cfg := benchConfig()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := inventory.Build(bench.inv, nil, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	before := heapInUse()
	ix, _ := inventory.Build(bench.inv, nil, cfg)
	after := heapInUse()
	runtime.KeepAlive(ix)
	b.ReportMetric(float64(after-before), "heap-B")
	b.ReportMetric(float64(after-before)/benchENIs, "heap-B/eni")
	b.ReportMetric(float64(ix.Len()), "addresses")
}

// BenchmarkObserve records a 100,000-interface inventory in a history
// that already holds it (the steady state of a refresh).
func BenchmarkObserve(b *testing.B) {
	benchSetup(b)
	h, _ := inventory.NewHistory(inventory.DefaultHistoryConfig())
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	_ = h.Observe(bench.inv, t0)
	i := 0
	for b.Loop() {
		i++
		if err := h.Observe(bench.inv, t0.Add(time.Duration(i)*time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
