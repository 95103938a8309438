package hectest

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// answer is one HTTP reply.
type answer struct {
	status     int
	code       int    // HEC code; -1 for a reply without Splunk's JSON
	text       string // overrides CodeText(code); the whole body when code < 0
	html       bool   // a body of code < 0 is HTML
	invalid    int    // "invalid-event-number"; -1 for none
	ackID      int64  // "ackId"; -1 for none
	retryAfter time.Duration
	raw        []byte // a JSON body as is (the ack endpoint)
}

func codeAnswer(status, code int) answer {
	return answer{status: status, code: code, invalid: -1, ackID: -1}
}

func plainAnswer(status int, text string) answer {
	return answer{status: status, code: -1, text: text, invalid: -1, ackID: -1}
}

// busy is Splunk's reply when its queues are full. Clients see it as
// 503 {"text":"Server is busy","code":9,"invalid-event-number":0}: the
// number says how many events of the request were indexed before HEC
// gave up (0: none).
func busy(indexed int, retryAfter time.Duration) answer {
	a := codeAnswer(http.StatusServiceUnavailable, CodeServerBusy)
	a.invalid, a.retryAfter = indexed, retryAfter
	return a
}

// htmlAnswer is splunkd's generic HTML error page, which is what Splunk
// sends for 413 and 415 rather than HEC JSON (checked against Splunk
// Enterprise by the HECpoc project; the page's wording here is ours).
func htmlAnswer(status int, detail string) answer {
	text := http.StatusText(status)
	a := plainAnswer(status, fmt.Sprintf(`<!doctype html><html><head><meta http-equiv="content-type" content="text/html; charset=UTF-8"><title>%d %s</title></head><body><h1>%s</h1><p>%s</p></body></html>`,
		status, text, text, detail))
	a.html = true
	return a
}

// tooLarge is the reply to a body over max_content_length: a bare 413
// with splunkd's HTML page; Splunk's table has no HEC code for it.
func tooLarge(n, limit int64) answer {
	return htmlAnswer(http.StatusRequestEntityTooLarge,
		fmt.Sprintf("Content-Length of %d too large (maximum is %d)", n, limit))
}

// notFound is Splunk's answer to an unknown path, and, with status 405, to
// a known HEC path with the wrong method: the same JSON in both cases,
// {"text":"The requested URL was not found on this server.","code":404}.
func notFound(status int) answer {
	a := codeAnswer(status, http.StatusNotFound)
	a.text = "The requested URL was not found on this server."
	return a
}

// body renders Splunk's reply JSON. Splunk orders the keys text, code, then
// invalid-event-number or ackId.
func (a answer) body() []byte {
	if a.raw != nil {
		return a.raw
	}
	if a.code < 0 {
		return []byte(a.text)
	}
	text := a.text
	if text == "" {
		text = CodeText(a.code)
	}
	b := make([]byte, 0, 80)
	b = append(b, `{"text":`...)
	b = strconv.AppendQuote(b, text)
	b = append(b, `,"code":`...)
	b = strconv.AppendInt(b, int64(a.code), 10)
	if a.invalid >= 0 {
		b = append(b, `,"invalid-event-number":`...)
		b = strconv.AppendInt(b, int64(a.invalid), 10)
	}
	if a.ackID >= 0 {
		b = append(b, `,"ackId":`...)
		b = strconv.AppendInt(b, a.ackID, 10)
	}
	return append(b, '}')
}

func (s *Server) send(w http.ResponseWriter, a answer) {
	body := a.body()
	h := w.Header()
	switch {
	case a.code >= 0 || a.raw != nil:
		// Splunk's content type for HEC replies.
		h.Set("Content-Type", "application/json; charset=UTF-8")
	case a.html:
		h.Set("Content-Type", "text/html; charset=UTF-8")
	default:
		h.Set("Content-Type", "text/plain; charset=utf-8")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if a.retryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(a.retryAfter.Seconds())), 10))
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(body)
	s.mu.Lock()
	s.stats.Status[a.status]++
	if a.code >= 0 {
		s.stats.Code[a.code]++
	}
	s.mu.Unlock()
}

// refuse answers a request that will not be indexed. It reads the body
// first so that the connection stays usable for the next request.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, what string, a answer) {
	s.drain(r)
	detail := strings.TrimSpace(string(a.body()))
	if a.html {
		detail = http.StatusText(a.status)
	}
	s.logf("%s %s: HTTP %d %s", what, r.URL.Path, a.status, detail)
	s.send(w, a)
}

