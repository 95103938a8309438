package hectest

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"
)

// TestKeepAlive: answers of every kind leave the connection open, so one
// client connection carries them all; only a reset opens a new one.
func TestKeepAlive(t *testing.T) {
	ackTok := "aaaaaaaa-0000-0000-0000-00000000a0c0"
	s := newServer(t, Config{Tokens: []Token{{Value: DefaultToken}, {Value: ackTok, Ack: true}}, Indexes: []string{"main"}})
	c := s.Client()
	reused := 0
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if i.Reused {
			reused++
		}
	}}
	send := func(q req) result {
		t.Helper()
		r := do(t, &http.Client{Transport: traced{c.Transport, trace}}, s.URL, q)
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r
	}
	s.FailNext(1, Busy(time.Second))
	s.FailNext(1, InternalError())
	s.FailNext(1, TooLarge())
	s.FailNext(1, BadEvent(1))
	s.FailNext(1, TooManyRequests(0))
	reqs := []req{
		{body: batch(0, 50), gzip: true}, // 503
		{body: batch(0, 50)},             // 500
		{body: batch(0, 50)},             // 413
		{body: batch(0, 50)},             // 400 bad event
		{body: batch(0, 50)},             // 429
		{body: batch(0, 50), gzip: true}, // 200
		{auth: "-", body: batch(0, 50)},  // 401
		{token: "x", body: batch(0, 50)}, // 403
		{body: `{"event":"x","index":"nope"}`},
		{body: `{"event":`},
		{body: ``},
		{token: ackTok, body: batch(0, 5)}, // 400 code 10
		{token: ackTok, channel: chanA, body: batch(0, 5)},
		{path: "/services/collector/ack", token: ackTok, channel: chanA, body: `{"acks":[0]}`},
		{path: "/services/collector/health", method: http.MethodGet},
		{path: "/nope"},
	}
	for _, q := range reqs {
		send(q)
	}
	if st := s.Stats(); st.Connections != 1 || reused != len(reqs)-1 {
		t.Errorf("%d requests used %d connections (client reused %d), want 1", len(reqs), st.Connections, reused)
	}
	s.FailNext(1, ResetAfterIndex())
	if r := do(t, c, s.URL, req{body: batch(0, 5)}); r.err == nil {
		t.Fatal("reset: no error")
	}
	send(req{body: batch(0, 5)})
	if st := s.Stats(); st.Connections != 2 {
		t.Errorf("after a reset: %d connections, want 2", st.Connections)
	}
}

type traced struct {
	rt    http.RoundTripper
	trace *httptrace.ClientTrace
}

func (t traced) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.rt.RoundTrip(r.WithContext(httptrace.WithClientTrace(r.Context(), t.trace)))
}

// TestTLS: HTTPS with httptest's certificate; the client trusts it through
// Client or CertPool, and faults behave the same over TLS.
func TestTLS(t *testing.T) {
	s := NewTLSServer(Config{Logf: t.Logf})
	defer s.Close()
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") || s.Certificate() == nil {
		t.Fatalf("URL %s, certificate %v", s.URL, s.Certificate())
	}
	if got := do(t, s.Client(), s.URL, req{body: batch(0, 3), gzip: true}); got.status != 200 {
		t.Fatalf("Client: %d %s %v", got.status, got.body, got.err)
	}
	own := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CertPool()}}
	defer own.CloseIdleConnections()
	if got := do(t, &http.Client{Transport: own}, s.URL, req{body: batch(3, 3)}); got.status != 200 {
		t.Fatalf("CertPool: %d %s %v", got.status, got.body, got.err)
	}
	untrusting := &http.Transport{}
	defer untrusting.CloseIdleConnections()
	if got := do(t, &http.Client{Transport: untrusting}, s.URL, req{body: batch(0, 1)}); got.err == nil {
		t.Error("a client without the certificate connected")
	}
	s.FailNext(1, ResetAfterIndex())
	s.FailNext(1, TruncatedResponse())
	if got := do(t, s.Client(), s.URL, req{body: batch(6, 1)}); got.err == nil {
		t.Error("reset over TLS: no error")
	}
	if got := do(t, s.Client(), s.URL, req{body: batch(7, 1)}); got.status != 200 || got.readErr == nil {
		t.Errorf("truncated over TLS: %d %v %v", got.status, got.err, got.readErr)
	}
	if s.EventCount() != 8 {
		t.Errorf("%d events, want 8", s.EventCount())
	}
}

// TestMutualTLS: with RequireClientCert only a client presenting a
// certificate from the server's client CA gets in.
func TestMutualTLS(t *testing.T) {
	s := NewTLSServer(Config{RequireClientCert: true})
	defer s.Close()
	if got := do(t, s.Client(), s.URL, req{body: batch(0, 2)}); got.status != 200 {
		t.Fatalf("Client: %d %s %v", got.status, got.body, got.err)
	}
	noCert := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CertPool()}}
	defer noCert.CloseIdleConnections()
	got := do(t, &http.Client{Transport: noCert}, s.URL, req{body: batch(0, 1)})
	if got.err == nil {
		t.Fatalf("a client without a certificate got %d", got.status)
	}
	var alert tls.AlertError
	if !errors.As(got.err, &alert) && !strings.Contains(got.err.Error(), "certificate") {
		t.Errorf("error %v, want a TLS alert about the certificate", got.err)
	}
	withCert := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CertPool(), Certificates: []tls.Certificate{s.ClientCertificate()}}}
	defer withCert.CloseIdleConnections()
	if got := do(t, &http.Client{Transport: withCert}, s.URL, req{body: batch(2, 2)}); got.status != 200 {
		t.Fatalf("client certificate: %d %s %v", got.status, got.body, got.err)
	}
	if s.EventCount() != 4 {
		t.Errorf("%d events, want 4", s.EventCount())
	}
	if _, err := Listen(Config{RequireClientCert: true}); err == nil {
		t.Error("RequireClientCert without TLS accepted")
	}
}

// TestListen: only loopback addresses.
func TestListen(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "example.com:8088", ":0", "8088"} {
		if s, err := Listen(Config{Addr: addr}); err == nil {
			s.Close()
			t.Errorf("Listen(%q) accepted", addr)
		}
	}
	s, err := Listen(Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || s.URL != "http://"+s.Addr() {
		t.Errorf("Addr %s URL %s", s.Addr(), s.URL)
	}
}
