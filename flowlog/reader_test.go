package flowlog_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/flowhec/flowhec/flowlog"
)

// dataLines counts the lines of a text sample that hold a record: not
// blank and not the header.
func dataLines(b []byte, header bool) int {
	n := 0
	for i, l := range bytes.Split(b, []byte("\n")) {
		if i == 0 && header {
			continue
		}
		if len(bytes.TrimSpace(l)) > 0 {
			n++
		}
	}
	return n
}

// Every sample parses without an error, and nothing is dropped: each
// record line of the file gives one record.
func TestReaderSamples(t *testing.T) {
	formats := lineFormats(t)
	type sample struct {
		path   string
		format string
	}
	var samples []sample
	for _, dir := range []string{"s3", "cloudwatch"} {
		files, _ := filepath.Glob(filepath.Join(testdata, "flowlogs", dir, "*"))
		for _, f := range files {
			samples = append(samples, sample{f, ""})
		}
	}
	for file, format := range formats {
		samples = append(samples, sample{filepath.Join(testdata, "flowlogs", file), format})
	}
	if len(samples) < 25 {
		t.Fatalf("%d samples", len(samples))
	}
	for _, s := range samples {
		t.Run(strings.TrimPrefix(s.path, testdata+"/flowlogs/"), func(t *testing.T) {
			opts := flowlog.ReaderOptions{Source: s.path}
			if s.format != "" {
				opts.Format = mustParseFormat(t, s.format)
			}
			data := readFile(t, s.path)
			items, r, err := readAll(t, bytes.NewReader(data), opts)
			if err != nil {
				t.Fatalf("Err: %v", err)
			}
			for _, it := range items {
				if it.err != nil {
					t.Errorf("line %d: %v", it.line, it.err)
					continue
				}
				f := it.rec.Format()
				if it.rec.Len() != f.Len() {
					t.Errorf("line %d: %d columns, format has %d", it.line, it.rec.Len(), f.Len())
				}
				// AWS writes the version of the format's newest field.
				if v, ok := it.rec.Uint(flowlog.Version); ok && int(v) != f.Version() {
					t.Errorf("line %d: version %d, format is version %d", it.line, v, f.Version())
				}
				checkJSON(t, f, it.rec.AppendJSON(nil))
			}
			wantGzip := strings.HasSuffix(s.path, ".gz")
			if r.Gzipped() != wantGzip {
				t.Errorf("Gzipped = %v", r.Gzipped())
			}
			wantCW := strings.Contains(s.path, "cloudwatch")
			if (r.Encoding() == flowlog.EncodingCloudWatch) != wantCW {
				t.Errorf("Encoding = %v", r.Encoding())
			}
			if wantCW {
				return
			}
			if r.HasHeader() != (s.format == "") {
				t.Errorf("HasHeader = %v", r.HasHeader())
			}
			if wantGzip {
				var err error
				if data, err = io.ReadAll(mustGunzip(t, data)); err != nil {
					t.Fatal(err)
				}
			}
			if want := dataLines(data, r.HasHeader()); len(items) != want {
				t.Errorf("%d records, the file has %d record lines", len(items), want)
			}
		})
	}
}

