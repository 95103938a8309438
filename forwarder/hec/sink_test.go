package hec

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flowhec/flowhec/forwarder/hec/hectest"
	"github.com/flowhec/flowhec/forwarder/queue"
	"github.com/flowhec/flowhec/forwarder/source"
	"github.com/flowhec/flowhec/internal/syncbuf"
)

// testSink is a sink over a memory queue, aimed at srv, with fast retries.
type testSink struct {
	*Sink
	q    *queue.Memory
	logs *syncbuf.Buffer
	dir  string
}

func newTestSink(t *testing.T, srv *hectest.Server, edit func(*Config)) *testSink {
	t.Helper()
	cfg := DefaultConfig()
	cfg.URLs = []string{srv.URL}
	cfg.Token = hectest.DefaultToken
	cfg.BatchBytes = 64 << 10
	cfg.BatchAge = 20 * time.Millisecond
	cfg.Timeout = 2 * time.Second
	cfg.HealthCheck = 50 * time.Millisecond
	cfg.Retry = RetryConfig{InitialInterval: 5 * time.Millisecond, MaxInterval: 50 * time.Millisecond, ConfigErrorInterval: 50 * time.Millisecond}
	cfg.Ack.PollInterval = 10 * time.Millisecond
	cfg.Ack.Timeout = 2 * time.Second
	dir := t.TempDir()
	cfg.DeadLetter = filepath.Join(dir, "dead")
	if edit != nil {
		edit(&cfg)
	}
	logs := &syncbuf.Buffer{}
	q := queue.NewMemory(64 << 20)
	s, err := New(cfg, q, zerolog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	ts := &testSink{Sink: s, q: q, logs: logs, dir: dir}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
		_ = q.Close()
	})
	return ts
}

// event is one HEC event whose raw text is "rec-<i>", so tests can count
// what arrived by id.
func event(i int) []byte {
	return fmt.Appendf(nil, `{"time":%d,"source":"test","sourcetype":"aws:cloudwatchlogs:vpcflow","event":"rec-%d"}`, 1700000000+i, i)
}

// writeEvents writes n events in chunks of per, and counts the chunk acks.
func writeEvents(t *testing.T, w source.Writer, n, per int, acked *atomic.Int64) {
	t.Helper()
	for i := 0; i < n; i += per {
		var buf []byte
		k := 0
		for j := i; j < min(n, i+per); j++ {
			buf = append(buf, event(j)...)
			k++
		}
		err := w.Write(context.Background(), source.Chunk{Events: buf, Count: k, Ack: func() { acked.Add(int64(k)) }})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func drain(t *testing.T, s *testSink, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := s.Drain(ctx); err != nil {
		t.Fatalf("drain: %v\nlogs:\n%s", err, s.logs.String())
	}
}

// countByID counts arrivals of each rec-<i> at the server.
func countByID(srv *hectest.Server) map[string]int {
	return srv.EventsBy(func(e hectest.Event) string { return e.Text() })
}

func assertAllOnce(t *testing.T, srv *hectest.Server, n int, allowDup bool) (dups int) {
	t.Helper()
	got := countByID(srv)
	for i := range n {
		c := got[fmt.Sprintf("rec-%d", i)]
		if c == 0 {
			t.Fatalf("rec-%d never arrived (%d distinct of %d)", i, len(got), n)
		}
		if c > 1 && !allowDup {
			t.Fatalf("rec-%d arrived %d times", i, c)
		}
		dups += c - 1
	}
	return dups
}

func TestDeliversEverythingAndAcksChunks(t *testing.T) {
	srv := hectest.NewServer(hectest.Config{})
	defer srv.Close()
	s := newTestSink(t, srv, nil)
	var acked atomic.Int64
	writeEvents(t, s.Writer(), 5000, 100, &acked)
	drain(t, s, 10*time.Second)
	assertAllOnce(t, srv, 5000, false)
	if acked.Load() != 5000 {
		t.Fatalf("chunk acks cover %d events, want 5000", acked.Load())
	}
	st := s.Stats()
	if st.EventsSent != 5000 || st.Batches == 0 {
		t.Fatalf("stats: %+v", st)
	}
	if srv.Stats().GzipRequests != srv.Stats().EventRequests {
		t.Fatalf("not every request was gzipped: %+v", srv.Stats())
	}
}

func TestConfigErrorHoldsDataUntilFixed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(*hectest.Server)
		fix    func(*hectest.Server)
		fixes  string
	}{
		{"disabled token",
			func(s *hectest.Server) { s.SetTokenDisabled(hectest.DefaultToken, true) },
			func(s *hectest.Server) { s.SetTokenDisabled(hectest.DefaultToken, false) },
			"disabled"},
		{"missing index",
			func(s *hectest.Server) { s.SetIndexes("other") },
			func(s *hectest.Server) { s.SetIndexes("other", "flows") },
			"index"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := hectest.NewServer(hectest.Config{})
			defer srv.Close()
			tc.break_(srv)
			s := newTestSink(t, srv, nil)
			var acked atomic.Int64
			w := s.Writer()
			buf := []byte(`{"index":"flows","event":"rec-0"}{"index":"flows","event":"rec-1"}`)
			if err := w.Write(context.Background(), source.Chunk{Events: buf, Count: 2, Ack: func() { acked.Add(2) }}); err != nil {
				t.Fatal(err)
			}
			_ = w.Flush(context.Background())
			time.Sleep(300 * time.Millisecond)
			if srv.EventCount() != 0 || acked.Load() != 0 {
				t.Fatalf("events indexed or acked while HEC refused the config")
			}
			if s.Stats().ConfigErrors < 2 {
				t.Fatalf("config error not retried: %+v", s.Stats())
			}
			logs := s.logs.String()
			if strings.Count(logs, "HEC refuses the configuration") != 1 {
				t.Fatalf("want the config error logged exactly once, logs:\n%s", logs)
			}
			if !strings.Contains(logs, tc.fixes) {
				t.Fatalf("log does not say what to fix (%q):\n%s", tc.fixes, logs)
			}
			if strings.Contains(logs, hectest.DefaultToken) {
				t.Fatal("the token appears in the logs")
			}
			tc.fix(srv)
			drain(t, s, 5*time.Second)
			assertAllOnce(t, srv, 2, false)
			if acked.Load() != 2 {
				t.Fatalf("acked %d, want 2", acked.Load())
			}
			if !strings.Contains(s.logs.String(), "accepts the configuration again") {
				t.Fatal("recovery not logged")
			}
		})
	}
}

