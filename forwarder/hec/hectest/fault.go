package hectest

import (
	"fmt"
	"time"
)

// FaultKind names one way the server misbehaves on an event request.
type FaultKind uint8

const (
	// FaultNone is no fault: the request is handled as Splunk would.
	FaultNone FaultKind = iota
	// FaultBusy answers 503 {"text":"Server is busy","code":9,
	// "invalid-event-number":0}, Splunk's answer when its queues are full,
	// with a Retry-After header when RetryAfter > 0 (Splunk sends none).
	// Nothing is indexed.
	FaultBusy
	// FaultBusyAfter indexes the first Event events and then answers 503
	// code 9 with "invalid-event-number": Event: a busy answer after a
	// partial acceptance, as Splunk's OpenTelemetry exporter maintainers
	// describe it; the busy answers seen from Splunk name 0.
	FaultBusyAfter
	// FaultTooManyRequests answers 429, with Retry-After when RetryAfter > 0.
	FaultTooManyRequests
	// FaultInternalError answers 500 code 8 "Internal server error".
	FaultInternalError
	// FaultTooLarge answers 413 as if the body exceeded max_content_length.
	FaultTooLarge
	// FaultBadEvent refuses one event as invalid data: 400 code 6 with
	// "invalid-event-number". The event is number Event (0-based), or, when
	// Contains is set, the first whose raw "event" JSON contains it. The
	// events before it are indexed.
	FaultBadEvent
	// FaultResetBeforeBody closes the connection (TCP reset) before reading
	// the body. Nothing is indexed and nothing is answered.
	FaultResetBeforeBody
	// FaultResetAfterIndex indexes the request and then closes the
	// connection without answering: the client sees a network error for
	// data that is in fact indexed, the case that produces duplicates.
	FaultResetAfterIndex
	// FaultStall holds the request for Duration after reading it (until the
	// client goes away when Duration is 0). If the client is still there it
	// is then handled normally; if not, nothing is indexed.
	FaultStall
	// FaultStallAfterIndex indexes the request and then holds the answer for
	// Duration (until the client goes away when 0): a client timeout on
	// data that is indexed.
	FaultStallAfterIndex
	// FaultSlowRead reads the body at BytesPerSecond, then handles the
	// request normally.
	FaultSlowRead
	// FaultLoseAck indexes the request and answers with an ackId that never
	// becomes true. Without indexer acknowledgement it is a plain success.
	FaultLoseAck
	// FaultLoseAckAndEvents answers success (with an ackId when the token
	// uses acknowledgement) but indexes nothing and never acks: data lost
	// after HEC accepted it, which only indexer acknowledgement reveals.
	FaultLoseAckAndEvents
	// FaultTruncatedResponse indexes the request, then writes the 200
	// status line, headers and part of the body and closes the connection.
	// The client cannot read the answer although the data is indexed.
	FaultTruncatedResponse
)

var faultNames = [...]string{
	FaultNone:              "none",
	FaultBusy:              "busy",
	FaultBusyAfter:         "busy-after",
	FaultTooManyRequests:   "too-many-requests",
	FaultInternalError:     "internal-error",
	FaultTooLarge:          "too-large",
	FaultBadEvent:          "bad-event",
	FaultResetBeforeBody:   "reset-before-body",
	FaultResetAfterIndex:   "reset-after-index",
	FaultStall:             "stall",
	FaultStallAfterIndex:   "stall-after-index",
	FaultSlowRead:          "slow-read",
	FaultLoseAck:           "lose-ack",
	FaultLoseAckAndEvents:  "lose-ack-and-events",
	FaultTruncatedResponse: "truncated-response",
}

