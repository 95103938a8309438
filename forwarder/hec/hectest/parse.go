package hectest

import (
	"bytes"
	"encoding/json"
	"strings"
)

// HEC reply codes, from the table in Splunk's "Troubleshoot HTTP Event
// Collector" (Getting Data In manual), column "Status code".
const (
	CodeSuccess            = 0  // 200 "Success"
	CodeTokenDisabled      = 1  // 403 "Token disabled"
	CodeTokenRequired      = 2  // 401 "Token is required"
	CodeInvalidAuth        = 3  // 401 "Invalid authorization"
	CodeInvalidToken       = 4  // 403 "Invalid token"
	CodeNoData             = 5  // 400 "No data"
	CodeInvalidDataFormat  = 6  // 400 "Invalid data format"
	CodeIncorrectIndex     = 7  // 400 "Incorrect index"
	CodeInternalError      = 8  // 500 "Internal server error"
	CodeServerBusy         = 9  // 503 "Server is busy"
	CodeChannelMissing     = 10 // 400 "Data channel is missing"
	CodeInvalidChannel     = 11 // 400 "Invalid data channel"
	CodeEventRequired      = 12 // 400 "Event field is required"
	CodeEventBlank         = 13 // 400 "Event field cannot be blank"
	CodeAckDisabled        = 14 // 400 "ACK is disabled"
	CodeIndexedFields      = 15 // 400 "Error in handling indexed fields"
	CodeQueryStringAuthOff = 16 // 400 "Query string authorization is not enabled"
	CodeHealthy            = 17 // 200 "HEC is healthy"
	CodeUnhealthy          = 18 // 503 "HEC is unhealthy, queues are full"

	// CodeCloudChannelMissing is Splunk Cloud's code 10: a token with
	// acknowledgement and no channel, with advice about load balancers
	// (observed on Splunk Cloud Platform 10.5; see Config.Cloud).
	CodeCloudChannelMissing = 28
)

// codeText is the "text" Splunk puts beside each code.
var codeText = map[int]string{
	CodeSuccess:            "Success",
	CodeTokenDisabled:      "Token disabled",
	CodeTokenRequired:      "Token is required",
	CodeInvalidAuth:        "Invalid authorization",
	CodeInvalidToken:       "Invalid token",
	CodeNoData:             "No data",
	CodeInvalidDataFormat:  "Invalid data format",
	CodeIncorrectIndex:     "Incorrect index",
	CodeInternalError:      "Internal server error",
	CodeServerBusy:         "Server is busy",
	CodeChannelMissing:     "Data channel is missing",
	CodeInvalidChannel:     "Invalid data channel",
	CodeEventRequired:      "Event field is required",
	CodeEventBlank:         "Event field cannot be blank",
	CodeAckDisabled:        "ACK is disabled",
	CodeIndexedFields:      "Error in handling indexed fields",
	CodeQueryStringAuthOff: "Query string authorization is not enabled",
	CodeHealthy:            "HEC is healthy",
	CodeUnhealthy:          "HEC is unhealthy, queues are full",
	CodeCloudChannelMissing: "Data channel is missing. If you have multiple indexers, sticky session load balancers " +
		"must be provisioned and client requests must be routed accordingly.",
}

// CodeText returns the text Splunk sends with an HEC code, or "" for a code
// outside Splunk's table.
func CodeText(code int) string { return codeText[code] }

// maxDepth bounds nesting inside one event so that a hostile body cannot
// exhaust the stack.
const maxDepth = 512

// span is a byte range [a, b) of a decoded request body. b == 0 means absent:
// no value can end at offset 0, since every value sits inside an object.
// Offsets are 32-bit: bodies are far below 2 GiB, and the spans of a big
// request stay half the size.
type span struct{ a, b int32 }

func mkspan(a, b int) span { return span{int32(a), int32(b)} }

func (s span) ok() bool { return s.b != 0 }

// evSpans locates the parts of one accepted event inside the request body.
// String spans include their quotes; esc says whether they hold escapes.
type evSpans struct {
	event, time, host, source, sourcetype, index, fields span
	timeQuoted                                           bool
	esc                                                  uint8 // escBit(field) set when the string holds a backslash
	// skip: an object with "fields" and no "event". Splunk takes that
	// shape as a metric, answers 200 and indexes no event for it.
	skip bool
}

// codeStop is parseResult.code for an object with a key Splunk does not
// know. Splunk 10.4 stops there without an error: it answers 200 having
// indexed only the objects before it, or 400 code 5 "No data" when there
// are none (measured against Splunk Enterprise 10.4.3 and Splunk Cloud
// 10.5, as recorded in the logit project's HEC interop notes).
const codeStop = -2

