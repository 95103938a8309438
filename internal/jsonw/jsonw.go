package jsonw

import (
	"unicode/utf8"
	"unsafe"
)

const hexDigits = "0123456789abcdef"

// String appends s as a JSON string literal.
func String(dst []byte, s string) []byte {
	// Bytes only reads its argument, so viewing the string's
	// bytes without a copy is safe.
	return Bytes(dst, unsafe.Slice(unsafe.StringData(s), len(s)))
}

// Bytes appends b as a JSON string literal. Bytes that are not valid UTF-8
// become U+FFFD so the output is always valid JSON.
func Bytes(dst, b []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(b); {
		// Copy the longest run of bytes that need no escaping in one append:
		// flow-log text is almost all such bytes.
		j := i
		for j < len(b) && plain[b[j]] {
			j++
		}
		dst = append(dst, b[i:j]...)
		if i = j; i == len(b) {
			break
		}
		c := b[i]
		if c < utf8.RuneSelf {
			dst = appendEscaped(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, b[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// plain marks the ASCII bytes a JSON string holds as they are.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func appendEscaped(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}
