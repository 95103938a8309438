package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/flowhec/flowhec/flowgen"
	"github.com/flowhec/flowhec/forwarder/hec/hectest"
)

// BenchmarkRunOnce measures the whole pipeline as an operator runs it: the
// flowhec process reads 1M default-format records from S3-style gzip
// objects and delivers them with gzip to a loopback HEC (hectest, in this
// process). It reports records/s, flowhec's CPU-seconds per million records
// and its peak RSS, from the child's resource usage: plain (no enrichment)
// and enriched (every field group, with the sample's inventory).
//
//	go test -run '^$' -bench RunOnce -benchtime 3x ./cmd/flowhec
func BenchmarkRunOnce(b *testing.B) {
	b.Run("plain", func(b *testing.B) { benchmarkRunOnce(b, "--enrich-fields", "none") })
	b.Run("enriched", func(b *testing.B) { benchmarkRunOnce(b, "--inventory", "INVENTORY") })
}

func benchmarkRunOnce(b *testing.B, extra ...string) {
	dir := b.TempDir()
	flows := filepath.Join(dir, "flows")
	cfg := flowgen.DefaultConfig()
	cfg.Duration = 6 * time.Hour
	cfg.Rate = 46.3 // ≈ 1,000,000 records
	g, err := flowgen.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	labels, _, err := g.WriteS3(flows)
	if err != nil {
		b.Fatal(err)
	}
	invPath := filepath.Join(dir, "inventory.json")
	if err := writeInventory(g.Inventory(), invPath, nil); err != nil {
		b.Fatal(err)
	}
	for i, a := range extra {
		if a == "INVENTORY" {
			extra[i] = invPath
		}
	}
	records := float64(labels.Totals.Records)
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte(hectest.DefaultToken), 0o600); err != nil {
		b.Fatal(err)
	}

	var wall, cpu time.Duration
	var rss int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		srv := hectest.NewServer(hectest.Config{})
		cmd := flowhecCmd("run", "--once", "--hec-url", srv.URL, "--hec-token-file", tok,
			"--state-dir", filepath.Join(dir, "state"+strconv.Itoa(i)), "--metrics-listen", "off", "--log-level", "error", flows)
		cmd.Args = append(cmd.Args[:2], append(append([]string(nil), extra...), cmd.Args[2:]...)...)
		if p := os.Getenv("FLOWHEC_BENCH_CPU_PROFILE"); p != "" {
			cmd.Args = append(cmd.Args[:2], append([]string{"--cpu-profile", p}, cmd.Args[2:]...)...)
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		hwm := watchHWM(cmd.Process.Pid)
		err := cmd.Wait()
		wall += time.Since(start)
		if err != nil {
			b.Fatalf("%v\n%s", err, out.Bytes())
		}
		rss = max(rss, hwm())
		if got := srv.EventCount(); float64(got) != records {
			b.Fatalf("receiver got %d events, want %.0f", got, records)
		}
		srv.Close()
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	n := float64(b.N)
	b.ReportMetric(records*n/wall.Seconds(), "records/s")
	b.ReportMetric(cpu.Seconds()/n/(records/1e6), "cpu-s/Mrecords")
	b.ReportMetric(float64(rss)/1024, "peak-RSS-MB")
}

// watchHWM samples the peak resident set (VmHWM, KiB) of a running process
// until it exits, and returns a function giving the last value seen. The
// rusage of a child cannot be used: Linux carries the parent's high-water
// mark across the fork and exec into the child's ru_maxrss.
func watchHWM(pid int) func() int64 {
	var last atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		path := fmt.Sprintf("/proc/%d/status", pid)
		for {
			b, err := os.ReadFile(path)
			if err != nil {
				return // exited
			}
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
					last.Store(max(last.Load(), kb))
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return func() int64 { <-done; return last.Load() }
}
