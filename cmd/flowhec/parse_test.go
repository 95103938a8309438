package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowhec/flowhec/flowlog"
)

var parseUpdate = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// parseResult is what one run of the command gave.
type parseResult struct {
	exit           int
	stdout, stderr string
}

func parseRun(t *testing.T, stdin string, args ...string) parseResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	exit := run(args, strings.NewReader(stdin), &stdout, &stderr)
	return parseResult{exit, stdout.String(), stderr.String()}
}

// parseToRoot makes the repository root the working directory, so that paths
// in messages and golden files read "testdata/…".
func parseToRoot(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
}

type parseGolden struct {
	name      string
	args      []string
	stdinFile string // read into stdin
	summarize bool   // record stdout's size and hash instead of its text
}

// parseGoldenCases are the runs of flowhec parse whose whole output is kept in
// testdata/golden: one per sample, and the cases that matter for the
// command itself. Paths are relative to the repository root.
func parseGoldenCases(t *testing.T) []parseGolden {
	var cases []parseGolden
	for _, dir := range []string{"s3", "cloudwatch"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "flowlogs", dir, "*"))
		for _, f := range files {
			cases = append(cases, parseGolden{name: dir + "-" + filepath.Base(f), args: []string{"parse", f}})
		}
	}
	for _, l := range parseReadLines(t, filepath.Join("testdata", "flowlogs", "formats.txt")) {
		file, format, _ := strings.Cut(l, "\t")
		cases = append(cases, parseGolden{
			name: "lines-" + filepath.Base(file),
			args: []string{"parse", "--format", format, filepath.Join("testdata", "flowlogs", file)},
		})
	}
	// The whole bad-input corpus in one run: every message, the unknown
	// field warned about once, exit status 2 for the unreadable files.
	bad := []string{"parse"}
	for _, l := range parseReadLines(t, filepath.Join("testdata", "bad", "cases.txt")) {
		file, _, _ := strings.Cut(l, "\t")
		bad = append(bad, filepath.Join("testdata", "bad", file))
	}
	cases = append(cases,
		parseGolden{name: "bad-corpus", args: bad, summarize: true},
		parseGolden{name: "stdin", args: []string{"parse", "-"}, stdinFile: "testdata/flowlogs/lines/default.log"},
		parseGolden{name: "stdin-no-args", args: []string{"parse"}, stdinFile: "testdata/flowlogs/s3/ipv6.log"},
		parseGolden{name: "stdin-gzip", args: []string{"parse", "-"}, stdinFile: "testdata/flowlogs/s3/v2-default-two-members.log.gz"},
		parseGolden{name: "directory", args: []string{"parse", "testdata/flowlogs/cloudwatch"}},
		parseGolden{name: "header-overrides-format", args: []string{"parse", "--format", "${srcaddr} ${dstaddr} ${action}", "testdata/flowlogs/s3/v8-reject-reason.log"}},
		parseGolden{name: "format-field-names", args: []string{"parse", "--format=action log-status", "testdata/flowlogs/lines/custom-action-status.log"}},
		parseGolden{name: "wrong-format", args: []string{"parse", "testdata/flowlogs/lines/custom-reordered.log"}},
		parseGolden{name: "bad-format-flag", args: []string{"parse", "--format", "${version} {srcaddr}", "testdata/flowlogs/s3/v2-default.log"}},
		parseGolden{name: "missing-file", args: []string{"parse", "testdata/flowlogs/s3/v2-default.log", "testdata/no-such-file.log", "testdata/flowlogs/s3/ipv6.log"}},
		parseGolden{name: "unknown-field-twice", args: []string{"parse", "testdata/bad/header-unknown-field.log", "testdata/bad/header-unknown-field-2.log.gz", "testdata/bad/header-unknown-field.log"}},
		parseGolden{name: "truncated-gzip", args: []string{"parse", "testdata/bad/gzip-truncated.log.gz", "testdata/flowlogs/s3/nodata-skipdata.log"}, summarize: true},
	)
	return cases
}

func parseReadLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// parseShellQuote writes args as a shell would need them.
func parseShellQuote(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a == "" || strings.ContainsAny(a, " \t$'\"{}\\") {
			b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
		} else {
			b.WriteString(a)
		}
	}
	return b.String()
}

