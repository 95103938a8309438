package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInventoryShow(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.json")
	var out, errb bytes.Buffer
	if code := run([]string{"gen", "--duration", "10m", "--inventory", inv}, nil, &out, &errb); code != exitOK {
		t.Fatalf("gen: %d %s", code, errb.String())
	}
	out.Reset()
	code := run([]string{"inventory", "show", "--inventory", inv, "--ip-ranges", "../../testdata/ipranges/ip-ranges.json",
		"172.31.1.67", "52.216.1.1", "8.8.8.8"}, nil, &out, &errb)
	if code != exitBad { // 8.8.8.8 is unknown
		t.Fatalf("exit %d, want %d (one address unknown); %s", code, exitBad, errb.String())
	}
	for _, want := range []string{"name             clarity-collector", "service          metrics", "held by:", "service S3, region us-east-1", "8.8.8.8\n  unknown"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// The state directory is only read: show must not create files in it.
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o750); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"inventory", "show", "--inventory", inv, "--state-dir", state, "172.31.1.67"}, nil, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if entries, _ := os.ReadDir(state); len(entries) != 0 {
		t.Fatalf("inventory show wrote %v into the state directory", entries)
	}
	if code := run([]string{"inventory", "show", "not-an-ip"}, nil, &out, &errb); code != exitUsage {
		t.Fatalf("no source: exit %d", code)
	}
}