func mustGunzip(t testing.TB, b []byte) io.Reader {
	t.Helper()
	zr, err := kgzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

// A gzip sample gives the same records as the plain file it was made from,
// also when the file is two gzip members cut in the middle of a line.
func TestReaderGzipSameAsPlain(t *testing.T) {
	for plain, gzs := range map[string][]string{
		"v2-default.log": {"v2-default.log.gz", "v2-default-two-members.log.gz"},
		"all-fields.log": {"all-fields.log.gz"},
	} {
		dir := filepath.Join(testdata, "flowlogs", "s3")
		want := jsonLines(t, readFile(t, filepath.Join(dir, plain)), flowlog.ReaderOptions{})
		for _, gz := range gzs {
			if got := jsonLines(t, readFile(t, filepath.Join(dir, gz)), flowlog.ReaderOptions{}); got != want {
				t.Errorf("%s:\n%s\nwant (from %s)\n%s", gz, got, plain, want)
			}
		}
	}
}

// jsonLines reads in and returns its records as JSON lines, or each bad
// line's error.
func jsonLines(t testing.TB, in []byte, opts flowlog.ReaderOptions) string {
	t.Helper()
	items, _, err := readAll(t, bytes.NewReader(in), opts)
	var b strings.Builder
	for _, it := range items {
		if it.err != nil {
			fmt.Fprintf(&b, "error: %v\n", it.err)
			continue
		}
		b.Write(it.rec.AppendJSON(nil))
		b.WriteByte('\n')
	}
	if err != nil {
		fmt.Fprintf(&b, "Err: %v\n", err)
	}
	return b.String()
}

func TestReaderMultiMemberGzip(t *testing.T) {
	lines := joinLines(genLines(2000, 1))
	for _, cut := range []int{0, 1, 117, len(lines) / 2, len(lines) - 1, len(lines)} {
		var in []byte
		in = append(in, gzipBytes(t, lines[:cut])...)
		in = append(in, gzipBytes(t, lines[cut:])...)
		items, r, err := readAll(t, bytes.NewReader(in), flowlog.ReaderOptions{})
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if !r.Gzipped() || len(items) != 2000 {
			t.Fatalf("cut %d: gzipped %v, %d records", cut, r.Gzipped(), len(items))
		}
		if good, _ := countGood(items); good != 2000 {
			t.Errorf("cut %d: %d good", cut, good)
		}
		if string(items[1999].raw) != string(genLines(2000, 1)[1999]) {
			t.Errorf("cut %d: last record %q", cut, items[1999].raw)
		}
	}
}

func TestReaderHeader(t *testing.T) {
	custom := mustParseFormat(t, "${srcaddr} ${dstaddr} ${action}")
	tests := []struct {
		name      string
		in        string
		format    *flowlog.Format
		header    bool
		wantFmt   string // Header() of the reader's format
		wantFirst string // want of the first record
	}{
		{"default header", defaultHeader + "\n" + lineDefault + "\n", nil, true, defaultHeader, "dstport=22"},
		{"header overrides the option", defaultHeader + "\n" + lineDefault + "\n", custom, true, defaultHeader, "dstport=22"},
		{"custom header over default", "srcaddr dstaddr action\n10.0.0.1 10.0.0.2 REJECT\n", nil, true, "srcaddr dstaddr action", "srcaddr=10.0.0.1 action=REJECT"},
		{"CRLF header", "srcaddr dstaddr action\r\n10.0.0.1 10.0.0.2 REJECT\r\n", nil, true, "srcaddr dstaddr action", "action=REJECT"},
		{"no header uses the option", "10.0.0.1 10.0.0.2 ACCEPT\n", custom, false, "srcaddr dstaddr action", "srcaddr=10.0.0.1"},
		{"no header, default", lineDefault + "\n", nil, false, defaultHeader, "srcport=20641"},
		{"header with unknown field", "srcaddr traffic-class\n10.0.0.1 af41\n", nil, true, "srcaddr traffic-class", "traffic-class=af41"},
		// Records of custom formats whose values look like words are not
		// headers.
		{"ACCEPT OK", "ACCEPT OK\nREJECT OK\n", mustParseFormat(t, "action log-status"), false, "action log-status", "action=ACCEPT"},
		{"ingress egress", "ingress egress\n", mustParseFormat(t, "flow-direction sublocation-type"), false, "flow-direction sublocation-type", "flow-direction=ingress"},
		{"lower-case values", "ingress us-east-1 use1-az1 wavelength wlz-0123456789abcdef0\n", mustParseFormat(t, "flow-direction region az-id sublocation-type sublocation-id"), false,
			"flow-direction region az-id sublocation-type sublocation-id", "region=us-east-1"},
		{"NAT gateway record", "- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5\n", mustParseFormat(t, "instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr"), false,
			"instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr", "instance-id= pkt-dstaddr=203.0.113.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, r, err := readAll(t, strings.NewReader(tt.in), flowlog.ReaderOptions{Format: tt.format})
			if err != nil {
				t.Fatal(err)
			}
			if r.HasHeader() != tt.header || r.Format().Header() != tt.wantFmt {
				t.Errorf("HasHeader %v Format %q", r.HasHeader(), r.Format().Header())
			}
			if len(items) == 0 || items[0].err != nil {
				t.Fatalf("first record: %+v", items)
			}
			first := 1
			if tt.header {
				first = 2
			}
			if items[0].line != first {
				t.Errorf("first record on line %d, want %d", items[0].line, first)
			}
			checkWant(t, items[0].rec, tt.wantFirst)
		})
	}
	// A header equal to the option's format keeps the option's instance.
	_, r, _ := readAll(t, strings.NewReader(defaultHeader+"\n"+lineDefault+"\n"), flowlog.ReaderOptions{})
	if r.Format() != flowlog.DefaultFormat() {
		t.Error("a default header does not give DefaultFormat()")
	}
}

