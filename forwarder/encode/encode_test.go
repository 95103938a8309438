package encode

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/flowhec/flowhec/flowlog"
)

const defaultLine = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"

type hecEvent struct {
	Time       *int64            `json:"time"`
	Source     string            `json:"source"`
	Sourcetype string            `json:"sourcetype"`
	Index      string            `json:"index"`
	Host       string            `json:"host"`
	Event      json.RawMessage   `json:"event"`
	Fields     map[string]string `json:"fields"`
}

func parse(t testing.TB, format, line string) (*flowlog.Record, error) {
	t.Helper()
	f, err := flowlog.ParseFormat(format)
	if err != nil {
		t.Fatal(err)
	}
	var r flowlog.Record
	err = f.Parse([]byte(line), &r)
	return &r, err
}

func decode(t *testing.T, b []byte) hecEvent {
	t.Helper()
	var ev hecEvent
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("event %s: %v", b, err)
	}
	return ev
}

func TestAppend(t *testing.T) {
	custom := "${srcaddr} ${dstaddr} ${version} ${vpc-id} ${action} ${start} ${end}"
	tests := []struct {
		name       string
		cfg        Config
		format     string
		line       string
		sourcetype string
		time       int64 // 0: no time
		event      string
		fields     map[string]string
	}{
		{
			name: "raw default", cfg: Config{Index: "aws", Host: "hf-1"}, format: "default", line: defaultLine,
			sourcetype: SourcetypeDefault, time: 1418530010, event: `"` + defaultLine + `"`,
		},
		{
			name: "raw custom carries every field indexed", cfg: Config{}, format: custom,
			line:       "10.0.0.1 10.0.0.2 3 vpc-0abc ACCEPT 1700000000 1700000060",
			sourcetype: SourcetypeCustom, time: 1700000000,
			event: `"10.0.0.1 10.0.0.2 3 vpc-0abc ACCEPT 1700000000 1700000060"`,
			fields: map[string]string{"src_ip": "10.0.0.1", "dest_ip": "10.0.0.2", "version": "3", "vpc_id": "vpc-0abc",
				"vpcflow_action": "ACCEPT", "start_time": "1700000000", "end_time": "1700000060"},
		},
		{
			name: "raw custom omits absent fields and falls back to end time", format: custom,
			line:       "10.0.0.1 - 3 - - - 1700000060",
			sourcetype: SourcetypeCustom, time: 1700000060, event: `"10.0.0.1 - 3 - - - 1700000060"`,
			fields: map[string]string{"src_ip": "10.0.0.1", "version": "3", "end_time": "1700000060"},
		},
		{
			name: "json", cfg: Config{Format: JSON}, format: "default", line: defaultLine,
			sourcetype: SourcetypeJSON, time: 1418530010,
			event: `{"version":2,"account_id":"123456789010","interface_id":"eni-1235b8ca123456789","src_ip":"172.31.16.139","dest_ip":"172.31.16.21","src_port":20641,"dest_port":22,"protocol_code":6,"packets":20,"bytes":4249,"start_time":1418530010,"end_time":1418530070,"vpcflow_action":"ACCEPT","log_status":"OK"}`,
		},
		{
			name: "sourcetype override", cfg: Config{Sourcetype: "my:flows"}, format: "default", line: defaultLine,
			sourcetype: "my:flows", time: 1418530010, event: `"` + defaultLine + `"`,
		},
		{
			name: "bad line delivered raw with the reason", format: "default",
			line:       "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 70000 6 20 4249 1418530010 1418530070 ACCEPT OK",
			sourcetype: SourcetypeDefault,
			event:      `"2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 70000 6 20 4249 1418530010 1418530070 ACCEPT OK"`,
			fields:     map[string]string{FieldParseError: `field 7 (dstport) "70000": out of range 0-65535`},
		},
		{
			name: "bad line in json format is delivered raw too", cfg: Config{Format: JSON}, format: "default",
			line: "2 123 eni-\"q\"", sourcetype: SourcetypeJSON, event: `"2 123 eni-\"q\""`,
			fields: map[string]string{FieldParseError: "3 fields, format wants 14 (set the format from the flow log's LogFormat, or check for a cut line)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, perr := parse(t, tt.format, tt.line)
			out := New(tt.cfg).Append(nil, rec, NewSource("s3://bucket/key.log.gz"), perr)
			if !json.Valid(out) {
				t.Fatalf("invalid JSON: %s", out)
			}
			ev := decode(t, out)
			if ev.Source != "s3://bucket/key.log.gz" || ev.Sourcetype != tt.sourcetype || ev.Index != tt.cfg.Index || ev.Host != tt.cfg.Host {
				t.Errorf("metadata = %+v", ev)
			}
			switch {
			case tt.time == 0 && ev.Time != nil:
				t.Errorf("time = %d, want none", *ev.Time)
			case tt.time != 0 && (ev.Time == nil || *ev.Time != tt.time):
				t.Errorf("time = %v, want %d", ev.Time, tt.time)
			}
			if string(ev.Event) != tt.event {
				t.Errorf("event = %s\nwant    %s", ev.Event, tt.event)
			}
			if len(ev.Fields) != len(tt.fields) {
				t.Errorf("fields = %v, want %v", ev.Fields, tt.fields)
			}
			for k, v := range tt.fields {
				if ev.Fields[k] != v {
					t.Errorf("fields[%s] = %q, want %q", k, ev.Fields[k], v)
				}
			}
		})
	}
}

