package hectest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestFaults injects each fault into a request of five events and checks
// what a plain net/http client sees and what was indexed.
func TestFaults(t *testing.T) {
	ackTok := "aaaaaaaa-0000-0000-0000-00000000a0c0"
	five := batch(0, 5)
	cases := []struct {
		name       string
		f          Fault
		ack        bool
		timeout    time.Duration // client timeout; 0 for none
		status     int           // 0: no response at all
		code       int
		text       string
		invalid    int
		retryAfter string
		indexed    int
		readErr    bool // response, but its body cannot be read
		minTime    time.Duration
		ackTrue    bool // the ackId, if any, answers true
		stat       func(Stats) int
		statWant   int
	}{
		{name: "busy", f: Busy(0), status: 503, code: 9, text: "Server is busy", invalid: 0},
		{name: "busy with Retry-After", f: Busy(1500 * time.Millisecond), status: 503, code: 9, text: "Server is busy", invalid: 0, retryAfter: "2"},
		{name: "busy after 2 events", f: BusyAfter(2), status: 503, code: 9, text: "Server is busy", invalid: 2, indexed: 2},
		{name: "429", f: TooManyRequests(3 * time.Second), status: 429, code: -1, invalid: -1, retryAfter: "3"},
		{name: "429 without Retry-After", f: TooManyRequests(0), status: 429, code: -1, invalid: -1},
		{name: "500", f: InternalError(), status: 500, code: 8, text: "Internal server error", invalid: -1},
		{name: "413", f: TooLarge(), status: 413, code: -1, invalid: -1},
		{name: "bad event 3", f: BadEvent(3), status: 400, code: 6, text: "Invalid data format", invalid: 3, indexed: 3},
		{name: "bad event 0", f: BadEvent(0), status: 400, code: 6, text: "Invalid data format", invalid: 0, indexed: 0},
		{name: "bad event past the end", f: BadEvent(99), status: 400, code: 6, text: "Invalid data format", invalid: 4, indexed: 4},
		{name: "bad event containing", f: BadEventContaining("10.0.0.2 172.31"), status: 400, code: 6, text: "Invalid data format", invalid: 2, indexed: 2},
		{name: "bad event containing nothing", f: BadEventContaining("no such record"), status: 200, code: 0, text: "Success", invalid: -1, indexed: 5},
		{name: "reset before body", f: ResetBeforeBody(), indexed: 0,
			stat: func(s Stats) int { return s.ConnectionsReset }, statWant: 1},
		{name: "reset after index", f: ResetAfterIndex(), indexed: 5,
			stat: func(s Stats) int { return s.ConnectionsReset }, statWant: 1},
		{name: "reset after index, ack", f: ResetAfterIndex(), ack: true, indexed: 5, ackTrue: true},
		{name: "truncated 200", f: TruncatedResponse(), status: 200, code: -1, invalid: -1, indexed: 5, readErr: true,
			stat: func(s Stats) int { return s.Truncated }, statWant: 1},
		{name: "stall 100ms", f: Stall(100 * time.Millisecond), status: 200, code: 0, text: "Success", invalid: -1, indexed: 5, minTime: 100 * time.Millisecond},
		{name: "stall until client timeout", f: Stall(0), timeout: 200 * time.Millisecond, indexed: 0},
		{name: "stall after index until client timeout", f: StallAfterIndex(0), timeout: 200 * time.Millisecond, indexed: 5},
		{name: "stall after index 100ms", f: StallAfterIndex(100 * time.Millisecond), status: 200, code: 0, text: "Success", invalid: -1, indexed: 5, minTime: 100 * time.Millisecond},
		{name: "slow read", f: SlowRead(len(five) * 4), status: 200, code: 0, text: "Success", invalid: -1, indexed: 5, minTime: 240 * time.Millisecond},
		{name: "lose ack", f: LoseAck(), ack: true, status: 200, code: 0, text: "Success", invalid: -1, indexed: 5,
			stat: func(s Stats) int { return s.AcksLost }, statWant: 1},
		{name: "lose ack without ack", f: LoseAck(), status: 200, code: 0, text: "Success", invalid: -1, indexed: 5},
		{name: "lose ack and events", f: LoseAckAndEvents(), ack: true, status: 200, code: 0, text: "Success", invalid: -1, indexed: 0},
		{name: "no fault, ack", f: Fault{}, ack: true, status: 200, code: 0, text: "Success", invalid: -1, indexed: 5, ackTrue: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, Config{Tokens: []Token{{Value: DefaultToken}, {Value: ackTok, Ack: true}}})
			s.FailNext(1, tc.f)
			c := &http.Client{Timeout: tc.timeout, Transport: s.Client().Transport}
			q := req{body: five}
			if tc.ack {
				q.token, q.channel = ackTok, chanA
			}
			start := time.Now()
			got := do(t, c, s.URL, q)
			took := time.Since(start)
			switch {
			case tc.status == 0:
				if got.err == nil {
					t.Fatalf("got %d %s, want a failed request", got.status, got.body)
				}
				if tc.timeout > 0 && !isTimeout(got.err) {
					t.Errorf("error %v, want a timeout", got.err)
				}
				if tc.timeout == 0 && isTimeout(got.err) {
					t.Errorf("error %v, want a connection error", got.err)
				}
			case got.err != nil:
				t.Fatalf("request failed: %v", got.err)
			case got.status != tc.status || got.code() != tc.code || got.reply.Text != tc.text || got.invalid() != tc.invalid:
				t.Errorf("got %d %s, want %d code %d %q invalid-event-number %d", got.status, got.body, tc.status, tc.code, tc.text, tc.invalid)
			case got.header.Get("Retry-After") != tc.retryAfter:
				t.Errorf("Retry-After %q, want %q", got.header.Get("Retry-After"), tc.retryAfter)
			case (got.readErr != nil) != tc.readErr:
				t.Errorf("body read error %v, want one: %v", got.readErr, tc.readErr)
			}
			if took < tc.minTime {
				t.Errorf("answered after %v, want at least %v", took, tc.minTime)
			}
			if tc.timeout > 0 {
				s.Close() // wait for the handler, which outlives the client
			}
			if n := s.EventCount(); n != tc.indexed {
				t.Errorf("indexed %d events, want %d", n, tc.indexed)
			}
			if evs := s.Events(); len(evs) > 0 && (evs[0].Text() != flowLine(0) || evs[0].Request != 1) {
				t.Errorf("first event %+v", evs[0])
			}
			if tc.ack && tc.timeout == 0 {
				if got := acks(t, s, ackTok, chanA, 0); got["0"] != tc.ackTrue {
					t.Errorf("ackId 0 answers %v, want %v", got["0"], tc.ackTrue)
				}
			}
			st := s.Stats()
			if tc.f.Kind != FaultNone && st.Faults[tc.f.Kind.String()] != 1 {
				t.Errorf("Faults = %v, want %s once", st.Faults, tc.f.Kind)
			}
			if tc.stat != nil && tc.stat(st) != tc.statWant {
				t.Errorf("stat = %d, want %d (%+v)", tc.stat(st), tc.statWant, st)
			}
			// The fault was for one request only.
			if s.PendingFaults() != 0 {
				t.Errorf("%d faults still queued", s.PendingFaults())
			}
		})
	}
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout() || errors.Is(err, context.DeadlineExceeded)
}

