package file

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowhec/flowhec/forwarder/encode"
	"github.com/flowhec/flowhec/forwarder/source"
)

// TestEveryLineOnce: every line of a set of files (plain, gzip, gzip of
// two members, with and without header, in subdirectories) arrives exactly
// once, in file order, in chunks that respect MaxChunkBytes.
func TestEveryLineOnce(t *testing.T) {
	e := newEnv(t)
	want := map[string][]string{}
	add := func(name string, ls []string, b []byte) {
		want[e.path(name)] = ls
		write(t, e.path(name), b)
	}
	a := lines(0, 5000)
	add("a.log", a, []byte(text(a)))
	b := lines(10000, 4000)
	add("AWSLogs/123456789010/vpcflowlogs/eu-west-1/2024/05/01/b.log.gz", b, gz(t, header+"\n"+text(b)))
	c1, c2 := lines(20000, 700), lines(30000, 900)
	add("sub/c.log.gz", append(slices.Clone(c1), c2...), append(gz(t, text(c1)), gz(t, text(c2))...))
	write(t, e.path("empty.log"), nil) // nothing to read, nothing to remember

	w := &fakeWriter{autoAck: true}
	s := e.once(w, nil)

	got := map[string][]string{}
	for _, c := range w.got() {
		if c.size > source.MaxChunkBytes {
			t.Errorf("chunk of %d bytes, over MaxChunkBytes", c.size)
		}
		if c.count != len(c.events) || c.bad != 0 {
			t.Errorf("chunk says %d events (%d bad), has %d", c.count, c.bad, len(c.events))
		}
		for _, ev := range c.events {
			got[ev.Source] = append(got[ev.Source], ev.raw())
		}
	}
	for path, ls := range want {
		equalLines(t, path, got[path], ls)
	}
	if len(got) != 3 {
		t.Errorf("events from %d sources, want 3", len(got))
	}
	st := s.Stats()
	if st.Records != 5000+4000+1600 || st.BadLines != 0 || st.FilesFinished != 3 || st.ReadErrors != 0 {
		t.Errorf("stats %+v", st)
	}
	if len(w.got()) < 6 {
		t.Errorf("%d chunks: the test wants files of several chunks", len(w.got()))
	}
	if err := s.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	for path := range want {
		if ent := e.entry(path); !ent.Finished {
			t.Errorf("%s: not finished: %+v", path, ent)
		}
	}
	if _, ok := e.store.Get(KeyPrefix + e.path("empty.log")); ok {
		t.Error("an empty file has a checkpoint")
	}
}

// TestCheckpointOnlyContiguous: the checkpoint moves to the end of the last
// chunk before which every chunk is acked, whatever order acks come in.
func TestCheckpointOnlyContiguous(t *testing.T) {
	e := newEnv(t)
	path := write(t, e.path("a.log"), []byte(text(lines(0, 6000))))
	w := &fakeWriter{}
	s := e.once(w, nil)
	chunks := w.got()
	if len(chunks) < 4 {
		t.Fatalf("%d chunks, want at least 4", len(chunks))
	}
	// Offset after chunk i: its last line's end.
	ends := make([]int64, len(chunks))
	var n int
	for i, c := range chunks {
		n += len(c.events)
		ends[i] = int64(len(text(lines(0, n))))
	}
	check := func(want int64, finished bool) {
		t.Helper()
		ent := e.entry(path)
		if ent.Offset != want || ent.Finished != finished {
			t.Fatalf("checkpoint %d finished=%v, want %d finished=%v", ent.Offset, ent.Finished, want, finished)
		}
	}
	check(0, false)
	chunks[2].ack()
	chunks[1].ack()
	check(0, false) // chunk 0 outstanding: nothing moves
	chunks[0].ack()
	check(ends[2], false)
	chunks[0].ack() // a second ack changes nothing
	check(ends[2], false)
	for i := len(chunks) - 1; i >= 3; i-- {
		chunks[i].ack()
		if i > 3 {
			check(ends[2], false)
		}
	}
	check(ends[len(ends)-1], true)
	if got := s.Stats().DuplicateAcks; got != 1 {
		t.Errorf("duplicate acks %d, want 1", got)
	}
	if s.Pending() != 0 {
		t.Errorf("pending %d", s.Pending())
	}
}

