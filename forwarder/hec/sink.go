package hec

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/rs/zerolog"

	"github.com/flowhec/flowhec/forwarder/queue"
)

// Queue is the queue between the batcher and the senders.
type Queue = queue.Queue

// Sink delivers the queued batches to HEC: N senders, each with its own
// request channel, classify every reply once (classify.go) and act on it;
// an acker polls indexer acknowledgements; a health loop probes endpoints
// that went down. A batch leaves the queue only when HEC has it.
type Sink struct {
	cfg     Config
	token   Secret
	log     zerolog.Logger
	q       Queue
	pool    *pool
	client  *retryablehttp.Client
	plain   *http.Client // health probes and ack polls: no retry layer
	reg     *registry
	batcher *Batcher
	dl      *deadLetter
	acker   *acker

	work   chan *part // items taken from the queue
	resend chan *part // parts to send again: split halves, ack timeouts

	c      counters
	cfgErr atomic.Int32 // HEC code of the config error in force, 0 when none

	ctx    context.Context // ends at Stop
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// partKey carries the part being sent through the retry layer's hooks.
type partKey struct{}

// delivery is one queued batch on its way; it is split into parts only on
// the 413 path. The queue item is acknowledged when its last part is.
type delivery struct {
	item  queue.Item
	meta  batchMeta
	parts atomic.Int32
}

// part is a request body: a whole batch, or what is left of it.
type part struct {
	d      *delivery
	body   []byte
	gz     bool
	events int
	// unknown: HEC may already have this body (a transport error after
	// it was sent, an ack that never came, a batch replayed from an
	// earlier run). Sending it again may duplicate it; the retry layer
	// counts the events when it does.
	unknown bool
}

// New builds a sink over q. The token is loaded here, so a missing token
// file is reported before anything runs.
func New(cfg Config, q Queue, log zerolog.Logger) (*Sink, error) {
	if err := cfg.Validate("hec."); err != nil {
		return nil, err
	}
	token, err := cfg.LoadToken("hec.")
	if err != nil {
		return nil, err
	}
	if cfg.DeadLetter == "" {
		return nil, errors.New("hec.dead_letter: no directory for events HEC rejects")
	}
	dl, err := newDeadLetter(cfg.DeadLetter)
	if err != nil {
		return nil, err
	}
	tr, err := transport(cfg, log)
	if err != nil {
		return nil, err
	}
	s := &Sink{
		cfg:    cfg,
		token:  token,
		log:    log,
		q:      q,
		pool:   newPool(cfg.URLs),
		plain:  &http.Client{Transport: tr, Timeout: cfg.Timeout},
		dl:     dl,
		work:   make(chan *part),
		resend: make(chan *part, 64),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.reg = newRegistry(randomUint64())
	s.batcher = newBatcher(cfg, q, s.reg, log)
	s.client = s.retryClient(tr)
	if cfg.Ack.Enabled {
		s.acker = newAcker(s)
	}
	return s, nil
}

// Writer is where sources write their chunks.
func (s *Sink) Writer() *Batcher { return s.batcher }

// Start runs the senders, the acker and the health loop until Stop.
func (s *Sink) Start() {
	ctx := s.ctx
	s.spawn(func() { s.feed(ctx) })
	for range s.cfg.Concurrency {
		s.spawn(func() { s.sender(ctx) })
	}
	if s.acker != nil {
		s.spawn(func() { s.acker.run(ctx) })
	}
	s.spawn(func() { s.healthLoop(ctx) })
}

func (s *Sink) spawn(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// Drain flushes the open batch and waits until every queued batch is
// delivered (and acknowledged, with acks on), or ctx ends.
func (s *Sink) Drain(ctx context.Context) error {
	if err := s.batcher.Flush(ctx); err != nil {
		return err
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		st := s.q.Stats()
		if st.Pending+st.InFlight == 0 && s.batcher.sealsInProgress.Load() == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("hec: %d batches not yet delivered: %w", st.Pending+st.InFlight, ctx.Err())
		case <-t.C:
		}
	}
}

// Stop closes the batcher and stops every goroutine. Batches not yet
// delivered stay in the queue, to be sent by the next run.
func (s *Sink) Stop(ctx context.Context) error {
	err := s.batcher.Close(ctx)
	s.cancel()
	s.wg.Wait()
	s.plain.CloseIdleConnections()
	return err
}

// feed takes items from the queue for the senders.
func (s *Sink) feed(ctx context.Context) {
	for {
		it, err := s.q.Get(ctx)
		if err != nil {
			return // closed or cancelled
		}
		meta, err := decodeMeta(it.Meta)
		if err != nil {
			// Not ours to interpret, but the payload is still a batch of
			// events: deliver it rather than drop it.
			s.log.Warn().Err(err).Uint64("item", it.ID).Msg("queued batch has unknown metadata; sending it as is")
		}
		if it.Replayed {
			s.c.replayed.Add(1)
		}
		d := &delivery{item: it, meta: meta}
		d.parts.Store(1)
		p := &part{d: d, body: it.Payload, gz: isGzip(it.Payload), events: meta.events, unknown: it.Attempts > 0 || it.Replayed}
		select {
		case s.work <- p:
		case <-ctx.Done():
			_ = s.q.Nack(it.ID)
			return
		}
	}
}

func (s *Sink) sender(ctx context.Context) {
	channel := ""
	if s.cfg.Ack.Enabled {
		channel = newGUID()
	}
	for {
		var p *part
		select {
		case p = <-s.resend:
		default:
			select {
			case p = <-s.resend:
			case p = <-s.work:
			case <-ctx.Done():
				return
			}
		}
		s.deliver(ctx, p, channel)
	}
}

// deliver sends one part until HEC has it, it is dead-lettered, or ctx
// ends (then the batch stays in the queue).
func (s *Sink) deliver(ctx context.Context, p *part, channel string) {
	bo := backoff{initial: s.cfg.Retry.InitialInterval, max: s.cfg.Retry.MaxInterval}
	for {
		ep := s.pool.pick()
		o, err := s.post(ctx, ep, p, channel)
		if ctx.Err() != nil {
			s.abandon(p)
			return
		}
		if err != nil {
			if fix := tlsFix(err); fix != "" {
				s.configError(ep, outcome{code: -1, fix: fix}, err)
				sleep(ctx, s.cfg.Retry.ConfigErrorInterval)
				continue
			}
			// The body may have reached HEC before the connection failed:
			// the retry layer marked it unknown, and counts it when resent.
			s.c.networkErrors.Add(1)
			if s.pool.markDown(ep, err.Error()) {
				s.log.Warn().Str("endpoint", ep.name).Err(err).Msg("HEC endpoint unreachable; taken out of rotation until its health check passes")
			}
			sleep(ctx, bo.next(0))
			continue
		}
		s.c.requests.Add(1)
		if o.kind != configErr {
			s.configRecovered(ep)
		}
		switch o.kind {
		case delivered:
			if o.unconfirmed {
				s.c.unconfirmed.Add(1)
			}
			s.c.bytesSent.Add(uint64(len(p.body)))
			if s.acker != nil && o.ackID >= 0 {
				s.acker.add(ep, channel, o.ackID, p)
				return
			}
			s.finish(p)
			return
		case retry:
			if o.status == http.StatusTooManyRequests || o.status == http.StatusServiceUnavailable {
				s.c.throttled.Add(1)
			} else {
				s.c.serverErrors.Add(1)
			}
			if o.status == http.StatusServiceUnavailable && o.code == 18 {
				s.pool.markDown(ep, o.describe())
			}
			sleep(ctx, bo.next(o.retryAfter))
		case configErr:
			s.configError(ep, o, nil)
			sleep(ctx, s.cfg.Retry.ConfigErrorInterval)
		case badEvent:
			if !s.dropBadEvent(ep, p, o) {
				return // nothing left to send
			}
			bo.reset()
		case tooLarge:
			if !s.split(ep, p, o) {
				return
			}
			bo.reset()
		case rejected:
			s.deadLetterAll(ep, p, o)
			return
		}
	}
}

// post sends one part. The error is a transport failure after the retry
// layer gave up; HTTP replies of any status come back classified.
func (s *Sink) post(ctx context.Context, ep *endpoint, p *part, channel string) (outcome, error) {
	ctx = context.WithValue(ctx, partKey{}, p)
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, ep.url("/services/collector/event"), p.body)
	if err != nil {
		return outcome{}, err
	}
	req.Header.Set("Authorization", "Splunk "+s.token.Reveal())
	req.Header.Set("Content-Type", "application/json")
	if p.gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if channel != "" {
		req.Header.Set("X-Splunk-Request-Channel", channel)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return outcome{}, err
	}
	defer resp.Body.Close()
	body, berr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return classify(resp.StatusCode, resp.Header, body, berr), nil
}

// finish counts a delivered part; the last part of a batch acknowledges it
// in the queue and to its sources.
func (s *Sink) finish(p *part) {
	s.c.eventsSent.Add(uint64(p.events))
	if p.d.parts.Add(-1) > 0 {
		return
	}
	s.c.batches.Add(1)
	if !p.d.meta.created.IsZero() {
		s.c.lagNanos.Store(int64(time.Since(p.d.meta.created)))
	}
	if err := s.q.Ack(p.d.item.ID); err != nil {
		// The batch is delivered but still on disk: the next run sends it
		// again. Say so; it is a duplicate, not a loss.
		s.log.Error().Err(err).Uint64("item", p.d.item.ID).Msg("could not remove a delivered batch from the queue; it will be sent again after a restart")
	}
	s.reg.done(p.d.meta)
}

// abandon leaves a part's batch to the next run (shutdown).
func (s *Sink) abandon(p *part) {
	if p.d.parts.Add(-1) == 0 {
		_ = s.q.Nack(p.d.item.ID)
	}
}

// dropBadEvent handles 400 invalid-event-number: HEC indexed the events
// before the bad one; the bad one is dead-lettered; the rest is sent again.
// It reports whether anything is left to send.
func (s *Sink) dropBadEvent(ep *endpoint, p *part, o outcome) bool {
	events, err := splitEvents(p.body)
	if err != nil || o.badEvent >= len(events) {
		s.log.Error().Err(err).Int("event", o.badEvent).Int("events", len(events)).Msg("HEC named a bad event that the batch does not have; dead-lettering the batch")
		s.deadLetterAll(ep, p, o)
		return false
	}
	s.c.eventsSent.Add(uint64(o.badEvent))
	s.writeDeadLetter(ep, o, events[o.badEvent:o.badEvent+1])
	s.log.Warn().Str("endpoint", ep.name).Str("reply", o.describe()).Int("event", o.badEvent).
		Str("dead_letter", s.dl.path).Msg("HEC rejected one event; it is dead-lettered and the rest of its batch sent again")
	rest := events[o.badEvent+1:]
	if len(rest) == 0 {
		p.events = 0
		s.finish(p)
		return false
	}
	if p.body, err = joinEvents(rest, p.gz, s.cfg.GzipLevel); err != nil {
		s.log.Error().Err(err).Msg("re-encode the rest of a batch")
	}
	p.events = len(rest)
	p.unknown = false
	return true
}

// split handles 413: send each half on its own; a single event too large
// for HEC is dead-lettered. It reports whether p itself is to be sent.
func (s *Sink) split(ep *endpoint, p *part, o outcome) bool {
	events, err := splitEvents(p.body)
	if err != nil || len(events) <= 1 {
		o.fix = "one event is larger than HEC's max_content_length"
		s.deadLetterAll(ep, p, o)
		return false
	}
	s.c.splits.Add(1)
	half := len(events) / 2
	second, err2 := joinEvents(events[half:], p.gz, s.cfg.GzipLevel)
	first, err1 := joinEvents(events[:half], p.gz, s.cfg.GzipLevel)
	if err := errors.Join(err1, err2); err != nil {
		s.log.Error().Err(err).Msg("split a batch")
	}
	p.d.parts.Add(1)
	other := &part{d: p.d, body: second, gz: p.gz, events: len(events) - half}
	p.body, p.events, p.unknown = first, half, false
	s.requeue(other)
	return true
}

// requeue hands a part to the next free sender, ahead of new batches.
func (s *Sink) requeue(p *part) {
	select {
	case s.resend <- p:
	default:
		// Every slot is taken (all senders busy): wait for one without
		// holding up the caller, and give up only at shutdown.
		// Callers are the sink's own goroutines, so the WaitGroup is
		// above zero and may grow.
		s.spawn(func() {
			select {
			case s.resend <- p:
			case <-s.ctx.Done():
				s.abandon(p)
			}
		})
	}
}

func (s *Sink) deadLetterAll(ep *endpoint, p *part, o outcome) {
	events, err := splitEvents(p.body)
	if err != nil {
		// Keep whatever could not be reopened as one entry of raw text.
		events = append(events, json.RawMessage(mustJSONString(string(p.body))))
	}
	s.writeDeadLetter(ep, o, events)
	s.log.Error().Str("endpoint", ep.name).Str("reply", o.describe()).Int("events", len(events)).
		Str("dead_letter", s.dl.path).Str("fix", o.fix).Msg("HEC rejected a whole batch; its events are dead-lettered")
	p.events = 0
	s.finish(p)
}

func (s *Sink) writeDeadLetter(ep *endpoint, o outcome, events []json.RawMessage) {
	reason := o.describe()
	if o.fix != "" {
		reason += ": " + o.fix
	}
	entries := make([]deadLetterEntry, len(events))
	for i, ev := range events {
		entries[i] = deadLetterEntry{Time: time.Now().UTC(), Endpoint: ep.name, Status: o.status, Code: o.code, Reason: reason, Event: ev}
	}
	for {
		err := s.dl.write(entries)
		if err == nil {
			break
		}
		// Not written means not handled: keep trying rather than drop.
		s.log.Error().Err(err).Msg("cannot write the dead-letter file; retrying")
		time.Sleep(s.cfg.Retry.ConfigErrorInterval)
	}
	s.c.deadLettered.Add(uint64(len(events)))
}

// configError logs the first time HEC refuses the configuration, then stays
// quiet (the request is retried slowly) until it is fixed.
func (s *Sink) configError(ep *endpoint, o outcome, err error) {
	s.c.configErrors.Add(1)
	code := int32(o.code)
	if code <= 0 {
		code = -1
	}
	if s.cfgErr.Swap(code) == code {
		return
	}
	ev := s.log.Error().Str("endpoint", ep.name).Str("fix", o.fix).Dur("retry_every", s.cfg.Retry.ConfigErrorInterval)
	if err != nil {
		ev = ev.Err(err)
	} else {
		ev = ev.Str("reply", o.describe())
	}
	ev.Msg("HEC refuses the configuration; holding every event until it is fixed")
}

func (s *Sink) configRecovered(ep *endpoint) {
	if s.cfgErr.Swap(0) != 0 {
		s.log.Info().Str("endpoint", ep.name).Msg("HEC accepts the configuration again; sending the held events")
	}
}

func (s *Sink) healthLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.HealthCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, ep := range s.pool.eps {
			if ep.healthy.Load() || !s.pool.probe(ctx, s.plain, ep, s.cfg.Timeout) {
				continue
			}
			ep.healthy.Store(true)
			s.log.Info().Str("endpoint", ep.name).Msg("HEC endpoint healthy again; back in rotation")
		}
	}
}

