package hec

import (
	"sync/atomic"
	"time"
)

// counters are the sink's metrics, updated without locks.
type counters struct {
	requests, batches, eventsSent, bytesSent             atomic.Uint64
	retriesNetwork, retriesThrottled, retriesServer      atomic.Uint64
	networkErrors, throttled, serverErrors, configErrors atomic.Uint64
	deadLettered, splits, unconfirmed                    atomic.Uint64
	ackTimeouts, acked, resentEvents, replayed           atomic.Uint64
	acksPending, lagNanos                                atomic.Int64
}

// Stats is a snapshot of the sink's counters.
type Stats struct {
	Requests        uint64 // HTTP requests answered (any status)
	Batches         uint64 // batches delivered
	EventsSent      uint64 // events delivered (indexed, or acknowledged with acks on)
	BytesSent       uint64 // request bytes of delivered requests, as sent (compressed)
	RetriesByReason map[string]uint64
	ConfigErrors    uint64 // replies that refused the configuration
	DeadLettered    uint64 // events HEC will never take, written to the dead-letter file
	Splits          uint64 // batches split after a 413
	Unconfirmed     uint64 // 2xx replies whose body could not be read (not resent)
	AcksPending     int64  // requests waiting for their indexer acknowledgement
	Acked           uint64 // requests acknowledged by the indexers
	AckTimeouts     uint64 // requests sent again after their ack did not come
	ResentEvents    uint64 // events sent again without knowing whether HEC had them: the bound on duplicates
	Replayed        uint64 // batches left in the queue by an earlier run and sent by this one
	// Lag is how long the last delivered batch took from sealing to
	// delivery (with acks on, to acknowledgement).
	Lag       time.Duration
	Endpoints []EndpointStatus
}

// Stats returns a snapshot of the sink's counters.
func (s *Sink) Stats() Stats {
	c := &s.c
	return Stats{
		Requests:   c.requests.Load(),
		Batches:    c.batches.Load(),
		EventsSent: c.eventsSent.Load(),
		BytesSent:  c.bytesSent.Load(),
		RetriesByReason: map[string]uint64{
			"network":   c.retriesNetwork.Load() + c.networkErrors.Load(),
			"throttled": c.retriesThrottled.Load() + c.throttled.Load(),
			"server":    c.retriesServer.Load() + c.serverErrors.Load(),
		},
		ConfigErrors: c.configErrors.Load(),
		DeadLettered: c.deadLettered.Load(),
		Splits:       c.splits.Load(),
		Unconfirmed:  c.unconfirmed.Load(),
		AcksPending:  c.acksPending.Load(),
		Acked:        c.acked.Load(),
		AckTimeouts:  c.ackTimeouts.Load(),
		ResentEvents: c.resentEvents.Load(),
		Replayed:     c.replayed.Load(),
		Lag:          time.Duration(c.lagNanos.Load()),
		Endpoints:    s.pool.status(),
	}
}
