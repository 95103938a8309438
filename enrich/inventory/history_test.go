package inventory_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flowhec/flowhec/enrich/inventory"
)

// fleetOf is an inventory in which each named interface holds the given
// addresses; an instance named after the interface is attached to each,
// at the attachment time given (zero for none).
type holding struct {
	eni    string
	attach time.Time
	addrs  []string
}

func fleetOf(hs ...holding) *inventory.Inventory {
	inv := &inventory.Inventory{}
	for _, h := range hs {
		ni := inventory.NetworkInterface{
			NetworkInterfaceID: h.eni, AccountID: "123456789012", Region: "us-east-1",
			InterfaceType: "interface", Description: "Primary network interface",
			Attachment: &inventory.Attachment{InstanceID: "i-" + h.eni[4:], AttachTime: h.attach},
		}
		for _, s := range h.addrs {
			a := netip.MustParseAddr(s)
			if a.Is4() {
				ni.PrivateIPAddresses = append(ni.PrivateIPAddresses, a)
			} else {
				ni.IPv6Addresses = append(ni.IPv6Addresses, a)
			}
		}
		inv.NetworkInterfaces = append(inv.NetworkInterfaces, ni)
		inv.Instances = append(inv.Instances, inventory.Instance{
			InstanceID: "i-" + h.eni[4:], Tags: map[string]string{"Name": "host-" + h.eni[4:], "service": "svc-" + h.eni[4:]},
		})
	}
	return inv
}

