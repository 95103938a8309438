package flowgen

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"time"

	"github.com/flowhec/flowhec/flowlog"
)

// Config says what to generate. DefaultConfig gives a day of a small VPC's
// traffic with both stories planted; change fields of it rather than
// building a Config from nothing (a zero ZombieConfig, for example, turns
// the story off).
type Config struct {
	// Seed fixes every random choice: the same Config writes the same bytes.
	Seed uint64
	// Start is the beginning of the span, on a whole minute; Duration its
	// length, a whole number of minutes.
	Start    time.Time
	Duration time.Duration
	// Rate is the average number of records per second over the span, all
	// streams together; the background traffic is scaled to reach it. The
	// stories and look-alikes have fixed schedules, so a Rate too low for
	// them (and for RejectShare) yields more records than asked for.
	Rate float64
	// Format is the field list of the lines written; nil means
	// flowlog.DefaultFormat(). Every known field of every version is filled.
	Format *flowlog.Format

	// AccountID, Region and VPCCIDR place the simulated VPC. The VPC is
	// cut into 16 subnets (3 public, 3 private and, if the zombie address
	// falls in none of those, the one holding it); its prefix length must
	// be 16 to 22.
	AccountID string
	Region    string
	VPCCIDR   netip.Prefix
	// FlowLogID names the flow log in S3 object keys (fl-…).
	FlowLogID string

	// RejectShare is the share of all records that are REJECTed (the
	// zombie story included); internet scanners make up the difference.
	RejectShare float64
	// NoDataChance is the chance that an interface with no traffic in an
	// aggregation window gets a NODATA record for it; SkipDataChance the
	// chance, per window, that one busy interface gets a SKIPDATA record.
	NoDataChance   float64
	SkipDataChance float64

	// S3Prefixes and DynamoDBPrefixes are the public ranges of the two
	// services that the VPC's gateway endpoints reach (us-east-1 ranges by
	// default; set the region's own from ip-ranges.json elsewhere).
	S3Prefixes       []netip.Prefix
	DynamoDBPrefixes []netip.Prefix

	Zombie      ZombieConfig
	Memcached   MemcachedConfig
	HealthCheck HealthCheckConfig
	Backup      BackupConfig

	// ObjectInterval is the span of data in one S3 object (AWS: 5
	// minutes); ObjectRecords, when positive, also closes an object once it
	// holds that many records. GzipLevel is a compress/gzip level.
	ObjectInterval time.Duration
	ObjectRecords  int
	GzipLevel      int
}

// ZombieConfig is the zombie-connection story: Sources external hosts that
// still have a recycled address hard-coded, each trying it MinPerHour to
// MaxPerHour times in every clock hour, every try REJECTed.
type ZombieConfig struct {
	Enabled    bool
	Target     netip.AddrPort // the recycled address, now held by clarity-collector
	Sources    int
	MinPerHour int
	MaxPerHour int
}

// MemcachedConfig is the memcached amplification story: an external host
// seeds a key on cache-01 over UDP 11211 (Set*), then asks for it with a
// small request that is answered with a large reply (Get*). The numbers are
// the exact packets and bytes of the four records.
type MemcachedConfig struct {
	Enabled bool
	// At is when the set is sent; zero means Duration/8 after Start, at
	// most 3 hours in. GetAfter is the time from set to get.
	At       time.Time
	GetAfter time.Duration

	SetPackets, SetBytes           uint64
	SetReplyPackets, SetReplyBytes uint64
	GetPackets, GetBytes           uint64
	GetReplyPackets, GetReplyBytes uint64
}

// HealthCheckConfig is the application load balancer's health checking:
// every ALB node checks every web target every Interval (AWS: 5–300 s).
type HealthCheckConfig struct {
	Enabled  bool
	Interval time.Duration
}

// BackupConfig is the periodic backup job: backup-01 uploads to S3 through
// the gateway endpoint every Every, starting Offset after each multiple of
// Every (clock time), for Length, over Streams parallel connections.
type BackupConfig struct {
	Enabled bool
	Every   time.Duration
	Offset  time.Duration
	Length  time.Duration
	Streams int
}

