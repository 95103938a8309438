package flowlog_test

import (
	"bufio"
	"bytes"
	"errors"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flowhec/flowhec/flowlog"
)

// checkWant checks the record against want: space-separated name=value
// pairs with AWS field names (unknown names too); "name=" means absent.
// Numbers and addresses are also checked through Uint and Addr.
func checkWant(t testing.TB, r *flowlog.Record, want string) {
	t.Helper()
	f := r.Format()
	for _, kv := range strings.Fields(want) {
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("bad want %q", kv)
		}
		col := -1
		for i := 0; i < f.Len(); i++ {
			if f.Name(i) == name {
				col = i
			}
		}
		if col < 0 {
			t.Errorf("%s: format %s has no field %q", r.Line, f.Header(), name)
			continue
		}
		got, present := r.Col(col)
		if val == "" {
			if present {
				t.Errorf("%s: %s = %q, want absent", r.Line, name, got)
			}
			continue
		}
		if !present || string(got) != val {
			t.Errorf("%s: %s = %q (present %v), want %q", r.Line, name, got, present, val)
			continue
		}
		fld := f.Field(col)
		switch fld.Type() {
		case flowlog.TypeInt, flowlog.TypePort, flowlog.TypeProtocol:
			n, _ := strconv.ParseUint(val, 10, 64)
			if u, ok := r.Uint(fld); !ok || u != n {
				t.Errorf("%s: Uint(%s) = %d, %v; want %d", r.Line, name, u, ok, n)
			}
			if u, ok := r.ColUint(col); !ok || u != n {
				t.Errorf("%s: ColUint(%d) = %d, %v; want %d", r.Line, col, u, ok, n)
			}
		case flowlog.TypeAddr:
			if a, ok := r.Addr(fld); !ok || a != netip.MustParseAddr(val) {
				t.Errorf("%s: Addr(%s) = %v, %v; want %s", r.Line, name, a, ok, val)
			}
		}
		if fld != flowlog.Unknown {
			if b, ok := r.Bytes(fld); !ok || string(b) != val {
				t.Errorf("%s: Bytes(%s) = %q, %v", r.Line, name, b, ok)
			}
			if s := r.String(fld); s != val {
				t.Errorf("%s: String(%s) = %q", r.Line, name, s)
			}
		}
	}
}

