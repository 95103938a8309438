package flowlog

import (
	"net/netip"
	"strconv"

	"github.com/flowhec/flowhec/internal/jsonw"
)

// Record is one parsed flow-log line. Its values are sub-slices of the line
// it was parsed from, so a Record is only valid until that buffer is reused;
// Clone makes a copy that outlives it. A Record is meant to be reused:
// Format.Parse overwrites it completely and allocates nothing.
type Record struct {
	// Line is the line the record was parsed from, without its line ending
	// or trailing blanks: what a raw event carries byte for byte.
	Line []byte

	format *Format
	n      int                    // number of columns parsed
	vals   [MaxColumns][]byte     // token of each column; nil when absent ("-")
	nums   [MaxColumns]uint64     // value of each numeric column
	addrs  [MaxColumns]netip.Addr // value of each address column
}

// Format is the format the record was parsed with.
func (r *Record) Format() *Format { return r.format }

// Len is the number of columns in the record.
func (r *Record) Len() int { return r.n }

// Col returns the text of column i and whether it is present; a column
// whose text is "-" is absent.
func (r *Record) Col(i int) ([]byte, bool) {
	if i >= r.n {
		return nil, false
	}
	v := r.vals[i]
	return v, v != nil
}

// ColUint returns the value of numeric column i.
func (r *Record) ColUint(i int) (uint64, bool) {
	if i >= r.n {
		return 0, false
	}
	return r.nums[i], r.vals[i] != nil
}

// Bytes returns the text of fld and whether the record has it.
func (r *Record) Bytes(fld Field) ([]byte, bool) {
	c := r.format.Column(fld)
	if c < 0 || c >= r.n || r.vals[c] == nil {
		return nil, false
	}
	return r.vals[c], true
}

// String returns the text of fld, or "" when it is absent. It allocates;
// hot paths use Bytes.
func (r *Record) String(fld Field) string {
	b, _ := r.Bytes(fld)
	return string(b)
}

// Uint returns the value of a numeric field (TypeInt, TypePort,
// TypeProtocol) and whether the record has it.
func (r *Record) Uint(fld Field) (uint64, bool) {
	c := r.format.Column(fld)
	if c < 0 || c >= r.n || r.vals[c] == nil {
		return 0, false
	}
	return r.nums[c], true
}

// Addr returns the value of an address field and whether the record has it.
func (r *Record) Addr(fld Field) (netip.Addr, bool) {
	c := r.format.Column(fld)
	if c < 0 || c >= r.n || r.vals[c] == nil {
		return netip.Addr{}, false
	}
	return r.addrs[c], true
}

// IsAccept reports whether the record's action is ACCEPT.
func (r *Record) IsAccept() bool {
	b, ok := r.Bytes(Action)
	return ok && string(b) == "ACCEPT"
}

// Time returns the record's start time in Unix seconds, falling back to its
// end time when start is absent; ok is false when both are.
func (r *Record) Time() (sec int64, ok bool) {
	if v, ok := r.Uint(Start); ok {
		return int64(v), true
	}
	if v, ok := r.Uint(End); ok {
		return int64(v), true
	}
	return 0, false
}

// Clone returns a deep copy of r that does not share the line buffer.
func (r *Record) Clone() *Record {
	c := *r
	c.Line = append([]byte(nil), r.Line...)
	// Re-point each value into the copied line; values are sub-slices of it.
	for i := 0; i < r.n; i++ {
		if v := r.vals[i]; v != nil {
			off := cap(r.Line) - cap(v)
			c.vals[i] = c.Line[off : off+len(v) : off+len(v)]
		}
	}
	return &c
}

// AppendJSON appends the record as one compact JSON object with the Splunk
// field names: numbers as JSON numbers, everything else as strings, absent
// fields omitted. It allocates nothing when dst has room.
func (r *Record) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	first := true
	for i := 0; i < r.n; i++ {
		v := r.vals[i]
		if v == nil {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = jsonw.String(dst, r.format.splunk[i])
		dst = append(dst, ':')
		if r.format.cols[i].Type().IsNumber() {
			dst = strconv.AppendUint(dst, r.nums[i], 10)
		} else {
			dst = jsonw.Bytes(dst, v)
		}
	}
	return append(dst, '}')
}
