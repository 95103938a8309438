package flowgen

import "math/bits"

// rng is wyrand: one 64-bit add and one 128-bit multiply per number. Its
// sequence is fixed by this file rather than by math/rand, so a seed
// produces the same flow logs with every Go release.
type rng struct{ s uint64 }

// Stream numbers: each stream of records draws from its own rng, so that
// changing one stream (more background traffic, a different story time)
// leaves the others byte for byte the same.
const (
	streamFleet uint64 = iota + 1
	streamBackground
	streamScanner
	streamZombie
	streamMemcached
	streamHealth
	streamNTP
	streamBackup
	streamIdle
	streamNoise
)

func newRNG(seed, stream uint64) rng {
	return rng{s: mix64(seed ^ mix64(stream*0x9e3779b97f4a7c15))}
}

// mix64 is the splitmix64 finaliser.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func (r *rng) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// intn returns a number in [0, n). The multiply-shift mapping has a bias
// of at most n/2^64, far below anything a test could see.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// between returns a number in [lo, hi], both included.
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) float() float64 { return float64(r.next()>>11) * 0x1p-53 }

func (r *rng) chance(p float64) bool { return r.float() < p }

// pick returns an index in [0, len(weights)) with probability proportional
// to its weight; cum holds the running sums of the weights.
func (r *rng) pick(cum []int) int {
	x := r.intn(cum[len(cum)-1])
	for i, c := range cum {
		if x < c {
			return i
		}
	}
	return len(cum) - 1
}
