package checkpoint_test

import (
	"fmt"

	"github.com/flowhec/flowhec/forwarder/checkpoint"
)

// Three chunks of a file are in flight; the sink acknowledges them out of
// order. The checkpoint moves only past chunks with nothing unacknowledged
// before them.
func ExampleTracker() {
	var t checkpoint.Tracker[int64]
	t.OnCommit = func(offset int64) { fmt.Println("checkpoint", offset) }

	ack1 := t.Track(1000) // the chunk ends at byte 1000
	ack2 := t.Track(2000)
	ack3 := t.Track(3000)

	ack2() // delivered, but the chunk before it is not: no checkpoint yet
	ack1() // now everything up to 2000 is delivered
	ack3()
	off, _ := t.Committed()
	fmt.Println("committed", off, "pending", t.Pending())
	// Output:
	// checkpoint 2000
	// checkpoint 3000
	// committed 3000 pending 0
}
