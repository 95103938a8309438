package queue

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkQueue moves 100 KB items (the size of a typical sealed, gzipped
// HEC batch) through Put, Get and Ack, with as many concurrent senders as
// producers. One op is one item through all three.
func BenchmarkQueue(b *testing.B) {
	const itemSize = 100 << 10
	payload := make([]byte, itemSize)
	for i := range payload {
		payload[i] = byte(rand.Uint32()) // gzip output does not compress
	}
	meta := []byte(`{"events":1000,"source":"s3://bucket/key"}`)
	queues := []struct {
		name string
		open func(b *testing.B) Queue
	}{
		{"memory", func(b *testing.B) Queue { return NewMemory(64 << 20) }},
		{"disk-sync", func(b *testing.B) Queue { return openBenchDisk(b, true) }},
		{"disk-nosync", func(b *testing.B) Queue { return openBenchDisk(b, false) }},
	}
	for _, qc := range queues {
		for _, producers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/producers=%d", qc.name, producers), func(b *testing.B) {
				q := qc.open(b)
				defer q.Close()
				b.SetBytes(itemSize)
				b.ReportAllocs()
				ctx := context.Background()
				var next, acked atomic.Int64
				done := make(chan struct{})
				var wg sync.WaitGroup
				b.ResetTimer()
				for range producers {
					wg.Go(func() {
						for next.Add(1) <= int64(b.N) {
							if _, err := q.Put(ctx, payload, meta); err != nil {
								b.Error(err)
								return
							}
						}
					})
					wg.Go(func() {
						for {
							it, err := q.Get(ctx)
							if err != nil {
								return // closed
							}
							if err := q.Ack(it.ID); err != nil {
								b.Error(err)
								return
							}
							if acked.Add(1) == int64(b.N) {
								close(done)
							}
						}
					})
				}
				<-done
				b.StopTimer()
				q.Close()
				wg.Wait()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
			})
		}
	}
}

func openBenchDisk(b *testing.B, sync bool) Queue {
	cfg := DefaultDiskConfig()
	cfg.Dir = b.TempDir()
	cfg.MaxBytes = 256 << 20
	cfg.Sync = sync
	q, err := OpenDisk(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return q
}
