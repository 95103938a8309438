package flowlog_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/flowhec/flowhec/flowlog"
)

// fuzzSeedFiles returns the small testdata files: samples, the bad corpus
// and the AWS examples.
func fuzzSeedFiles(f *testing.F) [][]byte {
	var out [][]byte
	for _, pattern := range []string{"flowlogs/*/*", "flowlogs/*.txt", "bad/*"} {
		files, _ := filepath.Glob(filepath.Join(testdata, pattern))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			if len(b) <= 8<<10 {
				out = append(out, b)
			}
		}
	}
	return out
}

// fuzzSeedLines returns the lines of the text seed files.
func fuzzSeedLines(f *testing.F) [][]byte {
	var out [][]byte
	for _, b := range fuzzSeedFiles(f) {
		if len(b) > 1 && b[0] == 0x1f && b[1] == 0x8b {
			continue
		}
		for _, l := range bytes.Split(b, []byte("\n")) {
			l = bytes.TrimPrefix(l, []byte("want: "))
			out = append(out, l)
		}
	}
	return out
}

// fuzzFormats are the formats every fuzzed line is parsed with: the
// default, a reordering of it, every field, and a mix with unknown fields.
func fuzzFormats(tb testing.TB) []*flowlog.Format {
	return []*flowlog.Format{
		flowlog.DefaultFormat(),
		mustParseFormat(tb, "${srcaddr} ${dstaddr} ${version} ${action} ${dstport} ${srcport} ${protocol} ${log-status} ${bytes} ${packets} ${account-id} ${interface-id} ${start} ${end}"),
		allFieldsFormat(tb),
		mustParseFormat(tb, "version traffic-class pkt-srcaddr tcp-flags tgw-src-vpc-account-id flow-direction"),
	}
}

func FuzzParse(f *testing.F) {
	for _, l := range fuzzSeedLines(f) {
		f.Add(l)
	}
	f.Add([]byte(allFieldsLine(f)))
	f.Add([]byte(lineIPv6 + "\r\n"))
	formats := fuzzFormats(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, format := range formats {
			checkParse(t, format, line)
		}
	})
}

// checkParse parses line with format and checks the outcome against
// independent oracles: strconv for numbers, net/netip for addresses.
func checkParse(t *testing.T, format *flowlog.Format, line []byte) {
	var r flowlog.Record
	err := format.Parse(line, &r)
	out := r.AppendJSON(nil)
	if !json.Valid(out) {
		t.Fatalf("AppendJSON after Parse(%q) = %v: invalid JSON %s", line, err, out)
	}
	if err != nil {
		checkParseError(t, format, &r, line, err)
		return
	}
	if r.Len() != format.Len() {
		t.Fatalf("Parse(%q): Len %d, format %d", line, r.Len(), format.Len())
	}
	tokens := strings.FieldsFunc(string(line), func(c rune) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' })
	if len(tokens) != format.Len() {
		t.Fatalf("Parse(%q) accepted %d tokens for %d fields", line, len(tokens), format.Len())
	}
	for i := 0; i < format.Len(); i++ {
		v, ok := r.Col(i)
		if !ok {
			if tokens[i] != "-" {
				t.Fatalf("Parse(%q): column %d absent, token %q", line, i, tokens[i])
			}
			continue
		}
		if string(v) != tokens[i] {
			t.Fatalf("Parse(%q): column %d = %q, token %q", line, i, v, tokens[i])
		}
		for _, c := range v {
			if c < 0x20 || c == 0x7f || c == ' ' {
				t.Fatalf("Parse(%q): column %d %q holds byte %#x", line, i, v, c)
			}
		}
		typ := format.Field(i).Type()
		switch typ {
		case flowlog.TypeInt, flowlog.TypePort, flowlog.TypeProtocol:
			n, _ := r.ColUint(i)
			want, perr := strconv.ParseUint(string(v), 10, 64)
			if perr != nil || n != want || n > limitOf(typ) {
				t.Fatalf("Parse(%q): column %d %q = %d (strconv: %d, %v; limit %d)", line, i, v, n, want, perr, limitOf(typ))
			}
		case flowlog.TypeAddr:
			a, _ := r.Addr(format.Field(i))
			want, perr := netip.ParseAddr(string(v))
			if perr != nil || want.Zone() != "" || a != want {
				t.Fatalf("Parse(%q): column %d %q = %v (netip: %v, %v)", line, i, v, a, want, perr)
			}
		case flowlog.TypeAction:
			if s := string(v); s != "ACCEPT" && s != "REJECT" {
				t.Fatalf("Parse(%q): action %q", line, v)
			}
		case flowlog.TypeLogStatus:
			if s := string(v); s != "OK" && s != "NODATA" && s != "SKIPDATA" {
				t.Fatalf("Parse(%q): log-status %q", line, v)
			}
		case flowlog.TypeAccount:
			if string(v) != "unknown" && !(allDigits(v) && len(v) <= 20) {
				t.Fatalf("Parse(%q): account %q", line, v)
			}
		}
	}
	// The JSON has one key per present column, numbers as numbers.
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("Parse(%q): JSON %s: %v", line, out, err)
	}
	for i := 0; i < format.Len(); i++ {
		v, present := r.Col(i)
		got, inJSON := m[format.SplunkName(i)]
		if present != inJSON {
			t.Fatalf("Parse(%q): column %d present %v, in JSON %v: %s", line, i, present, inJSON, out)
		}
		if !present {
			continue
		}
		if format.Field(i).Type().IsNumber() {
			if got.(json.Number).String() != strconv.FormatUint(mustUint(r.ColUint(i)), 10) {
				t.Fatalf("Parse(%q): %s = %v in JSON", line, format.SplunkName(i), got)
			}
		} else if s, ok := got.(string); !ok || s != validUTF8(v) {
			t.Fatalf("Parse(%q): %s = %v in JSON, column %q", line, format.SplunkName(i), got, v)
		}
	}
	if c := r.Clone(); !bytes.Equal(c.AppendJSON(nil), out) {
		t.Fatalf("Parse(%q): clone differs", line)
	}
}

