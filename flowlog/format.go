package flowlog

import (
	"errors"
	"fmt"
	"strings"
)

// MaxColumns is the most columns a Format may have. AWS offers fewer fields
// than this; the bound keeps Record a fixed-size value that is reused
// without allocation.
const MaxColumns = 96

// DefaultFormatString is the AWS format string of the default (version 2)
// format, as DescribeFlowLogs returns it for a flow log created without a
// custom format.
const DefaultFormatString = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

// ErrFormat is wrapped by every error about a format string or header line.
var ErrFormat = errors.New("invalid flow-log format")

// Format is the ordered list of fields in the lines of one flow log. It
// comes from exactly one place: the default format, an S3 object's header
// line, an AWS format string, or the config. It is never guessed from the
// number of tokens in a line: custom formats can have any order, and a
// guess assigns values to the wrong fields without any error.
//
// A Format is immutable once built and safe for concurrent use.
type Format struct {
	cols    []Field  // the field of each column
	types   []Type   // the type of each column, Unknown fields as TypeString
	names   []string // the AWS name of each column (kept for Unknown fields)
	splunk  []string // the Splunk name of each column
	colOf   [NumFields]int8
	unknown []string // AWS names of columns whose field is Unknown
	version int      // highest version of a known field in the format
	isDef   bool     // the columns are the default format's, in its order
}

// DefaultFormat returns the default version 2 format.
func DefaultFormat() *Format { return defaultFormat }

var defaultFormat = mustFormat(ParseFormatString(DefaultFormatString))

func mustFormat(f *Format, err error) *Format {
	if err != nil {
		panic(err)
	}
	return f
}

// ParseFormat accepts what a user may type for a format: "default", an AWS
// format string ("${version} ${vpc-id} …"), or a list of field names
// separated by blanks as in an S3 header line.
func ParseFormat(s string) (*Format, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "default" || s == "":
		return DefaultFormat(), nil
	case strings.Contains(s, "${"):
		return ParseFormatString(s)
	default:
		return ParseHeader([]byte(s))
	}
}

// ParseFormatString parses an AWS LogFormat string: "${field} ${field} …".
func ParseFormatString(s string) (*Format, error) {
	tokens := strings.Fields(s)
	names := make([]string, 0, len(tokens))
	for i, t := range tokens {
		if !strings.HasPrefix(t, "${") || !strings.HasSuffix(t, "}") || len(t) < 4 {
			return nil, fmt.Errorf("%w: token %d %q is not of the form ${field-name}", ErrFormat, i+1, t)
		}
		names = append(names, t[2:len(t)-1])
	}
	return newFormat(names)
}

// ParseHeader parses the header line AWS writes at the top of every S3
// flow-log object: the field names separated by single spaces.
func ParseHeader(line []byte) (*Format, error) {
	return newFormat(strings.Fields(string(line)))
}

// LooksLikeHeader reports whether line is an S3 header line rather than a
// record: every token is shaped like a field name (lower case letters,
// digits and '-', starting with a letter) and at least one is a known field.
// Records never qualify: the default format starts with a number, and a
// custom record's tokens are values such as IDs, upper-case actions or '-'.
func LooksLikeHeader(line []byte) bool {
	known := false
	n := 0
	for tok := range tokens(line) {
		n++
		if !isFieldName(tok) {
			return false
		}
		if _, ok := fieldByAWSName[string(tok)]; ok {
			known = true
		}
	}
	return n > 0 && known
}

func isFieldName(b []byte) bool {
	if len(b) == 0 || b[0] < 'a' || b[0] > 'z' {
		return false
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == ':') {
			return false
		}
	}
	return true
}

func newFormat(names []string) (*Format, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no fields", ErrFormat)
	}
	if len(names) > MaxColumns {
		return nil, fmt.Errorf("%w: %d fields, at most %d are supported", ErrFormat, len(names), MaxColumns)
	}
	f := &Format{
		cols:   make([]Field, len(names)),
		types:  make([]Type, len(names)),
		names:  make([]string, len(names)),
		splunk: make([]string, len(names)),
	}
	for i := range f.colOf {
		f.colOf[i] = -1
	}
	seen := make(map[string]int, len(names))
	for i, name := range names {
		if !isFieldName([]byte(name)) {
			return nil, fmt.Errorf("%w: field %d %q is not a field name (lower-case letters, digits and '-')", ErrFormat, i+1, name)
		}
		if j, dup := seen[name]; dup {
			return nil, fmt.Errorf("%w: field %q appears twice (fields %d and %d)", ErrFormat, name, j+1, i+1)
		}
		seen[name] = i
		fld, ok := fieldByAWSName[name]
		f.cols[i] = fld
		f.names[i] = name
		f.splunk[i] = SplunkNameOf(name)
		if !ok {
			f.unknown = append(f.unknown, name)
			continue
		}
		f.colOf[fld] = int8(i)
		f.types[i] = fld.Type()
		f.version = max(f.version, fld.Version())
	}
	f.isDef = len(f.cols) == 14
	for i, fld := range f.cols {
		f.isDef = f.isDef && fld == Field(i+1) // the table starts with the v2 fields in order
	}
	return f, nil
}

// Len is the number of columns.
func (f *Format) Len() int { return len(f.cols) }

// Field is the field of column i; Unknown for a name the table lacks.
func (f *Format) Field(i int) Field { return f.cols[i] }

// Name is the AWS name of column i.
func (f *Format) Name(i int) string { return f.names[i] }

// SplunkName is the Splunk name of column i.
func (f *Format) SplunkName(i int) string { return f.splunk[i] }

// Column returns the column that holds fld, or -1 if the format lacks it.
func (f *Format) Column(fld Field) int {
	if f == nil || fld == Unknown || int(fld) >= NumFields {
		return -1
	}
	return int(f.colOf[fld])
}

// Has reports whether the format includes fld.
func (f *Format) Has(fld Field) bool { return f.Column(fld) >= 0 }

// Unknown returns the AWS names in the format that the field table does
// not know. They are parsed as strings; callers warn about them once.
func (f *Format) Unknown() []string { return f.unknown }

// Version is the highest flow-log version among the format's known fields:
// the value AWS writes in the version field of its records.
func (f *Format) Version() int { return f.version }

// IsDefault reports whether the format is the default version 2 format,
// whose lines the Splunk Add-on for AWS extracts by position.
func (f *Format) IsDefault() bool { return f.isDef }

// Equal reports whether two formats have the same columns in the same order.
func (f *Format) Equal(g *Format) bool {
	if f == g {
		return true
	}
	if f == nil || g == nil || len(f.names) != len(g.names) {
		return false
	}
	for i := range f.names {
		if f.names[i] != g.names[i] {
			return false
		}
	}
	return true
}

// String returns the AWS format string, "${version} ${account-id} …".
func (f *Format) String() string {
	var b strings.Builder
	for i, n := range f.names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("${")
		b.WriteString(n)
		b.WriteByte('}')
	}
	return b.String()
}

// Header returns the S3 header line for the format, without a line ending.
func (f *Format) Header() string { return strings.Join(f.names, " ") }
