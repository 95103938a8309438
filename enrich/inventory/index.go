package inventory

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"time"
)

// Index answers, for an address and a time, who owned the address then.
// Build makes one from an inventory (who holds each address now), a
// History (who held them before) and a Config (service tags, names of
// prefixes no interface holds). It is immutable: any number of goroutines
// may Lookup at once, and a new inventory makes a new Index, which a
// Current hands to readers without stopping them.
type Index struct {
	v4     table4
	v6     table6
	held   []held // intervals of addresses that are not simply held, see at
	n      int    // addresses
	names4 prefixTable
	names6 prefixTable
}

// held is an interval of an Index: owner held the address during
// [from, until), in Unix seconds.
type held struct {
	from, until int64
	owner       *Owner
}

const (
	unknownFrom = math.MinInt64 // no history, no attachment time
	stillHeld   = math.MaxInt64
)

// Lookup returns the owner of a at sec (Unix seconds, a record's
// Record.Time): the interface that held a then, or, when no interface did,
// the longest Config.Names prefix that contains a. An IPv4-mapped IPv6
// address is its IPv4 address. It allocates nothing.
//
// A time before anything the index knows of a is the first known holder's:
// nothing says anyone else held it, and a record is typically older than
// the inventory that describes it. A time after an interval ended and
// before the next began (the address was free, as far as observations
// tell) has no interface owner.
func (ix *Index) Lookup(a netip.Addr, sec int64) (*Owner, bool) {
	if ix == nil || !a.IsValid() {
		return nil, false
	}
	if a.Is4() || a.Is4In6() {
		b := a.As4()
		k := binary.BigEndian.Uint32(b[:])
		if s := ix.v4.find(k); s != nil {
			if s.owner != nil {
				return s.owner, true
			}
			if o := ix.at(s.run, sec); o != nil {
				return o, true
			}
		}
		if len(ix.names4.starts) == 0 {
			return nil, false
		}
		o := ix.names4.lookup(u128{0, uint64(k)})
		return o, o != nil
	}
	b := a.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	if s := ix.v6.find(hi, lo); s != nil {
		if s.owner != nil {
			return s.owner, true
		}
		if o := ix.at(s.run, sec); o != nil {
			return o, true
		}
	}
	if len(ix.names6.starts) == 0 {
		return nil, false
	}
	o := ix.names6.lookup(u128{hi, lo})
	return o, o != nil
}

// at picks, among an address's intervals, the one sec falls in. An
// address's intervals are a header (its from is their number) followed by
// the intervals, oldest first, so that the slot needs one offset and the
// count shares the intervals' cache line.
func (ix *Index) at(off uint32, sec int64) *Owner {
	n := uint32(ix.held[off].from)
	hs := ix.held[off+1 : off+1+n]
	for i := len(hs) - 1; i >= 0; i-- {
		if hs[i].from <= sec {
			if sec < hs[i].until {
				return hs[i].owner
			}
			return nil
		}
	}
	return hs[0].owner
}

// Len is the number of addresses the index knows an interface owner of.
func (ix *Index) Len() int {
	if ix == nil {
		return 0
	}
	return ix.n
}

