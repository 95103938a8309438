package flowgen_test

import (
	"math"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowhec/flowhec/flowgen"
	"github.com/flowhec/flowhec/flowlog"
)

type addrPort struct {
	addr netip.Addr
	port uint64
}

func TestZombie(t *testing.T) {
	g := fixture(t)
	story := g.labels.Story(flowgen.KindZombie)
	if story == nil || !story.Alert {
		t.Fatalf("zombie story missing or not alerting: %+v", story)
	}
	target := g.cfg.Zombie.Target
	if story.Target.Address != target.Addr() || story.Target.Port != target.Port() || story.Target.Name != "clarity-collector" {
		t.Fatalf("label target %+v, want %v on clarity-collector", story.Target, target)
	}
	eni := g.inv.InterfaceByAddr(target.Addr())
	if eni == nil || eni.NetworkInterfaceID != story.Target.InterfaceID {
		t.Fatalf("inventory interface of %v is %+v, label says %s", target.Addr(), eni, story.Target.InterfaceID)
	}

	type source struct {
		ports   map[uint64]bool
		perHour map[int64]int
		records int64
	}
	sources := map[netip.Addr]*source{}
	rejectedTo := map[addrPort]int{}
	for _, r := range g.flows {
		if r.status != "OK" {
			continue
		}
		if !r.reject {
			if r.dst == target.Addr() && r.dport == target.Port() {
				t.Fatalf("an accepted record to the zombie address: %+v", r)
			}
			continue
		}
		rejectedTo[addrPort{r.dst, uint64(r.dport)}]++
		if r.dst != target.Addr() || r.dport != target.Port() {
			continue
		}
		if r.src.IsPrivate() || !r.src.IsGlobalUnicast() {
			t.Fatalf("zombie source %v is not a public address", r.src)
		}
		if r.eni != eni.NetworkInterfaceID || r.proto != 6 || r.packets != 1 {
			t.Fatalf("not a single TCP packet on clarity-collector's interface: %+v", r)
		}
		if r.bytes < 40 || r.bytes > 60 {
			t.Fatalf("a SYN of %d bytes: %+v", r.bytes, r)
		}
		s := sources[r.src]
		if s == nil {
			s = &source{ports: map[uint64]bool{}, perHour: map[int64]int{}}
			sources[r.src] = s
		}
		sp := uint64(r.sport)
		if s.ports[sp] {
			t.Fatalf("source %v reused port %d", r.src, sp)
		}
		if sp < 32768 || sp > 60999 {
			t.Fatalf("source port %d outside Linux's ephemeral range", sp)
		}
		s.ports[sp] = true
		s.perHour[r.start/3600]++
		s.records++
	}

	if len(sources) != 16 {
		t.Fatalf("%d zombie sources, want 16", len(sources))
	}
	if len(story.Zombie.Sources) != 16 {
		t.Fatalf("labels list %d sources, want 16", len(story.Zombie.Sources))
	}
	var total int64
	for _, ls := range story.Zombie.Sources {
		s := sources[ls.Address]
		if s == nil {
			t.Fatalf("labelled source %v not in the records", ls.Address)
		}
		if s.records != ls.Tries {
			t.Errorf("source %v: %d records, labels say %d", ls.Address, s.records, ls.Tries)
		}
		full := 0
		for _, h := range ls.PerHour {
			got := s.perHour[h.Hour.Unix()/3600]
			if got != h.Tries {
				t.Errorf("source %v hour %s: %d tries, labels say %d", ls.Address, h.Hour, got, h.Tries)
			}
			if h.Full {
				full++
				if got < 180 || got > 184 {
					t.Errorf("source %v hour %s: %d tries, want 180-184", ls.Address, h.Hour, got)
				}
			}
		}
		if full == 0 {
			t.Errorf("source %v: no full hour in the labels", ls.Address)
		}
		total += s.records
	}
	if total != story.Records {
		t.Errorf("%d zombie records, labels say %d", total, story.Records)
	}
	// The premise of the story: one destination stands out among the
	// rejected ones.
	zombie := rejectedTo[addrPort{target.Addr(), uint64(target.Port())}]
	for ap, n := range rejectedTo {
		if ap.addr != target.Addr() && n*5 > zombie {
			t.Errorf("%v:%d has %d rejects, close to the zombie's %d", ap.addr, ap.port, n, zombie)
		}
	}
}

