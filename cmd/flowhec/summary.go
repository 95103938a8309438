package main

import (
	"fmt"
	"io"
	"math"
	"net/netip"
	"sort"
	"time"

	"github.com/flowhec/flowhec/flowlog"
)

// summary is what `flowhec parse --summary` prints instead of records: the
// counts an operator checks first, and the rejected destinations that stand
// out (a recycled address that old clients keep knocking on shows up here).
type summary struct {
	started   time.Time
	inputs    int
	gzipped   int
	headers   int
	formats   map[string]int // format string → inputs
	records   int
	bad       int
	accept    int
	reject    int
	nodata    int
	skipdata  int
	bytes     uint64
	packets   uint64
	first     int64
	last      int64
	rejectsTo map[netip.AddrPort]*rejectTarget
}

type rejectTarget struct {
	records int
	sources map[netip.Addr]struct{}
}

func newSummary() *summary {
	return &summary{
		started:   time.Now(),
		formats:   map[string]int{},
		rejectsTo: map[netip.AddrPort]*rejectTarget{},
	}
}

func (s *summary) input(r *flowlog.Reader) {
	s.inputs++
	if r.Gzipped() {
		s.gzipped++
	}
	if r.HasHeader() {
		s.headers++
	}
	s.formats[r.Format().String()]++
}

func (s *summary) add(rec *flowlog.Record) {
	s.records++
	if st, ok := rec.Bytes(flowlog.LogStatus); ok {
		switch string(st) {
		case "NODATA":
			s.nodata++
		case "SKIPDATA":
			s.skipdata++
		}
	}
	if v, ok := rec.Uint(flowlog.Bytes); ok {
		s.bytes = addSat(s.bytes, v)
	}
	if v, ok := rec.Uint(flowlog.Packets); ok {
		s.packets = addSat(s.packets, v)
	}
	if t, ok := rec.Uint(flowlog.Start); ok && (s.first == 0 || int64(t) < s.first) {
		s.first = int64(t)
	}
	if t, ok := rec.Uint(flowlog.End); ok && int64(t) > s.last {
		s.last = int64(t)
	}
	action, ok := rec.Bytes(flowlog.Action)
	if !ok {
		return
	}
	if string(action) == "ACCEPT" {
		s.accept++
		return
	}
	s.reject++
	dst, ok1 := rec.Addr(flowlog.DstAddr)
	port, ok2 := rec.Uint(flowlog.DstPort)
	src, ok3 := rec.Addr(flowlog.SrcAddr)
	if !ok1 || !ok2 || !ok3 {
		return
	}
	key := netip.AddrPortFrom(dst, uint16(port))
	t := s.rejectsTo[key]
	if t == nil {
		t = &rejectTarget{sources: map[netip.Addr]struct{}{}}
		s.rejectsTo[key] = t
	}
	t.records++
	t.sources[src] = struct{}{}
}

func (s *summary) print(w io.Writer) {
	elapsed := time.Since(s.started)
	fmt.Fprintf(w, "inputs:    %d (%d gzip, %d with a header line)\n", s.inputs, s.gzipped, s.headers)
	formats := make([]string, 0, len(s.formats))
	for f := range s.formats {
		formats = append(formats, f)
	}
	sort.Strings(formats)
	for _, f := range formats {
		fmt.Fprintf(w, "format:    %s (%d inputs)\n", f, s.formats[f])
	}
	fmt.Fprintf(w, "records:   %d parsed, %d bad\n", s.records, s.bad)
	if s.records > 0 {
		fmt.Fprintf(w, "actions:   %d ACCEPT, %d REJECT (%.2f%% of records with an action)\n",
			s.accept, s.reject, 100*float64(s.reject)/float64(max(1, s.accept+s.reject)))
		fmt.Fprintf(w, "status:    %d NODATA, %d SKIPDATA\n", s.nodata, s.skipdata)
		fmt.Fprintf(w, "traffic:   %d bytes in %d packets\n", s.bytes, s.packets)
	}
	if s.first > 0 && s.last >= s.first {
		fmt.Fprintf(w, "span:      %s to %s\n",
			time.Unix(s.first, 0).UTC().Format(time.RFC3339), time.Unix(s.last, 0).UTC().Format(time.RFC3339))
	}
	if elapsed > 0 && s.records > 0 {
		fmt.Fprintf(w, "parsed in: %s (%.0f records/s)\n", elapsed.Round(time.Millisecond), float64(s.records+s.bad)/elapsed.Seconds())
	}
	top := make([]netip.AddrPort, 0, len(s.rejectsTo))
	for k := range s.rejectsTo {
		top = append(top, k)
	}
	sort.Slice(top, func(i, j int) bool {
		a, b := s.rejectsTo[top[i]], s.rejectsTo[top[j]]
		if a.records != b.records {
			return a.records > b.records
		}
		return top[i].String() < top[j].String()
	})
	if len(top) > 5 {
		top = top[:5]
	}
	if len(top) > 0 {
		fmt.Fprintln(w, "most rejected destinations:")
		for _, k := range top {
			t := s.rejectsTo[k]
			fmt.Fprintf(w, "  %-22s %7d rejected records from %d sources\n", k, t.records, len(t.sources))
		}
	}
}

// addSat adds without wrapping: a counter field may legally hold up to
// 2^64-1, and a total that wraps would report a small, wrong number.
func addSat(a, b uint64) uint64 {
	if a+b < a {
		return math.MaxUint64
	}
	return a + b
}
