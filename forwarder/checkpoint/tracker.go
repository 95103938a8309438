package checkpoint

import "sync"

// Tracker computes the committed position of one ordered stream of chunks
// (a file, a shard) from acknowledgements that arrive in any order.
//
// Track is called once per chunk, in position order (positions never
// decrease), as chunks are written to the pipeline; it returns the chunk's
// ack function. Committed is then the highest tracked position such that it
// and every position tracked before it have been acknowledged.
//
// The zero Tracker is ready to use. Set OnCommit before the first Track.
type Tracker[P any] struct {
	// OnCommit, if set, is called each time an acknowledgement sets the
	// committed position, with the new position: in order, never with a
	// position lower than the one before. It is called with the Tracker's
	// lock held, so that two acknowledgements racing on different
	// goroutines cannot report their positions out of order; it must not
	// call back into the Tracker (Track, an ack function, Committed,
	// Pending).
	OnCommit func(P)

	mu         sync.Mutex
	head, tail *trackNode[P] // outstanding chunks, oldest first
	pending    int
	committed  P
	has        bool
	duplicates int
}

// trackNode is one outstanding chunk. pos starts as the chunk's own
// position and is raised when a later chunk is acknowledged first.
type trackNode[P any] struct {
	pos        P
	prev, next *trackNode[P]
	done       bool
}

// Track records the next chunk, ending at position p, and returns the
// function to call once it is delivered. The function may be called from
// any goroutine, in any order relative to other chunks' functions; calling
// it again is a no-op, counted by Duplicates.
func (t *Tracker[P]) Track(p P) (ack func()) {
	n := &trackNode[P]{pos: p}
	t.mu.Lock()
	n.prev = t.tail
	if t.tail != nil {
		t.tail.next = n
	} else {
		t.head = n
	}
	t.tail = n
	t.pending++
	t.mu.Unlock()
	return func() { t.resolve(n) }
}

func (t *Tracker[P]) resolve(n *trackNode[P]) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n.done {
		t.duplicates++
		return
	}
	n.done = true
	t.pending--
	if n.prev != nil {
		// An earlier chunk is still outstanding. Hand this position down to
		// it: when it is acknowledged, the checkpoint jumps past both. The
		// earlier node's position is never higher than this one's, since
		// positions were tracked in order and only ever move down the list.
		n.prev.pos = n.pos
		n.prev.next = n.next
	} else {
		t.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		t.tail = n.prev
	}
	commit := n.prev == nil
	n.prev, n.next = nil, nil
	if !commit {
		return
	}
	t.committed, t.has = n.pos, true
	if t.OnCommit != nil {
		t.OnCommit(n.pos)
	}
}

// Committed is the highest position below which everything tracked has
// been acknowledged, and false when no chunk has been acknowledged yet
// (every tracked chunk is outstanding, or none was tracked).
func (t *Tracker[P]) Committed() (P, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.committed, t.has
}

// Pending is the number of chunks tracked and not yet acknowledged.
func (t *Tracker[P]) Pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pending
}

// Duplicates is how many times an ack function was called after its
// first call. Each is a bug in whoever acknowledges, harmless here.
func (t *Tracker[P]) Duplicates() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.duplicates
}
