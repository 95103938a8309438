package flowlog_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowhec/flowhec/flowlog"
)

// testdata is the repository's testdata directory, shared with cmd/flowhec.
const testdata = "../testdata"

// Lines of the default format used throughout the tests.
const (
	lineDefault = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	lineReject  = "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK"
	lineIPv6    = "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK"
	lineNoData  = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"
	lineSkip    = "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA"
)

func mustParseFormat(t testing.TB, s string) *flowlog.Format {
	t.Helper()
	f, err := flowlog.ParseFormat(s)
	if err != nil {
		t.Fatalf("ParseFormat(%q): %v", s, err)
	}
	return f
}

// allFieldsFormat has every known field, in the order of the field table.
func allFieldsFormat(t testing.TB) *flowlog.Format {
	t.Helper()
	var names []string
	for _, f := range flowlog.Fields() {
		names = append(names, f.AWSName())
	}
	return mustParseFormat(t, strings.Join(names, " "))
}

// allFieldsLine is a valid line of allFieldsFormat with a value in every
// column, so that every type is validated and written.
func allFieldsLine(t testing.TB) string {
	t.Helper()
	var vals []string
	for _, f := range flowlog.Fields() {
		vals = append(vals, sampleValue(f))
	}
	return strings.Join(vals, " ")
}

func sampleValue(f flowlog.Field) string {
	switch f {
	case flowlog.Version:
		return "11"
	case flowlog.SrcAddr, flowlog.PktSrcAddr:
		return "10.0.12.34"
	case flowlog.DstAddr:
		return "2600:1f18:4a3:6902::1"
	case flowlog.PktDstAddr:
		return "52.95.128.179"
	case flowlog.Start:
		return "1700000000"
	case flowlog.End:
		return "1700000060"
	case flowlog.Bytes:
		return "18446744073709551615"
	}
	switch f.Type() {
	case flowlog.TypeInt:
		return "42"
	case flowlog.TypePort:
		return "65535"
	case flowlog.TypeProtocol:
		return "255"
	case flowlog.TypeAction:
		return "REJECT"
	case flowlog.TypeLogStatus:
		return "OK"
	case flowlog.TypeAccount:
		return "012345678901"
	}
	return "v-" + f.AWSName()
}

// item is what one call of Reader.Next delivered.
type item struct {
	line   int
	rec    *flowlog.Record // a clone; nil when err is set
	raw    string          // the record's Line
	err    *flowlog.ParseError
	errAny error // LineErr as returned, to check its type
}

// readAll reads every record of in and returns them with Reader.Err.
func readAll(t testing.TB, in io.Reader, opts flowlog.ReaderOptions) ([]item, *flowlog.Reader, error) {
	t.Helper()
	r := flowlog.NewReader(in, opts)
	var items []item
	for r.Next() {
		it := item{line: r.Line(), raw: string(r.Record().Line)}
		if err := r.LineErr(); err != nil {
			it.errAny = err
			var pe *flowlog.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("line %d: LineErr %T %v is not a *ParseError", r.Line(), err, err)
			}
			it.err = pe
		} else {
			it.rec = r.Record().Clone()
		}
		items = append(items, it)
		if len(items) > 10_000_000 {
			t.Fatal("reader does not end")
		}
	}
	return items, r, r.Err()
}

func countGood(items []item) (good, bad int) {
	for _, it := range items {
		if it.err == nil {
			good++
		} else {
			bad++
		}
	}
	return good, bad
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lineFormats reads testdata/flowlogs/formats.txt: the format of each
// header-less sample.
func lineFormats(t testing.TB) map[string]string {
	t.Helper()
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, filepath.Join(testdata, "flowlogs", "formats.txt"))))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		file, format, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("formats.txt: no tab in %q", line)
		}
		m[file] = format
	}
	return m
}