func (s *Server) drain(r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, s.maxBody))
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
	// The HEC endpoints of Splunk's REST reference: services/collector,
	// services/collector/event and services/collector/event/1.0 take JSON
	// events; services/collector/ack queries indexer acknowledgement;
	// services/collector/health(/1.0) reports health.
	if r.Method == http.MethodOptions {
		// Splunk answers OPTIONS on every HEC path with an empty 200 and no
		// token needed (Docker's Splunk log driver probes the endpoint so).
		allow := "POST,OPTIONS"
		if strings.HasPrefix(r.URL.Path, "/services/collector/health") {
			allow = "GET,HEAD,OPTIONS"
		}
		s.drain(r)
		w.Header().Set("Allow", allow)
		s.send(w, answer{status: http.StatusOK, code: -1, invalid: -1, ackID: -1})
		return
	}
	switch r.URL.Path {
	case "/services/collector", "/services/collector/event", "/services/collector/event/1.0":
		s.serveEvent(w, r)
	case "/services/collector/ack":
		s.serveAck(w, r)
	case "/services/collector/health", "/services/collector/health/1.0":
		s.serveHealth(w, r)
	default:
		s.refuse(w, r, "request", notFound(http.StatusNotFound))
	}
}

// authenticate finds the request's token. Splunk takes it from
// "Authorization: Splunk <token>", from basic authentication (any user, the
// token as password), or from ?token= when the token allows query-string
// authorization. Its codes: no token 401/2, a header it cannot read 401/3,
// an unknown token 403/4, a disabled one 403/1, query-string authorization
// not allowed 400/16.
// admit is what every POST endpoint checks first, in Splunk's order: the
// method, then downtime (503 before any token check), then the token. It
// answers the refusals itself and reports whether to go on.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, what string, down bool) (Token, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST,OPTIONS")
		s.refuse(w, r, what, notFound(http.StatusMethodNotAllowed))
		return Token{}, false
	}
	if down {
		s.refuse(w, r, what+" (downtime)", busy(0, 0))
		return Token{}, false
	}
	tok, a, ok := s.authenticate(r)
	if !ok {
		s.refuse(w, r, what, a)
		return Token{}, false
	}
	return tok, true
}

func (s *Server) authenticate(r *http.Request) (Token, answer, bool) {
	h := r.Header.Get("Authorization")
	var value string
	queryString := false
	switch {
	case h == "":
		value = r.URL.Query().Get("token")
		if value == "" {
			return Token{}, codeAnswer(http.StatusUnauthorized, CodeTokenRequired), false
		}
		queryString = true
	default:
		scheme, rest, _ := strings.Cut(h, " ")
		switch {
		case strings.EqualFold(scheme, "Splunk"):
			value = strings.TrimSpace(rest)
		case strings.EqualFold(scheme, "Basic"):
			_, pw, ok := r.BasicAuth()
			if !ok {
				return Token{}, codeAnswer(http.StatusUnauthorized, CodeInvalidAuth), false
			}
			value = pw
		default:
			return Token{}, codeAnswer(http.StatusUnauthorized, CodeInvalidAuth), false
		}
		if value == "" {
			return Token{}, codeAnswer(http.StatusUnauthorized, CodeTokenRequired), false
		}
	}
	s.mu.Lock()
	tok, known := s.tokens[value]
	s.mu.Unlock()
	switch {
	case !known:
		return Token{}, codeAnswer(http.StatusForbidden, CodeInvalidToken), false
	case tok.Disabled:
		return Token{}, codeAnswer(http.StatusForbidden, CodeTokenDisabled), false
	case queryString && !tok.QueryStringAuth:
		return Token{}, codeAnswer(http.StatusBadRequest, CodeQueryStringAuthOff), false
	}
	return tok, answer{}, true
}

