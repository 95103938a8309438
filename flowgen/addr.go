package flowgen

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
)

// subnetBits is how much longer a subnet's prefix is than the VPC's: the
// VPC is cut into 16 equal subnets.
const subnetBits = 4

// subnetOf returns the subnet of vpc that holds a.
func subnetOf(vpc netip.Prefix, a netip.Addr) netip.Prefix {
	p, _ := a.Prefix(vpc.Bits() + subnetBits)
	return p
}

// nthSubnet returns subnet i (0–15) of vpc.
func nthSubnet(vpc netip.Prefix, i int) netip.Prefix {
	base := v4(vpc.Addr())
	size := uint32(1) << (32 - vpc.Bits() - subnetBits)
	return netip.PrefixFrom(addr4(base+uint32(i)*size), vpc.Bits()+subnetBits)
}

// reservedInSubnet reports whether a is one of the five addresses AWS
// reserves in every subnet: the network address, the router, DNS, one for
// future use, and the last address.
func reservedInSubnet(p netip.Prefix, a netip.Addr) bool {
	off := v4(a) - v4(p.Masked().Addr())
	size := uint32(1) << (32 - p.Bits())
	return off < 4 || off == size-1
}

// inPrefix returns the address at offset n (modulo the prefix size) of p.
func inPrefix(p netip.Prefix, n uint64) netip.Addr {
	if p.Addr().Is4() {
		size := uint64(1) << (32 - p.Bits())
		return addr4(v4(p.Masked().Addr()) + uint32(n%size))
	}
	b := p.Masked().Addr().As16()
	hostBits := 128 - p.Bits()
	lo := binary.BigEndian.Uint64(b[8:])
	if hostBits < 64 {
		n &= 1<<hostBits - 1
	}
	binary.BigEndian.PutUint64(b[8:], lo|n)
	if hostBits > 64 {
		hiMask := uint64(1)<<(hostBits-64) - 1
		hi := binary.BigEndian.Uint64(b[:8])
		binary.BigEndian.PutUint64(b[:8], hi|(mix64(n)&hiMask))
	}
	return netip.AddrFrom16(b)
}

// hostIn returns a usable address of p: not the network or broadcast-like
// ends, never 0 or 255 in the last octet, so it looks like a host.
func hostIn(p netip.Prefix, r *rng) netip.Addr {
	for {
		a := inPrefix(p, r.next())
		if a.Is4() {
			b := a.As4()
			if b[3] == 0 || b[3] == 255 {
				continue
			}
		}
		return a
	}
}

func v4(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func addr4(x uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], x)
	return netip.AddrFrom4(b)
}

// hashHex returns n hex digits derived from the key: stable IDs that do not
// depend on the seed, so that an inventory stays valid across runs.
func hashHex(n int, key ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(key, "\x00")))
	s := hex.EncodeToString(sum[:])
	for len(s) < n {
		sum = sha256.Sum256(sum[:])
		s += hex.EncodeToString(sum[:])
	}
	return s[:n]
}

// awsID returns an EC2-style ID: prefix, "-0" and 16 hex digits, as in
// eni-0a1b2c3d4e5f60718.
func awsID(prefix string, key ...string) string {
	return prefix + "-0" + hashHex(16, append([]string{prefix}, key...)...)
}

// uuid returns a version-4-shaped UUID derived from the key.
func uuid(key ...string) string {
	h := hashHex(32, append([]string{"uuid"}, key...)...)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// Address pools of the world outside the VPC. The planted stories use the
// documentation ranges (RFC 5737), so no real network is cast as an
// attacker; background users come from large residential ISPs and scanners
// from the well-known research scanners, none of them in AWS ranges.
var (
	zombiePool    = netip.MustParsePrefix("198.51.100.0/24")
	attackerPool  = netip.MustParsePrefix("203.0.113.0/24")
	residentialV4 = []netip.Prefix{
		netip.MustParsePrefix("73.0.0.0/8"),    // Comcast
		netip.MustParsePrefix("79.192.0.0/10"), // Deutsche Telekom
		netip.MustParsePrefix("86.128.0.0/10"), // BT
		netip.MustParsePrefix("187.0.0.0/12"),  // Brazilian ISPs
	}
	residentialV6 = []netip.Prefix{
		netip.MustParsePrefix("2601::/20"),     // Comcast
		netip.MustParsePrefix("2a01:e00::/26"), // Free
	}
	scannerPool = []netip.Prefix{
		netip.MustParsePrefix("162.142.125.0/24"), // Censys
		netip.MustParsePrefix("167.94.138.0/24"),  // Censys
		netip.MustParsePrefix("71.6.135.0/24"),    // Shodan
		netip.MustParsePrefix("71.6.146.0/24"),    // Shodan
		netip.MustParsePrefix("187.0.0.0/12"),     // residential botnets
		netip.MustParsePrefix("79.192.0.0/10"),
	}
	// Public services reached through the NAT gateway.
	internetServices = []netip.Prefix{
		netip.MustParsePrefix("140.82.112.0/20"), // GitHub
		netip.MustParsePrefix("151.101.0.0/16"),  // Fastly (package mirrors)
		netip.MustParsePrefix("104.16.0.0/13"),   // Cloudflare
		netip.MustParsePrefix("142.250.0.0/15"),  // Google
	}
	ntpServers = []netip.Addr{
		netip.MustParseAddr("162.159.200.1"),   // time.cloudflare.com
		netip.MustParseAddr("162.159.200.123"), // time.cloudflare.com
		netip.MustParseAddr("216.239.35.0"),    // time.google.com
		netip.MustParseAddr("216.239.35.4"),
		netip.MustParseAddr("216.239.35.8"),
		netip.MustParseAddr("216.239.35.12"),
	}
	// Elastic IPs of the fleet come from EC2's us-east-1 range.
	elasticIPPool = netip.MustParsePrefix("3.80.0.0/12")
	// The VPC's Amazon-provided IPv6 block (EC2 us-east-1's 2600:1f18::/32).
	vpcIPv6Pool = netip.MustParsePrefix("2600:1f18::/32")
)

// azIDPrefix turns a region name into the prefix of its zone IDs:
// us-east-1 → use1, ap-southeast-2 → apse2, eu-central-1 → euc1.
func azIDPrefix(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) < 3 {
		return region
	}
	dir := map[string]string{
		"north": "n", "south": "s", "east": "e", "west": "w", "central": "c",
		"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
		"gov": "g",
	}
	var b strings.Builder
	b.WriteString(parts[0])
	for _, p := range parts[1 : len(parts)-1] {
		if d, ok := dir[p]; ok {
			b.WriteString(d)
		} else {
			b.WriteString(p)
		}
	}
	b.WriteString(parts[len(parts)-1])
	return b.String()
}
