package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowhec/flowhec/flowlog"
	"github.com/flowhec/flowhec/forwarder/checkpoint"
	"github.com/flowhec/flowhec/forwarder/encode"
	"github.com/flowhec/flowhec/forwarder/source"
)

// KeyPrefix starts the checkpoint key of every file: the key is KeyPrefix
// followed by the file's absolute path.
const KeyPrefix = "file:"

// StdinName is the HEC source of events read from standard input.
const StdinName = "stdin"

// Stats are a source's counters since it was made.
type Stats struct {
	FileReads     uint64 // reads of a file, from its start or where it was left
	FilesFinished uint64 // files read to their end and acknowledged to it
	ReadErrors    uint64 // reads that stopped on an error (the file is retried at the next poll)
	Records       uint64 // events written, good and bad
	BadLines      uint64 // events of lines that did not parse, delivered flagged
	Bytes         uint64 // bytes read, decompressed
	Chunks        uint64 // chunks written
	DuplicateAcks uint64 // ack functions called more than once (harmless, a bug upstream)
}

type counters struct {
	fileReads, filesFinished, readErrors, records, badLines, bytes, chunks, duplicateAcks atomic.Uint64
}

// Source reads flow-log files. Make one with New or NewStdin; Run it once.
type Source struct {
	cfg    Config
	pats   []pattern
	format *flowlog.Format
	enc    *encode.Encoder
	store  *checkpoint.Store // nil: no checkpoints
	log    *slog.Logger
	stdin  io.Reader

	// Owned by Run's goroutine.
	files  map[string]*fileState // by path
	buf    []byte
	warned map[string]string // what was last logged per subject, so a recurring problem is logged once

	pendingMu sync.Mutex
	pending   int
	idle      chan struct{} // closed while pending == 0

	stats counters
	ran   atomic.Bool
}

// New returns a file source. enc encodes the events; store keeps the
// checkpoints (nil reads every file from the start every time); log may be
// nil.
func New(cfg Config, enc *encode.Encoder, store *checkpoint.Store, log *slog.Logger) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if enc == nil {
		return nil, errors.New("file source: nil encoder")
	}
	s := newSource(cfg, enc, log)
	s.store = store
	for _, p := range s.cfg.Paths {
		pat, _ := compilePattern(p) // checked by Validate
		s.pats = append(s.pats, pat)
	}
	return s, nil
}

// NewStdin returns a source that reads in (plain or gzip) to its end, once,
// with no checkpoint: what was read before a crash cannot be read again.
// Of cfg it uses Name, Format and MaxLineBytes.
func NewStdin(in io.Reader, cfg Config, enc *encode.Encoder, log *slog.Logger) (*Source, error) {
	cfg.Paths = []string{StdinName}
	cfg.Once = true
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if enc == nil {
		return nil, errors.New("stdin source: nil encoder")
	}
	s := newSource(cfg, enc, log)
	s.stdin = in
	return s, nil
}

func newSource(cfg Config, enc *encode.Encoder, log *slog.Logger) *Source {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	format, _ := flowlog.ParseFormat(cfg.Format) // checked by Validate
	idle := make(chan struct{})
	close(idle)
	return &Source{
		cfg:    cfg,
		format: format,
		enc:    enc,
		log:    log.With("source", cfg.Name),
		files:  make(map[string]*fileState),
		buf:    make([]byte, 0, source.MaxChunkBytes+maxEventBytes),
		warned: make(map[string]string),
		idle:   idle,
	}
}

// Name is the configured name.
func (s *Source) Name() string { return s.cfg.Name }

// Stats returns the counters.
func (s *Source) Stats() Stats {
	c := &s.stats
	return Stats{
		FileReads:     c.fileReads.Load(),
		FilesFinished: c.filesFinished.Load(),
		ReadErrors:    c.readErrors.Load(),
		Records:       c.records.Load(),
		BadLines:      c.badLines.Load(),
		Bytes:         c.bytes.Load(),
		Chunks:        c.chunks.Load(),
		DuplicateAcks: c.duplicateAcks.Load(),
	}
}

// Pending is the number of chunks written and not yet acknowledged.
func (s *Source) Pending() int {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	return s.pending
}

// Wait waits until every chunk Run wrote has been acknowledged, then saves
// the checkpoints. Call it after Run has returned (flowhec run --once: Run,
// drain the pipeline, Wait, exit); while Run is still reading, "nothing
// pending" is only a moment between two chunks.
func (s *Source) Wait(ctx context.Context) error {
	for {
		s.pendingMu.Lock()
		n, idle := s.pending, s.idle
		s.pendingMu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return fmt.Errorf("file source %s: %d chunks still unacknowledged: %w", s.cfg.Name, n, ctx.Err())
		}
	}
	if s.store != nil {
		return s.store.Save()
	}
	return nil
}

