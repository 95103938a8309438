package flowlog

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// DefaultMaxLineBytes bounds one line. The longest AWS record, every field
// with long ECS ARNs, is well under 4 KiB; a longer line is not a flow-log
// line, and bounding it keeps memory flat whatever the input.
const DefaultMaxLineBytes = 64 << 10

// Encoding is the container a Reader found its lines in.
type Encoding uint8

// Encodings a Reader detects from the first bytes of its input.
const (
	EncodingText       Encoding = iota // lines of text, one record each
	EncodingCloudWatch                 // CloudWatch Logs subscription payloads (JSON)
)

func (e Encoding) String() string {
	if e == EncodingCloudWatch {
		return "cloudwatch"
	}
	return "text"
}

// ReaderOptions configure a Reader.
type ReaderOptions struct {
	// Source names the input in errors: a path, s3://bucket/key, a log group.
	Source string
	// Format is the format of lines that are not preceded by a header line.
	// Nil means the default format. A header line in the input overrides it:
	// AWS writes the header from the flow log's own LogFormat.
	Format *Format
	// MaxLineBytes bounds a line; 0 means DefaultMaxLineBytes.
	MaxLineBytes int
}

// Reader streams records out of one input: plain text or gzip (detected by
// its magic bytes, any number of members), an S3 object that starts with a
// header line, or CloudWatch Logs subscription payloads. Memory use is
// bounded by MaxLineBytes and one CloudWatch payload, not by input size.
//
// Use it like bufio.Scanner:
//
//	for r.Next() {
//		if err := r.LineErr(); err != nil { report(err); continue }
//		use(r.Record())
//	}
//	if err := r.Err(); err != nil { … }
type Reader struct {
	opts     ReaderOptions
	format   *Format
	encoding Encoding
	gzipped  bool
	header   bool // the input began with a header line

	text *bufio.Reader
	cw   *cloudWatchReader

	rec     Record
	lineNo  int
	lineErr *ParseError
	err     error
	done    bool
}

