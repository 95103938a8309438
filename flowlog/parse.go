package flowlog

import (
	"iter"
	"net/netip"
	"unsafe"
)

// Parse parses one line into r. It keeps sub-slices of line in r and
// allocates nothing on success. The line may end in "\n" or "\r\n" and
// carry trailing blanks; tokens are separated by runs of spaces or tabs.
//
// On a bad line Parse returns a *ParseError without Source and Line (the
// reader that knows them fills them in) and r still holds the line and as
// many columns as were read, so the caller can deliver it raw.
func (f *Format) Parse(line []byte, r *Record) error {
	line = trimLineEnd(line)
	r.Line = line
	r.format = f
	r.n = 0
	if len(line) == 0 {
		return &ParseError{Err: ErrEmptyLine}
	}
	want := len(f.cols)
	types := f.types
	n := 0
	i := 0
	for i < len(line) {
		if byteClass[line[i]] == classBlank {
			i++
			continue
		}
		start := i
		for i < len(line) {
			cl := byteClass[line[i]]
			if cl == classText {
				i++
				continue
			}
			if cl == classBlank {
				break
			}
			r.n = n
			return &ParseError{Err: ErrControl, Got: int(line[i]), Want: i + 1}
		}
		if n < want {
			tok := line[start:i:cap(line)]
			// Absent values and strings need no parsing: the common
			// cases stay out of setColumn's call.
			switch {
			case len(tok) == 1 && tok[0] == '-':
				r.vals[n] = nil
			case types[n] == TypeString:
				r.vals[n] = tok
			default:
				if err := r.setColumn(n, tok); err != nil {
					r.n = n
					return err
				}
			}
		}
		n++
	}
	if n != want {
		r.n = min(n, want)
		return &ParseError{Err: ErrFieldCount, Got: n, Want: want}
	}
	r.n = n
	return nil
}

// Byte classes for the tokenizer: one table load per byte instead of
// several comparisons.
const (
	classText uint8 = iota
	classBlank
	classControl
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = classControl
	}
	t[0x7f] = classControl
	t[' '] = classBlank
	t['\t'] = classBlank
	return t
}()

// setColumn validates tok as column i of the record's format and stores it.
// Parse handles absent values ("-") and strings itself.
func (r *Record) setColumn(i int, tok []byte) *ParseError {
	r.vals[i] = tok
	var err error
	switch r.format.types[i] {
	case TypeInt:
		r.nums[i], err = parseUint(tok, 1<<64-1)
	case TypePort:
		r.nums[i], err = parseUint(tok, 65535)
	case TypeProtocol:
		r.nums[i], err = parseUint(tok, 255)
	case TypeAddr:
		r.addrs[i], err = parseAddr(tok)
	case TypeAction:
		if string(tok) != "ACCEPT" && string(tok) != "REJECT" {
			err = ErrAction
		}
	case TypeLogStatus:
		if string(tok) != "OK" && string(tok) != "NODATA" && string(tok) != "SKIPDATA" {
			err = ErrLogStatus
		}
	case TypeAccount:
		if string(tok) != "unknown" && !isDigits(tok) {
			err = ErrAccount
		}
	}
	if err != nil {
		r.vals[i] = nil
		return &ParseError{Column: i + 1, Field: r.format.names[i], Value: quoteValue(tok), Err: err}
	}
	return nil
}

// trimLineEnd drops a trailing "\n", "\r\n" and any blanks before them.
func trimLineEnd(b []byte) []byte {
	for len(b) > 0 {
		switch b[len(b)-1] {
		case '\n', '\r', ' ', '\t':
			b = b[:len(b)-1]
			continue
		}
		break
	}
	return b
}

func isDigits(b []byte) bool {
	if len(b) == 0 || len(b) > 20 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseUint parses a decimal integer without sign, at most limit.
func parseUint(b []byte, limit uint64) (uint64, error) {
	if len(b) == 0 {
		return 0, ErrNumber
	}
	if len(b) > 19 {
		// Might not fit in 64 bits: the careful, rare path.
		return parseUintChecked(b, limit)
	}
	// Up to 19 digits cannot overflow a uint64; compare with limit once.
	var v uint64
	for _, c := range b {
		d := uint64(c - '0')
		if d > 9 {
			return 0, ErrNumber
		}
		v = v*10 + d
	}
	if v > limit {
		return 0, ErrRange
	}
	return v, nil
}

func parseUintChecked(b []byte, limit uint64) (uint64, error) {
	var v uint64
	overflow := false
	for _, c := range b {
		d := uint64(c - '0')
		if d > 9 {
			return 0, ErrNumber // a syntax error wins over a range error
		}
		if v > (limit-d)/10 {
			overflow = true
		}
		v = v*10 + d
	}
	if overflow {
		return 0, ErrRange
	}
	return v, nil
}

// parseAddr parses a dotted-quad IPv4 address by hand (the common case) and
// anything with a ':' with net/netip. Zones are not flow-log addresses.
func parseAddr(b []byte) (netip.Addr, error) {
	if a, ok := parseIPv4(b); ok {
		return a, nil
	}
	for _, c := range b {
		if c == '%' {
			return netip.Addr{}, ErrAddress
		}
	}
	// netip.ParseAddr does not retain its argument for addresses without a
	// zone, so the bytes need not be copied into a string.
	a, err := netip.ParseAddr(unsafe.String(unsafe.SliceData(b), len(b)))
	if err != nil || !a.Is6() {
		return netip.Addr{}, ErrAddress
	}
	return a, nil
}

func parseIPv4(b []byte) (netip.Addr, bool) {
	var ip [4]byte
	part, digits, v := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || part > 3 {
				return netip.Addr{}, false
			}
			ip[part] = byte(v)
			part++
			digits, v = 0, 0
			continue
		}
		c := b[i]
		if c < '0' || c > '9' {
			return netip.Addr{}, false
		}
		if digits > 0 && v == 0 { // leading zero: ambiguous (octal?), reject
			return netip.Addr{}, false
		}
		v = v*10 + int(c-'0')
		digits++
		if v > 255 {
			return netip.Addr{}, false
		}
	}
	if part != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(ip), true
}

// tokens yields the blank-separated tokens of b.
func tokens(b []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		i := 0
		for i < len(b) {
			for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
				i++
			}
			start := i
			for i < len(b) && b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\n' {
				i++
			}
			if i > start && !yield(b[start:i]) {
				return
			}
		}
	}
}