const (
	escHost = 1 << iota
	escSource
	escSourcetype
	escIndex
)

// rules are the per-event checks that depend on configuration.
type rules struct {
	// indexes are allow-lists of index names; an event naming an index must
	// be in every one of them. An event without "index" goes to the token's
	// default index and passes.
	indexes []map[string]bool
	// poison rejects, as invalid data, any event whose raw JSON value of
	// "event" contains one of these strings.
	poison [][]byte
}

// parseResult is the outcome of reading one request body.
type parseResult struct {
	events []evSpans // the events before the first bad one
	bad    int       // index of the first bad event, -1 when all are good
	code   int       // HEC code for the bad event
}

// strSafe[c] is true for bytes that may appear in a JSON string unescaped
// and end nothing.
var strSafe [256]bool

func init() {
	for c := 0x20; c < 256; c++ {
		strSafe[c] = c != '"' && c != '\\'
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// parser walks a request body: zero or more JSON objects separated by
// optional whitespace, which is what Splunk's /services/collector/event
// accepts ("batch multiple events by concatenating JSON objects, no array
// wrapper or commas").
type parser struct {
	b []byte
	i int
}

func (p *parser) skipSpace() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

// skipString consumes a string starting at p.b[p.i] == '"'. It reports
// whether the string holds escapes and whether it is well formed.
func (p *parser) skipString() (esc, ok bool) {
	b, i := p.b, p.i+1
	for {
		for i < len(b) && strSafe[b[i]] {
			i++
		}
		if i >= len(b) {
			return esc, false
		}
		switch b[i] {
		case '"':
			p.i = i + 1
			return esc, true
		case '\\':
			esc = true
			i++
			if i >= len(b) {
				return esc, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+4 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
					return esc, false
				}
				i += 5
			default:
				return esc, false
			}
		default: // control character
			return esc, false
		}
	}
}

// validNumber reports whether b is exactly one JSON number.
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i == len(b)
}

// skipNumber consumes a number at p.i.
func (p *parser) skipNumber() bool {
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if isDigit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			p.i++
			continue
		}
		break
	}
	return validNumber(p.b[start:p.i])
}

func (p *parser) skipLiteral(lit string) bool {
	if len(p.b)-p.i < len(lit) || string(p.b[p.i:p.i+len(lit)]) != lit {
		return false
	}
	p.i += len(lit)
	return true
}

// skipValue consumes and validates any JSON value at p.i.
func (p *parser) skipValue(depth int) bool {
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		_, ok := p.skipString()
		return ok
	case c == '{':
		if depth >= maxDepth {
			return false
		}
		p.i++
		p.skipSpace()
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return true
		}
		for {
			if p.i >= len(p.b) || p.b[p.i] != '"' {
				return false
			}
			if _, ok := p.skipString(); !ok {
				return false
			}
			p.skipSpace()
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return false
			}
			p.i++
			p.skipSpace()
			if !p.skipValue(depth + 1) {
				return false
			}
			if done, ok := p.afterElement('}'); done || !ok {
				return ok
			}
		}
	case c == '[':
		if depth >= maxDepth {
			return false
		}
		p.i++
		p.skipSpace()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return true
		}
		for {
			if !p.skipValue(depth + 1) {
				return false
			}
			if done, ok := p.afterElement(']'); done || !ok {
				return ok
			}
		}
	case c == 't':
		return p.skipLiteral("true")
	case c == 'f':
		return p.skipLiteral("false")
	case c == 'n':
		return p.skipLiteral("null")
	case c == '-' || isDigit(c):
		return p.skipNumber()
	}
	return false
}

// parseFields checks the "fields" value at p.i. Splunk indexes "fields" as
// flat key/value pairs: "Object<String, String | Array<String>>" in the
// event format reference. Checked against Splunk Enterprise: a nested
// object as a value is refused with code 15 "Error in handling indexed
// fields", an array of values is accepted, and "fields" that is not an
// object (an array, say) is code 6. Numbers are accepted as values (Splunk
// indexes their text); true, false and null are refused with code 15.
func (p *parser) parseFields() int {
	if p.b[p.i] != '{' {
		return CodeInvalidDataFormat
	}
	p.i++
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return 0
	}
	for {
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return CodeInvalidDataFormat
		}
		if _, ok := p.skipString(); !ok {
			return CodeInvalidDataFormat
		}
		p.skipSpace()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return CodeInvalidDataFormat
		}
		p.i++
		p.skipSpace()
		if p.i < len(p.b) && p.b[p.i] == '[' {
			if code := p.parseFieldArray(); code != 0 {
				return code
			}
		} else if code := p.fieldScalar(1); code != 0 {
			return code
		}
		done, ok := p.afterElement('}')
		if !ok {
			return CodeInvalidDataFormat
		}
		if done {
			return 0
		}
	}
}