// Build makes the Index of inv, an inventory of who holds each address
// now, and of h, the history of who held them before, which may be nil.
// The usual sequence is h.Observe(inv, now), then Build(inv, h, cfg).
//
// The inventory says who holds an address now; the history adds since
// when (Owner.Since) and who held it earlier. Without a history, an owner
// holds its addresses since its attachment time if known, and Since is
// zero otherwise. An interface the history names but the inventory no
// longer lists is described as the history last saw it.
func Build(inv *Inventory, h *History, cfg Config) (*Index, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("build inventory index: %w", err)
	}
	if inv == nil {
		inv = &Inventory{}
	}
	if err := inv.Validate(); err != nil {
		return nil, fmt.Errorf("build inventory index: %w", err)
	}
	b := &builder{
		d:         describer{serviceTags: cfg.ServiceTags},
		instances: make(map[string]*Instance, len(inv.Instances)),
		current:   make(map[string]*NetworkInterface, len(inv.NetworkInterfaces)),
		bases:     map[string]*Owner{},
		owners:    map[ownerKey]*Owner{},
		ix:        &Index{},
	}
	for i := range inv.Instances {
		b.instances[inv.Instances[i].InstanceID] = &inv.Instances[i]
	}
	for i := range inv.NetworkInterfaces {
		ni := &inv.NetworkInterfaces[i]
		b.current[ni.NetworkInterfaceID] = ni
	}
	if h != nil {
		h.mu.Lock()
		defer h.mu.Unlock()
		b.h = h
	}
	// Gather every address's intervals, then size the table exactly.
	addrs := 0
	for i := range inv.NetworkInterfaces {
		eachAddr(&inv.NetworkInterfaces[i], func(netip.Addr) { addrs++ })
	}
	pending := make([]pendingAddr, 0, addrs)
	ivs := make([]held, 0, addrs)
	for i := range inv.NetworkInterfaces {
		ni := &inv.NetworkInterfaces[i]
		b.cur, b.curBase, b.curOwners = ni, nil, b.curOwners[:0]
		eachAddr(ni, func(a netip.Addr) {
			off := len(ivs)
			ivs = b.nowHeld(ivs, a, ni)
			pending = append(pending, pendingAddr{a, off, len(ivs)})
		})
	}
	b.cur = nil
	if h != nil {
		now := make(map[netip.Addr]bool, len(pending))
		for _, p := range pending {
			now[p.a] = true
		}
		end := h.observed.Unix()
		for a, past := range h.addrs {
			if now[a] {
				continue
			}
			off := len(ivs)
			for _, iv := range past {
				until := end // the inventory no longer has a: the history's view ends
				if !iv.Until.IsZero() {
					until = iv.Until.Unix()
				}
				ivs = b.appendPast(ivs, iv.ENI, fromOf(iv), until)
			}
			if len(ivs) > off {
				pending = append(pending, pendingAddr{a, off, len(ivs)})
			}
		}
	}
	n4 := 0
	for _, p := range pending {
		if p.a.Is4() {
			n4++
		}
	}
	b.ix.v4, b.ix.v6 = newTable4(n4), newTable6(len(pending)-n4)
	for _, p := range pending {
		b.add(p.a, ivs[p.from:p.to])
	}
	b.ix.names4, b.ix.names6 = b.names(cfg.Names)
	return b.ix, nil
}

type builder struct {
	d         describer
	h         *History
	instances map[string]*Instance
	current   map[string]*NetworkInterface
	bases     map[string]*Owner
	owners    map[ownerKey]*Owner
	ix        *Index

	// The interface whose addresses are being added, and its owners so
	// far: most interfaces have one, shared by all their addresses.
	cur       *NetworkInterface
	curBase   *Owner
	curOwners []curOwner
}

type curOwner struct {
	from  int64
	owner *Owner
}

type pendingAddr struct {
	a        netip.Addr
	from, to int // its intervals in the builder's list
}

type ownerKey struct {
	eni  string
	from int64
}

// nowHeld appends the intervals of a, which ni holds now: the earlier
// holders the history knows, then ni since the history's start of its
// interval, or its attachment time.
func (b *builder) nowHeld(ivs []held, a netip.Addr, ni *NetworkInterface) []held {
	from := int64(unknownFrom)
	if t := attachTime(ni); !t.IsZero() {
		from = t.Unix()
	}
	var past []Interval
	if b.h != nil {
		hist := b.h.addrs[a]
		if n := len(hist); n > 0 && hist[n-1].Until.IsZero() && hist[n-1].ENI == ni.NetworkInterfaceID {
			from = fromOf(hist[n-1])
			past = hist[:n-1]
		} else if from != unknownFrom {
			// The history has not seen ni hold a: keep only what ended
			// before ni's attachment.
			for _, iv := range hist {
				if !iv.Until.IsZero() && iv.Until.Unix() <= from {
					past = append(past, iv)
				}
			}
		}
	}
	for _, iv := range past {
		ivs = b.appendPast(ivs, iv.ENI, fromOf(iv), iv.Until.Unix())
	}
	return append(ivs, held{from: from, until: stillHeld, owner: b.curOwner(from)})
}

