package flowgen

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowhec/flowhec/flowlog"
)

// WriteLines writes every record to w as a plain line, without a header
// line, the way CloudWatch Logs and `aws logs` show them.
func (g *Generator) WriteLines(w io.Writer) (*Labels, error) {
	return g.Run(func(b Batch) error {
		_, err := w.Write(b.Lines)
		return err
	})
}

// Object is one S3 object that WriteS3 wrote.
type Object struct {
	// Key is the object's key, which is also its path under the output
	// directory (with '/' separators).
	Key string
	// Start is the start of the ObjectInterval window its records belong
	// to: every record's start and end fall in [Start, Start+interval).
	Start   time.Time
	Records int
	Bytes   int64 // uncompressed, header line included
	Size    int64 // compressed, as stored
}

// ObjectKey returns the key AWS gives the seq-th object (counting from 0)
// of the window starting at start:
//
//	AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD/ACCOUNT_vpcflowlogs_REGION_FLOWLOGID_YYYYMMDDTHHmmZ_HASH.log.gz
//
// The 8-hex-digit hash, random at AWS, is derived here from the seed, the
// window and seq, so keys are stable from run to run.
func (g *Generator) ObjectKey(start time.Time, seq int) string {
	c := &g.cfg
	t := start.UTC()
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%s/%d/%d", c.Seed, c.FlowLogID, t.Unix(), seq)
	b := make([]byte, 0, 160)
	b = append(b, "AWSLogs/"...)
	b = append(b, c.AccountID...)
	b = append(b, "/vpcflowlogs/"...)
	b = append(b, c.Region...)
	b = t.AppendFormat(append(b, '/'), "2006/01/02/")
	b = append(b, c.AccountID...)
	b = append(b, "_vpcflowlogs_"...)
	b = append(b, c.Region...)
	b = append(b, '_')
	b = append(b, c.FlowLogID...)
	b = t.AppendFormat(append(b, '_'), "20060102T1504Z")
	b = append(b, '_')
	sum := h.Sum32()
	for i := 28; i >= 0; i -= 4 {
		b = append(b, "0123456789abcdef"[sum>>uint(i)&0xf])
	}
	return string(append(b, ".log.gz"...))
}

// WriteS3 writes the records as gzip objects under dir, laid out as a flow
// log delivers them to an S3 bucket: one object per ObjectInterval of data
// (more when ObjectRecords caps an object), each starting with the header
// line of the format. Objects are compressed in parallel, one per CPU; the
// bytes written do not depend on how many there are.
func (g *Generator) WriteS3(dir string) (*Labels, []Object, error) {
	c := &g.cfg
	header := []byte(c.Format.Header() + "\n")
	interval := int64(c.ObjectInterval / time.Second)
	workers := max(1, runtime.GOMAXPROCS(0))

	type job struct {
		obj  *Object
		data []byte
	}
	jobs := make(chan job, workers)
	free := make(chan []byte, 2*workers+2)
	var (
		wg       sync.WaitGroup
		failed   atomic.Bool
		errMu    sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		failed.Store(true)
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			zw, err := gzip.NewWriterLevel(io.Discard, c.GzipLevel)
			if err != nil {
				fail(err)
			}
			for j := range jobs {
				if !failed.Load() {
					path := filepath.Join(dir, filepath.FromSlash(j.obj.Key))
					size, err := writeObject(path, zw, header, j.data)
					if err != nil {
						fail(err)
					}
					j.obj.Size = size
				}
				select {
				case free <- j.data[:0]:
				default:
				}
			}
		}()
	}

	var (
		objs     []*Object
		cur      []byte
		curN     int
		curStart int64 = -1
		seq      int
		sizeHint = 1 << 20
	)
	// Buffers go round between here and the workers; a new one is made
	// as large as the largest object so far, so it seldom grows.
	getBuf := func() []byte {
		select {
		case b := <-free:
			return b
		default:
			return make([]byte, 0, sizeHint)
		}
	}
	cur = getBuf()
	flush := func() {
		if curN == 0 {
			return
		}
		obj := &Object{
			Key: g.ObjectKey(time.Unix(curStart, 0), seq), Start: time.Unix(curStart, 0).UTC(),
			Records: curN, Bytes: int64(len(header) + len(cur)),
		}
		objs = append(objs, obj)
		jobs <- job{obj, cur}
		sizeHint = max(sizeHint, len(cur)+len(cur)/8)
		cur, curN = getBuf(), 0
		seq++
	}
	errStopped := errors.New("stopped")
	labels, err := g.Run(func(b Batch) error {
		if failed.Load() {
			return errStopped
		}
		ws := b.Start.Unix() / interval * interval
		if ws != curStart {
			flush()
			curStart, seq = ws, 0
		}
		lines, n := b.Lines, b.Records
		for c.ObjectRecords > 0 && curN+n > c.ObjectRecords {
			k := c.ObjectRecords - curN
			cut := lineEnd(lines, k)
			cur = append(cur, lines[:cut]...)
			curN += k
			lines, n = lines[cut:], n-k
			flush()
		}
		cur = append(cur, lines...)
		curN += n
		return nil
	})
	if err == nil {
		flush()
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}
	if err != nil {
		return nil, nil, err
	}
	out := make([]Object, len(objs))
	for i, o := range objs {
		out[i] = *o
	}
	return labels, out, nil
}

// lineEnd returns the offset just past the k-th '\n' of b.
func lineEnd(b []byte, k int) int {
	off := 0
	for range k {
		off += bytes.IndexByte(b[off:], '\n') + 1
	}
	return off
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeObject writes one gzip object: the header line, then the records.
// The gzip header has no name and no time, so the bytes depend only on
// the records.
func writeObject(path string, zw *gzip.Writer, header, data []byte) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	cw := &countingWriter{w: f}
	zw.Reset(cw)
	_, err = zw.Write(header)
	if err == nil {
		_, err = zw.Write(data)
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	return cw.n, nil
}

// AllFields returns the format with every known field in the order of the
// AWS table, the order the console's "select all" produces.
func AllFields() *flowlog.Format {
	names := make([]byte, 0, 1024)
	for i, f := range flowlog.Fields() {
		if i > 0 {
			names = append(names, ' ')
		}
		names = append(names, f.AWSName()...)
	}
	f, err := flowlog.ParseHeader(names)
	if err != nil {
		panic("flowgen: the field table does not make a format: " + err.Error())
	}
	return f
}

// Lines reads every flow-log file under dir as flowhec reads it (header,
// gzip) and counts each record line: what a test compares with what a
// pipeline delivered.
func Lines(dir string) (map[string]int, error) {
	lines := map[string]int{}
	err := filepath.WalkDir(dir, func(path string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r := flowlog.NewReader(f, flowlog.ReaderOptions{Source: path})
		for r.Next() {
			lines[string(r.Record().Line)]++
		}
		return r.Err()
	})
	return lines, err
}

// WriteSample writes the default fleet's traffic for duration at rate
// records/s as S3 objects under dir, and returns every line written,
// counted: the input and the expected output of a pipeline test.
func WriteSample(dir string, duration time.Duration, rate float64) (map[string]int, error) {
	cfg := DefaultConfig()
	cfg.Duration, cfg.Rate = duration, rate
	g, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if _, _, err := g.WriteS3(dir); err != nil {
		return nil, err
	}
	return Lines(dir)
}