// TestZombieTCPFlags checks the zombie's SYNs in a format with tcp-flags,
// and a zombie address outside the default subnets.
func TestZombieTCPFlags(t *testing.T) {
	c := flowgen.DefaultConfig()
	c.Duration = 10 * time.Minute
	c.Rate = 10
	c.Memcached.Enabled = false
	c.Zombie.Target = netip.MustParseAddrPort("172.31.200.10:8080")
	c.Format = mustFormat(t, "interface-id srcaddr dstaddr srcport dstport protocol tcp-flags action")
	g := generate(t, c)
	eni := g.inv.InterfaceByAddr(c.Zombie.Target.Addr())
	if eni == nil || eni.Attachment == nil || g.inv.InstanceByID(eni.Attachment.InstanceID).Tags["Name"] != "clarity-collector" {
		t.Fatalf("no clarity-collector interface holds %v: %+v", c.Zombie.Target, eni)
	}
	n := 0
	eachRecord(t, c.Format, g.lines, func(r *flowlog.Record) {
		dst, _ := r.Addr(flowlog.DstAddr)
		if dst != c.Zombie.Target.Addr() || num(t, r, flowlog.DstPort) != 8080 {
			return
		}
		n++
		if num(t, r, flowlog.TCPFlags) != 2 || r.IsAccept() || str(r, flowlog.InterfaceID) != eni.NetworkInterfaceID {
			t.Fatalf("not a rejected SYN on clarity-collector's interface: %s", r.Line)
		}
	})
	// 16 sources, 180 to 184 tries an hour, for 10 minutes: 480 to 491.
	if n < 16*180/6-16 || n > 16*184/6+16 {
		t.Errorf("%d zombie tries in 10 minutes", n)
	}
}

func TestMemcached(t *testing.T) {
	g := fixture(t)
	story := g.labels.Story(flowgen.KindMemcached)
	if story == nil || !story.Alert || story.Records != 4 {
		t.Fatalf("memcached story %+v", story)
	}
	m := story.Memcached
	cache := g.inv.InterfaceByID(story.Target.InterfaceID)
	inst := g.inv.InstanceByID(cache.Attachment.InstanceID)
	if inst.Tags["Name"] != "cache-01" || inst.Tags["service"] != "memcached" {
		t.Fatalf("memcached interface belongs to %v", inst.Tags)
	}
	if math.Abs(m.Amplification-51327.0/50) > 1e-9 {
		t.Errorf("amplification %v, want %v", m.Amplification, 51327.0/50)
	}
	type rec struct {
		in              bool
		sport, dport    uint64
		packets, size   uint64
		start           int64
		interfaceID     string
		attackerIsOther bool
	}
	var got []rec
	for _, r := range g.flows {
		if r.proto != 17 || r.sport != 11211 && r.dport != 11211 {
			continue
		}
		if r.reject {
			t.Fatalf("rejected memcached record: %+v", r)
		}
		got = append(got, rec{
			in: r.dport == 11211, sport: uint64(r.sport), dport: uint64(r.dport),
			packets: r.packets, size: r.bytes, start: r.start,
			interfaceID:     r.eni,
			attackerIsOther: !(r.src == m.Attacker && r.dst == cache.PrivateIPAddresses[0] || r.dst == m.Attacker && r.src == cache.PrivateIPAddresses[0]),
		})
	}
	want := []rec{
		{true, uint64(m.Set.SrcPort), 11211, 3422, 5072550, m.Set.Time.Unix(), cache.NetworkInterfaceID, false},
		{false, 11211, uint64(m.Set.SrcPort), m.Set.ReplyPackets, m.Set.ReplyBytes, m.Set.Time.Unix(), cache.NetworkInterfaceID, false},
		{true, uint64(m.Get.SrcPort), 11211, 1, 50, m.Get.Time.Unix(), cache.NetworkInterfaceID, false},
		{false, 11211, uint64(m.Get.SrcPort), 36, 51327, m.Get.Time.Unix(), cache.NetworkInterfaceID, false},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("memcached UDP records:\n got %+v\nwant %+v", got, want)
	}
	if r := float64(got[3].size) / float64(got[2].size); math.Abs(r-1026.54) > 0.01 {
		t.Errorf("get amplification %.2f in the records", r)
	}
	if m.Set.ReplyPackets != 137 || m.Set.ReplyBytes < 450_000 || m.Set.ReplyBytes > 550_000 {
		t.Errorf("set reply %d bytes in %d packets, want about 0.5 MB in 137", m.Set.ReplyBytes, m.Set.ReplyPackets)
	}
	if want := g.cfg.Start.Add(17*time.Minute + 23*time.Second); !m.Set.Time.Equal(want) || !m.Get.Time.Equal(want.Add(2*time.Minute)) {
		t.Errorf("set at %s and get at %s, want %s and 2m later", m.Set.Time, m.Get.Time, want)
	}
}