var t0 = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func newHistory(t *testing.T, cfg inventory.HistoryConfig) *inventory.History {
	t.Helper()
	h, err := inventory.NewHistory(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func observe(t *testing.T, h *inventory.History, inv *inventory.Inventory, when time.Time) {
	t.Helper()
	if err := h.Observe(inv, when); err != nil {
		t.Fatal(err)
	}
}

// owner looks a up at when and returns its interface and Since, or "".
func owner(t *testing.T, ix *inventory.Index, a string, when time.Time) (string, time.Time) {
	t.Helper()
	o, ok := ix.Lookup(netip.MustParseAddr(a), when.Unix())
	if !ok {
		return "", time.Time{}
	}
	return o.ENI, o.Since
}

// TestHistoryMove is the zombie story's premise: 172.31.1.67 is recycled
// from one interface to another between two inventories, and records from
// before and after the move are named by the interface that held the
// address at the time.
func TestHistoryMove(t *testing.T) {
	const addr = "172.31.1.67"
	attachOld := at(-48 * time.Hour)
	h := newHistory(t, inventory.DefaultHistoryConfig())
	observe(t, h, fleetOf(holding{"eni-old", attachOld, []string{addr, "172.31.1.10"}}), t0)
	// Ten minutes later the old instance is gone and a new one, attached
	// without a known time, holds the address.
	second := fleetOf(holding{"eni-new", time.Time{}, []string{addr}})
	observe(t, h, second, at(10*time.Minute))

	want := []inventory.Interval{
		{ENI: "eni-old", From: attachOld, Until: at(10 * time.Minute), Seen: t0},
		{ENI: "eni-new", From: at(10 * time.Minute), Seen: at(10 * time.Minute)},
	}
	if got := h.Intervals(netip.MustParseAddr(addr)); !reflect.DeepEqual(got, want) {
		t.Fatalf("intervals\n got %+v\nwant %+v", got, want)
	}

	ix, err := inventory.Build(second, h, inventory.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		addr  string
		when  time.Time
		eni   string
		since time.Time
	}{
		{"a record from before the first inventory", addr, at(-72 * time.Hour), "eni-old", attachOld},
		{"a record between attachment and first sight", addr, at(-time.Hour), "eni-old", attachOld},
		{"a record delivered late, from before the move", addr, at(9 * time.Minute), "eni-old", attachOld},
		{"the instant of the move", addr, at(10 * time.Minute), "eni-new", at(10 * time.Minute)},
		{"after the move", addr, at(time.Hour), "eni-new", at(10 * time.Minute)},
		{"the old interface's other address, before it went", "172.31.1.10", at(5 * time.Minute), "eni-old", attachOld},
		{"the old interface's other address, after it went", "172.31.1.10", at(11 * time.Minute), "", time.Time{}},
	}
	for _, tt := range tests {
		eni, since := owner(t, ix, tt.addr, tt.when)
		if eni != tt.eni || !since.Equal(tt.since) {
			t.Errorf("%s: %s at %v is %q since %v, want %q since %v", tt.name, tt.addr, tt.when, eni, since, tt.eni, tt.since)
		}
	}
	// The old owner is described as the history last saw it, though the
	// inventory no longer lists it.
	o, _ := ix.Lookup(netip.MustParseAddr(addr), at(time.Minute).Unix())
	if o == nil || o.InstanceName != "host-old" || o.Service != "svc-old" || o.InstanceID != "i-old" {
		t.Errorf("old owner %+v", o)
	}
}

// TestHistoryAttachTime: when the new holder's attachment time falls
// between the last sighting of the old holder and the observation that
// found the new one, the hand-over is placed there.
func TestHistoryAttachTime(t *testing.T) {
	const addr = "10.1.2.3"
	tests := []struct {
		name      string
		attachNew time.Time
		boundary  time.Time
	}{
		{"attached between the two observations", at(4 * time.Minute), at(4 * time.Minute)},
		{"attached before the old holder was last seen", at(-time.Minute), at(10 * time.Minute)},
		{"attachment time in the future", at(time.Hour), at(10 * time.Minute)},
		{"no attachment time", time.Time{}, at(10 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHistory(t, inventory.DefaultHistoryConfig())
			observe(t, h, fleetOf(holding{"eni-a", time.Time{}, []string{addr}}), t0)
			observe(t, h, fleetOf(holding{"eni-b", tt.attachNew, []string{addr}}), at(10*time.Minute))
			ivs := h.Intervals(netip.MustParseAddr(addr))
			if len(ivs) != 2 || !ivs[0].Until.Equal(tt.boundary) || !ivs[1].From.Equal(tt.boundary) {
				t.Errorf("intervals %+v, want the hand-over at %v", ivs, tt.boundary)
			}
		})
	}
}

// TestHistoryFirstSight: what the first observation finds without an
// attachment time has held its address since an unknown time; what a
// later observation finds new has held it since then.
func TestHistoryFirstSight(t *testing.T) {
	h := newHistory(t, inventory.DefaultHistoryConfig())
	first := fleetOf(holding{"eni-a", time.Time{}, []string{"10.0.0.1"}}, holding{"eni-b", at(-time.Hour), []string{"10.0.0.2"}})
	observe(t, h, first, t0)
	later := fleetOf(holding{"eni-a", time.Time{}, []string{"10.0.0.1", "10.0.0.3"}}, holding{"eni-b", at(-time.Hour), []string{"10.0.0.2"}})
	observe(t, h, later, at(5*time.Minute))
	if ivs := h.Intervals(netip.MustParseAddr("10.0.0.1")); len(ivs) != 1 || !ivs[0].FirstSight || !ivs[0].From.Equal(t0) {
		t.Errorf("10.0.0.1: %+v", ivs)
	}
	ix, err := inventory.Build(later, h, inventory.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		addr  string
		since time.Time
	}{
		{"10.0.0.1", time.Time{}},
		{"10.0.0.2", at(-time.Hour)},
		{"10.0.0.3", at(5 * time.Minute)},
	} {
		if eni, since := owner(t, ix, tt.addr, at(10*time.Minute)); eni == "" || !since.Equal(tt.since) {
			t.Errorf("%s: %s since %v, want since %v", tt.addr, eni, since, tt.since)
		}
	}
}

// TestHistoryGapAndReturn: an address freed and later taken again, by the
// interface that had it, leaves a gap with no interface owner.
func TestHistoryGapAndReturn(t *testing.T) {
	const addr = "10.1.2.3"
	attach := at(-time.Hour)
	h := newHistory(t, inventory.DefaultHistoryConfig())
	a := fleetOf(holding{"eni-a", attach, []string{addr}})
	observe(t, h, a, t0)
	observe(t, h, fleetOf(), at(5*time.Minute))
	observe(t, h, a, at(20*time.Minute))
	want := []inventory.Interval{
		{ENI: "eni-a", From: attach, Until: at(5 * time.Minute), Seen: t0},
		{ENI: "eni-a", From: at(20 * time.Minute), Seen: at(20 * time.Minute)},
	}
	if got := h.Intervals(netip.MustParseAddr(addr)); !reflect.DeepEqual(got, want) {
		t.Fatalf("intervals\n got %+v\nwant %+v", got, want)
	}
	cfg := inventory.DefaultConfig()
	cfg.Names = []inventory.CIDRName{{CIDR: netip.MustParsePrefix("10.1.0.0/16"), Name: "free-pool"}}
	ix, err := inventory.Build(a, h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		when    time.Time
		service string
		since   time.Time
	}{
		{at(time.Minute), "svc-a", attach},
		{at(10 * time.Minute), "free-pool", time.Time{}}, // the gap: named by prefix
		{at(30 * time.Minute), "svc-a", at(20 * time.Minute)},
	} {
		o, ok := ix.Lookup(netip.MustParseAddr(addr), tt.when.Unix())
		if !ok || o.Service != tt.service || !o.Since.Equal(tt.since) {
			t.Errorf("at %v: %+v, want service %s since %v", tt.when, o, tt.service, tt.since)
		}
	}
}

// TestHistoryBounds: old intervals and long hand-over chains are
// forgotten, and so are the interfaces only they named.
func TestHistoryBounds(t *testing.T) {
	const addr = "10.1.2.3"
	h := newHistory(t, inventory.HistoryConfig{MaxAge: 24 * time.Hour, MaxIntervals: 3})
	enis := []string{"eni-a", "eni-b", "eni-c", "eni-d", "eni-e"}
	for i, e := range enis {
		observe(t, h, fleetOf(holding{e, time.Time{}, []string{addr}}, holding{"eni-keep", time.Time{}, []string{"10.9.9.9"}}), at(time.Duration(i)*time.Minute))
	}
	ivs := h.Intervals(netip.MustParseAddr(addr))
	if len(ivs) != 3 || ivs[0].ENI != "eni-c" || ivs[2].ENI != "eni-e" || !ivs[2].Until.IsZero() {
		t.Errorf("after 5 hand-overs with room for 3: %+v", ivs)
	}
	// Two days on, with the address gone: its intervals expire, the one
	// still held does not.
	observe(t, h, fleetOf(holding{"eni-keep", time.Time{}, []string{"10.9.9.9"}}), at(time.Hour))
	if n := len(h.Intervals(netip.MustParseAddr(addr))); n != 3 {
		t.Errorf("%d intervals an hour later, want 3", n)
	}
	observe(t, h, fleetOf(holding{"eni-keep", time.Time{}, []string{"10.9.9.9"}}), at(49*time.Hour))
	if ivs := h.Intervals(netip.MustParseAddr(addr)); len(ivs) != 0 {
		t.Errorf("expired intervals kept: %+v", ivs)
	}
	if ivs := h.Intervals(netip.MustParseAddr("10.9.9.9")); len(ivs) != 1 || !ivs[0].From.Equal(t0) {
		t.Errorf("the held address: %+v", ivs)
	}
	if h.Len() != 1 {
		t.Errorf("%d addresses remembered, want 1", h.Len())
	}
	// The forgotten interfaces are not in the saved file either.
	path := filepath.Join(t.TempDir(), inventory.HistoryFile)
	if err := h.Save(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), "eni-c") || !strings.Contains(string(raw), "eni-keep") {
		t.Errorf("saved history:\n%s", raw)
	}
}

func TestHistoryObserveErrors(t *testing.T) {
	h := newHistory(t, inventory.DefaultHistoryConfig())
	observe(t, h, fleetOf(holding{"eni-a", time.Time{}, []string{"10.0.0.1"}}), t0)
	if err := h.Observe(fleetOf(), at(-time.Second)); err == nil || !strings.Contains(err.Error(), "the clock went back") {
		t.Errorf("observing the past: %v", err)
	}
	if err := h.Observe(fleetOf(), time.Time{}); err == nil {
		t.Error("observing at no time succeeded")
	}
	bad := fleetOf(holding{"eni-a", time.Time{}, []string{"10.0.0.1"}}, holding{"eni-b", time.Time{}, []string{"10.0.0.1"}})
	if err := h.Observe(bad, at(time.Minute)); err == nil || !strings.Contains(err.Error(), "eni-a") || !strings.Contains(err.Error(), "eni-b") {
		t.Errorf("observing an address on two interfaces: %v", err)
	}
	if _, err := inventory.NewHistory(inventory.HistoryConfig{}); err == nil {
		t.Error("NewHistory accepted no bounds")
	}
}

// TestHistoryPersist saves, reloads and carries on: the reloaded history
// answers as the saved one did, and the next observation continues it.
func TestHistoryPersist(t *testing.T) {
	const addr = "172.31.1.67"
	dir := t.TempDir()
	path := filepath.Join(dir, inventory.HistoryFile)
	cfg := inventory.DefaultConfig()

	h := newHistory(t, cfg.History)
	observe(t, h, fleetOf(holding{"eni-old", at(-time.Hour), []string{addr, "2600:1f18::1"}}), t0)
	second := fleetOf(holding{"eni-new", time.Time{}, []string{addr}})
	observe(t, h, second, at(10*time.Minute))
	if err := h.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := h.Save(path); err != nil { // over an existing file
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("state dir holds %d files, want the history alone", len(entries))
	}

	back, err := inventory.LoadHistory(path, cfg.History)
	if err != nil {
		t.Fatal(err)
	}
	if !back.ObservedAt().Equal(h.ObservedAt()) || back.Len() != h.Len() {
		t.Errorf("reloaded: observed %v, %d addresses; saved %v, %d", back.ObservedAt(), back.Len(), h.ObservedAt(), h.Len())
	}
	for _, a := range []string{addr, "2600:1f18::1"} {
		if got, want := back.Intervals(netip.MustParseAddr(a)), h.Intervals(netip.MustParseAddr(a)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s reloaded\n got %+v\nwant %+v", a, got, want)
		}
	}
	ix1, err := inventory.Build(second, h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ix2, err := inventory.Build(second, back, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{-2 * time.Hour, 0, 9 * time.Minute, 10 * time.Minute, time.Hour} {
		for _, a := range []string{addr, "2600:1f18::1"} {
			o1, ok1 := ix1.Lookup(netip.MustParseAddr(a), at(d).Unix())
			o2, ok2 := ix2.Lookup(netip.MustParseAddr(a), at(d).Unix())
			if ok1 != ok2 || ok1 && *o1 != *o2 {
				t.Errorf("%s at %v: before saving %+v, after reloading %+v", a, d, o1, o2)
			}
		}
	}

	// Carry on: the address moves again after the restart.
	third := fleetOf(holding{"eni-third", time.Time{}, []string{addr}})
	observe(t, back, third, at(30*time.Minute))
	ivs := back.Intervals(netip.MustParseAddr(addr))
	if len(ivs) != 3 || ivs[1].ENI != "eni-new" || !ivs[1].Until.Equal(at(30*time.Minute)) || ivs[2].ENI != "eni-third" {
		t.Errorf("after the restart: %+v", ivs)
	}
	ix3, err := inventory.Build(third, back, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		d   time.Duration
		eni string
	}{{5 * time.Minute, "eni-old"}, {20 * time.Minute, "eni-new"}, {40 * time.Minute, "eni-third"}} {
		if eni, _ := owner(t, ix3, addr, at(tt.d)); eni != tt.eni {
			t.Errorf("at %v: %q, want %q", tt.d, eni, tt.eni)
		}
	}

	// Reloaded with tighter bounds, it is pruned to them.
	small, err := inventory.LoadHistory(path, inventory.HistoryConfig{MaxAge: time.Hour, MaxIntervals: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ivs := small.Intervals(netip.MustParseAddr(addr)); len(ivs) != 1 || ivs[0].ENI != "eni-new" {
		t.Errorf("pruned on load: %+v", ivs)
	}
}

func TestLoadHistoryErrors(t *testing.T) {
	dir := t.TempDir()
	h, err := inventory.LoadHistory(filepath.Join(dir, "absent.json"), inventory.DefaultHistoryConfig())
	if err != nil || h.Len() != 0 || !h.ObservedAt().IsZero() {
		t.Fatalf("a missing file: %v, %d addresses", err, h.Len())
	}
	const iface = `"eni-a":{"interface":{"network_interface_id":"eni-a","account_id":"","region":"","availability_zone":"","availability_zone_id":"","vpc_id":"","subnet_id":"","interface_type":"interface","description":"","requester_managed":false,"status":"","private_ip_addresses":null,"security_groups":null}}`
	const obs = `"observed_at":"2026-11-02T12:00:00Z"`
	tests := []struct {
		name, body, want string
	}{
		{"not JSON", `{"version":1,`, "unexpected EOF"},
		{"syntax error names the line", "{\n\"version\": 1,\n\"addresses\": [}\n", "line 3"},
		{"unknown key", `{"version":1,"adresses":{}}`, `unknown field "adresses"`},
		{"another version", `{"version":2}`, "version 2, this flowhec reads version 1"},
		{"trailing data", `{"version":1} {}`, "data after the history object"},
		{"interval of an unknown interface", `{"version":1,` + obs + `,"addresses":{"10.0.0.1":[{"eni":"eni-z","from":"2026-11-02T11:00:00Z","seen":"2026-11-02T12:00:00Z"}]},"interfaces":{` + iface + `}}`, `interface "eni-z" is not under interfaces`},
		{"open interval not last", `{"version":1,` + obs + `,"addresses":{"10.0.0.1":[{"eni":"eni-a","from":"2026-11-02T10:00:00Z","seen":"2026-11-02T10:00:00Z"},{"eni":"eni-a","from":"2026-11-02T11:00:00Z","seen":"2026-11-02T12:00:00Z"}]},"interfaces":{` + iface + `}}`, "open, but not the last interval"},
		{"overlapping intervals", `{"version":1,` + obs + `,"addresses":{"10.0.0.1":[{"eni":"eni-a","from":"2026-11-02T10:00:00Z","until":"2026-11-02T11:30:00Z","seen":"2026-11-02T10:00:00Z"},{"eni":"eni-a","from":"2026-11-02T11:00:00Z","seen":"2026-11-02T12:00:00Z"}]},"interfaces":{` + iface + `}}`, "overlaps the interval before"},
		{"bad address key", `{"version":1,` + obs + `,"addresses":{"10.0.0.300":[]}}`, "10.0.0.300"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".json")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := inventory.LoadHistory(path, inventory.DefaultHistoryConfig())
			if err == nil {
				t.Fatal("loaded")
			}
			for _, want := range []string{path, tt.want, "delete the file to start the history afresh"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}
