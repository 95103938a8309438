package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flowhec/flowhec/internal/atomicfile"
)

// FileName is the state file's name inside the state directory.
const FileName = "checkpoints.json"

// Version is the state file's format version. A file of another version is
// refused rather than guessed at.
const Version = 1

// DefaultSaveInterval is how often a Store writes its file when something
// changed. After a crash, what was delivered since the last save is read
// and sent again, so the interval bounds the duplicates; one small fsynced
// write a second costs next to nothing.
const DefaultSaveInterval = time.Second

// Config is the Store's part of the configuration.
type Config struct {
	// Dir is the state directory; it is created if missing.
	Dir string `yaml:"state_dir"`
	// SaveInterval is how often changed checkpoints are written. A crash
	// loses at most this much progress, which is then read and sent again.
	SaveInterval time.Duration `yaml:"checkpoint_interval"`
}

// DefaultConfig returns the defaults; Dir has none and must be set.
func DefaultConfig() Config {
	return Config{SaveInterval: DefaultSaveInterval}
}

// Validate reports every bad setting, naming its YAML key.
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("state_dir: required: the directory where flowhec keeps its checkpoints"))
	}
	if c.SaveInterval < 100*time.Millisecond || c.SaveInterval > time.Hour {
		errs = append(errs, fmt.Errorf("checkpoint_interval: %v: want between 100ms and 1h (default %v)", c.SaveInterval, DefaultSaveInterval))
	}
	return errors.Join(errs...)
}

// Entry is the checkpoint of one source key. Files use Path, Offset, Line,
// Identity and Finished; sources whose position is not a byte offset (a
// CloudWatch Logs token, a Kinesis sequence number) use Position.
type Entry struct {
	Path string `json:"path,omitempty"`
	// Offset is the number of bytes of the (decompressed) stream that have
	// been read and acknowledged: reading resumes there.
	Offset int64 `json:"offset"`
	// Line is the number of lines before Offset, so that errors after a
	// resume still name the right line.
	Line     int64    `json:"line,omitempty"`
	Identity Identity `json:"identity,omitzero"`
	// Finished: the whole input was read and acknowledged.
	Finished bool   `json:"finished,omitempty"`
	Position string `json:"position,omitempty"`
	// Updated is when the entry last changed; Set fills it in.
	Updated time.Time `json:"updated"`
}

// Identity tells one file from another whatever its name: a file renamed
// keeps it, a file replaced under the same name does not.
type Identity struct {
	Dev   uint64 `json:"dev"`
	Inode uint64 `json:"inode"`
	// SizeAtFinish is the file's size when it was finished; 0 before.
	SizeAtFinish int64 `json:"size_at_finish,omitempty"`
	// Fingerprint is a hash of the first FingerprintBytes bytes of the
	// file (at most 1 KiB): inode numbers are reused, contents rarely.
	Fingerprint      string `json:"fingerprint"`
	FingerprintBytes int    `json:"fingerprint_bytes"`
}

// stateFile is the file's layout.
type stateFile struct {
	Version int              `json:"version"`
	Saved   time.Time        `json:"saved"`
	Sources map[string]Entry `json:"sources"`
}

// Store holds the checkpoints of every source and writes them to
// <Dir>/checkpoints.json. It is safe for concurrent use.
type Store struct {
	path     string
	interval time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	entries map[string]Entry
	gen     uint64 // bumped by every change
	saved   uint64 // gen of the last successful save

	saveMu sync.Mutex // one save at a time, so an older snapshot never overwrites a newer one

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	// beforeRename, when set by tests, runs between writing the temporary
	// file and renaming it; an error aborts the save there.
	beforeRename func(tmp string) error
}

// Open loads <cfg.Dir>/checkpoints.json, or starts empty if there is none,
// and starts writing changes every cfg.SaveInterval until Close. A file
// that cannot be read or understood is an error: starting over silently
// would send everything again.
func Open(cfg Config, log *slog.Logger) (*Store, error) {
	if cfg.SaveInterval == 0 {
		cfg.SaveInterval = DefaultSaveInterval
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("state_dir %s: %w", cfg.Dir, err)
	}
	s := &Store{
		path:     filepath.Join(cfg.Dir, FileName),
		interval: cfg.SaveInterval,
		log:      log,
		entries:  make(map[string]Entry),
		done:     make(chan struct{}),
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	s.removeStaleTemps()
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go s.saveLoop(ctx)
	return s, nil
}

// Path is the state file's path.
func (s *Store) Path() string { return s.path }

func (s *Store) load() error {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read checkpoints %s: %w", s.path, err)
	}
	const startOver = "move it aside to start over (flowhec will then re-read every file)"
	// The version first, leniently: a newer file may have fields this
	// version does not know, and the version is the better error.
	var v struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("checkpoints %s: not a valid state file: %w; restore it from a backup, or %s", s.path, err, startOver)
	}
	switch {
	case v.Version == nil:
		return fmt.Errorf("checkpoints %s: no \"version\": not a flowhec state file; %s", s.path, startOver)
	case *v.Version != Version:
		return fmt.Errorf("checkpoints %s: version %d, this flowhec reads version %d: run the flowhec that wrote it, or %s", s.path, *v.Version, Version, startOver)
	}
	var f stateFile
	if err := decodeStrict(b, &f); err != nil {
		return fmt.Errorf("checkpoints %s: not a valid state file: %w; restore it from a backup, or %s", s.path, err, startOver)
	}
	for k, e := range f.Sources {
		s.entries[k] = e
	}
	return nil
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty file")
		}
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON object")
	}
	return nil
}