func (s *Source) addPending(d int) {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	s.pending += d
	switch {
	case s.pending == 0:
		close(s.idle)
	case s.pending == d: // was 0
		s.idle = make(chan struct{})
	}
}

// errStopped: Write gave up because ctx ended; Run returns nil.
var errStopped = errors.New("stopped")

// Run reads the files and writes their events to w. In once mode it returns
// when every file has been read; as a daemon it polls every poll_interval
// until ctx ends. An error reading one file is logged and counted and does
// not stop the others; Run returns an error only when w fails for a reason
// other than ctx ending.
func (s *Source) Run(ctx context.Context, w source.Writer) error {
	if !s.ran.CompareAndSwap(false, true) {
		return fmt.Errorf("file source %s: Run called twice", s.cfg.Name)
	}
	var err error
	if s.stdin != nil {
		err = s.readStdin(ctx, w)
	} else {
		err = s.run(ctx, w)
	}
	if errors.Is(err, errStopped) || ctx.Err() != nil {
		return nil
	}
	return err
}

func (s *Source) run(ctx context.Context, w source.Writer) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		if err := s.poll(ctx, w); err != nil {
			return err
		}
		if s.cfg.Once {
			return nil
		}
		t.Reset(s.cfg.PollInterval)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// pos is a position in a file: the offset in its decompressed stream and
// the number of lines before it.
type pos struct{ off, line int64 }

// fileState is what the source knows of one file.
type fileState struct {
	src     *Source
	tracker checkpoint.Tracker[pos]

	// Owned by Run's goroutine.
	gz       bool
	readPos  pos   // where the next read starts: the end of what was written
	size     int64 // the file's size at the last read
	heldSize int64 // size when a last line without line ending was held back; -1: none
	eofRead  bool  // read to its end (a gzip file is then done)
	failed   string

	// Guarded by mu, which the tracker's commit callback takes (inside the
	// tracker's lock: never call the tracker while holding mu).
	mu       sync.Mutex
	path     string
	key      string
	id       checkpoint.Identity
	eofAt    int64 // offset of the end of the file once read to it; -1 before
	eofSize  int64
	finished bool
	retired  bool // replaced or gone: its commits no longer matter
}

func (s *Source) newState(path string, id checkpoint.Identity, gz bool) *fileState {
	st := &fileState{src: s, gz: gz, heldSize: -1, path: path, key: KeyPrefix + path, id: id, eofAt: -1}
	st.tracker.OnCommit = st.commit
	return st
}

// commit runs, in order, each time the file's acknowledged position moves.
func (st *fileState) commit(p pos) {
	st.mu.Lock()
	defer st.mu.Unlock()
	fin := st.eofAt >= 0 && p.off >= st.eofAt
	if fin && !st.finished {
		st.finished = true
		st.src.stats.filesFinished.Add(1)
	}
	if st.retired || st.src.store == nil {
		return
	}
	id := st.id
	id.SizeAtFinish = 0
	if fin {
		id.SizeAtFinish = st.eofSize
	}
	st.src.store.Set(st.key, checkpoint.Entry{Path: st.path, Offset: p.off, Line: p.line, Identity: id, Finished: fin})
}

func (st *fileState) retire() {
	st.mu.Lock()
	st.retired = true
	st.mu.Unlock()
}

// track registers a chunk ending at p (st nil: standard input, nothing to
// checkpoint) and returns its ack, and cancel for when Write refused it.
func (s *Source) track(st *fileState, p pos) (ack, cancel func()) {
	var inner func()
	if st != nil {
		inner = st.tracker.Track(p)
	}
	s.addPending(1)
	var once atomic.Bool
	ack = func() {
		if !once.CompareAndSwap(false, true) {
			s.stats.duplicateAcks.Add(1)
			return
		}
		if inner != nil {
			inner()
		}
		s.addPending(-1)
	}
	cancel = func() {
		// Never acknowledged: the file's checkpoint stays before it.
		if once.CompareAndSwap(false, true) {
			s.addPending(-1)
		}
	}
	return ack, cancel
}

