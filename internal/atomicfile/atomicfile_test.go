package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	for _, content := range []string{"first", "second, longer"} {
		if err := Write(path, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v", st.Mode())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), TempPattern(path))); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestCrashBeforeRenameKeepsTheOldContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := Write(path, []byte("good"), 0o600); err != nil {
		t.Fatal(err)
	}
	crash := errors.New("crash")
	err := WriteHooked(path, []byte("half-done"), 0o600, func(tmp string) error {
		if b, _ := os.ReadFile(tmp); string(b) != "half-done" {
			t.Errorf("the temporary file holds %q before the rename", b)
		}
		return crash
	})
	if !errors.Is(err, crash) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "good" {
		t.Fatalf("the file holds %q after a failed write", b)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), TempPattern(path))); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestUnwritableDirectoryNamesThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "state.json")
	err := Write(path, []byte("x"), 0o600)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "writable") {
		t.Fatalf("err = %v, want one naming %s and asking whether it is writable", err, path)
	}
}