// requestChannel reads the channel from the X-Splunk-Request-Channel header
// or the ?channel= parameter. A token with indexer acknowledgement needs
// one (400 code 10 "Data channel is missing"); a channel that is not a GUID
// is 400 code 11 "Invalid data channel".
func (s *Server) requestChannel(r *http.Request, required bool) (string, answer, bool) {
	ch := r.Header.Get("X-Splunk-Request-Channel")
	if ch == "" {
		ch = r.URL.Query().Get("channel")
	}
	if ch == "" {
		if required && s.cfg.Cloud {
			return "", codeAnswer(http.StatusBadRequest, CodeCloudChannelMissing), false
		}
		if required {
			return "", codeAnswer(http.StatusBadRequest, CodeChannelMissing), false
		}
		return "", answer{}, true
	}
	if !isGUID(ch) {
		return "", codeAnswer(http.StatusBadRequest, CodeInvalidChannel), false
	}
	return ch, answer{}, true
}

func (s *Server) serveEvent(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.EventRequests++
	s.eventReqs++
	reqNo := s.eventReqs
	down := s.isDownLocked(time.Now())
	if down {
		s.stats.Faults["downtime"]++
	}
	s.mu.Unlock()
	what := "event request " + strconv.Itoa(reqNo)

	tok, ok := s.admit(w, r, what, down)
	if !ok {
		return
	}
	channel, a, ok := s.requestChannel(r, tok.Ack)
	if !ok {
		s.refuse(w, r, what, a)
		return
	}

	f := s.nextFault()
	if f.Kind != FaultNone {
		s.logf("%s: fault %s", what, f)
	}
	if f.Kind == FaultResetBeforeBody {
		s.reset(w)
		return
	}
	rb, a, err := s.readBody(r, f)
	if err != nil {
		s.logf("%s: reading the body: %v", what, err)
		if errors.Is(err, errClosing) {
			s.reset(w)
		}
		return
	}
	defer rb.release()
	if a.status == http.StatusRequestEntityTooLarge {
		// Not drained: reading a body past the limit is what the limit is
		// there to avoid. net/http closes the connection if much is left.
		s.logf("%s: HTTP 413, body over %d bytes", what, s.maxBody)
		s.send(w, a)
		return
	}
	if a.status != 0 {
		s.refuse(w, r, what, a)
		return
	}
	if s.answerFault(w, r, f, rb) {
		return
	}
	// An empty body, or one with only whitespace, is 400 code 5 "No data".
	if onlySpace(rb.body) {
		s.refuse(w, r, what, codeAnswer(http.StatusBadRequest, CodeNoData))
		return
	}
	if s.cfg.Cloud && len(rb.body) > CloudMaxBody {
		a := codeAnswer(http.StatusBadRequest, CodeInvalidDataFormat)
		a.invalid = 0
		s.refuse(w, r, what+" (over Splunk Cloud's body cap)", a)
		return
	}
	s.index(w, r, what, reqNo, tok, channel, f, rb.body)
}

// answerFault answers for the faults that refuse a request once its body
// is read, and holds a stalled one; it reports whether r is done with.
func (s *Server) answerFault(w http.ResponseWriter, r *http.Request, f Fault, rb *reqBody) bool {
	switch f.Kind {
	case FaultBusy:
		s.send(w, busy(0, f.RetryAfter))
	case FaultTooManyRequests:
		// Splunk's own table has no 429; it comes from what stands in front
		// of HEC (load balancers, Splunk Cloud ingest limits), so the body
		// is not HEC JSON.
		a := plainAnswer(http.StatusTooManyRequests, "Too Many Requests\n")
		a.retryAfter = f.RetryAfter
		s.send(w, a)
	case FaultInternalError:
		s.send(w, codeAnswer(http.StatusInternalServerError, CodeInternalError))
	case FaultTooLarge:
		s.send(w, tooLarge(int64(len(rb.wire.Bytes())), s.maxBody))
	case FaultStall:
		return !s.hold(w, r, f.Duration)
	default:
		return false
	}
	return true
}

