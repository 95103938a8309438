package flowlog_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/flowhec/flowhec/flowlog"
)

// badCase is one line of testdata/bad/cases.txt.
type badCase struct {
	file   string
	input  []byte // when set, the input instead of the file's content
	good   int
	errors []string // LINE:SENTINEL:COLUMN:FIELD
	stop   string   // "" when reading ends cleanly
}

func loadBadCases(t *testing.T) []badCase {
	t.Helper()
	var cases []badCase
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, filepath.Join(testdata, "bad", "cases.txt"))))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 4 {
			t.Fatalf("cases.txt: %d columns in %q", len(cols), line)
		}
		good, err := strconv.Atoi(cols[1])
		if err != nil {
			t.Fatalf("cases.txt: %q: %v", line, err)
		}
		c := badCase{file: cols[0], good: good}
		if cols[2] != "-" {
			c.errors = strings.Fields(cols[2])
		}
		if cols[3] != "-" {
			c.stop = cols[3]
		}
		cases = append(cases, c)
	}
	return cases
}

// TestBadInputCorpus reads every file of testdata/bad as cases.txt says it
// must be read: the right sentinel, line, column and field for every bad
// line, the good lines around them, and nothing dropped.
func TestBadInputCorpus(t *testing.T) {
	cases := loadBadCases(t)

	// Every file in the directory is a case, and every case a file.
	entries, err := os.ReadDir(filepath.Join(testdata, "bad"))
	if err != nil {
		t.Fatal(err)
	}
	var files, named []string
	for _, e := range entries {
		if n := e.Name(); n != "cases.txt" && n != "formats.txt" {
			files = append(files, n)
		}
	}
	for _, c := range cases {
		named = append(named, c.file)
	}
	slices.Sort(named)
	if !slices.Equal(files, named) {
		t.Errorf("files in testdata/bad and cases.txt differ:\nfiles %v\ncases %v", files, named)
	}

	// Cases too big to keep in the repository.
	mib := bytes.Repeat([]byte("9"), 1<<20)
	cases = append(cases,
		badCase{file: "generated/line-1MiB.log", input: joinLines([][]byte{[]byte(lineDefault), mib, []byte(lineReject)}),
			good: 2, errors: []string{"2:ErrLineTooLong:0:"}},
		badCase{file: "generated/line-1MiB.log.gz", input: gzipBytes(t, joinLines([][]byte{[]byte(defaultHeader), []byte(lineDefault), mib, mib, []byte(lineReject)})),
			good: 2, errors: []string{"3:ErrLineTooLong:0:", "4:ErrLineTooLong:0:"}},
		badCase{file: "generated/nul-1MiB.bin", input: make([]byte, 1<<20), good: 0, errors: []string{"1:ErrLineTooLong:0:"}},
	)
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}

	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data := c.input
			if data == nil {
				data = readFile(t, filepath.Join(testdata, "bad", c.file))
			}
			items, r, err := readAll(t, bytes.NewReader(data), flowlog.ReaderOptions{Source: c.file})

			var gotErrs []string
			good := 0
			for _, it := range items {
				if it.err == nil {
					good++
					checkJSON(t, it.rec.Format(), it.rec.AppendJSON(nil))
					continue
				}
				pe := it.err
				gotErrs = append(gotErrs, fmt.Sprintf("%d:%s:%d:%s", pe.Line, sentinelName(pe), pe.Column, pe.Field))
				checkErrorText(t, c.file, it)
			}
			if good != c.good {
				t.Errorf("%d good records, want %d", good, c.good)
			}
			if !slices.Equal(gotErrs, c.errors) {
				t.Errorf("errors\n got %q\nwant %q", gotErrs, c.errors)
			}

			switch {
			case c.stop == "" && err != nil:
				t.Errorf("Err = %v, want a clean end", err)
			case c.stop != "" && (err == nil || !strings.Contains(err.Error(), c.stop)):
				t.Errorf("Err = %v, want it to contain %q", err, c.stop)
			case err != nil:
				msg := err.Error()
				if !strings.HasPrefix(msg, c.file+":") || strings.Contains(msg, "Go value") || strings.Contains(msg, "Go struct") || strings.Contains(msg, "%!") {
					t.Errorf("Err %q: does not start with the source, or names Go internals", msg)
				}
			}

			// Nothing silently dropped: each line that holds anything
			// gave one record, good or bad, whose Line is that line.
			text := data
			if r.Gzipped() {
				text, _ = io.ReadAll(mustGunzip(t, data)) // as far as it goes
			}
			if r.Encoding() != flowlog.EncodingText {
				return
			}
			lines := strings.Split(string(text), "\n")
			want := dataLines(text, r.HasHeader())
			if err != nil {
				want = min(want, len(items)) // reading stopped early, and said so
			}
			if len(items) != want {
				t.Errorf("%d good + %d bad records; the input has %d record lines", good, len(gotErrs), want)
			}
			for _, it := range items {
				in := strings.TrimRight(lines[it.line-1], " \t\r\n")
				if it.err != nil && it.err.Err == flowlog.ErrLineTooLong {
					in = in[:64]
				}
				if it.raw != in {
					t.Errorf("line %d: record Line %.80q, input %.80q", it.line, it.raw, in)
				}
			}
		})
	}
}

// checkErrorText checks that a bad line's message says where and what:
// "FILE:LINE: field N (NAME) "VALUE": reason" or "FILE:LINE: reason".
func checkErrorText(t *testing.T, file string, it item) {
	t.Helper()
	pe := it.err
	msg := it.errAny.Error()
	if pe.Source != file || pe.Line != it.line {
		t.Errorf("%s: Source %q Line %d, want %q %d", msg, pe.Source, pe.Line, file, it.line)
	}
	prefix := fmt.Sprintf("%s:%d: ", file, it.line)
	if !strings.HasPrefix(msg, prefix) || msg != prefix+pe.Reason() {
		t.Errorf("%q does not start with %q", msg, prefix)
	}
	if pe.Field != "" {
		if !strings.Contains(msg, fmt.Sprintf("field %d (%s) %q: ", pe.Column, pe.Field, pe.Value)) {
			t.Errorf("%q does not name the field and value", msg)
		}
		if f, ok := flowlog.LookupField(pe.Field); ok && it.rec == nil && !typeMatches(f.Type(), pe) {
			t.Errorf("%q: %v for a %v field", msg, pe.Err, f.Type())
		}
	}
	if strings.Contains(msg, "%!") || len(msg) > 300 {
		t.Errorf("message %q", msg)
	}
}

// typeMatches reports whether a field of type typ can fail with pe's
// sentinel.
func typeMatches(typ flowlog.Type, pe *flowlog.ParseError) bool {
	switch pe.Err {
	case flowlog.ErrNumber, flowlog.ErrRange:
		return typ.IsNumber()
	case flowlog.ErrAddress:
		return typ == flowlog.TypeAddr
	case flowlog.ErrAction:
		return typ == flowlog.TypeAction
	case flowlog.ErrLogStatus:
		return typ == flowlog.TypeLogStatus
	case flowlog.ErrAccount:
		return typ == flowlog.TypeAccount
	}
	return false
}
