package ipranges

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// createDateLayout is the layout of createDate ("2024-11-05-19-32-12", UTC).
const createDateLayout = "2006-01-02-15-04-05"

// maxReported bounds how many bad entries one error lists: a file that is
// wrong throughout says so in a dozen lines, not ten thousand.
const maxReported = 10

// ParseError is one bad entry or key of the file, with where it is.
type ParseError struct {
	// List is "prefixes" or "ipv6_prefixes", and Index the entry's index
	// in it; List is "" for a top-level key.
	List  string
	Index int
	// Key is the JSON key that is wrong: "ip_prefix", "service",
	// "createDate", …
	Key string
	Err error
}

func (e *ParseError) Error() string {
	if e.List == "" {
		return fmt.Sprintf("%s: %v", e.Key, e.Err)
	}
	return fmt.Sprintf("%s[%d].%s: %v", e.List, e.Index, e.Key, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// errMissing is the Err of a ParseError for a key that is absent or empty.
var errMissing = errors.New("missing or empty")

// file is ip-ranges.json. Keys it does not name are ignored: AWS has
// added keys before (network_border_group) and may again.
type file struct {
	SyncToken    string  `json:"syncToken"`
	CreateDate   string  `json:"createDate"`
	Prefixes     []entry `json:"prefixes"`
	IPv6Prefixes []entry `json:"ipv6_prefixes"`
}

// entry is one element of prefixes (with IPPrefix) or ipv6_prefixes (with
// IPv6Prefix).
type entry struct {
	IPPrefix           string `json:"ip_prefix"`
	IPv6Prefix         string `json:"ipv6_prefix"`
	Region             string `json:"region"`
	Service            string `json:"service"`
	NetworkBorderGroup string `json:"network_border_group"`
}

// Parse checks an ip-ranges.json document and builds its Table. Every
// entry must have a canonical prefix of its list's family (no host bits
// set), a service and a region; the document must have a syncToken, a
// createDate and at least one prefix. An error lists the first bad entries
// as *ParseError values (errors.As finds them), each with its index.
func Parse(data []byte) (*Table, error) {
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not an ip-ranges.json document: %w", err)
	}
	var errs []error
	bad := 0
	report := func(e *ParseError) {
		if bad < maxReported {
			errs = append(errs, e)
		}
		bad++
	}

	t := &Table{SyncToken: f.SyncToken}
	if f.SyncToken == "" {
		report(&ParseError{Key: "syncToken", Err: errMissing})
	}
	if f.CreateDate == "" {
		report(&ParseError{Key: "createDate", Err: errMissing})
	} else if d, err := time.Parse(createDateLayout, f.CreateDate); err != nil {
		report(&ParseError{Key: "createDate", Err: fmt.Errorf("%q: want YYYY-MM-DD-hh-mm-ss", f.CreateDate)})
	} else {
		t.CreateDate = d
	}
	if len(f.Prefixes)+len(f.IPv6Prefixes) == 0 {
		report(&ParseError{Key: "prefixes", Err: errors.New("no prefixes in prefixes or ipv6_prefixes")})
	}

	// Intern the names: ten thousand entries share a few hundred strings.
	names := make(map[string]string)
	intern := func(s string) string {
		if v, ok := names[s]; ok {
			return v
		}
		names[s] = s
		return s
	}

	// best holds, for each prefix, the index in t.matches of the entry
	// that Prefer chose.
	best := make(map[netip.Prefix]int, len(f.Prefixes)+len(f.IPv6Prefixes))
	t.matches = make([]Match, 0, len(f.Prefixes)+len(f.IPv6Prefixes))
	for _, list := range [...]struct {
		name    string
		key     string
		v6      bool
		entries []entry
	}{
		{"prefixes", "ip_prefix", false, f.Prefixes},
		{"ipv6_prefixes", "ipv6_prefix", true, f.IPv6Prefixes},
	} {
		for i, e := range list.entries {
			p, err := checkEntry(e, list.v6)
			if err != nil {
				err.List, err.Index = list.name, i
				report(err)
				continue
			}
			m := Match{
				Service:            intern(e.Service),
				Region:             intern(e.Region),
				NetworkBorderGroup: intern(e.NetworkBorderGroup),
				Prefix:             p,
			}
			if j, ok := best[p]; ok {
				// Equal names keep the first entry: AWS's own order.
				if Prefer(m.Service, t.matches[j].Service) {
					t.matches[j] = m
				}
				continue
			}
			best[p] = len(t.matches)
			t.matches = append(t.matches, m)
		}
	}
	if bad > maxReported {
		errs = append(errs, fmt.Errorf("and %d more bad entries", bad-maxReported))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	// t.matches no longer grows: pointers into it stay valid.
	for i := range t.matches {
		t.lpm.Insert(t.matches[i].Prefix, &t.matches[i])
	}
	return t, nil
}

// checkEntry returns the entry's prefix, or what is wrong with the entry
// (its List and Index left for the caller).
func checkEntry(e entry, v6 bool) (netip.Prefix, *ParseError) {
	key, s, other, otherKey := "ip_prefix", e.IPPrefix, e.IPv6Prefix, "ipv6_prefix"
	if v6 {
		key, s, other, otherKey = "ipv6_prefix", e.IPv6Prefix, e.IPPrefix, "ip_prefix"
	}
	if s == "" {
		if other != "" {
			return netip.Prefix{}, &ParseError{Key: key, Err: fmt.Errorf("missing; the entry has %s %q, which belongs in the other list", otherKey, other)}
		}
		return netip.Prefix{}, &ParseError{Key: key, Err: errMissing}
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, &ParseError{Key: key, Err: err}
	}
	switch {
	case v6 && p.Addr().Is4():
		return netip.Prefix{}, &ParseError{Key: key, Err: fmt.Errorf("%q is an IPv4 prefix; ipv6_prefixes holds IPv6 ones", s)}
	case v6 && p.Addr().Is4In6():
		// Lookup unmaps addresses, so such a prefix would never match.
		return netip.Prefix{}, &ParseError{Key: key, Err: fmt.Errorf("%q is IPv4-mapped; list it in prefixes as IPv4", s)}
	case !v6 && !p.Addr().Is4():
		return netip.Prefix{}, &ParseError{Key: key, Err: fmt.Errorf("%q is not an IPv4 prefix; prefixes holds IPv4 ones", s)}
	case p != p.Masked():
		return netip.Prefix{}, &ParseError{Key: key, Err: fmt.Errorf("%q has host bits set (the network is %s)", s, p.Masked())}
	}
	if e.Service == "" {
		return netip.Prefix{}, &ParseError{Key: "service", Err: errMissing}
	}
	if e.Region == "" {
		return netip.Prefix{}, &ParseError{Key: "region", Err: errMissing}
	}
	return p, nil
}
