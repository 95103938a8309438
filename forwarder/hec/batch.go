package hec

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/rs/zerolog"

	"github.com/flowhec/flowhec/forwarder/source"
)

// Batcher collects chunks of encoded events into batches, seals a batch
// when it reaches Config.BatchBytes or Config.BatchAge, compresses it once
// and puts it in the queue. It is the pipeline's source.Writer.
//
// A batch is compressed here and nowhere else: it is stored compressed and
// sent as stored. Only the rare 400/413 paths reopen it.
type Batcher struct {
	maxBytes int
	maxAge   time.Duration
	level    int
	q        Queue
	reg      *registry

	mu     sync.Mutex
	cur    *openBatch
	closed bool

	log     zerolog.Logger
	sealing sync.WaitGroup // seals in progress, for Close
	// sealsInProgress counts them for Drain, which polls it.
	sealsInProgress atomic.Int64
	ctx             context.Context // ends when Close gives up waiting
	cancel          context.CancelFunc
	stop            chan struct{}
	done            chan struct{}
}

type openBatch struct {
	buf    []byte
	count  int
	acks   []func()
	opened time.Time
}

var errBatcherClosed = errors.New("hec: batcher closed")

func newBatcher(cfg Config, q Queue, reg *registry, log zerolog.Logger) *Batcher {
	ctx, cancel := context.WithCancel(context.Background())
	b := &Batcher{
		log:      log,
		ctx:      ctx,
		cancel:   cancel,
		maxBytes: cfg.BatchBytes,
		maxAge:   cfg.BatchAge,
		level:    cfg.GzipLevel,
		q:        q,
		reg:      reg,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go b.ageLoop()
	return b
}

// Write adds a chunk to the open batch, sealing the batch first if the
// chunk would not fit. Sealing puts the batch in the queue, which blocks
// while the queue is full: that is the backpressure sources feel.
//
// If ctx ends while Write waits, the chunk is not taken (its source keeps
// its checkpoint before it), but the full batch Write was sealing goes on
// into the queue: its chunks were taken by earlier Writes, and their acks
// still fire when it is delivered.
func (b *Batcher) Write(ctx context.Context, c source.Chunk) error {
	if len(c.Events) > b.maxBytes {
		return fmt.Errorf("hec: chunk of %d bytes exceeds hec.batch_bytes %d", len(c.Events), b.maxBytes)
	}
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return errBatcherClosed
		}
		if b.cur == nil || len(b.cur.buf)+len(c.Events) <= b.maxBytes {
			if b.cur == nil {
				b.cur = &openBatch{buf: getBuf(b.maxBytes), opened: time.Now()}
			}
			b.cur.buf = append(b.cur.buf, c.Events...)
			b.cur.count += c.Count
			if c.Ack != nil {
				b.cur.acks = append(b.cur.acks, c.Ack)
			}
			b.mu.Unlock()
			return nil
		}
		full := b.cur
		b.cur = nil
		done := b.sealLocked(full)
		b.mu.Unlock()
		select {
		case err := <-done:
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sealLocked starts sealing ob in the background and returns where its
// result arrives. It is called with b.mu held, so that Close, which sets
// closed under the same lock, never waits for sealing while one is added.
func (b *Batcher) sealLocked(ob *openBatch) <-chan error {
	done := make(chan error, 1)
	b.sealing.Add(1)
	b.sealsInProgress.Add(1)
	go func() {
		defer b.sealing.Done()
		defer b.sealsInProgress.Add(-1)
		err := b.seal(b.ctx, ob)
		if err != nil {
			// The chunks' acks never fire, so their checkpoints stay put
			// and the records are read again after a restart.
			b.log.Warn().Err(err).Msg("a batch was not queued; its records will be read again after a restart")
		}
		done <- err
	}()
	return done
}

// Flush seals the open batch now, whatever its size or age, and waits for
// it to be queued or for ctx to end.
func (b *Batcher) Flush(ctx context.Context) error {
	b.mu.Lock()
	cur := b.cur
	b.cur = nil
	if cur == nil {
		b.mu.Unlock()
		return nil
	}
	done := b.sealLocked(cur)
	b.mu.Unlock()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking chunks and flushes the open batch. If ctx ends first,
// a batch still waiting for room in the queue is abandoned: its chunks are
// not acknowledged, so their sources read them again after a restart.
func (b *Batcher) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	close(b.stop)
	err := b.Flush(ctx)
	idle := make(chan struct{})
	go func() {
		<-b.done
		b.sealing.Wait()
		close(idle)
	}()
	select {
	case <-idle:
	case <-ctx.Done():
		b.cancel()
		<-idle
	}
	b.cancel()
	return err
}

func (b *Batcher) ageLoop() {
	defer close(b.done)
	t := time.NewTicker(max(b.maxAge/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		b.mu.Lock()
		if b.cur != nil && time.Since(b.cur.opened) >= b.maxAge {
			old := b.cur
			b.cur = nil
			b.sealLocked(old)
		}
		b.mu.Unlock()
	}
}

// seal compresses a batch and puts it in the queue.
func (b *Batcher) seal(ctx context.Context, ob *openBatch) error {
	defer putBuf(ob.buf)
	payload, err := compress(ob.buf, b.level)
	if err != nil {
		return err
	}
	meta := b.reg.register(ob.count, len(ob.buf), ob.acks)
	if _, err := b.q.Put(ctx, payload, meta.encode()); err != nil {
		b.reg.forget(meta.seq)
		return fmt.Errorf("hec: queue a batch of %d events: %w", ob.count, err)
	}
	return nil
}

var bufPool sync.Pool

func getBuf(size int) []byte {
	if p, ok := bufPool.Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return make([]byte, 0, size)
}

func putBuf(b []byte) {
	b = b[:0]
	bufPool.Put(&b)
}

var gzipPool sync.Pool

// compress gzips events at level; level 0 stores them uncompressed.
func compress(events []byte, level int) ([]byte, error) {
	if level == 0 {
		return append([]byte(nil), events...), nil
	}
	var out bytes.Buffer
	out.Grow(len(events)/6 + 512)
	zw, _ := gzipPool.Get().(*gzip.Writer)
	if zw == nil {
		var err error
		if zw, err = gzip.NewWriterLevel(&out, level); err != nil {
			return nil, err
		}
	} else {
		zw.Reset(&out)
	}
	if _, err := zw.Write(events); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	gzipPool.Put(zw)
	return out.Bytes(), nil
}

// isGzip reports whether a stored payload is compressed.
func isGzip(p []byte) bool { return len(p) >= 2 && p[0] == 0x1f && p[1] == 0x8b }

// splitEvents reopens a payload into its events: the 400 and 413 paths.
func splitEvents(payload []byte) ([]json.RawMessage, error) {
	var r io.Reader = bytes.NewReader(payload)
	if isGzip(payload) {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	}
	dec := json.NewDecoder(r)
	var events []json.RawMessage
	for {
		var ev json.RawMessage
		err := dec.Decode(&ev)
		if err == io.EOF {
			return events, nil
		}
		if err != nil {
			return events, fmt.Errorf("reopen batch after event %d: %w", len(events), err)
		}
		events = append(events, ev)
	}
}

// joinEvents is the inverse of splitEvents, compressed like the original.
// Events are separated by a newline, which HEC allows, so that values that
// are not objects cannot run together ("1" and "0" must not become "10").
func joinEvents(events []json.RawMessage, gz bool, level int) ([]byte, error) {
	n := len(events)
	for _, e := range events {
		n += len(e)
	}
	raw := make([]byte, 0, n)
	for _, e := range events {
		raw = append(append(raw, e...), '\n')
	}
	if !gz {
		return raw, nil
	}
	return compress(raw, max(level, 1))
}

// batchMeta is the bookkeeping stored beside each batch in the queue.
type batchMeta struct {
	run     uint64 // the process that sealed it; acks reach sources only in that process
	seq     uint64
	events  int
	raw     int
	created time.Time
}

const metaVersion = 1

func (m batchMeta) encode() []byte {
	b := make([]byte, 0, 1+8+8+4+4+8)
	b = append(b, metaVersion)
	b = binary.BigEndian.AppendUint64(b, m.run)
	b = binary.BigEndian.AppendUint64(b, m.seq)
	b = binary.BigEndian.AppendUint32(b, uint32(m.events))
	b = binary.BigEndian.AppendUint32(b, uint32(m.raw))
	b = binary.BigEndian.AppendUint64(b, uint64(m.created.UnixNano()))
	return b
}

func decodeMeta(b []byte) (batchMeta, error) {
	if len(b) != 33 || b[0] != metaVersion {
		return batchMeta{}, fmt.Errorf("batch metadata of %d bytes, version %d: not written by this flowhec", len(b), firstByte(b))
	}
	return batchMeta{
		run:     binary.BigEndian.Uint64(b[1:]),
		seq:     binary.BigEndian.Uint64(b[9:]),
		events:  int(binary.BigEndian.Uint32(b[17:])),
		raw:     int(binary.BigEndian.Uint32(b[21:])),
		created: time.Unix(0, int64(binary.BigEndian.Uint64(b[25:]))),
	}, nil
}

func firstByte(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}

// registry maps the batches of this process to the acks of their chunks.
// Batches replayed from an earlier process have no entry: their sources
// re-read from their checkpoints instead.
type registry struct {
	run  uint64
	mu   sync.Mutex
	next uint64
	acks map[uint64][]func()
}

func newRegistry(run uint64) *registry {
	return &registry{run: run, acks: map[uint64][]func(){}}
}

func (r *registry) register(events, raw int, acks []func()) batchMeta {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	r.acks[r.next] = acks
	return batchMeta{run: r.run, seq: r.next, events: events, raw: raw, created: time.Now()}
}

func (r *registry) forget(seq uint64) {
	r.mu.Lock()
	delete(r.acks, seq)
	r.mu.Unlock()
}

// done fires the acks of a delivered batch, once.
func (r *registry) done(m batchMeta) {
	if m.run != r.run {
		return
	}
	r.mu.Lock()
	acks := r.acks[m.seq]
	delete(r.acks, m.seq)
	r.mu.Unlock()
	for _, ack := range acks {
		ack()
	}
}
