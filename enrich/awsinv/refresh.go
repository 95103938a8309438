package awsinv

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/flowhec/flowhec/enrich/inventory"
)

// Refresher loads the inventory on an interval and hands each new one to
// OnUpdate, which swaps it into the index readers use (enrich's Update
// does). It never hands over less than it had: an account or region that
// fails to load keeps its last good data, and a refresh in which nothing
// loaded hands over nothing. Failures are logged with what to do, and
// counted (Stats).
type Refresher struct {
	l        *Loader
	onUpdate func(*inventory.Inventory)
	log      zerolog.Logger

	mu      sync.Mutex // serialises refreshes, Extend and onUpdate
	last    map[*target]*inventory.Inventory
	current atomic.Pointer[inventory.Inventory]

	ok, partial, failed atomic.Uint64
	lastSuccess         atomic.Int64 // unix nanoseconds
	lastErr             atomic.Pointer[string]
}

// RefreshStats are a Refresher's counters.
type RefreshStats struct {
	OK          uint64    // refreshes that loaded every account and region
	Partial     uint64    // refreshes in which some loaded and some kept their last good data
	Failed      uint64    // refreshes in which nothing loaded
	LastSuccess time.Time // end of the last refresh that loaded everything
	LastError   string    // the last refresh's error, "" after a full success
	Throttles   uint64    // throttled replies (see Loader.Throttles)
	Interfaces  int       // interfaces in the current inventory
}

// NewRefresher returns a Refresher that loads with l every
// refresh_interval and calls onUpdate (from its own goroutine, one call at
// a time) with each new inventory. onUpdate must not keep the Refresher
// waiting long: build the index and swap it in.
func NewRefresher(l *Loader, onUpdate func(*inventory.Inventory)) *Refresher {
	return &Refresher{l: l, onUpdate: onUpdate, log: l.log, last: map[*target]*inventory.Inventory{}}
}

// Run refreshes at once and then every refresh_interval (from the end of
// one refresh to the start of the next) until ctx is done, and returns
// nil then. A refresh in progress is abandoned when ctx ends.
func (r *Refresher) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		_ = r.Refresh(ctx) // logged and counted
		timer.Reset(r.l.cfg.RefreshInterval)
	}
}

