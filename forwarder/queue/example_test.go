package queue_test

import (
	"context"
	"fmt"

	"github.com/flowhec/flowhec/forwarder/queue"
)

// A sender takes a batch, tries to deliver it, and Acks or Nacks it; a
// Nacked batch comes back before newer ones.
func Example() {
	ctx := context.Background()
	q := queue.NewMemory(1 << 20)
	defer q.Close()

	q.Put(ctx, []byte("batch 1"), []byte("meta 1"))
	q.Put(ctx, []byte("batch 2"), nil)

	it, _ := q.Get(ctx)
	fmt.Printf("%d %s attempts=%d\n", it.ID, it.Payload, it.Attempts)
	q.Nack(it.ID) // say HEC answered 503

	for range 2 {
		it, _ = q.Get(ctx)
		fmt.Printf("%d %s attempts=%d\n", it.ID, it.Payload, it.Attempts)
		q.Ack(it.ID)
	}
	fmt.Printf("%+v\n", q.Stats())
	// Output:
	// 1 batch 1 attempts=0
	// 1 batch 1 attempts=1
	// 2 batch 2 attempts=0
	// {Pending:0 PendingBytes:0 InFlight:0 InFlightBytes:0 BlockedPuts:0 MaxBytes:1048576 Puts:2 Acks:2 Nacks:1 Replayed:0}
}