// DefaultConfig returns the configuration of the sample data: one day from
// 2026-11-01T00:00:00Z of account 123456789012's VPC 172.31.0.0/16 in
// us-east-1, 50 records a second on average, both stories planted.
func DefaultConfig() Config {
	return Config{
		Seed:     1,
		Start:    time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Duration: 24 * time.Hour,
		Rate:     50,
		Format:   flowlog.DefaultFormat(),

		AccountID: "123456789012",
		Region:    "us-east-1",
		VPCCIDR:   netip.MustParsePrefix("172.31.0.0/16"),
		FlowLogID: "fl-0c7f3a9e21b4d5a68",

		RejectShare:    0.02,
		NoDataChance:   0.05,
		SkipDataChance: 0.002,

		S3Prefixes:       []netip.Prefix{netip.MustParsePrefix("52.216.0.0/15")},
		DynamoDBPrefixes: []netip.Prefix{netip.MustParsePrefix("3.218.180.0/22")},

		Zombie: ZombieConfig{
			Enabled:    true,
			Target:     netip.MustParseAddrPort("172.31.1.67:80"),
			Sources:    16,
			MinPerHour: 180,
			MaxPerHour: 184,
		},
		Memcached: MemcachedConfig{
			Enabled:         true,
			GetAfter:        2 * time.Minute,
			SetPackets:      3422,
			SetBytes:        5072550,
			SetReplyPackets: 137,
			SetReplyBytes:   498437,
			GetPackets:      1,
			GetBytes:        50,
			GetReplyPackets: 36,
			GetReplyBytes:   51327,
		},
		HealthCheck: HealthCheckConfig{Enabled: true, Interval: 30 * time.Second},
		Backup: BackupConfig{
			Enabled: true,
			Every:   6 * time.Hour,
			Offset:  90 * time.Minute,
			Length:  10 * time.Minute,
			Streams: 4,
		},

		ObjectInterval: 5 * time.Minute,
		GzipLevel:      6,
	}
}

