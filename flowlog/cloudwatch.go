package flowlog

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// CloudWatch Logs subscription message types.
const (
	cwDataMessage    = "DATA_MESSAGE"
	cwControlMessage = "CONTROL_MESSAGE"
)

// CloudWatchEvent says where the current record of a CloudWatch Logs
// payload came from.
type CloudWatchEvent struct {
	Owner     string // the account that owns the log group
	LogGroup  string
	LogStream string // for flow logs: the ENI, "eni-…-all"
	ID        string // the log event's ID
	Timestamp int64  // ingestion time, Unix milliseconds
}

// cwPayload is one subscription payload. Payloads are decoded one at a time
// (Firehose writes many back to back into one S3 object); each is bounded by
// CloudWatch Logs' own 1 MB batch limit, so memory stays bounded.
type cwPayload struct {
	MessageType string `json:"messageType"`
	Owner       string `json:"owner"`
	LogGroup    string `json:"logGroup"`
	LogStream   string `json:"logStream"`
	LogEvents   []struct {
		ID        string `json:"id"`
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	} `json:"logEvents"`
}

type cloudWatchReader struct {
	dec      *json.Decoder
	payload  cwPayload
	next     int    // index of the next event in payload
	payloads int    // payloads decoded so far
	buf      []byte // the current message, as bytes for the parser
}

func newCloudWatchReader(r *bufio.Reader) *cloudWatchReader {
	return &cloudWatchReader{dec: json.NewDecoder(r)}
}

func (r *Reader) nextCloudWatch() bool {
	cw := r.cw
	for cw.next >= len(cw.payload.LogEvents) {
		cw.payload = cwPayload{}
		cw.next = 0
		err := cw.dec.Decode(&cw.payload)
		if err == io.EOF {
			r.done = true
			return false
		}
		if err != nil {
			r.fail(r.cloudWatchError(err))
			return false
		}
		cw.payloads++
		switch cw.payload.MessageType {
		case cwDataMessage:
		case cwControlMessage:
			// CloudWatch Logs checks the destination with these; they carry
			// no flow records.
			cw.payload.LogEvents = nil
		default:
			r.fail(fmt.Errorf("%s: CloudWatch payload %d: messageType %q, want %s or %s: not a CloudWatch Logs subscription payload",
				r.where(), cw.payloads, cw.payload.MessageType, cwDataMessage, cwControlMessage))
			return false
		}
	}
	ev := &cw.payload.LogEvents[cw.next]
	cw.next++
	r.lineNo++
	cw.buf = append(cw.buf[:0], ev.Message...)
	r.parse(cw.buf)
	return true
}

func (r *Reader) cloudWatchError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) && r.gzipped:
		return fmt.Errorf("%s: gzip stream truncated in CloudWatch payload %d (re-fetch the object): %w", r.where(), r.cw.payloads+1, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: CloudWatch payload %d is cut short: %w", r.where(), r.cw.payloads+1, err)
	case errors.As(err, &syn):
		return fmt.Errorf("%s: CloudWatch payload %d: invalid JSON at byte %d: %w", r.where(), r.cw.payloads+1, syn.Offset, err)
	case errors.As(err, &typ):
		// encoding/json's own text names Go types; say it in JSON terms.
		if typ.Field == "" {
			return fmt.Errorf("%s: CloudWatch payload %d is a JSON %s, not an object: not a CloudWatch Logs subscription payload", r.where(), r.cw.payloads+1, typ.Value)
		}
		return fmt.Errorf("%s: CloudWatch payload %d: field %q has the wrong type (a JSON %s): not a CloudWatch Logs subscription payload", r.where(), r.cw.payloads+1, typ.Field, typ.Value)
	}
	return r.ioError(err)
}

// CloudWatchEvent returns where the current record came from when the
// input is CloudWatch Logs payloads; ok is false for text input.
func (r *Reader) CloudWatchEvent() (ev CloudWatchEvent, ok bool) {
	if r.cw == nil || r.cw.next == 0 {
		return CloudWatchEvent{}, false
	}
	p := &r.cw.payload
	e := &p.LogEvents[r.cw.next-1]
	return CloudWatchEvent{Owner: p.Owner, LogGroup: p.LogGroup, LogStream: p.LogStream, ID: e.ID, Timestamp: e.Timestamp}, true
}
