package queue

import (
	"context"
	"errors"
)

// DefaultMaxBytes is the bytes bound used when none is configured: 1 GiB.
const DefaultMaxBytes int64 = 1 << 30

// Item is one stored batch as Get hands it out.
type Item struct {
	// ID is unique for the life of the queue's storage and increases with
	// every Put; Ack and Nack name the item by it.
	ID uint64
	// Payload and Meta are what Put stored. Treat them as read-only: the
	// memory queue hands the same slices out again after a Nack.
	Payload []byte
	Meta    []byte
	// Attempts counts how often this process handed the item out and had it
	// Nacked: 0 on the first offer.
	Attempts int
	// Replayed is true for an item stored by an earlier process, which may
	// already have sent it: the receiver may see it twice.
	Replayed bool
}

// Queue is a bounded FIFO of sealed batches with acknowledgement. Put is
// called by the encoder, Get, Ack and Nack by the sink's senders; all methods
// are safe for concurrent use.
type Queue interface {
	// Put stores a copy of payload and meta and returns the item's ID. For a
	// disk queue the item is durable before Put returns; only then does it
	// count as accepted. While the queue holds MaxBytes, Put blocks until
	// Acks free enough space (backpressure) or ctx ends. An item larger than
	// MaxBytes fails at once with ErrTooLarge.
	Put(ctx context.Context, payload, meta []byte) (id uint64, err error)
	// Get returns the pending item with the lowest ID and marks it in flight.
	// It blocks until an item is pending, ctx ends or the queue is closed.
	Get(ctx context.Context) (Item, error)
	// Ack deletes a delivered in-flight item (durably, for a disk queue) and
	// frees its bytes for blocked Puts.
	Ack(id uint64) error
	// Nack returns an in-flight item to pending, ahead of every newer item,
	// with Attempts increased by one.
	Nack(id uint64) error
	// Stats reports the queue's contents and lifetime counters.
	Stats() Stats
	// Close makes blocked and later calls fail with ErrClosed. It never
	// deletes an unacked item: a disk queue re-offers pending and in-flight
	// items when it is opened again. Calling Close again is harmless.
	Close() error
}

// Stats is a snapshot of a queue.
type Stats struct {
	Pending       int   // items waiting for Get
	PendingBytes  int64 // their payload and meta bytes
	InFlight      int   // items handed out by Get, not yet Acked or Nacked
	InFlightBytes int64
	BlockedPuts   int   // Puts waiting for space
	MaxBytes      int64 // the bound on pending plus in-flight bytes

	// Counters since the queue was opened.
	Puts     uint64
	Acks     uint64
	Nacks    uint64
	Replayed uint64 // items found in storage at open
}

var (
	// ErrClosed is returned by calls on a closed queue and by calls blocked
	// when it closes.
	ErrClosed = errors.New("queue: closed")
	// ErrTooLarge is returned by Put for an item whose payload and meta
	// together exceed the queue's MaxBytes.
	ErrTooLarge = errors.New("queue: item larger than queue.max_bytes")
	// ErrNotInFlight is returned by Ack and Nack for an ID that Get has not
	// handed out, or that was already Acked or Nacked.
	ErrNotInFlight = errors.New("queue: item not in flight")
	// ErrLocked is returned by OpenDisk when another process holds the
	// queue directory.
	ErrLocked = errors.New("queue: directory locked by another process")
	// ErrCorrupt is returned by OpenDisk for a damaged queue file, and by Get
	// for an item that cannot be read back intact.
	ErrCorrupt = errors.New("queue: corrupt data")
)