// curOwner is the Owner of the current interface's interval that began at
// from.
func (b *builder) curOwner(from int64) *Owner {
	for _, c := range b.curOwners {
		if c.from == from {
			return c.owner
		}
	}
	if b.curBase == nil {
		b.curBase = b.describe(b.cur)
	}
	o := since(b.curBase, from)
	b.curOwners = append(b.curOwners, curOwner{from, o})
	return o
}

func (b *builder) describe(ni *NetworkInterface) *Owner {
	var inst *Instance
	if ni.Attachment != nil {
		inst = b.instances[ni.Attachment.InstanceID]
	}
	o := b.d.describe(ni, inst)
	return &o
}

// since is a copy of base whose Since is from.
func since(base *Owner, from int64) *Owner {
	o := *base
	if from != unknownFrom {
		o.Since = time.Unix(from, 0).UTC()
	}
	return &o
}

// fromOf is when iv began, for an Index: unknown for a first sighting.
func fromOf(iv Interval) int64 {
	if iv.FirstSight {
		return unknownFrom
	}
	return iv.From.Unix()
}

func (b *builder) appendPast(ivs []held, eni string, from, until int64) []held {
	if until <= from {
		return ivs
	}
	o := b.owner(eni, from)
	if o == nil {
		return ivs
	}
	return append(ivs, held{from: from, until: until, owner: o})
}

// owner is the Owner of eni's interval that began at from, shared by every
// address the interface got at that moment.
func (b *builder) owner(eni string, from int64) *Owner {
	k := ownerKey{eni, from}
	if o, ok := b.owners[k]; ok {
		return o
	}
	base, ok := b.bases[eni]
	if !ok {
		if ni := b.current[eni]; ni != nil {
			base = b.describe(ni)
		} else if p := b.pastInterface(eni); p != nil {
			var inst *Instance
			if p.Interface.Attachment != nil && p.InstanceTags != nil {
				inst = &Instance{InstanceID: p.Interface.Attachment.InstanceID, Tags: p.InstanceTags}
			}
			o := b.d.describe(&p.Interface, inst)
			base = &o
		}
		b.bases[eni] = base
	}
	if base == nil {
		return nil
	}
	o := since(base, from)
	b.owners[k] = o
	return o
}

func (b *builder) pastInterface(eni string) *pastInterface {
	if b.h == nil {
		return nil
	}
	return b.h.enis[eni]
}

func (b *builder) add(a netip.Addr, ivs []held) {
	b.ix.n++
	var owner *Owner
	var r uint32
	if len(ivs) == 1 && ivs[0].until == stillHeld {
		owner = ivs[0].owner
	} else {
		r = uint32(len(b.ix.held))
		b.ix.held = append(b.ix.held, held{from: int64(len(ivs))})
		b.ix.held = append(b.ix.held, ivs...)
	}
	if a.Is4() {
		b4 := a.As4()
		s := b.ix.v4.insert(binary.BigEndian.Uint32(b4[:]))
		s.owner, s.run = owner, r
		return
	}
	b16 := a.As16()
	s := b.ix.v6.insert(binary.BigEndian.Uint64(b16[:8]), binary.BigEndian.Uint64(b16[8:]))
	s.owner, s.run = owner, r
}

func (b *builder) names(ns []CIDRName) (v4, v6 prefixTable) {
	var r4, r6 []namedRange
	for _, n := range ns {
		first, last := prefixRange(n.CIDR)
		r := namedRange{first: first, last: last, bits: n.CIDR.Bits(), owner: &Owner{Service: n.Name}}
		if n.CIDR.Addr().Is4() {
			r4 = append(r4, r)
		} else {
			r6 = append(r6, r)
		}
	}
	return newPrefixTable(r4), newPrefixTable(r6)
}