// index parses a request's events, indexes those Splunk would, and answers.
func (s *Server) index(w http.ResponseWriter, r *http.Request, what string, reqNo int, tok Token, channel string, f Fault, body []byte) {
	rl := s.rulesFor(tok)
	spans := spanPool.Get().(*[]evSpans)
	defer func() {
		if cap(*spans) <= 1<<20 {
			spanPool.Put(spans)
		}
	}()
	res := parseInto(*spans, body, &rl)
	*spans = res.events
	if res.bad < 0 && len(res.events) == 0 {
		s.refuse(w, r, what, codeAnswer(http.StatusBadRequest, CodeNoData)) // "[]"
		return
	}
	cut, code, status := len(res.events), res.code, http.StatusBadRequest
	failed := res.bad >= 0 && code != codeStop
	switch f.Kind {
	case FaultBadEvent, FaultBusyAfter:
		if k, ok := pickEvent(body, res, f); ok && (res.bad < 0 || k < res.bad) {
			cut, code, failed = k, CodeInvalidDataFormat, true
			if f.Kind == FaultBusyAfter {
				code, status = CodeServerBusy, http.StatusServiceUnavailable
			}
		}
	}

	// Splunk indexes the events before the first bad one, and they stay
	// indexed whatever it answers.
	if f.Kind != FaultLoseAckAndEvents {
		s.record(body, res.events[:cut], channel, reqNo)
	}
	lost := f.Kind == FaultLoseAck || f.Kind == FaultLoseAckAndEvents
	if failed {
		a := codeAnswer(status, code)
		a.invalid = cut
		if code == CodeIncorrectIndex {
			// Splunk numbers the event one higher for code 7 than for the
			// other codes: a request of one event to a forbidden index gets
			// {"text":"Incorrect index","code":7,"invalid-event-number":1}.
			a.invalid++
		}
		if tok.Ack && cut > 0 && status == http.StatusBadRequest {
			// With acknowledgement on, the events before the bad one are
			// tracked like any accepted request: Splunk 10.4 answers
			// {"text":"Invalid data format","code":6,"invalid-event-number":1,"ackId":0}
			// for a bad object 1, and carries no ackId for a bad object 0.
			a.ackID = s.issueAck(channel, tok.Value, lost)
		}
		s.logf("%s: HTTP %d %s (%d events before it indexed)", what, a.status, a.body(), cut)
		s.send(w, a)
		return
	}
	if code == codeStop && cut == 0 {
		// An unknown key in the first object: Splunk indexes nothing and
		// answers "No data".
		s.logf("%s: unknown key in event 0: HTTP 400 code 5", what)
		s.send(w, codeAnswer(http.StatusBadRequest, CodeNoData))
		return
	}
	if code == codeStop {
		s.logf("%s: unknown key in event %d: it and the events after it dropped, HTTP 200", what, cut)
	}

	a := codeAnswer(http.StatusOK, CodeSuccess)
	if tok.Ack {
		a.ackID = s.issueAck(channel, tok.Value, lost)
	}
	switch f.Kind {
	case FaultResetAfterIndex:
		s.reset(w)
		return
	case FaultStallAfterIndex:
		if !s.hold(w, r, f.Duration) {
			return
		}
	case FaultTruncatedResponse:
		s.truncate(w, a)
		return
	}
	s.send(w, a)
}

// rulesFor snapshots the per-event rules for a token.
func (s *Server) rulesFor(tok Token) rules {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rl rules
	if s.indexes != nil {
		rl.indexes = append(rl.indexes, s.indexes)
	}
	if len(tok.Indexes) > 0 {
		rl.indexes = append(rl.indexes, setOf(tok.Indexes))
	}
	rl.poison = s.poison
	return rl
}

// pickEvent finds the event a BadEvent or BusyAfter fault refuses.
func pickEvent(body []byte, res parseResult, f Fault) (int, bool) {
	n := len(res.events)
	if f.Contains != "" {
		needle := []byte(f.Contains)
		for i := range res.events {
			if bytes.Contains(body[res.events[i].event.a:res.events[i].event.b], needle) {
				return i, true
			}
		}
		return 0, false
	}
	k := max(f.Event, 0)
	if res.bad >= 0 {
		return k, true // a k at or past the bad event leaves the bad event to answer
	}
	if n == 0 {
		return 0, false
	}
	return min(k, n-1), true
}

var errClosing = errors.New("server closing")

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var gzPool sync.Pool // *gzip.Reader

var spanPool = sync.Pool{New: func() any { return new([]evSpans) }}

// reqBody is a request body as sent (wire) and decoded (body).
type reqBody struct {
	wire, dec *bytes.Buffer
	body      []byte
}

func (b *reqBody) release() {
	for _, buf := range []*bytes.Buffer{b.wire, b.dec} {
		if buf != nil && buf.Cap() <= 64<<20 {
			buf.Reset()
			bufPool.Put(buf)
		}
	}
	b.wire, b.dec, b.body = nil, nil, nil
}

