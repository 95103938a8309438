package flowgen

import (
	"io"
	"math"
	"slices"
	"time"

	"github.com/flowhec/flowhec/enrich/inventory"
)

// Generator writes the flow logs of one Config. It holds no state between
// runs: every Run (and WriteLines, WriteS3) starts again from the seed and
// produces the same records. A Generator may be used by one goroutine at a
// time.
type Generator struct {
	cfg   Config
	fleet *fleet
	enc   *encoder
}

// New validates cfg and returns its Generator.
func New(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Format = cfg.format()
	cfg.S3Prefixes = slices.Clone(cfg.S3Prefixes)
	cfg.DynamoDBPrefixes = slices.Clone(cfg.DynamoDBPrefixes)
	g := &Generator{cfg: cfg}
	g.fleet = newFleet(&g.cfg)
	g.enc = newEncoder(g.cfg.Format, cfg.Region, g.fleet.vpcID)
	return g, nil
}

// Config returns the generator's configuration.
func (g *Generator) Config() Config { return g.cfg }

// Inventory returns the inventory of the simulated fleet: every interface
// that appears in the records, and the instances they are attached to.
func (g *Generator) Inventory() *inventory.Inventory { return g.fleet.inventory() }

// ReadInventory reads an inventory file that `flowhec gen` wrote; it is
// inventory.ReadInventory.
func ReadInventory(r io.Reader) (*inventory.Inventory, error) { return inventory.ReadInventory(r) }

// Batch is the records of one 60-second aggregation window: every record's
// start and end fall in [Start, Start+1m). Within a batch, records are
// grouped by the stream that made them, as unordered as AWS delivers them.
type Batch struct {
	Start   time.Time
	Lines   []byte // Records lines, each ending in '\n'; valid until fn returns
	Records int
}

// Run generates the span window by window, calling fn with each window's
// records, and returns the labels once every window is written. An error
// from fn stops the run and is returned.
func (g *Generator) Run(fn func(Batch) error) (*Labels, error) {
	s := newRun(g)
	for w := s.start; w < s.stop; w += 60 {
		s.window(w)
		if err := fn(Batch{Start: time.Unix(w, 0).UTC(), Lines: s.buf, Records: s.n}); err != nil {
			return nil, err
		}
	}
	return s.labels(), nil
}

// story identifies the stream a record belongs to, for the labels.
type story uint8

const (
	stBackground story = iota
	stScanners
	stZombie
	stMemcached
	stHealth
	stNTP
	stDNS
	stBackup
	stIdle // NODATA and SKIPDATA records
	numStories
)

// run is the state of one Run.
type run struct {
	g   *Generator
	cfg *Config
	f   *fleet
	enc *encoder

	start, stop int64 // the span, Unix seconds
	w, wEnd     int64 // the current window
	buf         []byte
	n           int
	active      []bool // interfaces with a record in the current window

	cur       story
	totals    Totals
	records   [numStories]int64
	first     [numStories]int64
	last      [numStories]int64
	rBG       rng
	rScan     rng
	rIdle     rng
	bgWeight  []float64 // background records of each window
	bgCarry   float64
	scanRate  float64 // scanner probes per window
	scanCarry float64

	scanners  []scanner
	scanUsed  []bool
	scanStats ScannerLabel
	dnsCount  int64
	dnsUsers  map[*iface]bool

	zombie    *zombieState
	memcached *memcachedState
	health    *healthState
	ntp       *ntpState
	backup    *backupState
}

