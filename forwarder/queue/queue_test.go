package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// The suite below runs against every implementation, so the memory queue is
// a faithful stand-in for the disk queue in other packages' tests.

type impl struct {
	name string
	open func(t testing.TB, maxBytes int64) Queue
}

var impls = []impl{
	{"memory", func(t testing.TB, maxBytes int64) Queue {
		q := NewMemory(maxBytes)
		t.Cleanup(func() { q.Close() })
		return q
	}},
	{"disk", func(t testing.TB, maxBytes int64) Queue {
		return openTestDisk(t, t.TempDir(), maxBytes)
	}},
}

func openTestDisk(t testing.TB, dir string, maxBytes int64) *Disk {
	t.Helper()
	cfg := DefaultDiskConfig()
	cfg.Dir = dir
	cfg.MaxBytes = maxBytes
	q, err := OpenDisk(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := q.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return q
}

func forEachImpl(t *testing.T, fn func(t *testing.T, open func(maxBytes int64) Queue)) {
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			fn(t, func(maxBytes int64) Queue { return im.open(t, maxBytes) })
		})
	}
}

func mustPut(t testing.TB, q Queue, payload, meta string) uint64 {
	t.Helper()
	id, err := q.Put(context.Background(), []byte(payload), []byte(meta))
	if err != nil {
		t.Fatalf("put %q: %v", payload, err)
	}
	return id
}

func mustGet(t testing.TB, q Queue) Item {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	it, err := q.Get(ctx)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	return it
}

// assertEmpty checks that Get finds nothing within a short wait.
func assertEmpty(t testing.TB, q Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if it, err := q.Get(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("get on empty queue: item %d %q, err %v; want DeadlineExceeded", it.ID, it.Payload, err)
	}
}

func TestPutGetRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 100<<10/16)
	tests := []struct {
		name          string
		payload, meta []byte
	}{
		{"100 KB payload", big, []byte(`{"events":1200}`)},
		{"no meta", []byte("payload"), nil},
		{"empty", nil, nil},
		{"binary", []byte{0, 1, 2, 255}, []byte{255, 0}},
	}
	forEachImpl(t, func(t *testing.T, open func(int64) Queue) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := open(1 << 20)
				id, err := q.Put(context.Background(), tt.payload, tt.meta)
				if err != nil {
					t.Fatal(err)
				}
				it := mustGet(t, q)
				if it.ID != id || !bytes.Equal(it.Payload, tt.payload) || !bytes.Equal(it.Meta, tt.meta) || it.Attempts != 0 || it.Replayed {
					t.Fatalf("got item %d (%d bytes, meta %q, attempts %d, replayed %v), want item %d (%d bytes, meta %q)",
						it.ID, len(it.Payload), it.Meta, it.Attempts, it.Replayed, id, len(tt.payload), tt.meta)
				}
			})
		}
	})
}

func TestPutCopiesInput(t *testing.T) {
	forEachImpl(t, func(t *testing.T, open func(int64) Queue) {
		q := open(1 << 20)
		buf := []byte("original")
		if _, err := q.Put(context.Background(), buf, buf); err != nil {
			t.Fatal(err)
		}
		copy(buf, "XXXXXXXX")
		if it := mustGet(t, q); string(it.Payload) != "original" || string(it.Meta) != "original" {
			t.Fatalf("got %q / %q after the caller reused its buffer", it.Payload, it.Meta)
		}
	})
}

func TestFIFO(t *testing.T) {
	forEachImpl(t, func(t *testing.T, open func(int64) Queue) {
		q := open(1 << 20)
		var ids []uint64
		for i := range 50 {
			ids = append(ids, mustPut(t, q, fmt.Sprint("item ", i), fmt.Sprint("meta ", i)))
		}
		for i, want := range ids {
			if i > 0 && want <= ids[i-1] {
				t.Fatalf("ids not increasing: %v", ids)
			}
			it := mustGet(t, q)
			if it.ID != want || string(it.Payload) != fmt.Sprint("item ", i) || string(it.Meta) != fmt.Sprint("meta ", i) {
				t.Fatalf("get %d: item %d %q %q, want item %d", i, it.ID, it.Payload, it.Meta, want)
			}
		}
		assertEmpty(t, q)
	})
}

