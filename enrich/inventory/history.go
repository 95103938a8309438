package inventory

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Interval is a span of time during which one interface held an address:
// [From, Until), Until zero while it still holds it.
type Interval struct {
	ENI string `json:"eni"`
	// From is when the interface started to hold the address: its
	// attachment time when that falls after what was known of the
	// previous holder, else the observation that first saw it.
	From time.Time `json:"from"`
	// Until is the observation that found the address gone or on another
	// interface (or the new holder's attachment time, when that is
	// earlier); zero while the interface still holds it.
	Until time.Time `json:"until,omitzero"`
	// Seen is the last observation that saw the interface hold it.
	Seen time.Time `json:"seen"`
	// FirstSight says From is merely the history's first observation: the
	// interface held the address then, since when is not known (no
	// attachment time). Its owner's Since is zero, so that a fresh start
	// does not make every address look newly handed over.
	FirstSight bool `json:"first_sight,omitempty"`
}

// History remembers who held each address across successive inventories,
// so that a record minutes or days old is named by the interface that
// held its addresses then, not by the one that holds them now: addresses
// are recycled, and "who had 172.31.1.67 last week" is the zombie
// question. It forgets what is older than its HistoryConfig allows.
//
// A History is safe for concurrent use; the usual caller is one refresher
// that Observes each new inventory, Builds the Index from it and the
// History, and Saves the History.
type History struct {
	mu       sync.Mutex
	cfg      HistoryConfig
	observed time.Time
	addrs    map[netip.Addr][]Interval
	enis     map[string]*pastInterface
}

// pastInterface is what is kept of an interface to describe it once it is
// gone: the interface without its addresses, and its instance's tags.
type pastInterface struct {
	Interface    NetworkInterface  `json:"interface"`
	InstanceTags map[string]string `json:"instance_tags,omitempty"`
}

// NewHistory returns an empty history bounded by cfg.
func NewHistory(cfg HistoryConfig) (*History, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &History{cfg: cfg, addrs: map[netip.Addr][]Interval{}, enis: map[string]*pastInterface{}}, nil
}

// ObservedAt is the time of the latest observation, zero before the first.
func (h *History) ObservedAt() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.observed
}

// Len is the number of addresses the history remembers.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.addrs)
}

// Intervals returns a copy of the intervals of a, oldest first.
func (h *History) Intervals(a netip.Addr) []Interval {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.addrs[a.Unmap()])
}

