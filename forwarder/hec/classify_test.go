package hec

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		bodyErr    error
		want       kind
		code       int
		ackID      int64
		badEvent   int
		retryAfter time.Duration
		fixHas     string
	}{
		{name: "success", status: 200, body: `{"text":"Success","code":0}`, want: delivered, code: 0, ackID: -1},
		{name: "success with ack", status: 200, body: `{"text":"Success","code":0,"ackId":7}`, want: delivered, code: 0, ackID: 7},
		{name: "200 unreadable body is still delivered", status: 200, body: `{"text":"Suc`, bodyErr: errors.New("connection reset"), want: delivered, code: -1, ackID: -1},
		{name: "token disabled", status: 403, body: `{"text":"Token disabled","code":1}`, want: configErr, code: 1, ackID: -1, fixHas: "disabled"},
		{name: "token required", status: 401, body: `{"text":"Token is required","code":2}`, want: configErr, code: 2, ackID: -1, fixHas: "hec.token_file"},
		{name: "invalid authorization", status: 401, body: `{"text":"Invalid authorization","code":3}`, want: configErr, code: 3, ackID: -1, fixHas: "Authorization"},
		{name: "invalid token", status: 403, body: `{"text":"Invalid token","code":4}`, want: configErr, code: 4, ackID: -1, fixHas: "token"},
		{name: "incorrect index", status: 400, body: `{"text":"Incorrect index","code":7,"invalid-event-number":0}`, want: configErr, code: 7, ackID: -1, fixHas: "index"},
		{name: "channel missing", status: 400, body: `{"text":"Data channel is missing","code":10}`, want: configErr, code: 10, ackID: -1, fixHas: "hec.ack.enabled: true"},
		{name: "invalid channel", status: 400, body: `{"text":"Invalid data channel","code":11}`, want: configErr, code: 11, ackID: -1, fixHas: "channel"},
		{name: "Splunk Cloud channel missing", status: 400, body: `{"text":"Data channel is missing","code":28}`, want: configErr, code: 28, ackID: -1, fixHas: "hec.ack.enabled: true"},
		{name: "ack disabled", status: 400, body: `{"text":"ACK is disabled","code":14}`, want: configErr, code: 14, ackID: -1, fixHas: "hec.ack.enabled: false"},
		{name: "invalid data format names the event", status: 400, body: `{"text":"Invalid data format","code":6,"invalid-event-number":3}`, want: badEvent, code: 6, ackID: -1, badEvent: 3},
		{name: "event required", status: 400, body: `{"text":"Event field is required","code":12,"invalid-event-number":0}`, want: badEvent, code: 12, ackID: -1},
		{name: "indexed fields", status: 400, body: `{"text":"Error in handling indexed fields","code":15,"invalid-event-number":9}`, want: badEvent, code: 15, ackID: -1, badEvent: 9},
		{name: "400 without an event", status: 400, body: `{"text":"No data","code":5}`, want: rejected, code: 5, ackID: -1},
		{name: "too large", status: 413, body: `Content-Length of 2000000 too large (maximum is 1000000)`, want: tooLarge, code: -1, ackID: -1},
		{name: "busy with Retry-After", status: 503, header: http.Header{"Retry-After": {"7"}}, body: `{"text":"Server is busy","code":9}`, want: retry, code: 9, ackID: -1, retryAfter: 7 * time.Second},
		{name: "unhealthy", status: 503, body: `{"text":"HEC is unhealthy, queues are full","code":18}`, want: retry, code: 18, ackID: -1},
		{name: "too many requests", status: 429, body: ``, want: retry, code: -1, ackID: -1},
		{name: "internal error", status: 500, body: `{"text":"Internal server error","code":8}`, want: retry, code: 8, ackID: -1},
		{name: "bad gateway from a load balancer", status: 502, body: `<html>`, want: retry, code: -1, ackID: -1},
		{name: "wrong URL", status: 404, body: `not found`, want: configErr, code: -1, ackID: -1, fixHas: "hec.urls"},
		{name: "forbidden without HEC body", status: 403, body: ``, want: configErr, code: -1, ackID: -1, fixHas: "token"},
		{name: "Retry-After is capped", status: 429, header: http.Header{"Retry-After": {"86400"}}, want: retry, code: -1, ackID: -1, retryAfter: maxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			o := classify(tt.status, h, []byte(tt.body), tt.bodyErr)
			if o.kind != tt.want || o.code != tt.code || o.ackID != tt.ackID {
				t.Fatalf("classify = %v code %d ack %d, want %v code %d ack %d", o.kind, o.code, o.ackID, tt.want, tt.code, tt.ackID)
			}
			if tt.want == badEvent && o.badEvent != tt.badEvent {
				t.Errorf("bad event = %d, want %d", o.badEvent, tt.badEvent)
			}
			if o.retryAfter != tt.retryAfter {
				t.Errorf("retryAfter = %v, want %v", o.retryAfter, tt.retryAfter)
			}
			if tt.fixHas != "" && !contains(o.fix, tt.fixHas) {
				t.Errorf("fix %q does not mention %q", o.fix, tt.fixHas)
			}
			if tt.bodyErr != nil && !o.unconfirmed {
				t.Error("a 2xx with an unreadable body must be marked unconfirmed")
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"12", 12 * time.Second}, {"-3", 0}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestBackoffIsJitteredCappedAndHonoursRetryAfter(t *testing.T) {
	b := backoff{initial: 100 * time.Millisecond, max: 2 * time.Second}
	prevHi := time.Duration(0)
	for attempt := range 12 {
		d := b.next(0)
		hi := min(100*time.Millisecond<<attempt, 2*time.Second)
		if d < hi/2 || d > hi {
			t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, hi/2, hi)
		}
		if hi < prevHi {
			t.Fatalf("ceiling went down")
		}
		prevHi = hi
	}
	if d := b.next(10 * time.Second); d != 10*time.Second {
		t.Fatalf("Retry-After 10s gave %v", d)
	}
	seen := map[time.Duration]bool{}
	for range 50 {
		b := backoff{initial: time.Second, max: time.Minute}
		seen[b.next(0)] = true
	}
	if len(seen) < 10 {
		t.Fatalf("backoff is not jittered: %d distinct waits in 50", len(seen))
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("abcd-1234")
	for _, out := range []string{s.String(), s.GoString(), sprintf("%v %s %+v %#v", s, s, s, s)} {
		if contains(out, "abcd") {
			t.Fatalf("token leaked: %q", out)
		}
	}
	cfg := DefaultConfig()
	cfg.Token = s
	if out := sprintf("%+v", cfg); contains(out, "abcd") {
		t.Fatalf("token leaked through Config: %q", out)
	}
	if s.Reveal() != "abcd-1234" {
		t.Fatal("Reveal must return the token")
	}
}
