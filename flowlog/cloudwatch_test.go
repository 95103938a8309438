package flowlog_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowhec/flowhec/flowlog"
)

// cwItem is one record of a CloudWatch input with where it came from.
type cwItem struct {
	line int
	ev   flowlog.CloudWatchEvent
	json string // AppendJSON, or "error: …"
}

func readCloudWatch(t *testing.T, in []byte, opts flowlog.ReaderOptions) ([]cwItem, *flowlog.Reader) {
	t.Helper()
	r := flowlog.NewReader(bytes.NewReader(in), opts)
	var items []cwItem
	for r.Next() {
		ev, ok := r.CloudWatchEvent()
		if !ok {
			t.Fatalf("line %d: no CloudWatchEvent", r.Line())
		}
		it := cwItem{line: r.Line(), ev: ev}
		if err := r.LineErr(); err != nil {
			it.json = "error: " + err.Error()
		} else {
			it.json = string(r.Record().AppendJSON(nil))
		}
		items = append(items, it)
	}
	if r.Encoding() != flowlog.EncodingCloudWatch {
		t.Errorf("Encoding = %v", r.Encoding())
	}
	if _, ok := r.CloudWatchEvent(); ok {
		t.Error("CloudWatchEvent after the end")
	}
	return items, r
}

const eventID = "319531066069669833788090250798042111432896154242982215"

func TestCloudWatchDataMessage(t *testing.T) {
	items, r := readCloudWatch(t, readFile(t, filepath.Join(testdata, "flowlogs", "cloudwatch", "data-message.json")), flowlog.ReaderOptions{})
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	want := []cwItem{
		{1, flowlog.CloudWatchEvent{Owner: "123456789010", LogGroup: "vpc-flow-logs", LogStream: "eni-1235b8ca123456789-all", ID: eventID + "68", Timestamp: 1418530070000},
			`{"version":2,"account_id":"123456789010","interface_id":"eni-1235b8ca123456789","src_ip":"172.31.16.139","dest_ip":"172.31.16.21","src_port":20641,"dest_port":22,"protocol_code":6,"packets":20,"bytes":4249,"start_time":1418530010,"end_time":1418530070,"vpcflow_action":"ACCEPT","log_status":"OK"}`},
		{2, flowlog.CloudWatchEvent{Owner: "123456789010", LogGroup: "vpc-flow-logs", LogStream: "eni-1235b8ca123456789-all", ID: eventID + "69", Timestamp: 1418530070000},
			`{"version":2,"account_id":"123456789010","interface_id":"eni-1235b8ca123456789","src_ip":"172.31.9.69","dest_ip":"172.31.9.12","src_port":49761,"dest_port":3389,"protocol_code":6,"packets":20,"bytes":4249,"start_time":1418530010,"end_time":1418530070,"vpcflow_action":"REJECT","log_status":"OK"}`},
		{3, flowlog.CloudWatchEvent{Owner: "123456789010", LogGroup: "vpc-flow-logs", LogStream: "eni-1235b8ca123456789-all", ID: eventID + "70", Timestamp: 1431280934000},
			`{"version":2,"account_id":"123456789010","interface_id":"eni-1235b8ca123456789","start_time":1431280876,"end_time":1431280934,"log_status":"NODATA"}`},
	}
	if fmt.Sprint(items) != fmt.Sprint(want) {
		t.Errorf("got\n%v\nwant\n%v", items, want)
	}
}

