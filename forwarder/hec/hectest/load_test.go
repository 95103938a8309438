package hectest

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// miniClient is the smallest client that keeps HEC's at-least-once
// contract, so that the test can show the server supports checking one:
// resend on throttling, errors and network failures, drop a refused event
// and resend the rest, never resend after a 200 whose body was unreadable.
type miniClient struct {
	t       *testing.T
	s       *Server
	c       *http.Client
	dropped []int // records refused as bad events
}

func (m *miniClient) deliver(from, n int) {
	for attempt := 0; n > 0; attempt++ {
		if attempt > 50 {
			m.t.Errorf("records %d..%d not delivered after 50 attempts", from, from+n-1)
			return
		}
		got := do(m.t, m.c, m.s.URL, req{body: batch(from, n), gzip: true})
		switch {
		case got.err != nil: // reset or timeout: maybe indexed, send again
		case got.status == 200: // a body read error too: it was accepted
			return
		case got.status == 400 && got.invalid() >= 0:
			k := got.invalid()
			m.dropped = append(m.dropped, from+k)
			from, n = from+k+1, n-k-1
			attempt = 0
		case got.status == 503 && got.invalid() > 0:
			// Splunk indexed the first ones; resending them all is allowed
			// (and counted as duplicates) but cheaper not to.
			k := got.invalid()
			from, n = from+k, n-k
		}
	}
}

// TestConcurrentAtLeastOnce: many clients at once against random faults;
// every record but the refused ones is indexed at least once, and the
// duplicates are countable. Run under -race.
func TestConcurrentAtLeastOnce(t *testing.T) {
	s := newServer(t, Config{Seed: 42, Logf: func(string, ...any) {}})
	s.SetFaultRate(0.25,
		Busy(0), BusyAfter(40), InternalError(), TooManyRequests(0), BadEvent(17),
		ResetBeforeBody(), ResetAfterIndex(), TruncatedResponse(), StallAfterIndex(0))
	const workers, batches, size = 8, 25, 100
	var wg sync.WaitGroup
	var mu sync.Mutex
	var dropped []int
	transport := &http.Transport{MaxIdleConnsPerHost: workers}
	defer transport.CloseIdleConnections()
	c := &http.Client{Transport: transport, Timeout: 500 * time.Millisecond}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := &miniClient{t: t, s: s, c: c}
			for b := range batches {
				m.deliver((w*batches+b)*size, size)
			}
			mu.Lock()
			dropped = append(dropped, m.dropped...)
			mu.Unlock()
		}()
	}
	// Readers alongside writers, for the race detector.
	ctx, cancel := context.WithCancel(context.Background())
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		for ctx.Err() == nil {
			_ = s.Stats()
			_ = s.EventsBy(Event.Text)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	wg.Wait()
	cancel()
	readers.Wait()

	isDropped := map[string]bool{}
	for _, i := range dropped {
		isDropped[flowLine(i)] = true
	}
	counts := s.EventsBy(Event.Text)
	missing, dups := 0, 0
	for i := range workers * batches * size {
		n := counts[flowLine(i)]
		switch {
		case isDropped[flowLine(i)]:
			if n > 1 {
				t.Errorf("refused record %d indexed %d times", i, n)
			}
		case n == 0:
			missing++
		default:
			dups += n - 1
		}
	}
	st := s.Stats()
	t.Logf("%d records, %d refused, %d duplicates, %d requests, faults %v", workers*batches*size, len(dropped), dups, st.EventRequests, st.Faults)
	if missing > 0 {
		t.Errorf("%d records never indexed", missing)
	}
	if st.Faults["reset-after-index"] > 0 && dups == 0 {
		t.Error("resets after indexing but no duplicates")
	}
	if st.EventsAccepted != s.EventCount() || st.EventsAccepted != len(s.Events()) {
		t.Errorf("EventsAccepted %d, EventCount %d", st.EventsAccepted, s.EventCount())
	}
}

// TestManyEvents pushes 200,000 events (40,000 under -race) through the
// server and checks each arrived once.
func TestManyEvents(t *testing.T) {
	s := newServer(t, Config{})
	total, size, workers := 200_000, 4000, 4
	if raceEnabled {
		total = 40_000
	}
	bodies := make([][]byte, total/size)
	for i := range bodies {
		bodies[i] = gzipped(t, []byte(batch(i*size, size)))
	}
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				got := do(t, s.Client(), s.URL, req{body: string(bodies[i]), header: map[string]string{"Content-Encoding": "gzip"}})
				if got.status != 200 {
					t.Errorf("batch %d: %d %s %v", i, got.status, got.body, got.err)
				}
			}
		}()
	}
	for i := range bodies {
		next <- i
	}
	close(next)
	wg.Wait()
	sent := time.Since(start)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.WaitForEvents(ctx, total); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	counts := s.EventsBy(Event.Text)
	counted := time.Since(start)
	if len(counts) != total {
		t.Fatalf("%d distinct events, want %d", len(counts), total)
	}
	for i := 0; i < total; i += 997 {
		if counts[flowLine(i)] != 1 {
			t.Fatalf("record %d indexed %d times", i, counts[flowLine(i)])
		}
	}
	st := s.Stats()
	t.Logf("%d events in %v (%.0f events/s), %.1f MB sent as %.1f MB gzip; EventsBy took %v",
		total, sent, float64(total)/sent.Seconds(), float64(st.BytesDecoded)/1e6, float64(st.BytesReceived)/1e6, counted)

	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if err := s.WaitForEvents(ctx2, total+1); err == nil {
		t.Error("WaitForEvents returned for events that never came")
	}
}
