package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/flowhec/flowhec/flowlog"
	"github.com/flowhec/flowhec/forwarder/encode"
	"github.com/flowhec/flowhec/forwarder/source"
)

// maxEventBytes bounds one event, so that it fits in a chunk with room to
// spare. Only a line of control characters, each escaped to six bytes in
// JSON, comes near it; such a line is cut to maxCutLineBytes.
const (
	maxEventBytes   = source.MaxChunkBytes / 2
	maxCutLineBytes = 8 << 10
)

// read reads st's file from st.readPos to its end (or to an error) and
// writes its events. It returns errRestart when the file turns out not to
// be the one st is for, and an error only when w failed.
func (s *Source) read(ctx context.Context, w source.Writer, st *fileState, hold bool) error {
	from := st.readPos
	path := st.path
	f, err := os.Open(path)
	if err != nil {
		s.failed(st, err)
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.failed(st, err)
		return nil
	}
	id := st.identity()
	if idOf(fi) != (fileID{id.Dev, id.Inode}) {
		return errRestart // replaced since the listing
	}
	fp, n, _, err := fingerprint(f, id.FingerprintBytes)
	if err != nil {
		s.failed(st, err) // an *fs.PathError: it names the file
		return nil
	}
	if n != id.FingerprintBytes || fp != id.Fingerprint {
		return errRestart // same inode, other content: rewritten in place
	}
	if n < fingerprintBytes && fi.Size() > int64(n) {
		// Grown past what the fingerprint covered: cover more now.
		if fp, n, _, err := fingerprint(f, fingerprintBytes); err == nil {
			st.mu.Lock()
			st.id.Fingerprint, st.id.FingerprintBytes = fp, n
			st.mu.Unlock()
		}
	}

	br, _, header, err := openStream(f, from.off)
	if errors.Is(err, errShorter) {
		s.log.Warn("file is shorter than its checkpoint: reading it again from the start", "path", path, "checkpoint", from.off, "err", err)
		return errRestart
	}
	if err != nil {
		s.failed(st, fmt.Errorf("%s: %w", path, err))
		return nil
	}
	fd := &feeder{br: br, prefix: header, pos: from.off, hold: hold && !st.gz}
	r := flowlog.NewReader(fd, flowlog.ReaderOptions{Source: path, Format: s.format, MaxLineBytes: s.cfg.MaxLineBytes})
	// The offset is exact for lines of text. CloudWatch payloads (and a
	// gzip inside the gzip) are read ahead of the records returned, so a
	// checkpoint can only be taken at the end of such a file.
	exact := r.Encoding() == flowlog.EncodingText && !r.Gzipped()
	if !exact && from.off > 0 {
		return errRestart
	}

	st.mu.Lock()
	st.eofAt = -1 // reading on: not finished until this read is acked
	st.finished = false
	st.mu.Unlock()
	s.stats.fileReads.Add(1)

	// Line numbers: the Reader counts from 1 at from.off, and counts the
	// header again if it was handed to it again.
	base := from.line
	if header != nil {
		base--
	}
	at := func() pos {
		if !exact {
			return from
		}
		return pos{off: fd.pos, line: base + int64(r.Line())}
	}
	end, nbad, firstBad, err := s.pump(ctx, w, st, r, path, base, at)
	if err != nil {
		return err
	}
	tracked := end // the last chunk, if any, ends there

	readErr := r.Err()
	if fd.err != nil && fd.err != io.EOF {
		// The Reader's message counts lines from where this read started.
		readErr = fmt.Errorf("%s: after line %d (byte %d of the decompressed stream): %w", path, end.line, end.off, fd.err)
	}
	clean := readErr == nil && fd.held == 0
	switch {
	case readErr == nil && exact:
		// Past the last record too: blank lines, a header-only file.
		end = pos{off: fd.pos, line: base + int64(r.Line())}
	case clean:
		end = pos{off: fd.pos}
	}
	if clean {
		st.mu.Lock()
		st.eofAt = end.off
		st.eofSize = fi.Size()
		if !st.gz {
			st.eofSize = end.off
		}
		st.mu.Unlock()
	}
	if end != tracked || clean {
		// Nothing left to send, but the position moved past blank lines or a
		// header, or reached the end: commit it behind the chunks in flight.
		// At the end this is what marks the file finished, as eofAt was
		// set only after the last chunk was written.
		ack, _ := s.track(st, end)
		ack()
	}
	s.stats.bytes.Add(uint64(end.off - from.off))
	st.readPos = end
	st.size = fi.Size()
	st.eofRead = clean
	st.heldSize = -1
	if fd.held > 0 {
		st.heldSize = fi.Size()
	}
	if nbad > 0 {
		s.log.Warn("lines that do not parse were delivered raw, flagged with "+"flowhec_parse_error", "path", path, "bad_lines", nbad, "first", firstBad)
	}
	if readErr != nil {
		s.failed(st, readErr)
		return nil
	}
	if st.failed != "" {
		st.failed = ""
		s.cleared("read " + path)
	}
	s.log.Debug("read file", "path", path, "from", from.off, "to", end.off, "eof", clean)
	return nil
}

