package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDiskReopen(t *testing.T) {
	dir := t.TempDir()
	q := openTestDisk(t, dir, 1<<20)
	var ids []uint64
	for i := 1; i <= 5; i++ {
		ids = append(ids, mustPut(t, q, fmt.Sprint("item ", i), fmt.Sprint("meta ", i)))
	}
	// item 1 acked, 2 in flight at Close, 3 nacked, 4 and 5 pending.
	for i := range 3 {
		if it := mustGet(t, q); it.ID != ids[i] {
			t.Fatalf("got %d, want %d", it.ID, ids[i])
		}
	}
	if err := q.Ack(ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := q.Nack(ids[2]); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}

	q = openTestDisk(t, dir, 1<<20)
	s := q.Stats()
	want := Stats{Pending: 4, PendingBytes: 4 * int64(len("item 1meta 1")), MaxBytes: 1 << 20, Replayed: 4}
	if s != want {
		t.Fatalf("stats after reopen\n got %+v\nwant %+v", s, want)
	}
	for i := 1; i < 5; i++ {
		it := mustGet(t, q)
		if it.ID != ids[i] || string(it.Payload) != fmt.Sprint("item ", i+1) || string(it.Meta) != fmt.Sprint("meta ", i+1) || !it.Replayed || it.Attempts != 0 {
			t.Fatalf("replayed item: %+v, want id %d, item %d, Replayed", it, ids[i], i+1)
		}
	}
	assertEmpty(t, q)
	newID := mustPut(t, q, "new", "")
	if newID != ids[4]+1 {
		t.Fatalf("new id %d, want %d", newID, ids[4]+1)
	}
	if it := mustGet(t, q); it.ID != newID || it.Replayed {
		t.Fatalf("new item: %+v", it)
	}

	// Ack everything, the newest item too: IDs still continue, not restart.
	for _, id := range append(ids[1:], newID) {
		if err := q.Ack(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q = openTestDisk(t, dir, 1<<20)
	if s := q.Stats(); s.Pending != 0 || s.Replayed != 0 {
		t.Fatalf("acked items came back: %+v", s)
	}
	if id := mustPut(t, q, "after", ""); id != newID+1 {
		t.Fatalf("id after reopen of an empty queue: %d, want %d", id, newID+1)
	}
}

// TestDiskReopenOverMax: a smaller max_bytes than what is stored keeps every
// item and blocks Puts until Acks bring the queue under it.
func TestDiskReopenOverMax(t *testing.T) {
	dir := t.TempDir()
	q := openTestDisk(t, dir, 1000)
	for range 5 {
		mustPut(t, q, string(make([]byte, 100)), "")
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q = openTestDisk(t, dir, 250)
	if s := q.Stats(); s.Pending != 5 || s.PendingBytes != 500 {
		t.Fatalf("stats %+v", s)
	}
	put := goPut(context.Background(), q, string(make([]byte, 100)))
	waitBlocked(t, q, 1)
	for range 3 {
		if err := q.Ack(mustGet(t, q).ID); err != nil {
			t.Fatal(err)
		}
	}
	assertWaiting(t, put, "put with 200 of 250 bytes used")
	if err := q.Ack(mustGet(t, q).ID); err != nil {
		t.Fatal(err)
	}
	if r := receive(t, put, "put with 100 of 250 bytes used"); r.err != nil {
		t.Fatal(r.err)
	}
}

func TestDiskLocked(t *testing.T) {
	dir := t.TempDir()
	first := openTestDisk(t, dir, 1<<20)
	cfg := DefaultDiskConfig()
	cfg.Dir = dir
	cfg.LockTimeout = 100 * time.Millisecond
	start := time.Now()
	q, err := OpenDisk(cfg)
	if err == nil {
		q.Close()
		t.Fatal("second open of the same dir succeeded")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("second open took %s with a %s lock timeout", took, cfg.LockTimeout)
	}
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "queue.dir "+dir+" is in use by another flowhec") {
		t.Fatalf("got %v, want ErrLocked naming %s", err, dir)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	q, err = OpenDisk(cfg)
	if err != nil {
		t.Fatalf("open after the first closed: %v", err)
	}
	q.Close()
}

func TestDiskCorruptFile(t *testing.T) {
	// A queue file with some items, to damage.
	good := filepath.Join(t.TempDir(), "good")
	{
		q := openTestDisk(t, good, 16<<20)
		for i := range 100 {
			mustPut(t, q, strings.Repeat(fmt.Sprint(i), 5000), "meta")
		}
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}
	}
	goodBytes, err := os.ReadFile(filepath.Join(good, FileName))
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	// The file is longer than its pages in use; cut into those.
	used := len(bytes.TrimRight(goodBytes, "\x00"))
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	damage := func(fn func(b []byte) []byte) []byte { return fn(bytes.Clone(goodBytes)) }
	tests := []struct {
		name string
		file []byte
	}{
		{"text", []byte("not a queue\n")},
		{"random bytes", garbage(64 << 10)},
		{"meta pages zeroed", damage(func(b []byte) []byte { clear(b[:2*page]); return b })},
		{"meta pages garbled", damage(func(b []byte) []byte { copy(b[64:], garbage(page)); copy(b[page+64:], garbage(page)); return b })},
		{"truncated to one page", goodBytes[:page]},
		{"truncated to half", goodBytes[:used/2]},
		{"tree pages garbled", damage(func(b []byte) []byte {
			// Every page after the meta pages gets a garbled header.
			for off := 2 * page; off+64 <= len(b); off += page {
				copy(b[off:off+64], garbage(64))
			}
			return b
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, tt.file, 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := DefaultDiskConfig()
			cfg.Dir = dir
			q, err := OpenDisk(cfg)
			if err == nil {
				q.Close()
				t.Fatal("opened a damaged file")
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "move it aside") {
				t.Fatalf("got %v, want ErrCorrupt naming %s and what to do", err, path)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, tt.file) {
				t.Fatal("the damaged file was changed")
			}
			t.Log(err)
		})
	}
}

// TestDiskCorruptItem damages one item's payload on disk: Get reports it
// with its ID, Ack drops it, and the items around it are unharmed.
func TestDiskCorruptItem(t *testing.T) {
	dir := t.TempDir()
	q := openTestDisk(t, dir, 1<<20)
	var ids []uint64
	for _, p := range []string{"first", "second", "third"} {
		ids = append(ids, mustPut(t, q, strings.Repeat(p, 2000), p))
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Copy-on-write leaves older copies of the page behind: damage them all.
	marker := []byte(strings.Repeat("second", 10))
	n := 0
	for off := 0; ; n++ {
		i := bytes.Index(b[off:], marker)
		if i < 0 {
			break
		}
		b[off+i+1000] ^= 0xff
		off += i + 2000*len("second")
	}
	if n == 0 {
		t.Fatal("payload not found in the file")
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	q = openTestDisk(t, dir, 1<<20)
	if it := mustGet(t, q); it.ID != ids[0] || string(it.Meta) != "first" {
		t.Fatalf("first item: %d %q", it.ID, it.Meta)
	}
	it, err := q.Get(context.Background())
	if !errors.Is(err, ErrCorrupt) || it.ID != ids[1] || it.Payload != nil {
		t.Fatalf("damaged item: id %d, %d bytes, err %v; want id %d and ErrCorrupt", it.ID, len(it.Payload), err, ids[1])
	}
	t.Log(err)
	if err := q.Ack(it.ID); err != nil {
		t.Fatalf("ack of the damaged item: %v", err)
	}
	if it := mustGet(t, q); it.ID != ids[2] || it.Payload == nil || string(it.Meta) != "third" {
		t.Fatalf("third item: %d %q", it.ID, it.Meta)
	}
}

func TestDiskConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*DiskConfig)
		want []string // YAML keys named in the error; none: valid
	}{
		{"default with dir", func(c *DiskConfig) {}, nil},
		{"no dir", func(c *DiskConfig) { c.Dir = "" }, []string{"queue.dir"}},
		{"zero max", func(c *DiskConfig) { c.MaxBytes = 0 }, []string{"queue.max_bytes"}},
		{"negative max", func(c *DiskConfig) { c.MaxBytes = -1 }, []string{"queue.max_bytes"}},
		{"no lock timeout", func(c *DiskConfig) { c.LockTimeout = 0 }, []string{"queue.lock_timeout"}},
		{"everything wrong", func(c *DiskConfig) { *c = DiskConfig{} }, []string{"queue.dir", "queue.max_bytes", "queue.lock_timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultDiskConfig()
			c.Dir = "/var/lib/flowhec/queue"
			tt.edit(&c)
			err := c.Validate()
			if (err != nil) != (tt.want != nil) {
				t.Fatalf("Validate() = %v, want error naming %v", err, tt.want)
			}
			for _, key := range tt.want {
				if !strings.Contains(err.Error(), key+":") {
					t.Errorf("error %q does not name %s", err, key)
				}
			}
			if tt.want != nil {
				if q, err := OpenDisk(c); err == nil {
					q.Close()
					t.Error("OpenDisk accepted an invalid config")
				}
			}
		})
	}
}

func TestDefaultDiskConfig(t *testing.T) {
	c := DefaultDiskConfig()
	if c.MaxBytes != 1<<30 || !c.Sync || c.LockTimeout <= 0 || c.Dir != "" {
		t.Fatalf("defaults: %+v", c)
	}
}