func TestConcatenatedEventsDecodeOneByOne(t *testing.T) {
	// HEC takes events back to back in one body; each must stand alone.
	rec, _ := parse(t, "default", defaultLine)
	e := New(Config{Index: "main"})
	var body []byte
	for range 3 {
		body = e.Append(body, rec, NewSource("f"), nil)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	n := 0
	for dec.More() {
		var ev hecEvent
		if err := dec.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 3 {
		t.Fatalf("decoded %d events, want 3", n)
	}
}

func TestAppendAllocatesNothing(t *testing.T) {
	for _, cfg := range []Config{{Index: "main", Host: "h"}, {Format: JSON}} {
		for _, format := range []string{"default", "${srcaddr} ${dstaddr} ${version} ${vpc-id} ${action} ${start} ${end}"} {
			line := defaultLine
			if format != "default" {
				line = "10.0.0.1 10.0.0.2 3 vpc-0abc ACCEPT 1700000000 1700000060"
			}
			rec, err := parse(t, format, line)
			if err != nil {
				t.Fatal(err)
			}
			e := New(cfg)
			buf := make([]byte, 0, 4096)
			src := NewSource("s3://b/k")
			if n := testing.AllocsPerRun(200, func() { buf = e.Append(buf[:0], rec, src, nil) }); n != 0 {
				t.Errorf("%v %s: %v allocations per event, want 0", cfg.Format, format, n)
			}
		}
	}
}

func TestEventFormatText(t *testing.T) {
	var f EventFormat
	if err := f.UnmarshalText([]byte("json")); err != nil || f != JSON {
		t.Fatalf("json: %v %v", f, err)
	}
	if err := f.UnmarshalText([]byte("xml")); err == nil || !strings.Contains(err.Error(), "raw or json") {
		t.Fatalf("xml: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{Index: "Main"}).Validate(); err == nil || !strings.Contains(err.Error(), `index "Main"`) {
		t.Fatalf("upper-case index: %v", err)
	}
	if err := (Config{Index: "aws_vpc-flow"}).Validate(); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
	}{{"raw", Config{Index: "main"}}, {"json", Config{Index: "main", Format: JSON}}} {
		b.Run(bc.name, func(b *testing.B) {
			rec, _ := parse(b, "default", defaultLine)
			e := New(bc.cfg)
			buf := make([]byte, 0, 4096)
			src := NewSource("s3://bucket/AWSLogs/123456789010/vpcflowlogs/us-east-1/2026/11/01/x.log.gz")
			b.ReportAllocs()
			b.SetBytes(int64(len(defaultLine)))
			for b.Loop() {
				buf = e.Append(buf[:0], rec, src, nil)
			}
		})
	}
}
