package flowgen_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowhec/flowhec/enrich/inventory"
	"github.com/flowhec/flowhec/flowgen"
	"github.com/flowhec/flowhec/flowlog"
)

func labelsJSON(t *testing.T, l *flowgen.Labels) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := l.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func inventoryJSON(t *testing.T, inv *inventory.Inventory) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := inv.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// smallConfig is 10 minutes at 20 records a second.
func smallConfig() flowgen.Config {
	c := flowgen.DefaultConfig()
	c.Duration = 10 * time.Minute
	c.Rate = 20
	c.Memcached.At = c.Start.Add(3 * time.Minute)
	return c
}

func TestDeterminism(t *testing.T) {
	a := generate(t, smallConfig())
	b := generate(t, smallConfig())
	if !bytes.Equal(a.lines, b.lines) {
		t.Error("two runs with the same seed wrote different lines")
	}
	if !bytes.Equal(labelsJSON(t, a.labels), labelsJSON(t, b.labels)) {
		t.Error("two runs with the same seed wrote different labels")
	}

	c := smallConfig()
	c.Seed = 2
	d := generate(t, c)
	if bytes.Equal(a.lines, d.lines) {
		t.Error("seeds 1 and 2 wrote the same lines")
	}
	// The fleet does not depend on the seed, so one inventory serves all.
	if !bytes.Equal(inventoryJSON(t, a.inv), inventoryJSON(t, d.inv)) {
		t.Error("the inventory depends on the seed")
	}
	// Streams are independent: more background traffic leaves the zombie
	// story as it was.
	c = smallConfig()
	c.Rate = 40
	e := generate(t, c)
	za, ze := a.labels.Story(flowgen.KindZombie), e.labels.Story(flowgen.KindZombie)
	if fmt.Sprint(za.Zombie) != fmt.Sprint(ze.Zombie) {
		t.Error("changing Rate changed the zombie story")
	}
}

func TestEveryLineParses(t *testing.T) {
	tests := []struct {
		name   string
		format *flowlog.Format
	}{
		{"default", flowlog.DefaultFormat()},
		{"all fields in table order", flowgen.AllFields()},
		{"all fields shuffled, one unknown", shuffledAllFields(t, 1)},
		{"all fields shuffled again", shuffledAllFields(t, 2)},
		{"version 5 subset", mustFormat(t, "${version} ${interface-id} ${srcaddr} ${dstaddr} ${flow-direction} ${traffic-path} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${log-status}")},
		{"no version field", mustFormat(t, "srcaddr dstaddr srcport dstport protocol bytes action")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := smallConfig()
			c.Rate = 10
			// Every idle interface gets NODATA and every window a SKIPDATA,
			// so their shapes are parsed too.
			c.NoDataChance, c.SkipDataChance = 1, 1
			c.Format = tt.format
			g := generate(t, c)
			version := tt.format.Column(flowlog.Version)
			var status = map[string]int64{}
			n := eachRecord(t, tt.format, g.lines, func(r *flowlog.Record) {
				if version >= 0 {
					if v := num(t, r, flowlog.Version); v != uint64(tt.format.Version()) {
						t.Fatalf("version %d, want %d: %s", v, tt.format.Version(), r.Line)
					}
				}
				status[str(r, flowlog.LogStatus)]++
			})
			if int64(n) != g.labels.Totals.Records {
				t.Errorf("%d lines, labels say %d", n, g.labels.Totals.Records)
			}
			if tt.format.Has(flowlog.LogStatus) {
				tot := g.labels.Totals
				if status["NODATA"] != tot.NoData || status["SKIPDATA"] != tot.SkipData || status["NODATA"] == 0 || status["SKIPDATA"] == 0 {
					t.Errorf("log-status counts %v, labels say NODATA %d, SKIPDATA %d", status, tot.NoData, tot.SkipData)
				}
			}
		})
	}
}