func TestParseGoodLines(t *testing.T) {
	def := flowlog.DefaultFormat()
	reordered := mustParseFormat(t, "${srcaddr} ${dstaddr} ${version} ${action} ${dstport} ${srcport} ${protocol} ${log-status} ${bytes} ${packets} ${account-id} ${interface-id} ${start} ${end}")
	tests := []struct {
		name   string
		format *flowlog.Format
		line   string
		want   string
	}{
		{"default", def, lineDefault,
			"version=2 account-id=123456789010 interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 dstaddr=172.31.16.21 srcport=20641 dstport=22 protocol=6 packets=20 bytes=4249 start=1418530010 end=1418530070 action=ACCEPT log-status=OK"},
		{"reject", def, lineReject, "dstport=3389 action=REJECT"},
		{"ipv6", def, lineIPv6, "srcaddr=2001:db8:1234:a100:8d6e:3477:df66:f105 dstaddr=2001:db8:1234:a102:3304:8879:34cf:4071 packets=54"},
		{"nodata", def, lineNoData, "srcaddr= dstaddr= srcport= dstport= protocol= packets= bytes= start=1431280876 action= log-status=NODATA"},
		{"skipdata", def, lineSkip, "interface-id=eni-11111111aaaaaaaaa packets= log-status=SKIPDATA"},
		{"LF", def, lineDefault + "\n", "log-status=OK"},
		{"CRLF", def, lineDefault + "\r\n", "log-status=OK"},
		{"trailing blanks", def, lineDefault + " \t  \r\n", "log-status=OK"},
		{"leading blanks", def, "  \t" + lineDefault, "version=2"},
		{"runs of blanks and tabs", def, strings.ReplaceAll(lineDefault, " ", " \t "), "srcport=20641 log-status=OK"},
		{"account unknown", def, strings.Replace(lineDefault, "123456789010", "unknown", 1), "account-id=unknown"},
		{"account leading zeros", def, strings.Replace(lineDefault, "123456789010", "012345678901", 1), "account-id=012345678901"},
		{"account absent", def, strings.Replace(lineDefault, "123456789010", "-", 1), "account-id="},
		{"bounds", def, "2 123456789010 eni-1 0.0.0.0 255.255.255.255 0 65535 255 0 18446744073709551615 0 4294967296 REJECT OK",
			"srcaddr=0.0.0.0 dstaddr=255.255.255.255 srcport=0 dstport=65535 protocol=255 packets=0 bytes=18446744073709551615 end=4294967296"},
		{"protocol 0", def, "2 123456789010 eni-1 10.0.0.1 10.0.0.2 0 0 0 1 40 1 2 ACCEPT OK", "protocol=0"},
		{"ipv4-mapped ipv6", def, "2 1 eni-1 ::ffff:192.0.2.128 ::1 1 2 6 1 40 1 2 ACCEPT OK", "srcaddr=::ffff:192.0.2.128 dstaddr=::1"},
		{"ipv6 upper case and full form", def, "2 1 eni-1 2001:DB8:0:0:0:0:0:FF 2001:0db8:85a3:0000:0000:8a2e:0370:7334 1 2 6 1 40 1 2 ACCEPT OK",
			"srcaddr=2001:DB8:0:0:0:0:0:FF dstaddr=2001:0db8:85a3:0000:0000:8a2e:0370:7334"},
		{"non-ASCII in a string field", def, strings.Replace(lineDefault, "eni-1235b8ca123456789", "eni-übung", 1), "interface-id=eni-übung"},
		// The same 14 tokens in another order: order comes from the format.
		{"reordered", reordered, "172.31.16.139 172.31.16.21 2 ACCEPT 22 20641 6 OK 4249 20 123456789010 eni-1235b8ca123456789 1418530010 1418530070",
			"version=2 account-id=123456789010 interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 dstaddr=172.31.16.21 srcport=20641 dstport=22 protocol=6 packets=20 bytes=4249 start=1418530010 end=1418530070 action=ACCEPT log-status=OK"},
		{"unknown field", mustParseFormat(t, "version traffic-class srcaddr"), "5 af41 10.0.0.1", "version=5 traffic-class=af41 srcaddr=10.0.0.1"},
		{"one field", mustParseFormat(t, "${action}"), "REJECT", "action=REJECT"},
		{"tcp flags and type", mustParseFormat(t, "${tcp-flags} ${type} ${traffic-path} ${encryption-status}"), "19 IPv6 8 2", "tcp-flags=19 type=IPv6 traffic-path=8 encryption-status=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r flowlog.Record
			if err := tt.format.Parse([]byte(tt.line), &r); err != nil {
				t.Fatalf("Parse(%q): %v", tt.line, err)
			}
			if r.Format() != tt.format || r.Len() != tt.format.Len() {
				t.Errorf("Format %p Len %d", r.Format(), r.Len())
			}
			if want := strings.TrimRight(tt.line, " \t\r\n"); string(r.Line) != want {
				t.Errorf("Line = %q, want %q", r.Line, want)
			}
			checkWant(t, &r, tt.want)
			checkJSON(t, tt.format, r.AppendJSON(nil))
		})
	}
}

