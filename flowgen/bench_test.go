package flowgen_test

import (
	"io"
	"testing"
	"time"

	"github.com/flowhec/flowhec/flowgen"
)

// benchConfig is ten minutes at 2,000 records a second: 1.2 M records,
// the traffic of a busy VPC, with both stories and every look-alike.
func benchConfig() flowgen.Config {
	c := flowgen.DefaultConfig()
	c.Duration = 10 * time.Minute
	c.Rate = 2000
	return c
}

func benchmarkGenerate(b *testing.B, c flowgen.Config) {
	g, err := flowgen.New(c)
	if err != nil {
		b.Fatal(err)
	}
	var records, size int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		l, err := g.Run(func(bt flowgen.Batch) error {
			size += int64(len(bt.Lines))
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		records += l.Totals.Records
	}
	reportRecords(b, records, size)
}

func reportRecords(b *testing.B, records, size int64) {
	b.StopTimer()
	if records == 0 {
		return
	}
	nsPerRecord := float64(b.Elapsed().Nanoseconds()) / float64(records)
	b.SetBytes(size / int64(b.N))
	b.ReportMetric(nsPerRecord, "ns/record")
	b.ReportMetric(1e9/nsPerRecord, "records/s")
	b.ReportMetric(nsPerRecord*10e6/1e9, "s/10M-records")
}

// BenchmarkGenerate times generation alone in the default format.
func BenchmarkGenerate(b *testing.B) { benchmarkGenerate(b, benchConfig()) }

// BenchmarkGenerateAllFields times generation with every field of every
// version, lines five times as long.
func BenchmarkGenerateAllFields(b *testing.B) {
	c := benchConfig()
	c.Format = flowgen.AllFields()
	benchmarkGenerate(b, c)
}

// BenchmarkGenerateS3 times the whole S3 output: generation, gzip of every
// object (in parallel) and the files.
func BenchmarkGenerateS3(b *testing.B) {
	g, err := flowgen.New(benchConfig())
	if err != nil {
		b.Fatal(err)
	}
	var records, size int64
	b.ReportAllocs()
	for b.Loop() {
		dir := b.TempDir()
		l, objs, err := g.WriteS3(dir)
		if err != nil {
			b.Fatal(err)
		}
		records += l.Totals.Records
		for _, o := range objs {
			size += o.Bytes
		}
	}
	reportRecords(b, records, size)
}

// BenchmarkWriteLines times plain lines to a writer.
func BenchmarkWriteLines(b *testing.B) {
	g, err := flowgen.New(benchConfig())
	if err != nil {
		b.Fatal(err)
	}
	var records int64
	b.ReportAllocs()
	for b.Loop() {
		l, err := g.WriteLines(io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		records += l.Totals.Records
	}
	reportRecords(b, records, 0)
}
