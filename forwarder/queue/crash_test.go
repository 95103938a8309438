package queue

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const crashChildEnv = "FLOWHEC_QUEUE_CRASH_CHILD_DIR"

// crashChild is the process TestDiskCrash kills. It Puts items as fast as
// it can and prints "put ID" after each Put returns; a consumer prints
// "get ID" after each Get, Acks even IDs and prints "ack ID" after the Ack
// returns, and leaves odd IDs in flight.
func crashChild(dir string) int {
	cfg := DefaultDiskConfig()
	cfg.Dir = dir
	cfg.MaxBytes = 8 << 20
	q, err := OpenDisk(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	say := func(op string, id uint64) { os.Stdout.Write(fmt.Appendf(nil, "%s %d\n", op, id)) }
	go func() {
		for {
			it, err := q.Get(context.Background())
			if err != nil {
				fmt.Fprintln(os.Stderr, "get:", err)
				os.Exit(1)
			}
			say("get", it.ID)
			if it.ID%2 == 0 {
				if err := q.Ack(it.ID); err != nil {
					fmt.Fprintln(os.Stderr, "ack:", err)
					os.Exit(1)
				}
				say("ack", it.ID)
			}
		}
	}()
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), 0))
	for {
		payload := bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, 1+rng.IntN(32<<10))
		id, err := q.Put(context.Background(), payload, fmt.Append(nil, len(payload)))
		if err != nil {
			fmt.Fprintln(os.Stderr, "put:", err)
			return 1
		}
		say("put", id)
	}
}

type crashState uint8

const (
	stored  crashState = iota + 1 // Put returned, or seen on reopen: must be there
	handed                        // handed out, maybe acked: may be there or not
	deleted                       // Ack returned: must not come back
)

// TestDiskCrash kills a writing process with SIGKILL at random moments and
// checks after each kill that the file opens, that every item whose Put
// returned is in it unless its Ack returned, and that acked items are gone.
func TestDiskCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	dir := t.TempDir()
	state := map[uint64]crashState{}
	var maxID uint64
	totalPuts := 0

	const rounds = 6
	for round := range rounds {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Some kills land while the child is still opening the file.
		delay := time.Duration(5+rng.IntN(400)) * time.Millisecond
		timer := time.AfterFunc(delay, func() { cmd.Process.Kill() })
		out, _ := io.ReadAll(stdout)
		werr := cmd.Wait()
		timer.Stop()
		if ws, ok := cmd.ProcessState.Sys().(interface{ Signaled() bool }); !ok || !ws.Signaled() {
			t.Fatalf("round %d: child ended by itself (%v): %s", round, werr, stderr.String())
		}

		// Only whole lines were printed before the kill.
		if i := bytes.LastIndexByte(out, '\n'); i >= 0 {
			out = out[:i+1]
		} else {
			out = nil
		}
		puts := 0
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			var op string
			var id uint64
			if _, err := fmt.Sscanf(sc.Text(), "%s %d", &op, &id); err != nil {
				t.Fatalf("round %d: child printed %q", round, sc.Text())
			}
			switch op {
			case "put":
				puts++
				if id <= maxID && state[id] == 0 {
					t.Errorf("round %d: new item got id %d, not above %d from earlier rounds", round, id, maxID)
				}
				state[id] = max(state[id], stored)
			case "get":
				state[id] = max(state[id], handed)
			case "ack":
				state[id] = deleted
			}
		}
		totalPuts += puts

		q := openCrashed(t, dir)
		present := map[uint64]bool{}
		var last uint64
		for range q.Stats().Pending {
			it := mustGet(t, q)
			if it.ID <= last || !it.Replayed || string(it.Meta) != fmt.Sprint(len(it.Payload)) ||
				len(bytes.Trim(it.Payload, string(it.Payload[:1]))) != 0 {
				t.Fatalf("round %d: replayed item %d (after %d): replayed %v, meta %q, %d bytes", round, it.ID, last, it.Replayed, it.Meta, len(it.Payload))
			}
			last = it.ID
			present[it.ID] = true
			maxID = max(maxID, it.ID)
		}
		for id, s := range state {
			switch {
			case s == stored && !present[id]:
				t.Errorf("round %d: item %d lost: its Put returned, it was never acked", round, id)
			case s == deleted && present[id]:
				t.Errorf("round %d: item %d came back after its Ack returned", round, id)
			case s == handed && !present[id]:
				state[id] = deleted
			}
			maxID = max(maxID, id)
		}
		// Ack a third of what is there; keep the rest for the next round.
		n := 0
		for id := range present {
			state[id] = stored
			if n++; n%3 == 0 {
				if err := q.Ack(id); err != nil {
					t.Fatal(err)
				}
				state[id] = deleted
			}
		}
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: killed after %s: %d puts printed, %d items stored", round, delay, puts, len(present))
		if t.Failed() {
			t.FailNow()
		}
	}
	if totalPuts == 0 {
		t.Fatal("no child got as far as a Put")
	}
}

func openCrashed(t *testing.T, dir string) *Disk {
	t.Helper()
	cfg := DefaultDiskConfig()
	cfg.Dir = dir
	cfg.MaxBytes = 8 << 20
	q, err := OpenDisk(cfg)
	if err != nil {
		if strings.Contains(err.Error(), "in use") {
			t.Fatalf("lock still held after the child was killed: %v", err)
		}
		t.Fatalf("open after kill: %v", err)
	}
	return q
}
