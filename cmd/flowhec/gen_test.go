package main

import (
	"bytes"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/flowhec/flowhec/flowgen"
	"github.com/flowhec/flowhec/flowlog"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

func TestGenStdout(t *testing.T) {
	args := []string{"gen", "--seed", "7", "--duration", "10m", "--rate", "5", "--memcached-at", "2m"}
	code, out, errOut := runCmd(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rec flowlog.Record
	n, memcached := 0, 0
	for line := range strings.Lines(out) {
		n++
		if err := flowlog.DefaultFormat().Parse([]byte(line), &rec); err != nil {
			t.Fatalf("line %d: %v: %s", n, err, line)
		}
		if p, _ := rec.Uint(flowlog.DstPort); p == 11211 {
			if b, _ := rec.Uint(flowlog.Bytes); b == 5072550 {
				memcached++
			}
		}
	}
	if n == 0 || memcached != 1 {
		t.Fatalf("%d lines, %d memcached sets", n, memcached)
	}
	if !strings.Contains(errOut, "flowhec gen: ") || !strings.Contains(errOut, "zombie: 16 sources knock on 172.31.1.67:80 (clarity-collector)") {
		t.Errorf("summary on stderr: %s", errOut)
	}
	if _, again, _ := runCmd(t, args...); again != out {
		t.Error("the same flags wrote different lines")
	}
	if _, other, _ := runCmd(t, append(args, "--seed", "8")...); other == out {
		t.Error("seeds 7 and 8 wrote the same lines")
	}
}

func TestGenS3(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "sample")
	inv, lab := filepath.Join(out, "inventory.json"), filepath.Join(out, "labels.json")
	code, stdout, errOut := runCmd(t, "gen", "--duration", "15m", "--rate", "3", "--format", "all",
		"--out", out, "--inventory", inv, "--labels", lab, "--zombie-addr", "172.31.5.9:8080",
		"--account", "210987654321", "--region", "eu-west-1", "--object-records", "500")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if stdout != "" {
		t.Errorf("lines on stdout with --out: %.200s", stdout)
	}

	f, err := os.Open(lab)
	if err != nil {
		t.Fatal(err)
	}
	labels, err := flowgen.ReadLabels(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if labels.Format != flowgen.AllFields().String() || labels.AccountID != "210987654321" || labels.Region != "eu-west-1" {
		t.Errorf("labels: format %q, account %s, region %s", labels.Format, labels.AccountID, labels.Region)
	}
	z := labels.Story(flowgen.KindZombie)
	if z.Target.Address != netip.MustParseAddr("172.31.5.9") || z.Target.Port != 8080 {
		t.Errorf("zombie target %+v", z.Target)
	}

	f, err = os.Open(inv)
	if err != nil {
		t.Fatal(err)
	}
	inventory, err := flowgen.ReadInventory(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	eni := inventory.InterfaceByAddr(netip.MustParseAddr("172.31.5.9"))
	if eni == nil || eni.Attachment == nil || inventory.InstanceByID(eni.Attachment.InstanceID).Tags["Name"] != "clarity-collector" {
		t.Fatalf("172.31.5.9 is not clarity-collector's: %+v", eni)
	}
	if eni.AvailabilityZoneID != "euw1-az1" {
		t.Errorf("zone ID %q in eu-west-1", eni.AvailabilityZoneID)
	}

	var objects int
	var records int64
	prefix := filepath.Join(out, "AWSLogs", "210987654321", "vpcflowlogs", "eu-west-1", "2026", "11", "01")
	err = filepath.WalkDir(filepath.Join(out, "AWSLogs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		objects++
		if filepath.Dir(path) != prefix || !strings.HasPrefix(d.Name(), "210987654321_vpcflowlogs_eu-west-1_fl-") || !strings.HasSuffix(d.Name(), ".log.gz") {
			t.Errorf("object %s", path)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return err
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		header, _, _ := bytes.Cut(plain, []byte("\n"))
		if string(header) != flowgen.AllFields().Header() {
			t.Errorf("%s starts with %.80q…, not the header", path, header)
		}
		records += int64(bytes.Count(plain, []byte("\n")) - 1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if records != labels.Totals.Records || objects <= 3 {
		t.Errorf("%d records in %d objects, labels say %d", records, objects, labels.Totals.Records)
	}
	if !strings.Contains(errOut, "objects") {
		t.Errorf("summary: %s", errOut)
	}
}

func TestGenRecords(t *testing.T) {
	code, out, errOut := runCmd(t, "gen", "--duration", "10m", "--records", "20000")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if n := strings.Count(out, "\n"); n < 19000 || n > 21000 {
		t.Errorf("--records 20000 wrote %d records", n)
	}
}

func TestGenFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"start not a time", []string{"--start", "yesterday"}, `--start "yesterday": not an RFC 3339 time`},
		{"start with seconds", []string{"--start", "2026-11-01T00:00:30Z"}, "--start 2026-11-01T00:00:30Z is not on a whole minute"},
		{"duration too short", []string{"--duration", "30s"}, "--duration 30s"},
		{"negative rate", []string{"--rate", "-1"}, "--rate -1"},
		{"rate and records", []string{"--rate", "5", "--records", "100"}, "--rate and --records both given"},
		{"negative records", []string{"--records", "-5"}, "--records -5"},
		{"bad format", []string{"--format", "${version} ${srcaddr"}, "--format: invalid flow-log format"},
		{"zombie outside VPC", []string{"--zombie-addr", "10.0.0.1:80"}, "--zombie-addr 10.0.0.1:80 is outside VPCCIDR"},
		{"zombie not an address", []string{"--zombie-addr", "clarity:80"}, `--zombie-addr "clarity:80": not an address and port`},
		{"memcached outside span", []string{"--duration", "1h", "--memcached-at", "2h"}, "--memcached-at"},
		{"memcached not a time", []string{"--memcached-at", "soon"}, `--memcached-at "soon"`},
		{"short account", []string{"--account", "1234"}, `--account "1234" must be 12 digits`},
		{"bad region", []string{"--region", "moon-1"}, `--region "moon-1"`},
		{"argument", []string{"extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"--speed", "9"}, "flag provided but not defined: -speed"},
		{"unwritable out", []string{"--duration", "5m", "--out", "/dev/null/x"}, "/dev/null/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, append([]string{"gen"}, tt.args...)...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q\nwant it to contain %q", errOut, tt.want)
			}
			if out != "" {
				t.Errorf("stdout %.100q", out)
			}
		})
	}
}

func TestGenHelp(t *testing.T) {
	code, _, errOut := runCmd(t, "gen", "-h")
	if code != exitOK || !strings.Contains(errOut, "usage: flowhec gen") || !strings.Contains(errOut, "-zombie-addr") {
		t.Errorf("exit %d, help %s", code, errOut)
	}
}
