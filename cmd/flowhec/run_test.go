package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowhec/flowhec/forwarder/hec/hectest"
)

// TestRunOnceExitStatus: --once exits 0 when everything was delivered, 1
// when an input could not be read to its end (its good part is still
// delivered), 2 for a configuration error.
func TestRunOnceExitStatus(t *testing.T) {
	srv := hectest.NewServer(hectest.Config{})
	defer srv.Close()
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte(hectest.DefaultToken), 0o600); err != nil {
		t.Fatal(err)
	}
	flows := filepath.Join(dir, "flows")
	if err := os.MkdirAll(flows, 0o750); err != nil {
		t.Fatal(err)
	}
	line := "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n"
	if err := os.WriteFile(filepath.Join(flows, "a.log"), []byte(strings.Repeat(line, 10)), 0o600); err != nil {
		t.Fatal(err)
	}
	args := func(state string, paths ...string) []string {
		return append([]string{"run", "--once", "--hec-url", srv.URL, "--hec-token-file", tok, "--state-dir", filepath.Join(dir, state),
			"--metrics-listen", "off", "--log-level", "error"}, paths...)
	}
	var out, errb bytes.Buffer
	if code := run(args("s1", flows), nil, &out, &errb); code != exitOK || srv.EventCount() != 10 {
		t.Fatalf("good input: exit %d, %d events\n%s%s", code, srv.EventCount(), out.String(), errb.String())
	}

	// A gzip object cut in the middle.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Repeat(line, 2000)))
	zw.Close()
	cut := filepath.Join(dir, "cut")
	os.MkdirAll(cut, 0o750)
	if err := os.WriteFile(filepath.Join(cut, "b.log.gz"), gz.Bytes()[:gz.Len()/2], 0o600); err != nil {
		t.Fatal(err)
	}
	before := srv.EventCount()
	out.Reset()
	code := run(args("s2", cut), nil, &out, &errb)
	if code != exitBad || !strings.Contains(out.String(), "read errors:") {
		t.Fatalf("truncated input: exit %d, want %d\n%s", code, exitBad, out.String())
	}
	if srv.EventCount() == before {
		t.Fatal("the good part of the truncated object was not delivered")
	}

	if code := run([]string{"run", "--once", "--hec-url", "ftp://x", flows}, nil, &out, &errb); code != exitUsage {
		t.Fatalf("bad config: exit %d", code)
	}
}