func newRun(g *Generator) *run {
	c := &g.cfg
	s := &run{
		g: g, cfg: c, f: g.fleet, enc: g.enc,
		start:    c.Start.Unix(),
		stop:     c.end().Unix(),
		buf:      make([]byte, 0, 256<<10),
		active:   make([]bool, len(g.fleet.ifaces)),
		rBG:      newRNG(c.Seed, streamBackground),
		rScan:    newRNG(c.Seed, streamScanner),
		rIdle:    newRNG(c.Seed, streamIdle),
		dnsUsers: map[*iface]bool{},
	}
	for i := range s.first {
		s.first[i] = math.MaxInt64
		s.last[i] = math.MinInt64
	}
	if c.Zombie.Enabled {
		s.zombie = newZombieState(s)
	}
	if c.Memcached.Enabled {
		s.memcached = newMemcachedState(s)
	}
	if c.HealthCheck.Enabled {
		s.health = newHealthState(s)
	}
	s.ntp = newNTPState(s)
	if c.Backup.Enabled {
		s.backup = newBackupState(s)
	}
	s.scanners = newScanners(c.Seed)
	s.scanUsed = make([]bool, len(s.scanners))
	s.plan()
	return s
}

// plan shares the records asked for (Rate × span) out: the fixed streams
// first, then scanner probes to bring the REJECT share to RejectShare,
// then background traffic for the rest, following the daily rhythm.
func (s *run) plan() {
	c := s.cfg
	span := float64(s.stop - s.start)
	windows := int((s.stop - s.start) / 60)
	target := c.Rate * span

	var fixed, rejected float64
	if s.zombie != nil {
		z := float64(c.Zombie.Sources) * float64(c.Zombie.MinPerHour+c.Zombie.MaxPerHour) / 2 * span / 3600
		fixed += z
		rejected += z
	}
	if s.health != nil {
		gap := c.HealthCheck.Interval.Seconds() - 1
		fixed += float64(len(s.health.pairs)) * span / gap * 4
	}
	fixed += s.ntp.expected(span)
	if s.backup != nil {
		fixed += s.backup.expected(s.start, s.stop)
	}
	if s.memcached != nil {
		fixed += 4
	}
	scan := max(0, c.RejectShare*target-rejected)
	// Scanner probes are part of the target too; whatever is left is
	// background. NODATA records, a few per hour, are not planned for.
	background := max(0, target-fixed-scan)
	s.scanRate = scan / float64(windows)

	r := newRNG(c.Seed, streamNoise)
	s.bgWeight = make([]float64, windows)
	var sum float64
	for i := range s.bgWeight {
		t := s.start + int64(i)*60
		wt := diurnal(t) * (0.85 + 0.3*r.float())
		s.bgWeight[i] = wt
		sum += wt
	}
	for i := range s.bgWeight {
		s.bgWeight[i] *= background / sum
	}
}

// diurnal is the fleet's daily rhythm: traffic peaks at 16:00 UTC (mid-day
// on the US east coast) and bottoms out at 04:00 UTC at 30% of the peak.
func diurnal(t int64) float64 {
	h := float64(t%86400) / 3600
	return 0.3 + 0.7*(0.5-0.5*math.Cos(2*math.Pi*(h-4)/24))
}

// window generates the records of [w, w+60).
func (s *run) window(w int64) {
	s.w, s.wEnd = w, w+60
	s.buf = s.buf[:0]
	s.n = 0
	clear(s.active)

	s.cur = stBackground
	s.bgCarry += s.bgWeight[(w-s.start)/60]
	for s.bgCarry > 0 {
		n := s.n
		s.background()
		s.bgCarry -= float64(s.n - n)
	}
	s.cur = stScanners
	s.scanCarry += s.scanRate * (0.8 + 0.4*s.rScan.float())
	for s.scanCarry >= 1 {
		s.scanCarry--
		s.probe()
	}
	if s.zombie != nil {
		s.cur = stZombie
		s.zombie.window(s)
	}
	if s.health != nil {
		s.cur = stHealth
		s.health.window(s)
	}
	s.cur = stNTP
	s.ntp.window(s)
	if s.backup != nil {
		s.cur = stBackup
		s.backup.window(s)
	}
	if s.memcached != nil {
		s.cur = stMemcached
		s.memcached.window(s)
	}
	s.cur = stIdle
	s.idle()
}