// retryClient is the retry layer under deliver: a few quick, jittered
// retries of transient failures before deliver's own slower loop.
func (s *Sink) retryClient(tr *http.Transport) *retryablehttp.Client {
	c := retryablehttp.NewClient()
	c.HTTPClient = &http.Client{Transport: tr, Timeout: s.cfg.Timeout}
	c.Logger = nil // deliver logs what matters, once
	c.RetryMax = 2
	c.RetryWaitMin = s.cfg.Retry.InitialInterval
	c.RetryWaitMax = s.cfg.Retry.MaxInterval
	c.ErrorHandler = retryablehttp.PassthroughErrorHandler
	// Every attempt, first or retry, passes here: the one place that
	// counts events sent without knowing whether HEC already has them.
	c.RequestLogHook = func(_ retryablehttp.Logger, req *http.Request, _ int) {
		if p, ok := req.Context().Value(partKey{}).(*part); ok && p.unknown {
			s.c.resentEvents.Add(uint64(p.events))
			p.unknown = false
		}
	}
	c.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if err != nil {
			if tlsFix(err) != "" {
				return false, err
			}
			if p, ok := ctx.Value(partKey{}).(*part); ok {
				p.unknown = true
			}
			s.c.retriesNetwork.Add(1)
			return true, nil
		}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
			s.c.retriesThrottled.Add(1)
			return true, nil
		case resp.StatusCode >= 500:
			s.c.retriesServer.Add(1)
			return true, nil
		}
		return false, nil
	}
	c.Backoff = func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		var ra time.Duration
		if resp != nil {
			ra = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		b := backoff{initial: lo, max: hi, attempt: attempt}
		return b.next(ra)
	}
	return c
}

