package encode

import (
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/flowhec/flowhec/enrich"
	"github.com/flowhec/flowhec/flowlog"
	"github.com/flowhec/flowhec/internal/jsonw"
)

// Sourcetypes. Default-format lines keep the Splunk Add-on for AWS
// sourcetype so existing searches work; any other format gets its own, so
// no search-time regex assigns its fields by position.
const (
	SourcetypeDefault = "aws:cloudwatchlogs:vpcflow"
	SourcetypeCustom  = "aws:vpcflow:custom"
	SourcetypeJSON    = "aws:vpcflow:json"
)

// FieldParseError is the indexed field that carries why a line did not
// parse; the line itself is still delivered as the event.
const FieldParseError = "flowhec_parse_error"

// EventFormat is how a record becomes an HEC event.
type EventFormat uint8

const (
	// Raw: the event is the original line byte for byte; fields the line's
	// format does not give by position travel as indexed fields.
	Raw EventFormat = iota
	// JSON: the event is one JSON object with the Splunk field names.
	JSON
)

func (f EventFormat) String() string {
	if f == JSON {
		return "json"
	}
	return "raw"
}

// UnmarshalText accepts "raw" or "json".
func (f *EventFormat) UnmarshalText(b []byte) error {
	switch string(b) {
	case "raw", "":
		*f = Raw
	case "json":
		*f = JSON
	default:
		return fmt.Errorf("event format %q: want raw or json", b)
	}
	return nil
}

// Config is the encoder's part of the configuration.
type Config struct {
	Format EventFormat `yaml:"event_format"`
	// Index, Host and Sourcetype are set on every event when not empty;
	// Sourcetype overrides the automatic choice.
	Index      string `yaml:"index"`
	Host       string `yaml:"host"`
	Sourcetype string `yaml:"sourcetype"`
}

// Validate reports every bad setting, naming its YAML key.
func (c Config) Validate() error {
	var errs []error
	if c.Format != Raw && c.Format != JSON {
		errs = append(errs, fmt.Errorf("event_format: %d is not raw or json", c.Format))
	}
	if len(c.Index) > 0 && !validIndexName(c.Index) {
		errs = append(errs, fmt.Errorf("index %q: Splunk index names are lower-case letters, digits, '_' and '-', not starting with '_' or '-'", c.Index))
	}
	return errors.Join(errs...)
}

