package inventory

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Config is how an Index names owners and how long a History remembers.
// Start from DefaultConfig.
type Config struct {
	// ServiceTags are the tag keys whose first non-empty value is an
	// address's service (Owner.Service), looked up on the instance and
	// then on the interface.
	ServiceTags []string `yaml:"service_tags" json:"service_tags"`
	// Names names addresses that no interface holds — a VPN's client
	// range, an on-premises network, a peered VPC the inventory does not
	// cover — by prefix; the longest prefix that contains an address wins.
	// An address an interface holds is named by the interface, never by
	// a prefix.
	Names   []CIDRName    `yaml:"cidr_names" json:"cidr_names"`
	History HistoryConfig `yaml:"history" json:"history"`
}

// CIDRName names the addresses of one prefix ("10.9.0.0/16" → "corp-vpn").
type CIDRName struct {
	CIDR netip.Prefix `yaml:"cidr" json:"cidr"`
	Name string       `yaml:"name" json:"name"`
}

// HistoryConfig bounds a History: it forgets an interval that ended more
// than MaxAge before the latest observation, and keeps at most
// MaxIntervals intervals for one address (the newest). The interval of the
// interface that holds an address now is always kept.
type HistoryConfig struct {
	MaxAge       time.Duration `yaml:"max_age" json:"max_age"`
	MaxIntervals int           `yaml:"max_intervals" json:"max_intervals"`
}

// DefaultServiceTags are the tag keys a service name is read from unless
// configured: the common conventions, then the CloudFormation stack.
var DefaultServiceTags = []string{"service", "app", "Service", "aws:cloudformation:stack-name"}

// DefaultConfig returns the default configuration: DefaultServiceTags, no
// prefix names, and a history of 30 days and 16 intervals per address.
func DefaultConfig() Config {
	return Config{
		ServiceTags: slices.Clone(DefaultServiceTags),
		History:     DefaultHistoryConfig(),
	}
}

// DefaultHistoryConfig is 30 days and 16 intervals per address: long
// enough to name who held an address for any record S3 or a stalled queue
// can still deliver, and to show a month of hand-overs.
func DefaultHistoryConfig() HistoryConfig {
	return HistoryConfig{MaxAge: 30 * 24 * time.Hour, MaxIntervals: 16}
}

// Validate reports every problem of the configuration, each naming its
// YAML key.
func (c Config) Validate() error {
	var errs []error
	for i, k := range c.ServiceTags {
		if k == "" {
			errs = append(errs, fmt.Errorf("service_tags[%d]: empty tag key; remove it", i))
		}
	}
	seen := map[netip.Prefix]int{}
	for i, n := range c.Names {
		p := n.CIDR
		switch {
		case !p.IsValid():
			errs = append(errs, fmt.Errorf("cidr_names[%d].cidr: missing or invalid; want a prefix such as 10.9.0.0/16", i))
			continue
		case p.Addr().Is4In6():
			errs = append(errs, fmt.Errorf("cidr_names[%d].cidr: %v is an IPv4-mapped IPv6 prefix; write it as IPv4", i, p))
		case p != p.Masked():
			errs = append(errs, fmt.Errorf("cidr_names[%d].cidr: %v has bits set past /%d; did you mean %v?", i, p, p.Bits(), p.Masked()))
		}
		if n.Name == "" {
			errs = append(errs, fmt.Errorf("cidr_names[%d].name: empty; name the addresses of %v", i, p))
		}
		if j, dup := seen[p]; dup {
			errs = append(errs, fmt.Errorf("cidr_names[%d].cidr: %v is named already by cidr_names[%d]; keep one", i, p, j))
		}
		seen[p] = i
	}
	if err := c.History.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Validate reports every problem of the history bounds, each naming its
// YAML key under history.
func (c HistoryConfig) Validate() error {
	var errs []error
	if c.MaxAge <= 0 {
		errs = append(errs, fmt.Errorf("history.max_age: %v; want a positive duration such as 720h", c.MaxAge))
	}
	if c.MaxIntervals < 1 {
		errs = append(errs, fmt.Errorf("history.max_intervals: %d; want at least 1", c.MaxIntervals))
	}
	return errors.Join(errs...)
}
