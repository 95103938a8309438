package hectest

import (
	"encoding/json"
	"maps"
	"math"
	"strconv"
	"time"
)

// Event is one event the server indexed, as the client sent it.
type Event struct {
	// Time is the "time" value as sent, as number text (a string holding a
	// number is unquoted); HasTime says whether the event had one.
	Time    json.Number
	HasTime bool
	// Host, Source, Sourcetype and Index are as sent; "" when absent.
	Host, Source, Sourcetype, Index string
	// Event is the raw JSON of the "event" value: a JSON string for a raw
	// line, an object for a JSON event. Text gives it as a Go string.
	Event json.RawMessage
	// Fields are the indexed fields ("fields"): string values as string,
	// numbers as json.Number, multivalue fields as []any of those; nil when
	// the event had none. The map is shared between calls to Events and must
	// not be modified.
	Fields map[string]any
	// Channel is the request channel the event came on; "" when none.
	Channel string
	// Request is the 1-based number of the event request that delivered the
	// event, counting every request to the event endpoints in arrival order
	// (rejected ones too), so a test can tie events to the faults it set.
	Request int

	text string
}

// Text is the event as Splunk's _raw would hold it: the decoded string when
// "event" is a JSON string, else the raw JSON text of the value.
func (e Event) Text() string {
	if e.text != "" || len(e.Event) == 0 {
		return e.text
	}
	return textOf(string(e.Event))
}

// Timestamp converts Time (epoch seconds with an optional fraction) to a
// time.Time; ok is false when the event has no time.
func (e Event) Timestamp() (t time.Time, ok bool) {
	if !e.HasTime {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(string(e.Time), 64)
	if err != nil {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))), true
}

func textOf(raw string) string {
	if len(raw) >= 2 && raw[0] == '"' {
		return unquote(raw)
	}
	return raw
}

// record is an indexed event kept compactly: every string is a substring of
// the request body, so recording an event allocates nothing of its own. It
// becomes an Event only when a test asks.
type record struct {
	event, time, host, source, sourcetype, index, fields string
	channel                                              string
	request                                              int32
	hasTime                                              bool
	esc                                                  uint8
}

// newRecords turns the parsed spans of one request into records over body.
func newRecords(body string, evs []evSpans, channel string, request int) []record {
	dst := make([]record, 0, len(evs))
	at := func(s span) string {
		if !s.ok() {
			return ""
		}
		return body[s.a:s.b]
	}
	for i := range evs {
		ev := &evs[i]
		if ev.skip {
			continue
		}
		r := record{
			event:      at(ev.event),
			host:       at(ev.host),
			source:     at(ev.source),
			sourcetype: at(ev.sourcetype),
			index:      at(ev.index),
			fields:     at(ev.fields),
			channel:    channel,
			request:    int32(request),
			hasTime:    ev.time.ok(),
			esc:        ev.esc,
		}
		if ev.time.ok() {
			r.time = at(ev.time)
			if ev.timeQuoted {
				r.time = r.time[1 : len(r.time)-1]
			}
		}
		dst = append(dst, r)
	}
	return dst
}

// metaValue decodes a host/source/sourcetype/index literal.
func metaValue(lit string, escaped bool) string {
	if lit == "" {
		return ""
	}
	if escaped {
		return unquote(lit)
	}
	return lit[1 : len(lit)-1]
}

func (r *record) materialize() Event {
	e := Event{
		Time:       json.Number(r.time),
		HasTime:    r.hasTime,
		Host:       metaValue(r.host, r.esc&escHost != 0),
		Source:     metaValue(r.source, r.esc&escSource != 0),
		Sourcetype: metaValue(r.sourcetype, r.esc&escSourcetype != 0),
		Index:      metaValue(r.index, r.esc&escIndex != 0),
		Event:      json.RawMessage(r.event),
		Channel:    r.channel,
		Request:    int(r.request),
		text:       textOf(r.event),
	}
	if r.fields != "" {
		e.Fields = decodeFields(r.fields)
	}
	return e
}

// decodeFields decodes a validated, flat "fields" object.
func decodeFields(raw string) map[string]any {
	p := fieldReader{s: raw}
	m := make(map[string]any, 8)
	p.next() // '{'
	for {
		p.space()
		if p.s[p.i] == '}' {
			return m
		}
		if p.s[p.i] == ',' {
			p.i++
			p.space()
		}
		key := p.str()
		p.space()
		p.i++ // ':'
		p.space()
		if p.s[p.i] == '[' {
			p.i++
			vals := []any{}
			for {
				p.space()
				switch p.s[p.i] {
				case ']':
					p.i++
					m[key] = vals
				case ',':
					p.i++
					continue
				default:
					vals = append(vals, p.scalar())
					continue
				}
				break
			}
		} else {
			m[key] = p.scalar()
		}
	}
}

// fieldReader reads a JSON text that parseFields has already validated.
type fieldReader struct {
	s string
	i int
}

func (p *fieldReader) next() { p.i++ }

func (p *fieldReader) space() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

func (p *fieldReader) str() string {
	start := p.i
	for p.i++; p.s[p.i] != '"'; p.i++ {
		if p.s[p.i] == '\\' {
			p.i++
		}
	}
	p.i++
	return unquote(p.s[start:p.i])
}

func (p *fieldReader) scalar() any {
	if p.s[p.i] == '"' {
		return p.str()
	}
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if isDigit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			p.i++
			continue
		}
		break
	}
	return json.Number(p.s[start:p.i])
}

// Stats counts what the server saw. Maps are keyed by HTTP status, HEC
// code or fault name.
type Stats struct {
	Requests       int // every HTTP request
	EventRequests  int // requests to the event endpoints
	AckRequests    int // requests to /services/collector/ack
	HealthRequests int // requests to /services/collector/health

	// Status and Code count answered requests by HTTP status and by HEC
	// code (answers without a JSON code are not in Code).
	Status map[int]int
	Code   map[int]int

	EventsAccepted int   // events indexed (recorded)
	EventsSkipped  int   // objects with "fields" and no "event" (metric-shaped): accepted, not events
	BytesReceived  int64 // request bodies of event requests as sent (compressed)
	BytesDecoded   int64 // the same after gzip decoding
	GzipRequests   int   // event requests with Content-Encoding: gzip

	AcksIssued int // ackIds handed out
	AcksTrue   int // ackIds answered true (each at most once)
	AcksLost   int // ackIds that will never become true (LoseAck faults)

	Connections      int // connections accepted
	ConnectionsReset int // connections closed without an answer (reset faults)
	Truncated        int // 200 answers cut short (TruncatedResponse faults)

	// Faults counts the faults the server chose, by Fault.Kind name;
	// downtime answers count under "downtime".
	Faults map[string]int
}

func (s Stats) clone() Stats {
	s.Status = maps.Clone(s.Status)
	s.Code = maps.Clone(s.Code)
	s.Faults = maps.Clone(s.Faults)
	return s
}
