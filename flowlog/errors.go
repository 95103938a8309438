package flowlog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors carried by ParseError.Err; callers branch on them with
// errors.Is.
var (
	ErrFieldCount  = errors.New("wrong number of fields")
	ErrNumber      = errors.New("not a non-negative integer")
	ErrRange       = errors.New("out of range")
	ErrAddress     = errors.New("not an IPv4 or IPv6 address")
	ErrAction      = errors.New("not ACCEPT, REJECT or -")
	ErrLogStatus   = errors.New("not OK, NODATA, SKIPDATA or -")
	ErrAccount     = errors.New("not an account number or \"unknown\"")
	ErrControl     = errors.New("control character in line")
	ErrLineTooLong = errors.New("line too long")
	ErrEmptyLine   = errors.New("empty line")
)

// maxValueInError bounds how much of a bad value an error quotes, so that a
// line of binary garbage does not flood a log.
const maxValueInError = 64

// ParseError is a bad line: where it was, which field, and why. It is
// modelled on encoding/csv's ParseError.
type ParseError struct {
	Source string // the file, object or stream; "" when unknown
	Line   int    // 1-based line (or log event) number; 0 when unknown
	Column int    // 1-based column of the bad field; 0 when about the whole line
	Field  string // AWS name of the bad field; "" when about the whole line
	Value  string // the bad text, cut to 64 bytes
	Got    int    // ErrFieldCount: the fields in the line
	Want   int    // ErrFieldCount: the fields the format has
	Err    error  // one of the sentinel errors above
}

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString(e.Reason())
	return b.String()
}

// Reason is the error without its location: what is wrong and, where it
// helps, what to do.
func (e *ParseError) Reason() string {
	switch {
	case errors.Is(e.Err, ErrFieldCount):
		noun := "fields"
		if e.Got == 1 {
			noun = "field"
		}
		return fmt.Sprintf("%d %s, format wants %d (set the format from the flow log's LogFormat, or check for a cut line)", e.Got, noun, e.Want)
	case errors.Is(e.Err, ErrLineTooLong):
		return fmt.Sprintf("line longer than %d bytes; skipped to the next line ending", e.Got)
	case errors.Is(e.Err, ErrControl):
		return fmt.Sprintf("control character 0x%02x at byte %d: not a text flow-log line", e.Got, e.Want)
	case e.Field == "":
		return e.Err.Error()
	case errors.Is(e.Err, ErrRange):
		return fmt.Sprintf("field %d (%s) %q: %v %s", e.Column, e.Field, e.Value, e.Err, rangeOf(e.Field))
	}
	return fmt.Sprintf("field %d (%s) %q: %v", e.Column, e.Field, e.Value, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

func quoteValue(b []byte) string {
	if len(b) > maxValueInError {
		return string(b[:maxValueInError]) + "…"
	}
	return string(b)
}

func rangeOf(awsName string) string {
	f, _ := LookupField(awsName)
	switch f.Type() {
	case TypePort:
		return "0-65535"
	case TypeProtocol:
		return "0-255"
	}
	return "0-18446744073709551615"
}