// A line of one format read with another: the parser must refuse it rather
// than put values in the wrong fields.
func TestParseOrderComesFromFormat(t *testing.T) {
	line := []byte("172.31.16.139 172.31.16.21 2 ACCEPT 22 20641 6 OK 4249 20 123456789010 eni-1235b8ca123456789 1418530010 1418530070")
	var r flowlog.Record
	err := flowlog.DefaultFormat().Parse(line, &r)
	var pe *flowlog.ParseError
	if !errors.As(err, &pe) || !errors.Is(err, flowlog.ErrNumber) || pe.Field != "version" || pe.Column != 1 {
		t.Fatalf("reordered line with the default format: %v", err)
	}
	// A v3 line has more tokens than the default format; it must not be
	// cut down to 14.
	v3 := []byte("3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK")
	if err := flowlog.DefaultFormat().Parse(v3, &r); err == nil {
		t.Fatal("v3 line parsed with the default format")
	}
	// The default line read with a format of the same length but another
	// order fails too.
	swapped := mustParseFormat(t, strings.Replace(defaultHeader, "srcport dstport", "dstport srcport", 1))
	if err := swapped.Parse([]byte(lineDefault), &r); err != nil {
		t.Fatal(err) // ports swap silently: both are ports
	}
	if v, _ := r.Uint(flowlog.DstPort); v != 20641 {
		t.Errorf("dstport = %d: the format's order was not followed", v)
	}
}