// Firehose writes payloads back to back into one object, plain, gzipped
// as a whole, or as one gzip member per payload; CONTROL_MESSAGEs among
// them carry no records.
func TestCloudWatchBackToBack(t *testing.T) {
	dir := filepath.Join(testdata, "flowlogs", "cloudwatch")
	var first []cwItem
	for _, name := range []string{"firehose-back-to-back.json", "firehose-back-to-back.json.gz", "firehose-gzip-members.json.gz"} {
		items, r := readCloudWatch(t, readFile(t, filepath.Join(dir, name)), flowlog.ReaderOptions{})
		if err := r.Err(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Gzipped() != strings.HasSuffix(name, ".gz") {
			t.Errorf("%s: Gzipped %v", name, r.Gzipped())
		}
		var streams []string
		for i, it := range items {
			if it.line != i+1 || strings.HasPrefix(it.json, "error") {
				t.Errorf("%s: item %d: %+v", name, i, it)
			}
			streams = append(streams, it.ev.LogStream)
			if strings.Contains(it.json, "CONTROL") || it.ev.Owner == "CloudwatchLogs" {
				t.Errorf("%s: a control message gave a record: %+v", name, it)
			}
		}
		want := "[eni-1235b8ca123456789-all eni-1235b8ca123456789-all eni-1235b8ca123456789-all eni-0a1b2c3d4e5f60718-all eni-0a1b2c3d4e5f60718-all eni-11111111aaaaaaaaa-all]"
		if fmt.Sprint(streams) != want {
			t.Errorf("%s: streams %v", name, streams)
		}
		if first == nil {
			first = items
		} else if fmt.Sprint(items) != fmt.Sprint(first) {
			t.Errorf("%s differs from the plain payloads:\n%v\n%v", name, items, first)
		}
	}
	if !strings.Contains(first[4].json, `"src_ip":"2001:db8::10"`) || first[5].ev.ID != "31953106606966983378809025079804211143289615424298221700" {
		t.Errorf("records 5 and 6: %+v %+v", first[4], first[5])
	}
}

func TestCloudWatchControlOnly(t *testing.T) {
	items, r := readCloudWatch(t, readFile(t, filepath.Join(testdata, "flowlogs", "cloudwatch", "control-message.json")), flowlog.ReaderOptions{})
	if len(items) != 0 || r.Err() != nil {
		t.Errorf("%d records, Err %v", len(items), r.Err())
	}
}

type event struct {
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
}

func payload(t testing.TB, messageType string, msgs ...string) []byte {
	t.Helper()
	p := struct {
		MessageType string  `json:"messageType"`
		Owner       string  `json:"owner"`
		LogGroup    string  `json:"logGroup"`
		LogStream   string  `json:"logStream"`
		LogEvents   []event `json:"logEvents"`
	}{messageType, "123456789010", "flow", "eni-1-all", nil}
	for i, m := range msgs {
		p.LogEvents = append(p.LogEvents, event{fmt.Sprint(i + 1), 1700000000000 + int64(i), m})
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A bad message in a payload is one bad record, numbered by its event; the
// events around it still come out.
func TestCloudWatchBadEvent(t *testing.T) {
	in := payload(t, "DATA_MESSAGE", lineDefault, strings.Replace(lineDefault, " 22 ", " 70000 ", 1), lineReject)
	in = append(in, payload(t, "DATA_MESSAGE", lineNoData, "2 123456789010")...)
	r := flowlog.NewReader(bytes.NewReader(in), flowlog.ReaderOptions{Source: "group/stream"})
	var got []string
	for r.Next() {
		if err := r.LineErr(); err != nil {
			var pe *flowlog.ParseError
			if !errors.As(err, &pe) || pe.Line != r.Line() || pe.Source != "group/stream" {
				t.Errorf("%v: Line %d", err, r.Line())
			}
			got = append(got, err.Error())
			continue
		}
		ev, _ := r.CloudWatchEvent()
		got = append(got, fmt.Sprintf("%d ok id=%s", r.Line(), ev.ID))
	}
	want := []string{
		"1 ok id=1",
		`group/stream:2: field 7 (dstport) "70000": out of range 0-65535`,
		"3 ok id=3",
		"4 ok id=1",
		"group/stream:5: 2 fields, format wants 14 (set the format from the flow log's LogFormat, or check for a cut line)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || r.Err() != nil {
		t.Errorf("got\n%s\nwant\n%s\nErr %v", strings.Join(got, "\n"), strings.Join(want, "\n"), r.Err())
	}
}

// CloudWatch messages carry no header; their format comes from the options.
func TestCloudWatchCustomFormat(t *testing.T) {
	f := mustParseFormat(t, "${version} ${vpc-id} ${srcaddr} ${dstaddr} ${tcp-flags} ${action}")
	in := payload(t, "DATA_MESSAGE", "3 vpc-1 10.0.0.1 10.0.0.2 19 ACCEPT", "version vpc-id srcaddr dstaddr tcp-flags action")
	items, r := readCloudWatch(t, in, flowlog.ReaderOptions{Format: f})
	want := `[{1 {123456789010 flow eni-1-all 1 1700000000000} {"version":3,"vpc_id":"vpc-1","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","tcp_flags":19,"vpcflow_action":"ACCEPT"}} ` +
		`{2 {123456789010 flow eni-1-all 2 1700000000001} error: 2: field 1 (version) "version": not a non-negative integer}]`
	if fmt.Sprint(items) != want || r.HasHeader() || r.Err() != nil {
		t.Errorf("got %v\nwant %s\nheader %v Err %v", items, want, r.HasHeader(), r.Err())
	}
}

func TestCloudWatchShapes(t *testing.T) {
	one := payload(t, "DATA_MESSAGE", lineDefault)
	tests := []struct {
		name    string
		in      []byte
		records int
	}{
		{"blanks before", append([]byte(" \r\n\t"), one...), 1},
		{"newline separated", bytes.Join([][]byte{one, one, one}, []byte("\n")), 3},
		{"pretty printed", func() []byte {
			var b bytes.Buffer
			_ = json.Indent(&b, one, "", "  ")
			return b.Bytes()
		}(), 1},
		{"no events", payload(t, "DATA_MESSAGE"), 0},
		{"empty message", payload(t, "DATA_MESSAGE", ""), 1},
		{"message with its own newline", payload(t, "DATA_MESSAGE", lineDefault+"\n"), 1},
		{"many events", payload(t, "DATA_MESSAGE", strings.Split(strings.Repeat(lineDefault+"|", 5000), "|")[:5000]...), 5000},
		{"gzip", gzipBytes(t, one), 1},
		{"unknown keys", []byte(`{"messageType":"DATA_MESSAGE","extra":{"a":[1,2]},"logEvents":[{"id":"1","message":"` + lineDefault + `","more":true}]}`), 1},
	}
	for _, tt := range tests {
		items, r := readCloudWatch(t, tt.in, flowlog.ReaderOptions{})
		if len(items) != tt.records || r.Err() != nil {
			t.Errorf("%s: %d records, want %d; Err %v", tt.name, len(items), tt.records, r.Err())
		}
	}
	// A blank message is a bad record, not a skipped one: every event
	// is accounted for.
	items, _ := readCloudWatch(t, payload(t, "DATA_MESSAGE", ""), flowlog.ReaderOptions{})
	if len(items) != 1 || items[0].json != "error: 1: empty line" {
		t.Errorf("empty message: %+v", items)
	}
}

func TestCloudWatchErrors(t *testing.T) {
	good := payload(t, "DATA_MESSAGE", lineDefault, lineReject)
	tests := []struct {
		name    string
		in      []byte
		records int
		msg     string
	}{
		{"bad JSON", append(good[:len(good)-2:len(good)-2], ",]}"...), 0, "in: CloudWatch payload 1: invalid JSON at byte"},
		{"wrong messageType", payload(t, "DATA", lineDefault), 0,
			`in: CloudWatch payload 1: messageType "DATA", want DATA_MESSAGE or CONTROL_MESSAGE: not a CloudWatch Logs subscription payload`},
		{"no messageType", []byte(`{"logEvents":[]}`), 0, `in: CloudWatch payload 1: messageType "", want DATA_MESSAGE or CONTROL_MESSAGE`},
		{"cut", good[:len(good)/2], 0, "in: CloudWatch payload 1 is cut short: unexpected EOF"},
		{"second cut", append(bytes.Clone(good), good[:40]...), 2, "in: CloudWatch payload 2 is cut short: unexpected EOF"},
		{"gzip cut", gzipBytes(t, bytes.Repeat(good, 3))[:100], 0, "in: gzip stream truncated in CloudWatch payload 1 (re-fetch the object): unexpected EOF"},
		{"wrong type", []byte(`{"messageType":"DATA_MESSAGE","logEvents":"x"}`), 0,
			`in: CloudWatch payload 1: field "logEvents" has the wrong type (a JSON string): not a CloudWatch Logs subscription payload`},
		{"message a number", []byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"message":2}]}`), 0,
			`in: CloudWatch payload 1: field "logEvents.message" has the wrong type (a JSON number): not a CloudWatch Logs subscription payload`},
		{"array", []byte(`{"messageType":"DATA_MESSAGE","logEvents":[]} ["not","a","payload"]`), 0,
			"in: CloudWatch payload 2 is a JSON array, not an object: not a CloudWatch Logs subscription payload"},
		// A text line after the payloads starts with a JSON number.
		{"text after payload", append(bytes.Clone(good), "\n2 123456789010 eni-1 …\n"...), 2, "in: CloudWatch payload 2 is a JSON number, not an object"},
		{"control then bad", append(payload(t, "CONTROL_MESSAGE", "CWL CONTROL MESSAGE"), "{]"...), 0, "in: CloudWatch payload 2: invalid JSON"},
	}
	for _, tt := range tests {
		items, r := readCloudWatch(t, tt.in, flowlog.ReaderOptions{Source: "in"})
		if len(items) != tt.records {
			t.Errorf("%s: %d records, want %d", tt.name, len(items), tt.records)
		}
		if err := r.Err(); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s:\n got %v\nwant %s", tt.name, err, tt.msg)
		}
		if r.Next() {
			t.Errorf("%s: Next after Err", tt.name)
		}
	}
}

// Text input has no CloudWatch event.
func TestCloudWatchEventForText(t *testing.T) {
	r := flowlog.NewReader(strings.NewReader(lineDefault+"\n"), flowlog.ReaderOptions{})
	if !r.Next() || r.Encoding() != flowlog.EncodingText || r.Encoding().String() != "text" {
		t.Fatal("text input")
	}
	if _, ok := r.CloudWatchEvent(); ok {
		t.Error("CloudWatchEvent for text input")
	}
	if flowlog.EncodingCloudWatch.String() != "cloudwatch" {
		t.Error(flowlog.EncodingCloudWatch.String())
	}
}