// Only the first line can be a header: a header-shaped line further down
// is a bad record, not a change of format.
func TestReaderHeaderOnlyOnLineOne(t *testing.T) {
	in := lineDefault + "\n" + "srcaddr dstaddr action\n" + "10.0.0.1 10.0.0.2 REJECT\n"
	items, r, err := readAll(t, strings.NewReader(in), flowlog.ReaderOptions{})
	if err != nil || r.HasHeader() || !r.Format().IsDefault() {
		t.Fatalf("Err %v HasHeader %v format %s", err, r.HasHeader(), r.Format())
	}
	if len(items) != 3 || items[0].err != nil || items[1].err == nil || items[2].err == nil {
		t.Fatalf("items %+v", items)
	}
	if !errors.Is(items[1].err, flowlog.ErrNumber) || items[1].err.Field != "version" || items[1].line != 2 {
		t.Errorf("line 2: %v", items[1].err)
	}
}

// A header AWS cannot have written stops the read: parsing on with the
// previous format would put values in the wrong fields.
func TestReaderBadHeaderStops(t *testing.T) {
	for _, in := range []string{
		// Duplicate field, and lines that fit the default format.
		"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action action\n" + lineDefault + "\n" + lineReject + "\n",
		"version srcaddr srcaddr\n2 10.0.0.1 10.0.0.2\n",
	} {
		items, r, err := readAll(t, strings.NewReader(in), flowlog.ReaderOptions{Source: "obj"})
		if len(items) != 0 {
			t.Errorf("%d records after a bad header: %+v", len(items), items)
		}
		if !errors.Is(err, flowlog.ErrFormat) || !strings.Contains(err.Error(), "obj:1: header line: invalid flow-log format: field") {
			t.Errorf("Err = %v", err)
		}
		if r.Next() {
			t.Error("Next after the end")
		}
	}
}

func TestReaderLineNumbersAndBlankLines(t *testing.T) {
	data := readFile(t, filepath.Join(testdata, "flowlogs", "s3", "crlf-trailing-blanks.log"))
	items, r, err := readAll(t, bytes.NewReader(data), flowlog.ReaderOptions{})
	if err != nil || !r.HasHeader() {
		t.Fatalf("Err %v header %v", err, r.HasHeader())
	}
	var lines []int
	for _, it := range items {
		if it.err != nil {
			t.Errorf("line %d: %v", it.line, it.err)
		}
		lines = append(lines, it.line)
		if strings.ContainsAny(it.raw, "\r\n") || strings.HasSuffix(it.raw, " ") || strings.HasSuffix(it.raw, "\t") {
			t.Errorf("line %d: Line %q keeps its ending", it.line, it.raw)
		}
	}
	if fmt.Sprint(lines) != "[2 3 4 6]" {
		t.Errorf("records on lines %v, want [2 3 4 6]", lines)
	}
	checkWant(t, items[2].rec, "srcaddr=10.0.0.1 dstaddr=10.0.0.2 srcport=443 dstport=51000 log-status=OK")
	if r.Line() != 9 {
		t.Errorf("Line() at the end = %d, want 9", r.Line())
	}
}

