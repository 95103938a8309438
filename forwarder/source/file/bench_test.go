package file

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/flowhec/flowhec/forwarder/checkpoint"
	"github.com/flowhec/flowhec/forwarder/encode"
	"github.com/flowhec/flowhec/forwarder/source"
)

// discard takes every chunk and acknowledges it at once.
type discard struct{}

func (discard) Write(_ context.Context, c source.Chunk) error {
	c.Ack()
	return nil
}

// BenchmarkGzipFile: records per second from a 100k-line gzip file through
// the source (decompress, feed, parse, encode, chunk, track, checkpoint)
// into a pipeline that takes everything.
func BenchmarkGzipFile(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	plain := text(lines(0, n))
	write(b, filepath.Join(dir, "data", "a.log.gz"), gz(b, plain))
	enc := encode.New(encode.Config{})
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	var records uint64
	for i := 0; b.Loop(); i++ {
		// A fresh state dir each time, or the file would be finished.
		store, err := checkpoint.Open(checkpoint.Config{Dir: filepath.Join(dir, "state", strconv.Itoa(i)), SaveInterval: time.Hour}, nil)
		if err != nil {
			b.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.Paths = []string{filepath.Join(dir, "data")}
		cfg.Once = true
		s, err := New(cfg, enc, store, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Run(context.Background(), discard{}); err != nil {
			b.Fatal(err)
		}
		records += s.Stats().Records
		store.Close()
	}
	if records != uint64(b.N)*n {
		b.Fatalf("%d records, want %d", records, int64(b.N)*n)
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
