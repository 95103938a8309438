package file

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowhec/flowhec/forwarder/checkpoint"
	"github.com/flowhec/flowhec/forwarder/encode"
	"github.com/flowhec/flowhec/forwarder/source"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeWriter records the chunks written to it. With autoAck it acks each
// chunk as it takes it; otherwise the test acks them, in any order.
type fakeWriter struct {
	autoAck bool
	mu      sync.Mutex
	chunks  []gotChunk
	wrote   chan struct{} // a value per chunk, if not nil
}

type gotChunk struct {
	events     []event
	count, bad int
	size       int
	ack        func()
}

type event struct {
	Source     string            `json:"source"`
	Sourcetype string            `json:"sourcetype"`
	Time       *int64            `json:"time"`
	Event      json.RawMessage   `json:"event"`
	Fields     map[string]string `json:"fields"`
}

// raw is the event's line (raw events carry it as a JSON string).
func (e event) raw() string {
	var s string
	if err := json.Unmarshal(e.Event, &s); err != nil {
		return string(e.Event)
	}
	return s
}

func (w *fakeWriter) Write(ctx context.Context, c source.Chunk) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	evs, err := decodeEvents(c.Events)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.chunks = append(w.chunks, gotChunk{events: evs, count: c.Count, bad: c.Bad, size: len(c.Events), ack: c.Ack})
	w.mu.Unlock()
	if w.autoAck {
		c.Ack()
	}
	if w.wrote != nil {
		w.wrote <- struct{}{}
	}
	return nil
}

func decodeEvents(b []byte) ([]event, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var out []event
	for {
		var e event
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("chunk does not decode as HEC events: %w", err)
		}
		out = append(out, e)
	}
}

func (w *fakeWriter) got() []gotChunk {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]gotChunk(nil), w.chunks...)
}

// events is every event of every chunk, in order.
func (w *fakeWriter) events() []event {
	var out []event
	for _, c := range w.got() {
		out = append(out, c.events...)
	}
	return out
}

func (w *fakeWriter) ackAll() {
	for _, c := range w.got() {
		c.ack()
	}
}

// line is a default-format record whose bytes field is id, so every line
// of a test is told apart by it.
func line(id int) string {
	return fmt.Sprintf("2 123456789010 eni-0a1b2c3d4e5f60001 10.0.%d.%d 172.31.1.67 %d 80 6 3 %d 1700000000 1700000060 REJECT OK",
		id/250%250, id%250, 1024+id%60000, id)
}

func lines(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = line(from + i)
	}
	return out
}

func text(ls []string) string { return strings.Join(ls, "\n") + "\n" }

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func write(t testing.TB, path string, b []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
	return path
}

type env struct {
	t     *testing.T
	dir   string // the data
	state string
	store *checkpoint.Store
	log   *syncBuffer
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, dir: t.TempDir(), state: t.TempDir(), log: &syncBuffer{}}
	e.reopen()
	t.Cleanup(func() {
		if e.store != nil {
			e.store.Close()
		}
	})
	return e
}

// reopen closes the store, as a stopping flowhec would, and opens it again.
func (e *env) reopen() {
	if e.store != nil {
		if err := e.store.Close(); err != nil {
			e.t.Fatal(err)
		}
	}
	s, err := checkpoint.Open(checkpoint.Config{Dir: e.state, SaveInterval: time.Hour}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.store = s
}

func (e *env) path(name string) string { return filepath.Join(e.dir, name) }

func (e *env) source(mod func(*Config)) *Source {
	e.t.Helper()
	cfg := DefaultConfig()
	cfg.Paths = []string{e.dir}
	cfg.Once = true
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg, encode.New(encode.Config{}), e.store, slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// once runs a once-source over the data dir to its end.
func (e *env) once(w *fakeWriter, mod func(*Config)) *Source {
	e.t.Helper()
	return e.run(w, mod)
}

func (e *env) run(w source.Writer, mod func(*Config)) *Source {
	e.t.Helper()
	s := e.source(mod)
	if err := s.Run(context.Background(), w); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) entry(path string) checkpoint.Entry {
	e.t.Helper()
	ent, _ := e.store.Get(KeyPrefix + path)
	return ent
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// raws is the lines of evs.
func raws(evs []event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.raw()
	}
	return out
}

func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d lines, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: line %d is\n%q, want\n%q", what, i, got[i], want[i])
		}
	}
}
