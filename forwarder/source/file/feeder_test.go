package file

import (
	"bufio"
	"strings"
	"testing"

	"github.com/flowhec/flowhec/flowlog"
)

const header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

// TestFeederOffsets holds flowlog.Reader to what the feeder relies on:
// once Next has returned a record, every byte handed to the Reader has been
// consumed, so the feeder's count is the offset just after that record's
// line.
func TestFeederOffsets(t *testing.T) {
	long := line(1) + " " + strings.Repeat("x", 2000)
	for _, tc := range []struct {
		name, in string
	}{
		{"plain", text(lines(0, 5))},
		{"crlf and trailing blanks", line(1) + " \r\n" + line(2) + "\t\r\n" + line(3) + "\r\n"},
		{"header", header + "\n" + text(lines(0, 3))},
		{"blank lines", "\n\n" + line(1) + "\n\n\n" + line(2) + "\n \n" + line(3) + "\n\n\n"},
		{"whitespace first", "  \t\n" + line(1) + "\n" + line(2) + "\n"},
		{"no final newline", line(1) + "\n" + line(2)},
		{"too long", line(1) + "\n" + long + "\n" + line(2) + "\n"},
		{"bad lines", line(1) + "\nnot a flow log\n" + line(2) + " extra\n" + line(3) + "\n"},
		{"only header", header + "\n"},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []int64
			var off int64
			for i, l := range strings.SplitAfter(tc.in, "\n") {
				off += int64(len(l))
				if strings.TrimSpace(l) == "" || (i == 0 && isHeader([]byte(l))) {
					continue
				}
				want = append(want, off)
			}
			fd := &feeder{br: bufio.NewReaderSize(strings.NewReader(tc.in), feederBufBytes)}
			r := flowlog.NewReader(fd, flowlog.ReaderOptions{MaxLineBytes: 512})
			var got []int64
			for r.Next() {
				got = append(got, fd.pos)
			}
			if r.Err() != nil {
				t.Fatal(r.Err())
			}
			if len(got) != len(want) {
				t.Fatalf("offsets %v, want %v", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("offsets %v, want %v", got, want)
				}
			}
			if fd.pos != int64(len(tc.in)) {
				t.Fatalf("at the end, offset %d, want %d", fd.pos, len(tc.in))
			}
		})
	}
}

func TestFeederHold(t *testing.T) {
	in := line(1) + "\n" + line(2) + "\n" + "2 123 half a li"
	fd := &feeder{br: bufio.NewReaderSize(strings.NewReader(in), feederBufBytes), hold: true}
	r := flowlog.NewReader(fd, flowlog.ReaderOptions{})
	n := 0
	for r.Next() {
		n++
	}
	if n != 2 || r.Err() != nil {
		t.Fatalf("%d records, err %v; want the 2 whole lines", n, r.Err())
	}
	if want := int64(len(in) - len("2 123 half a li")); fd.pos != want || fd.held != len("2 123 half a li") {
		t.Fatalf("pos %d held %d, want %d and %d", fd.pos, fd.held, want, len("2 123 half a li"))
	}
}