func TestReaderEmptyInputs(t *testing.T) {
	for name, in := range map[string][]byte{
		"empty":             nil,
		"blank lines":       []byte("\n\n  \r\n\t\n"),
		"empty gzip":        gzipBytes(t, nil),
		"gzip blank":        gzipBytes(t, []byte("\n\n")),
		"header only":       []byte(defaultHeader + "\n"),
		"header no newline": []byte(defaultHeader),
		"header gzip":       gzipBytes(t, []byte(defaultHeader+"\r\n")),
		"control only":      []byte(`{"messageType":"CONTROL_MESSAGE","logEvents":[{"message":"CWL CONTROL MESSAGE"}]}`),
		"no payloads":       []byte("  \n"),
	} {
		items, _, err := readAll(t, bytes.NewReader(in), flowlog.ReaderOptions{})
		if err != nil || len(items) != 0 {
			t.Errorf("%s: %d records, Err %v", name, len(items), err)
		}
	}
}

// The last line needs no line ending.
func TestReaderNoFinalNewline(t *testing.T) {
	for _, in := range []string{lineDefault, lineDefault + "\n" + lineReject, lineDefault + "\r\n" + lineReject + "   "} {
		items, _, err := readAll(t, strings.NewReader(in), flowlog.ReaderOptions{})
		if err != nil || len(items) != strings.Count(in, "\n")+1 {
			t.Fatalf("%q: %d records, %v", in, len(items), err)
		}
		for _, it := range items {
			if it.err != nil {
				t.Errorf("%q: %v", in, it.err)
			}
		}
	}
}

// Lines longer than the limit are reported, skipped to their end, and the
// lines around them still come out; memory does not grow with the line.
func TestReaderLineTooLong(t *testing.T) {
	long := bytes.Repeat([]byte("1234567 "), 1<<17) // 1 MiB
	tests := []struct {
		name  string
		max   int
		input []byte
		gzip  bool
	}{
		{"1MiB line", 0, joinLines([][]byte{[]byte(lineDefault), long, []byte(lineReject)}), false},
		{"1MiB line gzip", 0, joinLines([][]byte{[]byte(lineDefault), long, []byte(lineReject)}), true},
		{"1MiB last line without newline", 0, append(joinLines([][]byte{[]byte(lineDefault), []byte(lineReject)}), long...), false},
		{"just over a small limit", 200, joinLines([][]byte{[]byte(lineDefault), bytes.Repeat([]byte("x"), 200), []byte(lineReject)}), false},
		{"just over the default limit", 0, joinLines([][]byte{[]byte(lineDefault), bytes.Repeat([]byte("x"), flowlog.DefaultMaxLineBytes), []byte(lineReject)}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.input
			if tt.gzip {
				in = gzipBytes(t, in)
			}
			items, _, err := readAll(t, bytes.NewReader(in), flowlog.ReaderOptions{Source: "big", MaxLineBytes: tt.max})
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, it := range items {
				if it.err == nil {
					lines = append(lines, fmt.Sprintf("%d ok", it.line))
					continue
				}
				lines = append(lines, fmt.Sprintf("%d %s", it.line, sentinelName(it.err)))
				// The record keeps the head of the long line, for a raw
				// event, and not more.
				wantHead := strings.Repeat("1234567 ", 8)
				if bytes.Contains(tt.input, []byte("xxx")) {
					wantHead = strings.Repeat("x", 64)
				}
				if it.raw != wantHead {
					t.Errorf("line %d: record Line %q is not the head of the long line", it.line, it.raw)
				}
				limit := tt.max
				if limit == 0 {
					limit = flowlog.DefaultMaxLineBytes
				}
				want := fmt.Sprintf("big:%d: line longer than %d bytes; skipped to the next line ending", it.line, limit)
				if it.err.Error() != want {
					t.Errorf("\n got %v\nwant %s", it.err, want)
				}
			}
			want := "[1 ok 2 ErrLineTooLong 3 ok]"
			if strings.Contains(tt.name, "last line") {
				want = "[1 ok 2 ok 3 ErrLineTooLong]"
			}
			if fmt.Sprint(lines) != want {
				t.Errorf("got %v, want %s", lines, want)
			}
		})
	}
	// A line of exactly the limit, line ending included, still fits.
	line := lineDefault + strings.Repeat(" ", 200-len(lineDefault)-1) + "\n"
	items, _, err := readAll(t, strings.NewReader(line+line), flowlog.ReaderOptions{MaxLineBytes: 200})
	if err != nil || len(items) != 2 || items[0].err != nil || items[1].err != nil {
		t.Errorf("lines of 200 bytes with MaxLineBytes 200: %+v %v", items, err)
	}
}