// TestAckNack runs scripts of operations. Items are named by their payload.
func TestAckNack(t *testing.T) {
	type step struct {
		op       string // put, get, ack, nack, empty
		item     string // payload to put, expect, ack or nack; "#N" is raw ID N
		attempts int    // for get
		err      error  // for ack and nack
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"ack deletes", []step{
			{op: "put", item: "a"}, {op: "get", item: "a"}, {op: "ack", item: "a"}, {op: "empty"},
		}},
		{"nack re-offers before newer items", []step{
			{op: "put", item: "a"}, {op: "put", item: "b"}, {op: "put", item: "c"},
			{op: "get", item: "a"}, {op: "get", item: "b"},
			{op: "nack", item: "b"}, {op: "put", item: "d"},
			{op: "get", item: "b", attempts: 1},
			{op: "nack", item: "a"},
			{op: "get", item: "a", attempts: 1},
			{op: "get", item: "c"}, {op: "get", item: "d"}, {op: "empty"},
		}},
		{"attempts count every nack", []step{
			{op: "put", item: "a"},
			{op: "get", item: "a"}, {op: "nack", item: "a"},
			{op: "get", item: "a", attempts: 1}, {op: "nack", item: "a"},
			{op: "get", item: "a", attempts: 2}, {op: "ack", item: "a"}, {op: "empty"},
		}},
		{"second ack or nack is refused", []step{
			{op: "put", item: "a"}, {op: "get", item: "a"}, {op: "ack", item: "a"},
			{op: "ack", item: "a", err: ErrNotInFlight}, {op: "nack", item: "a", err: ErrNotInFlight},
		}},
		{"nack then ack is refused until got again", []step{
			{op: "put", item: "a"}, {op: "get", item: "a"}, {op: "nack", item: "a"},
			{op: "nack", item: "a", err: ErrNotInFlight}, {op: "ack", item: "a", err: ErrNotInFlight},
			{op: "get", item: "a", attempts: 1}, {op: "ack", item: "a"},
		}},
		{"pending item cannot be acked", []step{
			{op: "put", item: "a"}, {op: "ack", item: "a", err: ErrNotInFlight},
			{op: "nack", item: "a", err: ErrNotInFlight}, {op: "get", item: "a"},
		}},
		{"unknown id", []step{
			{op: "ack", item: "#999", err: ErrNotInFlight}, {op: "nack", item: "#0", err: ErrNotInFlight},
		}},
	}
	forEachImpl(t, func(t *testing.T, open func(int64) Queue) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := open(1 << 20)
				ids := map[string]uint64{}
				idOf := func(name string) uint64 {
					var n uint64
					if _, err := fmt.Sscanf(name, "#%d", &n); err == nil {
						return n
					}
					return ids[name]
				}
				for i, s := range tt.steps {
					switch s.op {
					case "put":
						ids[s.item] = mustPut(t, q, s.item, "")
					case "get":
						it := mustGet(t, q)
						if string(it.Payload) != s.item || it.ID != ids[s.item] || it.Attempts != s.attempts {
							t.Fatalf("step %d: got %q (id %d, attempts %d), want %q (id %d, attempts %d)",
								i, it.Payload, it.ID, it.Attempts, s.item, ids[s.item], s.attempts)
						}
					case "ack", "nack":
						f := q.Ack
						if s.op == "nack" {
							f = q.Nack
						}
						if err := f(idOf(s.item)); !errors.Is(err, s.err) || (err != nil) != (s.err != nil) {
							t.Fatalf("step %d: %s %s: %v, want %v", i, s.op, s.item, err, s.err)
						}
					case "empty":
						assertEmpty(t, q)
					}
				}
			})
		}
	})
}

