package hectest

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

const chanA = "0f5a0c5e-3b7b-4d0e-9a43-6b1f3d2c9e01"

// TestEventRules drives every request rule of the event endpoints with a
// plain client and checks status, code, text, invalid-event-number and how
// many events were indexed.
func TestEventRules(t *testing.T) {
	ackTok := "aaaaaaaa-0000-0000-0000-00000000a0c0"
	qsTok := "bbbbbbbb-0000-0000-0000-0000000000b5"
	offTok := "cccccccc-0000-0000-0000-000000000off"
	idxTok := "dddddddd-0000-0000-0000-000000000idx"
	cfg := Config{
		Tokens: []Token{
			{Value: DefaultToken},
			{Value: ackTok, Ack: true},
			{Value: qsTok, QueryStringAuth: true},
			{Value: offTok, Disabled: true},
			{Value: idxTok, Indexes: []string{"flows"}},
		},
		Indexes:          []string{"main", "flows"},
		MaxContentLength: 4096,
	}
	one := `{"event":"line 0"}`
	three := `{"event":"line 0"}{"event":"line 1"} {"event":"line 2"}`
	cases := []struct {
		name        string
		q           req
		status      int
		code        int // -1: no HEC JSON
		text        string
		invalid     int // -1: absent
		indexed     int
		wantAck     bool
		contentType string
	}{
		{name: "one event", q: req{body: one}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 1},
		{name: "concatenated, no separator", q: req{body: three}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 3},
		{name: "newline separated", q: req{body: "{\"event\":\"a\"}\n{\"event\":\"b\"}\r\n\t{\"event\":\"c\"}\n"}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 3},
		{name: "path /services/collector", q: req{path: "/services/collector", body: one}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 1},
		{name: "path /services/collector/event/1.0", q: req{path: "/services/collector/event/1.0", body: one}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 1},
		{name: "gzip", q: req{body: three, gzip: true}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 3},
		{name: "object event", q: req{body: `{"event":{"src":"10.0.0.1","bytes":40}}`}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 1},
		{name: "all metadata", q: req{body: `{"time":1620000000.5,"host":"h","source":"s","sourcetype":"st","index":"flows","event":"x","fields":{"a":"1","b":2,"c":["x","y",3]}}`}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 1},
		{name: "time as numeric string", q: req{body: `{"time":"1620000000.250","event":"x"}`}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 1},
		{name: "JSON array batch", q: req{body: `[{"event":"a"}, {"event":"b"}]`}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 2},
		{name: "metric-shaped object skipped", q: req{body: `{"fields":{"metric_name:cpu":1.5}}{"event":"a"}`}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 1},
		{name: "unknown key stops indexing", q: req{body: `{"event":"a"}{"event":"b","extra":{"deep":[1,{"a":null}]}}{"event":"c"}`}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 1},
		{name: "unknown key in the only event", q: req{body: `{"event":"x","extra":1}`}, status: 400, code: 5, text: "No data", invalid: -1},

		// Authorization.
		{name: "no token", q: req{auth: "-", body: one}, status: 401, code: 2, text: "Token is required", invalid: -1},
		{name: "empty Splunk token", q: req{auth: "Splunk ", body: one}, status: 401, code: 2, text: "Token is required", invalid: -1},
		{name: "wrong scheme", q: req{auth: "Bearer " + DefaultToken, body: one}, status: 401, code: 3, text: "Invalid authorization", invalid: -1},
		{name: "token without scheme", q: req{auth: DefaultToken, body: one}, status: 401, code: 3, text: "Invalid authorization", invalid: -1},
		{name: "unknown token", q: req{token: "99999999-0000-0000-0000-000000000000", body: one}, status: 403, code: 4, text: "Invalid token", invalid: -1},
		{name: "disabled token", q: req{token: offTok, body: one}, status: 403, code: 1, text: "Token disabled", invalid: -1},
		{name: "basic auth", q: req{auth: "Basic eDoxMTExMTExMS0yMjIyLTMzMzMtNDQ0NC01NTU1NTU1NTU1NTU=", body: one}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 1},
		{name: "query-string token not allowed", q: req{auth: "-", query: "token=" + DefaultToken, body: one}, status: 400, code: 16, text: "Query string authorization is not enabled", invalid: -1},
		{name: "query-string token allowed", q: req{auth: "-", query: "token=" + qsTok, body: one}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 1},

		// Channels and acknowledgement.
		{name: "ack token without channel", q: req{token: ackTok, body: one}, status: 400, code: 10, text: "Data channel is missing", invalid: -1},
		{name: "ack token, channel not a GUID", q: req{token: ackTok, channel: "not-a-guid", body: one}, status: 400, code: 11, text: "Invalid data channel", invalid: -1},
		{name: "ack token, channel header", q: req{token: ackTok, channel: chanA, body: one}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 1, wantAck: true},
		{name: "ack token, channel query", q: req{token: ackTok, query: "channel=" + chanA, body: one}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 1, wantAck: true},
		{name: "plain token, bad channel", q: req{channel: "xyz", body: one}, status: 400, code: 11, text: "Invalid data channel", invalid: -1},
		{name: "plain token, good channel", q: req{channel: chanA, body: one}, status: 200, code: 0, text: "Success", invalid: -1, indexed: 1},

		// Body.
		{name: "empty body", q: req{body: ""}, status: 400, code: 5, text: "No data", invalid: -1},
		{name: "whitespace body", q: req{body: " \n\t "}, status: 400, code: 5, text: "No data", invalid: -1},
		{name: "empty gzip body", q: req{body: "", gzip: true}, status: 400, code: 5, text: "No data", invalid: -1},
		{name: "bad gzip", q: req{body: one, header: map[string]string{"Content-Encoding": "gzip"}}, status: 400, code: 6, text: "Invalid data format", invalid: -1},
		{name: "deflate", q: req{body: one, header: map[string]string{"Content-Encoding": "deflate"}}, status: 415, code: -1, invalid: -1, contentType: "text/html"},
		{name: "too large", q: req{body: `{"event":"` + strings.Repeat("x", 5000) + `"}`}, status: 413, code: -1, invalid: -1, contentType: "text/html"},
		{name: "too large chunked", q: req{body: `{"event":"` + strings.Repeat("x", 5000) + `"}`, chunked: true}, status: 413, code: -1, invalid: -1, contentType: "text/html"},
		{name: "empty array", q: req{body: `[ ]`}, status: 400, code: 5, text: "No data", invalid: -1},

		// Per event, the first bad event stops the request; those before it
		// are indexed.
		{name: "invalid JSON first", q: req{body: `{"event":"a"`}, status: 400, code: 6, text: "Invalid data format", invalid: 0},
		{name: "invalid JSON third", q: req{body: `{"event":"a"}{"event":"b"}{"event":"c",}{"event":"d"}`}, status: 400, code: 6, text: "Invalid data format", invalid: 2, indexed: 2},
		{name: "garbage after events", q: req{body: `{"event":"a"}{"event":"b"} xyz`}, status: 400, code: 6, text: "Invalid data format", invalid: 2, indexed: 2},
		{name: "comma between events", q: req{body: `{"event":"a"},{"event":"b"}`}, status: 400, code: 6, text: "Invalid data format", invalid: 1, indexed: 1},
		{name: "array, blank second event", q: req{body: `[{"event":"a"},{"event":""}]`}, status: 400, code: 13, text: "Event field cannot be blank", invalid: 1, indexed: 1},
		{name: "array not closed", q: req{body: `[{"event":"a"},{"event":"b"}`}, status: 400, code: 6, text: "Invalid data format", invalid: 2, indexed: 2},
		{name: "array of strings", q: req{body: `["a"]`}, status: 400, code: 6, text: "Invalid data format", invalid: 0},
		{name: "array, junk after an event", q: req{body: `[{"event":"a"} x]`}, status: 400, code: 6, text: "Invalid data format", invalid: 1, indexed: 1},
		{name: "bad escape", q: req{body: `{"event":"a"}{"event":"\q"}`}, status: 400, code: 6, text: "Invalid data format", invalid: 1, indexed: 1},
		{name: "raw control character", q: req{body: "{\"event\":\"a\tb\"}"}, status: 400, code: 6, text: "Invalid data format", invalid: 0},
		{name: "event missing", q: req{body: `{"event":"a"}{"host":"h"}`}, status: 400, code: 12, text: "Event field is required", invalid: 1, indexed: 1},
		{name: "empty object", q: req{body: `{}`}, status: 400, code: 12, text: "Event field is required", invalid: 0},
		{name: "event blank string", q: req{body: `{"event":"a"}{"event":"b"}{"event":""}`}, status: 400, code: 13, text: "Event field cannot be blank", invalid: 2, indexed: 2},
		{name: "event empty object", q: req{body: `{"event":{ }}`}, status: 400, code: 13, text: "Event field cannot be blank", invalid: 0},
		{name: "time not numeric", q: req{body: `{"event":"a"}{"time":"yesterday","event":"b"}`}, status: 400, code: 6, text: "Invalid data format", invalid: 1, indexed: 1},
		{name: "time bool", q: req{body: `{"time":true,"event":"b"}`}, status: 400, code: 6, text: "Invalid data format", invalid: 0},
		{name: "host not a string", q: req{body: `{"host":12,"event":"b"}`}, status: 400, code: 6, text: "Invalid data format", invalid: 0},
		{name: "index not a string", q: req{body: `{"index":["main"],"event":"b"}`}, status: 400, code: 6, text: "Invalid data format", invalid: 0},
		{name: "index that does not exist", q: req{body: `{"event":"a","index":"main"}{"event":"b","index":"nope"}`}, status: 400, code: 7, text: "Incorrect index", invalid: 2, indexed: 1},
		{name: "index outside token list", q: req{token: idxTok, body: `{"event":"a","index":"flows"}{"event":"b","index":"main"}`}, status: 400, code: 7, text: "Incorrect index", invalid: 2, indexed: 1},
		{name: "single event, bad index", q: req{body: `{"event":"a","index":"nope"}`}, status: 400, code: 7, text: "Incorrect index", invalid: 1},
		{name: "fields nested object", q: req{body: `{"event":"a"}{"event":"b","fields":{"x":{"y":"z"}}}`}, status: 400, code: 15, text: "Error in handling indexed fields", invalid: 1, indexed: 1},
		{name: "fields array of objects", q: req{body: `{"event":"b","fields":{"x":[{"y":"z"}]}}`}, status: 400, code: 15, text: "Error in handling indexed fields", invalid: 0},
		{name: "fields not an object", q: req{body: `{"event":"b","fields":"x=y"}`}, status: 400, code: 6, text: "Invalid data format", invalid: 0},
		{name: "fields an array", q: req{body: `{"event":"b","fields":["x"]}`}, status: 400, code: 6, text: "Invalid data format", invalid: 0},
		{name: "fields null value", q: req{body: `{"event":"b","fields":{"x":null}}`}, status: 400, code: 15, text: "Error in handling indexed fields", invalid: 0},

		// Routing.
		{name: "unknown path", q: req{path: "/services/collector/nope", body: one}, status: 404, code: 404, text: "The requested URL was not found on this server.", invalid: -1},
		{name: "GET on event endpoint", q: req{method: http.MethodGet}, status: 405, code: 404, text: "The requested URL was not found on this server.", invalid: -1},
		{name: "OPTIONS without token", q: req{method: http.MethodOptions, auth: "-"}, status: 200, code: -1, invalid: -1, contentType: "text/plain"},
	}
	s := newServer(t, cfg)
	c := s.Client()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := s.EventCount()
			got := do(t, c, s.URL, tc.q)
			if got.err != nil {
				t.Fatal(got.err)
			}
			if got.status != tc.status || got.code() != tc.code || got.reply.Text != tc.text || got.invalid() != tc.invalid {
				t.Errorf("got %d %s, want %d code %d %q invalid-event-number %d", got.status, got.body, tc.status, tc.code, tc.text, tc.invalid)
			}
			if n := s.EventCount() - before; n != tc.indexed {
				t.Errorf("indexed %d events, want %d", n, tc.indexed)
			}
			if (got.reply.AckID != nil) != tc.wantAck {
				t.Errorf("ackId in %s, want ackId %v", got.body, tc.wantAck)
			}
			ct := tc.contentType
			if ct == "" {
				ct = "application/json; charset=UTF-8"
			}
			if !strings.HasPrefix(got.header.Get("Content-Type"), ct) {
				t.Errorf("Content-Type %q, want %q", got.header.Get("Content-Type"), ct)
			}
		})
	}
}

