package ipranges

import (
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// The real file lists about 8,000 IPv4 and 3,000 IPv6 prefixes, most of
// them twice (AMAZON and a service).
const (
	benchV4 = 8000
	benchV6 = 3000
)

var benchServices = []string{"EC2", "S3", "CLOUDFRONT", "DYNAMODB", "ROUTE53_HEALTHCHECKS", "API_GATEWAY", "GLOBALACCELERATOR", "AMAZON"}
var benchRegions = []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1", "ap-southeast-2", "GLOBAL"}

// benchDoc returns a synthetic ip-ranges.json of full size, and its
// distinct prefixes.
func benchDoc(tb testing.TB) ([]byte, []netip.Prefix) {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	seen := make(map[netip.Prefix]bool)
	var f file
	var prefixes []netip.Prefix
	add := func(p netip.Prefix, v6 bool) {
		if seen[p] {
			return
		}
		seen[p] = true
		prefixes = append(prefixes, p)
		region := benchRegions[r.IntN(len(benchRegions))]
		services := []string{benchServices[r.IntN(len(benchServices))]}
		if services[0] != Amazon && r.IntN(4) != 0 {
			services = append(services, Amazon)
		}
		for _, s := range services {
			e := entry{Region: region, Service: s, NetworkBorderGroup: region}
			if v6 {
				e.IPv6Prefix = p.String()
				f.IPv6Prefixes = append(f.IPv6Prefixes, e)
			} else {
				e.IPPrefix = p.String()
				f.Prefixes = append(f.Prefixes, e)
			}
		}
	}
	// IPv4: AWS's space is a few hundred /8s' worth of blocks from /11 to
	// /32, most of them /16 to /26.
	v4Bits := []int{11, 12, 14, 15, 16, 16, 17, 18, 19, 20, 21, 22, 22, 23, 24, 24, 24, 24, 25, 26, 26, 27, 28, 29, 32}
	firstOctets := []byte{3, 13, 15, 18, 34, 35, 43, 44, 46, 50, 52, 54, 63, 64, 67, 70, 72, 75, 76, 96, 99, 100, 107, 108, 122, 130, 150, 157, 161, 162, 174, 175, 176, 184, 185, 204, 205, 216}
	for len(prefixes) < benchV4 {
		a := netip.AddrFrom4([4]byte{firstOctets[r.IntN(len(firstOctets))], byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
		add(netip.PrefixFrom(a, v4Bits[r.IntN(len(v4Bits))]).Masked(), false)
	}
	// IPv6: /24 to /64 under a handful of AWS /16 to /24 blocks.
	v6Bits := []int{24, 28, 32, 33, 35, 36, 39, 40, 44, 45, 48, 48, 53, 56, 56, 56, 64, 64}
	v6Firsts := [][2]byte{{0x26, 0x00}, {0x2a, 0x05}, {0x24, 0x06}, {0x26, 0x20}, {0x2c, 0x0f}}
	for len(prefixes) < benchV4+benchV6 {
		var b [16]byte
		first := v6Firsts[r.IntN(len(v6Firsts))]
		b[0], b[1], b[2] = first[0], first[1], 0x1f
		for i := 3; i < 8; i++ {
			b[i] = byte(r.IntN(256))
		}
		add(netip.PrefixFrom(netip.AddrFrom16(b), v6Bits[r.IntN(len(v6Bits))]).Masked(), true)
	}
	f.SyncToken, f.CreateDate = "1730835132", "2024-11-05-19-32-12"
	data, err := json.Marshal(f)
	if err != nil {
		tb.Fatal(err)
	}
	return data, prefixes
}

// benchAddrs returns n addresses of the family that is6 says: half of them
// inside prefixes of the table, the others anywhere (mostly misses).
func benchAddrs(prefixes []netip.Prefix, is6 bool, n int) []netip.Addr {
	r := rand.New(rand.NewPCG(3, 4))
	var own []netip.Prefix
	for _, p := range prefixes {
		if p.Addr().Is6() == is6 {
			own = append(own, p)
		}
	}
	addrs := make([]netip.Addr, 0, n)
	for len(addrs) < n {
		var b [16]byte
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		if len(addrs)%2 == 0 {
			// A random host inside a random prefix of the table.
			p := own[r.IntN(len(own))]
			base := p.Addr().As16()
			bits := p.Bits()
			if !is6 {
				bits += 96
			}
			for i := range b {
				keep := min(max(bits-8*i, 0), 8)
				mask := byte(0xff << (8 - keep))
				b[i] = base[i]&mask | b[i]&^mask
			}
		}
		a := netip.AddrFrom16(b)
		if !is6 {
			a = netip.AddrFrom4([4]byte(b[12:]))
		}
		addrs = append(addrs, a)
	}
	return addrs
}

func benchTable(b *testing.B) (*Table, []netip.Prefix) {
	b.Helper()
	data, prefixes := benchDoc(b)
	tab, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	if tab.Len4() != benchV4 || tab.Len6() != benchV6 {
		b.Fatalf("table has %d+%d prefixes, want %d+%d", tab.Len4(), tab.Len6(), benchV4, benchV6)
	}
	return tab, prefixes
}

func BenchmarkLookup(b *testing.B) {
	tab, prefixes := benchTable(b)
	v4 := benchAddrs(prefixes, false, 4096)
	v6 := benchAddrs(prefixes, true, 4096)
	mapped := make([]netip.Addr, len(v4))
	for i, a := range v4 {
		mapped[i] = netip.AddrFrom16(a.As16())
	}
	for _, bb := range []struct {
		name  string
		addrs []netip.Addr
	}{{"v4", v4}, {"v6", v6}, {"v4-mapped", mapped}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			hits, i := 0, 0
			for b.Loop() {
				if _, ok := tab.Lookup(bb.addrs[i&4095]); ok {
					hits++
				}
				i++
			}
			b.ReportMetric(float64(hits)/float64(i), "hits/op")
		})
	}
}

func BenchmarkContains(b *testing.B) {
	tab, prefixes := benchTable(b)
	v4 := benchAddrs(prefixes, false, 4096)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tab.Contains(v4[i&4095])
		i++
	}
}

func BenchmarkParse(b *testing.B) {
	data, _ := benchDoc(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