var (
	accountRE   = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[0-9]{1,2}$`)
	flowLogIDRE = regexp.MustCompile(`^fl-[0-9a-f]{8,17}$`)
)

// Validate reports every problem with c at once, each naming the field and
// what to do about it.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("flowgen: "+format, args...)) }

	if c.Start.IsZero() {
		bad("Start is not set; give the beginning of the span")
	} else if !c.Start.Truncate(time.Minute).Equal(c.Start) {
		bad("Start %s is not on a whole minute; drop its seconds", c.Start.Format(time.RFC3339Nano))
	}
	switch {
	case c.Duration < time.Minute:
		bad("Duration %v is shorter than a minute, the aggregation window", c.Duration)
	case c.Duration%time.Minute != 0:
		bad("Duration %v is not a whole number of minutes", c.Duration)
	case c.Duration > 366*24*time.Hour:
		bad("Duration %v is longer than a year; generate in pieces", c.Duration)
	}
	if !(c.Rate >= 0) || math.IsInf(c.Rate, 0) {
		bad("Rate %v must be a non-negative number of records per second", c.Rate)
	}
	if !accountRE.MatchString(c.AccountID) {
		bad("AccountID %q must be 12 digits", c.AccountID)
	}
	if !regionRE.MatchString(c.Region) {
		bad("Region %q is not an AWS region name such as us-east-1", c.Region)
	}
	if !flowLogIDRE.MatchString(c.FlowLogID) {
		bad("FlowLogID %q must look like fl-0123456789abcdef0", c.FlowLogID)
	}
	vpcOK := c.VPCCIDR.IsValid() && c.VPCCIDR.Addr().Is4() && c.VPCCIDR.Bits() >= 16 && c.VPCCIDR.Bits() <= 22 && c.VPCCIDR.Masked() == c.VPCCIDR
	if !vpcOK {
		bad("VPCCIDR %v must be an IPv4 network address with a prefix length of 16 to 22, such as 172.31.0.0/16", c.VPCCIDR)
	}
	if !(c.RejectShare >= 0 && c.RejectShare < 0.5) {
		bad("RejectShare %v must be at least 0 and below 0.5", c.RejectShare)
	}
	if !(c.NoDataChance >= 0 && c.NoDataChance <= 1) {
		bad("NoDataChance %v must be between 0 and 1", c.NoDataChance)
	}
	if !(c.SkipDataChance >= 0 && c.SkipDataChance <= 1) {
		bad("SkipDataChance %v must be between 0 and 1", c.SkipDataChance)
	}
	for name, ps := range map[string][]netip.Prefix{"S3Prefixes": c.S3Prefixes, "DynamoDBPrefixes": c.DynamoDBPrefixes} {
		if len(ps) == 0 {
			bad("%s is empty; give at least one public range of the service", name)
		}
		for _, p := range ps {
			if !p.IsValid() || !p.Addr().Is4() || p.Bits() > 28 || p.Addr().IsPrivate() {
				bad("%s: %v must be a public IPv4 prefix no longer than /28", name, p)
			}
		}
	}

	if z := &c.Zombie; z.Enabled {
		switch a := z.Target.Addr(); {
		case !z.Target.IsValid() || !a.Is4() || z.Target.Port() == 0:
			bad("Zombie.Target %v must be an IPv4 address and a port, such as 172.31.1.67:80", z.Target)
		case vpcOK && !c.VPCCIDR.Contains(a):
			bad("Zombie.Target %v is outside VPCCIDR %v; pick an address inside the VPC", z.Target, c.VPCCIDR)
		case vpcOK && reservedInSubnet(subnetOf(c.VPCCIDR, a), a):
			bad("Zombie.Target %v is one of the five addresses AWS reserves in its subnet %v", a, subnetOf(c.VPCCIDR, a))
		}
		if z.Sources < 1 || z.Sources > 250 {
			bad("Zombie.Sources %d must be 1 to 250", z.Sources)
		}
		if z.MinPerHour < 1 || z.MaxPerHour < z.MinPerHour || z.MaxPerHour > 3600 {
			bad("Zombie.MinPerHour %d and MaxPerHour %d must satisfy 1 <= min <= max <= 3600", z.MinPerHour, z.MaxPerHour)
		}
	}

	if m := &c.Memcached; m.Enabled {
		at := c.memcachedAt()
		end := c.Start.Add(c.Duration)
		if at.Before(c.Start) || !at.Add(m.GetAfter).Before(end) {
			bad("Memcached.At %s and GetAfter %v must both fall inside the span %s to %s; move them or lengthen Duration",
				at.Format(time.RFC3339), m.GetAfter, c.Start.Format(time.RFC3339), end.Format(time.RFC3339))
		}
		if m.GetAfter < time.Minute {
			bad("Memcached.GetAfter %v must be at least a minute, so that set and get are separate records", m.GetAfter)
		}
		for _, v := range []struct {
			name          string
			packets, size uint64
		}{
			{"Set", m.SetPackets, m.SetBytes}, {"SetReply", m.SetReplyPackets, m.SetReplyBytes},
			{"Get", m.GetPackets, m.GetBytes}, {"GetReply", m.GetReplyPackets, m.GetReplyBytes},
		} {
			// An IPv4 UDP packet is at least 28 bytes; at most 64 KiB.
			if v.packets == 0 || v.size < 28*v.packets || v.size > 65535*v.packets {
				bad("Memcached.%sPackets %d and %sBytes %d: need at least one packet of 28 to 65535 bytes each", v.name, v.packets, v.name, v.size)
			}
		}
	}

	if h := &c.HealthCheck; h.Enabled && (h.Interval < 5*time.Second || h.Interval > 300*time.Second || h.Interval%time.Second != 0) {
		bad("HealthCheck.Interval %v must be whole seconds from 5s to 300s, as on an ALB target group", h.Interval)
	}
	if b := &c.Backup; b.Enabled {
		if b.Every < 10*time.Minute || b.Every%time.Minute != 0 {
			bad("Backup.Every %v must be whole minutes, at least 10m", b.Every)
		}
		if b.Offset < 0 || b.Offset >= b.Every || b.Offset%time.Minute != 0 {
			bad("Backup.Offset %v must be whole minutes from 0 to below Backup.Every %v", b.Offset, b.Every)
		}
		if b.Length < time.Minute || b.Length >= b.Every || b.Length%time.Minute != 0 {
			bad("Backup.Length %v must be whole minutes, at least 1m and below Backup.Every %v", b.Length, b.Every)
		}
		if b.Streams < 1 || b.Streams > 64 {
			bad("Backup.Streams %d must be 1 to 64", b.Streams)
		}
	}

	if c.ObjectInterval < time.Minute || c.ObjectInterval > time.Hour || c.ObjectInterval%time.Minute != 0 || time.Hour%c.ObjectInterval != 0 {
		bad("ObjectInterval %v must be whole minutes dividing an hour (AWS writes every 5m)", c.ObjectInterval)
	}
	if c.ObjectRecords < 0 {
		bad("ObjectRecords %d must not be negative (0 means no limit)", c.ObjectRecords)
	}
	if c.GzipLevel < -1 || c.GzipLevel > 9 {
		bad("GzipLevel %d must be -1 (default) to 9", c.GzipLevel)
	}
	return errors.Join(errs...)
}

func (c *Config) format() *flowlog.Format {
	if c.Format == nil {
		return flowlog.DefaultFormat()
	}
	return c.Format
}

func (c *Config) end() time.Time { return c.Start.Add(c.Duration) }

// memcachedAt is when the set is sent: Memcached.At, or by default an
// eighth of the span in, at most three hours, on a whole minute.
func (c *Config) memcachedAt() time.Time {
	if !c.Memcached.At.IsZero() {
		return c.Memcached.At
	}
	off := min(c.Duration/8, 3*time.Hour).Truncate(time.Minute)
	return c.Start.Add(off)
}