// checkJSON asserts that b is one valid JSON object whose numbers are the
// numeric fields of f, whose strings are the others, and that has no value
// "-" (absent fields are left out). It returns the object.
func checkJSON(t testing.TB, f *flowlog.Format, b []byte) map[string]any {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	for i := 0; i < f.Len(); i++ {
		v, ok := m[f.SplunkName(i)]
		if !ok {
			continue
		}
		switch v := v.(type) {
		case json.Number:
			if !f.Field(i).Type().IsNumber() {
				t.Errorf("%s: %s is a number, want a string", b, f.SplunkName(i))
			}
		case string:
			if f.Field(i).Type().IsNumber() {
				t.Errorf("%s: %s is a string, want a number", b, f.SplunkName(i))
			}
			if v == "-" {
				t.Errorf("%s: %s is \"-\": absent fields must be left out", b, f.SplunkName(i))
			}
		default:
			t.Errorf("%s: %s is %T", b, f.SplunkName(i), v)
		}
	}
	if len(m) > f.Len() {
		t.Errorf("%s: %d keys for a format of %d fields", b, len(m), f.Len())
	}
	return m
}

func sentinelName(err error) string {
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return fmt.Sprintf("no sentinel (%v)", err)
}

var sentinels = []struct {
	name string
	err  error
}{
	{"ErrFieldCount", flowlog.ErrFieldCount},
	{"ErrNumber", flowlog.ErrNumber},
	{"ErrRange", flowlog.ErrRange},
	{"ErrAddress", flowlog.ErrAddress},
	{"ErrAction", flowlog.ErrAction},
	{"ErrLogStatus", flowlog.ErrLogStatus},
	{"ErrAccount", flowlog.ErrAccount},
	{"ErrControl", flowlog.ErrControl},
	{"ErrLineTooLong", flowlog.ErrLineTooLong},
	{"ErrEmptyLine", flowlog.ErrEmptyLine},
}

// genLines returns n varied default-format lines, the same for the same
// seed: IPv4 traffic mostly, some IPv6, some REJECT, NODATA and SKIPDATA,
// with addresses, ports and counters spread over their ranges.
func genLines(n int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	enis := make([]string, 64)
	for i := range enis {
		enis[i] = fmt.Sprintf("eni-%017x", rng.Uint64()>>4)
	}
	ports := []int{22, 53, 80, 123, 443, 3306, 3389, 5432, 6379, 8080, 11211}
	lines := make([][]byte, n)
	t := 1700000000
	for i := range lines {
		var b []byte
		eni := enis[rng.IntN(len(enis))]
		if i%5 == 0 {
			t += rng.IntN(3)
		}
		switch k := rng.IntN(1000); {
		case k < 5:
			b = fmt.Appendf(b, "2 123456789010 %s - - - - - - - %d %d - NODATA", eni, t, t+60)
		case k < 7:
			b = fmt.Appendf(b, "2 123456789010 %s - - - - - - - %d %d - SKIPDATA", eni, t, t+60)
		case k < 100:
			b = fmt.Appendf(b, "2 123456789010 %s 2600:1f18:%x:%x::%x 2600:1f18:%x:%x::%x %d %d 6 %d %d %d %d ACCEPT OK",
				eni, rng.IntN(0x10000), rng.IntN(0x10000), rng.IntN(0x10000), rng.IntN(0x10000), rng.IntN(0x10000), rng.IntN(0x10000),
				1024+rng.IntN(64512), ports[rng.IntN(len(ports))], 1+rng.IntN(500), 40+rng.IntN(1_000_000), t, t+rng.IntN(60))
		default:
			action := "ACCEPT"
			if rng.IntN(50) == 0 {
				action = "REJECT"
			}
			proto := []int{6, 6, 6, 6, 17, 17, 1}[rng.IntN(7)]
			sport, dport := 1024+rng.IntN(64512), ports[rng.IntN(len(ports))]
			if proto == 1 {
				sport, dport = 0, 0
			}
			b = fmt.Appendf(b, "2 %012d %s 10.%d.%d.%d 172.31.%d.%d %d %d %d %d %d %d %d %s OK",
				123456789010+rng.IntN(3), eni, rng.IntN(256), rng.IntN(256), 1+rng.IntN(254), rng.IntN(256), 1+rng.IntN(254),
				sport, dport, proto, 1+rng.IntN(5000), 40+rng.IntN(10_000_000), t, t+rng.IntN(60), action)
		}
		lines[i] = b
	}
	return lines
}

// joinLines joins lines with "\n" after each.
func joinLines(lines [][]byte) []byte {
	var b []byte
	for _, l := range lines {
		b = append(b, l...)
		b = append(b, '\n')
	}
	return b
}
