// Package encode turns parsed flow-log records into Splunk HTTP Event
// Collector events, by appending JSON to a caller's buffer so that encoding
// allocates nothing per event.
//
// Two event formats carry the same field names (DESIGN.md): raw, where the
// event is the original line byte for byte and every field a search-time
// extraction could not place by position travels as an indexed field, and
// json, where the event is one object with the Splunk names. A line that
// did not parse is still delivered, raw, with the flowhec_parse_error field
// saying why: bad input is reported, never dropped.
package encode
