package queue

import (
	"container/list"
	"context"
	"fmt"
	"sync"
)

// core is what the memory and the disk queue share: the index of pending and
// in-flight items, the bytes bound with its waiting Puts, and the wake-ups.
// Storage stays with the caller: core never does I/O, so its lock is never
// held across a write or an fsync.
type core struct {
	mu       sync.Mutex
	maxBytes int64
	// used counts pending and in-flight items plus Puts that hold space and
	// are still being stored; the bound applies to it.
	used    int64
	entries map[uint64]*entry
	pending idHeap
	// waiters are Puts blocked for space, first come first served, so a
	// large item is not starved by a stream of small ones.
	waiters list.List
	// avail is closed and replaced when an item becomes pending or the queue
	// closes; blocked Gets wait on it.
	avail       chan struct{}
	getsWaiting int
	nextID      uint64
	closed      bool
	// busy counts calls between taking their decision under mu and finishing
	// their I/O; Close waits for them before it closes the storage.
	busy sync.WaitGroup

	pendingBytes, inFlightBytes int64
	inFlight                    int
	puts, acks, nacks, replayed uint64
}

type itemState uint8

const (
	statePending itemState = iota
	stateInFlight
	stateAcking // in flight, with its delete being stored
)

type entry struct {
	size     int64 // payload plus meta
	attempts int
	replayed bool
	state    itemState
	// Only the memory queue keeps the data here.
	payload, meta []byte
}

type putWaiter struct {
	size  int64
	ready chan struct{} // closed when granted, or with err set on Close
	err   error
}

func newCore(maxBytes int64) core {
	return core{
		maxBytes: maxBytes,
		entries:  make(map[uint64]*entry),
		avail:    make(chan struct{}),
		nextID:   1,
	}
}

func tooLarge(size, maxBytes int64) error {
	return fmt.Errorf("%w: %d bytes of payload and meta, queue.max_bytes is %d", ErrTooLarge, size, maxBytes)
}

// reserve takes size bytes of the bound for a Put, waiting in line while
// they are not free.
func (c *core) reserve(ctx context.Context, size int64) error {
	if size > c.maxBytes {
		return tooLarge(size, c.maxBytes)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if c.waiters.Len() == 0 && c.used+size <= c.maxBytes {
		c.used += size
		c.mu.Unlock()
		return nil
	}
	w := &putWaiter{size: size, ready: make(chan struct{})}
	el := c.waiters.PushBack(w)
	c.mu.Unlock()

	select {
	case <-w.ready:
		return w.err
	case <-ctx.Done():
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-w.ready:
		// Granted as ctx ended: hand the space on.
		if w.err == nil {
			c.used -= size
			c.grant()
		}
	default:
		head := c.waiters.Front() == el
		c.waiters.Remove(el)
		if head {
			c.grant()
		}
	}
	return ctx.Err()
}

// grant wakes waiting Puts, in order, while their sizes fit. Called with mu.
func (c *core) grant() {
	for el := c.waiters.Front(); el != nil; el = c.waiters.Front() {
		w := el.Value.(*putWaiter)
		if c.used+w.size > c.maxBytes {
			return
		}
		c.used += w.size
		c.waiters.Remove(el)
		close(w.ready)
	}
}

// unreserve gives back the space of a Put that did not store its item.
// Called with mu.
func (c *core) unreserve(size int64) {
	c.used -= size
	c.grant()
}

// admit makes a stored item pending. Called with mu, after reserve.
func (c *core) admit(id uint64, e *entry) {
	e.state = statePending
	c.entries[id] = e
	c.pending.push(id)
	c.pendingBytes += e.size
	c.puts++
	c.wakeGets()
}

func (c *core) wakeGets() {
	if c.getsWaiting > 0 {
		close(c.avail)
		c.avail = make(chan struct{})
	}
}

// take hands out the pending item with the lowest ID. On success the caller
// holds c.busy and must call c.busy.Done when its I/O is over.
func (c *core) take(ctx context.Context) (uint64, entry, error) {
	if err := ctx.Err(); err != nil {
		return 0, entry{}, err
	}
	c.mu.Lock()
	for {
		if c.closed {
			c.mu.Unlock()
			return 0, entry{}, ErrClosed
		}
		if c.pending.len() > 0 {
			id := c.pending.pop()
			e := c.entries[id]
			e.state = stateInFlight
			c.pendingBytes -= e.size
			c.inFlight++
			c.inFlightBytes += e.size
			c.busy.Add(1)
			snap := *e
			c.mu.Unlock()
			return id, snap, nil
		}
		ch := c.avail
		c.getsWaiting++
		c.mu.Unlock()
		var err error
		select {
		case <-ch:
		case <-ctx.Done():
			err = ctx.Err()
		}
		c.mu.Lock()
		c.getsWaiting--
		if err != nil {
			c.mu.Unlock()
			return 0, entry{}, err
		}
	}
}

// beginAck marks an in-flight item as being deleted. On success the caller
// holds c.busy and must call c.busy.Done and then endAck.
func (c *core) beginAck(id uint64) (*entry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	e := c.entries[id]
	if e == nil || e.state != stateInFlight {
		return nil, fmt.Errorf("ack %d: %w", id, ErrNotInFlight)
	}
	e.state = stateAcking
	c.busy.Add(1)
	return e, nil
}

// endAck forgets the item once its delete is stored, or puts it back in
// flight if storing failed.
func (c *core) endAck(id uint64, e *entry, stored bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !stored {
		e.state = stateInFlight
		return
	}
	delete(c.entries, id)
	c.inFlight--
	c.inFlightBytes -= e.size
	c.acks++
	c.unreserve(e.size)
}

func (c *core) nack(id uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	e := c.entries[id]
	if e == nil || e.state != stateInFlight {
		return fmt.Errorf("nack %d: %w", id, ErrNotInFlight)
	}
	e.attempts++
	e.state = statePending
	c.inFlight--
	c.inFlightBytes -= e.size
	c.pendingBytes += e.size
	c.pending.push(id)
	c.nacks++
	c.wakeGets()
	return nil
}

// close fails every blocked and later call with ErrClosed. It reports false
// if the queue was already closed.
func (c *core) close() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.closed = true
	for el := c.waiters.Front(); el != nil; el = el.Next() {
		w := el.Value.(*putWaiter)
		w.err = ErrClosed
		close(w.ready)
	}
	c.waiters.Init()
	close(c.avail)
	c.avail = make(chan struct{})
	return true
}

func (c *core) stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		Pending:       c.pending.len(),
		PendingBytes:  c.pendingBytes,
		InFlight:      c.inFlight,
		InFlightBytes: c.inFlightBytes,
		BlockedPuts:   c.waiters.Len(),
		MaxBytes:      c.maxBytes,
		Puts:          c.puts,
		Acks:          c.acks,
		Nacks:         c.nacks,
		Replayed:      c.replayed,
	}
}

// idHeap is a min-heap of item IDs: pending items leave in ID order, so a
// Nacked item goes out before every newer one.
type idHeap []uint64

func (h idHeap) len() int { return len(h) }

func (h *idHeap) push(id uint64) {
	s := append(*h, id)
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p] <= s[i] {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
	*h = s
}

func (h *idHeap) pop() uint64 {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	for i := 0; ; {
		l, small := 2*i+1, i
		if l < n && s[l] < s[small] {
			small = l
		}
		if r := l + 1; r < n && s[r] < s[small] {
			small = r
		}
		if small == i {
			break
		}
		s[i], s[small] = s[small], s[i]
		i = small
	}
	*h = s
	return top
}
