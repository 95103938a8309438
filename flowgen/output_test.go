package flowgen_test

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowhec/flowhec/flowgen"
	"github.com/flowhec/flowhec/flowlog"
)

var keyRE = regexp.MustCompile(`^AWSLogs/123456789012/vpcflowlogs/us-east-1/(\d{4})/(\d{2})/(\d{2})/123456789012_vpcflowlogs_us-east-1_fl-0c7f3a9e21b4d5a68_(\d{8})T(\d{2})(\d{2})Z_[0-9a-f]{8}\.log\.gz$`)

func TestWriteS3(t *testing.T) {
	tests := []struct {
		name          string
		format        *flowlog.Format
		objectRecords int
	}{
		{"default format, 5-minute objects", flowlog.DefaultFormat(), 0},
		{"all fields shuffled, at most 700 records an object", shuffledAllFields(t, 4), 700},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := flowgen.DefaultConfig()
			c.Start = time.Date(2026, 11, 1, 23, 50, 0, 0, time.UTC) // objects on two days
			c.Duration = 20 * time.Minute
			c.Rate = 5
			c.HealthCheck.Enabled = false
			c.Memcached.At = c.Start.Add(3 * time.Minute)
			c.Format = tt.format
			c.ObjectRecords = tt.objectRecords
			g, err := flowgen.New(c)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			labels, objs, err := g.WriteS3(dir)
			if err != nil {
				t.Fatal(err)
			}

			// The objects returned are the files written, and nothing else.
			var files []string
			filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(dir, path)
					files = append(files, filepath.ToSlash(rel))
				}
				return err
			})
			if len(files) != len(objs) {
				t.Fatalf("%d files, %d objects", len(files), len(objs))
			}

			var total int64
			windows := map[time.Time]int{}
			for _, o := range objs {
				m := keyRE.FindStringSubmatch(o.Key)
				if m == nil {
					t.Fatalf("key %q is not the AWS layout", o.Key)
				}
				if m[1]+m[2]+m[3] != m[4] || o.Start.Format("20060102T1504") != m[4]+"T"+m[5]+m[6] {
					t.Errorf("key %q does not match its window %s", o.Key, o.Start)
				}
				if min, _ := strconv.Atoi(m[6]); min%5 != 0 {
					t.Errorf("key %q: window not on 5 minutes", o.Key)
				}
				windows[o.Start]++
				if tt.objectRecords > 0 && o.Records > tt.objectRecords {
					t.Errorf("object %s has %d records, limit %d", o.Key, o.Records, tt.objectRecords)
				}
				raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(o.Key)))
				if err != nil {
					t.Fatal(err)
				}
				if int64(len(raw)) != o.Size {
					t.Errorf("object %s: %d bytes on disk, Size %d", o.Key, len(raw), o.Size)
				}
				zr, err := gzip.NewReader(bytes.NewReader(raw))
				if err != nil {
					t.Fatalf("%s: %v", o.Key, err)
				}
				plain, err := io.ReadAll(zr)
				if err != nil {
					t.Fatalf("%s: %v", o.Key, err)
				}
				if int64(len(plain)) != o.Bytes {
					t.Errorf("object %s: %d bytes, Bytes %d", o.Key, len(plain), o.Bytes)
				}
				header, body, _ := bytes.Cut(plain, []byte("\n"))
				if string(header) != tt.format.Header() {
					t.Fatalf("object %s starts with %q, want the header %q", o.Key, header, tt.format.Header())
				}
				lo, hi := uint64(o.Start.Unix()), uint64(o.Start.Add(5*time.Minute).Unix())
				n := eachRecord(t, tt.format, body, func(r *flowlog.Record) {
					s, e := num(t, r, flowlog.Start), num(t, r, flowlog.End)
					if s < lo || e >= hi {
						t.Fatalf("object %s holds a record of %d-%d, outside its window: %s", o.Key, s, e, r.Line)
					}
				})
				if n != o.Records {
					t.Errorf("object %s: %d records, Records %d", o.Key, n, o.Records)
				}
				total += int64(n)

				// The package's own reader takes the format from the header.
				rd := flowlog.NewReader(bytes.NewReader(raw), flowlog.ReaderOptions{Source: o.Key})
				read := 0
				for rd.Next() {
					if err := rd.LineErr(); err != nil {
						t.Fatal(err)
					}
					read++
				}
				if rd.Err() != nil || read != n || !rd.HasHeader() || !rd.Format().Equal(tt.format) {
					t.Fatalf("flowlog.Reader: %d records, err %v, header %v", read, rd.Err(), rd.HasHeader())
				}
			}
			if total != labels.Totals.Records {
				t.Errorf("%d records in the objects, labels say %d", total, labels.Totals.Records)
			}
			if len(windows) != 4 {
				t.Errorf("objects in %d 5-minute windows, want 4", len(windows))
			}
			if tt.objectRecords > 0 && len(objs) <= len(windows) {
				t.Errorf("ObjectRecords %d split no object (%d objects)", tt.objectRecords, len(objs))
			}

			// The same config writes the same bytes.
			dir2 := t.TempDir()
			if _, objs2, err := g.WriteS3(dir2); err != nil || len(objs2) != len(objs) {
				t.Fatalf("second run: %d objects, %v", len(objs2), err)
			}
			for _, f := range files {
				a, _ := os.ReadFile(filepath.Join(dir, f))
				b, _ := os.ReadFile(filepath.Join(dir2, f))
				if !bytes.Equal(a, b) {
					t.Fatalf("object %s differs between two runs", f)
				}
			}
		})
	}
}

func TestWriteS3Error(t *testing.T) {
	c := smallConfig()
	g, err := flowgen.New(c)
	if err != nil {
		t.Fatal(err)
	}
	// A file where a directory must go.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "AWSLogs"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.WriteS3(dir); err == nil {
		t.Fatal("WriteS3 into a blocked directory succeeded")
	}
}

func TestWriteLinesMatchesRun(t *testing.T) {
	c := smallConfig()
	g, err := flowgen.New(c)
	if err != nil {
		t.Fatal(err)
	}
	var viaRun bytes.Buffer
	var windows int
	if _, err := g.Run(func(b flowgen.Batch) error {
		if b.Start.Unix()%60 != 0 || bytes.Count(b.Lines, []byte("\n")) != b.Records {
			t.Fatalf("batch at %s: %d lines, Records %d", b.Start, bytes.Count(b.Lines, []byte("\n")), b.Records)
		}
		windows++
		viaRun.Write(b.Lines)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var lines bytes.Buffer
	if _, err := g.WriteLines(&lines); err != nil {
		t.Fatal(err)
	}
	if windows != 10 {
		t.Errorf("%d batches for 10 minutes", windows)
	}
	if !bytes.Equal(viaRun.Bytes(), lines.Bytes()) {
		t.Error("WriteLines and Run disagree")
	}
}

func TestObjectKey(t *testing.T) {
	g, err := flowgen.New(flowgen.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 1, 14, 45, 0, 0, time.UTC)
	k0, k1 := g.ObjectKey(at, 0), g.ObjectKey(at, 1)
	if !keyRE.MatchString(k0) || k0 == k1 {
		t.Errorf("keys %q and %q", k0, k1)
	}
	if want := "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/01/123456789012_vpcflowlogs_us-east-1_fl-0c7f3a9e21b4d5a68_20261101T1445Z_"; k0[:len(want)] != want {
		t.Errorf("key %q, want prefix %q", k0, want)
	}
}
