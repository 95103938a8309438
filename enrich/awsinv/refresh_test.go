package awsinv_test

import (
	"context"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flowhec/flowhec/enrich/awsinv"
	"github.com/flowhec/flowhec/enrich/ec2test"
	"github.com/flowhec/flowhec/enrich/inventory"
	"github.com/flowhec/flowhec/internal/syncbuf"
)

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// runInBackground runs f until the test ends, and waits for it to return.
func runInBackground(t *testing.T, f func(context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("Run did not return within 5s of its context ending")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// TestRefreshWhileReadersRun: readers look addresses up in the inventory
// the refresher swaps in while it refreshes every 20 ms; an address that
// moves to another interface in EC2 shows its new owner after a refresh,
// and no reader ever sees it owned by nobody.
func TestRefreshWhileReadersRun(t *testing.T) {
	fleet := ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 200)
	s := newFake(t, fleet)
	l := newLoader(t, s, testConfig("us-east-1"))
	var index atomic.Pointer[inventory.Inventory] // what enrichment's swap does
	var updates atomic.Int64
	r := awsinv.NewRefresher(l, func(inv *inventory.Inventory) {
		index.Store(inv)
		updates.Add(1)
	})
	addr := fleet.NetworkInterfaces[0].PrivateIPAddresses[0]
	from, to := fleet.NetworkInterfaces[0].NetworkInterfaceID, fleet.NetworkInterfaces[5].NetworkInterfaceID

	readers := make(chan struct{})
	var wg sync.WaitGroup
	var reads, orphaned atomic.Int64
	for range 2 {
		wg.Go(func() {
			for {
				runtime.Gosched() // let the refresher have the CPU too
				select {
				case <-readers:
					return
				default:
				}
				inv := index.Load()
				if inv == nil {
					continue
				}
				if inv.InterfaceByAddr(addr) == nil {
					orphaned.Add(1)
				}
				reads.Add(1)
			}
		})
	}
	stop := runInBackground(t, r.Run)
	owner := func() string {
		if inv := index.Load(); inv != nil {
			if ni := inv.InterfaceByAddr(addr); ni != nil {
				return ni.NetworkInterfaceID
			}
		}
		return ""
	}
	waitFor(t, 5*time.Second, "first inventory", func() bool { return owner() == from })
	if err := s.MoveAddress(addr, to); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the new owner after a refresh", func() bool { return owner() == to })
	n := updates.Load()
	waitFor(t, 5*time.Second, "two more refreshes", func() bool { return updates.Load() >= n+2 })
	stop()
	close(readers)
	wg.Wait()
	if orphaned.Load() != 0 {
		t.Fatalf("%d of %d reads found the address owned by nobody", orphaned.Load(), reads.Load())
	}
	st := r.Stats()
	if st.OK < 3 || st.Failed != 0 || st.LastSuccess.IsZero() || st.Interfaces != 200 || st.LastError != "" {
		t.Fatalf("stats %+v", st)
	}
	t.Logf("%d updates, %d reads", updates.Load(), reads.Load())
}

// TestFailedRefreshKeepsLastGood: a refresh in which nothing loads hands
// nothing over; the last good inventory stays, and the failure is logged
// with what to do and counted.
func TestFailedRefreshKeepsLastGood(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1", "eu-west-1"}, 5))
	var logs syncbuf.Buffer
	cfg := testConfig("us-east-1", "eu-west-1")
	l, err := awsinv.New(context.Background(), cfg, awsinv.WithAWSConfig(s.AWSConfig("us-east-1")), awsinv.WithLogger(zerolog.New(&logs)))
	if err != nil {
		t.Fatal(err)
	}
	var got []*inventory.Inventory
	r := awsinv.NewRefresher(l, func(inv *inventory.Inventory) { got = append(got, inv) })
	ctx := context.Background()
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	good := r.Current()
	if len(got) != 1 || good != got[0] || len(good.NetworkInterfaces) != 10 {
		t.Fatalf("first refresh: %d updates", len(got))
	}

	s.FailWhere(ec2test.Match{Action: "DescribeVpcs"}, ec2test.Unauthorized)
	err = r.Refresh(ctx)
	if err == nil || !strings.Contains(err.Error(), "allow ec2:DescribeVpcs") {
		t.Fatalf("refresh error %v", err)
	}
	if len(got) != 1 || r.Current() != good {
		t.Fatalf("a failed refresh handed over an inventory (%d updates)", len(got))
	}
	st := r.Stats()
	if st.OK != 1 || st.Failed != 1 || st.Partial != 0 || !strings.Contains(st.LastError, "region eu-west-1") || st.Interfaces != 10 {
		t.Fatalf("stats %+v", st)
	}
	out := logs.String()
	for _, want := range []string{"keeping the last good inventory", `"region":"us-east-1"`, `"region":"eu-west-1"`, `"kind":"denied"`, "allow ec2:DescribeVpcs"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}

	s.ClearFaults()
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.OK != 2 || st.LastError != "" || len(got) != 2 {
		t.Fatalf("after recovery: %+v, %d updates", st, len(got))
	}
}

// TestPartialRefreshKeepsStaleRegion: when one region fails, the refresh
// hands over the fresh data of the others with the failed region's last
// good data.
func TestPartialRefreshKeepsStaleRegion(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1", "eu-west-1"}, 5))
	l := newLoader(t, s, testConfig("us-east-1", "eu-west-1"))
	var last *inventory.Inventory
	r := awsinv.NewRefresher(l, func(inv *inventory.Inventory) { last = inv })
	ctx := context.Background()
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	gone := last.NetworkInterfaces[0].NetworkInterfaceID // us-east-1
	s.Edit(func(inv *inventory.Inventory) {
		inv.NetworkInterfaces = slices.DeleteFunc(inv.NetworkInterfaces, func(ni inventory.NetworkInterface) bool {
			return ni.NetworkInterfaceID == gone
		})
	})
	s.FailWhere(ec2test.Match{Region: "eu-west-1"}, ec2test.Internal)
	err := r.Refresh(ctx)
	if err == nil || !strings.Contains(err.Error(), "region eu-west-1") {
		t.Fatalf("error %v", err)
	}
	byRegion := map[string]int{}
	for _, ni := range last.NetworkInterfaces {
		byRegion[ni.Region]++
		if ni.NetworkInterfaceID == gone {
			t.Fatal("the fresh region still has the deleted interface")
		}
	}
	if byRegion["us-east-1"] != 4 || byRegion["eu-west-1"] != 5 {
		t.Fatalf("interfaces by region %v, want 4 fresh and 5 kept", byRegion)
	}
	if st := r.Stats(); st.Partial != 1 || st.OK != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestRefresherStops: cancelling Run abandons a load in progress (here
// throttled and backing off) at once, counts nothing and logs nothing as
// failed.
func TestRefresherStops(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 5))
	cfg := testConfig("us-east-1")
	cfg.Retry.MaxBackoff = 200 * time.Millisecond
	cfg.Retry.MaxAttempts = 50
	l := newLoader(t, s, cfg)
	s.FailWhere(ec2test.Match{}, ec2test.Throttle)
	updates := 0
	r := awsinv.NewRefresher(l, func(*inventory.Inventory) { updates++ })
	stop := runInBackground(t, r.Run)
	waitFor(t, 5*time.Second, "a throttled call", func() bool { return s.Throttled() > 0 })
	start := time.Now()
	stop()
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Run took %v to stop", d)
	}
	if st := r.Stats(); st.Failed != 0 || st.OK != 0 || updates != 0 {
		t.Fatalf("stats %+v, %d updates", st, updates)
	}
}