// pump reads r to its end, writing a chunk whenever the next event would
// not fit and one for the rest at the end. at says the position after the
// current record. It returns the position after the last record written
// (st.readPos if none), the bad lines and the first of them, located.
func (s *Source) pump(ctx context.Context, w source.Writer, st *fileState, r *flowlog.Reader, name string, base int64, at func() pos) (end pos, nbad int, firstBad error, err error) {
	if st != nil {
		end = st.readPos
	}
	buf := s.buf[:0]
	defer func() { s.buf = buf[:0] }()
	src := encode.NewSource(name)
	count, bad := 0, 0
	for r.Next() {
		rec := r.Record()
		lineErr := r.LineErr()
		if lineErr != nil {
			nbad++
			if nbad == 1 {
				firstBad = locate(lineErr, base)
			}
		}
		mark := len(buf)
		buf = s.enc.Append(buf, rec, src, lineErr)
		if len(buf)-mark > maxEventBytes {
			buf = s.appendCut(buf[:mark], rec, src)
		}
		if len(buf) > source.MaxChunkBytes && count > 0 {
			if err := s.write(ctx, w, st, buf[:mark], count, bad, end); err != nil {
				return end, nbad, firstBad, err
			}
			buf = buf[:copy(buf, buf[mark:])]
			count, bad = 0, 0
		}
		count++
		if lineErr != nil {
			bad++
		}
		end = at()
	}
	if count > 0 {
		// For a read that stopped on an error, at() is still the end of the
		// last line returned: the feeder never hands out a cut line.
		if err := s.write(ctx, w, st, buf, count, bad, end); err != nil {
			return end, nbad, firstBad, err
		}
	}
	return end, nbad, firstBad, nil
}

// write sends one chunk ending at p.
func (s *Source) write(ctx context.Context, w source.Writer, st *fileState, events []byte, count, bad int, p pos) error {
	ack, cancel := s.track(st, p)
	if err := w.Write(ctx, source.Chunk{Events: events, Count: count, Bad: bad, Ack: ack}); err != nil {
		cancel()
		if ctx.Err() != nil {
			return errStopped
		}
		return fmt.Errorf("file source %s: write: %w", s.cfg.Name, err)
	}
	s.stats.chunks.Add(1)
	s.stats.records.Add(uint64(count))
	s.stats.badLines.Add(uint64(bad))
	return nil
}

// appendCut encodes a line whose event would be too large (control
// characters escape to six bytes each) cut short and flagged.
func (s *Source) appendCut(dst []byte, rec *flowlog.Record, src encode.Source) []byte {
	cut := *rec
	cut.Line = rec.Line[:min(len(rec.Line), maxCutLineBytes)]
	return s.enc.Append(dst, &cut, src, &flowlog.ParseError{Err: flowlog.ErrLineTooLong, Got: maxCutLineBytes})
}

// locate gives a bad line's error its line number in the whole file.
func locate(err error, base int64) error {
	var pe *flowlog.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	c := *pe
	c.Line += int(base)
	return &c
}

func (s *Source) failed(st *fileState, err error) {
	s.stats.readErrors.Add(1)
	st.failed = err.Error()
	if s.cfg.Once {
		err = fmt.Errorf("%w; the lines before it were sent", err)
	} else {
		err = fmt.Errorf("%w; the lines before it were sent, the rest is tried again at the next poll", err)
	}
	s.warn("read "+st.path, err)
}

// readStdin reads standard input to its end. Nothing is checkpointed: the
// ack functions only count what is outstanding, for Wait.
func (s *Source) readStdin(ctx context.Context, w source.Writer) error {
	r := flowlog.NewReader(s.stdin, flowlog.ReaderOptions{Source: StdinName, Format: s.format, MaxLineBytes: s.cfg.MaxLineBytes})
	s.stats.fileReads.Add(1)
	_, nbad, firstBad, err := s.pump(ctx, w, nil, r, StdinName, 0, func() pos { return pos{} })
	if err != nil {
		return err
	}
	if nbad > 0 {
		s.log.Warn("lines that do not parse were delivered raw, flagged with flowhec_parse_error", "path", StdinName, "bad_lines", nbad, "first", firstBad)
	}
	if err := r.Err(); err != nil {
		s.stats.readErrors.Add(1)
		s.log.Warn(err.Error() + "; the lines before it were sent")
	}
	return nil
}
