package hectest

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// acks asks the ack endpoint about ids on channel and returns the answer.
func acks(t *testing.T, s *Server, token, channel string, ids ...int) map[string]any {
	t.Helper()
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = fmt.Sprint(id)
	}
	got := do(t, s.Client(), s.URL, req{path: "/services/collector/ack", token: token, channel: channel,
		body: `{"acks":[` + strings.Join(strs, ",") + `]}`})
	if got.status != http.StatusOK {
		t.Fatalf("ack query: %d %s", got.status, got.body)
	}
	return got.reply.Acks
}

func send(t *testing.T, s *Server, token, channel, body string) result {
	t.Helper()
	got := do(t, s.Client(), s.URL, req{token: token, channel: channel, body: body})
	if got.err != nil {
		t.Fatal(got.err)
	}
	return got
}

// TestAckLifecycle: ackIds count from 0 per channel, turn true after the
// delay, answer true once and are then forgotten.
func TestAckLifecycle(t *testing.T) {
	tok := "aaaaaaaa-0000-0000-0000-00000000a0c0"
	chB := "7d3c1b2a-9f8e-4d6c-8b5a-0123456789ab"
	s := newServer(t, Config{Tokens: []Token{{Value: tok, Ack: true, AckDelay: time.Hour}}})

	for i := range 3 {
		if got := send(t, s, tok, chanA, `{"event":"a"}`); got.status != 200 || *got.reply.AckID != int64(i) {
			t.Fatalf("channel A request %d: %s", i, got.body)
		}
	}
	for i := range 2 {
		if got := send(t, s, tok, chB, `{"event":"b"}`); got.status != 200 || *got.reply.AckID != int64(i) {
			t.Fatalf("channel B request %d: %s", i, got.body)
		}
	}
	// Events are indexed when accepted; the ack only controls the answer.
	if s.EventCount() != 5 {
		t.Fatalf("%d events indexed, want 5", s.EventCount())
	}
	want := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	if got := acks(t, s, tok, chanA, 0, 1, 2, 3); !reflect.DeepEqual(got, want("0", false, "1", false, "2", false, "3", false)) {
		t.Errorf("before the delay: %v", got)
	}
	s.SetAckDelay(tok, 0)
	if got := acks(t, s, tok, chanA, 0, 2, 7); !reflect.DeepEqual(got, want("0", true, "2", true, "7", false)) {
		t.Errorf("after the delay: %v", got)
	}
	if got := acks(t, s, tok, chanA, 0, 1, 2); !reflect.DeepEqual(got, want("0", false, "1", true, "2", false)) {
		t.Errorf("asked again: %v", got)
	}
	if got := acks(t, s, tok, chanA, 1); !reflect.DeepEqual(got, want("1", false)) {
		t.Errorf("1 asked twice: %v", got)
	}
	// Channel B's ids are its own; an id repeated in one query is answered
	// once.
	if got := acks(t, s, tok, chB, 1, 1, 0); !reflect.DeepEqual(got, want("1", true, "0", true)) {
		t.Errorf("channel B: %v", got)
	}
	// An unknown channel knows nothing.
	if got := acks(t, s, tok, NewChannel(), 0); !reflect.DeepEqual(got, want("0", false)) {
		t.Errorf("unknown channel: %v", got)
	}
	st := s.Stats()
	if st.AcksIssued != 5 || st.AcksTrue != 5 || st.AckRequests != 6 {
		t.Errorf("stats %+v", st)
	}

	// A real delay: the ack turns true no sooner than AckDelay after the
	// request was accepted.
	const delay = 100 * time.Millisecond
	s.SetAckDelay(tok, delay)
	start := time.Now()
	if got := send(t, s, tok, chanA, `{"event":"c"}`); *got.reply.AckID != 3 {
		t.Fatalf("fourth request on A: %s", got.body)
	}
	for acks(t, s, tok, chanA, 3)["3"] != true {
		if time.Since(start) > 5*time.Second {
			t.Fatal("ackId 3 never turned true")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if took := time.Since(start); took < delay {
		t.Errorf("acked after %v, before the %v delay", took, delay)
	}
}

// TestAckErrors covers the ack endpoint's refusals.
func TestAckErrors(t *testing.T) {
	ackTok := "aaaaaaaa-0000-0000-0000-00000000a0c0"
	s := newServer(t, Config{Tokens: []Token{{Value: DefaultToken}, {Value: ackTok, Ack: true}}})
	ack := func(q req) req { q.path = "/services/collector/ack"; return q }
	cases := []struct {
		name   string
		q      req
		status int
		code   int
		text   string
	}{
		{"token without ack", ack(req{channel: chanA, body: `{"acks":[0]}`}), 400, 14, "ACK is disabled"},
		{"no channel", ack(req{token: ackTok, body: `{"acks":[0]}`}), 400, 10, "Data channel is missing"},
		{"bad channel", ack(req{token: ackTok, channel: "x", body: `{"acks":[0]}`}), 400, 11, "Invalid data channel"},
		{"not JSON", ack(req{token: ackTok, channel: chanA, body: `acks=0`}), 400, 6, "Invalid data format"},
		{"no acks key", ack(req{token: ackTok, channel: chanA, body: `{}`}), 400, 6, "Invalid data format"},
		{"negative id", ack(req{token: ackTok, channel: chanA, body: `{"acks":[-1]}`}), 200, -1, ""},
		{"no token", ack(req{auth: "-", channel: chanA, body: `{"acks":[0]}`}), 401, 2, "Token is required"},
		{"GET", ack(req{method: http.MethodGet, token: ackTok, channel: chanA}), 405, 404, "The requested URL was not found on this server."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := do(t, s.Client(), s.URL, tc.q)
			if got.status != tc.status || got.code() != tc.code || got.reply.Text != tc.text {
				t.Errorf("got %d %s, want %d code %d %q", got.status, got.body, tc.status, tc.code, tc.text)
			}
		})
	}
}