func TestStats(t *testing.T) {
	forEachImpl(t, func(t *testing.T, open func(int64) Queue) {
		q := open(1000)
		check := func(step string, want Stats) {
			t.Helper()
			want.MaxBytes = 1000
			if got := q.Stats(); got != want {
				t.Fatalf("after %s:\n got %+v\nwant %+v", step, got, want)
			}
		}
		check("open", Stats{})
		a := mustPut(t, q, "aaaaaaaaaa", "mm") // 12 bytes
		mustPut(t, q, "bbbbb", "")             // 5 bytes
		check("2 puts", Stats{Pending: 2, PendingBytes: 17, Puts: 2})
		mustGet(t, q)
		check("get", Stats{Pending: 1, PendingBytes: 5, InFlight: 1, InFlightBytes: 12, Puts: 2})
		if err := q.Nack(a); err != nil {
			t.Fatal(err)
		}
		check("nack", Stats{Pending: 2, PendingBytes: 17, Puts: 2, Nacks: 1})
		mustGet(t, q)
		b := mustGet(t, q)
		check("2 gets", Stats{InFlight: 2, InFlightBytes: 17, Puts: 2, Nacks: 1})
		for _, id := range []uint64{a, b.ID} {
			if err := q.Ack(id); err != nil {
				t.Fatal(err)
			}
		}
		check("2 acks", Stats{Puts: 2, Acks: 2, Nacks: 1})
	})
}

// waitBlocked waits until n Puts are blocked for space.
func waitBlocked(t testing.TB, q Queue, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for q.Stats().BlockedPuts != n {
		if time.Now().After(deadline) {
			t.Fatalf("BlockedPuts = %d, want %d", q.Stats().BlockedPuts, n)
		}
		time.Sleep(time.Millisecond)
	}
}

type putResult struct {
	id  uint64
	err error
}

func goPut(ctx context.Context, q Queue, payload string) <-chan putResult {
	ch := make(chan putResult, 1)
	go func() {
		id, err := q.Put(ctx, []byte(payload), nil)
		ch <- putResult{id, err}
	}()
	return ch
}

func assertWaiting[T any](t testing.TB, ch <-chan T, what string) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s returned %+v, want it blocked", what, r)
	case <-time.After(30 * time.Millisecond):
	}
}

func receive[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatalf("%s still blocked", what)
		panic("unreachable")
	}
}

func TestBackpressure(t *testing.T) {
	forEachImpl(t, func(t *testing.T, open func(int64) Queue) {
		q := open(100)
		first := mustPut(t, q, string(make([]byte, 40)), "")
		mustPut(t, q, string(make([]byte, 40)), "")
		blocked := goPut(context.Background(), q, string(make([]byte, 40)))
		waitBlocked(t, q, 1)
		assertWaiting(t, blocked, "put into a full queue")

		// In-flight bytes still count, and a Nack frees nothing.
		it := mustGet(t, q)
		if it.ID != first {
			t.Fatalf("got %d, want %d", it.ID, first)
		}
		assertWaiting(t, blocked, "put after get")
		if err := q.Nack(it.ID); err != nil {
			t.Fatal(err)
		}
		assertWaiting(t, blocked, "put after nack")

		it = mustGet(t, q)
		if err := q.Ack(it.ID); err != nil {
			t.Fatal(err)
		}
		if r := receive(t, blocked, "put after ack"); r.err != nil {
			t.Fatal(r.err)
		}
		if s := q.Stats(); s.PendingBytes != 80 || s.BlockedPuts != 0 {
			t.Fatalf("stats %+v", s)
		}
	})
}