// NewReader returns a Reader of in. It reads only the first bytes, to detect
// gzip and JSON; errors doing so are reported by Err after Next.
func NewReader(in io.Reader, opts ReaderOptions) *Reader {
	if opts.Format == nil {
		opts.Format = DefaultFormat()
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	r := &Reader{opts: opts, format: opts.Format}
	br := bufio.NewReaderSize(in, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			r.fail(fmt.Errorf("%s: gzip header: %w", r.where(), err))
			return r
		}
		r.gzipped = true
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	if isJSONStart(br) {
		r.encoding = EncodingCloudWatch
		r.cw = newCloudWatchReader(br)
		return r
	}
	r.text = bufio.NewReaderSize(br, opts.MaxLineBytes)
	if opts.MaxLineBytes < br.Size() {
		// NewReaderSize hands back br itself, whose larger buffer would let
		// longer lines through; hiding its type gets a buffer of the limit.
		r.text = bufio.NewReaderSize(struct{ io.Reader }{br}, opts.MaxLineBytes)
	}
	return r
}

// isJSONStart reports whether the first non-blank byte is '{'. A flow-log
// line never starts with '{'.
func isJSONStart(br *bufio.Reader) bool {
	for n := 1; n <= 512; n++ {
		b, err := br.Peek(n)
		if len(b) < n {
			return false
		}
		switch b[n-1] {
		case ' ', '\t', '\r', '\n':
			if err != nil {
				return false
			}
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

// Next advances to the next record, good or bad. It returns false at the
// end of the input or on an error that stops reading (see Err).
func (r *Reader) Next() bool {
	if r.done || r.err != nil {
		r.done = true
		return false
	}
	if r.cw != nil {
		return r.nextCloudWatch()
	}
	return r.nextText()
}

func (r *Reader) nextText() bool {
	for {
		line, err := r.text.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			r.lineNo++
			// Keep the head before skipRestOfLine reuses line's buffer.
			head := append([]byte(nil), line[:min(len(line), maxValueInError)]...)
			r.skipRestOfLine()
			r.rec = Record{Line: head, format: r.format}
			r.lineErr = &ParseError{Source: r.opts.Source, Line: r.lineNo, Err: ErrLineTooLong, Got: r.opts.MaxLineBytes}
			return true
		}
		if len(line) > 0 {
			r.lineNo++
			if r.lineNo == 1 && r.takeHeader(line) {
				if r.err != nil {
					return false // a bad header: no line may be read with another format
				}
				continue
			}
			if len(trimLineEnd(line)) == 0 {
				// Blank lines carry nothing (an empty object is one); they
				// are not records and not errors.
				if err != nil {
					return r.end(err)
				}
				continue
			}
			r.parse(line)
			if err != nil && err != io.EOF {
				// Deliver the last line first; the error is reported next.
				r.err = r.ioError(err)
			}
			return true
		}
		return r.end(err)
	}
}

// takeHeader handles an S3 header line: it sets the format and reports
// whether line was one.
func (r *Reader) takeHeader(line []byte) bool {
	line = trimLineEnd(line)
	if !LooksLikeHeader(line) {
		return false
	}
	f, err := ParseHeader(line)
	if err != nil {
		// A header we cannot use is fatal: guessing the order instead would
		// put values in the wrong fields.
		r.fail(fmt.Errorf("%s:1: header line: %w", r.where(), err))
		return true
	}
	if f.Equal(r.format) {
		f = r.format // keep the shared instance, e.g. DefaultFormat()
	}
	r.format = f
	r.header = true
	return true
}

func (r *Reader) skipRestOfLine() {
	for {
		_, err := r.text.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			if err != nil && err != io.EOF {
				r.err = r.ioError(err)
			}
			return
		}
	}
}

func (r *Reader) parse(line []byte) {
	r.lineErr = nil
	if err := r.format.Parse(line, &r.rec); err != nil {
		pe := err.(*ParseError)
		pe.Source = r.opts.Source
		pe.Line = r.lineNo
		r.lineErr = pe
	}
}

func (r *Reader) end(err error) bool {
	if err != nil && err != io.EOF {
		r.err = r.ioError(err)
	}
	r.done = true
	return false
}

func (r *Reader) fail(err error) {
	r.err = err
	r.done = true
}

func (r *Reader) ioError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) && r.gzipped {
		return fmt.Errorf("%s: gzip stream truncated after line %d (the object is incomplete; re-fetch it): %w", r.where(), r.lineNo, err)
	}
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		return fmt.Errorf("%s: corrupt gzip data after line %d: %w", r.where(), r.lineNo, err)
	}
	return fmt.Errorf("%s: read after line %d: %w", r.where(), r.lineNo, err)
}

func (r *Reader) where() string {
	if r.opts.Source == "" {
		return "input"
	}
	return r.opts.Source
}

// Record is the current record. It and its values are valid until the next
// call to Next. When LineErr is not nil the record holds the raw line and
// only the columns before the bad one.
func (r *Reader) Record() *Record { return &r.rec }

// LineErr is the *ParseError of the current line, or nil if it parsed.
func (r *Reader) LineErr() error {
	if r.lineErr == nil {
		return nil
	}
	return r.lineErr
}

// Err is the error that stopped reading, nil at a clean end of input. Lines
// read before it were all returned by Next.
func (r *Reader) Err() error { return r.err }

// Format is the format of the current record: the header's, if the input
// had one, else the one in ReaderOptions.
func (r *Reader) Format() *Format { return r.format }

// HasHeader reports whether the input began with a header line.
func (r *Reader) HasHeader() bool { return r.header }

// Encoding is the kind of input detected.
func (r *Reader) Encoding() Encoding { return r.encoding }

// Gzipped reports whether the input was gzip-compressed.
func (r *Reader) Gzipped() bool { return r.gzipped }

// Line is the 1-based number of the current line (header included) or,
// for CloudWatch payloads, of the current log event.
func (r *Reader) Line() int { return r.lineNo }