// TestFailNextOrder: queued faults are used in order, one per request that
// passes authentication, and then the server behaves again.
func TestFailNextOrder(t *testing.T) {
	s := newServer(t, Config{})
	c := s.Client()
	s.FailNext(2, Busy(time.Second))
	s.FailNext(1, InternalError())
	s.FailNext(1, BadEvent(1))
	if s.PendingFaults() != 4 {
		t.Fatalf("PendingFaults = %d", s.PendingFaults())
	}
	// A refused request does not use a fault.
	if got := do(t, c, s.URL, req{auth: "-", body: batch(0, 2)}); got.status != 401 {
		t.Fatalf("no token: %d", got.status)
	}
	var statuses []int
	for range 6 {
		statuses = append(statuses, do(t, c, s.URL, req{body: batch(0, 2)}).status)
	}
	if want := []int{503, 503, 500, 400, 200, 200}; !reflect.DeepEqual(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	s.FailNext(3, Busy(0))
	s.ClearFaults()
	if got := do(t, c, s.URL, req{body: batch(0, 2)}); got.status != 200 {
		t.Errorf("after ClearFaults: %d", got.status)
	}
	st := s.Stats()
	if st.Status[503] != 2 || st.Status[500] != 1 || st.Status[400] != 1 || st.Status[401] != 1 || st.Status[200] != 3 ||
		st.Code[9] != 2 || st.Code[8] != 1 || st.Code[6] != 1 || st.Code[2] != 1 || st.Code[0] != 3 || st.EventRequests != 8 {
		t.Errorf("stats %+v", st)
	}
}

// TestFaultRate: the same seed gives the same faults for the same
// sequence of requests, at about the rate asked.
func TestFaultRate(t *testing.T) {
	run := func(seed uint64) []int {
		s := newServer(t, Config{Seed: seed})
		s.SetFaultRate(0.3, Busy(0), InternalError(), TooManyRequests(0), BadEvent(0))
		var statuses []int
		for range 200 {
			statuses = append(statuses, do(t, s.Client(), s.URL, req{body: `{"event":"x"}`}).status)
		}
		s.SetFaultRate(0)
		if got := do(t, s.Client(), s.URL, req{body: `{"event":"x"}`}); got.status != 200 {
			t.Errorf("rate 0: %d", got.status)
		}
		return statuses
	}
	a, b, c := run(7), run(7), run(8)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed, different faults")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("different seeds, same faults")
	}
	failed := map[int]int{}
	for _, st := range a {
		if st != 200 {
			failed[st]++
		}
	}
	n := failed[503] + failed[500] + failed[429] + failed[400]
	if n < 40 || n > 80 || len(failed) != 4 {
		t.Errorf("%d of 200 failed (%v), want about 60 spread over 4 statuses", n, failed)
	}
}

