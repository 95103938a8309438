package inventory_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowhec/flowhec/enrich/inventory"
)

// FuzzResource: any description, type and requester give a resource
// without panicking: "", the interface type, the requester, or a kind and
// a name, neither empty.
func FuzzResource(f *testing.F) {
	for _, s := range []string{
		"ELB app/web-prod/50dc6c495c0c9188", "ELB ", "ELB app//", "AWS Lambda VPC ENI-", "AWS Lambda VPC ENI--",
		"AWS Lambda VPC ENI-fn-2b7c4d1e-9f0a-4b3c-8d2e-1f4a5b6c7d8e", "arn:aws:ecs:", "arn:aws:ecs:r:a:attachment/",
		"Route 53 Resolver:", "Route 53 Resolver: :", "VPC Endpoint Interface:", "ClientVPN", "FSx fs-", "ES ", "ElastiCache+",
	} {
		f.Add(s, "interface", "amazon-aws", true)
	}
	f.Fuzz(func(t *testing.T, desc, typ, requester string, managed bool) {
		r := inventory.Resource(&inventory.NetworkInterface{Description: desc, InterfaceType: typ, RequesterID: requester, RequesterManaged: managed})
		if r == "" || r == typ || r == "requester:"+requester || r == "interface" || r == "nat_gateway" && typ == "natGateway" {
			return
		}
		if kind, name, _ := strings.Cut(r, ":"); kind == "" || strings.Contains(r, ":") && name == "" {
			t.Errorf("Resource(%q, %q, %q) = %q: a kind without a name, or a name without a kind", desc, typ, requester, r)
		}
	})
}

// FuzzLoadHistory: a history file is loaded or refused, never half
// loaded: what loads saves and loads again the same, and indexes.
func FuzzLoadHistory(f *testing.F) {
	h, _ := inventory.NewHistory(inventory.DefaultHistoryConfig())
	_ = h.Observe(fleetOf(holding{"eni-a", time.Time{}, []string{"10.0.0.1", "2600::1"}}), t0)
	_ = h.Observe(fleetOf(holding{"eni-b", at(-time.Hour), []string{"10.0.0.1"}}), at(time.Hour))
	dir := f.TempDir()
	seed := filepath.Join(dir, "seed.json")
	if err := h.Save(seed); err != nil {
		f.Fatal(err)
	}
	raw, _ := os.ReadFile(seed)
	f.Add(raw)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"observed_at":"2026-11-02T12:00:00Z","addresses":{},"interfaces":{}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "h.json")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		h, err := inventory.LoadHistory(path, inventory.DefaultHistoryConfig())
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		again := filepath.Join(dir, "again.json")
		if err := h.Save(again); err != nil {
			t.Fatal(err)
		}
		back, err := inventory.LoadHistory(again, inventory.DefaultHistoryConfig())
		if err != nil {
			t.Fatalf("a saved history does not load: %v", err)
		}
		if back.Len() != h.Len() {
			t.Errorf("%d addresses, %d after saving", h.Len(), back.Len())
		}
		ix, err := inventory.Build(nil, back, inventory.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		ix.Lookup(netip.MustParseAddr("10.0.0.1"), t0.Unix())
	})
}
