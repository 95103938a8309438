package enrich

import (
	"strconv"

	"github.com/flowhec/flowhec/internal/jsonw"
)

// Kind says how a field's value is held and written.
type Kind uint8

// Field kinds. Numbers are JSON numbers in json events and strings in HEC
// indexed fields (which are always strings); multivalue fields are arrays
// in both.
const (
	KindString Kind = iota
	KindNumber
	KindMulti
)

// Value is one enrichment field of one record. Its strings come from the
// inventory and the tables, built once, so filling a Value allocates
// nothing.
type Value struct {
	Name  string // a Splunk field name: letters, digits and '_', never escaped
	Kind  Kind
	Str   string
	Num   int64
	Multi []string
}

// MaxFields bounds the fields one record can get: 12 per side plus the
// derived ones, with room to spare.
const MaxFields = 48

// Fields are the enrichment fields of one record, reused from record to
// record.
type Fields struct {
	vals [MaxFields]Value
	n    int
}

// Reset empties f for the next record.
func (f *Fields) Reset() { f.n = 0 }

// Len is the number of fields.
func (f *Fields) Len() int { return f.n }

// At returns field i.
func (f *Fields) At(i int) *Value { return &f.vals[i] }

// Str adds a string field; an empty value is left out, as an absent
// flow-log field is.
func (f *Fields) Str(name, v string) {
	if v == "" || f.n == MaxFields {
		return
	}
	f.vals[f.n] = Value{Name: name, Kind: KindString, Str: v}
	f.n++
}

// Num adds a number field.
func (f *Fields) Num(name string, v int64) {
	if f.n == MaxFields {
		return
	}
	f.vals[f.n] = Value{Name: name, Kind: KindNumber, Num: v}
	f.n++
}

// Multi adds a multivalue field; an empty list is left out.
func (f *Fields) Multi(name string, vs []string) {
	if len(vs) == 0 || f.n == MaxFields {
		return
	}
	f.vals[f.n] = Value{Name: name, Kind: KindMulti, Multi: vs}
	f.n++
}

// AppendJSON writes the fields as `"name":value` pairs, each after a comma
// unless it is the first and comma is false: numbers as JSON numbers, or as
// strings when numbersAsStrings (HEC indexed fields are strings);
// multivalue fields as arrays of strings.
func (f *Fields) AppendJSON(dst []byte, comma, numbersAsStrings bool) []byte {
	for i := 0; i < f.n; i++ {
		v := &f.vals[i]
		if comma || i > 0 {
			dst = append(dst, ',')
		}
		// Names are flowhec's own field names (letters, digits, '_'):
		// nothing to escape.
		dst = append(dst, '"')
		dst = append(dst, v.Name...)
		dst = append(dst, '"', ':')
		switch v.Kind {
		case KindNumber:
			if numbersAsStrings {
				dst = append(dst, '"')
			}
			dst = strconv.AppendInt(dst, v.Num, 10)
			if numbersAsStrings {
				dst = append(dst, '"')
			}
		case KindMulti:
			dst = append(dst, '[')
			for j, m := range v.Multi {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = jsonw.String(dst, m)
			}
			dst = append(dst, ']')
		default:
			dst = jsonw.String(dst, v.Str)
		}
	}
	return dst
}
