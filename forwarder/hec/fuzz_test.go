package hec

import (
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzClassify: any reply body, any status: classification never panics,
// and a 2xx is always delivered (a readable or unreadable 200 is never a
// reason to send again).
func FuzzClassify(f *testing.F) {
	f.Add(200, []byte(`{"text":"Success","code":0,"ackId":3}`))
	f.Add(400, []byte(`{"text":"Invalid data format","code":6,"invalid-event-number":-1}`))
	f.Add(503, []byte(`{"code":9`))
	f.Add(413, []byte(`<html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		o := classify(status, http.Header{"Retry-After": {string(body)}}, body, nil)
		if status >= 200 && status < 300 && o.kind != delivered {
			t.Fatalf("status %d classified %v", status, o.kind)
		}
		if o.kind == badEvent && o.badEvent < 0 {
			t.Fatalf("negative bad event %d", o.badEvent)
		}
		if o.retryAfter < 0 || o.retryAfter > maxRetryAfter {
			t.Fatalf("retryAfter %v", o.retryAfter)
		}
		_ = o.describe()
	})
}

// FuzzBatchMeta: stored metadata from any source decodes or errors, never
// panics, and what encode writes decodes to itself.
func FuzzBatchMeta(f *testing.F) {
	f.Add([]byte{metaVersion}, uint64(1), 10)
	f.Fuzz(func(t *testing.T, raw []byte, seq uint64, events int) {
		_, _ = decodeMeta(raw)
		m := batchMeta{run: seq ^ 0x5555, seq: seq, events: events & 0x7fffffff, raw: events & 0xffff}
		got, err := decodeMeta(m.encode())
		if err != nil || got.seq != m.seq || got.run != m.run || got.events != m.events || got.raw != m.raw {
			t.Fatalf("round trip %+v → %+v, %v", m, got, err)
		}
	})
}

// FuzzSplitEvents: reopening any payload never panics, and a batch of
// valid events splits back into exactly those events.
func FuzzSplitEvents(f *testing.F) {
	f.Add([]byte(`{"event":"a"}{"event":"b"} {"event":{"x":1}}`))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Fuzz(func(t *testing.T, payload []byte) {
		events, err := splitEvents(payload)
		if err != nil {
			return
		}
		for _, e := range events {
			if !json.Valid(e) {
				t.Fatalf("split gave invalid JSON %q", e)
			}
		}
		joined, err := joinEvents(events, true, 1)
		if err != nil {
			t.Fatal(err)
		}
		again, err := splitEvents(joined)
		if err != nil || len(again) != len(events) {
			t.Fatalf("join/split: %d → %d events, %v", len(events), len(again), err)
		}
	})
}