// readBody reads and decodes a request body. A non-zero answer refuses the
// request; an error means there is no one left to answer.
func (s *Server) readBody(r *http.Request, f Fault) (*reqBody, answer, error) {
	rb := &reqBody{}
	limit := s.maxBody
	// max_content_length applies to the body as sent, so a gzip body is
	// measured compressed.
	if r.ContentLength > limit {
		return rb, tooLarge(r.ContentLength, limit), nil
	}
	var src io.Reader = r.Body
	if f.Kind == FaultSlowRead && f.BytesPerSecond > 0 {
		src = &slowReader{r: r.Body, rate: f.BytesPerSecond, start: time.Now(), quit: s.quit}
	}
	rb.wire = bufPool.Get().(*bytes.Buffer)
	if r.ContentLength > 0 {
		rb.wire.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	n, err := rb.wire.ReadFrom(io.LimitReader(src, limit+1))
	if err != nil {
		return rb, answer{}, err
	}
	if n > limit {
		return rb, tooLarge(n, limit), nil
	}
	wire := rb.wire.Bytes()
	gz := false
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		rb.body = wire
	case "gzip":
		// HEC accepts gzip bodies (Content-Encoding: gzip); a body that does
		// not decompress is invalid data, code 6.
		gz = true
		if len(wire) == 0 {
			break
		}
		rb.dec = bufPool.Get().(*bytes.Buffer)
		if err := gunzip(rb.dec, wire); err != nil {
			a := codeAnswer(http.StatusBadRequest, CodeInvalidDataFormat)
			s.countBody(n, 0, gz)
			return rb, a, nil
		}
		rb.body = rb.dec.Bytes()
	default:
		// Splunk decodes gzip only; deflate or anything else is 415.
		s.countBody(n, 0, false)
		return rb, htmlAnswer(http.StatusUnsupportedMediaType, "Unsupported Content-Encoding "+strconv.Quote(enc)), nil
	}
	s.countBody(n, int64(len(rb.body)), gz)
	return rb, answer{}, nil
}

func (s *Server) countBody(wire, decoded int64, gz bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.BytesReceived += wire
	s.stats.BytesDecoded += decoded
	if gz {
		s.stats.GzipRequests++
	}
}

func gunzip(dst *bytes.Buffer, src []byte) error {
	zr, _ := gzPool.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(bytes.NewReader(src))
	} else {
		err = zr.Reset(bytes.NewReader(src))
	}
	if err != nil {
		return err
	}
	// The gzip trailer holds the decoded size (mod 4 GiB): room for it and
	// for ReadFrom's last probe means no copying while decoding.
	hint := 4 * len(src)
	if n := len(src); n >= 18 {
		if isize := int(binary.LittleEndian.Uint32(src[n-4:])); isize < 1<<30 {
			hint = isize
		}
	}
	dst.Grow(hint + bytes.MinRead)
	_, err = dst.ReadFrom(zr)
	if err == nil {
		gzPool.Put(zr)
	}
	return err
}

// slowReader reads at rate bytes per second.
type slowReader struct {
	r     io.Reader
	rate  int
	start time.Time
	n     int64
	quit  <-chan struct{}
}

func (sr *slowReader) Read(p []byte) (int, error) {
	if chunk := max(1, sr.rate/20); len(p) > chunk {
		p = p[:chunk]
	}
	n, err := sr.r.Read(p)
	sr.n += int64(n)
	due := sr.start.Add(time.Duration(float64(sr.n) / float64(sr.rate) * float64(time.Second)))
	if wait := time.Until(due); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-sr.quit:
			return n, errClosing
		}
	}
	return n, err
}

// hold waits d (until the client leaves when d == 0). It reports whether
// the request should still be answered; when the server closes meanwhile
// it drops the connection rather than send an answer it never decided.
func (s *Server) hold(w http.ResponseWriter, r *http.Request, d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-r.Context().Done():
		return false
	case <-s.quit:
		s.reset(w)
		return false
	}
}

// reset closes the connection under the request without an answer, with
// SO_LINGER 0 so that the client sees a TCP reset.
func (s *Server) reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("hectest: connection cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn() // no close_notify: the peer just vanishes
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	s.mu.Lock()
	s.stats.ConnectionsReset++
	s.mu.Unlock()
	_ = raw.Close()
}