func TestRejectShare(t *testing.T) {
	g := fixture(t)
	var total, rejected int64
	for _, r := range g.flows {
		total++
		if r.reject {
			rejected++
		}
	}
	share := float64(rejected) / float64(total)
	if share < 0.015 || share > 0.03 {
		t.Errorf("REJECT share %.4f, want 0.015-0.03", share)
	}
	if tot := g.labels.Totals; tot.Records != total || tot.Rejected != rejected {
		t.Errorf("counted %d records, %d rejected; labels say %+v", total, rejected, tot)
	}
	if want := g.cfg.Rate * g.cfg.Duration.Seconds(); math.Abs(float64(total)-want) > want*0.02 {
		t.Errorf("%d records, Rate asks for about %.0f", total, want)
	}
	// Every story's record counts add up to the total.
	var sum int64
	for _, s := range g.labels.Stories {
		sum += s.Records
	}
	if sum != total {
		t.Errorf("stories hold %d records, the total is %d", sum, total)
	}
}

func TestDailyRhythm(t *testing.T) {
	c := flowgen.DefaultConfig()
	c.Rate = 1
	c.RejectShare = 0
	c.Zombie.Enabled, c.Memcached.Enabled, c.HealthCheck.Enabled, c.Backup.Enabled = false, false, false, false
	g, err := flowgen.New(c)
	if err != nil {
		t.Fatal(err)
	}
	var perHour [24]int
	if _, err := g.Run(func(b flowgen.Batch) error {
		perHour[b.Start.Hour()] += b.Records
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	night, day := perHour[3]+perHour[4]+perHour[5], perHour[15]+perHour[16]+perHour[17]
	if day < 2*night {
		t.Errorf("records by hour %v: day (15-18h) %d is not twice night (3-6h) %d", perHour, day, night)
	}
}

// quietConfig has no background traffic, no scanners and no zombie: only
// the look-alikes, so that they can be told apart exactly.
func quietConfig() flowgen.Config {
	c := flowgen.DefaultConfig()
	c.Start = time.Date(2026, 11, 1, 1, 20, 0, 0, time.UTC)
	c.Duration = 30 * time.Minute // a backup at 01:30
	c.Rate = 0
	c.RejectShare = 0
	c.NoDataChance, c.SkipDataChance = 0, 0
	c.Zombie.Enabled, c.Memcached.Enabled = false, false
	return c
}

func TestHealthChecks(t *testing.T) {
	c := quietConfig()
	g := generate(t, c)
	story := g.labels.Story(flowgen.KindHealthCheck)
	if story == nil || story.Alert {
		t.Fatalf("health check story %+v", story)
	}
	hc := story.HealthChecks
	type pair struct{ eni, target string }
	starts := map[pair][]int64{}
	var records int64
	eachRecord(t, c.Format, g.lines, func(r *flowlog.Record) {
		if num(t, r, flowlog.DstPort) != 8080 && num(t, r, flowlog.SrcPort) != 8080 {
			return
		}
		records++
		if !r.IsAccept() {
			t.Fatalf("rejected health check: %s", r.Line)
		}
		if p := num(t, r, flowlog.Packets); p > 6 {
			t.Fatalf("health check of %d packets: %s", p, r.Line)
		}
		eni := g.inv.InterfaceByID(str(r, flowlog.InterfaceID))
		src, _ := r.Addr(flowlog.SrcAddr)
		// The request as the ALB node sends it.
		if strings.HasPrefix(eni.Description, "ELB app/") && src == eni.PrivateIPAddresses[0] {
			dst, _ := r.Addr(flowlog.DstAddr)
			k := pair{eni.NetworkInterfaceID, dst.String()}
			starts[k] = append(starts[k], int64(num(t, r, flowlog.Start)))
		}
	})
	if len(starts) != len(hc.Pairs) || len(starts) != 12 {
		t.Fatalf("%d node-target pairs in the records, labels list %d, want 3 nodes × 4 targets", len(starts), len(hc.Pairs))
	}
	minGap, maxGap := int64(math.MaxInt64), int64(0)
	for _, p := range hc.Pairs {
		s := starts[pair{p.NodeInterfaceID, p.TargetAddress.String()}]
		if int64(len(s)) != p.Checks {
			t.Errorf("pair %s → %v: %d checks, labels say %d", p.NodeInterfaceID, p.TargetAddress, len(s), p.Checks)
		}
		for i := 1; i < len(s); i++ {
			gap := s[i] - s[i-1]
			minGap, maxGap = min(minGap, gap), max(maxGap, gap)
		}
	}
	if minGap < 10 || maxGap > 30 {
		t.Errorf("gaps between checks %d-%d s, want within 10-30 s", minGap, maxGap)
	}
	if int(minGap) != hc.MinGapSeconds || int(maxGap) != hc.MaxGapSeconds {
		t.Errorf("gaps %d-%d s, labels say %d-%d", minGap, maxGap, hc.MinGapSeconds, hc.MaxGapSeconds)
	}
	if records != story.Records {
		t.Errorf("%d records on port 8080, labels say %d", records, story.Records)
	}
}

func TestLookAlikes(t *testing.T) {
	c := quietConfig()
	c.Format = flowgen.AllFields()
	g := generate(t, c)
	ntp := g.labels.Story(flowgen.KindNTP)
	backup := g.labels.Story(flowgen.KindBackup)
	var ntpRecords, backupBytes, backupPackets int64
	eachRecord(t, c.Format, g.lines, func(r *flowlog.Record) {
		sp, dp := num(t, r, flowlog.SrcPort), num(t, r, flowlog.DstPort)
		switch {
		case sp == 123 || dp == 123:
			ntpRecords++
			if num(t, r, flowlog.Protocol) != 17 || num(t, r, flowlog.Packets) != 1 || num(t, r, flowlog.Bytes) != 76 || !r.IsAccept() {
				t.Fatalf("NTP record is not one accepted 76-byte UDP packet: %s", r.Line)
			}
		case str(r, flowlog.PktDstAWSService) == "S3" && str(r, flowlog.FlowDirection) == "egress":
			if str(r, flowlog.InterfaceID) != backup.Backup.Instance.InterfaceID || str(r, flowlog.TrafficPath) != "7" {
				t.Fatalf("S3 upload not from backup-01 through the gateway endpoint: %s", r.Line)
			}
			backupBytes += int64(num(t, r, flowlog.Bytes))
			backupPackets += int64(num(t, r, flowlog.Packets))
		}
	})
	var polls int64
	for _, cl := range ntp.NTP.Clients {
		if cl.ViaNAT {
			polls += 6 * cl.Polls
		} else {
			polls += 2 * cl.Polls
		}
	}
	if ntpRecords == 0 || ntpRecords != ntp.Records || polls != ntpRecords {
		t.Errorf("%d NTP records, labels say %d (%d from the polls)", ntpRecords, ntp.Records, polls)
	}
	if len(backup.Backup.Runs) != 1 {
		t.Fatalf("backup runs %+v, want one at 01:30", backup.Backup.Runs)
	}
	run := backup.Backup.Runs[0]
	if run.Start != time.Date(2026, 11, 1, 1, 30, 0, 0, time.UTC) || uint64(backupBytes) != run.Bytes || uint64(backupPackets) != run.Packets {
		t.Errorf("backup run %+v; records hold %d bytes in %d packets", run, backupBytes, backupPackets)
	}
	if run.Bytes < 1<<30 {
		t.Errorf("a backup of %d bytes is not large", run.Bytes)
	}
}

func TestDNS(t *testing.T) {
	g := fixture(t)
	story := g.labels.Story(flowgen.KindDNS)
	resolver := story.Target.Address
	var records int64
	for _, r := range g.flows {
		if r.src != resolver && r.dst != resolver {
			continue
		}
		records++
		if r.proto != 17 || (r.dport != 53 && r.sport != 53) || r.reject {
			t.Fatalf("not accepted DNS over UDP: %+v", r)
		}
	}
	if resolver != netip.MustParseAddr("172.31.0.2") || records == 0 || records != 2*story.DNS.Queries || records != story.Records {
		t.Errorf("resolver %v: %d records, labels say %d queries, %d records", resolver, records, story.DNS.Queries, story.Records)
	}
}
