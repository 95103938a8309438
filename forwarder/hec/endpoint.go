package hec

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// endpoint is one HEC URL and what the sink knows of its health.
type endpoint struct {
	base    string // scheme://host:port[/prefix], no trailing slash
	name    string // base without anything that could be a credential
	healthy atomic.Bool

	mu        sync.Mutex
	lastErr   string
	downSince time.Time
}

func (e *endpoint) url(path string) string { return e.base + path }

// pool hands out endpoints round-robin, skipping unhealthy ones; a health
// loop probes those back in.
type pool struct {
	eps  []*endpoint
	next atomic.Uint64
}

func newPool(urls []string) *pool {
	p := &pool{}
	for _, u := range urls {
		base := strings.TrimRight(u, "/")
		ep := &endpoint{base: base, name: redactURL(base)}
		ep.healthy.Store(true)
		p.eps = append(p.eps, ep)
	}
	return p
}

// pick returns the next healthy endpoint, or, when none is, the next one
// anyway: the caller's backoff then paces the tries.
func (p *pool) pick() *endpoint {
	n := uint64(len(p.eps))
	start := p.next.Add(1)
	for i := range n {
		if ep := p.eps[(start+i)%n]; ep.healthy.Load() {
			return ep
		}
	}
	return p.eps[start%n]
}

// markDown takes an endpoint out of rotation until a probe succeeds.
func (p *pool) markDown(ep *endpoint, why string) (changed bool) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.lastErr = why
	if ep.healthy.CompareAndSwap(true, false) {
		ep.downSince = time.Now()
		return true
	}
	return false
}

// probe asks an unhealthy endpoint's health API whether it is back.
func (p *pool) probe(ctx context.Context, c *http.Client, ep *endpoint, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.url("/services/collector/health"), nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		ep.mu.Lock()
		ep.lastErr = err.Error()
		ep.mu.Unlock()
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// EndpointStatus is one endpoint's health, for metrics and logs.
type EndpointStatus struct {
	URL       string
	Healthy   bool
	LastError string
	DownSince time.Time
}

func (p *pool) status() []EndpointStatus {
	out := make([]EndpointStatus, 0, len(p.eps))
	for _, ep := range p.eps {
		ep.mu.Lock()
		out = append(out, EndpointStatus{URL: ep.name, Healthy: ep.healthy.Load(), LastError: ep.lastErr, DownSince: ep.downSince})
		ep.mu.Unlock()
	}
	return out
}
