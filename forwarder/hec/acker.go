package hec

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// acker waits for indexer acknowledgements. HEC answers a request with an
// ackId per channel; the events are safe only when /services/collector/ack
// on the same endpoint and channel says true. An ack is polled on the
// endpoint that issued it; one that stays false past ack.timeout has its
// part sent again (a possible duplicate, counted).
type acker struct {
	s       *Sink
	mu      sync.Mutex
	pending map[ackKey]map[int64]*ackWait
}

type ackKey struct {
	ep      *endpoint
	channel string
}

type ackWait struct {
	p    *part
	sent time.Time
}

// maxAcksPerPoll bounds one /ack request body.
const maxAcksPerPoll = 1000

func newAcker(s *Sink) *acker {
	return &acker{s: s, pending: map[ackKey]map[int64]*ackWait{}}
}

func (a *acker) add(ep *endpoint, channel string, id int64, p *part) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := ackKey{ep, channel}
	if a.pending[k] == nil {
		a.pending[k] = map[int64]*ackWait{}
	}
	a.pending[k][id] = &ackWait{p: p, sent: time.Now()}
	a.s.c.acksPending.Add(1)
}

func (a *acker) run(ctx context.Context) {
	t := time.NewTicker(a.s.cfg.Ack.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			a.abandonAll()
			return
		case <-t.C:
		}
		a.pollAll(ctx)
	}
}

func (a *acker) pollAll(ctx context.Context) {
	a.mu.Lock()
	work := make(map[ackKey][]int64, len(a.pending))
	for k, ids := range a.pending {
		for id := range ids {
			work[k] = append(work[k], id)
		}
	}
	a.mu.Unlock()
	for k, ids := range work {
		for len(ids) > 0 {
			n := min(len(ids), maxAcksPerPoll)
			a.poll(ctx, k, ids[:n])
			ids = ids[n:]
		}
	}
	a.expire()
}

// poll asks one endpoint and channel about ids and finishes those that are
// acknowledged. A failed poll changes nothing: the next one asks again.
func (a *acker) poll(ctx context.Context, k ackKey, ids []int64) {
	body, _ := json.Marshal(struct {
		Acks []int64 `json:"acks"`
	}{ids})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, k.ep.url("/services/collector/ack"), bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Splunk "+a.s.token.Reveal())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Splunk-Request-Channel", k.channel)
	resp, err := a.s.plain.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return
	}
	var r struct {
		Acks map[string]bool `json:"acks"`
	}
	if json.Unmarshal(b, &r) != nil {
		return
	}
	var done []*part
	a.mu.Lock()
	for idText, ok := range r.Acks {
		id, err := strconv.ParseInt(idText, 10, 64)
		if !ok || err != nil {
			continue
		}
		if w := a.pending[k][id]; w != nil {
			delete(a.pending[k], id)
			done = append(done, w.p)
		}
	}
	if len(a.pending[k]) == 0 {
		delete(a.pending, k)
	}
	a.mu.Unlock()
	for _, p := range done {
		a.s.c.acksPending.Add(-1)
		a.s.c.acked.Add(1)
		a.s.finish(p)
	}
}

// expire sends again every part whose ack is overdue.
func (a *acker) expire() {
	deadline := time.Now().Add(-a.s.cfg.Ack.Timeout)
	var late []*part
	a.mu.Lock()
	for k, ids := range a.pending {
		for id, w := range ids {
			if w.sent.Before(deadline) {
				delete(ids, id)
				late = append(late, w.p)
			}
		}
		if len(ids) == 0 {
			delete(a.pending, k)
		}
	}
	a.mu.Unlock()
	for _, p := range late {
		a.s.c.acksPending.Add(-1)
		a.s.c.ackTimeouts.Add(1)
		p.unknown = true
		a.s.log.Warn().Int("events", p.events).Dur("ack_timeout", a.s.cfg.Ack.Timeout).
			Msg("no indexer acknowledgement in time; sending the events again (they may be duplicated)")
		a.s.requeue(p)
	}
}

// abandonAll leaves every unacknowledged batch in the queue (shutdown).
func (a *acker) abandonAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, ids := range a.pending {
		for _, w := range ids {
			a.s.c.acksPending.Add(-1)
			a.s.abandon(w.p)
		}
		delete(a.pending, k)
	}
}
