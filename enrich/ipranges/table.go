package ipranges

import (
	"net/netip"
	"time"

	"github.com/gaissmai/bart"
)

// Match is what the table knows about an address: the service, region and
// network border group of the longest prefix that holds it.
type Match struct {
	// Service is AWS's name: "EC2", "S3", "CLOUDFRONT", "DYNAMODB",
	// "ROUTE53_HEALTHCHECKS", …; "AMAZON" when AWS names no other.
	Service string
	// Region is "us-east-1", …, or "GLOBAL".
	Region string
	// NetworkBorderGroup is where AWS advertises the prefix: usually the
	// region, or a Local Zone or Wavelength Zone ("us-east-1-bos-1").
	NetworkBorderGroup string
	// Prefix is the prefix that matched.
	Prefix netip.Prefix
}

// Table is a parsed ip-ranges.json. It is immutable and safe for
// concurrent use; a nil *Table holds no prefixes.
type Table struct {
	// SyncToken is the file's syncToken: the publication time in Unix
	// seconds, as text. It changes whenever AWS changes the file.
	SyncToken string
	// CreateDate is the file's createDate.
	CreateDate time.Time

	lpm     bart.Fast[*Match]
	matches []Match // the values lpm points into, one per prefix
}

// Lookup returns the Match of the longest prefix that holds a. An
// IPv4-mapped IPv6 address (::ffff:a.b.c.d) is looked up as the IPv4
// address a.b.c.d. It does not allocate.
func (t *Table) Lookup(a netip.Addr) (Match, bool) {
	if t == nil {
		return Match{}, false
	}
	m, ok := t.lpm.Lookup(a.Unmap())
	if !ok {
		return Match{}, false
	}
	return *m, true
}

// Contains reports whether a is in any AWS prefix; its method value fits
// where enrichment asks "is this address AWS's?".
func (t *Table) Contains(a netip.Addr) bool {
	if t == nil {
		return false
	}
	return t.lpm.Contains(a.Unmap())
}

// Len4 is the number of distinct IPv4 prefixes.
func (t *Table) Len4() int {
	if t == nil {
		return 0
	}
	return t.lpm.Size4()
}

// Len6 is the number of distinct IPv6 prefixes.
func (t *Table) Len6() int {
	if t == nil {
		return 0
	}
	return t.lpm.Size6()
}

// Amazon is the service name AWS gives every prefix it owns, in addition
// to the name of the service that uses it.
const Amazon = "AMAZON"

// Prefer reports whether service a is preferred over service b when AWS
// lists the same prefix under both: AMAZON is the least specific name (it
// covers every prefix), EC2 next (the services that run on EC2 addresses,
// such as ROUTE53_HEALTHCHECKS, CLOUD9 and EC2_INSTANCE_CONNECT, list
// the same prefixes as EC2 does), then any other name; between two other
// names the alphabetically first wins, so that the answer does not depend
// on the order of the file. Prefer is a strict order: Prefer(a, a) is false.
//
// Prefer only breaks ties on one prefix. Between prefixes, the longest
// prefix wins whatever its service: a /24 listed only as AMAZON inside an
// EC2 /16 is AMAZON.
func Prefer(a, b string) bool {
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra > rb
	}
	return a < b
}

func rank(service string) int {
	switch service {
	case Amazon:
		return 0
	case "EC2":
		return 1
	}
	return 2
}