// truncate sends the status line, headers and half of a's body, then
// closes the connection.
func (s *Server) truncate(w http.ResponseWriter, a answer) {
	body := a.body()
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("hectest: connection cannot be hijacked")
	}
	conn, bufrw, err := hj.Hijack()
	if err != nil {
		return
	}
	fmt.Fprintf(bufrw, "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: %d\r\n\r\n",
		a.status, http.StatusText(a.status), len(body))
	_, _ = bufrw.Write(body[:len(body)/2])
	s.mu.Lock()
	s.stats.Truncated++
	s.mu.Unlock()
	_ = bufrw.Flush()
	_ = conn.Close()
}

// serveHealth answers GET /services/collector/health like Splunk: 200
// {"text":"HEC is healthy","code":17}, or 503 code 18 "HEC is unhealthy,
// queues are full" during a downtime. Splunk ignores any token here.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.HealthRequests++
	down := s.isDownLocked(time.Now())
	s.mu.Unlock()
	s.drain(r)
	if down {
		s.send(w, codeAnswer(http.StatusServiceUnavailable, CodeUnhealthy))
		return
	}
	s.send(w, codeAnswer(http.StatusOK, CodeHealthy))
}

// serveAck answers POST /services/collector/ack {"acks":[0,1,2]} with
// {"acks":{"0":true,"1":false,"2":false}}. An ackId answers true once its
// events are indexed; Splunk then forgets it, so it answers false ever
// after, as it does for ids it never issued.
func (s *Server) serveAck(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.AckRequests++
	down := s.isDownLocked(time.Now())
	s.mu.Unlock()
	const what = "ack request"
	tok, ok := s.admit(w, r, what, down)
	if !ok {
		return
	}
	if !tok.Ack {
		s.refuse(w, r, what, codeAnswer(http.StatusBadRequest, CodeAckDisabled))
		return
	}
	channel, a, ok := s.requestChannel(r, true)
	if !ok {
		s.refuse(w, r, what, a)
		return
	}
	rb, a, err := s.readBody(r, Fault{})
	if err != nil {
		return
	}
	defer rb.release()
	if a.status != 0 {
		s.refuse(w, r, what, a)
		return
	}
	var q struct {
		Acks []int64 `json:"acks"`
	}
	if err := json.Unmarshal(rb.body, &q); err != nil || q.Acks == nil {
		s.refuse(w, r, what, codeAnswer(http.StatusBadRequest, CodeInvalidDataFormat))
		return
	}
	ok2 := s.queryAcks(channel, q.Acks, time.Now())
	b := append(make([]byte, 0, 16+12*len(q.Acks)), `{"acks":{`...)
	seen := make(map[int64]bool, len(q.Acks))
	first := true
	for i, id := range q.Acks {
		if seen[id] {
			continue
		}
		seen[id] = true
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = strconv.AppendInt(b, id, 10)
		b = append(b, `":`...)
		b = strconv.AppendBool(b, ok2[i])
	}
	b = append(b, "}}"...)
	s.send(w, answer{status: http.StatusOK, code: -1, invalid: -1, ackID: -1, raw: b})
}

// ackChannel is the indexer-acknowledgement state of one channel: ackIds
// count up from 0 per channel.
type ackChannel struct {
	next    int64
	pending map[int64]pendingAck
}

type pendingAck struct {
	issued time.Time
	token  string // whose AckDelay, read when asked, says when it turns true
}

// issueAck hands out the channel's next ackId. A lost ack is never
// remembered, so it answers false like an unknown id.
func (s *Server) issueAck(channel, token string, lost bool) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	if c == nil {
		c = &ackChannel{pending: map[int64]pendingAck{}}
		s.channels[channel] = c
	}
	id := c.next
	c.next++
	s.stats.AcksIssued++
	if lost {
		s.stats.AcksLost++
		return id
	}
	c.pending[id] = pendingAck{issued: time.Now(), token: token}
	return id
}

// queryAcks answers an ack query in the order asked; an id asked twice in
// one query is true at most at its first place.
func (s *Server) queryAcks(channel string, ids []int64, now time.Time) []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]bool, len(ids))
	c := s.channels[channel]
	if c == nil {
		return out
	}
	for i, id := range ids {
		p, ok := c.pending[id]
		if ok && !now.Before(p.issued.Add(s.tokens[p.token].AckDelay)) {
			out[i] = true
			delete(c.pending, id)
			s.stats.AcksTrue++
		}
	}
	return out
}