func (k FaultKind) String() string {
	if int(k) < len(faultNames) {
		return faultNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", uint8(k))
}

// Fault is one misbehaviour for one event request. Build it with the
// functions below or as a literal; fields a kind does not use are ignored.
type Fault struct {
	Kind           FaultKind
	RetryAfter     time.Duration // Busy, TooManyRequests: Retry-After, rounded up to seconds
	Event          int           // BadEvent, BusyAfter: 0-based event number
	Contains       string        // BadEvent: pick the first event whose raw JSON contains this
	Duration       time.Duration // Stall, StallAfterIndex: 0 holds until the client goes away
	BytesPerSecond int           // SlowRead
}

func (f Fault) String() string {
	switch f.Kind {
	case FaultBusy, FaultTooManyRequests:
		if f.RetryAfter > 0 {
			return fmt.Sprintf("%s(retry-after %s)", f.Kind, f.RetryAfter)
		}
	case FaultBusyAfter:
		return fmt.Sprintf("%s(%d)", f.Kind, f.Event)
	case FaultBadEvent:
		if f.Contains != "" {
			return fmt.Sprintf("%s(contains %q)", f.Kind, f.Contains)
		}
		return fmt.Sprintf("%s(%d)", f.Kind, f.Event)
	case FaultStall, FaultStallAfterIndex:
		if f.Duration > 0 {
			return fmt.Sprintf("%s(%s)", f.Kind, f.Duration)
		}
		return fmt.Sprintf("%s(until client leaves)", f.Kind)
	case FaultSlowRead:
		return fmt.Sprintf("%s(%d B/s)", f.Kind, f.BytesPerSecond)
	}
	return f.Kind.String()
}

// Busy is 503 code 9 "Server is busy", with Retry-After when retryAfter > 0.
func Busy(retryAfter time.Duration) Fault { return Fault{Kind: FaultBusy, RetryAfter: retryAfter} }

// BusyAfter indexes the first n events, then answers 503 code 9 with
// "invalid-event-number": n.
func BusyAfter(n int) Fault { return Fault{Kind: FaultBusyAfter, Event: n} }

// TooManyRequests is 429, with Retry-After when retryAfter > 0.
func TooManyRequests(retryAfter time.Duration) Fault {
	return Fault{Kind: FaultTooManyRequests, RetryAfter: retryAfter}
}

// InternalError is 500 code 8 "Internal server error".
func InternalError() Fault { return Fault{Kind: FaultInternalError} }

// TooLarge is 413 Request Entity Too Large.
func TooLarge() Fault { return Fault{Kind: FaultTooLarge} }

// BadEvent refuses event k (0-based) with 400 code 6; events before it are
// indexed. A k past the last event picks the last.
func BadEvent(k int) Fault { return Fault{Kind: FaultBadEvent, Event: k} }

// BadEventContaining refuses the first event whose raw "event" JSON
// contains s, like BadEvent. When no event contains s the request is
// handled normally.
func BadEventContaining(s string) Fault { return Fault{Kind: FaultBadEvent, Contains: s} }

// ResetBeforeBody drops the connection before reading the request.
func ResetBeforeBody() Fault { return Fault{Kind: FaultResetBeforeBody} }

// ResetAfterIndex indexes the request, then drops the connection unanswered.
func ResetAfterIndex() Fault { return Fault{Kind: FaultResetAfterIndex} }

// Stall holds the request for d before handling it; d == 0 holds it until
// the client gives up, and then nothing is indexed.
func Stall(d time.Duration) Fault { return Fault{Kind: FaultStall, Duration: d} }

// StallAfterIndex indexes the request, then holds the answer for d (until
// the client gives up when d == 0).
func StallAfterIndex(d time.Duration) Fault { return Fault{Kind: FaultStallAfterIndex, Duration: d} }

// SlowRead reads the request body at bytesPerSecond.
func SlowRead(bytesPerSecond int) Fault {
	return Fault{Kind: FaultSlowRead, BytesPerSecond: bytesPerSecond}
}

// LoseAck indexes the request and hands out an ackId that never turns true.
func LoseAck() Fault { return Fault{Kind: FaultLoseAck} }

// LoseAckAndEvents answers success but indexes nothing and never acks.
func LoseAckAndEvents() Fault { return Fault{Kind: FaultLoseAckAndEvents} }

// TruncatedResponse indexes the request and cuts the 200 answer short.
func TruncatedResponse() Fault { return Fault{Kind: FaultTruncatedResponse} }