func validIndexName(s string) bool {
	if s[0] == '_' || s[0] == '-' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Encoder appends HEC events. It is safe for concurrent use: it holds
// only the configuration, pre-encoded.
type Encoder struct {
	format   EventFormat
	enricher *enrich.Enricher // nil: no enrichment
	// tail is `,"index":"…","host":"…"`, written once here rather than
	// escaped again for every event.
	tail       []byte
	sourcetype string
}

// New returns an Encoder for cfg, which must be valid.
func New(cfg Config) *Encoder {
	e := &Encoder{format: cfg.Format, sourcetype: cfg.Sourcetype}
	if cfg.Index != "" {
		e.tail = append(e.tail, `,"index":`...)
		e.tail = jsonw.String(e.tail, cfg.Index)
	}
	if cfg.Host != "" {
		e.tail = append(e.tail, `,"host":`...)
		e.tail = jsonw.String(e.tail, cfg.Host)
	}
	return e
}

// WithEnricher returns a copy of e that adds en's fields to every event
// whose line parsed: as indexed fields in raw events, as keys of the object
// in json events.
func (e *Encoder) WithEnricher(en *enrich.Enricher) *Encoder {
	c := *e
	c.enricher = en
	return &c
}

// fieldsPool keeps enrichment scratch space: a Fields is too big to zero
// for every event, and reused it needs only a Reset.
var fieldsPool = sync.Pool{New: func() any { return new(enrich.Fields) }}

// Source is the HEC source of the events of one input (a path,
// s3://bucket/key, a log group), escaped once: it is the longest part of
// most events, and the same for every line of a file.
type Source struct {
	field []byte // "source":"…"
}

// NewSource encodes name for Append.
func NewSource(name string) Source {
	return Source{field: jsonw.String([]byte(`"source":`), name)}
}

// Append appends one HEC event for rec to dst: the object HEC's
// /services/collector/event takes, with time, source, sourcetype, the
// configured index and host, the event and its indexed fields. lineErr is
// the line's parse error, if any: the raw line is delivered all the same,
// flagged with the flowhec_parse_error field. Append allocates nothing when
// dst has room.
func (e *Encoder) Append(dst []byte, rec *flowlog.Record, src Source, lineErr error) []byte {
	dst = append(dst, '{')
	if sec, ok := rec.Time(); ok && lineErr == nil {
		dst = append(dst, `"time":`...)
		dst = strconv.AppendInt(dst, sec, 10)
		dst = append(dst, ',')
	}
	dst = append(dst, src.field...)
	dst = append(dst, `,"sourcetype":`...)
	dst = jsonw.String(dst, e.sourcetypeOf(rec.Format()))
	dst = append(dst, e.tail...)
	var extra *enrich.Fields
	if e.enricher != nil && lineErr == nil {
		extra = fieldsPool.Get().(*enrich.Fields)
		defer fieldsPool.Put(extra)
		e.enricher.Enrich(rec, extra)
	}
	dst = append(dst, `,"event":`...)
	switch {
	case lineErr != nil || e.format == Raw:
		dst = jsonw.Bytes(dst, rec.Line)
	default:
		dst = rec.AppendJSON(dst)
		if extra != nil && extra.Len() > 0 {
			// Enrichment goes into the event object: drop its closing
			// brace, add the keys, close it again.
			dst = extra.AppendJSON(dst[:len(dst)-1], true, false)
			dst = append(dst, '}')
		}
		extra = nil // written; not indexed fields too
	}
	dst = e.appendFields(dst, rec, lineErr, extra)
	return append(dst, '}')
}

func (e *Encoder) sourcetypeOf(f *flowlog.Format) string {
	switch {
	case e.sourcetype != "":
		return e.sourcetype
	case e.format == JSON:
		return SourcetypeJSON
	case f == nil || f.IsDefault():
		return SourcetypeDefault
	}
	return SourcetypeCustom
}

// appendFields writes the indexed fields: the parse error of a bad line,
// for raw events of a non-default format every parsed field, as flat
// strings, so Splunk never has to guess their order, and the enrichment
// fields (extra) of a raw event.
func (e *Encoder) appendFields(dst []byte, rec *flowlog.Record, lineErr error, extra *enrich.Fields) []byte {
	n := 0
	field := func(name string) {
		if n == 0 {
			dst = append(dst, `,"fields":{`...)
		} else {
			dst = append(dst, ',')
		}
		n++
		dst = jsonw.String(dst, name)
		dst = append(dst, ':')
	}
	if lineErr != nil {
		field(FieldParseError)
		var pe *flowlog.ParseError
		if errors.As(lineErr, &pe) {
			dst = jsonw.String(dst, pe.Reason())
		} else {
			dst = jsonw.String(dst, lineErr.Error())
		}
	}
	if e.format == Raw && lineErr == nil && rec.Format() != nil && !rec.Format().IsDefault() {
		f := rec.Format()
		for i := 0; i < rec.Len(); i++ {
			v, ok := rec.Col(i)
			if !ok {
				continue
			}
			field(f.SplunkName(i))
			dst = jsonw.Bytes(dst, v)
		}
	}
	if extra != nil && extra.Len() > 0 {
		if n == 0 {
			dst = append(dst, `,"fields":{`...)
		}
		dst = extra.AppendJSON(dst, n > 0, true)
		n += extra.Len()
	}
	if n > 0 {
		dst = append(dst, '}')
	}
	return dst
}