func TestBlockedPutsServedInOrder(t *testing.T) {
	forEachImpl(t, func(t *testing.T, open func(int64) Queue) {
		q := open(100)
		mustPut(t, q, string(make([]byte, 60)), "")
		large := goPut(context.Background(), q, string(make([]byte, 90)))
		waitBlocked(t, q, 1)
		// 30 bytes would fit, but must not overtake the waiting 90.
		small := goPut(context.Background(), q, string(make([]byte, 30)))
		waitBlocked(t, q, 2)
		assertWaiting(t, small, "small put behind a blocked large one")

		it := mustGet(t, q)
		if err := q.Ack(it.ID); err != nil {
			t.Fatal(err)
		}
		l := receive(t, large, "large put")
		assertWaiting(t, small, "small put while the large one fills the queue")
		it = mustGet(t, q)
		if it.ID != l.id {
			t.Fatalf("got %d, want the large item %d", it.ID, l.id)
		}
		if err := q.Ack(it.ID); err != nil {
			t.Fatal(err)
		}
		if s := receive(t, small, "small put"); s.err != nil || s.id <= l.id {
			t.Fatalf("small put: %+v, want an id after %d", s, l.id)
		}
	})
}

func TestTooLarge(t *testing.T) {
	tests := []struct {
		name          string
		payload, meta int
		full          bool
		err           error
	}{
		{"exactly max", 60, 40, false, nil},
		{"payload over max", 101, 0, false, ErrTooLarge},
		{"payload and meta over max", 60, 41, false, ErrTooLarge},
		{"over max while full fails at once", 101, 0, true, ErrTooLarge},
	}
	forEachImpl(t, func(t *testing.T, open func(int64) Queue) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := open(100)
				if tt.full {
					mustPut(t, q, string(make([]byte, 100)), "")
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_, err := q.Put(ctx, make([]byte, tt.payload), make([]byte, tt.meta))
				if !errors.Is(err, tt.err) || (err != nil) != (tt.err != nil) {
					t.Fatalf("put: %v, want %v", err, tt.err)
				}
			})
		}
	})
}

func TestContextCancel(t *testing.T) {
	tests := []struct {
		name string
		full bool // fill the queue first, so Put blocks
		call func(ctx context.Context, q Queue) error
	}{
		{"blocked put", true, func(ctx context.Context, q Queue) error {
			_, err := q.Put(ctx, []byte("x"), nil)
			return err
		}},
		{"blocked get", false, func(ctx context.Context, q Queue) error {
			_, err := q.Get(ctx)
			return err
		}},
	}
	forEachImpl(t, func(t *testing.T, open func(int64) Queue) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := open(10)
				if tt.full {
					mustPut(t, q, "0123456789", "")
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- tt.call(ctx, q) }()
				assertWaiting(t, done, tt.name)
				cancel()
				if err := receive(t, done, tt.name+" after cancel"); !errors.Is(err, context.Canceled) {
					t.Fatalf("got %v, want context.Canceled", err)
				}
				if err := tt.call(ctx, q); !errors.Is(err, context.Canceled) {
					t.Fatalf("with a cancelled context: %v, want context.Canceled", err)
				}
				// The cancelled call left no trace: space and order are intact.
				if s := q.Stats(); s.BlockedPuts != 0 || s.InFlight != 0 {
					t.Fatalf("stats after cancel: %+v", s)
				}
				if tt.full {
					it := mustGet(t, q)
					if err := q.Ack(it.ID); err != nil {
						t.Fatal(err)
					}
				}
				mustPut(t, q, "0123456789", "")
				if it := mustGet(t, q); string(it.Payload) != "0123456789" {
					t.Fatalf("got %q", it.Payload)
				}
			})
		}
	})
}

