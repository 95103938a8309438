package hec

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// kind is what the sink does about one HEC reply. Every reply is classified
// here, once, from the HTTP status and the HEC code in the body.
type kind uint8

const (
	delivered kind = iota // indexed (or, with acks, accepted with an ackId)
	retry                 // throttled or transient: wait, then send again
	configErr             // HEC refuses the configuration: hold data, say what to fix, retry slowly
	badEvent              // one event is bad: those before it are indexed
	tooLarge              // 413: split the batch
	rejected              // 400 that names no event: the batch can never be indexed
)

var kindNames = [...]string{"delivered", "retry", "config_error", "bad_event", "too_large", "rejected"}

func (k kind) String() string { return kindNames[k] }

// reply is HEC's JSON answer.
type reply struct {
	Text         string `json:"text"`
	Code         *int   `json:"code"`
	AckID        *int64 `json:"ackId"`
	InvalidEvent *int   `json:"invalid-event-number"`
}

// outcome is a classified reply.
type outcome struct {
	kind       kind
	status     int
	code       int // HEC code, -1 when the body had none
	text       string
	ackID      int64 // -1 when the reply carried none
	badEvent   int   // index of the bad event in the request (badEvent)
	retryAfter time.Duration
	// fix says what to change, naming the setting (configErr, rejected).
	fix string
	// unconfirmed: a 2xx whose body could not be read. The events were
	// accepted; sending them again would only duplicate them.
	unconfirmed bool
}

// HEC codes, from Splunk's "Troubleshoot HTTP Event Collector" table.
const (
	codeSuccess            = 0
	codeTokenDisabled      = 1
	codeTokenRequired      = 2
	codeInvalidAuth        = 3
	codeInvalidToken       = 4
	codeNoData             = 5
	codeInvalidDataFormat  = 6
	codeIncorrectIndex     = 7
	codeInternalError      = 8
	codeServerBusy         = 9
	codeChannelMissing     = 10
	codeInvalidChannel     = 11
	codeEventRequired      = 12
	codeEventBlank         = 13
	codeAckDisabled        = 14
	codeIndexedFields      = 15
	codeQueryStringAuthOff = 16
	// Splunk Cloud answers a request without a channel on an
	// acknowledgement token with its own code.
	codeCloudChannelMissing = 28
)

// configFixes says what an admin changes for each configuration code.
var configFixes = map[int]string{
	codeTokenDisabled:       "the HEC token is disabled in Splunk: enable it (Settings > Data inputs > HTTP Event Collector) or point hec.token_file / hec.token_env at an enabled token",
	codeTokenRequired:       "HEC wants a token: set hec.token_file or hec.token_env",
	codeInvalidAuth:         "HEC did not accept the Authorization header: check that hec.token_file / hec.token_env holds only the token",
	codeInvalidToken:        "HEC does not know this token: check hec.token_file / hec.token_env against the token in Splunk",
	codeIncorrectIndex:      "the index does not exist or the token may not write to it: create the index, add it to the token's allowed indexes, or change index",
	codeChannelMissing:      "the token has indexer acknowledgement on: set hec.ack.enabled: true",
	codeInvalidChannel:      "HEC refused the request channel: check hec.ack settings and the token's acknowledgement setting",
	codeAckDisabled:         "hec.ack.enabled is true but the token has indexer acknowledgement off: enable it on the token or set hec.ack.enabled: false",
	codeQueryStringAuthOff:  "HEC refused query-string authorization: check hec.urls has no token in its query",
	codeCloudChannelMissing: "the token has indexer acknowledgement on: set hec.ack.enabled: true",
}

// classify turns one HTTP exchange into what to do next. body is what could
// be read of the reply; bodyErr is why the rest could not.
func classify(status int, header http.Header, body []byte, bodyErr error) outcome {
	o := outcome{status: status, code: -1, ackID: -1}
	var r reply
	if json.Unmarshal(body, &r) == nil {
		o.text = r.Text
		if r.Code != nil {
			o.code = *r.Code
		}
		if r.AckID != nil {
			o.ackID = *r.AckID
		}
	}
	if status >= 200 && status < 300 {
		o.kind = delivered
		o.unconfirmed = bodyErr != nil
		return o
	}
	if fix, ok := configFixes[o.code]; ok {
		o.kind, o.fix = configErr, fix
		return o
	}
	switch status {
	case http.StatusRequestEntityTooLarge:
		o.kind = tooLarge
	case http.StatusBadRequest:
		if r.InvalidEvent != nil && *r.InvalidEvent >= 0 {
			o.kind, o.badEvent = badEvent, *r.InvalidEvent
			return o
		}
		o.kind = rejected
		o.fix = "HEC rejected the whole batch without naming an event; it is dead-lettered, check the HEC endpoint's version and settings"
	case http.StatusUnauthorized, http.StatusForbidden:
		o.kind = configErr
		o.fix = "HEC refused the token: check hec.token_file / hec.token_env"
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		o.kind = configErr
		o.fix = "no HEC endpoint at this URL: check hec.urls names the HEC port (8088 by default) and that HEC is enabled in Splunk"
	case http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		o.kind = configErr
		o.fix = "HEC redirected the request: set hec.urls to the final URL (https?)"
	default:
		// 429, 500, 502, 503, 504 and anything unknown: try again later.
		o.kind = retry
		o.retryAfter = parseRetryAfter(header.Get("Retry-After"), time.Now())
	}
	return o
}

// describe is the outcome in one line for logs and errors.
func (o outcome) describe() string {
	s := "HTTP " + strconv.Itoa(o.status)
	if o.code >= 0 {
		s += fmt.Sprintf(" code %d", o.code)
	}
	if o.text != "" {
		s += " " + strconv.Quote(o.text)
	}
	return s
}

// maxRetryAfter caps what a server may ask us to wait.
const maxRetryAfter = 5 * time.Minute

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		d = time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return max(0, min(d, maxRetryAfter))
}