func TestParseErrors(t *testing.T) {
	def := flowlog.DefaultFormat()
	bad := func(col int, v string) string {
		f := strings.Fields(lineDefault)
		f[col-1] = v
		return strings.Join(f, " ")
	}
	tests := []struct {
		line   string
		format *flowlog.Format
		err    error
		col    int
		field  string
		parsed int    // columns the record keeps
		msg    string // Error() of the ParseError, as Parse returns it
	}{
		{"", def, flowlog.ErrEmptyLine, 0, "", 0, "empty line"},
		{" \t\r\n", def, flowlog.ErrEmptyLine, 0, "", 0, "empty line"},
		{"2 123456789010", def, flowlog.ErrFieldCount, 0, "", 2,
			"2 fields, format wants 14 (set the format from the flow log's LogFormat, or check for a cut line)"},
		{lineDefault + " extra", def, flowlog.ErrFieldCount, 0, "", 14,
			"15 fields, format wants 14 (set the format from the flow log's LogFormat, or check for a cut line)"},
		{bad(9, "-5"), def, flowlog.ErrNumber, 9, "packets", 8, `field 9 (packets) "-5": not a non-negative integer`},
		{bad(10, "1.5"), def, flowlog.ErrNumber, 10, "bytes", 9, `field 10 (bytes) "1.5": not a non-negative integer`},
		{bad(11, "0x10"), def, flowlog.ErrNumber, 11, "start", 10, `field 11 (start) "0x10": not a non-negative integer`},
		{bad(12, "+3"), def, flowlog.ErrNumber, 12, "end", 11, `field 12 (end) "+3": not a non-negative integer`},
		{bad(1, "２"), def, flowlog.ErrNumber, 1, "version", 0, `field 1 (version) "２": not a non-negative integer`},
		{bad(10, "18446744073709551616"), def, flowlog.ErrRange, 10, "bytes", 9,
			`field 10 (bytes) "18446744073709551616": out of range 0-18446744073709551615`},
		{bad(10, "184467440737095516160x"), def, flowlog.ErrNumber, 10, "bytes", 9, `field 10 (bytes) "184467440737095516160x": not a non-negative integer`},
		{bad(7, "65536"), def, flowlog.ErrRange, 7, "dstport", 6, `field 7 (dstport) "65536": out of range 0-65535`},
		{bad(6, "99999999999999999999"), def, flowlog.ErrRange, 6, "srcport", 5, `field 6 (srcport) "99999999999999999999": out of range 0-65535`},
		{bad(8, "256"), def, flowlog.ErrRange, 8, "protocol", 7, `field 8 (protocol) "256": out of range 0-255`},
		{bad(4, "10.0.0.256"), def, flowlog.ErrAddress, 4, "srcaddr", 3, `field 4 (srcaddr) "10.0.0.256": not an IPv4 or IPv6 address`},
		{bad(4, "010.0.0.1"), def, flowlog.ErrAddress, 4, "srcaddr", 3, `field 4 (srcaddr) "010.0.0.1": not an IPv4 or IPv6 address`},
		{bad(5, "1.2.3"), def, flowlog.ErrAddress, 5, "dstaddr", 4, `field 5 (dstaddr) "1.2.3": not an IPv4 or IPv6 address`},
		{bad(5, "::g"), def, flowlog.ErrAddress, 5, "dstaddr", 4, `field 5 (dstaddr) "::g": not an IPv4 or IPv6 address`},
		{bad(5, "fe80::1%eth0"), def, flowlog.ErrAddress, 5, "dstaddr", 4, `field 5 (dstaddr) "fe80::1%eth0": not an IPv4 or IPv6 address`},
		{bad(4, "example.com"), def, flowlog.ErrAddress, 4, "srcaddr", 3, `field 4 (srcaddr) "example.com": not an IPv4 or IPv6 address`},
		{bad(13, "accept"), def, flowlog.ErrAction, 13, "action", 12, `field 13 (action) "accept": not ACCEPT, REJECT or -`},
		{bad(13, "DROP"), def, flowlog.ErrAction, 13, "action", 12, `field 13 (action) "DROP": not ACCEPT, REJECT or -`},
		{bad(14, "FAILED"), def, flowlog.ErrLogStatus, 14, "log-status", 13, `field 14 (log-status) "FAILED": not OK, NODATA, SKIPDATA or -`},
		{bad(2, "12345x"), def, flowlog.ErrAccount, 2, "account-id", 1, `field 2 (account-id) "12345x": not an account number or "unknown"`},
		{bad(2, "UNKNOWN"), def, flowlog.ErrAccount, 2, "account-id", 1, `field 2 (account-id) "UNKNOWN": not an account number or "unknown"`},
		{"2 123\x00456 eni-1", def, flowlog.ErrControl, 0, "", 1, "control character 0x00 at byte 6: not a text flow-log line"},
		{"2 123456789010\reni-1", def, flowlog.ErrControl, 0, "", 1, "control character 0x0d at byte 15: not a text flow-log line"},
		{"\x1b[31m2", def, flowlog.ErrControl, 0, "", 0, "control character 0x1b at byte 1: not a text flow-log line"},
		{bad(3, "eni-\x7f"), def, flowlog.ErrControl, 0, "", 2, "control character 0x7f at byte 20: not a text flow-log line"},
		// Control characters are found even past the format's last field.
		{lineDefault + " \x01", def, flowlog.ErrControl, 0, "", 14, "control character 0x01 at byte 116: not a text flow-log line"},
		// Fields the custom formats add are checked too.
		{"3 10.0.0.1 SYN", mustParseFormat(t, "version pkt-srcaddr tcp-flags"), flowlog.ErrNumber, 3, "tcp-flags", 2, `field 3 (tcp-flags) "SYN": not a non-negative integer`},
		{"6 1234567890123456789012", mustParseFormat(t, "version tgw-src-vpc-account-id"), flowlog.ErrAccount, 2, "tgw-src-vpc-account-id", 1,
			`field 2 (tgw-src-vpc-account-id) "1234567890123456789012": not an account number or "unknown"`},
		{"ingress 1e3", mustParseFormat(t, "flow-direction traffic-path"), flowlog.ErrNumber, 2, "traffic-path", 1, `field 2 (traffic-path) "1e3": not a non-negative integer`},
		// A long bad value is cut in the message.
		{bad(4, strings.Repeat("x", 100)), def, flowlog.ErrAddress, 4, "srcaddr", 3, `field 4 (srcaddr) "` + strings.Repeat("x", 64) + `…": not an IPv4 or IPv6 address`},
	}
	for _, tt := range tests {
		var r flowlog.Record
		err := tt.format.Parse([]byte(tt.line), &r)
		var pe *flowlog.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %v, want a *ParseError", tt.line, err)
			continue
		}
		if !errors.Is(err, tt.err) || pe.Err != tt.err {
			t.Errorf("Parse(%q): %v is not %v", tt.line, err, tt.err)
		}
		if pe.Column != tt.col || pe.Field != tt.field {
			t.Errorf("Parse(%q): column %d field %q, want %d %q", tt.line, pe.Column, pe.Field, tt.col, tt.field)
		}
		if pe.Line != 0 || pe.Source != "" {
			t.Errorf("Parse(%q): Parse cannot know the line (%d) or source (%q)", tt.line, pe.Line, pe.Source)
		}
		if err.Error() != tt.msg || pe.Reason() != tt.msg {
			t.Errorf("Parse(%q):\n got %s\nwant %s", tt.line, err, tt.msg)
		}
		// The record keeps the raw line and the columns before the bad one.
		if want := strings.TrimRight(tt.line, " \t\r\n"); string(r.Line) != want {
			t.Errorf("Parse(%q): Line = %q", tt.line, r.Line)
		}
		if r.Len() != tt.parsed {
			t.Errorf("Parse(%q): Len = %d, want %d", tt.line, r.Len(), tt.parsed)
		}
		if tt.col > 0 {
			if v, ok := r.Col(tt.col - 1); ok {
				t.Errorf("Parse(%q): the bad column holds %q", tt.line, v)
			}
		}
		if !bytes.HasPrefix(r.AppendJSON(nil), []byte("{")) {
			t.Errorf("Parse(%q): AppendJSON of a partial record", tt.line)
		}
		checkJSON(t, tt.format, r.AppendJSON(nil))
	}
}

