package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(Config{Dir: dir, SaveInterval: time.Hour}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	want := map[string]Entry{
		"file:/data/a.log.gz": {
			Path: "/data/a.log.gz", Offset: 123456, Line: 1000, Finished: true,
			Identity: Identity{Dev: 2049, Inode: 77, SizeAtFinish: 4567, Fingerprint: "0123456789abcdef", FingerprintBytes: 1024},
			Updated:  time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		},
		"file:/data/b \"quoted\".log": {Path: "/data/b \"quoted\".log", Offset: 7, Identity: Identity{Dev: 1, Inode: 2, Fingerprint: "x", FingerprintBytes: 7}, Updated: time.Date(2024, 5, 1, 12, 0, 1, 0, time.UTC)},
		"cloudwatch:/aws/vpc":         {Position: "token-1", Updated: time.Date(2024, 5, 1, 12, 0, 2, 0, time.UTC)},
	}
	for k, e := range want {
		s.Set(k, e)
	}
	s.Set("gone", Entry{Offset: 1})
	s.Delete("gone")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	s2 := open(t, dir)
	defer s2.Close()
	got := s2.Entries("")
	if len(got) != len(want) {
		t.Fatalf("loaded %d entries, want %d: %v", len(got), len(want), got)
	}
	for k, w := range want {
		if g := got[k]; g != w {
			t.Errorf("%s: loaded %+v, want %+v", k, g, w)
		}
	}
	if files := s2.Entries("file:"); len(files) != 2 {
		t.Errorf("Entries(\"file:\") = %d entries, want 2", len(files))
	}
}

func TestStoreSetStampsUpdated(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	before := time.Now()
	s.Set("k", Entry{Offset: 1})
	e, ok := s.Get("k")
	if !ok || e.Updated.Before(before.Add(-time.Second)) {
		t.Fatalf("Updated = %v, want about now", e.Updated)
	}
}

func TestStoreSavesPeriodically(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Config{Dir: dir, SaveInterval: 100 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Set("k", Entry{Offset: 42})
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, FileName))
		if strings.Contains(string(b), `"offset":42`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not saved within 5s; file: %q", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStoreSaveOnlyWhenDirty(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	path := filepath.Join(dir, FileName)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a store with nothing set wrote %s", path)
	}
	s.Set("k", Entry{Offset: 1})
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(path)
	time.Sleep(10 * time.Millisecond)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(path)
	if !st1.ModTime().Equal(st2.ModTime()) {
		t.Fatal("an unchanged store rewrote its file")
	}
}

// TestStoreCrashBetweenWriteAndRename: a save that dies after writing its
// temporary file must leave the good file in place, and a temporary file
// left behind by a real crash must not be taken for the state.
func TestStoreCrashBetweenWriteAndRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	s := open(t, dir)
	s.Set("k", Entry{Offset: 100})
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)

	crash := errors.New("simulated crash")
	var tmpSeen string
	s.beforeRename = func(tmp string) error {
		tmpSeen = tmp
		// Tear the temporary file as a crash mid-write would.
		if err := os.Truncate(tmp, 10); err != nil {
			t.Error(err)
		}
		return crash
	}
	s.Set("k", Entry{Offset: 200})
	if err := s.Save(); !errors.Is(err, crash) {
		t.Fatalf("Save = %v, want the simulated crash", err)
	}
	if now, _ := os.ReadFile(path); string(now) != string(good) {
		t.Fatalf("the state file changed after a failed save:\n%s", now)
	}
	if _, err := os.Stat(tmpSeen); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed save left its temporary file %s", tmpSeen)
	}
	s.beforeRename = nil
	// The entry stays dirty: the next save writes it.
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := open(t, dir)
	if e, _ := s2.Get("k"); e.Offset != 200 {
		t.Fatalf("after a retried save, offset %d, want 200", e.Offset)
	}
	s2.Close()

	// A crash that left a torn temporary file behind.
	torn := filepath.Join(dir, "."+FileName+".tmp-123456")
	if err := os.WriteFile(torn, []byte(`{"version":1,"sources":{"k":{"off`), 0o600); err != nil {
		t.Fatal(err)
	}
	s3 := open(t, dir)
	defer s3.Close()
	if e, _ := s3.Get("k"); e.Offset != 200 {
		t.Fatalf("with a torn temporary file beside it, offset %d, want 200", e.Offset)
	}
	if _, err := os.Stat(torn); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open left the torn temporary file %s", torn)
	}
}

func TestStoreStrictLoad(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"bad json", `{"version":1,"sources":{`, "not a valid state file"},
		{"empty", ``, "not a valid state file"},
		{"not an object", `[1,2]`, "not a valid state file"},
		{"no version", `{"sources":{}}`, `no "version"`},
		{"newer version", `{"version":2,"sources":{},"shards":{}}`, "version 2, this flowhec reads version 1"},
		{"unknown field", `{"version":1,"sources":{"k":{"offset":1,"offest":2}}}`, `unknown field "offest"`},
		{"trailing data", `{"version":1,"sources":{}} {}`, "after top-level value"},
		{"wrong type", `{"version":1,"sources":{"k":{"offset":"12"}}}`, "not a valid state file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(Config{Dir: dir}, nil)
			if err == nil {
				s.Close()
				t.Fatal("loaded a bad state file")
			}
			for _, w := range []string{path, tc.want, "move it aside to start over"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestStoreUnwritable(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	path := filepath.Join(dir, FileName)
	// A directory where the file should be: the rename cannot replace it,
	// whoever we run as.
	if err := os.MkdirAll(filepath.Join(path, "x"), 0o750); err != nil {
		t.Fatal(err)
	}
	s.Set("k", Entry{Offset: 1})
	err := s.Save()
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Save = %v, want an error naming %s", err, path)
	}
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Close = %v, want the last save's error naming %s", err, path)
	}
	temps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if len(temps) != 0 {
		t.Errorf("failed saves left %v", temps)
	}

	// A state directory that is a file.
	file := filepath.Join(t.TempDir(), "state")
	os.WriteFile(file, nil, 0o600)
	if _, err := Open(Config{Dir: file}, nil); err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("Open over a file = %v, want an error naming %s", err, file)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{Dir: "/x", SaveInterval: DefaultSaveInterval}).Validate(); err != nil {
		t.Fatal(err)
	}
	err := Config{SaveInterval: time.Millisecond}.Validate()
	for _, w := range []string{"state_dir", "checkpoint_interval"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate = %v, want it to name %s", err, w)
		}
	}
	if d := DefaultConfig(); d.SaveInterval != DefaultSaveInterval {
		t.Errorf("default interval %v", d.SaveInterval)
	}
}