// afterElement consumes what follows an element of an object or an array:
// a comma and the blanks after it (done false: another element follows) or
// the closing byte (done true). ok is false for anything else.
func (p *parser) afterElement(closing byte) (done, ok bool) {
	p.skipSpace()
	if p.i >= len(p.b) {
		return false, false
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		p.skipSpace()
		return false, true
	case closing:
		p.i++
		return true, true
	}
	return false, false
}

// fieldScalar checks one value of an indexed field, at nesting depth: a
// string or a number. Anything else (an object, a nested array, true, null)
// is skipped and is Splunk's code 15; a value that is not JSON is code 6.
func (p *parser) fieldScalar(depth int) int {
	if p.i >= len(p.b) {
		return CodeInvalidDataFormat
	}
	switch c := p.b[p.i]; {
	case c == '"':
		if _, ok := p.skipString(); !ok {
			return CodeInvalidDataFormat
		}
	case c == '-' || isDigit(c):
		if !p.skipNumber() {
			return CodeInvalidDataFormat
		}
	default:
		if !p.skipValue(depth) {
			return CodeInvalidDataFormat
		}
		return CodeIndexedFields
	}
	return 0
}

// parseFieldArray checks a multivalue indexed field: strings or numbers.
func (p *parser) parseFieldArray() int {
	p.i++
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return 0
	}
	for {
		if code := p.fieldScalar(2); code != 0 {
			return code
		}
		done, ok := p.afterElement(']')
		if !ok {
			return CodeInvalidDataFormat
		}
		if done {
			return 0
		}
	}
}

// metaString consumes a string value for host, source, sourcetype or index.
// HEC's event format reference types these as strings; anything else is
// taken as invalid data, code 6.
func (p *parser) metaString(sp *span, esc *uint8, bit uint8) int {
	if p.b[p.i] != '"' {
		return CodeInvalidDataFormat
	}
	start := p.i
	e, ok := p.skipString()
	if !ok {
		return CodeInvalidDataFormat
	}
	*sp = mkspan(start, p.i)
	if e {
		*esc |= bit
	}
	return 0
}

// parseEvent reads one event object at p.i (p.b[p.i] == '{') into ev and
// returns 0, codeStop, or the HEC code that refuses it.
func (p *parser) parseEvent(ev *evSpans, r *rules) int {
	p.i++
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return CodeEventRequired
	}
	unknown := false
	for {
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return CodeInvalidDataFormat
		}
		ks := p.i
		kesc, ok := p.skipString()
		if !ok {
			return CodeInvalidDataFormat
		}
		key := p.b[ks+1 : p.i-1]
		var decoded string
		if kesc {
			decoded = unquote(string(p.b[ks:p.i]))
			key = []byte(decoded)
		}
		p.skipSpace()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return CodeInvalidDataFormat
		}
		p.i++
		p.skipSpace()
		if p.i >= len(p.b) {
			return CodeInvalidDataFormat
		}
		vs := p.i
		code := 0
		switch string(key) {
		case "event":
			if !p.skipValue(0) {
				return CodeInvalidDataFormat
			}
			ev.event = mkspan(vs, p.i)
		case "time":
			// Splunk takes "time" as epoch seconds, a number or a string
			// holding one; anything else is invalid data (code 6).
			switch c := p.b[p.i]; {
			case c == '"':
				esc, ok := p.skipString()
				if !ok || esc || !validNumber(p.b[vs+1:p.i-1]) {
					return CodeInvalidDataFormat
				}
				ev.time, ev.timeQuoted = mkspan(vs, p.i), true
			case c == '-' || isDigit(c):
				if !p.skipNumber() {
					return CodeInvalidDataFormat
				}
				ev.time, ev.timeQuoted = mkspan(vs, p.i), false
			default:
				return CodeInvalidDataFormat
			}
		case "host":
			code = p.metaString(&ev.host, &ev.esc, escHost)
		case "source":
			code = p.metaString(&ev.source, &ev.esc, escSource)
		case "sourcetype":
			code = p.metaString(&ev.sourcetype, &ev.esc, escSourcetype)
		case "index":
			code = p.metaString(&ev.index, &ev.esc, escIndex)
		case "fields":
			code = p.parseFields()
			if code == 0 {
				ev.fields = mkspan(vs, p.i)
			}
		default:
			if !p.skipValue(0) {
				return CodeInvalidDataFormat
			}
			unknown = true
		}
		if code != 0 {
			return code
		}
		done, ok := p.afterElement('}')
		if !ok {
			return CodeInvalidDataFormat
		}
		if !done {
			continue
		}
		break
	}
	if unknown {
		return codeStop
	}
	return p.check(ev, r)
}