func TestParseErrorText(t *testing.T) {
	tests := []struct {
		err  *flowlog.ParseError
		want string
	}{
		{&flowlog.ParseError{Source: "s3://bucket/key.log.gz", Line: 12, Err: flowlog.ErrFieldCount, Got: 13, Want: 14},
			"s3://bucket/key.log.gz:12: 13 fields, format wants 14 (set the format from the flow log's LogFormat, or check for a cut line)"},
		{&flowlog.ParseError{Line: 3, Column: 7, Field: "dstport", Value: "65536", Err: flowlog.ErrRange},
			`3: field 7 (dstport) "65536": out of range 0-65535`},
		{&flowlog.ParseError{Source: "-", Line: 2, Err: flowlog.ErrLineTooLong, Got: 65536},
			"-:2: line longer than 65536 bytes; skipped to the next line ending"},
		{&flowlog.ParseError{Source: "f", Err: flowlog.ErrEmptyLine}, "f: empty line"},
		{&flowlog.ParseError{Column: 9, Field: "packets", Value: "99999999999999999999", Err: flowlog.ErrRange},
			`field 9 (packets) "99999999999999999999": out of range 0-18446744073709551615`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("\n got %s\nwant %s", got, tt.want)
		}
		if !errors.Is(tt.err, tt.err.Err) {
			t.Errorf("%v does not unwrap to its sentinel", tt.err)
		}
	}
}

// On a bad line the record must not show values of the line parsed before
// it: a caller delivering the bad line raw reads what is left.
func TestParseErrorLeavesNoStaleValues(t *testing.T) {
	var r flowlog.Record
	def := flowlog.DefaultFormat()
	if err := def.Parse([]byte(lineDefault), &r); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"2 123456789010 eni-1 10.0.0.1",                // too few fields
		"2 123456789010 eni-1 10.0.0.1 10.0.0.2 70000", // bad port
	} {
		if err := def.Parse([]byte(line), &r); err == nil {
			t.Fatalf("%q parsed", line)
		}
		for _, fld := range []flowlog.Field{flowlog.DstPort, flowlog.Action, flowlog.Start, flowlog.End, flowlog.LogStatus} {
			if v, ok := r.Bytes(fld); ok {
				t.Errorf("%q: %v = %q, left from the line before", line, fld, v)
			}
			if v, ok := r.Uint(fld); ok {
				t.Errorf("%q: Uint(%v) = %d, left from the line before", line, fld, v)
			}
		}
		if r.IsAccept() {
			t.Errorf("%q: IsAccept, from the line before", line)
		}
		if _, ok := r.Time(); ok {
			t.Errorf("%q: Time, from the line before", line)
		}
		if v, ok := r.Col(13); ok {
			t.Errorf("%q: Col(13) = %q, left from the line before", line, v)
		}
		if v, ok := r.Addr(flowlog.SrcAddr); !ok || v != netip.MustParseAddr("10.0.0.1") {
			t.Errorf("%q: srcaddr = %v, %v; the columns before the bad one are kept", line, v, ok)
		}
	}
}

