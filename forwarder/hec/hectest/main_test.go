package hectest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// reply is Splunk's JSON answer as a client reads it.
type reply struct {
	Text    string         `json:"text"`
	Code    *int           `json:"code"`
	Invalid *int           `json:"invalid-event-number"`
	AckID   *int64         `json:"ackId"`
	Acks    map[string]any `json:"acks"`
}

// result is one exchange as a plain net/http client sees it.
type result struct {
	status  int
	header  http.Header
	body    string
	reply   reply
	err     error // the request failed (no response)
	readErr error // the response body could not be read
}

func (r result) code() int {
	if r.reply.Code == nil {
		return -1
	}
	return *r.reply.Code
}

func (r result) invalid() int {
	if r.reply.Invalid == nil {
		return -1
	}
	return *r.reply.Invalid
}

// req describes one request to the server.
type req struct {
	method  string // default POST
	path    string // default /services/collector/event
	auth    string // Authorization header; "-" for none
	token   string // sets "Splunk <token>" when auth is empty
	channel string // X-Splunk-Request-Channel
	query   string
	body    string
	gzip    bool
	chunked bool // hide the length so the body goes chunked
	header  map[string]string
}

func do(t testing.TB, c *http.Client, base string, q req) result {
	t.Helper()
	if q.method == "" {
		q.method = http.MethodPost
	}
	if q.path == "" {
		q.path = "/services/collector/event"
	}
	body := []byte(q.body)
	if q.gzip {
		body = gzipped(t, body)
	}
	url := base + q.path
	if q.query != "" {
		url += "?" + q.query
	}
	r, err := http.NewRequest(q.method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case q.auth == "-":
	case q.auth != "":
		r.Header.Set("Authorization", q.auth)
	default:
		tok := q.token
		if tok == "" {
			tok = DefaultToken
		}
		r.Header.Set("Authorization", "Splunk "+tok)
	}
	if q.channel != "" {
		r.Header.Set("X-Splunk-Request-Channel", q.channel)
	}
	if q.gzip {
		r.Header.Set("Content-Encoding", "gzip")
	}
	if q.chunked {
		r.ContentLength = -1
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	resp, err := c.Do(r)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, readErr := io.ReadAll(resp.Body)
	res := result{status: resp.StatusCode, header: resp.Header, body: string(b), readErr: readErr}
	if readErr == nil && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &res.reply); err != nil {
			t.Fatalf("reply %q is not JSON: %v", b, err)
		}
	}
	return res
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// flowLine is a VPC flow log line unique to i.
func flowLine(i int) string { return string(appendFlowLine(nil, i)) }

func appendFlowLine(b []byte, i int) []byte {
	b = append(b, "2 123456789012 eni-0a1b2c3d4e5f60718 10.0."...)
	b = strconv.AppendInt(b, int64((i>>8)&255), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(i&255), 10)
	b = append(b, " 172.31.1.67 "...)
	b = strconv.AppendInt(b, int64(1024+i%60000), 10)
	b = append(b, " 80 6 "...)
	b = strconv.AppendInt(b, int64(1+i%7), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(40+i%1400), 10)
	return append(b, " 1620000000 1620000060 REJECT OK"...)
}

// batch is n raw-format events starting at record from, concatenated the
// way flowhec sends them.
func batch(from, n int) string { return string(appendBatch(nil, from, n)) }

func appendBatch(b []byte, from, n int) []byte {
	for i := from; i < from+n; i++ {
		b = append(b, `{"time":1620000000.`...)
		b = append(b, byte('0'+i/100%10), byte('0'+i/10%10), byte('0'+i%10))
		b = append(b, `,"host":"vpc","source":"s3://flowlogs/key","sourcetype":"aws:cloudwatchlogs:vpcflow","index":"main","event":"`...)
		b = appendFlowLine(b, i)
		b = append(b, `","fields":{"dest_service":"clarity-collector","src_scope":"private","n":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, "}}\n"...)
	}
	return b
}

func newServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Logf == nil {
		cfg.Logf = t.Logf
	}
	s := NewServer(cfg)
	t.Cleanup(s.Close)
	return s
}