// Observe records who holds each address of inv at time at, which must
// not be before the previous observation: an address now on another
// interface closes the previous holder's interval and opens one for the
// new holder; an address no interface holds any more closes its interval;
// an address seen for the first time opens an interval that starts at
// its interface's attachment time if the inventory has it, else at at
// (at the first observation, with its start unknown: see FirstSight).
// Then it forgets intervals past its bounds. inv must be valid (see
// Validate) and is not modified, nor kept.
func (h *History) Observe(inv *Inventory, at time.Time) error {
	if at.IsZero() {
		return errors.New("observe inventory: no time given")
	}
	if err := inv.Validate(); err != nil {
		return fmt.Errorf("observe inventory: %w", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if at.Before(h.observed) {
		return fmt.Errorf("observe inventory at %v: before the previous observation at %v; the clock went back", at.UTC(), h.observed.UTC())
	}
	at = at.UTC()
	instances := make(map[string]*Instance, len(inv.Instances))
	for i := range inv.Instances {
		instances[inv.Instances[i].InstanceID] = &inv.Instances[i]
	}
	now := make(map[netip.Addr]struct{}, 2*len(inv.NetworkInterfaces))
	for i := range inv.NetworkInterfaces {
		ni := &inv.NetworkInterfaces[i]
		eachAddr(ni, func(a netip.Addr) {
			now[a] = struct{}{}
			h.hold(a, ni, at)
		})
		h.enis[ni.NetworkInterfaceID] = remember(ni, instances)
	}
	for a, ivs := range h.addrs {
		if _, held := now[a]; held {
			continue
		}
		if last := &ivs[len(ivs)-1]; last.Until.IsZero() {
			last.Until = at
			h.addrs[a] = dropEmptyLast(ivs)
		}
	}
	h.observed = at
	h.prune()
	return nil
}

// hold records that ni holds a at time at.
func (h *History) hold(a netip.Addr, ni *NetworkInterface, at time.Time) {
	ivs := h.addrs[a]
	var last *Interval
	if n := len(ivs); n > 0 {
		last = &ivs[n-1]
	}
	if last != nil && last.Until.IsZero() && last.ENI == ni.NetworkInterfaceID {
		last.Seen = at
		return
	}
	// The hand-over happened after what is known of the previous holder
	// (its last sighting if it held the address until now, the end of its
	// interval if not) and no later than at. The attachment time of the
	// new interface, if it falls in that window, is the best guess.
	var after time.Time
	if last != nil {
		after = last.Until
		if after.IsZero() {
			after = last.Seen
		}
	}
	iv := Interval{ENI: ni.NetworkInterfaceID, From: at, Seen: at}
	if t := attachTime(ni); !t.IsZero() && !t.After(at) && (last == nil || t.After(after)) {
		iv.From = t.UTC()
	} else if last == nil && h.observed.IsZero() {
		iv.FirstSight = true
	}
	if last != nil && last.Until.IsZero() {
		last.Until = iv.From
		ivs = dropEmptyLast(ivs)
	}
	h.addrs[a] = append(ivs, iv)
}

// dropEmptyLast drops the last interval if it ended where it began (two
// observations at one instant that disagree).
func dropEmptyLast(ivs []Interval) []Interval {
	if n := len(ivs); n > 0 && !ivs[n-1].Until.IsZero() && !ivs[n-1].Until.After(ivs[n-1].From) {
		return ivs[:n-1]
	}
	return ivs
}

// prune forgets intervals that ended more than MaxAge before the latest
// observation, keeps at most MaxIntervals per address, and forgets the
// interfaces no interval names any more.
func (h *History) prune() {
	cutoff := h.observed.Add(-h.cfg.MaxAge)
	for a, ivs := range h.addrs {
		i := 0
		for i < len(ivs) && !ivs[i].Until.IsZero() && ivs[i].Until.Before(cutoff) {
			i++
		}
		if n := len(ivs) - i; n > h.cfg.MaxIntervals {
			i += n - h.cfg.MaxIntervals
		}
		switch {
		case i == len(ivs):
			delete(h.addrs, a)
		case i > 0:
			h.addrs[a] = slices.Clone(ivs[i:])
		}
	}
	named := make(map[string]bool, len(h.enis))
	for _, ivs := range h.addrs {
		for _, iv := range ivs {
			named[iv.ENI] = true
		}
	}
	for id := range h.enis {
		if !named[id] {
			delete(h.enis, id)
		}
	}
}

// remember keeps what describes ni once it is gone.
func remember(ni *NetworkInterface, instances map[string]*Instance) *pastInterface {
	p := &pastInterface{Interface: *ni}
	p.Interface.PrivateIPAddresses = nil
	p.Interface.IPv6Addresses = nil
	p.Interface.PublicIP = netip.Addr{}
	p.Interface.Status = ""
	if ni.Attachment != nil {
		if in := instances[ni.Attachment.InstanceID]; in != nil {
			p.InstanceTags = in.Tags
		}
	}
	return p
}

// eachAddr calls fn with every address ni holds: private IPv4, IPv6 and
// public IPv4.
func eachAddr(ni *NetworkInterface, fn func(netip.Addr)) {
	for _, a := range ni.PrivateIPAddresses {
		fn(a.Unmap())
	}
	for _, a := range ni.IPv6Addresses {
		fn(a)
	}
	if ni.PublicIP.IsValid() {
		fn(ni.PublicIP.Unmap())
	}
}

func attachTime(ni *NetworkInterface) time.Time {
	if ni.Attachment == nil {
		return time.Time{}
	}
	return ni.Attachment.AttachTime
}