func (c parseGolden) render(res parseResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ flowhec %s", parseShellQuote(c.args))
	if c.stdinFile != "" {
		fmt.Fprintf(&b, " < %s", c.stdinFile)
	}
	fmt.Fprintf(&b, "\nexit status %d\n", res.exit)
	if c.summarize {
		fmt.Fprintf(&b, "-- stdout: %d lines, sha256 %x --\n", strings.Count(res.stdout, "\n"), sha256.Sum256([]byte(res.stdout)))
	} else {
		fmt.Fprintf(&b, "-- stdout --\n%s", res.stdout)
	}
	fmt.Fprintf(&b, "-- stderr --\n%s", res.stderr)
	return b.String()
}

// TestGolden runs flowhec parse over the samples and compares stdout,
// stderr and the exit status with testdata/golden. Refresh them with
//
//	go test ./cmd/flowhec -run Golden -update
func TestGolden(t *testing.T) {
	parseToRoot(t)
	cases := parseGoldenCases(t)
	want := map[string]bool{}
	for _, c := range cases {
		path := filepath.Join("testdata", "golden", "parse-"+c.name+".golden")
		want[filepath.Base(path)] = true
		stdin := ""
		if c.stdinFile != "" {
			b, err := os.ReadFile(c.stdinFile)
			if err != nil {
				t.Fatal(err)
			}
			stdin = string(b)
		}
		res := parseRun(t, stdin, c.args...)
		parseCheckJSON(t, c.name, res.stdout)
		got := c.render(res)
		if *parseUpdate {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (run with -update to create it)", c.name, err)
			continue
		}
		if string(b) != got {
			t.Errorf("%s: output differs from %s (run with -update to accept it):\n%s", c.name, path, parseDiff(string(b), got))
		}
	}
	// No golden file is left over from a case that is gone.
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "parse-*.golden"))
	for _, f := range files {
		if !want[filepath.Base(f)] {
			if *parseUpdate {
				os.Remove(f)
				continue
			}
			t.Errorf("%s: no case writes it", f)
		}
	}
}

// parseDiff shows the first lines that differ.
func parseDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n-%s\n+%s", i+1, wl, gl)
		}
	}
	return ""
}

// parseSplunkTypes maps every known Splunk field name to its type.
var parseSplunkTypes = func() map[string]flowlog.Type {
	m := map[string]flowlog.Type{}
	for _, f := range flowlog.Fields() {
		m[f.SplunkName()] = f.Type()
	}
	return m
}()

// parseCheckJSON checks that each line of out is one JSON object with the
// Splunk names: numeric fields as JSON numbers, the rest as strings, and
// no "-" values (absent fields are left out).
func parseCheckJSON(t *testing.T, name, out string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if !json.Valid(line) {
			t.Errorf("%s: stdout line %d is not JSON: %s", name, n, line)
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Errorf("%s: stdout line %d: %v", name, n, err)
			continue
		}
		for k, v := range m {
			typ, known := parseSplunkTypes[k]
			switch v := v.(type) {
			case json.Number:
				if !known || !typ.IsNumber() {
					t.Errorf("%s: line %d: %s is a number", name, n, k)
				}
				if strings.ContainsAny(v.String(), ".eE-") {
					t.Errorf("%s: line %d: %s = %s is not a whole number", name, n, k, v)
				}
			case string:
				if known && typ.IsNumber() {
					t.Errorf("%s: line %d: %s is a string, want a number", name, n, k)
				}
				if v == "-" {
					t.Errorf("%s: line %d: %s is \"-\"", name, n, k)
				}
			default:
				t.Errorf("%s: line %d: %s is %T", name, n, k, v)
			}
		}
	}
}

