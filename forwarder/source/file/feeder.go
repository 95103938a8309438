package file

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// feeder stands between a file's decompressed stream and the
// flowlog.Reader, and is how the source knows the byte offset of every
// record: it hands out at most one line per Read, so the Reader's buffers
// never hold more than the line being read. Once the Reader has returned a
// record, every byte handed out has been consumed, and pos is the offset
// just after that record's line ending (the Reader reads ahead only when a
// file starts with blank lines, and then only up to the first record, which
// it returns next). TestFeederOffsets holds the Reader to this.
//
// The offset counts the decompressed stream: for a gzip file it is where to
// skip to after decompressing again, for a plain file where to seek.
type feeder struct {
	br *bufio.Reader // the decompressed stream
	// prefix is handed out first and not counted: the header line of a file
	// resumed past it, so the Reader takes its format again.
	prefix []byte
	cur    []byte // the rest of the line being handed out
	pos    int64  // offset of the next byte to hand out
	// hold keeps back a last line that has no line ending yet (a plain file
	// being written), so that it is read whole at the next poll. held is
	// how many bytes were kept back.
	hold    bool
	held    int
	midLine bool // the last piece handed out did not end a line
	err     error
}

// feederBufBytes is the feeder's buffer. A line longer than this is handed
// out in pieces, which is fine: the Reader cuts lines at MaxLineBytes,
// which Validate keeps at or below it.
const feederBufBytes = 64 << 10

func (f *feeder) Read(p []byte) (int, error) {
	if len(f.prefix) > 0 {
		n := copy(p, f.prefix)
		f.prefix = f.prefix[n:]
		return n, nil
	}
	if len(f.cur) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		line, err := f.br.ReadSlice('\n')
		switch {
		case err == nil:
		case errors.Is(err, bufio.ErrBufferFull):
			// A piece of a long line; the rest follows.
		case err == io.EOF:
			f.err = io.EOF
			if len(line) > 0 && f.hold && !f.midLine {
				f.held = len(line)
				line = nil
			}
		default:
			// Leave a line cut by the error unread: the offset stays at the
			// end of the last whole line, where a retry starts.
			f.err = streamError(err)
			line = nil
		}
		if len(line) == 0 {
			return 0, f.err
		}
		f.cur = line
		f.midLine = line[len(line)-1] != '\n'
	}
	n := copy(p, f.cur)
	f.cur = f.cur[n:]
	f.pos += int64(n)
	return n, nil
}

// streamError says what a read error means for a flow-log file.
func streamError(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("gzip stream truncated: the file is incomplete (still being written or copied?): %w", err)
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("corrupt gzip data: %w", err)
	}
	return err
}

// openStream opens the decompressed stream of f (plain or gzip, told by its
// magic bytes) positioned at offset. If offset is past the first line and
// that line is an S3 header, the header is returned to be read again.
func openStream(f io.ReadSeeker, offset int64) (br *bufio.Reader, gzipped bool, header []byte, err error) {
	br = bufio.NewReaderSize(f, feederBufBytes)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, true, nil, fmt.Errorf("gzip header: %w", streamError(err))
		}
		gzipped = true
		br = bufio.NewReaderSize(zr, feederBufBytes)
	}
	if offset == 0 {
		return br, gzipped, nil, nil
	}
	first, err := br.ReadSlice('\n')
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, gzipped, nil, streamError(err)
	}
	consumed := int64(len(first))
	if int64(len(first)) <= offset && isHeader(first) {
		header = bytes.Clone(first)
		if header[len(header)-1] != '\n' {
			header = append(header, '\n')
		}
	}
	if !gzipped {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			return nil, false, nil, err
		}
		br.Reset(f)
		return br, false, header, nil
	}
	if consumed > offset {
		return nil, true, nil, errShorter
	}
	if n, err := io.CopyN(io.Discard, br, offset-consumed); err != nil {
		if err == io.EOF {
			return nil, true, nil, fmt.Errorf("%w (%d bytes)", errShorter, consumed+n)
		}
		return nil, true, nil, streamError(err)
	}
	return br, true, header, nil
}

// errShorter: the decompressed file ends before its checkpoint, so it is
// not the file the checkpoint was taken in.
var errShorter = errors.New("file is shorter than its checkpoint")