func checkParseError(t *testing.T, format *flowlog.Format, r *flowlog.Record, line []byte, err error) {
	var pe *flowlog.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Parse(%q): %T %v is not a *ParseError", line, err, err)
	}
	known := false
	for _, s := range sentinels {
		if pe.Err == s.err && errors.Is(err, s.err) {
			known = true
		}
	}
	if !known || pe.Error() == "" {
		t.Fatalf("Parse(%q): %v has no sentinel", line, err)
	}
	if pe.Field == "" {
		if pe.Column != 0 {
			t.Fatalf("Parse(%q): %v: column %d without a field", line, err, pe.Column)
		}
		return
	}
	if pe.Column < 1 || pe.Column > format.Len() || format.Name(pe.Column-1) != pe.Field || r.Len() != pe.Column-1 {
		t.Fatalf("Parse(%q): %v: column %d field %q, Len %d", line, err, pe.Column, pe.Field, r.Len())
	}
	typ := format.Field(pe.Column - 1).Type()
	if !typeMatches(typ, pe) {
		t.Fatalf("Parse(%q): %v for a %v field", line, err, typ)
	}
	// No false rejections: what the oracles accept, the parser accepts.
	if len(pe.Value) > 64 {
		return // cut in the message
	}
	switch pe.Err {
	case flowlog.ErrNumber, flowlog.ErrRange:
		if n, perr := strconv.ParseUint(pe.Value, 10, 64); perr == nil && n <= limitOf(typ) {
			t.Fatalf("Parse(%q): %v, but %q is %d", line, err, pe.Value, n)
		}
		if _, perr := strconv.ParseUint(pe.Value, 10, 64); pe.Err == flowlog.ErrRange && !allDigits([]byte(pe.Value)) {
			t.Fatalf("Parse(%q): %v for a value that is not digits (%v)", line, err, perr)
		}
	case flowlog.ErrAddress:
		if a, perr := netip.ParseAddr(pe.Value); perr == nil && a.Zone() == "" {
			t.Fatalf("Parse(%q): %v, but %q is %v", line, err, pe.Value, a)
		}
	}
}

func limitOf(typ flowlog.Type) uint64 {
	switch typ {
	case flowlog.TypePort:
		return 65535
	case flowlog.TypeProtocol:
		return 255
	}
	return 1<<64 - 1
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// validUTF8 is b with each byte that is not part of a UTF-8 sequence
// turned to U+FFFD, as the JSON writer does.
func validUTF8(b []byte) string {
	var s strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			s.WriteRune(utf8.RuneError)
		} else {
			s.Write(b[:size])
		}
		b = b[size:]
	}
	return s.String()
}

func mustUint(v uint64, _ bool) uint64 { return v }

