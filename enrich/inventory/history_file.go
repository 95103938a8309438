package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"time"

	"github.com/flowhec/flowhec/internal/atomicfile"
)

// HistoryFile is the name of the history's file in the state directory.
const HistoryFile = "inventory-history.json"

// historyVersion is the version of the history file's layout.
const historyVersion = 1

// historyFile is the history's JSON: the intervals of every address and,
// for every interface they name, what describes it.
type historyFile struct {
	Version    int                       `json:"version"`
	ObservedAt time.Time                 `json:"observed_at"`
	Addresses  map[netip.Addr][]Interval `json:"addresses"`
	Interfaces map[string]*pastInterface `json:"interfaces"`
}

// Save writes the history to path atomically: to a temporary file in the
// same directory, synced, renamed over path, and the directory synced, so
// that a crash leaves either the old file or the new one, whole.
func (h *History) Save(path string) error {
	h.mu.Lock()
	raw, err := json.Marshal(historyFile{
		Version:    historyVersion,
		ObservedAt: h.observed,
		Addresses:  h.addrs,
		Interfaces: h.enis,
	})
	h.mu.Unlock()
	if err != nil {
		return fmt.Errorf("save inventory history %s: %w", path, err)
	}
	if err := atomicfile.Write(path, raw, 0o640); err != nil {
		return fmt.Errorf("save inventory history: %w", err)
	}
	return nil
}

// LoadHistory reads the history Save wrote to path, bounded by cfg (which
// may differ from the bounds it was saved with: it is pruned to cfg). A
// missing file is an empty history — the first run. The file is read
// strictly; an error names the file and the problem, and since the
// history only names past owners, deleting the file is always a way out.
func LoadHistory(path string, cfg HistoryConfig) (*History, error) {
	h, err := NewHistory(cfg)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load inventory history: %w", err)
	}
	fail := func(pos string, err error) error {
		return fmt.Errorf("load inventory history %s%s: %w; delete the file to start the history afresh (it only names past owners of addresses)", path, pos, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var f historyFile
	if err := dec.Decode(&f); err != nil {
		return nil, fail(jsonPosition(raw, err), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail("", fmt.Errorf("data after the history object at byte %d", dec.InputOffset()))
	}
	if err := f.check(); err != nil {
		return nil, fail("", err)
	}
	h.observed = f.ObservedAt.UTC()
	if f.Addresses != nil {
		h.addrs = f.Addresses
	}
	if f.Interfaces != nil {
		h.enis = f.Interfaces
	}
	h.prune()
	return h, nil
}

// check reports the first inconsistency of a history file: what Observe
// never writes.
func (f *historyFile) check() error {
	if f.Version != historyVersion {
		return fmt.Errorf("version %d, this flowhec reads version %d", f.Version, historyVersion)
	}
	if f.ObservedAt.IsZero() && len(f.Addresses) > 0 {
		return errors.New("observed_at missing")
	}
	for id, p := range f.Interfaces {
		if p == nil || p.Interface.NetworkInterfaceID != id {
			return fmt.Errorf("interfaces[%s]: describes another interface", id)
		}
	}
	for a, ivs := range f.Addresses {
		if !a.IsValid() || a.Is4In6() || a.Zone() != "" {
			return fmt.Errorf("addresses[%v]: not an address as Observe writes it", a)
		}
		if len(ivs) == 0 {
			return fmt.Errorf("addresses[%v]: no intervals", a)
		}
		for i, iv := range ivs {
			where := fmt.Sprintf("addresses[%v][%d]", a, i)
			switch {
			case f.Interfaces[iv.ENI] == nil:
				return fmt.Errorf("%s: interface %q is not under interfaces", where, iv.ENI)
			case iv.From.IsZero() || iv.Seen.IsZero():
				return fmt.Errorf("%s: from or seen missing", where)
			case iv.Until.IsZero() && i != len(ivs)-1:
				return fmt.Errorf("%s: open, but not the last interval", where)
			case !iv.Until.IsZero() && !iv.Until.After(iv.From):
				return fmt.Errorf("%s: until %v not after from %v", where, iv.Until, iv.From)
			case i > 0 && iv.From.Before(ivs[i-1].Until):
				return fmt.Errorf("%s: from %v overlaps the interval before, until %v", where, iv.From, ivs[i-1].Until)
			case iv.FirstSight && i != 0:
				return fmt.Errorf("%s: a first sighting after earlier intervals", where)
			case iv.Seen.After(f.ObservedAt):
				return fmt.Errorf("%s: seen %v after observed_at %v", where, iv.Seen, f.ObservedAt)
			}
		}
	}
	return nil
}
