package hectest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultToken is the token a server knows when Config.Tokens is empty.
const DefaultToken = "11111111-2222-3333-4444-555555555555"

// DefaultMaxContentLength is Splunk's default [http_input]
// max_content_length in limits.conf (800 MiB since Splunk 6.5; it was
// 1,000,000 before). It limits the request body as sent, compressed or not.
const DefaultMaxContentLength = 838860800

// CloudMaxBody is the body size, decoded, above which Splunk Cloud refuses
// a request as invalid data (between 5,242,881 and 6,000,000 bytes when
// measured on Splunk Cloud Platform 10.5; 5 MiB here).
const CloudMaxBody = 5 << 20

// Token is one HEC token, with the settings Splunk keeps per token.
type Token struct {
	Value    string
	Disabled bool
	// Ack turns on indexer acknowledgement (useACK): requests must name a
	// channel and each accepted request gets an ackId.
	Ack bool
	// AckDelay is how long after a request is accepted its ackId answers
	// true. Zero acks at once. It is read when an ackId is asked about, so
	// SetAckDelay holds back or releases ackIds already issued.
	AckDelay time.Duration
	// Indexes is the token's allowed indexes; empty allows any.
	Indexes []string
	// QueryStringAuth accepts the token as ?token= (allowQueryStringAuth).
	QueryStringAuth bool
}

// Config sets up a server. The zero Config is a plain-HTTP server that
// knows DefaultToken without acknowledgement.
type Config struct {
	// Tokens the server knows; empty means one token, DefaultToken.
	Tokens []Token
	// Indexes, when set, are the indexes that exist: an event naming any
	// other index is refused with code 7 "Incorrect index".
	Indexes []string
	// MaxContentLength limits request bodies as sent; 0 means
	// DefaultMaxContentLength. Larger requests get 413.
	MaxContentLength int64
	// Seed drives SetFaultRate's choices, so a run can be repeated.
	Seed uint64
	// Addr is where to listen; it must be a loopback address. Empty picks
	// a free port on 127.0.0.1.
	Addr string
	// TLS serves HTTPS with httptest's certificate for 127.0.0.1 (see
	// Certificate and Client).
	TLS bool
	// RequireClientCert (with TLS) demands a client certificate signed by
	// a CA the server makes; ClientCertificate returns one.
	RequireClientCert bool
	// Cloud answers as Splunk Cloud Platform does where it differs from
	// Splunk Enterprise: a missing channel is code 28, not 10, and a body
	// over CloudMaxBody bytes decoded is refused as 400 code 6 with
	// "invalid-event-number": 0 rather than 413.
	Cloud bool
	// Logf, when set, receives a line per fault and per refused request
	// (t.Logf fits).
	Logf func(format string, args ...any)
}

// Server is a loopback HEC. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL, http://127.0.0.1:port or https://...
	URL string

	ts         *httptest.Server
	cfg        Config
	maxBody    int64
	quit       chan struct{}
	closeOnce  sync.Once
	clientCert tls.Certificate

	mu         sync.Mutex
	tokens     map[string]Token
	indexes    map[string]bool // nil: any index exists
	poison     [][]byte
	queue      []Fault
	rate       float64
	rateFaults []Fault
	rng        *mrand.Rand
	down       bool
	windows    [][2]time.Time
	recs       [][]record // per request, so that recording never copies old records
	nrecs      int
	events     []Event // the first len(events) records, materialized
	channels   map[string]*ackChannel
	eventReqs  int
	stats      Stats
	changed    chan struct{} // closed and replaced whenever events are recorded
}

// NewServer starts a plain-HTTP server on 127.0.0.1 and panics if it
// cannot, like httptest.NewServer. Close it when done.
func NewServer(cfg Config) *Server {
	cfg.TLS = false
	s, err := Listen(cfg)
	if err != nil {
		panic("hectest: " + err.Error())
	}
	return s
}

// NewTLSServer starts an HTTPS server on 127.0.0.1 and panics if it
// cannot. Client trusts it; Certificate is its certificate for a CA pool.
func NewTLSServer(cfg Config) *Server {
	cfg.TLS = true
	s, err := Listen(cfg)
	if err != nil {
		panic("hectest: " + err.Error())
	}
	return s
}

