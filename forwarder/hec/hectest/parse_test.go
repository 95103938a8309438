package hectest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseBody checks the scanner against encoding/json: whatever it
// accepts, encoding/json reads the same way, with the same event, fields
// and metadata.
func FuzzParseBody(f *testing.F) {
	for _, s := range []string{
		batch(0, 1),
		`{"event":"a"}{"event":`,
		`[{"event":1}]`,
		`{"event":"x","fields":{"a":["b",1],"c":-0.5e+3}}`,
		`{"ev\u0065nt":"\u00e9\n\ud83d\ude00","time":"12.5","host":"h\"q"}`,
		`{"event":{"a":[1,{"b":null}],"c":true},"index":"main"} {"event":"y"}`,
		`{"event":"x","fields":{"a":{"b":1}}}`,
		`{"event":"a","event":"b","fields":{"k":"1"},"fields":{"k":"2"}}`,
		"{\"event\":\"x\"}\n\n",
		`{"time":01,"event":"x"}`,
		`[{"event":"a"},{"fields":{"m":1}}] {"event":"b"}`,
		`{"event":"a","x":1}`,
		`[{"event":0}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res := parseBody(body, &rules{})
		if !utf8.Valid(body) {
			return // encoding/json replaces bad UTF-8; HEC keeps bytes
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		// next is encoding/json's next event object: a value of the
		// stream, or an element of an array in it, read one at a time.
		inArray := false
		next := func() (map[string]any, error) {
			for {
				if inArray && !dec.More() {
					if _, err := dec.Token(); err != nil { // ']'
						return nil, err
					}
					inArray = false
					continue
				}
				if !inArray {
					rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n")
					if len(rest) > 0 && rest[0] == '[' {
						if _, err := dec.Token(); err != nil {
							return nil, err
						}
						inArray = true
						continue
					}
				}
				var v any
				if err := dec.Decode(&v); err != nil {
					return nil, err
				}
				m, ok := v.(map[string]any)
				if !ok {
					return nil, errors.New("not an object")
				}
				return m, nil
			}
		}
		str := string(body)
		for i, ev := range res.events {
			m, err := next()
			if err != nil {
				t.Fatalf("event %d accepted, encoding/json: %v", i, err)
			}
			if ev.skip {
				if _, ok := m["event"]; ok || m["fields"] == nil {
					t.Fatalf("event %d skipped: %v", i, m)
				}
				continue
			}
			var want any
			d := json.NewDecoder(strings.NewReader(str[ev.event.a:ev.event.b]))
			d.UseNumber()
			if err := d.Decode(&want); err != nil || !reflect.DeepEqual(want, m["event"]) {
				t.Fatalf("event %d: event %s, encoding/json %v (%v)", i, str[ev.event.a:ev.event.b], m["event"], err)
			}
			if ev.fields.ok() {
				if got := decodeFields(str[ev.fields.a:ev.fields.b]); !reflect.DeepEqual(got, m["fields"]) {
					t.Fatalf("event %d: fields %v, encoding/json %v", i, got, m["fields"])
				}
			}
			for _, meta := range []struct {
				name string
				sp   span
				bit  uint8
			}{{"host", ev.host, escHost}, {"source", ev.source, escSource}, {"sourcetype", ev.sourcetype, escSourcetype}, {"index", ev.index, escIndex}} {
				if !meta.sp.ok() {
					continue
				}
				if got := metaValue(str[meta.sp.a:meta.sp.b], ev.esc&meta.bit != 0); got != m[meta.name] {
					t.Fatalf("event %d: %s %q, encoding/json %q", i, meta.name, got, m[meta.name])
				}
			}
		}
		if res.bad < 0 {
			if m, err := next(); !errors.Is(err, io.EOF) {
				t.Fatalf("all accepted, but encoding/json reads on: %v %v", m, err)
			}
		}
	})
}

func TestValidNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-0": true, "12": true, "1.5": true, "-1.5e3": true, "1E+2": true, "1e-2": true,
		"": false, "-": false, "01": false, "1.": false, ".5": false, "1e": false, "+1": false, "1-2": false, "0x1": false,
	} {
		if got := validNumber([]byte(s)); got != want {
			t.Errorf("validNumber(%q) = %v", s, got)
		}
	}
}

func TestIsGUID(t *testing.T) {
	for s, want := range map[string]bool{
		chanA: true, strings.ToUpper(chanA): true, NewChannel(): true,
		"": false, "0f5a0c5e3b7b4d0e9a436b1f3d2c9e01": false, "0f5a0c5e-3b7b-4d0e-9a43-6b1f3d2c9e0g": false,
		"0f5a0c5e-3b7b-4d0e-9a43_6b1f3d2c9e01": false,
	} {
		if got := isGUID(s); got != want {
			t.Errorf("isGUID(%q) = %v", s, got)
		}
	}
}

// TestParseAllocs: with a reused span buffer (the server pools them),
// scanning a body allocates nothing, whatever the number of events.
func TestParseAllocs(t *testing.T) {
	body := []byte(batch(0, 1000))
	rl := rules{indexes: []map[string]bool{{"main": true}}, poison: [][]byte{[]byte("no such text")}}
	buf := make([]evSpans, 0, 1000)
	allocs := testing.AllocsPerRun(20, func() {
		if res := parseInto(buf, body, &rl); res.bad >= 0 || len(res.events) != 1000 {
			t.Fatalf("bad %d code %d, %d events", res.bad, res.code, len(res.events))
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per body, want 0", allocs)
	}
}

func TestCodeText(t *testing.T) {
	if CodeText(CodeIndexedFields) != "Error in handling indexed fields" || CodeText(99) != "" {
		t.Error("CodeText")
	}
	for _, f := range []Fault{Busy(2e9), BusyAfter(3), BadEvent(1), BadEventContaining("x"), Stall(0), Stall(1e9), SlowRead(10), TooManyRequests(0), {Kind: 200}} {
		if f.String() == "" {
			t.Errorf("%#v has no name", f)
		}
	}
}