func FuzzParseFormat(f *testing.F) {
	for _, b := range fuzzSeedFiles(f) {
		first, _, _ := bytes.Cut(b, []byte("\n"))
		f.Add(string(first))
	}
	for _, s := range []string{"default", "", flowlog.DefaultFormatString, "${version} ${srcaddr} ${version}", "${a}${b}", "a:b c_d e-f", "${x} y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		looks := flowlog.LooksLikeHeader([]byte(s))
		hdr, herr := flowlog.ParseHeader([]byte(s))
		if looks && herr != nil && !strings.Contains(herr.Error(), "appears twice") && !strings.Contains(herr.Error(), "at most") {
			t.Fatalf("LooksLikeHeader(%q) but ParseHeader: %v", s, herr)
		}
		if herr == nil {
			checkFormat(t, s, hdr)
		}
		format, err := flowlog.ParseFormat(s)
		if err != nil {
			if !errors.Is(err, flowlog.ErrFormat) {
				t.Fatalf("ParseFormat(%q): %v does not wrap ErrFormat", s, err)
			}
			return
		}
		checkFormat(t, s, format)
	})
}

func checkFormat(t *testing.T, s string, format *flowlog.Format) {
	if format.Len() < 1 || format.Len() > flowlog.MaxColumns {
		t.Fatalf("%q: %d columns", s, format.Len())
	}
	again, err := flowlog.ParseFormat(format.String())
	if err != nil || !again.Equal(format) || again.String() != format.String() {
		t.Fatalf("%q: ParseFormat(%q) = %v, %v", s, format.String(), again, err)
	}
	if again, err := flowlog.ParseFormatString(format.String()); err != nil || !again.Equal(format) {
		t.Fatalf("%q: ParseFormatString(%q) = %v, %v", s, format.String(), again, err)
	}
	if again, err := flowlog.ParseHeader([]byte(format.Header())); err != nil || !again.Equal(format) {
		t.Fatalf("%q: ParseHeader(%q) = %v, %v", s, format.Header(), again, err)
	}
	unknown := 0
	maxVersion := 0
	for i := 0; i < format.Len(); i++ {
		fld := format.Field(i)
		if fld == flowlog.Unknown {
			if format.Unknown()[unknown] != format.Name(i) {
				t.Fatalf("%q: Unknown() %q, column %d %q", s, format.Unknown(), i, format.Name(i))
			}
			unknown++
			continue
		}
		if format.Column(fld) != i || fld.AWSName() != format.Name(i) || fld.SplunkName() != format.SplunkName(i) {
			t.Fatalf("%q: column %d: %v", s, i, fld)
		}
		maxVersion = max(maxVersion, fld.Version())
	}
	if unknown != len(format.Unknown()) || maxVersion != format.Version() {
		t.Fatalf("%q: %d unknown of %q, version %d of %d", s, unknown, format.Unknown(), maxVersion, format.Version())
	}
	if (unknown < format.Len()) != flowlog.LooksLikeHeader([]byte(format.Header())) {
		t.Fatalf("%q: LooksLikeHeader(%q) = %v", s, format.Header(), !(unknown < format.Len()))
	}
	if format.IsDefault() != format.Equal(flowlog.DefaultFormat()) {
		t.Fatalf("%q: IsDefault %v", s, format.IsDefault())
	}
}

func FuzzReader(f *testing.F) {
	for _, b := range fuzzSeedFiles(f) {
		f.Add(b)
	}
	f.Add(gzipBytes(f, []byte(defaultHeader+"\n"+lineDefault+"\n")))
	f.Add(append(gzipBytes(f, []byte(lineDefault+"\n")), gzipBytes(f, []byte(lineReject))...))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, max := range []int{0, 100} {
			checkReader(t, data, flowlog.ReaderOptions{Source: "fuzz", MaxLineBytes: max})
		}
	})
}