// poll lists the files, sorts out which are new, renamed, replaced or
// grown, and reads what there is to read, one file after the other.
func (s *Source) poll(ctx context.Context, w source.Writer) error {
	cands := discover(s.pats, s.warn)
	s.match(cands)
	for _, c := range cands {
		if ctx.Err() != nil {
			return errStopped
		}
		st := s.files[c.path]
		if st == nil {
			continue
		}
		hold, restart, ok := s.work(st, c)
		if restart {
			if st = s.restart(st, &c); st == nil {
				continue
			}
			hold, _, ok = s.work(st, c)
		}
		if !ok {
			continue
		}
		err := s.read(ctx, w, st, hold)
		if errors.Is(err, errRestart) {
			if st = s.restart(st, &c); st == nil {
				continue
			}
			err = s.read(ctx, w, st, hold)
		}
		if err != nil && !errors.Is(err, errRestart) {
			return err
		}
	}
	s.forget()
	return nil
}

// work says whether st has something to read.
func (s *Source) work(st *fileState, c candidate) (hold, restart, ok bool) {
	if st.gz {
		// Gzip files are written once: read to the end, a gzip file is done
		// until something else takes its name.
		if st.eofRead {
			return false, c.size != st.size, false
		}
		return false, false, true
	}
	switch {
	case c.size < st.readPos.off:
		return false, true, false // truncated: a new file in the old one
	case c.size == st.readPos.off:
		// Nothing new. A checkpoint at the end that was not yet marked
		// finished (stopped before the last ack) gets a read that finds the
		// end at once and marks it.
		return false, false, !st.eofRead && st.readPos.off > 0
	}
	// A daemon holds back a last line without a line ending, as it may be
	// half written; if the file has not changed by the next poll, it is
	// complete after all.
	return !s.cfg.Once && st.heldSize != c.size, false, true
}

// restart replaces st by a state for the new file at c.path, read from the
// start.
func (s *Source) restart(st *fileState, c *candidate) *fileState {
	st.retire()
	delete(s.files, c.path)
	f, err := os.Open(c.path)
	if err != nil {
		s.warn("open "+c.path, err)
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.warn("open "+c.path, err)
		return nil
	}
	c.id, c.size = idOf(fi), fi.Size() // it may have changed since the listing
	fp, n, gz, err := fingerprint(f, fingerprintBytes)
	if err != nil {
		s.warn("open "+c.path, err)
		return nil
	}
	s.log.Info("file replaced or truncated: reading it from the start", "path", c.path)
	nst := s.newState(c.path, identityOf(*c, fp, n), gz)
	s.files[c.path] = nst
	return nst
}

func identityOf(c candidate, fp string, n int) checkpoint.Identity {
	return checkpoint.Identity{Dev: c.id.dev, Inode: c.id.ino, Fingerprint: fp, FingerprintBytes: n}
}

// match brings s.files up to date with the files a poll found: a file
// still at its path keeps its state; one found under a new name (same
// device, inode and fingerprint) takes its state there; one gone or
// replaced is retired. A path with no state then gets one from its
// checkpoint, from the checkpoint of the file it was renamed from, or a
// new one.
func (s *Source) match(cands []candidate) {
	at := make(map[string]*candidate, len(cands))
	byID := make(map[fileID]*candidate, len(cands))
	for i := range cands {
		c := &cands[i]
		at[c.path] = c
		if c.id != (fileID{}) {
			if _, dup := byID[c.id]; !dup {
				byID[c.id] = c
			}
		}
	}
	next := make(map[string]*fileState, len(cands))
	var moving []*fileState
	for path, st := range s.files {
		if c := at[path]; c != nil && c.id == st.fileID() {
			next[path] = st
		} else {
			moving = append(moving, st)
		}
	}
	for _, st := range moving {
		c := byID[st.fileID()]
		if c == nil || next[c.path] != nil || !s.sameContent(c.path, st.identity()) {
			st.retire()
			continue
		}
		s.log.Info("file renamed: continuing where it was", "from", st.path, "to", c.path)
		s.rekey(st.path, c.path, st)
		next[c.path] = st
	}
	s.files = next

	var byInode map[fileID][]string // checkpoint keys by file, built when first needed
	var entries map[string]checkpoint.Entry
	for i := range cands {
		c := &cands[i]
		if s.files[c.path] != nil {
			continue
		}
		fp, n, gz, err := fingerprintPath(c.path, fingerprintBytes)
		if err != nil {
			s.warn("open "+c.path, err)
			continue
		}
		if s.store == nil {
			s.files[c.path] = s.newState(c.path, identityOf(*c, fp, n), gz)
			continue
		}
		if e, ok := s.store.Get(KeyPrefix + c.path); ok && e.Identity.Inode == c.id.ino && s.resumable(c, e, gz, fp, n) {
			// The device number is not compared here: it may change across
			// a reboot (LVM, network filesystems); path, inode and content
			// are proof enough.
			s.files[c.path] = s.resume(c, e, gz)
			continue
		}
		if byInode == nil {
			entries = s.store.Entries(KeyPrefix)
			byInode = make(map[fileID][]string)
			for k, e := range entries {
				id := fileID{e.Identity.Dev, e.Identity.Inode}
				byInode[id] = append(byInode[id], k)
			}
		}
		var st *fileState
		for _, k := range byInode[c.id] {
			e := entries[k]
			if e.Path == c.path {
				continue
			}
			if o := s.files[e.Path]; o != nil && o.fileID() == c.id {
				continue // a state is using it
			}
			if o := at[e.Path]; o != nil && o.id == c.id {
				continue // still there too: a hard link
			}
			if !s.resumable(c, e, gz, fp, n) {
				continue
			}
			s.log.Info("file renamed while stopped: continuing where it was", "from", e.Path, "to", c.path)
			s.rekey(e.Path, c.path, nil)
			st = s.resume(c, e, gz)
			break
		}
		if st == nil {
			st = s.newState(c.path, identityOf(*c, fp, n), gz)
		}
		s.files[c.path] = st
	}
}