// errAfter returns data, then err.
type errAfter struct {
	data []byte
	err  error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestReaderIOError(t *testing.T) {
	boom := errors.New("connection reset")
	in := &errAfter{data: []byte(lineDefault + "\n" + lineReject + "\n" + "2 1234"), err: boom}
	items, _, err := readAll(t, in, flowlog.ReaderOptions{Source: "s3://bucket/key"})
	if !errors.Is(err, boom) {
		t.Fatalf("Err = %v", err)
	}
	if want := "s3://bucket/key: read after line 3: connection reset"; err.Error() != want {
		t.Errorf("\n got %v\nwant %s", err, want)
	}
	// The two whole lines, then the cut one as a bad line.
	if len(items) != 3 || items[0].err != nil || items[1].err != nil || !errors.Is(items[2].err, flowlog.ErrFieldCount) {
		t.Errorf("items: %+v", items)
	}
	// Readers that return data with their error, and one byte at a time.
	for name, in := range map[string]io.Reader{
		"data with error": iotest.DataErrReader(strings.NewReader(lineDefault + "\n" + lineReject + "\n")),
		"one byte":        iotest.OneByteReader(strings.NewReader(defaultHeader + "\n" + lineDefault + "\n" + lineReject + "\n")),
		"half":            iotest.HalfReader(strings.NewReader(lineDefault + "\n" + lineReject)),
	} {
		items, _, err := readAll(t, in, flowlog.ReaderOptions{})
		if err != nil || len(items) != 2 || items[0].err != nil || items[1].err != nil {
			t.Errorf("%s: %+v %v", name, items, err)
		}
	}
	// A timeout error on the first read stops the reader cleanly.
	items, _, err = readAll(t, iotest.TimeoutReader(strings.NewReader("")), flowlog.ReaderOptions{})
	if len(items) != 0 || err != nil {
		t.Errorf("empty timeout reader: %+v %v", items, err)
	}
}

// makeTruncatedGzip returns a gzip stream of n varied lines cut at frac of
// its length, and the lines.
func makeTruncatedGzip(t testing.TB, n int, frac float64) ([]byte, [][]byte) {
	lines := genLines(n, 3)
	gz := gzipBytes(t, joinLines(lines))
	return gz[:int(float64(len(gz))*frac)], lines
}

// A cut gzip object gives every line the decompressor could recover, the
// cut line as a bad line, then an error that says the object is
// incomplete.
func TestReaderTruncatedGzip(t *testing.T) {
	for _, frac := range []float64{0.1, 0.5, 0.9, 0.999} {
		in, lines := makeTruncatedGzip(t, 20000, frac)
		// What the decompressor itself recovers from the cut stream.
		recovered, rerr := io.ReadAll(mustGunzip(t, in))
		if !errors.Is(rerr, io.ErrUnexpectedEOF) {
			t.Fatalf("frac %v: decompressor error %v", frac, rerr)
		}
		whole := bytes.Count(recovered, []byte("\n"))
		items, _, err := readAll(t, bytes.NewReader(in), flowlog.ReaderOptions{Source: "cut.log.gz"})
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "cut.log.gz: gzip stream truncated after line") || !strings.Contains(err.Error(), "re-fetch") {
			t.Errorf("frac %v: Err = %v", frac, err)
		}
		if whole < 100 {
			t.Fatalf("frac %v: only %d lines recovered: the test input is too small", frac, whole)
		}
		good, bad := countGood(items)
		if good < whole || good > whole+1 || bad > 1 || good+bad != whole+btoi(len(recovered) > 0 && recovered[len(recovered)-1] != '\n') {
			t.Errorf("frac %v: %d good and %d bad records, the decompressor recovered %d whole lines", frac, good, bad, whole)
		}
		for i := 0; i < whole; i++ {
			if items[i].err != nil || items[i].raw != string(lines[i]) {
				t.Fatalf("frac %v: record %d: %q %v, want %q", frac, i, items[i].raw, items[i].err, lines[i])
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestReaderCorruptGzip(t *testing.T) {
	body := joinLines(genLines(500, 4))
	gz := gzipBytes(t, body)
	badSum := bytes.Clone(gz)
	badSum[len(badSum)-8] ^= 0xff // CRC-32 of the trailer
	badSize := bytes.Clone(gz)
	badSize[len(badSize)-1] ^= 0xff // ISIZE of the trailer
	tests := []struct {
		name   string
		in     []byte
		good   int
		is     error
		substr string
	}{
		{"checksum", badSum, 500, kgzip.ErrChecksum, "in: corrupt gzip data after line 500: gzip: invalid checksum"},
		{"size", badSize, 500, kgzip.ErrChecksum, "corrupt gzip data after line 500"},
		{"trailing garbage", append(bytes.Clone(gz), "garbage after the member\n"...), 500, kgzip.ErrHeader, "in: corrupt gzip data after line 500: gzip: invalid header"},
		{"trailing zeros", append(bytes.Clone(gz), make([]byte, 512)...), 500, kgzip.ErrHeader, "corrupt gzip data after line 500"},
		{"magic only", []byte{0x1f, 0x8b}, 0, io.ErrUnexpectedEOF, "in: gzip header: unexpected EOF"},
		{"bad header", []byte{0x1f, 0x8b, 0x09, 0, 0, 0, 0, 0, 0, 0xff}, 0, kgzip.ErrHeader, "in: gzip header: gzip: invalid header"},
	}
	for _, tt := range tests {
		items, _, err := readAll(t, bytes.NewReader(tt.in), flowlog.ReaderOptions{Source: "in"})
		good, bad := countGood(items)
		if good != tt.good || bad != 0 {
			t.Errorf("%s: %d good %d bad, want %d good", tt.name, good, bad, tt.good)
		}
		if !errors.Is(err, tt.is) || !strings.Contains(fmt.Sprint(err), tt.substr) {
			t.Errorf("%s: Err = %v, want %v containing %q", tt.name, err, tt.is, tt.substr)
		}
	}
}

// cycleReader yields whole copies of block until size bytes are read.
type cycleReader struct {
	block []byte
	off   int
	left  int64
}

func (c *cycleReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), c.left)]
	n := copy(p, c.block[c.off:])
	c.off = (c.off + n) % len(c.block)
	c.left -= int64(n)
	return n, nil
}

func newCycleReader(block []byte, size int64) *cycleReader {
	size -= size % int64(len(block)) // whole blocks: whole lines
	return &cycleReader{block: block, left: size}
}

// Streaming a few hundred MB through a Reader keeps the heap flat: memory
// is bounded by a line and a buffer, not by the input.
func TestReaderStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams hundreds of MB")
	}
	block := joinLines(genLines(10000, 5)) // about 1 MB of varied lines
	size := int64(256 << 20)
	gzSize := int64(48 << 20)
	if raceEnabled {
		size, gzSize = 24<<20, 4<<20
	}
	const limit = 32 << 20
	run := func(t *testing.T, in io.Reader, wantGzip bool) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapInuse
		peak := base
		r := flowlog.NewReader(in, flowlog.ReaderOptions{})
		var records, bytesIn int64
		for r.Next() {
			if err := r.LineErr(); err != nil {
				t.Fatalf("line %d: %v", r.Line(), err)
			}
			records++
			bytesIn += int64(len(r.Record().Line)) + 1
			if records%(1<<18) == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		if r.Gzipped() != wantGzip {
			t.Errorf("Gzipped = %v", r.Gzipped())
		}
		t.Logf("%d records, %d MB: heap in use %.1f MB before, %.1f MB at most", records, bytesIn>>20, float64(base)/(1<<20), float64(peak)/(1<<20))
		if peak > limit {
			t.Errorf("heap in use reached %.1f MB, want < %d MB", float64(peak)/(1<<20), limit>>20)
		}
	}
	t.Run("plain", func(t *testing.T) {
		cr := newCycleReader(block, size)
		want := cr.left
		var counted int64
		r := io.TeeReader(cr, writerFunc(func(p []byte) { counted += int64(len(p)) }))
		run(t, r, false)
		if counted != want {
			t.Errorf("read %d of %d bytes", counted, want)
		}
	})
	t.Run("gzip", func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			zw, _ := kgzip.NewWriterLevel(pw, kgzip.BestSpeed)
			_, err := io.Copy(zw, newCycleReader(block, gzSize))
			if err == nil {
				err = zw.Close()
			}
			pw.CloseWithError(err)
		}()
		run(t, pr, true)
	})
}