// Listen starts a server as cfg says and returns an error instead of
// panicking, for a program (a demo, say) that listens on a fixed Addr.
func Listen(cfg Config) (*Server, error) {
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("listen address %q: not a loopback address; the test HEC listens on 127.0.0.1 only", addr)
	}
	if cfg.RequireClientCert && !cfg.TLS {
		return nil, errors.New("RequireClientCert needs TLS")
	}
	s := &Server{
		cfg:      cfg,
		maxBody:  cfg.MaxContentLength,
		quit:     make(chan struct{}),
		tokens:   map[string]Token{},
		rng:      mrand.New(mrand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)),
		channels: map[string]*ackChannel{},
		changed:  make(chan struct{}),
		stats:    Stats{Status: map[int]int{}, Code: map[int]int{}, Faults: map[string]int{}},
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxContentLength
	}
	if len(cfg.Tokens) == 0 {
		cfg.Tokens = []Token{{Value: DefaultToken}}
	}
	for _, t := range cfg.Tokens {
		s.tokens[t.Value] = cloneToken(t)
	}
	if len(cfg.Indexes) > 0 {
		s.indexes = setOf(cfg.Indexes)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	errLog := log.New(io.Discard, "", 0)
	if cfg.Logf != nil {
		errLog = log.New(logfWriter(cfg.Logf), "hectest: ", 0)
	}
	s.ts = &httptest.Server{
		Listener: ln,
		Config: &http.Server{
			Handler:  http.HandlerFunc(s.serve),
			ErrorLog: errLog,
			ConnState: func(_ net.Conn, st http.ConnState) {
				if st == http.StateNew {
					s.mu.Lock()
					s.stats.Connections++
					s.mu.Unlock()
				}
			},
		},
	}
	if !cfg.TLS {
		s.ts.Start()
		s.URL = s.ts.URL
		return s, nil
	}
	if cfg.RequireClientCert {
		pool, cert, err := newClientCA()
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("client certificate authority: %w", err)
		}
		s.clientCert = cert
		s.ts.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	}
	s.ts.StartTLS()
	if cfg.RequireClientCert {
		if tr, ok := s.ts.Client().Transport.(*http.Transport); ok {
			tr.TLSClientConfig.Certificates = []tls.Certificate{s.clientCert}
		}
	}
	s.URL = s.ts.URL
	return s, nil
}

type logfWriter func(format string, args ...any)

func (f logfWriter) Write(p []byte) (int, error) {
	f("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func cloneToken(t Token) Token {
	t.Indexes = slices.Clone(t.Indexes)
	return t
}

func setOf(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// Close releases stalled requests, shuts the server down and waits for
// requests in flight, like httptest.Server.Close.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.quit) })
	s.ts.Close()
}

// Client returns an HTTP client for this server: it trusts the TLS
// certificate and, with RequireClientCert, presents ClientCertificate.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Certificate is the server's TLS certificate (nil without TLS); add it to
// a client's RootCAs.
func (s *Server) Certificate() *x509.Certificate { return s.ts.Certificate() }

// CertPool is a pool holding Certificate, for a client's RootCAs.
func (s *Server) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	if c := s.ts.Certificate(); c != nil {
		pool.AddCert(c)
	}
	return pool
}

// ClientCertificate is a client certificate the server accepts when
// RequireClientCert is set.
func (s *Server) ClientCertificate() tls.Certificate { return s.clientCert }

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.ts.Listener.Addr().String() }

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf("hectest: "+format, args...)
	}
}

// SetToken adds a token or replaces the one with the same Value.
func (s *Server) SetToken(t Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[t.Value] = cloneToken(t)
}

// RemoveToken forgets a token: requests with it get 403 code 4.
func (s *Server) RemoveToken(value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, value)
}

// SetTokenDisabled disables or enables a known token, as an admin does in
// Splunk Web. It panics on an unknown token.
func (s *Server) SetTokenDisabled(value string, disabled bool) {
	s.updateToken(value, "SetTokenDisabled", func(t *Token) { t.Disabled = disabled })
}

// SetTokenIndexes sets a token's allowed indexes; none allows any.
func (s *Server) SetTokenIndexes(value string, indexes ...string) {
	s.updateToken(value, "SetTokenIndexes", func(t *Token) { t.Indexes = slices.Clone(indexes) })
}

// SetAckDelay sets how long after acceptance a token's ackIds turn true,
// for ackIds already issued as well: a long delay holds acks back, zero
// releases them.
func (s *Server) SetAckDelay(value string, d time.Duration) {
	s.updateToken(value, "SetAckDelay", func(t *Token) { t.AckDelay = d })
}

func (s *Server) updateToken(value, op string, f func(*Token)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[value]
	if !ok {
		panic(fmt.Sprintf("hectest: %s: unknown token %q", op, value))
	}
	f(&t)
	s.tokens[value] = t
}

// SetIndexes sets the indexes that exist; with none, any index does.
func (s *Server) SetIndexes(indexes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(indexes) == 0 {
		s.indexes = nil
		return
	}
	s.indexes = setOf(indexes)
}

// Poison makes every event whose raw "event" JSON contains substr invalid
// data from now on, as if the record itself were malformed: its request
// gets 400 code 6 with its number as "invalid-event-number", and the events
// before it are indexed.
func (s *Server) Poison(substr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.poison = append(s.poison, []byte(substr))
}

// ClearPoison undoes Poison.
func (s *Server) ClearPoison() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.poison = nil
}