// Refresh loads once now. It returns the load's error (joined
// *LoadErrors), after handing over whatever loaded.
func (r *Refresher) Refresh(ctx context.Context) error {
	start := time.Now()
	parts, failed := r.l.load(ctx)
	if ctx.Err() != nil {
		return ctx.Err() // stopping: nothing to hand over or report
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fresh, stale := 0, 0
	merged := make([]part, len(parts))
	for i, p := range parts {
		merged[i] = part{t: p.t}
		switch {
		case p.err == nil:
			r.last[p.t] = p.inv
			merged[i].inv = p.inv
			fresh++
		case r.last[p.t] != nil:
			merged[i].inv = r.last[p.t]
			stale++
		}
	}
	err := joinLoadErrors(failed)
	for _, e := range failed {
		r.log.Warn().Str("account", e.AccountID).Str("role", e.RoleARN).Str("region", e.Region).
			Str("action", e.Action).Str("kind", e.Kind.String()).Str("code", e.Code).
			Msg(e.Error())
	}
	if err != nil {
		s := err.Error()
		r.lastErr.Store(&s)
	} else {
		r.lastErr.Store(nil)
	}
	if fresh == 0 {
		r.failed.Add(1)
		r.log.Error().Int("failures", len(failed)).Bool("have_inventory", r.current.Load() != nil).
			Msg("aws inventory: refresh loaded nothing; keeping the last good inventory")
		return err
	}
	inv := r.l.assemble(merged)
	r.current.Store(inv)
	r.onUpdate(inv)
	ev := r.log.Info()
	if len(failed) > 0 {
		r.partial.Add(1)
		ev = r.log.Warn().Int("failures", len(failed)).Int("parts_kept", stale)
	} else {
		r.ok.Add(1)
		r.lastSuccess.Store(time.Now().UnixNano())
	}
	ev.Int("vpcs", len(inv.VPCs)).Int("interfaces", len(inv.NetworkInterfaces)).Int("instances", len(inv.Instances)).
		Dur("took", time.Since(start)).Uint64("throttles", r.l.Throttles()).Msg("aws inventory refreshed")
	return err
}

// Current returns the last inventory handed to onUpdate, or nil before the
// first.
func (r *Refresher) Current() *inventory.Inventory { return r.current.Load() }

// Stats returns the counters.
func (r *Refresher) Stats() RefreshStats {
	s := RefreshStats{
		OK:        r.ok.Load(),
		Partial:   r.partial.Load(),
		Failed:    r.failed.Load(),
		Throttles: r.l.Throttles(),
	}
	if ns := r.lastSuccess.Load(); ns != 0 {
		s.LastSuccess = time.Unix(0, ns)
	}
	if e := r.lastErr.Load(); e != nil {
		s.LastError = *e
	}
	if inv := r.current.Load(); inv != nil {
		s.Interfaces = len(inv.NetworkInterfaces)
	}
	return s
}

// ErrNoInventory is Extend's answer before the first refresh has loaded
// anything: there is nothing to extend.
var ErrNoInventory = errors.New("aws inventory: nothing loaded yet")

// Extend adds what a lookup found to the current inventory and hands the
// result to onUpdate at once: an interface replaces the one with its ID
// (or is added), the addresses it holds are taken from any other
// interface of the same VPC (an address belongs to one interface of a
// VPC), and instances replace or join theirs. Use it as the Resolver's
// onFound. The next full refresh supersedes it.
func (r *Refresher) Extend(f Found) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.current.Load()
	if cur == nil {
		return ErrNoInventory
	}
	inv := extend(cur, f)
	r.current.Store(inv)
	r.onUpdate(inv)
	return nil
}

// extend returns a copy of cur with f merged in; cur is not changed (its
// readers may still hold it).
func extend(cur *inventory.Inventory, f Found) *inventory.Inventory {
	inv := *cur
	inv.NetworkInterfaces = slices.Clone(cur.NetworkInterfaces)
	inv.Instances = slices.Clone(cur.Instances)
	for _, ni := range f.Interfaces {
		taken := map[netip.Addr]bool{}
		for _, a := range ni.PrivateIPAddresses {
			taken[a] = true
		}
		for _, a := range ni.IPv6Addresses {
			taken[a] = true
		}
		replaced := false
		for i := range inv.NetworkInterfaces {
			o := &inv.NetworkInterfaces[i]
			switch {
			case o.NetworkInterfaceID == ni.NetworkInterfaceID:
				*o = ni
				replaced = true
			case o.VPCID == ni.VPCID && (holdsAny(o.PrivateIPAddresses, taken) || holdsAny(o.IPv6Addresses, taken)):
				o.PrivateIPAddresses = slices.DeleteFunc(slices.Clone(o.PrivateIPAddresses), func(a netip.Addr) bool { return taken[a] })
				o.IPv6Addresses = slices.DeleteFunc(slices.Clone(o.IPv6Addresses), func(a netip.Addr) bool { return taken[a] })
			}
		}
		if !replaced {
			inv.NetworkInterfaces = append(inv.NetworkInterfaces, ni)
		}
	}
	for _, in := range f.Instances {
		if i := slices.IndexFunc(inv.Instances, func(o inventory.Instance) bool { return o.InstanceID == in.InstanceID }); i >= 0 {
			inv.Instances[i] = in
		} else {
			inv.Instances = append(inv.Instances, in)
		}
	}
	return &inv
}

func holdsAny(as []netip.Addr, set map[netip.Addr]bool) bool {
	for _, a := range as {
		if set[a] {
			return true
		}
	}
	return false
}