// TestReplyBodies pins the exact bytes of Splunk's replies.
func TestReplyBodies(t *testing.T) {
	s := newServer(t, Config{Tokens: []Token{{Value: DefaultToken, Ack: true}}})
	c := s.Client()
	cases := []struct {
		q    req
		want string
	}{
		{req{channel: chanA, body: `{"event":"a"}`}, `{"text":"Success","code":0,"ackId":0}`},
		{req{channel: chanA, body: `{"event":"a"}`}, `{"text":"Success","code":0,"ackId":1}`},
		{req{channel: chanA, body: `{"event":"a"}{"event":1`}, `{"text":"Invalid data format","code":6,"invalid-event-number":1,"ackId":2}`},
		{req{channel: chanA, body: `{"event":1`}, `{"text":"Invalid data format","code":6,"invalid-event-number":0}`},
		{req{channel: chanA, body: ``}, `{"text":"No data","code":5}`},
		{req{path: "/services/collector/health", method: http.MethodGet}, `{"text":"HEC is healthy","code":17}`},
	}
	for _, tc := range cases {
		if got := do(t, c, s.URL, tc.q); got.body != tc.want {
			t.Errorf("%s %q: got %s, want %s", tc.q.path, tc.q.body, got.body, tc.want)
		}
	}
}