func TestClose(t *testing.T) {
	forEachImpl(t, func(t *testing.T, open func(int64) Queue) {
		full := open(10)
		mustPut(t, full, "0123456789", "")
		inFlight := mustGet(t, full)
		put := goPut(context.Background(), full, "x")
		empty := open(10)
		get := make(chan error, 1)
		go func() { _, err := empty.Get(context.Background()); get <- err }()
		waitBlocked(t, full, 1)
		assertWaiting(t, get, "get on an empty queue")

		for _, q := range []Queue{full, empty} {
			if err := q.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if r := receive(t, put, "blocked put"); !errors.Is(r.err, ErrClosed) {
			t.Errorf("blocked put: %v, want ErrClosed", r.err)
		}
		if err := receive(t, get, "blocked get"); !errors.Is(err, ErrClosed) {
			t.Errorf("blocked get: %v, want ErrClosed", err)
		}
		calls := []struct {
			name string
			err  error
		}{
			{"put", func() error { _, err := full.Put(context.Background(), nil, nil); return err }()},
			{"get", func() error { _, err := full.Get(context.Background()); return err }()},
			{"ack", full.Ack(inFlight.ID)},
			{"nack", full.Nack(inFlight.ID)},
		}
		for _, c := range calls {
			if !errors.Is(c.err, ErrClosed) {
				t.Errorf("%s after close: %v, want ErrClosed", c.name, c.err)
			}
		}
		if err := full.Close(); err != nil {
			t.Errorf("second close: %v", err)
		}
	})
}

// TestConcurrent runs producers and consumers against a small queue, with
// some deliveries Nacked, and checks that every item is acked exactly once
// and never handed out while it is already in flight.
func TestConcurrent(t *testing.T) {
	const producers, consumers, perProducer = 4, 4, 150
	forEachImpl(t, func(t *testing.T, open func(int64) Queue) {
		q := open(32 << 10) // a few items: producers block often
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()

		var (
			mu       sync.Mutex
			inFlight = map[uint64]bool{}
			ackedIDs = map[uint64]bool{}
			acked    = map[string]int{}
			nacks    int
			nAcked   int
			allAcked = make(chan struct{})
		)
		var wg sync.WaitGroup
		for p := range producers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(p), 1))
				for i := range perProducer {
					payload := fmt.Appendf(nil, "p%d-%d:", p, i)
					payload = append(payload, bytes.Repeat([]byte{'x'}, rng.IntN(4<<10))...)
					if _, err := q.Put(ctx, payload, fmt.Appendf(nil, "%d", len(payload))); err != nil {
						t.Errorf("put: %v", err)
						return
					}
				}
			})
		}
		for c := range consumers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(c), 2))
				for {
					it, err := q.Get(ctx)
					if err != nil {
						if ctx.Err() == nil {
							t.Errorf("get: %v", err)
						}
						return
					}
					if string(it.Meta) != fmt.Sprint(len(it.Payload)) {
						t.Errorf("item %d: meta %q for %d bytes of payload", it.ID, it.Meta, len(it.Payload))
					}
					mu.Lock()
					if inFlight[it.ID] {
						t.Errorf("item %d handed out while in flight", it.ID)
					}
					if ackedIDs[it.ID] {
						t.Errorf("item %d handed out after its ack", it.ID)
					}
					inFlight[it.ID] = true
					mu.Unlock()

					nack := rng.IntN(10) == 0
					mu.Lock()
					delete(inFlight, it.ID)
					if nack {
						nacks++
					}
					mu.Unlock()
					if nack {
						if err := q.Nack(it.ID); err != nil {
							t.Errorf("nack: %v", err)
						}
						continue
					}
					if err := q.Ack(it.ID); err != nil {
						t.Errorf("ack: %v", err)
						continue
					}
					key, _, _ := bytes.Cut(it.Payload, []byte(":"))
					mu.Lock()
					acked[string(key)]++
					ackedIDs[it.ID] = true
					nAcked++
					if nAcked == producers*perProducer {
						close(allAcked)
					}
					mu.Unlock()
				}
			})
		}
		select {
		case <-allAcked:
		case <-ctx.Done():
		}
		cancel()
		wg.Wait()

		for p := range producers {
			for i := range perProducer {
				if n := acked[fmt.Sprintf("p%d-%d", p, i)]; n != 1 {
					t.Errorf("item p%d-%d acked %d times", p, i, n)
				}
			}
		}
		s := q.Stats()
		want := Stats{MaxBytes: 32 << 10, Puts: producers * perProducer, Acks: producers * perProducer, Nacks: uint64(nacks)}
		if s != want {
			t.Errorf("stats\n got %+v\nwant %+v", s, want)
		}
	})
}
