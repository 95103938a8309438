package flowlog_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowhec/flowhec/flowlog"
)

const defaultHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

func TestParseFormatDefault(t *testing.T) {
	for _, s := range []string{"default", "", "  default\n", flowlog.DefaultFormatString, defaultHeader, " " + defaultHeader + "\r\n", strings.ReplaceAll(defaultHeader, " ", "\t")} {
		f, err := flowlog.ParseFormat(s)
		if err != nil {
			t.Errorf("ParseFormat(%q): %v", s, err)
			continue
		}
		if !f.IsDefault() || !f.Equal(flowlog.DefaultFormat()) {
			t.Errorf("ParseFormat(%q) = %s, want the default format", s, f)
		}
	}
	d := flowlog.DefaultFormat()
	if d.String() != flowlog.DefaultFormatString {
		t.Errorf("String() = %q", d.String())
	}
	if d.Header() != defaultHeader {
		t.Errorf("Header() = %q", d.Header())
	}
	if d.Len() != 14 || d.Version() != 2 || len(d.Unknown()) != 0 {
		t.Errorf("Len %d Version %d Unknown %v", d.Len(), d.Version(), d.Unknown())
	}
	if again := flowlog.DefaultFormat(); again != d {
		t.Error("DefaultFormat returns a new value each time")
	}
}

func TestParseFormatCustom(t *testing.T) {
	tests := []struct {
		in      string
		header  string
		version int
		unknown []string
	}{
		{"${srcaddr} ${dstaddr} ${version}", "srcaddr dstaddr version", 2, nil},
		{"${version} ${vpc-id} ${subnet-id} ${tcp-flags}", "version vpc-id subnet-id tcp-flags", 3, nil},
		{"version region az-id", "version region az-id", 4, nil},
		{"flow-direction traffic-path", "flow-direction traffic-path", 5, nil},
		{"tgw-id packets-lost-no-route", "tgw-id packets-lost-no-route", 6, nil},
		{"${ecs-task-id}", "ecs-task-id", 7, nil},
		{"${reject-reason} ${action}", "reject-reason action", 8, nil},
		{"resource-id", "resource-id", 9, nil},
		{"encryption-status resource-id", "encryption-status resource-id", 10, nil},
		{"next-hop next-hop-resource-id", "next-hop next-hop-resource-id", 11, nil},
		{"instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr", "instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr", 3, nil},
		// Unknown names are kept, in order, as string columns.
		{"${version} ${traffic-class} ${srcaddr} ${flow-label}", "version traffic-class srcaddr flow-label", 2, []string{"traffic-class", "flow-label"}},
		{"future-field", "future-field", 0, []string{"future-field"}},
		// Blanks between tokens are any run of spaces and tabs.
		{"  ${version}\t\t${srcaddr}  ", "version srcaddr", 2, nil},
	}
	for _, tt := range tests {
		f, err := flowlog.ParseFormat(tt.in)
		if err != nil {
			t.Errorf("ParseFormat(%q): %v", tt.in, err)
			continue
		}
		if f.Header() != tt.header || f.Version() != tt.version || !slices.Equal(f.Unknown(), tt.unknown) {
			t.Errorf("ParseFormat(%q): header %q version %d unknown %q; want %q %d %q", tt.in, f.Header(), f.Version(), f.Unknown(), tt.header, tt.version, tt.unknown)
		}
		if f.IsDefault() {
			t.Errorf("ParseFormat(%q) is the default", tt.in)
		}
		// Both spellings describe the same format.
		g, err := flowlog.ParseFormat(f.String())
		if err != nil || !g.Equal(f) {
			t.Errorf("ParseFormat(%q.String()) = %v, %v", tt.in, g, err)
		}
		h, err := flowlog.ParseHeader([]byte(f.Header()))
		if err != nil || !h.Equal(f) {
			t.Errorf("ParseHeader(%q.Header()) = %v, %v", tt.in, h, err)
		}
		for i := 0; i < f.Len(); i++ {
			if f.Name(i) != strings.Fields(tt.header)[i] {
				t.Errorf("%q: Name(%d) = %q", tt.in, i, f.Name(i))
			}
			if fld := f.Field(i); fld != flowlog.Unknown && f.Column(fld) != i {
				t.Errorf("%q: Column(%v) = %d, want %d", tt.in, fld, f.Column(fld), i)
			}
		}
	}
}

func TestFormatColumns(t *testing.T) {
	f := mustParseFormat(t, "${dstport} ${srcaddr} ${traffic-class}")
	tests := []struct {
		fld flowlog.Field
		col int
	}{
		{flowlog.DstPort, 0}, {flowlog.SrcAddr, 1}, {flowlog.Version, -1}, {flowlog.Unknown, -1}, {flowlog.Field(250), -1},
	}
	for _, tt := range tests {
		if got := f.Column(tt.fld); got != tt.col {
			t.Errorf("Column(%v) = %d, want %d", tt.fld, got, tt.col)
		}
		if f.Has(tt.fld) != (tt.col >= 0) {
			t.Errorf("Has(%v) = %v", tt.fld, f.Has(tt.fld))
		}
	}
	if f.Field(2) != flowlog.Unknown || f.Name(2) != "traffic-class" || f.SplunkName(2) != "traffic_class" {
		t.Errorf("unknown column: %v %q %q", f.Field(2), f.Name(2), f.SplunkName(2))
	}
	if f.SplunkName(0) != "dest_port" || f.SplunkName(1) != "src_ip" {
		t.Errorf("Splunk names %q %q", f.SplunkName(0), f.SplunkName(1))
	}
}