func TestParseExitStatus(t *testing.T) {
	parseToRoot(t)
	tests := []struct {
		name   string
		args   []string
		exit   int
		stderr string // text stderr must contain; "" means stderr must be empty
	}{
		{"all good", []string{"parse", "testdata/flowlogs/s3/v2-default.log", "testdata/flowlogs/s3/ipv6.log"}, exitOK, ""},
		{"bad lines", []string{"parse", "testdata/bad/port-65536.log"}, exitBad, "testdata/bad/port-65536.log:2: field 7 (dstport) \"65536\": out of range 0-65535\n"},
		{"missing file", []string{"parse", "testdata/no-such-file.log"}, exitUsage, "flowhec parse: stat testdata/no-such-file.log: no such file or directory\n"},
		{"missing file after a bad one", []string{"parse", "testdata/bad/port-65536.log", "testdata/no-such-file.log"}, exitUsage, "no such file"},
		{"bad --format", []string{"parse", "--format", "${version} srcaddr", "testdata/flowlogs/s3/v2-default.log"}, exitUsage,
			"flowhec parse: --format: invalid flow-log format: token 2 \"srcaddr\" is not of the form ${field-name}\n"},
		{"duplicate in --format", []string{"parse", "--format", "srcaddr srcaddr"}, exitUsage, "appears twice"},
		{"unknown flag", []string{"parse", "--nope", "testdata/flowlogs/s3/v2-default.log"}, exitUsage, "flag provided but not defined: -nope"},
		{"help", []string{"parse", "-h"}, exitOK, "usage: flowhec parse"},
		{"truncated gzip", []string{"parse", "testdata/bad/gzip-truncated.log.gz"}, exitUsage, "gzip stream truncated after line 1495"},
		{"bad header", []string{"parse", "testdata/bad/header-duplicate-field.log"}, exitUsage, "header line: invalid flow-log format: field \"action\" appears twice"},
		{"empty file", []string{"parse", "testdata/bad/empty.log"}, exitOK, ""},
		{"empty directory", []string{"parse", t.TempDir()}, exitOK, ""},
		{"no command", nil, exitUsage, "usage: flowhec COMMAND"},
		{"unknown command", []string{"prase"}, exitUsage, "flowhec: unknown command \"prase\""},
		{"help command", []string{"help"}, exitOK, "parse"},
	}
	for _, tt := range tests {
		res := parseRun(t, "", tt.args...)
		if res.exit != tt.exit {
			t.Errorf("%s: exit %d, want %d; stderr:\n%s", tt.name, res.exit, tt.exit, res.stderr)
		}
		if tt.stderr == "" && res.stderr != "" || !strings.Contains(res.stderr, tt.stderr) {
			t.Errorf("%s: stderr\n%s\nwant %q", tt.name, res.stderr, tt.stderr)
		}
		if tt.exit == exitUsage && strings.HasPrefix(tt.name, "bad --format") && res.stdout != "" {
			t.Errorf("%s: printed records: %s", tt.name, res.stdout)
		}
	}
}

// Every bad line is reported as PATH:LINE: reason, every good line is
// printed, and the two add up to the lines of the input.
func TestParseBadLinesReported(t *testing.T) {
	parseToRoot(t)
	res := parseRun(t, "", "parse", "testdata/bad/mixed-many.log")
	if res.exit != exitBad {
		t.Errorf("exit %d", res.exit)
	}
	want := `testdata/bad/mixed-many.log:2: field 7 (dstport) "65536": out of range 0-65535
testdata/bad/mixed-many.log:4: field 4 (srcaddr) "10.0.0.256": not an IPv4 or IPv6 address
testdata/bad/mixed-many.log:6: field 13 (action) "DROP": not ACCEPT, REJECT or -
testdata/bad/mixed-many.log:8: 12 fields, format wants 14 (set the format from the flow log's LogFormat, or check for a cut line)
testdata/bad/mixed-many.log:9: field 2 (account-id) "12345x": not an account number or "unknown"
testdata/bad/mixed-many.log:11: field 14 (log-status) "ok": not OK, NODATA, SKIPDATA or -
`
	if res.stderr != want {
		t.Errorf("stderr\n%s\nwant\n%s", res.stderr, want)
	}
	if n := strings.Count(res.stdout, "\n"); n+6 != 11 {
		t.Errorf("%d records printed and 6 reported; the file has 11 record lines", n)
	}
}

func TestParseStdin(t *testing.T) {
	in := parseDefaultLine + "\n" + strings.Replace(parseDefaultLine, "ACCEPT", "DROP", 1) + "\n"
	for _, args := range [][]string{{"parse"}, {"parse", "-"}} {
		res := parseRun(t, in, args...)
		if res.exit != exitBad || strings.Count(res.stdout, "\n") != 1 {
			t.Errorf("%v: exit %d stdout %q", args, res.exit, res.stdout)
		}
		if want := "-:2: field 13 (action) \"DROP\": not ACCEPT, REJECT or -\n"; res.stderr != want {
			t.Errorf("%v: stderr %q, want %q", args, res.stderr, want)
		}
	}
	// A header on stdin is used like a file's.
	res := parseRun(t, "srcaddr dstaddr action\n10.0.0.1 10.0.0.2 REJECT\n", "parse")
	if want := `{"src_ip":"10.0.0.1","dest_ip":"10.0.0.2","vpcflow_action":"REJECT"}` + "\n"; res.stdout != want || res.exit != exitOK {
		t.Errorf("header on stdin: %q exit %d, want %q", res.stdout, res.exit, want)
	}
}

const parseDefaultLine = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"

