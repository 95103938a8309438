package queue

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the queue file inside DiskConfig.Dir.
const FileName = "queue.db"

// Each item is a bucket of its own inside itemsBucket, named by its ID and
// holding one value, its record. With the records directly in itemsBucket,
// bbolt packs up to four large values into one leaf and rewrites the whole
// leaf on every Put and delete: seven times the bytes written per 100 KB
// item, measured. A bucket per item keeps every write to the item's own pages.
var (
	itemsBucket = []byte("items")
	recordKey   = []byte("r")
)

// Group commit limits: one transaction takes at most this many writes or
// bytes of records, so a burst of Puts does not make one Ack wait for
// hundreds of megabytes to reach the disk.
const (
	maxBatchOps   = 256
	maxBatchBytes = 32 << 20
)

// Disk is a Queue stored in a bbolt file, keyed by item ID, big-endian, so
// the B+tree's order is the queue's order and an Ack deletes any item
// wherever it is.
//
// Writes from concurrent Puts and Acks are handed to one goroutine that
// commits whatever has queued up in a single transaction (one fsync pair for
// all of them), so latency stays one commit for a lone producer and
// throughput grows with concurrency. In-flight state lives only in memory:
// after a restart every stored item is pending again.
type Disk struct {
	c    core
	dir  string
	path string
	db   *bolt.DB

	writes    chan *write
	committed chan struct{} // closed when the commit goroutine has ended

	closeOnce sync.Once
	closeErr  error
}

var _ Queue = (*Disk)(nil)

// write is one Put (record set) or Ack (record nil) for the commit
// goroutine. bbolt keeps references to the key and value until the
// transaction ends, so both live here until then.
type write struct {
	key    [8]byte
	id     uint64
	record []byte
	done   chan error
}

// OpenDisk opens, or creates, the queue in cfg.Dir. Items left by an earlier
// process become pending again, in ID order, marked Replayed; new IDs continue
// after every ID ever stored. If they hold more than cfg.MaxBytes, Put blocks
// until Acks bring them under it.
func OpenDisk(cfg DiskConfig) (*Disk, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("queue.dir %s: %w", cfg.Dir, err)
	}
	path := filepath.Join(cfg.Dir, FileName)
	opts := &bolt.Options{
		Timeout: cfg.LockTimeout,
		NoSync:  !cfg.Sync,
		// bbolt would otherwise rewrite the whole free list, 8 bytes per
		// free page, in every commit: megabytes per Ack once a backlog has
		// drained. Without it, open rebuilds the list by walking the tree.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	}
	d := &Disk{
		c:         newCore(cfg.MaxBytes),
		dir:       cfg.Dir,
		path:      path,
		writes:    make(chan *write, maxBatchOps),
		committed: make(chan struct{}),
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		if err := d.verify(opts); err != nil {
			return nil, err
		}
	}
	err := guard(func() error {
		var err error
		d.db, err = bolt.Open(path, 0o600, opts)
		return err
	})
	if err != nil {
		return nil, d.openError(err, opts)
	}
	if err := d.load(); err != nil {
		_ = d.db.Close()
		return nil, err
	}
	if cfg.Sync {
		if err := syncDir(cfg.Dir); err != nil {
			_ = d.db.Close()
			return nil, fmt.Errorf("queue.dir %s: %w", cfg.Dir, err)
		}
	}
	go d.commitLoop()
	return d, nil
}