// TestRecording checks what is kept of each indexed event.
func TestRecording(t *testing.T) {
	s := newServer(t, Config{Tokens: []Token{{Value: DefaultToken, Ack: true}}})
	c := s.Client()
	body := `{"time":1620000000.25,"host":"h\u00e9","source":"s3://b/k","sourcetype":"aws:cloudwatchlogs:vpcflow","index":"main","event":"2 123 eni-1 ACCEPT OK","fields":{"dest_service":"clarity-collector","port":80,"tags":["a","b\"c"]}}` +
		`{"time":"1620000001","event":{"src":"10.0.0.1","n":[1,2]}}` +
		`{"event":"tab\tquote\"","time":-1.5e3}`
	ch2 := NewChannel()
	if r := do(t, c, s.URL, req{channel: ch2, body: `{"event":"first"}`}); r.status != 200 {
		t.Fatal(r.body)
	}
	if r := do(t, c, s.URL, req{channel: chanA, body: body, gzip: true}); r.status != 200 {
		t.Fatal(r.body)
	}
	evs := s.Events()
	if len(evs) != 4 {
		t.Fatalf("%d events, want 4", len(evs))
	}
	e := evs[1]
	want := Event{
		Time: "1620000000.25", HasTime: true, Host: "hé", Source: "s3://b/k",
		Sourcetype: "aws:cloudwatchlogs:vpcflow", Index: "main",
		Event: json.RawMessage(`"2 123 eni-1 ACCEPT OK"`),
		Fields: map[string]any{
			"dest_service": "clarity-collector",
			"port":         json.Number("80"),
			"tags":         []any{"a", `b"c`},
		},
		Channel: chanA, Request: 2,
	}
	e.text, want.text = "", ""
	if !reflect.DeepEqual(e, want) {
		t.Errorf("event 1:\n got %+v\nwant %+v", e, want)
	}
	if got := evs[1].Text(); got != "2 123 eni-1 ACCEPT OK" {
		t.Errorf("Text() = %q", got)
	}
	if ts, ok := evs[1].Timestamp(); !ok || !ts.Equal(time.Unix(1620000000, 250e6)) {
		t.Errorf("Timestamp() = %v, %v", ts, ok)
	}
	if evs[2].Time != "1620000001" || !evs[2].HasTime || evs[2].Text() != `{"src":"10.0.0.1","n":[1,2]}` || evs[2].Fields != nil {
		t.Errorf("event 2: %+v text %q", evs[2], evs[2].Text())
	}
	if evs[3].Text() != "tab\tquote\"" || evs[3].Time != "-1.5e3" {
		t.Errorf("event 3: %+v text %q", evs[3], evs[3].Text())
	}
	if evs[0].HasTime || evs[0].Channel != ch2 || evs[0].Request != 1 {
		t.Errorf("event 0: %+v", evs[0])
	}
	if _, ok := evs[0].Timestamp(); ok {
		t.Error("Timestamp() ok for an event without time")
	}
	counts := s.EventsBy(func(e Event) string { return e.Channel })
	if counts[chanA] != 3 || counts[ch2] != 1 {
		t.Errorf("EventsBy(channel) = %v", counts)
	}
	if texts := s.Texts(); len(texts) != 4 || texts[0] != "first" {
		t.Errorf("Texts() = %q", texts)
	}
	st := s.Stats()
	if st.EventsAccepted != 4 || st.GzipRequests != 1 || st.BytesDecoded <= st.BytesReceived-int64(len(`{"event":"first"}`)) {
		t.Errorf("stats %+v", st)
	}
	s.ClearEvents()
	if s.EventCount() != 0 || len(s.Events()) != 0 {
		t.Error("ClearEvents left events")
	}
}

