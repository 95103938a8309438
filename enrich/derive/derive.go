package derive

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/gaissmai/bart"

	"github.com/flowhec/flowhec/flowlog"
)

// keyInside is the YAML key of Config.Inside, as errors name it.
const keyInside = "enrich.inside_networks"

// Config is what a Deriver needs to know about the VPCs. Its YAML tag is
// the key of the enrich section it is inlined into.
type Config struct {
	// Inside lists the networks inside the VPCs — their IPv4 and IPv6
	// CIDR blocks — against which a record without flow-direction gets
	// its direction. Empty means DefaultInside.
	Inside []netip.Prefix `yaml:"inside_networks"`
}

// DefaultInside returns the networks taken as inside when no VPC CIDR
// blocks are known: RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598
// (100.64/10) and IPv6 unique local (fc00::/7). VPCs with IPv6 use
// public (AWS) addresses, so IPv6 flows get a direction only when
// Inside lists the VPCs' IPv6 blocks.
func DefaultInside() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("100.64.0.0/10"),
		netip.MustParsePrefix("fc00::/7"),
	}
}

// DefaultConfig returns the defaults: Inside empty, so DefaultInside.
func DefaultConfig() Config { return Config{} }

// Validate reports every bad network, naming its key and index.
func (c Config) Validate() error {
	var errs []error
	for i, p := range c.Inside {
		key := fmt.Sprintf("%s[%d]", keyInside, i)
		switch {
		case !p.IsValid():
			errs = append(errs, fmt.Errorf("%s: not a network; write one as 10.0.0.0/16 or 2600:1f18:4a2:c00::/56", key))
		case p.Addr().Is4In6():
			errs = append(errs, fmt.Errorf("%s: %s is IPv4-mapped; write it as IPv4 (%s)", key, p, ipv4Of(p)))
		case p != p.Masked():
			errs = append(errs, fmt.Errorf("%s: %s has host bits set; the network is %s", key, p, p.Masked()))
		}
	}
	return errors.Join(errs...)
}

// ipv4Of returns the IPv4 form of an IPv4-mapped prefix.
func ipv4Of(p netip.Prefix) netip.Prefix {
	return netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0)).Masked()
}

// Deriver computes the derived fields of records. It is immutable and safe
// for concurrent use.
type Deriver struct {
	inside bart.Lite
	isAWS  func(netip.Addr) bool
}

// New returns a Deriver for the networks of c. isAWS tells AWS's public
// addresses for ScopeAWS (an *ipranges.Table's Contains method fits); nil
// means none are.
func New(c Config, isAWS func(netip.Addr) bool) (*Deriver, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	nets := c.Inside
	if len(nets) == 0 {
		nets = DefaultInside()
	}
	d := &Deriver{isAWS: isAWS}
	for _, p := range nets {
		d.inside.Insert(p)
	}
	return d, nil
}

// IsInside reports whether a is in the inside networks.
func (d *Deriver) IsInside(a netip.Addr) bool {
	return d.inside.Contains(a.Unmap())
}

// Direction returns the direction of a flow from src to dst relative to
// the inside networks: Outbound from inside to outside, Inbound from
// outside to inside, Internal when both are inside, and DirectionUnknown
// when both are outside or an address is missing.
func (d *Deriver) Direction(src, dst netip.Addr) Direction {
	if !src.IsValid() || !dst.IsValid() {
		return DirectionUnknown
	}
	switch in, out := d.IsInside(src), d.IsInside(dst); {
	case in && out:
		return Internal
	case in:
		return Outbound
	case out:
		return Inbound
	}
	return DirectionUnknown
}

// Scope returns the scope of a: see AddrScope.
func (d *Deriver) Scope(a netip.Addr) Scope { return AddrScope(a, d.isAWS) }

// Fields are the derived fields of one record. A field whose value is ""
// (or, for TCPFlags, nil) is left out of the event.
type Fields struct {
	Action          string // CIM action: "allowed" or "blocked"
	Protocol        string // CIM protocol: "ip", or "icmp" (CIMProtocol)
	ProtocolName    string // IANA keyword of the protocol number: "tcp", "ipv6-icmp", …
	Transport       string // CIM transport: "tcp", "udp", "icmp", "gre", …
	ProtocolVersion string // CIM protocol_version: "ipv4" or "ipv6"
	// Duration is the CIM duration, end − start in seconds, when
	// HasDuration.
	Duration    int64
	HasDuration bool
	// Direction is the record's flow-direction when it has one (relative
	// to its interface), else relative to the inside networks. Its CIM
	// method gives the CIM direction.
	Direction Direction
	SrcScope  Scope // src_scope, of srcaddr
	DestScope Scope // dest_scope, of dstaddr
	// TCPFlags is the CIM tcp_flag of a TCP record: the names of its
	// tcp-flags bits. It is shared and read-only.
	TCPFlags []string
}

// Derive fills f with the derived fields of rec, overwriting all of it.
// It does not allocate.
func (d *Deriver) Derive(rec *flowlog.Record, f *Fields) {
	*f = Fields{}
	if b, ok := rec.Bytes(flowlog.Action); ok {
		f.Action = Action(b)
	}
	p, hasProto := rec.Uint(flowlog.Protocol)
	if hasProto {
		f.Protocol = CIMProtocol(p)
		f.ProtocolName = ProtocolName(p)
		f.Transport = Transport(p)
	}
	src, _ := rec.Addr(flowlog.SrcAddr)
	dst, _ := rec.Addr(flowlog.DstAddr)
	f.ProtocolVersion = ProtocolVersion(src)
	if f.ProtocolVersion == "" {
		f.ProtocolVersion = ProtocolVersion(dst)
	}
	if start, ok := rec.Uint(flowlog.Start); ok {
		if end, ok := rec.Uint(flowlog.End); ok {
			f.Duration, f.HasDuration = Duration(start, end)
		}
	}
	if b, ok := rec.Bytes(flowlog.FlowDirection); ok {
		f.Direction = FlowDirection(b)
	}
	if f.Direction == DirectionUnknown {
		f.Direction = d.Direction(src, dst)
	}
	f.SrcScope = d.Scope(src)
	f.DestScope = d.Scope(dst)
	if hasProto && p == protoTCP {
		if flags, ok := rec.Uint(flowlog.TCPFlags); ok {
			f.TCPFlags = TCPFlags(flags)
		}
	}
}