// TestExtend: what a lookup found replaces or joins the current
// inventory, and an address found on a new interface is taken from its
// old owner in the same VPC (but not from an interface of another VPC
// that happens to use the same private address).
func TestExtend(t *testing.T) {
	fleet := ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 4)
	other := fleet.NetworkInterfaces[1]
	other.NetworkInterfaceID = "eni-othervpc"
	other.VPCID = "vpc-other"
	other.PrivateIPAddresses = slices.Clone(fleet.NetworkInterfaces[0].PrivateIPAddresses)
	fleet.NetworkInterfaces = append(fleet.NetworkInterfaces, other)
	s := newFake(t, fleet)
	l := newLoader(t, s, testConfig("us-east-1"))
	var updates []*inventory.Inventory
	r := awsinv.NewRefresher(l, func(inv *inventory.Inventory) { updates = append(updates, inv) })
	if err := r.Extend(awsinv.Found{}); err != awsinv.ErrNoInventory {
		t.Fatalf("Extend before the first refresh: %v", err)
	}
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := r.Current()
	addr := fleet.NetworkInterfaces[0].PrivateIPAddresses[0]
	moved := fleet.NetworkInterfaces[2]
	moved.PrivateIPAddresses = append(slices.Clone(moved.PrivateIPAddresses), addr)
	fresh := fleet.NetworkInterfaces[3]
	fresh.NetworkInterfaceID = "eni-new"
	fresh.PrivateIPAddresses = []netip.Addr{netip.MustParseAddr("10.0.200.1")}
	inst := fleet.Instances[0]
	inst.Tags = map[string]string{"Name": "renamed"}
	if err := r.Extend(awsinv.Found{
		Addrs:      []netip.Addr{addr, fresh.PrivateIPAddresses[0]},
		Interfaces: []inventory.NetworkInterface{moved, fresh},
		Instances:  []inventory.Instance{inst},
	}); err != nil {
		t.Fatal(err)
	}
	after := r.Current()
	if len(updates) != 2 || updates[1] != after {
		t.Fatalf("%d updates", len(updates))
	}
	if ni := after.InterfaceByAddr(addr); ni == nil || ni.NetworkInterfaceID != moved.NetworkInterfaceID {
		t.Fatalf("owner of %v after Extend: %+v", addr, ni)
	}
	if ni := after.InterfaceByID("eni-othervpc"); ni == nil || !slices.Contains(ni.PrivateIPAddresses, addr) {
		t.Fatal("Extend took the address from an interface of another VPC")
	}
	if after.InterfaceByID("eni-new") == nil || after.InstanceByID(inst.InstanceID).Tags["Name"] != "renamed" {
		t.Fatal("new interface or renamed instance missing")
	}
	if len(after.NetworkInterfaces) != len(before.NetworkInterfaces)+1 {
		t.Fatalf("%d interfaces, want %d", len(after.NetworkInterfaces), len(before.NetworkInterfaces)+1)
	}
	// The inventory readers held before is unchanged.
	if ni := before.InterfaceByAddr(addr); ni == nil || ni.NetworkInterfaceID != fleet.NetworkInterfaces[0].NetworkInterfaceID {
		t.Fatal("Extend changed the previous inventory")
	}
}