// TestHealth checks the health endpoint and downtime.
func TestHealth(t *testing.T) {
	s := newServer(t, Config{})
	c := s.Client()
	health := req{method: http.MethodGet, path: "/services/collector/health", auth: "-"}
	event := req{body: `{"event":"x"}`}
	check := func(q req, status, code int, text string, invalid int) {
		t.Helper()
		got := do(t, c, s.URL, q)
		if got.status != status || got.code() != code || got.reply.Text != text || got.invalid() != invalid {
			t.Errorf("%s: got %d %s, want %d code %d %q", q.path, got.status, got.body, status, code, text)
		}
	}
	check(health, 200, 17, "HEC is healthy", -1)
	check(req{method: http.MethodGet, path: "/services/collector/health/1.0", token: "ignored"}, 200, 17, "HEC is healthy", -1)

	s.Down()
	check(health, 503, 18, "HEC is unhealthy, queues are full", -1)
	check(event, 503, 9, "Server is busy", 0)
	check(req{path: "/services/collector/ack", body: `{"acks":[0]}`}, 503, 9, "Server is busy", 0)
	s.Up()
	check(health, 200, 17, "HEC is healthy", -1)
	check(event, 200, 0, "Success", -1)

	now := time.Now()
	s.SetDowntime(now.Add(-time.Second), now.Add(time.Hour))
	s.SetDowntime(now.Add(2*time.Hour), now.Add(3*time.Hour))
	check(health, 503, 18, "HEC is unhealthy, queues are full", -1)
	check(event, 503, 9, "Server is busy", 0)
	s.Up()
	s.SetDowntime(now.Add(-2*time.Hour), now.Add(-time.Hour))
	check(event, 200, 0, "Success", -1)
	if s.EventCount() != 2 {
		t.Errorf("%d events indexed, want 2 (none during downtime)", s.EventCount())
	}
	if st := s.Stats(); st.Faults["downtime"] != 2 || st.HealthRequests != 5 {
		t.Errorf("stats %+v", st)
	}
}

