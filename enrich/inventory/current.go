package inventory

import (
	"net/netip"
	"sync/atomic"
)

// Current is the Index in use, replaced whole when a new inventory
// arrives: readers load a pointer and never wait for a refresh, and an
// Index being read stays valid until its last reader lets it go. The zero
// Current has no Index and finds no owners.
type Current struct {
	p atomic.Pointer[Index]
}

// Load returns the Index in use, or nil before the first Store.
func (c *Current) Load() *Index { return c.p.Load() }

// Store makes ix the Index in use and returns the one it replaces.
func (c *Current) Store(ix *Index) (old *Index) { return c.p.Swap(ix) }

// Lookup looks a up in the Index in use; see Index.Lookup.
func (c *Current) Lookup(a netip.Addr, sec int64) (*Owner, bool) {
	return c.p.Load().Lookup(a, sec)
}
