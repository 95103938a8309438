package inventory

import (
	"cmp"
	"net/netip"
	"slices"
)

// u128 is an address as a number: IPv4 in lo, IPv6 in both halves.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (a u128) cmp(b u128) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

func (a u128) next() (u128, bool) {
	if a.lo != ^uint64(0) {
		return u128{a.hi, a.lo + 1}, true
	}
	if a.hi != ^uint64(0) {
		return u128{a.hi + 1, 0}, true
	}
	return a, false
}

func v6num(b [16]byte) u128 {
	var n u128
	for i := range 8 {
		n.hi = n.hi<<8 | uint64(b[i])
		n.lo = n.lo<<8 | uint64(b[8+i])
	}
	return n
}

// prefixTable answers longest-prefix match over a fixed set of prefixes of
// one family. Prefixes either nest or do not overlap, so the set cuts the
// address space into runs that each have one most specific prefix (or
// none); the table keeps the first address of every run, sorted, and a
// lookup is one binary search. It allocates nothing.
type prefixTable struct {
	starts []u128
	owners []*Owner // owner of [starts[i], starts[i+1]); nil for none
}

type namedRange struct {
	first, last u128
	bits        int
	owner       *Owner
}

func newPrefixTable(rs []namedRange) prefixTable {
	slices.SortFunc(rs, func(a, b namedRange) int {
		if c := a.first.cmp(b.first); c != 0 {
			return c
		}
		return cmp.Compare(a.bits, b.bits) // wider first: the narrower overrides it
	})
	var t prefixTable
	emit := func(start u128, o *Owner) {
		if n := len(t.starts); n > 0 && t.starts[n-1] == start {
			t.owners[n-1] = o
			return
		}
		if n := len(t.owners); n > 0 && t.owners[n-1] == o {
			return // same owner continues
		}
		t.starts = append(t.starts, start)
		t.owners = append(t.owners, o)
	}
	var open []namedRange // enclosing prefixes, widest first
	closeUntil := func(before u128, all bool) {
		for len(open) > 0 {
			top := open[len(open)-1]
			if !all && !top.last.less(before) {
				return
			}
			open = open[:len(open)-1]
			after, ok := top.last.next()
			if !ok {
				continue
			}
			var o *Owner
			if len(open) > 0 {
				o = open[len(open)-1].owner
			}
			emit(after, o)
		}
	}
	for _, r := range rs {
		closeUntil(r.first, false)
		open = append(open, r)
		emit(r.first, r.owner)
	}
	closeUntil(u128{}, true)
	return t
}

func (t *prefixTable) lookup(k u128) *Owner {
	lo, hi := 0, len(t.starts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.starts[m].less(k) || t.starts[m] == k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return nil
	}
	return t.owners[lo-1]
}

// prefixRange is the first and last address of p, as numbers.
func prefixRange(p netip.Prefix) (first, last u128) {
	p = p.Masked()
	a := p.Addr()
	if a.Is4() {
		b := a.As4()
		f := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
		host := uint64(1)<<(32-p.Bits()) - 1
		return u128{0, f}, u128{0, f | host}
	}
	first = v6num(a.As16())
	last = first
	switch hb := 128 - p.Bits(); {
	case hb >= 64:
		last.lo = ^uint64(0)
		last.hi |= uint64(1)<<(hb-64) - 1
		if hb == 128 {
			last.hi = ^uint64(0)
		}
	case hb > 0:
		last.lo |= uint64(1)<<hb - 1
	}
	return first, last
}
