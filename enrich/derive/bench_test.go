package derive

import (
	"net/netip"
	"testing"

	"github.com/flowhec/flowhec/flowlog"
)

func BenchmarkDerive(b *testing.B) {
	tab := fixtureTable(b)
	d, err := New(Config{Inside: []netip.Prefix{netip.MustParsePrefix("172.31.0.0/16"), netip.MustParsePrefix("10.0.0.0/16")}}, tab.Contains)
	if err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct {
		name string
		rec  *flowlog.Record
	}{
		{"v2-inbound", parse(b, v2Header, "2 123456789010 eni-0a1b2c3d 198.51.100.7 172.31.1.67 49152 80 6 1 40 1418530010 1418530030 REJECT OK")},
		{"v2-to-S3", parse(b, v2Header, "2 123456789010 eni-0a1b2c3d 10.0.1.5 52.217.10.1 50000 443 6 10 5000 1418530010 1418530070 ACCEPT OK")},
		{"v5-flow-direction", parse(b, v5Header, "5 eni-1 52.217.10.1 10.0.1.5 443 50000 6 19 ingress ACCEPT 1418530010 1418530070 OK")},
		{"nodata", parse(b, v2Header, "2 123456789010 eni-1 - - - - - - - 1431280876 1431280934 - NODATA")},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			var f Fields
			for b.Loop() {
				d.Derive(bb.rec, &f)
			}
		})
	}
}

func BenchmarkTCPFlags(b *testing.B) {
	b.ReportAllocs()
	n := 0
	i := uint64(0)
	for b.Loop() {
		n += len(TCPFlags(i & 255))
		i++
	}
	_ = n
}

func BenchmarkDirection(b *testing.B) {
	d := mustNew(b, "172.31.0.0/16", "10.0.0.0/16", "2600:1f18:4a2:c00::/56")
	src, dst := netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("172.31.1.67")
	b.ReportAllocs()
	for b.Loop() {
		d.Direction(src, dst)
	}
}

func BenchmarkAddrScope(b *testing.B) {
	tab := fixtureTable(b)
	addrs := []netip.Addr{netip.MustParseAddr("10.0.1.5"), netip.MustParseAddr("52.217.10.1"), netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("2600:1f18::1")}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		AddrScope(addrs[i&3], tab.Contains)
		i++
	}
}