// check applies the rules that need the whole event.
func (p *parser) check(ev *evSpans, r *rules) int {
	// An object without "event" is code 12 "Event field is required",
	// naming it in invalid-event-number, unless it has "fields": Splunk
	// takes that shape as a metric and answers 200 (both observed on Splunk
	// Enterprise 10.4.3).
	if !ev.event.ok() {
		if ev.fields.ok() {
			ev.skip = true
			return 0
		}
		return CodeEventRequired
	}
	// An empty string or empty object is refused with code 13 "Event field
	// cannot be blank" (Splunk Enterprise; Vector's HEC source copies it);
	// null carries no event either.
	switch raw := p.b[ev.event.a:ev.event.b]; {
	case len(raw) == 2 && raw[0] == '"':
		return CodeEventBlank
	case raw[0] == '{' && isEmptyObject(raw):
		return CodeEventBlank
	case string(raw) == "null":
		return CodeEventBlank
	}
	if r == nil {
		return 0
	}
	// An index the token may not write to, or one that does not exist, is
	// code 7 "Incorrect index"; an event without "index" goes to the
	// token's default index.
	if len(r.indexes) > 0 && ev.index.ok() {
		name := p.b[ev.index.a+1 : ev.index.b-1]
		if ev.esc&escIndex != 0 {
			name = []byte(unquote(string(p.b[ev.index.a:ev.index.b])))
		}
		for _, allowed := range r.indexes {
			if !allowed[string(name)] {
				return CodeIncorrectIndex
			}
		}
	}
	for _, needle := range r.poison {
		if bytes.Contains(p.b[ev.event.a:ev.event.b], needle) {
			return CodeInvalidDataFormat
		}
	}
	return 0
}

func isEmptyObject(b []byte) bool {
	for _, c := range b[1 : len(b)-1] {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// parseBody reads every event of a decoded request body. It stops at the
// first bad event: Splunk indexes the events before it and reports its
// 0-based position as "invalid-event-number". The spans are appended to
// buf, which may be nil.
func parseBody(b []byte, r *rules) parseResult { return parseInto(nil, b, r) }

func parseInto(buf []evSpans, b []byte, r *rules) parseResult {
	p := parser{b: b}
	if buf == nil {
		buf = make([]evSpans, 0, len(b)/512+1)
	}
	res := parseResult{bad: -1, events: buf[:0]}
	// Splunk also takes a JSON array of event objects as a batch (checked
	// against Splunk Enterprise); events are numbered across the body.
	inArray := false
	for {
		p.skipSpace()
		if p.i >= len(p.b) {
			if inArray {
				res.bad, res.code = len(res.events), CodeInvalidDataFormat
			}
			return res
		}
		if !inArray && p.b[p.i] == '[' {
			p.i++
			p.skipSpace()
			if p.i < len(p.b) && p.b[p.i] == ']' {
				p.i++
				continue
			}
			inArray = true
			continue
		}
		var ev evSpans
		code := CodeInvalidDataFormat
		if p.b[p.i] == '{' {
			code = p.parseEvent(&ev, r)
		}
		if code == 0 && inArray {
			p.skipSpace()
			switch {
			case p.i < len(p.b) && p.b[p.i] == ',':
				p.i++
			case p.i < len(p.b) && p.b[p.i] == ']':
				p.i++
				inArray = false
			default:
				// The object is whole; what follows it is not, so the
				// next event is the bad one.
				res.events = append(res.events, ev)
				res.bad, res.code = len(res.events), CodeInvalidDataFormat
				return res
			}
		}
		if code != 0 {
			res.bad, res.code = len(res.events), code
			return res
		}
		res.events = append(res.events, ev)
	}
}

// onlySpace reports whether b holds nothing but JSON whitespace.
func onlySpace(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// unquote decodes a JSON string literal (quotes included). The literal has
// already been validated.
func unquote(lit string) string {
	if !strings.ContainsRune(lit, '\\') {
		return lit[1 : len(lit)-1]
	}
	var s string
	if err := json.Unmarshal([]byte(lit), &s); err != nil {
		return lit[1 : len(lit)-1]
	}
	return s
}
