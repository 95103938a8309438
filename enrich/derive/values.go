package derive

import (
	"math"
	"net/netip"
)

// The CIM `action` values.
const (
	ActionAllowed = "allowed"
	ActionBlocked = "blocked"
)

// Action returns the CIM `action` of a flow-log action: "allowed" for
// ACCEPT, "blocked" for REJECT, and "" for anything else — NODATA and
// SKIPDATA records have no action ("-").
func Action(action []byte) string {
	switch string(action) {
	case "ACCEPT":
		return ActionAllowed
	case "REJECT":
		return ActionBlocked
	}
	return ""
}

// Duration returns the CIM `duration` in seconds: end − start. ok is false
// when end is before start, which a well-formed record never has.
func Duration(start, end uint64) (sec int64, ok bool) {
	if end < start || end-start > math.MaxInt64 {
		return 0, false
	}
	return int64(end - start), true
}

// tcpFlagNames are the flags of the tcp-flags bitmask, lowest bit first,
// in the CIM's upper case.
var tcpFlagNames = [8]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"}

// tcpFlagSets[m] lists the flags set in bitmask m, lowest bit first. The
// 256 slices share one array and are capped at their length, so that an
// append by a caller copies instead of writing over the next entry.
var tcpFlagSets = func() (t [256][]string) {
	all := make([]string, 0, 256*len(tcpFlagNames)/2)
	for m := range t {
		start := len(all)
		for bit, name := range tcpFlagNames {
			if m&(1<<bit) != 0 {
				all = append(all, name)
			}
		}
		if len(all) > start {
			t[m] = all[start:len(all):len(all)]
		}
	}
	return t
}()

// TCPFlags returns the names of the flags set in a tcp-flags value, for
// the multivalue CIM `tcp_flag`: FIN, SYN, RST, PSH, ACK, URG, ECE, CWR,
// in that order (bit 1 first). AWS logs the OR of the flags seen in the
// aggregation interval, so 18 is [SYN ACK] and 19 [FIN SYN ACK]. It
// returns nil for 0 and for values above 255, which are no bitmask of
// those flags. The slice is shared: callers must not modify it.
func TCPFlags(flags uint64) []string {
	if flags > 255 {
		return nil
	}
	return tcpFlagSets[flags]
}

// Direction is which way a flow crosses the VPC boundary.
type Direction uint8

// The directions. Only Inbound and Outbound are CIM `direction` values.
const (
	DirectionUnknown Direction = iota // no addresses, or both outside
	Inbound                           // from outside in, or into the interface (ingress)
	Outbound                          // from inside out, or out of the interface (egress)
	Internal                          // between two inside addresses
)

var directionNames = [...]string{"unknown", "inbound", "outbound", "internal"}

// String returns "unknown", "inbound", "outbound" or "internal".
func (d Direction) String() string {
	if int(d) < len(directionNames) {
		return directionNames[d]
	}
	return "unknown"
}

// CIM returns the CIM `direction`: "inbound" or "outbound", and "" for
// Internal and DirectionUnknown, which the CIM does not have (its values
// are inbound and outbound); enrichment leaves the field out then, and the
// two sides' `_scope` say the rest.
func (d Direction) CIM() string {
	switch d {
	case Inbound:
		return "inbound"
	case Outbound:
		return "outbound"
	}
	return ""
}

// FlowDirection returns the direction that a record's flow-direction
// value gives, relative to the interface the flow was logged on:
// "ingress" is Inbound, "egress" Outbound, anything else DirectionUnknown.
func FlowDirection(b []byte) Direction {
	switch string(b) {
	case "ingress":
		return Inbound
	case "egress":
		return Outbound
	}
	return DirectionUnknown
}

// Scope is what kind of address one side of a flow has: the per-side
// `_scope` field.
type Scope uint8

// The scopes.
const (
	ScopeUnknown Scope = iota // no address
	ScopePrivate              // not routed on the internet: see IsPrivate
	ScopePublic               // any other address
	ScopeAWS                  // a public address of AWS's (ip-ranges.json)
)

var scopeNames = [...]string{"", "private", "public", "aws"}

// String returns the field value: "private", "public", "aws", or "" for
// ScopeUnknown (no field).
func (s Scope) String() string {
	if int(s) < len(scopeNames) {
		return scopeNames[s]
	}
	return ""
}

// IsPrivate reports whether a is an address that the internet does not
// route: RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598 shared address
// space (100.64/10, carrier-grade NAT), IPv6 unique local (fc00::/7),
// link-local (169.254/16 — the instance metadata service included — and
// fe80::/10) and loopback. IPv4-mapped IPv6 addresses are judged as IPv4.
func IsPrivate(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLoopback() {
		return true
	}
	if a.Is4() {
		b := a.As4()
		return b[0] == 100 && b[1]&0xc0 == 64
	}
	return false
}

// AddrScope returns the scope of a: ScopePrivate when IsPrivate, else
// ScopeAWS when isAWS (which may be nil) says so, else ScopePublic; and
// ScopeUnknown for the zero Addr. isAWS is given IPv4-mapped addresses as
// IPv4.
func AddrScope(a netip.Addr, isAWS func(netip.Addr) bool) Scope {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return ScopeUnknown
	case IsPrivate(a):
		return ScopePrivate
	case isAWS != nil && isAWS(a):
		return ScopeAWS
	}
	return ScopePublic
}
