// Package derive computes the fields that a flow-log record implies
// without any outside knowledge: the CIM Network_Traffic fields `action`,
// `protocol`, `transport`, `protocol_version`, `duration`, `direction`
// and `tcp_flag`, the IANA name of the protocol number, and each side's
// `_scope` (private, public or aws).
//
// The functions on single values (Action, Transport, TCPFlags, …) are the
// rules; a Deriver adds the two things a record does not carry — which
// networks are inside the VPCs, and which addresses are AWS's — and fills a
// Fields from a *flowlog.Record. Nothing here allocates: names are
// constant strings and flag lists are slices of one table built at start.
//
// The CIM's own test suite (pytest-splunk-addon's Network_Traffic model)
// fixes several choices: `direction` has only inbound and outbound, so
// traffic between two inside (or two outside) addresses has no CIM
// direction; `transport` is tcp, udp or icmp, with ICMPv6 as icmp; and
// `protocol` is "ip" except for ICMP, where it is "icmp".
package derive