// TestRestartResendsUnackedSuffix: stop with some chunks acked out of
// order; a new store and source over the same state dir send exactly the
// lines from the first unacked chunk on: nothing lost, nothing before it
// sent again. For plain, gzip and header-bearing files.
func TestRestartResendsUnackedSuffix(t *testing.T) {
	custom := "version vpc-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags"
	customLine := func(i int) string {
		return "5 vpc-0123456789abcdef0 10.0.0.1 172.31.1.67 1024 80 6 3 " + strconv.Itoa(i) + " 1700000000 1700000060 REJECT OK 2"
	}
	var customLines []string
	for i := range 5000 {
		customLines = append(customLines, customLine(i))
	}
	for _, tc := range []struct {
		name   string
		file   string
		lines  []string
		data   func(t *testing.T, ls []string) []byte
		format string // sourcetype wanted after the restart
	}{
		{"plain", "a.log", lines(0, 5000), func(t *testing.T, ls []string) []byte { return []byte(text(ls)) }, encode.SourcetypeDefault},
		{"gzip", "a.log.gz", lines(0, 5000), func(t *testing.T, ls []string) []byte { return gz(t, text(ls)) }, encode.SourcetypeDefault},
		{"plain header", "h.log", customLines, func(t *testing.T, ls []string) []byte { return []byte(custom + "\n" + text(ls)) }, encode.SourcetypeCustom},
		{"gzip header", "h.log.gz", customLines, func(t *testing.T, ls []string) []byte { return gz(t, custom+"\n"+text(ls)) }, encode.SourcetypeCustom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			path := write(t, e.path(tc.file), tc.data(t, tc.lines))
			w1 := &fakeWriter{}
			e.once(w1, nil)
			chunks := w1.got()
			if len(chunks) < 4 {
				t.Fatalf("%d chunks, want at least 4", len(chunks))
			}
			// Acked: 0, 1, 3. Chunk 2 is lost with the process, so 3 is
			// sent again too.
			chunks[3].ack()
			chunks[0].ack()
			chunks[1].ack()
			sent := len(chunks[0].events) + len(chunks[1].events)
			e.reopen() // the old process stops: last save; a new one loads

			w2 := &fakeWriter{autoAck: true}
			s2 := e.once(w2, nil)
			evs := w2.events()
			equalLines(t, "after restart", raws(evs), tc.lines[sent:])
			for _, ev := range evs {
				if ev.Sourcetype != tc.format {
					t.Fatalf("after restart, sourcetype %s, want %s: the header's format was lost", ev.Sourcetype, tc.format)
				}
			}
			if tc.format == encode.SourcetypeCustom && evs[0].Fields["tcp_flags"] != "2" {
				t.Fatalf("after restart, fields %v: want the header's columns", evs[0].Fields)
			}
			s2.Wait(context.Background())
			if ent := e.entry(path); !ent.Finished || ent.Line != int64(len(tc.lines)+btoi(tc.format == encode.SourcetypeCustom)) {
				t.Fatalf("entry %+v: want finished at line %d", ent, len(tc.lines))
			}

			// And a third run has nothing to send.
			e.reopen()
			w3 := &fakeWriter{autoAck: true}
			e.once(w3, nil)
			if n := len(w3.events()); n != 0 {
				t.Fatalf("a finished file sent %d events again", n)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestBadLineNumbersAfterResume: a bad line's reported place counts from
// the start of the file, not from where a resumed read began.
func TestBadLineNumbersAfterResume(t *testing.T) {
	e := newEnv(t)
	ls := lines(0, 3000)
	write(t, e.path("a.log"), []byte(header+"\n"+text(ls)))
	w1 := &fakeWriter{}
	e.once(w1, nil)
	w1.got()[0].ack()
	done := len(w1.got()[0].events)
	// Add a bad line; it is line 1 (header) + 3000 + 1.
	f, _ := os.OpenFile(e.path("a.log"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("this is not a flow log\n")
	f.Close()
	e.reopen()
	w2 := &fakeWriter{autoAck: true}
	e.once(w2, nil)
	if n := len(w2.events()); n != 3000-done+1 {
		t.Fatalf("%d events, want %d", n, 3000-done+1)
	}
	if want := "a.log:3002: "; !strings.Contains(e.log.String(), want) {
		t.Fatalf("log does not place the bad line at %q:\n%s", want, e.log.String())
	}
}

// TestReplacedFile: a new file under a finished file's name (other inode,
// other content) is read from the start.
func TestReplacedFile(t *testing.T) {
	for _, name := range []string{"a.log", "a.log.gz"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			enc := func(ls []string) []byte {
				if strings.HasSuffix(name, ".gz") {
					return gz(t, text(ls))
				}
				return []byte(text(ls))
			}
			path := write(t, e.path(name), enc(lines(0, 3000)))
			e.once(&fakeWriter{autoAck: true}, nil).Wait(context.Background())
			e.reopen()

			// Replace it: write elsewhere, rename over (a new inode), as
			// aws s3 sync does. It is longer, so a tail would be wrong.
			tmp := write(t, filepath.Join(t.TempDir(), "new"), enc(lines(50000, 4000)))
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
			w := &fakeWriter{autoAck: true}
			e.once(w, nil)
			equalLines(t, "replaced file", raws(w.events()), lines(50000, 4000))
		})
	}
}

// TestReplacedInPlace: same inode, other content (truncated and
// rewritten): the fingerprint tells.
func TestReplacedInPlace(t *testing.T) {
	e := newEnv(t)
	path := write(t, e.path("a.log"), []byte(text(lines(0, 3000))))
	e.once(&fakeWriter{autoAck: true}, nil).Wait(context.Background())
	e.reopen()
	write(t, path, []byte(text(lines(70000, 3500)))) // O_TRUNC: same inode
	w := &fakeWriter{autoAck: true}
	e.once(w, nil)
	equalLines(t, "rewritten file", raws(w.events()), lines(70000, 3500))
}

// TestRenamedFile: a file renamed while flowhec was stopped continues from
// its checkpoint under the new name, which becomes its source.
func TestRenamedFile(t *testing.T) {
	e := newEnv(t)
	ls := lines(0, 5000)
	path := write(t, e.path("a.log"), []byte(text(ls)))
	w1 := &fakeWriter{}
	e.once(w1, nil)
	w1.got()[0].ack()
	sent := len(w1.got()[0].events)
	e.reopen()

	moved := e.path("a.log.1")
	if err := os.Rename(path, moved); err != nil {
		t.Fatal(err)
	}
	w2 := &fakeWriter{autoAck: true}
	s2 := e.once(w2, nil)
	evs := w2.events()
	equalLines(t, "renamed file", raws(evs), ls[sent:])
	if evs[0].Source != moved {
		t.Fatalf("source %s, want the new name %s", evs[0].Source, moved)
	}
	s2.Wait(context.Background())
	if _, ok := e.store.Get(KeyPrefix + path); ok {
		t.Error("the old name's checkpoint is still there")
	}
	if ent := e.entry(moved); !ent.Finished || ent.Path != moved {
		t.Errorf("new name's checkpoint %+v", ent)
	}
}

// TestRenamedWhileRunning: a daemon finds a file under a new name (log
// rotation) and continues it instead of reading it again, while a new file
// under the old name is read from its start.
func TestRenamedWhileRunning(t *testing.T) {
	e := newEnv(t)
	path := write(t, e.path("app.log"), []byte(text(lines(0, 100))))
	s := e.source(func(c *Config) { c.Once = false })
	w := &fakeWriter{}
	if err := s.poll(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	// Rotate: more lines into the old file, rename it, start a new one.
	// The first chunk is still unacked: its ack must land under the new
	// name.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(text(lines(100, 50)))
	f.Close()
	rotated := e.path("app.log.1")
	if err := os.Rename(path, rotated); err != nil {
		t.Fatal(err)
	}
	write(t, path, []byte(text(lines(1000, 10))))
	if err := s.poll(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	w.ackAll()
	bySource := map[string][]string{}
	for _, ev := range w.events() {
		bySource[ev.Source] = append(bySource[ev.Source], ev.raw())
	}
	equalLines(t, "app.log", bySource[path], append(lines(0, 100), lines(1000, 10)...))
	equalLines(t, "app.log.1", bySource[rotated], lines(100, 50))
	if ent := e.entry(rotated); !ent.Finished || ent.Offset != int64(len(text(lines(0, 150)))) {
		t.Errorf("rotated file's checkpoint %+v", ent)
	}
	if ent := e.entry(path); !ent.Finished || ent.Offset != int64(len(text(lines(1000, 10)))) {
		t.Errorf("new file's checkpoint %+v", ent)
	}
}

func waitEvents(t *testing.T, w *fakeWriter, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got := len(w.events()); got >= n {
			return
		} else {
			select {
			case <-w.wrote:
			case <-deadline:
				t.Fatalf("%d events after 10s, want %d", got, n)
			}
		}
	}
}

// TestFinishedNotReread: a second identical once-run writes nothing.
func TestFinishedNotReread(t *testing.T) {
	e := newEnv(t)
	write(t, e.path("a.log"), []byte(text(lines(0, 100))))
	write(t, e.path("b.log.gz"), gz(t, text(lines(100, 100))))
	write(t, e.path("c.log"), []byte(header+"\n"))
	write(t, e.path("d.log"), nil)
	s := e.once(&fakeWriter{autoAck: true}, nil)
	if err := s.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	w := &fakeWriter{autoAck: true}
	s2 := e.once(w, nil)
	if len(w.got()) != 0 || s2.Stats().FileReads != 0 {
		t.Fatalf("second run wrote %d chunks, read %d files", len(w.got()), s2.Stats().FileReads)
	}
}

// TestTailGrownFile: a finished plain file that grows is continued from
// its checkpoint.
func TestTailGrownFile(t *testing.T) {
	e := newEnv(t)
	path := write(t, e.path("a.log"), []byte(text(lines(0, 10))))
	e.once(&fakeWriter{autoAck: true}, nil).Wait(context.Background())
	e.reopen()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(text(lines(10, 2000))) // past the 1 KiB fingerprint
	f.Close()
	w := &fakeWriter{autoAck: true}
	e.once(w, nil).Wait(context.Background())
	equalLines(t, "tail", raws(w.events()), lines(10, 2000))
	if ent := e.entry(path); ent.Identity.FingerprintBytes != fingerprintBytes {
		t.Errorf("fingerprint covers %d bytes, want %d once the file is long enough", ent.Identity.FingerprintBytes, fingerprintBytes)
	}
}

// TestDaemonPoll: a daemon picks up new files, in new directories, at its
// next poll.
func TestDaemonPoll(t *testing.T) {
	e := newEnv(t)
	write(t, e.path("a.log"), []byte(text(lines(0, 10))))
	w := &fakeWriter{autoAck: true, wrote: make(chan struct{}, 100)}
	s := e.source(func(c *Config) {
		c.Once = false
		c.PollInterval = 20 * time.Millisecond
		c.Paths = []string{filepath.Join(e.dir, "**", "*.log")}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx, w) }()
	waitEvents(t, w, 10)
	write(t, e.path("2024/05/02/b.log"), []byte(text(lines(100, 5))))
	write(t, e.path("2024/05/02/ignored.txt"), []byte(text(lines(900, 5))))
	waitEvents(t, w, 15)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	equalLines(t, "polled", raws(w.events()), append(lines(0, 10), lines(100, 5)...))
}

// TestHoldHalfLine: a daemon holds back a last line without line ending
// (it may be half written) and sends it once the file has not changed for
// a poll; a line is never sent in two pieces.
func TestHoldHalfLine(t *testing.T) {
	e := newEnv(t)
	path := e.path("a.log")
	full, next := line(2), line(3)
	write(t, path, []byte(text(lines(0, 2))+full[:20]))
	s := e.source(func(c *Config) { c.Once = false })
	w := &fakeWriter{autoAck: true}
	poll := func(want ...string) {
		t.Helper()
		before := len(w.events())
		if err := s.poll(context.Background(), w); err != nil {
			t.Fatal(err)
		}
		equalLines(t, "poll", raws(w.events()[before:]), want)
	}
	poll(lines(0, 2)...)
	if ent := e.entry(path); ent.Offset != int64(len(text(lines(0, 2)))) || ent.Finished {
		t.Fatalf("checkpoint %+v, want before the half line", ent)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(full[20:] + "\n" + next[:30])
	f.Close()
	poll(full)
	poll(next[:30]) // unchanged for a poll: complete after all
	poll()
	if ent := e.entry(path); !ent.Finished {
		t.Fatalf("checkpoint %+v, want finished", ent)
	}
}

// TestBadLinesFlagged: bad lines are delivered, flagged, counted, in
// place.
func TestBadLinesFlagged(t *testing.T) {
	e := newEnv(t)
	in := line(1) + "\n" + "this is not a flow log\n" + line(2) + "\n" + "2 123456789010 eni-1 10.0.0.1 10.0.0.2 99999 80 6 1 1 1 2 ACCEPT OK\n"
	write(t, e.path("bad.log"), []byte(in))
	w := &fakeWriter{autoAck: true}
	s := e.once(w, nil)
	evs := w.events()
	equalLines(t, "bad file", raws(evs), strings.Split(strings.TrimSuffix(in, "\n"), "\n"))
	for i, wantBad := range []bool{false, true, false, true} {
		reason, bad := evs[i].Fields[encode.FieldParseError]
		if bad != wantBad {
			t.Errorf("event %d flagged %v (%q), want %v", i, bad, reason, wantBad)
		}
	}
	if c := w.got()[0]; c.count != 4 || c.bad != 2 {
		t.Errorf("chunk count %d bad %d, want 4 and 2", c.count, c.bad)
	}
	if st := s.Stats(); st.BadLines != 2 || st.Records != 4 {
		t.Errorf("stats %+v", st)
	}
	if !strings.Contains(e.log.String(), "bad.log:2: ") {
		t.Errorf("the first bad line is not reported with its place:\n%s", e.log.String())
	}
}

// TestTruncatedGzip: a gzip file cut short delivers every whole line
// before the cut, reports the error with its path, does not stop the other
// files, and a daemon would resume it where it stopped.
func TestTruncatedGzip(t *testing.T) {
	e := newEnv(t)
	ls := lines(0, 20000)
	full := gz(t, text(ls))
	cut := write(t, e.path("a-cut.log.gz"), full[:len(full)*2/3])
	write(t, e.path("b-ok.log"), []byte(text(lines(90000, 10))))
	w := &fakeWriter{autoAck: true}
	s := e.once(w, nil)
	bySource := map[string][]string{}
	for _, ev := range w.events() {
		bySource[ev.Source] = append(bySource[ev.Source], ev.raw())
	}
	got := bySource[cut]
	if len(got) == 0 || len(got) >= len(ls) {
		t.Fatalf("%d lines of the cut file, want a prefix of %d", len(got), len(ls))
	}
	equalLines(t, "cut file prefix", got, ls[:len(got)])
	equalLines(t, "other file", bySource[e.path("b-ok.log")], lines(90000, 10))
	if st := s.Stats(); st.ReadErrors != 1 {
		t.Errorf("read errors %d, want 1", st.ReadErrors)
	}
	log := e.log.String()
	if !strings.Contains(log, cut) || !strings.Contains(log, "gzip stream truncated") {
		t.Errorf("the error does not name the file and the problem:\n%s", log)
	}
	s.Wait(context.Background())
	ent := e.entry(cut)
	if ent.Finished || ent.Offset != int64(len(text(got))) {
		t.Fatalf("checkpoint %+v, want unfinished at %d", ent, len(text(got)))
	}

	// The whole object arrives (same file, rewritten in place): the next
	// run sends the rest.
	write(t, cut, full)
	e.reopen()
	w2 := &fakeWriter{autoAck: true}
	e.once(w2, nil)
	equalLines(t, "rest of the object", raws(w2.events()), ls[len(got):])
}

// TestCloudWatchFile: a file of CloudWatch Logs payloads is read whole and
// checkpointed at its end only.
func TestCloudWatchFile(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	for p := range 3 {
		b.WriteString(`{"messageType":"DATA_MESSAGE","owner":"123456789010","logGroup":"/vpc","logStream":"eni-1-all","subscriptionFilters":["f"],"logEvents":[`)
		for i := range 2000 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"id":"` + strconv.Itoa(i) + `","timestamp":1,"message":"` + line(p*2000+i) + `"}`)
		}
		b.WriteString("]}\n")
	}
	path := write(t, e.path("cw.json.gz"), gz(t, b.String()))
	w := &fakeWriter{}
	e.once(w, nil)
	chunks := w.got()
	equalLines(t, "cloudwatch", raws(w.events()), lines(0, 6000))
	chunks[0].ack()
	if ent := e.entry(path); ent.Offset != 0 {
		t.Fatalf("checkpoint at %d inside a CloudWatch file", ent.Offset)
	}
	w.ackAll()
	if ent := e.entry(path); !ent.Finished {
		t.Fatalf("checkpoint %+v, want finished", ent)
	}
}

func TestStdin(t *testing.T) {
	in := strings.NewReader(string(gz(t, header+"\n"+text(lines(0, 3000)))))
	cfg := DefaultConfig()
	cfg.Paths = nil
	s, err := NewStdin(in, cfg, encode.New(encode.Config{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &fakeWriter{}
	if err := s.Run(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	equalLines(t, "stdin", raws(w.events()), lines(0, 3000))
	if w.events()[0].Source != StdinName {
		t.Errorf("source %q", w.events()[0].Source)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := s.Wait(ctx); err == nil {
		t.Fatal("Wait returned with chunks unacked")
	}
	w.ackAll()
	if err := s.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// blockingWriter takes nothing until ctx ends: a full pipeline.
type blockingWriter struct{ calls chan struct{} }

func (w blockingWriter) Write(ctx context.Context, c source.Chunk) error {
	w.calls <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

// TestBackpressureAndStop: a source waits on a blocked Write, returns nil
// when ctx ends, and has moved no checkpoint.
func TestBackpressureAndStop(t *testing.T) {
	e := newEnv(t)
	path := write(t, e.path("a.log"), []byte(text(lines(0, 5000))))
	s := e.source(func(c *Config) { c.Once = false })
	w := blockingWriter{calls: make(chan struct{}, 10)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx, w) }()
	<-w.calls
	select {
	case <-w.calls:
		t.Fatal("a second Write while the first is blocked")
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v after cancel, want nil", err)
	}
	if _, ok := e.store.Get(KeyPrefix + path); ok {
		t.Fatal("a checkpoint moved with nothing acked")
	}
	if s.Pending() != 0 {
		t.Fatalf("a refused chunk counts as pending: %d", s.Pending())
	}
}

type failingWriter struct{}

func (failingWriter) Write(context.Context, source.Chunk) error { return errors.New("queue is broken") }

func TestWriteErrorStops(t *testing.T) {
	e := newEnv(t)
	write(t, e.path("a.log"), []byte(text(lines(0, 10))))
	err := e.source(nil).Run(context.Background(), failingWriter{})
	if err == nil || !strings.Contains(err.Error(), "queue is broken") {
		t.Fatalf("Run = %v, want the writer's error", err)
	}
}

func TestForgetGoneFiles(t *testing.T) {
	e := newEnv(t)
	a := write(t, e.path("a.log"), []byte(text(lines(0, 10))))
	b := write(t, e.path("b.log"), []byte(text(lines(10, 10))))
	e.once(&fakeWriter{autoAck: true}, nil).Wait(context.Background())
	os.Remove(a)
	e.once(&fakeWriter{autoAck: true}, nil)
	if _, ok := e.store.Get(KeyPrefix + a); ok {
		t.Error("the checkpoint of a deleted file is kept")
	}
	if _, ok := e.store.Get(KeyPrefix + b); !ok {
		t.Error("the checkpoint of an existing file is gone")
	}
}

func TestConfigValidate(t *testing.T) {
	good := DefaultConfig()
	good.Paths = []string{"/data/**/*.log.gz", "/x/y.log", "rel/dir"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Config{Paths: []string{"/a/**/b/**/c", "/a/x**y", "/a/[", "-", ""}, Format: "${nope", PollInterval: time.Nanosecond, MaxLineBytes: 1 << 30}
	err := bad.Validate()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, w := range []string{"paths[0]", "only one **", "paths[1]", "whole path element", "paths[2]", "syntax error", "paths[3]", "stdin", "paths[4]", "sources[].format", "sources[].poll_interval", "sources[].max_line_bytes"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Validate error does not say %q:\n%v", w, err)
		}
	}
	if err := (Config{Paths: []string{"/x"}}).Validate(); err != nil {
		t.Errorf("zero settings take their defaults, yet: %v", err)
	}
	if err := (Config{Format: "default", PollInterval: time.Second, MaxLineBytes: 1024}).Validate(); err == nil || !strings.Contains(err.Error(), "sources[].paths") {
		t.Errorf("no paths: %v", err)
	}
}

// TestRestartRandomAcks: whatever subset of chunks was acked before a
// stop, the next run starts exactly at the first unacked one.
func TestRestartRandomAcks(t *testing.T) {
	ls := lines(0, 8000)
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 1))
		name := "a.log"
		data := []byte(text(ls))
		if seed%2 == 1 {
			name, data = "a.log.gz", gz(t, text(ls))
		}
		e := newEnv(t)
		write(t, e.path(name), data)
		w1 := &fakeWriter{}
		e.once(w1, nil)
		chunks := w1.got()
		acked := make([]bool, len(chunks))
		for _, i := range rng.Perm(len(chunks)) {
			if rng.IntN(3) > 0 {
				acked[i] = true
				chunks[i].ack()
			}
		}
		sent := 0
		for i := 0; i < len(chunks) && acked[i]; i++ {
			sent += len(chunks[i].events)
		}
		e.reopen()
		w2 := &fakeWriter{autoAck: true}
		e.once(w2, nil)
		equalLines(t, "seed "+strconv.Itoa(int(seed)), raws(w2.events()), ls[sent:])
	}
}

// TestConcurrentAcks: acks from many goroutines, late and out of order,
// while the source is still reading (run with -race).
func TestConcurrentAcks(t *testing.T) {
	e := newEnv(t)
	for i := range 4 {
		write(t, e.path("f"+strconv.Itoa(i)+".log"), []byte(text(lines(i*10000, 3000))))
	}
	acks := make(chan func(), 1000)
	w := &ackingWriter{acks: acks}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ack := range acks {
				time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
				ack()
			}
		})
	}
	s := e.run(w, nil)
	close(acks)
	wg.Wait()
	if err := s.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		p := e.path("f" + strconv.Itoa(i) + ".log")
		if ent := e.entry(p); !ent.Finished || ent.Offset != int64(len(text(lines(i*10000, 3000)))) {
			t.Errorf("%s: %+v", p, ent)
		}
	}
	if st := s.Stats(); st.FilesFinished != 4 || st.Records != 12000 {
		t.Errorf("stats %+v", st)
	}
}

// ackingWriter hands each chunk's ack to other goroutines.
type ackingWriter struct{ acks chan func() }

func (w *ackingWriter) Write(_ context.Context, c source.Chunk) error {
	w.acks <- c.Ack
	return nil
}
