package flowgen_test

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowhec/flowhec/enrich/inventory"
	"github.com/flowhec/flowhec/flowgen"
	"github.com/flowhec/flowhec/flowlog"
)

// testConfig is one full clock hour at the default rate (180,000 records)
// with the memcached story in it: big enough for every story and for the
// reject share to be measured, small enough for -race.
func testConfig() flowgen.Config {
	c := flowgen.DefaultConfig()
	c.Start = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	c.Duration = time.Hour
	c.Memcached.At = c.Start.Add(17*time.Minute + 23*time.Second)
	c.Backup.Offset = 10*time.Hour + 40*time.Minute // one run at 10:40
	c.Backup.Every = 24 * time.Hour
	return c
}

// generated is one run's output.
type generated struct {
	cfg    flowgen.Config
	lines  []byte
	labels *flowgen.Labels
	inv    *inventory.Inventory
	flows  []flow // the lines parsed, for a default-format fixture
}

// flow is one parsed default-format record, small enough to keep a few
// hundred thousand of them.
type flow struct {
	eni            string
	src, dst       netip.Addr
	sport, dport   uint16
	proto          uint8
	packets, bytes uint64
	start, end     int64
	status         string // OK, NODATA, SKIPDATA
	reject         bool
}

func parseFlows(t testing.TB, f *flowlog.Format, data []byte) []flow {
	t.Helper()
	intern := map[string]string{}
	in := func(b []byte) string {
		if s, ok := intern[string(b)]; ok {
			return s
		}
		s := string(b)
		intern[s] = s
		return s
	}
	var out []flow
	eachRecord(t, f, data, func(r *flowlog.Record) {
		var x flow
		b, _ := r.Bytes(flowlog.InterfaceID)
		x.eni = in(b)
		b, _ = r.Bytes(flowlog.LogStatus)
		x.status = in(b)
		x.src, _ = r.Addr(flowlog.SrcAddr)
		x.dst, _ = r.Addr(flowlog.DstAddr)
		sp, _ := r.Uint(flowlog.SrcPort)
		dp, _ := r.Uint(flowlog.DstPort)
		p, _ := r.Uint(flowlog.Protocol)
		x.sport, x.dport, x.proto = uint16(sp), uint16(dp), uint8(p)
		x.packets, _ = r.Uint(flowlog.Packets)
		x.bytes, _ = r.Uint(flowlog.Bytes)
		st, _ := r.Uint(flowlog.Start)
		en, _ := r.Uint(flowlog.End)
		x.start, x.end = int64(st), int64(en)
		a, _ := r.Bytes(flowlog.Action)
		x.reject = string(a) == "REJECT"
		out = append(out, x)
	})
	return out
}

func generate(t testing.TB, c flowgen.Config) *generated {
	t.Helper()
	g, err := flowgen.New(c)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	l, err := g.WriteLines(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return &generated{cfg: g.Config(), lines: buf.Bytes(), labels: l, inv: g.Inventory()}
}

// The default test run is shared: several tests read it.
var (
	fixtureOnce sync.Once
	fixtureData *generated
)

func fixture(t testing.TB) *generated {
	t.Helper()
	fixtureOnce.Do(func() {
		g := generate(t, testConfig())
		g.flows = parseFlows(t, g.cfg.Format, g.lines)
		fixtureData = g
	})
	if fixtureData == nil {
		t.Fatal("fixture failed")
	}
	return fixtureData
}

// eachRecord parses every line of data with f, failing the test on the
// first line that does not parse.
func eachRecord(t testing.TB, f *flowlog.Format, data []byte, fn func(r *flowlog.Record)) int {
	t.Helper()
	var rec flowlog.Record
	n := 0
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			t.Fatalf("line %d has no line ending: %q", n+1, data)
		}
		line := data[:i]
		data = data[i+1:]
		n++
		if err := f.Parse(line, &rec); err != nil {
			t.Fatalf("line %d: %v\n%s", n, err, line)
		}
		fn(&rec)
	}
	return n
}

// shuffledAllFields is every known field in a random order, with one field
// name no table knows yet in the middle.
func shuffledAllFields(t testing.TB, seed uint64) *flowlog.Format {
	t.Helper()
	var names []string
	for _, f := range flowlog.Fields() {
		names = append(names, f.AWSName())
	}
	names = append(names, "future-field")
	r := rand.New(rand.NewPCG(seed, seed))
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	f, err := flowlog.ParseFormat(strings.Join(names, " "))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func str(r *flowlog.Record, f flowlog.Field) string {
	b, ok := r.Bytes(f)
	if !ok {
		return "-"
	}
	return string(b)
}

func num(t testing.TB, r *flowlog.Record, f flowlog.Field) uint64 {
	v, ok := r.Uint(f)
	if !ok {
		t.Fatalf("%s absent in %s", f, r.Line)
	}
	return v
}
