package inventory

import (
	"math/bits"
	"math/rand/v2"
)

// The address tables map addresses to their owners. They are
// open-addressing hash tables in the manner of Go's own maps — groups of
// eight slots, a control word of 7-bit hash tags per group, eight tags
// compared at once — written for this one lookup rather than using Go
// maps, for three reasons that a profile of a 100,000-interface inventory
// shows:
//
//   - Size. A lookup's cost is the memory it touches, and the keys of a
//     large fleet do not fit in the CPU caches. An IPv4 slot is 16 bytes
//     (key, reference, owner) and tables fill to about 80%, where a Go map
//     rounds up to a power of two.
//   - Misses. Half of all lookups are internet addresses no interface
//     holds. The control words are kept apart from the slots: at a byte a
//     slot they stay cached, so a miss is usually settled without a slot
//     read, and a hit costs one.
//   - IPv6. A 16-byte key hashes as cheaply as a 4-byte one.
//
// An address held by one interface since it was first known (nearly all)
// keeps its Owner in its slot; any other has its intervals in Index.held. Hashes are seeded at random for each table so that
// nobody sending traffic can choose addresses that collide. A table is
// built once and never deleted from, so a group with an empty slot ends
// every probe.
type ctrlWords struct {
	ctrl   []uint64 // per group; byte i: ctrlEmpty, or the 7-bit tag of slot i
	groups uint64
	seed   uint64
}

type slot4 struct {
	key   uint32
	run   uint32 // offset in Index.held, when owner is nil
	owner *Owner
}

type slot6 struct {
	hi, lo uint64
	owner  *Owner
	run    uint32
}

type table4 struct {
	ctrlWords
	slots []slot4
}

type table6 struct {
	ctrlWords
	slots []slot6
}

const (
	ctrlEmpty = 0x80
	lsb       = 0x0101010101010101
	msb       = 0x8080808080808080
)

// newCtrlWords sizes a table for n keys, about 80% full.
func newCtrlWords(n int) ctrlWords {
	groups := max(1, (n*10+63)/64) // n / (8 × 0.8)
	c := ctrlWords{ctrl: make([]uint64, groups), groups: uint64(groups), seed: rand.Uint64()}
	for i := range c.ctrl {
		c.ctrl[i] = lsb * ctrlEmpty
	}
	return c
}

// group is the group a hash starts probing at: its high bits scaled to
// the number of groups. The low 7 bits are the tag.
func (c *ctrlWords) group(h uint64) uint64 {
	g, _ := bits.Mul64(h, c.groups)
	return g
}

func (c *ctrlWords) next(g uint64) uint64 {
	if g++; g == c.groups {
		return 0
	}
	return g
}

// claim marks a free slot for a key of hash h and returns its index.
func (c *ctrlWords) claim(h uint64) uint64 {
	for g := c.group(h); ; g = c.next(g) {
		if e := c.ctrl[g] & msb; e != 0 {
			i := uint64(bits.TrailingZeros64(e) >> 3)
			c.ctrl[g] = c.ctrl[g]&^(0xff<<(8*i)) | (h&0x7f)<<(8*i)
			return g<<3 | i
		}
	}
}

// matches has the high bit set in each byte of ctrl equal to tag. It may
// report a false match above a true one, never miss one; callers compare
// keys.
func matches(ctrl, tag uint64) uint64 {
	x := ctrl ^ (lsb * tag)
	return (x - lsb) &^ x & msb
}

func mix(x, y uint64) uint64 {
	hi, lo := bits.Mul64(x, y)
	return hi ^ lo
}

func newTable4(n int) table4 {
	c := newCtrlWords(n)
	return table4{ctrlWords: c, slots: make([]slot4, 8*c.groups)}
}

func (t *table4) hash(k uint32) uint64 { return mix(uint64(k)^t.seed, 0x9e3779b97f4a7c15) }

func (t *table4) find(k uint32) *slot4 {
	h := t.hash(k)
	for g := t.group(h); ; g = t.next(g) {
		ctrl := t.ctrl[g]
		for m := matches(ctrl, h&0x7f); m != 0; m &= m - 1 {
			if s := &t.slots[g<<3|uint64(bits.TrailingZeros64(m)>>3)]; s.key == k {
				return s
			}
		}
		if ctrl&msb != 0 {
			return nil
		}
	}
}

// insert returns the slot for k, which must not be in the table yet.
func (t *table4) insert(k uint32) *slot4 {
	s := &t.slots[t.claim(t.hash(k))]
	s.key = k
	return s
}

func newTable6(n int) table6 {
	c := newCtrlWords(n)
	return table6{ctrlWords: c, slots: make([]slot6, 8*c.groups)}
}

func (t *table6) hash(hi, lo uint64) uint64 {
	return mix(mix(lo^t.seed, 0x9e3779b97f4a7c15)^hi, 0xc2b2ae3d27d4eb4f)
}

func (t *table6) find(hi, lo uint64) *slot6 {
	h := t.hash(hi, lo)
	for g := t.group(h); ; g = t.next(g) {
		ctrl := t.ctrl[g]
		for m := matches(ctrl, h&0x7f); m != 0; m &= m - 1 {
			if s := &t.slots[g<<3|uint64(bits.TrailingZeros64(m)>>3)]; s.hi == hi && s.lo == lo {
				return s
			}
		}
		if ctrl&msb != 0 {
			return nil
		}
	}
}

func (t *table6) insert(hi, lo uint64) *slot6 {
	s := &t.slots[t.claim(t.hash(hi, lo))]
	s.hi, s.lo = hi, lo
	return s
}