func TestParseAddresses(t *testing.T) {
	f := mustParseFormat(t, "srcaddr")
	good := []string{
		"0.0.0.0", "1.2.3.4", "10.0.0.255", "255.255.255.255", "172.31.16.139",
		"::", "::1", "2001:db8::1", "fe80::1ff:fe23:4567:890a", "2001:DB8::A", "::ffff:1.2.3.4", "::1.2.3.4",
		"2001:0db8:0000:0000:0000:0000:0000:0001", "1:2:3:4:5:6:7:8",
	}
	bad := []string{
		"10.0.0.256", "010.0.0.1", "10.00.0.1", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.-4",
		"256.1.1.1", "1.2.3.4/32", "::g", ":::", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "fe80::1%1",
		"example.com", "ip-10-0-0-1", "1.2.3.4:80", "[::1]", "0x0a.0.0.1", "١.٢.٣.٤",
	}
	var r flowlog.Record
	for _, a := range good {
		if err := f.Parse([]byte(a), &r); err != nil {
			t.Errorf("%q: %v", a, err)
			continue
		}
		if got, _ := r.Addr(flowlog.SrcAddr); got != netip.MustParseAddr(a) {
			t.Errorf("%q parsed as %v", a, got)
		}
	}
	for _, a := range bad {
		if err := f.Parse([]byte(a), &r); !errors.Is(err, flowlog.ErrAddress) {
			t.Errorf("%q: %v, want ErrAddress", a, err)
		}
	}
}

func TestParseNumbers(t *testing.T) {
	tests := []struct {
		format, in string
		want       uint64
		err        error
	}{
		{"packets", "0", 0, nil},
		{"packets", "007", 7, nil},
		{"packets", "18446744073709551615", 1<<64 - 1, nil},
		{"packets", "18446744073709551616", 0, flowlog.ErrRange},
		{"packets", "99999999999999999999", 0, flowlog.ErrRange},
		{"packets", "1_000", 0, flowlog.ErrNumber},
		{"packets", "1e3", 0, flowlog.ErrNumber},
		{"packets", " 5", 5, nil},
		{"srcport", "65535", 65535, nil},
		{"srcport", "065535", 65535, nil},
		{"srcport", "65536", 0, flowlog.ErrRange},
		{"protocol", "255", 255, nil},
		{"protocol", "256", 0, flowlog.ErrRange},
		{"protocol", "1000x", 0, flowlog.ErrNumber},
	}
	for _, tt := range tests {
		f := mustParseFormat(t, tt.format)
		var r flowlog.Record
		err := f.Parse([]byte(tt.in), &r)
		if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("%s %q: %v, want %v", tt.format, tt.in, err, tt.err)
			continue
		}
		if err == nil {
			if v, ok := r.ColUint(0); !ok || v != tt.want {
				t.Errorf("%s %q = %d, want %d", tt.format, tt.in, v, tt.want)
			}
		}
	}
}

