package queue

import (
	"bytes"
	"context"
)

// Memory is a Queue that keeps its items in memory: for tests, and for runs
// where losing unacked batches on exit is acceptable.
type Memory struct {
	c core
}

var _ Queue = (*Memory)(nil)

// NewMemory returns an empty memory queue bounded to maxBytes of payload and
// meta; maxBytes <= 0 means DefaultMaxBytes.
func NewMemory(maxBytes int64) *Memory {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Memory{c: newCore(maxBytes)}
}

// Put implements Queue.
func (m *Memory) Put(ctx context.Context, payload, meta []byte) (uint64, error) {
	size := int64(len(payload)) + int64(len(meta))
	if err := m.c.reserve(ctx, size); err != nil {
		return 0, err
	}
	e := &entry{size: size, payload: bytes.Clone(payload), meta: bytes.Clone(meta)}
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	if m.c.closed {
		m.c.unreserve(size)
		return 0, ErrClosed
	}
	id := m.c.nextID
	m.c.nextID++
	m.c.admit(id, e)
	return id, nil
}

// Get implements Queue.
func (m *Memory) Get(ctx context.Context) (Item, error) {
	id, e, err := m.c.take(ctx)
	if err != nil {
		return Item{}, err
	}
	m.c.busy.Done()
	return Item{ID: id, Payload: e.payload, Meta: e.meta, Attempts: e.attempts}, nil
}

// Ack implements Queue.
func (m *Memory) Ack(id uint64) error {
	e, err := m.c.beginAck(id)
	if err != nil {
		return err
	}
	m.c.busy.Done()
	m.c.endAck(id, e, true)
	return nil
}

// Nack implements Queue.
func (m *Memory) Nack(id uint64) error { return m.c.nack(id) }

// Stats implements Queue.
func (m *Memory) Stats() Stats { return m.c.stats() }

// Close implements Queue. The items still queued are dropped with the
// Memory value.
func (m *Memory) Close() error {
	m.c.close()
	return nil
}
