package hec

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// deadLetter keeps the events HEC will never accept, with the reason, in
// JSON lines under the dead-letter directory, so that nothing is dropped
// silently and an admin can fix and replay them.
type deadLetter struct {
	mu   sync.Mutex
	path string
}

type deadLetterEntry struct {
	Time     time.Time       `json:"time"`
	Endpoint string          `json:"endpoint"`
	Status   int             `json:"status"`
	Code     int             `json:"code"`
	Reason   string          `json:"reason"`
	Event    json.RawMessage `json:"event"`
}

func newDeadLetter(dir string) (*deadLetter, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("hec.dead_letter: %w", err)
	}
	return &deadLetter{path: filepath.Join(dir, "deadletter.jsonl")}, nil
}

// write appends the entries and syncs them: they are acknowledged to their
// sources as handled once this returns.
func (d *deadLetter) write(entries []deadLetterEntry) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := os.OpenFile(d.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("hec.dead_letter: %w", err)
	}
	var buf []byte
	for _, e := range entries {
		line, err := json.Marshal(e)
		if err != nil {
			// The event is not valid JSON on its own; keep it as a string.
			e.Event, _ = json.Marshal(string(e.Event))
			line, _ = json.Marshal(e)
		}
		buf = append(append(buf, line...), '\n')
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return fmt.Errorf("hec.dead_letter: write %s: %w", d.path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("hec.dead_letter: sync %s: %w", d.path, err)
	}
	return f.Close()
}
