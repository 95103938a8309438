package main

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/flowhec/flowhec/flowgen"
	"github.com/flowhec/flowhec/forwarder/hec/hectest"
)

// TestMain lets the test binary stand in for the flowhec binary: with
// FLOWHEC_TEST_MAIN=1 it runs the command line and exits, so tests can run
// and kill flowhec as a real process.
func TestMain(m *testing.M) {
	if os.Getenv("FLOWHEC_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// flowhecCmd is flowhec as a subprocess.
func flowhecCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "FLOWHEC_TEST_MAIN=1")
	return cmd
}

// generated writes S3 objects under dir and returns every line, counted.
func generated(t *testing.T, dir string, d time.Duration, rate float64) map[string]int {
	t.Helper()
	lines, err := flowgen.WriteSample(dir, d, rate)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestCrashLosesNothing kills flowhec with SIGKILL at random moments while
// it delivers, restarting it each time, then lets a last run finish: every
// record must have reached HEC, whatever the kills interrupted (a write to
// the queue, a checkpoint save, a request in flight).
func TestCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dir := t.TempDir()
	flows := filepath.Join(dir, "flows")
	want := generated(t, flows, 3*time.Hour, 40)
	n := 0
	for _, c := range want {
		n += c
	}
	srv := hectest.NewServer(hectest.Config{Tokens: []hectest.Token{{Value: hectest.DefaultToken, Ack: true}}})
	defer srv.Close()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte(hectest.DefaultToken), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--once", "--hec-url", srv.URL, "--hec-token-file", tok, "--ack",
		"--state-dir", filepath.Join(dir, "state"), "--metrics-listen", "off", "--log-level", "error", flows}

	rng := rand.New(rand.NewPCG(1, 2))
	kills := 0
	for attempt := 0; kills < 6 && attempt < 30; attempt++ {
		before := srv.EventCount()
		cmd := flowhecCmd(args...)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill once it is delivering: after it has sent something new.
		deadline := time.Now().Add(10 * time.Second)
		for srv.EventCount() == before && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled() {
			kills++
			t.Logf("kill %d: the receiver had %d events", kills, srv.EventCount())
			continue
		}
		t.Logf("run finished before the kill (%v); %d events", err, srv.EventCount())
		break
	}
	if kills < 5 {
		t.Fatalf("only %d kills landed while delivering; make the input larger", kills)
	}

	final := flowhecCmd(args...)
	final.Stderr = os.Stderr
	if err := final.Run(); err != nil {
		t.Fatalf("final run: %v", err)
	}

	got := srv.EventsBy(func(e hectest.Event) string { return e.Text() })
	dups := 0
	for line, c := range want {
		if got[line] < c {
			t.Fatalf("lost: %q arrived %d times, was written %d times", line, got[line], c)
		}
		dups += got[line] - c
	}
	t.Logf("%d kills, %d records, all delivered; %d duplicates (%.1f%%)", kills, n, dups, 100*float64(dups)/float64(n))

	// A last identical run has nothing new to send.
	before := srv.EventCount()
	again := flowhecCmd(args...)
	if out, err := again.CombinedOutput(); err != nil {
		t.Fatalf("run after completion: %v\n%s", err, out)
	}
	if srv.EventCount() != before {
		t.Fatalf("a run after completion sent %d events", srv.EventCount()-before)
	}
}

// TestSIGTERMStopsGracefully: a daemon stopped with SIGTERM while delivering
// exits 0 with its checkpoints saved; a later run delivers the rest, and
// after everything is in, a run sends nothing new.
func TestSIGTERMStopsGracefully(t *testing.T) {
	if testing.Short() {
		t.Skip("process test skipped in -short mode")
	}
	dir := t.TempDir()
	flows := filepath.Join(dir, "flows")
	want := generated(t, flows, 2*time.Hour, 40)
	srv := hectest.NewServer(hectest.Config{})
	defer srv.Close()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte(hectest.DefaultToken), 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"--hec-url", srv.URL, "--hec-token-file", tok, "--state-dir", filepath.Join(dir, "state"),
		"--metrics-listen", "off", "--log-level", "error", flows}

	daemon := flowhecCmd(append([]string{"run"}, common...)...)
	daemon.Stderr = os.Stderr
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	for srv.EventCount() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := daemon.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := daemon.Wait(); err != nil {
		t.Fatalf("daemon stopped by SIGTERM: %v (want exit 0)", err)
	}
	took := time.Since(start)
	t.Logf("stopped %v after SIGTERM with %d events delivered", took.Round(time.Millisecond), srv.EventCount())
	// HEC is up, so the drain has nothing to wait for: stopping must not
	// run into shutdown_timeout (30 s).
	if took > 10*time.Second {
		t.Fatalf("took %v to stop with HEC reachable; the drain is stuck", took)
	}

	rest := flowhecCmd(append([]string{"run", "--once"}, common...)...)
	if out, err := rest.CombinedOutput(); err != nil {
		t.Fatalf("once run after SIGTERM: %v\n%s", err, out)
	}
	got := srv.EventsBy(func(e hectest.Event) string { return e.Text() })
	for line, c := range want {
		if got[line] < c {
			t.Fatalf("lost: %q", line)
		}
	}
	before := srv.EventCount()
	again := flowhecCmd(append([]string{"run", "--once"}, common...)...)
	if out, err := again.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if srv.EventCount() != before {
		t.Fatalf("a run after completion sent %d events", srv.EventCount()-before)
	}
}