// transport is the HTTP transport: keep-alive, TLS verified by default.
func transport(cfg Config, log zerolog.Logger) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = cfg.Concurrency * 2
	tr.MaxIdleConns = len(cfg.URLs) * cfg.Concurrency * 2
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TLS.ServerName}
	if cfg.TLS.CAFile != "" {
		pem, err := os.ReadFile(cfg.TLS.CAFile)
		if err != nil {
			return nil, fmt.Errorf("hec.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("hec.tls.ca_file: %s holds no PEM certificate", cfg.TLS.CAFile)
		}
		tc.RootCAs = pool
	}
	if cfg.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("hec.tls.cert_file/key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if cfg.TLS.InsecureSkipVerify {
		tc.InsecureSkipVerify = true
		log.Warn().Msg("hec.tls.insecure_skip_verify is true: the HEC server's certificate is not checked, so anyone on the path can read the events and the token")
	}
	tr.TLSClientConfig = tc
	return tr, nil
}

// tlsFix says what to change when a transport error is a TLS verification
// failure, which no retry can cure; "" for any other error.
func tlsFix(err error) string {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unknown), errors.As(err, &verify):
		return "the HEC server's certificate is not signed by a trusted CA: set hec.tls.ca_file to the CA that signed it"
	case errors.As(err, &host):
		return "the HEC server's certificate does not name the host in hec.urls: use the name in the certificate or set hec.tls.server_name"
	case errors.As(err, &invalid):
		return "the HEC server's certificate is invalid (expired or not for server use): renew it"
	}
	return ""
}

func randomUint64() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])
}

// newGUID returns a random (version 4) UUID, the form HEC wants for a
// request channel.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func mustJSONString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}