func TestBadEventIsDeadLetteredAndTheRestDelivered(t *testing.T) {
	srv := hectest.NewServer(hectest.Config{})
	defer srv.Close()
	s := newTestSink(t, srv, nil)
	srv.Poison(`"rec-123"`)
	var acked atomic.Int64
	writeEvents(t, s.Writer(), 500, 50, &acked)
	drain(t, s, 10*time.Second)
	got := countByID(srv)
	for i := range 500 {
		want := 1
		if i == 123 {
			want = 0
		}
		if got[fmt.Sprintf("rec-%d", i)] != want {
			t.Fatalf("rec-%d arrived %d times, want %d", i, got[fmt.Sprintf("rec-%d", i)], want)
		}
	}
	if acked.Load() != 500 {
		t.Fatalf("acked %d, want 500: a dead-lettered event counts as handled", acked.Load())
	}
	dl := readDeadLetters(t, filepath.Join(s.dir, "dead", "deadletter.jsonl"))
	if len(dl) != 1 || !strings.Contains(string(dl[0].Event), "rec-123") || dl[0].Code != 6 || dl[0].Reason == "" {
		t.Fatalf("dead letters: %+v", dl)
	}
	if s.Stats().DeadLettered != 1 {
		t.Fatalf("stats: %+v", s.Stats())
	}
}

