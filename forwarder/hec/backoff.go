package hec

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is the one retry schedule of the sink: exponential from Initial,
// capped at Max, with jitter so that many senders do not retry in step.
type backoff struct {
	initial, max time.Duration
	attempt      int
}

// next returns how long to wait before the next try. A server's
// Retry-After wins when it is longer.
func (b *backoff) next(retryAfter time.Duration) time.Duration {
	d := b.initial << min(b.attempt, 30)
	if d <= 0 || d > b.max {
		d = b.max
	}
	b.attempt++
	// "Equal jitter": half fixed, half random, so the wait never collapses
	// to zero yet spreads senders apart.
	d = d/2 + rand.N(d/2+1)
	return max(d, retryAfter)
}

func (b *backoff) reset() { b.attempt = 0 }

// sleep waits d or until ctx ends, reporting whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
