package flowlog_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/flowhec/flowhec/flowlog"
)

// benchSample is about 100k varied default-format lines, built once.
var benchSample = sync.OnceValues(func() ([][]byte, []byte) {
	lines := genLines(100_000, 42)
	return lines, joinLines(lines)
})

// benchIPv6 are varied IPv6 lines.
var benchIPv6 = sync.OnceValue(func() [][]byte {
	var out [][]byte
	for _, l := range genLines(200_000, 43) {
		if bytes.Count(l, []byte(":")) > 0 {
			out = append(out, l)
		}
	}
	return out
})

func benchParse(b *testing.B, format *flowlog.Format, lines [][]byte) {
	size := 0
	for _, l := range lines {
		size += len(l) + 1
	}
	var r flowlog.Record
	for _, l := range lines {
		if err := format.Parse(l, &r); err != nil {
			b.Fatalf("%s: %v", l, err)
		}
	}
	b.SetBytes(int64(size / len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		_ = format.Parse(lines[i%len(lines)], &r)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkParseDefault(b *testing.B) {
	lines, _ := benchSample()
	var v4 [][]byte
	for _, l := range lines {
		if !bytes.Contains(l, []byte(":")) && !bytes.Contains(l, []byte(" - ")) {
			v4 = append(v4, l)
		}
	}
	benchParse(b, flowlog.DefaultFormat(), v4)
}

func BenchmarkParseIPv6(b *testing.B) {
	benchParse(b, flowlog.DefaultFormat(), benchIPv6())
}

func BenchmarkParseAllFields(b *testing.B) {
	// Every field, with the varied default lines' values in the v2 columns.
	format := allFieldsFormat(b)
	rest := strings.SplitN(allFieldsLine(b), " ", 15)[14]
	lines, _ := benchSample()
	var all [][]byte
	for _, l := range lines[:10_000] {
		all = append(all, []byte(string(l)+" "+rest))
	}
	benchParse(b, format, all)
}

func BenchmarkAppendJSON(b *testing.B) {
	lines, _ := benchSample()
	recs := make([]*flowlog.Record, 0, 10_000)
	for _, l := range lines[:10_000] {
		var r flowlog.Record
		if err := flowlog.DefaultFormat().Parse(l, &r); err != nil {
			b.Fatal(err)
		}
		recs = append(recs, &r)
	}
	buf := make([]byte, 0, 4096)
	size := 0
	for _, r := range recs {
		size += len(r.AppendJSON(buf[:0]))
	}
	b.SetBytes(int64(size / len(recs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		buf = recs[i%len(recs)].AppendJSON(buf[:0])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// benchReader reads in, whose text is textSize bytes: MB/s is of text,
// for plain and gzip alike.
func benchReader(b *testing.B, in []byte, textSize, records int) {
	b.SetBytes(int64(textSize))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r := flowlog.NewReader(bytes.NewReader(in), flowlog.ReaderOptions{})
		n := 0
		for r.Next() {
			if r.LineErr() != nil {
				b.Fatal(r.LineErr())
			}
			n++
		}
		if n != records || r.Err() != nil {
			b.Fatalf("%d records, %v", n, r.Err())
		}
	}
	b.ReportMetric(float64(b.N)*float64(records)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkReaderPlain(b *testing.B) {
	lines, text := benchSample()
	benchReader(b, text, len(text), len(lines))
}

func BenchmarkReaderGzip(b *testing.B) {
	lines, text := benchSample()
	benchReader(b, gzipBytes(b, text), len(text), len(lines))
}