// TestRuntimeConfig shows configuration errors being fixed while a client
// keeps sending.
func TestRuntimeConfig(t *testing.T) {
	tok := "eeeeeeee-0000-0000-0000-000000000001"
	s := newServer(t, Config{Tokens: []Token{{Value: tok, Disabled: true}}, Indexes: []string{"main"}})
	c := s.Client()
	ev := req{token: tok, body: `{"event":"x","index":"flows"}`}
	steps := []struct {
		fix    func()
		status int
		code   int
	}{
		{func() {}, 403, CodeTokenDisabled},
		{func() { s.SetTokenDisabled(tok, false) }, 400, CodeIncorrectIndex},
		{func() { s.SetIndexes("main", "flows") }, 200, CodeSuccess},
		{func() { s.SetTokenIndexes(tok, "main") }, 400, CodeIncorrectIndex},
		{func() { s.SetTokenIndexes(tok) }, 200, CodeSuccess},
		{func() { s.SetIndexes() }, 200, CodeSuccess},
		{func() { s.RemoveToken(tok) }, 403, CodeInvalidToken},
		{func() { s.SetToken(Token{Value: tok, Ack: true}) }, 400, CodeChannelMissing},
		{func() { s.SetToken(Token{Value: tok}) }, 200, CodeSuccess},
	}
	for i, st := range steps {
		st.fix()
		if got := do(t, c, s.URL, ev); got.status != st.status || got.code() != st.code {
			t.Errorf("step %d: got %d %s, want %d code %d", i, got.status, got.body, st.status, st.code)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("SetTokenDisabled on an unknown token did not panic")
		}
	}()
	s.SetTokenDisabled("nope", true)
}

// TestCloud: the answers where Splunk Cloud differs from Enterprise.
func TestCloud(t *testing.T) {
	ackTok := "aaaaaaaa-0000-0000-0000-00000000a0c0"
	s := newServer(t, Config{Cloud: true, Tokens: []Token{{Value: DefaultToken}, {Value: ackTok, Ack: true}}})
	c := s.Client()
	got := do(t, c, s.URL, req{token: ackTok, body: `{"event":"x"}`})
	if got.status != 400 || got.code() != CodeCloudChannelMissing || !strings.HasPrefix(got.reply.Text, "Data channel is missing. If you have multiple indexers") {
		t.Errorf("no channel: %d %s", got.status, got.body)
	}
	big := batch(0, CloudMaxBody/300+1000)
	got = do(t, c, s.URL, req{body: big, gzip: true})
	if got.status != 400 || got.code() != 6 || got.invalid() != 0 || s.EventCount() != 0 {
		t.Errorf("%d bytes: %d %s, %d indexed", len(big), got.status, got.body, s.EventCount())
	}
	if got = do(t, c, s.URL, req{body: batch(0, 1000), gzip: true}); got.status != 200 {
		t.Errorf("small body: %d %s", got.status, got.body)
	}
}