// removeStaleTemps removes temporary files a crash between write and
// rename left behind: garbage, never the state.
func (s *Store) removeStaleTemps() {
	names, _ := filepath.Glob(filepath.Join(filepath.Dir(s.path), atomicfile.TempPattern(s.path)))
	for _, name := range names {
		if err := os.Remove(name); err == nil {
			s.log.Info("removed an unfinished checkpoint write left by a crash", "path", name)
		}
	}
}

// Get returns the entry of key.
func (s *Store) Get(key string) (Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	return e, ok
}

// Set stores e under key, stamping Updated if it is zero. It is written to
// disk at the next save.
func (s *Store) Set(key string, e Entry) {
	if e.Updated.IsZero() {
		e.Updated = time.Now().UTC()
	}
	s.mu.Lock()
	s.entries[key] = e
	s.gen++
	s.mu.Unlock()
}

// Delete removes key's entry.
func (s *Store) Delete(key string) {
	s.mu.Lock()
	if _, ok := s.entries[key]; ok {
		delete(s.entries, key)
		s.gen++
	}
	s.mu.Unlock()
}

// Entries returns a copy of the entries whose keys start with prefix.
func (s *Store) Entries(prefix string) map[string]Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Entry)
	for k, e := range s.entries {
		if strings.HasPrefix(k, prefix) {
			out[k] = e
		}
	}
	return out
}

// Save writes the state file now if anything changed since the last save.
func (s *Store) Save() error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	if s.gen == s.saved {
		s.mu.Unlock()
		return nil
	}
	gen := s.gen
	f := stateFile{Version: Version, Saved: time.Now().UTC(), Sources: maps.Clone(s.entries)}
	s.mu.Unlock()

	b, err := marshal(f)
	if err != nil {
		return fmt.Errorf("write checkpoints %s: %w", s.path, err)
	}
	if err := s.writeAtomic(b); err != nil {
		return err
	}
	s.mu.Lock()
	s.saved = gen
	s.mu.Unlock()
	return nil
}

// marshal writes one entry per line, sorted, so the file can be read and
// diffed by a person.
func marshal(f stateFile) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n\"version\": %d,\n\"saved\": ", f.Version)
	saved, _ := json.Marshal(f.Saved)
	b.Write(saved)
	b.WriteString(",\n\"sources\": {")
	for i, k := range slices.Sorted(maps.Keys(f.Sources)) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n  ")
		key, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteString(": ")
		e, err := json.Marshal(f.Sources[k])
		if err != nil {
			return nil, err
		}
		b.Write(e)
	}
	b.WriteString("\n}\n}\n")
	return b.Bytes(), nil
}

// writeAtomic replaces the state file with b so that a crash at any point
// leaves either the old file or the new one: write a temporary file in the
// same directory, fsync it, rename it over the old one, fsync the
// directory so the rename itself is durable.
func (s *Store) writeAtomic(b []byte) error {
	if err := atomicfile.WriteHooked(s.path, b, 0o640, s.beforeRename); err != nil {
		return fmt.Errorf("write checkpoints: %w", err)
	}
	return nil
}

func (s *Store) saveLoop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.Save(); err != nil {
			// Keep going: the entries stay dirty and the next tick tries
			// again. Say it once, not every tick, until it works.
			if !failing {
				s.log.Error("cannot save checkpoints; progress since the last save would be re-sent after a restart", "err", err)
			}
			failing = true
		} else if failing {
			s.log.Info("checkpoints saved again", "path", s.path)
			failing = false
		}
	}
}

// Close stops the periodic saves and saves a last time. It is safe to call
// more than once; later calls return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		<-s.done
		s.closeErr = s.Save()
	})
	return s.closeErr
}
