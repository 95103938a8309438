// Package hectest is a loopback Splunk HTTP Event Collector for tests and
// the demo: flowhec's real HEC client talks to it over HTTP or HTTPS, the
// way net/http/httptest lets a client talk to a real server.
//
// A Server speaks HEC as Splunk does, and each rule carries a comment
// naming the Splunk behaviour it copies: the event endpoints with
// concatenated JSON objects (or a JSON array) and gzip bodies; tokens in
// the Authorization header, basic authentication or the query string;
// Splunk's reply JSON with its codes and "invalid-event-number", where a
// bad event N leaves events 0..N-1 indexed; indexer acknowledgement with
// channels and ackIds that answer true once and are then forgotten; the
// health endpoint; and, with Config.Cloud, the answers where Splunk Cloud
// differs. Every event it indexes is recorded (Events, EventsBy, Texts)
// with the request and channel it came on, and Stats counts requests,
// replies, bytes, acks and faults, so a test can check that every record
// arrived at least once and count the duplicates.
//
// The point of the package is misbehaving on purpose, deterministically:
// FailNext queues faults for the next requests, SetFaultRate injects them
// into a fraction of requests with a seeded generator, Down and
// SetDowntime make HEC unavailable, Poison makes chosen records invalid,
// and tokens and indexes change while the client runs. The faults (see
// FaultKind) cover what a delivery client must survive: throttling (503
// with or without Retry-After, 429), server errors, 413, one bad event in
// a batch, connections reset before the body is read or after the events
// are indexed, stalls, slow reads, acks that never come, and a 200 whose
// body cannot be read although the events were indexed.
//
// Recording is cheap: a validating scanner locates a request's events and
// they are kept as substrings of one copy of the body; they become Event
// values only when a test asks.
package hectest