func readDeadLetters(t *testing.T, path string) []deadLetterEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []deadLetterEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e deadLetterEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("dead-letter line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

func TestTooLargeSplitsTheBatch(t *testing.T) {
	// A server that takes at most 2 KB per request, against 64 KB batches
	// sent uncompressed: every batch is split until its parts fit.
	srv := hectest.NewServer(hectest.Config{MaxContentLength: 2048})
	defer srv.Close()
	s := newTestSink(t, srv, func(c *Config) { c.GzipLevel = 0 })
	var acked atomic.Int64
	writeEvents(t, s.Writer(), 300, 30, &acked)
	drain(t, s, 10*time.Second)
	assertAllOnce(t, srv, 300, false)
	if s.Stats().Splits == 0 || acked.Load() != 300 {
		t.Fatalf("splits %d acked %d", s.Stats().Splits, acked.Load())
	}
}

func TestIndexerAcknowledgement(t *testing.T) {
	srv := hectest.NewServer(hectest.Config{Tokens: []hectest.Token{{Value: hectest.DefaultToken, Ack: true, AckDelay: 100 * time.Millisecond}}})
	defer srv.Close()
	s := newTestSink(t, srv, func(c *Config) { c.Ack.Enabled = true; c.Ack.Timeout = 500 * time.Millisecond })
	var acked atomic.Int64
	w := s.Writer()
	writeEvents(t, w, 200, 20, &acked)
	_ = w.Flush(context.Background())
	// Indexed, but not yet acknowledged: the chunks must not be acked.
	if err := srv.WaitForEvents(context.Background(), 200); err != nil {
		t.Fatal(err)
	}
	if acked.Load() == 200 {
		t.Fatal("chunks acked before the indexers acknowledged them")
	}
	drain(t, s, 5*time.Second)
	if acked.Load() != 200 || s.Stats().Acked == 0 || s.Stats().AckTimeouts != 0 {
		t.Fatalf("acked %d stats %+v", acked.Load(), s.Stats())
	}
	assertAllOnce(t, srv, 200, false)
}

func TestLostAckIsResentAfterTimeout(t *testing.T) {
	srv := hectest.NewServer(hectest.Config{Tokens: []hectest.Token{{Value: hectest.DefaultToken, Ack: true}}})
	defer srv.Close()
	s := newTestSink(t, srv, func(c *Config) { c.Ack.Enabled = true; c.Ack.Timeout = 200 * time.Millisecond })
	srv.FailNext(1, hectest.LoseAck())
	var acked atomic.Int64
	writeEvents(t, s.Writer(), 100, 100, &acked)
	drain(t, s, 5*time.Second)
	dups := assertAllOnce(t, srv, 100, true)
	st := s.Stats()
	if st.AckTimeouts != 1 || dups != 100 || st.ResentEvents < 100 {
		t.Fatalf("ack timeouts %d duplicates %d resent %d", st.AckTimeouts, dups, st.ResentEvents)
	}
}

func TestTruncatedSuccessIsNotResent(t *testing.T) {
	srv := hectest.NewServer(hectest.Config{})
	defer srv.Close()
	s := newTestSink(t, srv, nil)
	srv.FailNext(1, hectest.TruncatedResponse())
	var acked atomic.Int64
	writeEvents(t, s.Writer(), 50, 50, &acked)
	drain(t, s, 5*time.Second)
	assertAllOnce(t, srv, 50, false)
	if srv.Stats().Truncated != 1 || s.Stats().Unconfirmed != 1 {
		t.Fatalf("server %+v sink %+v", srv.Stats(), s.Stats())
	}
}

func TestFailoverToHealthyEndpoint(t *testing.T) {
	good := hectest.NewServer(hectest.Config{})
	defer good.Close()
	bad := hectest.NewServer(hectest.Config{})
	bad.Close() // nothing listens there any more
	s := newTestSink(t, good, func(c *Config) { c.URLs = []string{bad.URL, good.URL} })
	var acked atomic.Int64
	writeEvents(t, s.Writer(), 1000, 50, &acked)
	drain(t, s, 10*time.Second)
	assertAllOnce(t, good, 1000, false)
	var down bool
	for _, ep := range s.Stats().Endpoints {
		if ep.URL == bad.URL && !ep.Healthy {
			down = true
		}
	}
	if !down {
		t.Fatalf("dead endpoint still in rotation: %+v", s.Stats().Endpoints)
	}
}

func TestEndpointComesBackAfterHealthCheck(t *testing.T) {
	srv := hectest.NewServer(hectest.Config{})
	defer srv.Close()
	s := newTestSink(t, srv, nil)
	srv.Down()
	var acked atomic.Int64
	writeEvents(t, s.Writer(), 100, 10, &acked)
	_ = s.Writer().Flush(context.Background())
	time.Sleep(200 * time.Millisecond)
	if srv.EventCount() != 0 {
		t.Fatal("events indexed during downtime")
	}
	srv.Up()
	drain(t, s, 5*time.Second)
	assertAllOnce(t, srv, 100, false)
}

func TestTLS(t *testing.T) {
	srv := hectest.NewTLSServer(hectest.Config{})
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	writeCertPEM(t, caFile, srv)

	t.Run("verified with ca_file", func(t *testing.T) {
		s := newTestSink(t, srv, func(c *Config) { c.TLS.CAFile = caFile })
		var acked atomic.Int64
		writeEvents(t, s.Writer(), 10, 10, &acked)
		drain(t, s, 5*time.Second)
		if acked.Load() != 10 {
			t.Fatal("not delivered over TLS")
		}
	})
	t.Run("unknown CA is a config error naming ca_file", func(t *testing.T) {
		s := newTestSink(t, srv, nil)
		var acked atomic.Int64
		writeEvents(t, s.Writer(), 10, 10, &acked)
		_ = s.Writer().Flush(context.Background())
		deadline := time.Now().Add(3 * time.Second)
		for !strings.Contains(s.logs.String(), "hec.tls.ca_file") {
			if time.Now().After(deadline) {
				t.Fatalf("no TLS fix in logs:\n%s", s.logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		if acked.Load() != 0 {
			t.Fatal("delivered to an unverified server")
		}
	})
}

func TestMutualTLS(t *testing.T) {
	srv, err := hectest.Listen(hectest.Config{TLS: true, RequireClientCert: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	writeCertPEM(t, caFile, srv)
	cert := srv.ClientCertificate()
	certFile, keyFile := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newTestSink(t, srv, func(c *Config) { c.TLS.CAFile, c.TLS.CertFile, c.TLS.KeyFile = caFile, certFile, keyFile })
	var acked atomic.Int64
	writeEvents(t, s.Writer(), 20, 10, &acked)
	drain(t, s, 5*time.Second)
	assertAllOnce(t, srv, 20, false)

	// Without the client certificate the server refuses the handshake:
	// nothing is delivered, and nothing is lost either.
	bare := newTestSink(t, srv, func(c *Config) { c.TLS.CAFile = caFile })
	var none atomic.Int64
	writeEvents(t, bare.Writer(), 5, 5, &none)
	_ = bare.Writer().Flush(context.Background())
	time.Sleep(300 * time.Millisecond)
	if none.Load() != 0 || bare.q.Stats().Pending+bare.q.Stats().InFlight != 1 {
		t.Fatalf("acked %d, queue %+v", none.Load(), bare.q.Stats())
	}
}

func writeCertPEM(t *testing.T, path string, srv *hectest.Server) {
	t.Helper()
	block := &pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
}