type writerFunc func([]byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }

// The testdata samples are small enough to read in full in a test; a
// sanity check that nobody commits a large one by mistake.
func TestSamplesStaySmall(t *testing.T) {
	err := filepath.Walk(testdata, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.IsDir() && info.Size() > 256<<10 {
			t.Errorf("%s is %d KB", path, info.Size()>>10)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A header field the table does not know is kept, as a string, under its
// own name; Format().Unknown() lists it so that callers can warn.
func TestReaderUnknownHeaderField(t *testing.T) {
	for _, file := range []string{"header-unknown-field.log", "header-unknown-field-2.log.gz"} {
		items, r, err := readAll(t, bytes.NewReader(readFile(t, filepath.Join(testdata, "bad", file))), flowlog.ReaderOptions{})
		if err != nil || len(items) != 2 {
			t.Fatalf("%s: %d records, %v", file, len(items), err)
		}
		if u := r.Format().Unknown(); len(u) != 1 || u[0] != "traffic-class" {
			t.Errorf("%s: Unknown() = %q", file, u)
		}
		col := r.Format().Len() - 1
		if r.Format().Field(col) != flowlog.Unknown || r.Format().Version() != 2 {
			t.Errorf("%s: last column %v, version %d", file, r.Format().Field(col), r.Format().Version())
		}
		var values []string
		for _, it := range items {
			v, ok := it.rec.Col(col)
			values = append(values, fmt.Sprintf("%s/%v", v, ok))
			js := string(it.rec.AppendJSON(nil))
			if ok != strings.Contains(js, `"traffic_class":"`+string(v)+`"`) {
				t.Errorf("%s: JSON %s", file, js)
			}
		}
		want := map[string]string{"header-unknown-field.log": "[af41/true /false]", "header-unknown-field-2.log.gz": "[cs0/true /false]"}[file]
		if fmt.Sprint(values) != want {
			t.Errorf("%s: traffic-class values %v, want %s", file, values, want)
		}
	}
}