func TestFormatEqual(t *testing.T) {
	a := mustParseFormat(t, "version srcaddr")
	b := mustParseFormat(t, "${version} ${srcaddr}")
	c := mustParseFormat(t, "srcaddr version")
	d := mustParseFormat(t, "version srcaddr dstaddr")
	var nilFormat *flowlog.Format
	switch {
	case !a.Equal(b) || !b.Equal(a):
		t.Error("same fields, different spelling: not equal")
	case a.Equal(c):
		t.Error("order is ignored")
	case a.Equal(d) || d.Equal(a):
		t.Error("length is ignored")
	case a.Equal(nilFormat) || !nilFormat.Equal(nilFormat):
		t.Error("nil handling")
	}
}

// The bad formats of testdata/bad/formats.txt.
func TestParseFormatErrors(t *testing.T) {
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, filepath.Join(testdata, "bad", "formats.txt"))))
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		in, want, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("formats.txt: no tab in %q", line)
		}
		n++
		f, err := flowlog.ParseFormat(in)
		if err == nil {
			t.Errorf("ParseFormat(%q) = %s, want an error", in, f)
			continue
		}
		if !errors.Is(err, flowlog.ErrFormat) {
			t.Errorf("ParseFormat(%q): %v does not wrap ErrFormat", in, err)
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ParseFormat(%q):\n got %v\nwant it to contain %s", in, err, want)
		}
		if !strings.HasPrefix(err.Error(), "invalid flow-log format: ") {
			t.Errorf("ParseFormat(%q): %q does not say what is wrong first", in, err)
		}
	}
	if n < 10 {
		t.Fatalf("formats.txt has %d cases", n)
	}
}

func TestParseFormatTooManyColumns(t *testing.T) {
	names := make([]string, flowlog.MaxColumns+1)
	for i := range names {
		names[i] = fmt.Sprintf("f%d", i)
	}
	if _, err := flowlog.ParseFormat(strings.Join(names[:flowlog.MaxColumns], " ")); err != nil {
		t.Errorf("%d columns: %v", flowlog.MaxColumns, err)
	}
	_, err := flowlog.ParseFormat(strings.Join(names, " "))
	if !errors.Is(err, flowlog.ErrFormat) || !strings.Contains(err.Error(), fmt.Sprintf("%d fields, at most %d", flowlog.MaxColumns+1, flowlog.MaxColumns)) {
		t.Errorf("%d columns: %v", flowlog.MaxColumns+1, err)
	}
	_, err = flowlog.ParseHeader([]byte(" \t "))
	if !errors.Is(err, flowlog.ErrFormat) || !strings.Contains(err.Error(), "no fields") {
		t.Errorf("ParseHeader(blank): %v", err)
	}
	_, err = flowlog.ParseFormatString("")
	if !errors.Is(err, flowlog.ErrFormat) {
		t.Errorf("ParseFormatString(\"\"): %v", err)
	}
}

func TestParseFormatStringNeedsDollarBraces(t *testing.T) {
	// ParseFormatString is for LogFormat strings only; the header spelling
	// is ParseFormat's or ParseHeader's business.
	_, err := flowlog.ParseFormatString(defaultHeader)
	if !errors.Is(err, flowlog.ErrFormat) || !strings.Contains(err.Error(), `token 1 "version" is not of the form ${field-name}`) {
		t.Errorf("ParseFormatString(header): %v", err)
	}
}

func TestLooksLikeHeader(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{defaultHeader, true},
		{defaultHeader + "\r\n", true},
		{"version", true},
		{"srcaddr traffic-class", true}, // one known field is enough
		{"instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr", true},
		{"version\tsrcaddr", true},
		{"", false},
		{"   ", false},
		{"future-field other-field", false}, // no known field
		{lineDefault, false},
		{lineNoData, false},
		// Custom-format records whose values look like words.
		{"ACCEPT OK", false},
		{"- NODATA", false},
		{"ingress egress", false},
		{"ingress us-east-1 use1-az1 wavelength wlz-0123456789abcdef0", false},
		{"eni-1235b8ca123456789 vpc-abcdefab012345678 subnet-aaaaaaaa012345678", false},
		{"- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5", false},
		{"us-east-1 use1-az4 - -", false},
		{"${version} ${srcaddr}", false},
		{"Version Account-ID", false},
		{"version srcaddr 10.0.0.1", false}, // a value among names
	}
	for _, tt := range tests {
		if got := flowlog.LooksLikeHeader([]byte(tt.line)); got != tt.want {
			t.Errorf("LooksLikeHeader(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}

// Every S3 sample starts with a header that LooksLikeHeader accepts, and its
// records carry the version the header's fields imply.
func TestSampleHeaders(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testdata, "flowlogs", "s3", "*.log"))
	if len(files) < 15 {
		t.Fatalf("%d S3 samples", len(files))
	}
	for _, file := range files {
		first, _, _ := bytes.Cut(readFile(t, file), []byte("\n"))
		if !flowlog.LooksLikeHeader(first) {
			t.Errorf("%s: header %q not recognised", file, first)
		}
		if _, err := flowlog.ParseHeader(first); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}