// TestPoison: a poisoned record is refused wherever it is, the events
// before it are indexed, and resending the rest succeeds.
func TestPoison(t *testing.T) {
	s := newServer(t, Config{})
	c := s.Client()
	s.Poison("10.0.0.7 172.31")
	body := batch(0, 10)
	got := do(t, c, s.URL, req{body: body})
	if got.status != 400 || got.code() != 6 || got.invalid() != 7 {
		t.Fatalf("got %d %s, want 400 code 6 invalid-event-number 7", got.status, got.body)
	}
	// The client drops event 7 and resends 8 and 9; a resend that keeps the
	// poisoned record fails at it again.
	if got := do(t, c, s.URL, req{body: batch(7, 3)}); got.invalid() != 0 {
		t.Errorf("resend with the poisoned record: %s", got.body)
	}
	if got := do(t, c, s.URL, req{body: batch(8, 2)}); got.status != 200 {
		t.Errorf("resend of the rest: %s", got.body)
	}
	counts := s.EventsBy(Event.Text)
	for i := range 10 {
		want := 1
		if i == 7 {
			want = 0
		}
		if counts[flowLine(i)] != want {
			t.Errorf("record %d indexed %d times, want %d", i, counts[flowLine(i)], want)
		}
	}
	s.ClearPoison()
	if got := do(t, c, s.URL, req{body: batch(7, 1)}); got.status != 200 {
		t.Errorf("after ClearPoison: %s", got.body)
	}
}

// TestStallReleasedOnClose: Close does not wait for a stalled request; the
// client sees its connection dropped, not an answer.
func TestStallReleasedOnClose(t *testing.T) {
	s := NewServer(Config{Logf: t.Logf})
	s.FailNext(1, Stall(0))
	done := make(chan result)
	go func() { done <- do(t, s.Client(), s.URL, req{body: batch(0, 3)}) }()
	for s.Stats().Faults["stall"] == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a stalled request")
	}
	if got := <-done; got.err == nil {
		t.Errorf("stalled request answered %d %s at Close", got.status, got.body)
	}
	if s.EventCount() != 0 {
		t.Errorf("%d events indexed", s.EventCount())
	}
}

// TestSlowReadClientGivesUp: a client that times out during a slow read
// leaves nothing indexed.
func TestSlowReadClientGivesUp(t *testing.T) {
	s := newServer(t, Config{})
	s.FailNext(1, SlowRead(100))
	c := &http.Client{Timeout: 150 * time.Millisecond, Transport: s.Client().Transport}
	got := do(t, c, s.URL, req{body: batch(0, 5)})
	if got.err == nil || !isTimeout(got.err) {
		t.Fatalf("got %d %v, want a timeout", got.status, got.err)
	}
	s.Close()
	if s.EventCount() != 0 {
		t.Errorf("%d events indexed", s.EventCount())
	}
}

// TestTruncatedBodyError: the truncated reply fails the body read, not the
// request, which is how a client tells "sent and maybe indexed" apart.
func TestTruncatedBodyError(t *testing.T) {
	s := newServer(t, Config{})
	s.FailNext(1, TruncatedResponse())
	r, _ := http.NewRequest(http.MethodPost, s.URL+"/services/collector/event", strings.NewReader(`{"event":"x"}`))
	r.Header.Set("Authorization", "Splunk "+DefaultToken)
	resp, err := s.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(`{"text":"Success","code":0}`, string(b)) {
		t.Errorf("got %d %q %v, want 200, half a body and unexpected EOF", resp.StatusCode, b, err)
	}
	if s.EventCount() != 1 {
		t.Errorf("%d events indexed, want 1", s.EventCount())
	}
}