// FailNext makes the next n event requests (that pass authentication) fail
// with f. Calls queue up in order.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.queue = append(s.queue, f)
	}
}

// SetFaultRate makes a fraction p of event requests without a queued fault
// fail, each with one of faults chosen by the seeded generator. p == 0 or
// no faults turns it off.
func (s *Server) SetFaultRate(p float64, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate, s.rateFaults = p, slices.Clone(faults)
}

// ClearFaults drops queued faults and the fault rate.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue, s.rate, s.rateFaults = nil, 0, nil
}

// PendingFaults is the number of queued faults not yet used.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// nextFault picks the fault for an event request.
func (s *Server) nextFault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	var f Fault
	switch {
	case len(s.queue) > 0:
		f = s.queue[0]
		s.queue = s.queue[1:]
	case s.rate > 0 && len(s.rateFaults) > 0 && s.rng.Float64() < s.rate:
		f = s.rateFaults[s.rng.IntN(len(s.rateFaults))]
	}
	if f.Kind != FaultNone {
		s.stats.Faults[f.Kind.String()]++
	}
	return f
}

// Down starts a downtime: until Up, every request gets 503 and the health
// endpoint reports HEC unhealthy.
func (s *Server) Down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = true
}

// Up ends Down and forgets downtime windows.
func (s *Server) Up() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down, s.windows = false, nil
}

// SetDowntime adds a downtime window [from, to).
func (s *Server) SetDowntime(from, to time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.windows = append(s.windows, [2]time.Time{from, to})
}

func (s *Server) isDownLocked(now time.Time) bool {
	if s.down {
		return true
	}
	for _, w := range s.windows {
		if !now.Before(w[0]) && now.Before(w[1]) {
			return true
		}
	}
	return false
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.clone()
}

// EventCount is the number of events indexed so far.
func (s *Server) EventCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nrecs
}

// Events returns the indexed events in the order they were indexed; the
// events of one request are contiguous. The slice is a copy; the Fields
// maps are shared and read-only.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.materializeLocked()
	return slices.Clone(s.events)
}

// EventsBy counts indexed events by key(event): with key = Event.Text it
// shows which records arrived and how many times (duplicates count > 1).
func (s *Server) EventsBy(key func(Event) string) map[string]int {
	s.mu.Lock()
	s.materializeLocked()
	evs := s.events
	s.mu.Unlock()
	counts := make(map[string]int, len(evs))
	for i := range evs {
		counts[key(evs[i])]++
	}
	return counts
}

// Texts returns Event.Text of every indexed event, in order.
func (s *Server) Texts() []string {
	s.mu.Lock()
	s.materializeLocked()
	evs := s.events
	s.mu.Unlock()
	out := make([]string, len(evs))
	for i := range evs {
		out[i] = evs[i].text
	}
	return out
}

func (s *Server) materializeLocked() {
	if len(s.events) == s.nrecs {
		return
	}
	s.events = slices.Grow(s.events, s.nrecs-len(s.events))
	skip := len(s.events)
	for _, chunk := range s.recs {
		if skip >= len(chunk) {
			skip -= len(chunk)
			continue
		}
		for i := skip; i < len(chunk); i++ {
			s.events = append(s.events, chunk[i].materialize())
		}
		skip = 0
	}
}

// ClearEvents forgets the indexed events (counters stay).
func (s *Server) ClearEvents() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs, s.nrecs, s.events = nil, 0, nil
}

// WaitForEvents blocks until at least n events are indexed or ctx ends.
func (s *Server) WaitForEvents(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		have, ch := s.nrecs, s.changed
		s.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d events, have %d: %w", n, have, ctx.Err())
		}
	}
}

// record indexes the events of one request at once, so that they stay
// contiguous and in order.
func (s *Server) record(body []byte, evs []evSpans, channel string, request int) {
	if len(evs) == 0 {
		return
	}
	// One copy of the body backs every string of every record.
	str := string(body[:lastEnd(evs)])
	recs := newRecords(str, evs, channel, request)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, recs)
	s.nrecs += len(recs)
	s.stats.EventsAccepted += len(recs)
	s.stats.EventsSkipped += len(evs) - len(recs)
	close(s.changed)
	s.changed = make(chan struct{})
}

// lastEnd is the offset just past the last byte any span refers to.
func lastEnd(evs []evSpans) int32 {
	var end int32
	ev := &evs[len(evs)-1]
	for _, sp := range []span{ev.event, ev.time, ev.host, ev.source, ev.sourcetype, ev.index, ev.fields} {
		end = max(end, sp.b)
	}
	return end
}

// NewChannel returns a random GUID for X-Splunk-Request-Channel.
func NewChannel() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// isGUID reports whether s has the 8-4-4-4-12 hex form Splunk wants for a
// channel.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}
