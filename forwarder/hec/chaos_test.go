package hec

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowhec/flowhec/forwarder/hec/hectest"
)

var recID = regexp.MustCompile(`rec-[0-9]+`)

// TestChaos pushes 200,000 records through a server that fails about one
// request in five, in every way it knows. Every record must arrive at least
// once or be in the dead-letter file with its reason, every chunk must be
// acknowledged, and duplicates must stay within what the sink reports as
// resent.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos run skipped in -short mode")
	}
	const n = 200_000
	faults := []hectest.Fault{
		hectest.Busy(0), hectest.Busy(time.Second), hectest.TooManyRequests(0), hectest.InternalError(),
		hectest.TooLarge(), hectest.BadEvent(3), hectest.ResetBeforeBody(), hectest.ResetAfterIndex(),
		hectest.Stall(100 * time.Millisecond), hectest.StallAfterIndex(100 * time.Millisecond),
		hectest.SlowRead(4 << 20), hectest.TruncatedResponse(),
	}
	for _, ack := range []bool{false, true} {
		t.Run(fmt.Sprintf("ack=%v", ack), func(t *testing.T) {
			fs := faults
			if ack {
				fs = append(fs, hectest.LoseAck())
			}
			srv := hectest.NewServer(hectest.Config{Seed: 7, Tokens: []hectest.Token{{Value: hectest.DefaultToken, Ack: ack}}})
			defer srv.Close()
			srv.SetFaultRate(0.2, fs...)
			s := newTestSink(t, srv, func(c *Config) {
				c.Ack.Enabled = ack
				c.Ack.Timeout = 300 * time.Millisecond
				c.BatchBytes = 256 << 10
			})
			var acked atomic.Int64
			writeEvents(t, s.Writer(), n, 500, &acked)
			drain(t, s, 60*time.Second)

			got := countByID(srv)
			dead := map[string]bool{}
			path := filepath.Join(s.dir, "dead", "deadletter.jsonl")
			if s.Stats().DeadLettered > 0 {
				for _, e := range readDeadLetters(t, path) {
					if e.Reason == "" {
						t.Fatalf("dead letter without a reason: %+v", e)
					}
					id := recID.FindString(string(e.Event))
					if id == "" {
						t.Fatalf("dead letter without a record: %s", e.Event)
					}
					dead[id] = true
				}
			}
			dups := 0
			for i := range n {
				id := fmt.Sprintf("rec-%d", i)
				c := got[id]
				if c == 0 && !dead[id] {
					t.Fatalf("%s lost: neither delivered nor dead-lettered", id)
				}
				if c > 1 {
					dups += c - 1
				}
			}
			st := s.Stats()
			if acked.Load() != n {
				t.Fatalf("chunk acks cover %d of %d events", acked.Load(), n)
			}
			if uint64(dups) > st.ResentEvents {
				t.Fatalf("%d duplicates, but the sink reports only %d resent events", dups, st.ResentEvents)
			}
			t.Logf("server faults %v; %d requests, %d duplicates (bound %d), %d dead-lettered, %d splits, %d ack timeouts",
				srv.Stats().Faults, srv.Stats().EventRequests, dups, st.ResentEvents, st.DeadLettered, st.Splits, st.AckTimeouts)
		})
	}
}