func TestRecordAccessors(t *testing.T) {
	var r flowlog.Record
	def := flowlog.DefaultFormat()
	if err := def.Parse([]byte(lineDefault), &r); err != nil {
		t.Fatal(err)
	}
	if !r.IsAccept() {
		t.Error("IsAccept false for ACCEPT")
	}
	if sec, ok := r.Time(); !ok || sec != 1418530010 {
		t.Errorf("Time = %d, %v", sec, ok)
	}
	if _, ok := r.Bytes(flowlog.VPCID); ok {
		t.Error("a field the format lacks is present")
	}
	if _, ok := r.Uint(flowlog.TCPFlags); ok {
		t.Error("Uint of a field the format lacks")
	}
	if _, ok := r.Addr(flowlog.PktSrcAddr); ok {
		t.Error("Addr of a field the format lacks")
	}
	if s := r.String(flowlog.VPCID); s != "" {
		t.Errorf("String of a missing field = %q", s)
	}
	if err := def.Parse([]byte(lineReject), &r); err != nil || r.IsAccept() {
		t.Errorf("REJECT: IsAccept %v, %v", r.IsAccept(), err)
	}
	if err := def.Parse([]byte(lineNoData), &r); err != nil || r.IsAccept() {
		t.Errorf("NODATA: IsAccept %v, %v", r.IsAccept(), err)
	}
	// Time falls back to end when start is absent.
	f := mustParseFormat(t, "start end")
	for _, tt := range []struct {
		line string
		sec  int64
		ok   bool
	}{{"10 20", 10, true}, {"- 20", 20, true}, {"- -", 0, false}} {
		if err := f.Parse([]byte(tt.line), &r); err != nil {
			t.Fatal(err)
		}
		if sec, ok := r.Time(); sec != tt.sec || ok != tt.ok {
			t.Errorf("Time of %q = %d, %v; want %d, %v", tt.line, sec, ok, tt.sec, tt.ok)
		}
	}
}

// Clone must survive the reuse of the buffer the record was parsed from.
func TestRecordClone(t *testing.T) {
	buf := []byte("  " + lineIPv6 + "\r\n")
	var r flowlog.Record
	if err := flowlog.DefaultFormat().Parse(buf, &r); err != nil {
		t.Fatal(err)
	}
	c := r.Clone()
	wantJSON := string(r.AppendJSON(nil))
	for i := range buf {
		buf[i] = 'X'
	}
	if string(c.Line) != "  "+lineIPv6 { // Line keeps leading blanks: it is the raw event
		t.Errorf("clone Line = %q", c.Line)
	}
	if got := string(c.AppendJSON(nil)); got != wantJSON {
		t.Errorf("clone JSON\n got %s\nwant %s", got, wantJSON)
	}
	checkWant(t, c, "interface-id=eni-1235b8ca123456789 srcaddr=2001:db8:1234:a100:8d6e:3477:df66:f105 bytes=8855 log-status=OK")
	// Appending to the clone's values must not write into each other.
	v, _ := c.Bytes(flowlog.Version)
	_ = append(v, 'Z')
	if got := c.String(flowlog.AccountID); got != "123456789010" {
		t.Errorf("append to a cloned value overwrote the next one: %q", got)
	}
}