// resumable: the checkpoint e was taken in the file c (whose first n bytes
// hash to fp).
func (s *Source) resumable(c *candidate, e checkpoint.Entry, gz bool, fp string, n int) bool {
	id := e.Identity
	if id.Fingerprint == "" || int64(id.FingerprintBytes) > c.size {
		return false
	}
	if gz && e.Finished && c.size != id.SizeAtFinish {
		return false // gzip files do not grow: rewritten
	}
	if id.FingerprintBytes == n {
		return id.Fingerprint == fp
	}
	return s.sameContent(c.path, id)
}

// sameContent: the file at path starts with the bytes id's fingerprint
// was taken of.
func (s *Source) sameContent(path string, id checkpoint.Identity) bool {
	fp, n, _, err := fingerprintPath(path, id.FingerprintBytes)
	return err == nil && n == id.FingerprintBytes && fp == id.Fingerprint
}

func (s *Source) resume(c *candidate, e checkpoint.Entry, gz bool) *fileState {
	id := e.Identity
	id.Dev, id.Inode, id.SizeAtFinish = c.id.dev, c.id.ino, 0
	st := s.newState(c.path, id, gz)
	st.readPos = pos{e.Offset, e.Line}
	if e.Finished {
		st.finished = true
		st.eofRead = true
		st.size = e.Identity.SizeAtFinish
		st.eofAt, st.eofSize = e.Offset, e.Identity.SizeAtFinish
	}
	return st
}

// rekey moves the checkpoint of a renamed file to its new name (and st,
// if it has one, so that its next commits go there).
func (s *Source) rekey(from, to string, st *fileState) {
	if st != nil {
		st.mu.Lock()
		defer st.mu.Unlock()
		st.path, st.key = to, KeyPrefix+to
	}
	if s.store == nil {
		return
	}
	if e, ok := s.store.Get(KeyPrefix + from); ok {
		s.store.Delete(KeyPrefix + from)
		e.Path, e.Updated = to, time.Time{}
		s.store.Set(KeyPrefix+to, e)
	}
}

func (st *fileState) fileID() fileID {
	st.mu.Lock()
	defer st.mu.Unlock()
	return fileID{st.id.Dev, st.id.Inode}
}

func (st *fileState) identity() checkpoint.Identity {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.id
}

// forget drops the checkpoints of files that no longer exist, so the state
// file does not grow forever. A file that exists keeps its checkpoint even
// when no pattern of this source names it (another source may).
func (s *Source) forget() {
	if s.store == nil {
		return
	}
	for k, e := range s.store.Entries(KeyPrefix) {
		path := strings.TrimPrefix(k, KeyPrefix)
		if s.files[path] != nil {
			continue
		}
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			s.log.Debug("file gone: forgetting its checkpoint", "path", path, "offset", e.Offset)
			s.store.Delete(k)
		}
	}
}

// warn logs err about subject unless it is what was logged last time.
func (s *Source) warn(subject string, err error) {
	msg := err.Error()
	if s.warned[subject] == msg {
		return
	}
	s.warned[subject] = msg
	s.log.Warn(msg)
}

func (s *Source) cleared(subject string) {
	if _, ok := s.warned[subject]; ok {
		delete(s.warned, subject)
		s.log.Info("recovered", "subject", subject)
	}
}

// errRestart: the file is not the one its state was for; read it again
// from the start as a new file.
var errRestart = errors.New("restart")

func isHeader(line []byte) bool {
	return flowlog.LooksLikeHeader(bytes.TrimRight(line, " \t\r\n"))
}

var _ source.Source = (*Source)(nil)
