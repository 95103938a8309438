package flowlog_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/flowhec/flowhec/flowlog"
)

// The hot path allocates nothing: parse a line, read its fields, write its
// JSON, read the next line of a stream.
func TestZeroAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters change what escapes")
	}
	all := allFieldsFormat(t)
	reordered := mustParseFormat(t, "${srcaddr} ${dstaddr} ${version} ${action} ${dstport} ${srcport} ${protocol} ${log-status} ${bytes} ${packets} ${account-id} ${interface-id} ${start} ${end}")
	parses := []struct {
		name   string
		format *flowlog.Format
		line   string
	}{
		{"default IPv4", flowlog.DefaultFormat(), lineDefault},
		{"default IPv6", flowlog.DefaultFormat(), lineIPv6},
		{"NODATA", flowlog.DefaultFormat(), lineNoData},
		{"CRLF", flowlog.DefaultFormat(), lineReject + " \r\n"},
		{"all fields", all, allFieldsLine(t)},
		{"reordered", reordered, "172.31.16.139 172.31.16.21 2 ACCEPT 22 20641 6 OK 4249 20 123456789010 eni-1235b8ca123456789 1418530010 1418530070"},
	}
	var r flowlog.Record
	for _, p := range parses {
		line := []byte(p.line)
		if err := p.format.Parse(line, &r); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if n := testing.AllocsPerRun(1000, func() { _ = p.format.Parse(line, &r) }); n != 0 {
			t.Errorf("Parse %s: %v allocations", p.name, n)
		}
		buf := make([]byte, 0, 4096)
		if n := testing.AllocsPerRun(1000, func() { buf = r.AppendJSON(buf[:0]) }); n != 0 {
			t.Errorf("AppendJSON %s: %v allocations", p.name, n)
		}
		checkJSON(t, p.format, buf)
	}

	if err := flowlog.DefaultFormat().Parse([]byte(lineIPv6), &r); err != nil {
		t.Fatal(err)
	}
	var sink uint64
	if n := testing.AllocsPerRun(1000, func() {
		b, _ := r.Bytes(flowlog.InterfaceID)
		v, _ := r.Uint(flowlog.Bytes)
		a, _ := r.Addr(flowlog.SrcAddr)
		s, _ := r.Time()
		sink += uint64(len(b)) + v + uint64(a.BitLen()) + uint64(s)
		if r.IsAccept() {
			sink++
		}
	}); n != 0 {
		t.Errorf("record accessors: %v allocations", n)
	}

	// Reading a stream: after the first lines, Next allocates nothing.
	block := joinLines(genLines(2000, 9))
	for _, tt := range []struct {
		name string
		in   func() io.Reader
	}{
		{"plain", func() io.Reader { return newCycleReader(block, 1<<40) }},
		{"gzip", func() io.Reader {
			// One gzip member of many copies of the block.
			return bytes.NewReader(gzipBytes(t, bytes.Repeat(block, 10)))
		}},
	} {
		rd := flowlog.NewReader(tt.in(), flowlog.ReaderOptions{})
		for range 5000 { // warm up: buffers sized, first gzip blocks read
			if !rd.Next() || rd.LineErr() != nil {
				t.Fatalf("%s: %v %v", tt.name, rd.LineErr(), rd.Err())
			}
		}
		if n := testing.AllocsPerRun(10000, func() {
			if !rd.Next() || rd.LineErr() != nil {
				t.Fatalf("%s: %v %v", tt.name, rd.LineErr(), rd.Err())
			}
		}); n != 0 {
			t.Errorf("Reader.Next %s: %v allocations per line", tt.name, n)
		}
	}
}