// verify walks an existing file read-only before it is opened for writing.
// Opening for writing rebuilds bbolt's free list, and bbolt reports damage it
// meets there by panicking on a goroutine of its own, which would end the
// process with no word of which file is bad; here, damage is an error.
func (d *Disk) verify(opts *bolt.Options) error {
	ro := *opts
	ro.ReadOnly = true
	var db *bolt.DB
	err := guard(func() error {
		var err error
		db, err = bolt.Open(d.path, 0o600, &ro)
		return err
	})
	if err != nil {
		return d.openError(err, opts)
	}
	defer db.Close()
	err = guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				b.Stats() // visits every page of the bucket
				var prev []byte
				c := b.Cursor()
				for k, _ := c.First(); k != nil; k, _ = c.Next() {
					if prev != nil && bytes.Compare(prev, k) >= 0 {
						return fmt.Errorf("%w: bucket %q: keys out of order", ErrCorrupt, name)
					}
					prev = k
				}
				return nil
			})
		})
	})
	if err != nil {
		return d.corrupt(err)
	}
	return nil
}

// load indexes the stored items; their data stays on disk until Get.
func (d *Disk) load() error {
	c := &d.c
	err := guard(func() error {
		return d.db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(itemsBucket)
			if err != nil {
				return err
			}
			maxID := b.Sequence()
			cur := b.Cursor()
			for k, v := cur.First(); k != nil; k, v = cur.Next() {
				if len(k) != 8 || v != nil {
					return fmt.Errorf("%w: bucket %q holds key %x, not an item", ErrCorrupt, itemsBucket, k)
				}
				id := binary.BigEndian.Uint64(k)
				e := &entry{size: recordSize(b.Bucket(k).Get(recordKey)), replayed: true}
				c.entries[id] = e
				// Keys arrive in ascending order, which is already a heap.
				c.pending = append(c.pending, id)
				c.pendingBytes += e.size
				c.used += e.size
				c.replayed++
				maxID = max(maxID, id)
			}
			c.nextID = maxID + 1
			return nil
		})
	})
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			return d.corrupt(err)
		}
		return fmt.Errorf("queue.dir %s: read %s: %w", d.dir, d.path, err)
	}
	return nil
}

func (d *Disk) openError(err error, opts *bolt.Options) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("queue.dir %s is in use by another flowhec (lock held on %s; waited %s): stop that process or give this one its own queue.dir: %w",
			d.dir, d.path, opts.Timeout, ErrLocked)
	case errors.Is(err, ErrCorrupt), errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping):
		return d.corrupt(err)
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("queue.dir %s: %w", d.dir, err)
	}
	// bbolt's other open failures (a file shorter than its pages, a bad
	// page size) are damage too, but carry no sentinel.
	return d.corrupt(err)
}

func (d *Disk) corrupt(err error) error {
	if !errors.Is(err, ErrCorrupt) {
		err = fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return fmt.Errorf("queue file %s is damaged (%w): move it aside (mv %s %s.corrupt) to start with an empty queue; the batches it holds will not be sent",
		d.path, err, d.path, d.path)
}

// Put implements Queue. Once the item is handed to the commit goroutine, Put
// waits for the commit even if ctx ends, so its answer is always true.
func (d *Disk) Put(ctx context.Context, payload, meta []byte) (uint64, error) {
	size := int64(len(payload)) + int64(len(meta))
	if err := d.c.reserve(ctx, size); err != nil {
		return 0, err
	}
	w := &write{record: encodeRecord(payload, meta), done: make(chan error, 1)}
	c := &d.c
	c.mu.Lock()
	if c.closed {
		c.unreserve(size)
		c.mu.Unlock()
		return 0, ErrClosed
	}
	w.id = c.nextID
	c.nextID++
	c.busy.Add(1)
	c.mu.Unlock()

	err := d.commit(w)
	c.busy.Done()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.unreserve(size)
		return 0, fmt.Errorf("queue: store item %d in %s: %w", w.id, d.path, err)
	}
	c.admit(w.id, &entry{size: size})
	return w.id, nil
}

