package flowgen_test

import (
	"errors"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/flowhec/flowhec/flowgen"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *flowgen.Config)
		want   []string // substrings of the error; none means valid
	}{
		{"default", func(c *flowgen.Config) {}, nil},
		{"one minute", func(c *flowgen.Config) {
			c.Duration = time.Minute
			c.Memcached.Enabled = false
		}, nil},
		{"start with seconds", func(c *flowgen.Config) { c.Start = c.Start.Add(30 * time.Second) }, []string{"Start", "whole minute"}},
		{"no start", func(c *flowgen.Config) { c.Start = time.Time{} }, []string{"Start is not set"}},
		{"duration too short", func(c *flowgen.Config) { c.Duration = 30 * time.Second }, []string{"Duration 30s"}},
		{"duration not whole minutes", func(c *flowgen.Config) { c.Duration = 90 * time.Second }, []string{"Duration 1m30s", "whole number of minutes"}},
		{"negative rate", func(c *flowgen.Config) { c.Rate = -1 }, []string{"Rate -1"}},
		{"NaN rate", func(c *flowgen.Config) { c.Rate = math.NaN() }, []string{"Rate NaN"}},
		{"short account", func(c *flowgen.Config) { c.AccountID = "12345" }, []string{`AccountID "12345"`, "12 digits"}},
		{"bad region", func(c *flowgen.Config) { c.Region = "mars-1" }, []string{`Region "mars-1"`}},
		{"gov region", func(c *flowgen.Config) { c.Region = "us-gov-west-1" }, nil},
		{"bad flow log id", func(c *flowgen.Config) { c.FlowLogID = "flowlog" }, []string{"FlowLogID"}},
		{"VPC too big", func(c *flowgen.Config) { c.VPCCIDR = netip.MustParsePrefix("10.0.0.0/8") }, []string{"VPCCIDR 10.0.0.0/8"}},
		{"VPC not masked", func(c *flowgen.Config) { c.VPCCIDR = netip.MustParsePrefix("172.31.0.1/16") }, []string{"VPCCIDR"}},
		{"zombie outside VPC", func(c *flowgen.Config) { c.Zombie.Target = netip.MustParseAddrPort("10.1.2.3:80") }, []string{"Zombie.Target 10.1.2.3:80", "outside VPCCIDR"}},
		{"zombie on reserved address", func(c *flowgen.Config) { c.Zombie.Target = netip.MustParseAddrPort("172.31.16.2:80") }, []string{"reserves"}},
		{"zombie without port", func(c *flowgen.Config) { c.Zombie.Target = netip.AddrPortFrom(netip.MustParseAddr("172.31.1.67"), 0) }, []string{"Zombie.Target"}},
		{"zombie disabled ignores target", func(c *flowgen.Config) {
			c.Zombie.Enabled = false
			c.Zombie.Target = netip.AddrPort{}
		}, nil},
		{"zombie min above max", func(c *flowgen.Config) { c.Zombie.MinPerHour = 200 }, []string{"Zombie.MinPerHour 200"}},
		{"memcached after span", func(c *flowgen.Config) { c.Memcached.At = c.Start.Add(24 * time.Hour) }, []string{"Memcached.At"}},
		{"memcached get too soon", func(c *flowgen.Config) { c.Memcached.GetAfter = time.Second }, []string{"Memcached.GetAfter"}},
		{"memcached impossible packets", func(c *flowgen.Config) { c.Memcached.GetBytes = 10 }, []string{"Memcached.GetPackets 1 and GetBytes 10"}},
		{"health check too often", func(c *flowgen.Config) { c.HealthCheck.Interval = 2 * time.Second }, []string{"HealthCheck.Interval 2s"}},
		{"backup offset too late", func(c *flowgen.Config) { c.Backup.Offset = 7 * time.Hour }, []string{"Backup.Offset 7h0m0s"}},
		{"object interval", func(c *flowgen.Config) { c.ObjectInterval = 7 * time.Minute }, []string{"ObjectInterval 7m0s"}},
		{"gzip level", func(c *flowgen.Config) { c.GzipLevel = 12 }, []string{"GzipLevel 12"}},
		{"no S3 ranges", func(c *flowgen.Config) { c.S3Prefixes = nil }, []string{"S3Prefixes is empty"}},
		{"private DynamoDB range", func(c *flowgen.Config) {
			c.DynamoDBPrefixes = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}
		}, []string{"DynamoDBPrefixes: 10.0.0.0/16"}},
		{"every problem at once", func(c *flowgen.Config) {
			c.AccountID = "x"
			c.Region = "y"
			c.Rate = -2
		}, []string{"AccountID", "Region", "Rate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := flowgen.DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error with %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v\nwant it to contain %q", err, w)
				}
			}
			if _, nerr := flowgen.New(c); nerr == nil {
				t.Error("New accepted a config that Validate rejects")
			}
		})
	}
}

func TestValidateJoinsEveryProblem(t *testing.T) {
	c := flowgen.DefaultConfig()
	c.AccountID, c.Region, c.Rate = "x", "y", -2
	err := c.Validate()
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 3 {
		t.Fatalf("Validate() = %v, want 3 joined errors", err)
	}
}