func TestAppendJSON(t *testing.T) {
	def := flowlog.DefaultFormat()
	tests := []struct {
		format *flowlog.Format
		line   string
		want   string
	}{
		{def, lineDefault,
			`{"version":2,"account_id":"123456789010","interface_id":"eni-1235b8ca123456789","src_ip":"172.31.16.139","dest_ip":"172.31.16.21","src_port":20641,"dest_port":22,"protocol_code":6,"packets":20,"bytes":4249,"start_time":1418530010,"end_time":1418530070,"vpcflow_action":"ACCEPT","log_status":"OK"}`},
		{def, lineNoData,
			`{"version":2,"account_id":"123456789010","interface_id":"eni-1235b8ca123456789","start_time":1431280876,"end_time":1431280934,"log_status":"NODATA"}`},
		{def, strings.Replace(lineIPv6, "123456789010", "012345678901", 1),
			`{"version":2,"account_id":"012345678901","interface_id":"eni-1235b8ca123456789","src_ip":"2001:db8:1234:a100:8d6e:3477:df66:f105","dest_ip":"2001:db8:1234:a102:3304:8879:34cf:4071","src_port":34892,"dest_port":22,"protocol_code":6,"packets":54,"bytes":8855,"start_time":1477913708,"end_time":1477913820,"vpcflow_action":"ACCEPT","log_status":"OK"}`},
		// Numbers are written from their value: leading zeros go.
		{mustParseFormat(t, "packets account-id"), "007 007", `{"packets":7,"account_id":"007"}`},
		{mustParseFormat(t, "bytes"), "18446744073709551615", `{"bytes":18446744073709551615}`},
		{mustParseFormat(t, "srcaddr dstaddr"), "- -", `{}`},
		{mustParseFormat(t, "version traffic-class"), "5 af41", `{"version":5,"traffic_class":"af41"}`},
		{mustParseFormat(t, "version traffic-class"), "5 123", `{"version":5,"traffic_class":"123"}`},
		// String fields are escaped; bytes that are not UTF-8 become U+FFFD.
		{mustParseFormat(t, "interface-id ecs-service-name"), `a"b\c x</y>`, `{"interface_id":"a\"b\\c","ecs_service_name":"x</y>"}`},
		{mustParseFormat(t, "interface-id"), "eni-\xff\xfe", `{"interface_id":"eni-\ufffd\ufffd"}`},
		{mustParseFormat(t, "interface-id"), "eni-übung-€", `{"interface_id":"eni-übung-€"}`},
		{mustParseFormat(t, "interface-id"), "eni-\xe2\x82", `{"interface_id":"eni-\ufffd\ufffd"}`},
	}
	for _, tt := range tests {
		var r flowlog.Record
		if err := tt.format.Parse([]byte(tt.line), &r); err != nil {
			t.Fatalf("%q: %v", tt.line, err)
		}
		got := r.AppendJSON(nil)
		if string(got) != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.line, got, tt.want)
		}
		checkJSON(t, tt.format, got)
		// AppendJSON appends.
		prefix := []byte(`[`)
		if got := r.AppendJSON(prefix); string(got) != "["+tt.want {
			t.Errorf("%q: AppendJSON does not append: %s", tt.line, got)
		}
	}
}

// TestAWSDocExamples parses testdata/flowlogs/aws-doc-examples.txt: the
// records of the AWS documentation, each with the format it was written in.
func TestAWSDocExamples(t *testing.T) {
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, filepath.Join(testdata, "flowlogs", "aws-doc-examples.txt"))))
	var (
		section string
		format  *flowlog.Format
		r       flowlog.Record
		parsed  bool
		records int
		wants   int
	)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "== "):
			section, format, parsed = line[3:], nil, false
		case strings.HasPrefix(line, "format: "):
			format = mustParseFormat(t, strings.TrimPrefix(line, "format: "))
		case strings.HasPrefix(line, "want: "):
			if !parsed {
				t.Fatalf("line %d: want without a record", n)
			}
			wants++
			checkWant(t, &r, strings.TrimPrefix(line, "want: "))
		default:
			if format == nil {
				t.Fatalf("line %d: record before format in %q", n, section)
			}
			records++
			if err := format.Parse([]byte(line), &r); err != nil {
				t.Errorf("%s: line %d: %v", section, n, err)
				parsed = false
				continue
			}
			parsed = true
			if f := r.Format(); f.Has(flowlog.Version) {
				if v, _ := r.Uint(flowlog.Version); int(v) != f.Version() {
					t.Errorf("%s: line %d: version %d, but the format's fields are version %d", section, n, v, f.Version())
				}
			}
			checkJSON(t, format, r.AppendJSON(nil))
		}
	}
	if records < 25 || wants < 15 {
		t.Errorf("only %d records and %d wants", records, wants)
	}
}