// Get implements Queue. If the stored item cannot be read back intact, Get
// returns an error wrapping ErrCorrupt together with an Item holding only the
// ID; the item is then in flight, and Ack drops it.
func (d *Disk) Get(ctx context.Context) (Item, error) {
	id, e, err := d.c.take(ctx)
	if err != nil {
		return Item{}, err
	}
	defer d.c.busy.Done()
	var rec []byte
	err = guard(func() error {
		return d.db.View(func(tx *bolt.Tx) error {
			var v []byte
			if ib := tx.Bucket(itemsBucket).Bucket(idKey(id)); ib != nil {
				v = ib.Get(recordKey)
			}
			if v == nil {
				return fmt.Errorf("%w: item is missing from the file", ErrCorrupt)
			}
			rec = bytes.Clone(v)
			return nil
		})
	})
	var payload, meta []byte
	if err == nil {
		payload, meta, err = decodeRecord(rec)
	}
	if err != nil {
		return Item{ID: id}, fmt.Errorf("queue: read item %d from %s: %w", id, d.path, err)
	}
	return Item{ID: id, Payload: payload, Meta: meta, Attempts: e.attempts, Replayed: e.replayed}, nil
}

// Ack implements Queue. The item is gone from the file when Ack returns nil;
// if the delete fails to commit, the item stays in flight.
func (d *Disk) Ack(id uint64) error {
	e, err := d.c.beginAck(id)
	if err != nil {
		return err
	}
	err = d.commit(&write{id: id, done: make(chan error, 1)})
	d.c.busy.Done()
	d.c.endAck(id, e, err == nil)
	if err != nil {
		return fmt.Errorf("queue: delete item %d from %s: %w", id, d.path, err)
	}
	return nil
}

// Nack implements Queue. It touches only memory: the item is still stored.
func (d *Disk) Nack(id uint64) error { return d.c.nack(id) }

// Stats implements Queue.
func (d *Disk) Stats() Stats { return d.c.stats() }

// Close implements Queue: it fails blocked calls, lets Puts and Acks already
// being committed finish, and closes the file. Every unacked item stays in it.
func (d *Disk) Close() error {
	d.closeOnce.Do(func() {
		d.c.close()
		d.c.busy.Wait()
		close(d.writes)
		<-d.committed
		d.closeErr = d.db.Close()
	})
	return d.closeErr
}

func (d *Disk) commit(w *write) error {
	binary.BigEndian.PutUint64(w.key[:], w.id)
	d.writes <- w
	return <-w.done
}

// commitLoop is the group commit: it takes every write that is waiting and
// commits them in one transaction.
func (d *Disk) commitLoop() {
	defer close(d.committed)
	batch := make([]*write, 0, maxBatchOps)
	for w := range d.writes {
		batch = append(batch[:0], w)
		size := len(w.record)
	more:
		for len(batch) < maxBatchOps && size < maxBatchBytes {
			select {
			case w, ok := <-d.writes:
				if !ok {
					break more
				}
				batch = append(batch, w)
				size += len(w.record)
			default:
				break more
			}
		}
		err := guard(func() error { return d.db.Update(func(tx *bolt.Tx) error { return apply(tx, batch) }) })
		for _, w := range batch {
			w.done <- err
		}
		clear(batch)
	}
}

func apply(tx *bolt.Tx, batch []*write) error {
	b := tx.Bucket(itemsBucket)
	seq := b.Sequence()
	for _, w := range batch {
		if w.record == nil {
			// A missing item was reported by Get and is being dropped.
			if err := b.DeleteBucket(w.key[:]); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
				return err
			}
			continue
		}
		ib, err := b.CreateBucket(w.key[:])
		if err != nil {
			return err
		}
		if err := ib.Put(recordKey, w.record); err != nil {
			return err
		}
		seq = max(seq, w.id)
	}
	// The sequence keeps the highest ID ever stored, so IDs are not reused
	// after the newest items were acked and the process restarted.
	if seq != b.Sequence() {
		return b.SetSequence(seq)
	}
	return nil
}

func idKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), id)
}

// guard runs fn with bbolt's reactions to a damaged file, a panic or a fault
// reading the memory map, turned into an ErrCorrupt error. bbolt's Update and
// View roll back on a panic, so the database stays usable.
func guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, r)
		}
	}()
	return fn()
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