// checkReader reads data to the end: it must terminate, and every Next
// must give either a record of the reader's format or a *ParseError at
// the current line.
func checkReader(t *testing.T, data []byte, opts flowlog.ReaderOptions) {
	r := flowlog.NewReader(bytes.NewReader(data), opts)
	lastLine := 0
	n := 0
	for r.Next() {
		if n++; n > 1<<22 {
			t.Fatalf("no end after %d records", n)
		}
		if r.Line() <= lastLine {
			t.Fatalf("line %d after line %d", r.Line(), lastLine)
		}
		lastLine = r.Line()
		rec := r.Record()
		if err := r.LineErr(); err != nil {
			var pe *flowlog.ParseError
			if !errors.As(err, &pe) || pe.Line != r.Line() || pe.Source != "fuzz" || pe.Err == nil {
				t.Fatalf("line %d: LineErr %#v", r.Line(), err)
			}
			if rec.Len() >= r.Format().Len() && pe.Err != flowlog.ErrFieldCount && pe.Err != flowlog.ErrControl {
				t.Fatalf("line %d: %v with all %d columns parsed", r.Line(), err, rec.Len())
			}
		} else if rec.Len() != r.Format().Len() || rec.Format() != r.Format() {
			t.Fatalf("line %d: %d columns, format %d", r.Line(), rec.Len(), r.Format().Len())
		}
		if out := rec.AppendJSON(nil); !json.Valid(out) {
			t.Fatalf("line %d: invalid JSON %s", r.Line(), out)
		}
		if _, ok := r.CloudWatchEvent(); ok != (r.Encoding() == flowlog.EncodingCloudWatch) {
			t.Fatalf("line %d: CloudWatchEvent %v for %v", r.Line(), ok, r.Encoding())
		}
		if limit := max(opts.MaxLineBytes, 16); opts.MaxLineBytes > 0 && len(rec.Line) > limit && r.Encoding() == flowlog.EncodingText {
			t.Fatalf("line %d: %d bytes with MaxLineBytes %d", r.Line(), len(rec.Line), opts.MaxLineBytes)
		}
	}
	err := r.Err()
	if r.Next() || r.Err() != err {
		t.Fatal("Next after the end")
	}
	if !r.Gzipped() && r.Encoding() == flowlog.EncodingText && n > bytes.Count(data, []byte("\n"))+1 {
		t.Fatalf("%d records from %d lines", n, bytes.Count(data, []byte("\n"))+1)
	}
}

func FuzzCloudWatch(f *testing.F) {
	for _, b := range fuzzSeedFiles(f) {
		if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
			f.Add(b, lineDefault, lineNoData)
		}
	}
	f.Add([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","message":"x"}]}`), "", "2 x")
	f.Add([]byte(`{"messageType":"CONTROL_MESSAGE"}{"messageType":"DATA_MESSAGE"}`), lineIPv6, "\x00")
	f.Fuzz(func(t *testing.T, data []byte, msg1, msg2 string) {
		// Arbitrary bytes after a '{' take the CloudWatch path.
		if !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
			data = append([]byte("{"), data...)
		}
		checkReader(t, data, flowlog.ReaderOptions{Source: "fuzz"})

		// Messages in a payload parse as they would on their own.
		in := append(payload(t, "CONTROL_MESSAGE", "CWL CONTROL MESSAGE"), payload(t, "DATA_MESSAGE", msg1, msg2)...)
		r := flowlog.NewReader(bytes.NewReader(in), flowlog.ReaderOptions{Source: "fuzz"})
		for i, msg := range []string{msg1, msg2} {
			if !r.Next() {
				t.Fatalf("event %d missing: %v", i+1, r.Err())
			}
			ev, ok := r.CloudWatchEvent()
			if !ok || ev.ID != strconv.Itoa(i+1) || r.Line() != i+1 {
				t.Fatalf("event %d: %+v %v line %d", i+1, ev, ok, r.Line())
			}
			// JSON carries text, so bytes that are not UTF-8 arrive as U+FFFD.
			var decoded string
			b, _ := json.Marshal(msg)
			_ = json.Unmarshal(b, &decoded)
			var want flowlog.Record
			werr := flowlog.DefaultFormat().Parse([]byte(decoded), &want)
			gerr := r.LineErr()
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("event %d %q: reader %v, Parse %v", i+1, msg, gerr, werr)
			}
			if werr != nil {
				if want := "fuzz:" + strconv.Itoa(i+1) + ": " + werr.(*flowlog.ParseError).Reason(); gerr.Error() != want {
					t.Fatalf("event %d: %v, want %s", i+1, gerr, want)
				}
				continue
			}
			if got, w := r.Record().AppendJSON(nil), want.AppendJSON(nil); !bytes.Equal(got, w) {
				t.Fatalf("event %d: %s, want %s", i+1, got, w)
			}
		}
		if r.Next() || r.Err() != nil {
			t.Fatalf("after two events: Next, Err %v", r.Err())
		}
	})
}
