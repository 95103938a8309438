package enrich

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowhec/flowhec/enrich/inventory"
	"github.com/flowhec/flowhec/flowgen"
	"github.com/flowhec/flowhec/flowlog"
)

// sampleInventory writes the generator's default fleet as a static
// inventory file.
func sampleInventory(t testing.TB) (string, *inventory.Inventory) {
	t.Helper()
	g, err := flowgen.New(flowgen.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	inv := g.Inventory()
	path := filepath.Join(t.TempDir(), "inventory.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.WriteJSON(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, inv
}

func openTest(t testing.TB, edit func(*Config)) *Enricher {
	t.Helper()
	path, _ := sampleInventory(t)
	cfg := DefaultConfig()
	cfg.InventoryFile = path
	cfg.IPRanges.Source = "../testdata/ipranges/ip-ranges.json"
	if edit != nil {
		edit(&cfg)
	}
	e, err := Open(context.Background(), cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func fieldsOf(e *Enricher, line string) (map[string]Value, error) {
	var rec flowlog.Record
	if err := flowlog.DefaultFormat().Parse([]byte(line), &rec); err != nil {
		return nil, err
	}
	var f Fields
	e.Enrich(&rec, &f)
	out := map[string]Value{}
	for i := 0; i < f.Len(); i++ {
		out[f.At(i).Name] = *f.At(i)
	}
	return out, nil
}

func TestZombieRecordNamesTheRecycledAddressOwner(t *testing.T) {
	e := openTest(t, nil)
	// An old client knocking on the recycled address (the zombie story).
	got, err := fieldsOf(e, "2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.23 172.31.1.67 40112 80 6 1 44 1761955200 1761955260 REJECT OK")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"dest_instance_name": "clarity-collector",
		"dest_service":       "metrics",
		"dest_scope":         "private",
		"src_scope":          "public",
		"action":             "blocked",
		"transport":          "tcp",
		"protocol":           "ip",
		"protocol_version":   "ipv4",
		"direction":          "inbound",
	}
	for k, v := range want {
		if got[k].Str != v {
			t.Errorf("%s = %q, want %q", k, got[k].Str, v)
		}
	}
	for _, k := range []string{"dest_eni", "dest_instance_id", "dest_vpc_id", "dest_subnet_id", "dest_az", "dest_security_groups"} {
		if got[k].Str == "" {
			t.Errorf("%s missing", k)
		}
	}
	if got["duration"].Kind != KindNumber || got["duration"].Num != 60 {
		t.Errorf("duration = %+v", got["duration"])
	}
	if _, ok := got["src_eni"]; ok {
		t.Error("an internet address got an ENI")
	}
}

func TestAWSServiceFromIPRanges(t *testing.T) {
	e := openTest(t, nil)
	got, err := fieldsOf(e, "2 123456789012 eni-0a1b2c3d4e5f60718 172.31.1.67 52.216.10.20 40112 443 6 10 5000 1761955200 1761955260 ACCEPT OK")
	if err != nil {
		t.Fatal(err)
	}
	if got["dest_aws_service"].Str == "" || got["dest_aws_region"].Str != "us-east-1" || got["dest_scope"].Str != "aws" {
		t.Fatalf("dest: service %q region %q scope %q", got["dest_aws_service"].Str, got["dest_aws_region"].Str, got["dest_scope"].Str)
	}
	if got["direction"].Str != "outbound" {
		t.Fatalf("direction %q", got["direction"].Str)
	}
}

func TestFieldGroups(t *testing.T) {
	e := openTest(t, func(c *Config) { c.Fields = []string{GroupDerived} })
	got, err := fieldsOf(e, "2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.23 172.31.1.67 40112 80 6 1 44 1761955200 1761955260 REJECT OK")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["dest_instance_name"]; ok {
		t.Fatal("owner fields added although only derived fields were asked for")
	}
	if got["action"].Str != "blocked" {
		t.Fatal("derived fields missing")
	}
	if err := (Config{Fields: []string{"owner", "colour"}}).Validate("enrich."); err == nil {
		t.Fatal("unknown group accepted")
	}
}

func TestAddressMovesBetweenInventories(t *testing.T) {
	path, inv := sampleInventory(t)
	cfg := DefaultConfig()
	e, err := Open(context.Background(), cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_ = path
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if err := e.Update(inv, t0); err != nil {
		t.Fatal(err)
	}
	target := flowgen.DefaultConfig().Zombie.Target.Addr()
	before, ok := e.Lookup(target, t0.Add(time.Hour).Unix())
	if !ok || before.InstanceName != "clarity-collector" {
		t.Fatalf("before: %+v %v", before, ok)
	}
	// The address is handed to another instance's interface.
	moved := *inv
	moved.NetworkInterfaces = append([]inventory.NetworkInterface(nil), inv.NetworkInterfaces...)
	var from, to int = -1, -1
	for i, ni := range moved.NetworkInterfaces {
		for _, a := range ni.PrivateIPAddresses {
			if a == target {
				from = i
			}
		}
		if to < 0 && ni.Attachment != nil && from != i && ni.Attachment.InstanceID != "" {
			to = i
		}
	}
	if from < 0 || to < 0 {
		t.Fatal("fixture lacks the interfaces")
	}
	fromNI, toNI := moved.NetworkInterfaces[from], moved.NetworkInterfaces[to]
	fromNI.PrivateIPAddresses = nil
	toNI.PrivateIPAddresses = append(append([]netip.Addr(nil), toNI.PrivateIPAddresses...), target)
	moved.NetworkInterfaces[from], moved.NetworkInterfaces[to] = fromNI, toNI
	t1 := t0.Add(2 * time.Hour)
	if err := e.Update(&moved, t1); err != nil {
		t.Fatal(err)
	}
	old, ok := e.Lookup(target, t0.Add(time.Hour).Unix())
	if !ok || old.InstanceName != "clarity-collector" {
		t.Fatalf("a record from before the move must name the old owner: %+v", old)
	}
	now, ok := e.Lookup(target, t1.Add(time.Minute).Unix())
	if !ok || now.ENI != toNI.NetworkInterfaceID || !now.Since.Equal(t1) {
		t.Fatalf("after the move: %+v, want %s since %v", now, toNI.NetworkInterfaceID, t1)
	}
	if n := len(e.History(target)); n != 2 {
		t.Fatalf("history has %d intervals, want 2", n)
	}
}

func TestEnrichAllocatesNothing(t *testing.T) {
	e := openTest(t, nil)
	var rec flowlog.Record
	if err := flowlog.DefaultFormat().Parse([]byte("2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.23 172.31.1.67 40112 80 6 1 44 1761955200 1761955260 REJECT OK"), &rec); err != nil {
		t.Fatal(err)
	}
	var f Fields
	if n := testing.AllocsPerRun(500, func() { e.Enrich(&rec, &f) }); n != 0 {
		t.Fatalf("Enrich allocates %v times per record", n)
	}
}

func BenchmarkEnrich(b *testing.B) {
	e := openTest(b, nil)
	var rec flowlog.Record
	if err := flowlog.DefaultFormat().Parse([]byte("2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.23 172.31.1.67 40112 80 6 1 44 1761955200 1761955260 REJECT OK"), &rec); err != nil {
		b.Fatal(err)
	}
	var f Fields
	b.ReportAllocs()
	for b.Loop() {
		e.Enrich(&rec, &f)
	}
}

func TestReloadFile(t *testing.T) {
	path, inv := sampleInventory(t)
	cfg := DefaultConfig()
	cfg.InventoryFile = path
	e, err := Open(context.Background(), cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := e.ReloadFile(); changed || err != nil {
		t.Fatalf("unchanged file reloaded: %v %v", changed, err)
	}
	target := flowgen.DefaultConfig().Zombie.Target.Addr()
	// The file is regenerated with the zombie's instance renamed.
	for i := range inv.Instances {
		if inv.Instances[i].Tags["Name"] == "clarity-collector" {
			inv.Instances[i].Tags = map[string]string{"Name": "metrics-collector-v2", "service": "metrics"}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.WriteJSON(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if changed, err := e.ReloadFile(); !changed || err != nil {
		t.Fatalf("changed file not reloaded: %v %v", changed, err)
	}
	if o, ok := e.Lookup(target, time.Now().Unix()); !ok || o.InstanceName != "metrics-collector-v2" {
		t.Fatalf("after reload: %+v", o)
	}
	// A broken file is an error and the inventory in use stays.
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ReloadFile(); err == nil || !strings.Contains(err.Error(), "enrich.inventory_file") {
		t.Fatalf("broken file: %v", err)
	}
	if o, ok := e.Lookup(target, time.Now().Unix()); !ok || o.InstanceName != "metrics-collector-v2" {
		t.Fatalf("after a failed reload: %+v", o)
	}
}
