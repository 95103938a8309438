package checkpoint

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// TestTrackerProperty drives random interleavings of Track and ack and
// checks, after every step, that Committed is exactly what a simple model
// says: the position of the longest acknowledged prefix, never beyond an
// unacknowledged chunk.
func TestTrackerProperty(t *testing.T) {
	for seed := range uint64(500) {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 1 + rng.IntN(60)
		positions := make([]int64, n)
		var p int64
		for i := range positions {
			p += int64(rng.IntN(3)) // repeats allowed: positions never decrease
			positions[i] = p
		}

		var tr Tracker[int64]
		var commits []int64
		tr.OnCommit = func(p int64) { commits = append(commits, p) }
		acks := make([]func(), 0, n)
		acked := make([]bool, n)
		var open []int // tracked, not acked

		check := func(step int) {
			t.Helper()
			// The model: the committed position is that of the last chunk
			// of the longest run of acknowledged chunks from the start.
			k := 0
			for k < len(acks) && acked[k] {
				k++
			}
			got, ok := tr.Committed()
			if k == 0 {
				if ok {
					t.Fatalf("seed %d step %d: committed %d before the first chunk was acked", seed, step, got)
				}
			} else if !ok || got != positions[k-1] {
				t.Fatalf("seed %d step %d: committed %d,%v, want %d", seed, step, got, ok, positions[k-1])
			}
			if len(open) != tr.Pending() {
				t.Fatalf("seed %d step %d: pending %d, want %d", seed, step, tr.Pending(), len(open))
			}
		}

		for step := 0; len(acks) < n || len(open) > 0; step++ {
			if len(acks) < n && (len(open) == 0 || rng.IntN(2) == 0) {
				acks = append(acks, tr.Track(positions[len(acks)]))
				open = append(open, len(acks)-1)
			} else {
				j := rng.IntN(len(open))
				i := open[j]
				open = append(open[:j], open[j+1:]...)
				acks[i]()
				acked[i] = true
				if rng.IntN(10) == 0 {
					acks[i]() // a second call changes nothing
				}
			}
			check(step)
		}
		if got, _ := tr.Committed(); got != positions[n-1] {
			t.Fatalf("seed %d: all acked, committed %d, want the last position %d", seed, got, positions[n-1])
		}
		for i := 1; i < len(commits); i++ {
			if commits[i] < commits[i-1] {
				t.Fatalf("seed %d: OnCommit went backwards: %v", seed, commits)
			}
		}
	}
}

// TestTrackerConcurrentAcks acknowledges from many goroutines at once (run
// with -race): commits arrive in order and end at the last position.
func TestTrackerConcurrentAcks(t *testing.T) {
	const n = 20000
	var tr Tracker[int]
	last := -1
	backwards := false
	tr.OnCommit = func(p int) {
		if p < last {
			backwards = true
		}
		last = p
	}
	ch := make(chan func(), 256)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			var held []func()
			for ack := range ch {
				// Hold some back to ack them late and out of order.
				held = append(held, ack)
				if len(held) > 3 {
					i := rand.IntN(len(held))
					held[i]()
					held[i]()
					held = append(held[:i], held[i+1:]...)
				}
			}
			for _, ack := range held {
				ack()
			}
		})
	}
	for i := range n {
		ch <- tr.Track(i)
	}
	close(ch)
	wg.Wait()
	if got, ok := tr.Committed(); !ok || got != n-1 {
		t.Fatalf("committed %d,%v, want %d", got, ok, n-1)
	}
	if backwards {
		t.Fatal("OnCommit saw positions out of order")
	}
	if tr.Pending() != 0 {
		t.Fatalf("pending %d, want 0", tr.Pending())
	}
	if tr.Duplicates() == 0 {
		t.Fatal("second acks were not counted")
	}
}

// TestTrackerHeadBlocks is the case that matters most: the first chunk is
// outstanding, so nothing after it may commit however much is acked.
func TestTrackerHeadBlocks(t *testing.T) {
	var tr Tracker[int64]
	a1 := tr.Track(100)
	a2 := tr.Track(200)
	a3 := tr.Track(300)
	a3()
	a2()
	if p, ok := tr.Committed(); ok {
		t.Fatalf("committed %d with the first chunk unacked", p)
	}
	a1()
	if p, _ := tr.Committed(); p != 300 {
		t.Fatalf("committed %d, want 300", p)
	}
	a1()
	if tr.Duplicates() != 1 {
		t.Fatalf("duplicates %d, want 1", tr.Duplicates())
	}
}

func BenchmarkTracker(b *testing.B) {
	var tr Tracker[int64]
	b.ReportAllocs()
	acks := make([]func(), 64)
	for i := 0; b.Loop(); i++ {
		j := i % len(acks)
		if acks[j] != nil {
			acks[j]()
		}
		acks[j] = tr.Track(int64(i))
	}
}