// emit writes one record in the current window.
func (s *run) emit(r *record) {
	s.buf = s.enc.append(s.buf, r)
	s.n++
	s.active[r.ifc.idx] = true
	t := &s.totals
	t.Records++
	switch {
	case r.status == statusNoData:
		t.NoData++
	case r.status == statusSkipData:
		t.SkipData++
	case r.reject:
		t.Rejected++
	default:
		t.Accepted++
	}
	st := s.cur
	s.records[st]++
	s.first[st] = min(s.first[st], r.start)
	s.last[st] = max(s.last[st], r.end)
}

// idle writes NODATA records for interfaces without traffic in the window
// and, rarely, a SKIPDATA record for one with traffic.
func (s *run) idle() {
	r := &s.rIdle
	var busy []*iface
	for _, ifc := range s.f.ifaces {
		if s.active[ifc.idx] {
			busy = append(busy, ifc)
			continue
		}
		if r.chance(s.cfg.NoDataChance) {
			s.emit(&record{ifc: ifc, status: statusNoData, start: s.w + int64(r.intn(3)), end: s.wEnd - 1 - int64(r.intn(3))})
		}
	}
	if len(busy) > 0 && r.chance(s.cfg.SkipDataChance) {
		ifc := busy[r.intn(len(busy))]
		s.emit(&record{ifc: ifc, status: statusSkipData, start: s.w + int64(r.intn(3)), end: s.wEnd - 1 - int64(r.intn(3))})
	}
}

func (s *run) labels() *Labels {
	c := s.cfg
	f := s.f
	l := &Labels{
		GeneratedBy: "flowhec gen",
		Seed:        c.Seed,
		AccountID:   c.AccountID,
		Region:      c.Region,
		VPCID:       f.vpcID,
		Format:      c.Format.String(),
		Start:       c.Start.UTC(),
		End:         c.end().UTC(),
		Totals:      s.totals,
	}
	if l.Totals.Records > 0 {
		l.Totals.RejectShare = float64(l.Totals.Rejected) / float64(l.Totals.Records)
	}
	add := func(st story, kind string, alert bool, summary string) *Story {
		l.Stories = append(l.Stories, Story{Kind: kind, Alert: alert, Summary: summary, Records: s.records[st]})
		x := &l.Stories[len(l.Stories)-1]
		if s.records[st] > 0 {
			x.Start = time.Unix(s.first[st], 0).UTC()
			x.End = time.Unix(s.last[st], 0).UTC()
		}
		return x
	}
	if s.zombie != nil {
		x := add(stZombie, KindZombie, true, "external hosts with the recycled address hard-coded keep trying it; every try is REJECTed")
		s.zombie.label(s, x)
	}
	if s.memcached != nil {
		x := add(stMemcached, KindMemcached, true, "an external host seeds a key on memcached over UDP 11211, then a 50-byte get is answered with a reply a thousand times larger")
		s.memcached.label(s, x)
	}
	if s.health != nil {
		x := add(stHealth, KindHealthCheck, false, "every ALB node checks every web target: tiny, frequent, ACCEPTed flows to one port")
		s.health.label(s, x)
	}
	x := add(stNTP, KindNTP, false, "instances poll public NTP servers: UDP 123, one small packet each way")
	s.ntp.label(s, x)
	x = add(stDNS, KindDNS, false, "DNS queries to the VPC resolver: UDP 53, a small request and reply")
	x.Target = &Endpoint{Address: f.resolver, Port: 53, Protocol: protoUDP, Name: "Route 53 Resolver"}
	x.DNS = &DNSLabel{Queries: s.dnsCount, Clients: len(s.dnsUsers)}
	if s.backup != nil {
		x := add(stBackup, KindBackup, false, "backup-01 uploads to S3 through the gateway endpoint: large, periodic, outbound")
		s.backup.label(s, x)
	}
	x = add(stScanners, KindScanners, false, "internet scanners probe the public addresses on closed ports; REJECTed")
	sc := s.scanStats
	x.Scanners = &sc
	add(stBackground, KindBackground, false, "the fleet's ordinary traffic, more by day than by night")
	add(stIdle, KindIdle, false, "NODATA records of interfaces without traffic in a window, and rare SKIPDATA records")
	return l
}