func mustFormat(t *testing.T, s string) *flowlog.Format {
	t.Helper()
	f, err := flowlog.ParseFormat(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestNoDataShape checks NODATA and SKIPDATA lines of the default format
// against the shape AWS documents.
func TestNoDataShape(t *testing.T) {
	c := flowgen.DefaultConfig()
	c.Duration = 5 * time.Minute
	c.Rate = 5
	c.Memcached.Enabled = false
	c.NoDataChance, c.SkipDataChance = 1, 1
	g := generate(t, c)
	re := regexp.MustCompile(`^2 (\d{12}|unknown) eni-[0-9a-f]{17} - - - - - - - (\d+) (\d+) - (NODATA|SKIPDATA)$`)
	var seen int
	for line := range strings.SplitSeq(strings.TrimSpace(string(g.lines)), "\n") {
		if !strings.HasSuffix(line, "DATA") {
			continue
		}
		seen++
		m := re.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not the AWS shape: %q", line)
		}
		if m[2] > m[3] {
			t.Errorf("start after end: %q", line)
		}
	}
	if seen == 0 {
		t.Fatal("no NODATA or SKIPDATA lines")
	}
}

// TestRecordsMatchInventory checks every field of every record against the
// inventory and against the rules AWS documents for each field.
func TestRecordsMatchInventory(t *testing.T) {
	c := smallConfig()
	c.Rate = 30
	c.NoDataChance, c.SkipDataChance = 0.5, 0.2
	c.Format = shuffledAllFields(t, 3)
	g := generate(t, c)
	inv := g.inv
	vpc := inv.VPCs[0]
	s3 := c.S3Prefixes[0]
	ddb := c.DynamoDBPrefixes[0]
	unknownCol := slices.Index(strings.Fields(c.Format.Header()), "future-field")

	type flowKey struct {
		eni, src, dst    string
		sport, dport, pr uint64
	}
	accepted := map[flowKey]bool{}
	var ipv6, nat, ecs, bpa, endpoints, paths int
	eachRecord(t, c.Format, g.lines, func(r *flowlog.Record) {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("%s\n%s", fmt.Sprintf(format, args...), r.Line)
		}
		if v, ok := r.Col(unknownCol); ok {
			fail("unknown field is %q, want -", v)
		}
		eni := inv.InterfaceByID(str(r, flowlog.InterfaceID))
		if eni == nil {
			fail("interface not in the inventory")
		}
		switch acct := str(r, flowlog.AccountID); {
		case acct == "unknown" && !(eni.RequesterManaged && (eni.InterfaceType == "vpc_endpoint" || eni.InterfaceType == "network_load_balancer")):
			fail("account unknown on a %s interface", eni.InterfaceType)
		case acct != "unknown" && acct != eni.AccountID:
			fail("account %s, interface belongs to %s", acct, eni.AccountID)
		}
		if str(r, flowlog.VPCID) != eni.VPCID || str(r, flowlog.SubnetID) != eni.SubnetID ||
			str(r, flowlog.AZID) != eni.AvailabilityZoneID || str(r, flowlog.Region) != eni.Region {
			fail("vpc/subnet/az/region differ from the inventory's %s %s %s %s", eni.VPCID, eni.SubnetID, eni.AvailabilityZoneID, eni.Region)
		}
		wantInstance := "-"
		if eni.Attachment != nil {
			wantInstance = eni.Attachment.InstanceID
		}
		if str(r, flowlog.InstanceID) != wantInstance {
			fail("instance-id, want %s", wantInstance)
		}
		isECS := strings.HasPrefix(eni.Description, "arn:aws:ecs:")
		if _, ok := r.Bytes(flowlog.ECSTaskID); ok != isECS {
			fail("ecs-task-id present=%v on an interface described %q", ok, eni.Description)
		}
		if isECS {
			ecs++
		}
		if str(r, flowlog.ResourceID) != "-" {
			endpoints++
		}
		for _, f := range []flowlog.Field{flowlog.SublocationType, flowlog.SublocationID, flowlog.TGWID, flowlog.ResourceType, flowlog.PacketsLostNoRoute} {
			if _, ok := r.Bytes(f); ok {
				fail("%s present in a VPC flow log", f)
			}
		}
		start, end := num(t, r, flowlog.Start), num(t, r, flowlog.End)
		if start > end || start/60 != end/60 {
			fail("start %d and end %d are not in one aggregation window", start, end)
		}
		if str(r, flowlog.LogStatus) != "OK" {
			for _, f := range []flowlog.Field{flowlog.SrcAddr, flowlog.Packets, flowlog.Action, flowlog.FlowDirection, flowlog.TCPFlags} {
				if _, ok := r.Bytes(f); ok {
					fail("%s present in a %s record", f, str(r, flowlog.LogStatus))
				}
			}
			return
		}

		src, _ := r.Addr(flowlog.SrcAddr)
		dst, _ := r.Addr(flowlog.DstAddr)
		pktSrc, _ := r.Addr(flowlog.PktSrcAddr)
		pktDst, _ := r.Addr(flowlog.PktDstAddr)
		own := func(a netip.Addr) bool {
			return slices.Contains(eni.PrivateIPAddresses, a) || slices.Contains(eni.IPv6Addresses, a)
		}
		wantType := "IPv4"
		if src.Is6() {
			wantType = "IPv6"
			ipv6++
		}
		if str(r, flowlog.TrafficType) != wantType || src.Is6() != dst.Is6() {
			fail("type does not match the addresses")
		}
		egress := str(r, flowlog.FlowDirection) == "egress"
		if egress && !own(src) || !egress && !own(dst) {
			fail("flow-direction %s but the interface holds neither end as it should", str(r, flowlog.FlowDirection))
		}
		path := str(r, flowlog.TrafficPath)
		switch {
		case !egress && path != "-":
			fail("traffic-path %s on ingress", path)
		case egress && (len(path) != 1 || path < "1" || path > "8"):
			fail("traffic-path %q on egress", path)
		}
		if egress {
			paths++
		}
		if !egress && (str(r, flowlog.NextHop) != "-" || str(r, flowlog.NextHopResourceID) != "-") {
			fail("next hop on ingress")
		}
		if pktSrc != src || pktDst != dst {
			if eni.InterfaceType != "nat_gateway" {
				fail("pkt-srcaddr/pkt-dstaddr differ from srcaddr/dstaddr on a %s interface", eni.InterfaceType)
			}
			nat++
		}
		proto := num(t, r, flowlog.Protocol)
		flags := num(t, r, flowlog.TCPFlags)
		if proto != 6 && flags != 0 {
			fail("tcp-flags %d on protocol %d", flags, proto)
		}
		if flags&^(1|2|4|18) != 0 {
			fail("tcp-flags %d is not a combination of FIN, SYN, RST and SYN-ACK", flags)
		}
		packets, size := num(t, r, flowlog.Packets), num(t, r, flowlog.Bytes)
		if packets == 0 || size < 28*packets || size > 65535*packets {
			fail("%d bytes in %d packets", size, packets)
		}
		reject := str(r, flowlog.Action) == "REJECT"
		switch reason := str(r, flowlog.RejectReason); {
		case reject && egress:
			fail("REJECT on egress")
		case !reject && reason != "-":
			fail("reject-reason %s on ACCEPT", reason)
		case reason == "BPA":
			bpa++
		case reason != "-":
			fail("reject-reason %q", reason)
		}
		if enc := num(t, r, flowlog.EncryptionStatus); enc > 3 {
			fail("encryption-status %d", enc)
		}
		for _, x := range []struct {
			f    flowlog.Field
			addr netip.Addr
		}{{flowlog.PktSrcAWSService, pktSrc}, {flowlog.PktDstAWSService, pktDst}} {
			switch svc := str(r, x.f); svc {
			case "S3":
				if !s3.Contains(x.addr) {
					fail("%s S3 for %v", x.f, x.addr)
				}
			case "DYNAMODB":
				if !ddb.Contains(x.addr) {
					fail("%s DYNAMODB for %v", x.f, x.addr)
				}
			case "-":
				if s3.Contains(x.addr) || ddb.Contains(x.addr) {
					fail("%s missing for %v", x.f, x.addr)
				}
			default:
				fail("%s %q", x.f, svc)
			}
		}
		if vpc.CIDRBlock.Contains(src) && vpc.CIDRBlock.Contains(dst) && path != "-" && path != "1" {
			fail("traffic-path %s between two VPC addresses", path)
		}
		if !reject {
			accepted[flowKey{eni.NetworkInterfaceID, src.String(), dst.String(), num(t, r, flowlog.SrcPort), num(t, r, flowlog.DstPort), proto}] = true
		}
	})
	// Both directions of every accepted flow, on the same interface.
	for k := range accepted {
		rev := flowKey{k.eni, k.dst, k.src, k.dport, k.sport, k.pr}
		if !accepted[rev] {
			t.Fatalf("accepted flow %+v has no reverse flow on its interface", k)
		}
	}
	for what, n := range map[string]int{"IPv6": ipv6, "NAT translated": nat, "ECS": ecs, "resource-id": endpoints, "egress": paths} {
		if n == 0 {
			t.Errorf("no %s records", what)
		}
	}
	t.Logf("%d records, %d IPv6, %d NAT-translated, %d ECS, %d BPA", g.labels.Totals.Records, ipv6, nat, ecs, bpa)
}

// TestAllocationsPerRecord checks that records are written without
// allocating: twenty times the records cost no more allocations than the
// few a run makes for its buffers.
func TestAllocationsPerRecord(t *testing.T) {
	allocs := func(rate float64) float64 {
		c := smallConfig()
		c.Rate = rate
		g, err := flowgen.New(c)
		if err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(1, func() {
			if _, err := g.Run(func(flowgen.Batch) error { return nil }); err != nil {
				t.Fatal(err)
			}
		})
	}
	lo, hi := allocs(5), allocs(100) // about 5,500 and 62,000 records
	if hi-lo > 20 {
		t.Errorf("%v allocations for 5,500 records, %v for 62,000", lo, hi)
	}
}
