package encode

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowhec/flowhec/enrich"
	"github.com/flowhec/flowhec/flowgen"
)

const zombieLine = "2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.23 172.31.1.67 40112 80 6 1 44 1761955200 1761955260 REJECT OK"

func testEnricher(t testing.TB) *enrich.Enricher {
	t.Helper()
	g, err := flowgen.New(flowgen.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "inventory.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Inventory().WriteJSON(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cfg := enrich.DefaultConfig()
	cfg.InventoryFile = path
	e, err := enrich.Open(context.Background(), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEnrichedRawEventCarriesIndexedFields(t *testing.T) {
	rec, _ := parse(t, "default", zombieLine)
	out := New(Config{}).WithEnricher(testEnricher(t)).Append(nil, rec, NewSource("s"), nil)
	var ev struct {
		Event  string         `json:"event"`
		Fields map[string]any `json:"fields"`
	}
	if err := json.Unmarshal(out, &ev); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if ev.Event != zombieLine {
		t.Fatalf("raw event changed: %q", ev.Event)
	}
	if ev.Fields["dest_instance_name"] != "clarity-collector" || ev.Fields["dest_service"] != "metrics" {
		t.Fatalf("fields %v", ev.Fields)
	}
	// HEC indexed fields are strings (or arrays of strings), numbers too.
	if ev.Fields["duration"] != "60" {
		t.Fatalf("duration %#v, want the string \"60\"", ev.Fields["duration"])
	}
	for k, v := range ev.Fields {
		switch v := v.(type) {
		case string:
		case []any:
			for _, m := range v {
				if _, ok := m.(string); !ok {
					t.Fatalf("%s has a non-string value %#v", k, m)
				}
			}
		default:
			t.Fatalf("%s = %#v: indexed fields must be strings", k, v)
		}
	}
}

func TestEnrichedJSONEventHasTheKeys(t *testing.T) {
	rec, _ := parse(t, "default", zombieLine)
	out := New(Config{Format: JSON}).WithEnricher(testEnricher(t)).Append(nil, rec, NewSource("s"), nil)
	var ev struct {
		Event  map[string]any `json:"event"`
		Fields map[string]any `json:"fields"`
	}
	if err := json.Unmarshal(out, &ev); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if ev.Event["dest_instance_name"] != "clarity-collector" || ev.Event["dest_port"] != float64(80) || ev.Event["duration"] != float64(60) {
		t.Fatalf("event %v", ev.Event)
	}
	if ev.Fields != nil {
		t.Fatalf("json events carry enrichment in the event, not as indexed fields: %v", ev.Fields)
	}
}

func TestEnrichedAppendAllocatesNothing(t *testing.T) {
	rec, _ := parse(t, "default", zombieLine)
	for _, f := range []EventFormat{Raw, JSON} {
		e := New(Config{Format: f}).WithEnricher(testEnricher(t))
		buf := make([]byte, 0, 8192)
		src := NewSource("s3://b/k")
		if n := testing.AllocsPerRun(200, func() { buf = e.Append(buf[:0], rec, src, nil) }); n != 0 {
			t.Errorf("%v: %v allocations per enriched event", f, n)
		}
	}
}