// A directory is read recursively, in name order, plain and gzip alike;
// an unknown field is warned about once however many files have it.
func TestParseDirectory(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	line := func(port int) string {
		return strings.Replace(parseDefaultLine, " 22 ", fmt.Sprintf(" %d ", port), 1) + "\n"
	}
	header := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status traffic-class\n"
	write("b/2.log", line(2))
	write("a.log", line(1))
	write("c/d/3.log", header+strings.TrimSuffix(line(3), "\n")+" af41\n")
	write("b/1.log", line(4))
	gz := parseGzip(t, header+strings.TrimSuffix(line(5), "\n")+" cs0\n")
	write("c/e.log.gz", gz)
	if err := os.Symlink(filepath.Join(dir, "a.log"), filepath.Join(dir, "z-link.log")); err != nil {
		t.Fatal(err)
	}

	res := parseRun(t, "", "parse", dir, filepath.Join(dir, "c"))
	if res.exit != exitOK {
		t.Fatalf("exit %d: %s", res.exit, res.stderr)
	}
	var ports []string
	for _, l := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		ports = append(ports, fmt.Sprint(m["dest_port"]))
	}
	// a.log, b/1.log, b/2.log, c/d/3.log, c/e.log.gz; then c again.
	if got := strings.Join(ports, " "); got != "1 4 2 3 5 3 5" {
		t.Errorf("records in order %s, want 1 4 2 3 5 3 5", got)
	}
	want := fmt.Sprintf("flowhec parse: warning: %s: unknown field \"traffic-class\" is kept as the string field \"traffic_class\"\n", filepath.Join(dir, "c", "d", "3.log"))
	if res.stderr != want {
		t.Errorf("stderr\n%s\nwant\n%s", res.stderr, want)
	}
}

func parseGzip(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A header that overrides an explicit --format is worth a warning; one
// that agrees with it, or overrides the default, is not.
func TestParseHeaderWarning(t *testing.T) {
	parseToRoot(t)
	file := "testdata/flowlogs/s3/v2-default.log"
	for _, tt := range []struct {
		format string
		warn   bool
	}{
		{"", false},
		{"default", false},
		{"${srcaddr} ${dstaddr}", true},
		{flowlog.DefaultFormatString, false},
	} {
		args := []string{"parse", file}
		if tt.format != "" {
			args = []string{"parse", "--format", tt.format, file}
		}
		res := parseRun(t, "", args...)
		warned := strings.Contains(res.stderr, "its header line overrides --format")
		if warned != tt.warn || res.exit != exitOK {
			t.Errorf("--format %q: warned %v, exit %d: %s", tt.format, warned, res.exit, res.stderr)
		}
	}
}

type parseFailWriter struct{}

func (parseFailWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestParseStdoutError(t *testing.T) {
	parseToRoot(t)
	var stderr bytes.Buffer
	exit := run([]string{"parse", "testdata/flowlogs/s3/all-fields.log"}, strings.NewReader(""), parseFailWriter{}, &stderr)
	if exit != exitUsage || !strings.Contains(stderr.String(), "flowhec parse: write stdout: broken pipe") {
		t.Errorf("exit %d, stderr %q", exit, stderr.String())
	}
}

// --summary counts instead of printing records, and still reports each bad
// line. The timing line varies and is left out.
func TestParseSummary(t *testing.T) {
	parseToRoot(t)
	res := parseRun(t, "", "parse", "--summary", "testdata/bad/mixed-many.log", "testdata/flowlogs/s3/ipv6.log")
	if res.exit != exitBad || strings.Count(res.stderr, "testdata/bad/mixed-many.log:") != 6 {
		t.Errorf("exit %d, stderr:\n%s", res.exit, res.stderr)
	}
	var kept []string
	for _, l := range strings.Split(res.stdout, "\n") {
		if !strings.HasPrefix(l, "parsed in:") && !strings.HasPrefix(l, "format:") {
			kept = append(kept, l)
		}
	}
	want := `inputs:    2 (0 gzip, 1 with a header line)
records:   12 parsed, 6 bad
actions:   10 ACCEPT, 2 REJECT (16.67% of records with an action)
status:    0 NODATA, 0 SKIPDATA
traffic:   72017 bytes in 172 packets
span:      2016-10-31T11:35:08Z to 2023-11-14T22:14:20Z
most rejected destinations:
  [2001:db8::2]:0              1 rejected records from 1 sources
  [::1]:0                      1 rejected records from 1 sources
`
	if got := strings.Join(kept, "\n"); got != want {
		t.Errorf("summary\n%s\nwant\n%s", got, want)
	}
}
