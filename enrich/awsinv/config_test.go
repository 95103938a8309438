package awsinv_test

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/flowhec/flowhec/enrich/awsinv"
)

func TestValidate(t *testing.T) {
	valid := func() awsinv.Config {
		c := awsinv.DefaultConfig()
		c.Regions = []string{"us-east-1", "us-gov-west-1", "cn-northwest-1"}
		return c
	}
	if err := valid().Validate(); err != nil {
		t.Fatalf("valid configuration: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*awsinv.Config)
		want []string // each a substring of the error
	}{
		{"no regions", func(c *awsinv.Config) { c.Regions = nil }, []string{"enrich.aws.regions: none"}},
		{"bad region", func(c *awsinv.Config) { c.Regions = []string{"us-east-1", "US East"} }, []string{"enrich.aws.regions[1]: \"US East\""}},
		{"region twice", func(c *awsinv.Config) { c.Regions = []string{"eu-west-1", "eu-west-1"} }, []string{"enrich.aws.regions[1]: eu-west-1 is listed twice"}},
		{"bad role", func(c *awsinv.Config) { c.RoleARNs = []string{"arn:aws:iam::12345:role/x"} }, []string{"enrich.aws.role_arns[0]:", "IAM role ARN"}},
		{"user, not role", func(c *awsinv.Config) { c.RoleARNs = []string{"arn:aws:iam::123456789012:user/x"} }, []string{"enrich.aws.role_arns[0]:"}},
		{"external id without roles", func(c *awsinv.Config) { c.ExternalID = "abc" }, []string{"enrich.aws.external_id: set, but no role_arns"}},
		{"bad external id", func(c *awsinv.Config) {
			c.RoleARNs = []string{"arn:aws:iam::123456789012:role/r"}
			c.ExternalID = "a b"
		}, []string{"enrich.aws.external_id: want"}},
		{"session name", func(c *awsinv.Config) { c.SessionName = "x" }, []string{"enrich.aws.session_name:"}},
		{"durations", func(c *awsinv.Config) { c.RefreshInterval, c.CallTimeout = 0, -time.Second }, []string{"enrich.aws.refresh_interval:", "enrich.aws.call_timeout:"}},
		{"concurrency", func(c *awsinv.Config) { c.Concurrency = 0 }, []string{"enrich.aws.concurrency: 0"}},
		{"page size", func(c *awsinv.Config) { c.PageSize = 2000 }, []string{"enrich.aws.page_size: 2000"}},
		{"retry", func(c *awsinv.Config) { c.Retry.MaxAttempts, c.Retry.MaxBackoff = 0, 5*time.Minute }, []string{
			"enrich.aws.retry.max_attempts: 0", "enrich.aws.retry.max_backoff: 5m0s is not shorter than call_timeout"}},
		{"lookup", func(c *awsinv.Config) {
			c.Lookup.Rate, c.Lookup.Burst, c.Lookup.NegativeTTL, c.Lookup.Queue, c.Lookup.Batch = 0, 0, 0, 0, 500
		}, []string{"enrich.aws.lookup.rate:", "enrich.aws.lookup.burst:", "enrich.aws.lookup.negative_ttl:", "enrich.aws.lookup.queue:", "enrich.aws.lookup.batch: 500"}},
		{"lookup off", func(c *awsinv.Config) { c.Lookup = awsinv.LookupConfig{} }, nil},
		{"endpoints", func(c *awsinv.Config) { c.Endpoints.EC2, c.Endpoints.STS = "ftp://x", "https://" }, []string{
			"enrich.aws.endpoints.ec2: \"ftp://x\"", "enrich.aws.endpoints.sts: \"https://\" has no host"}},
		{"endpoint with region", func(c *awsinv.Config) { c.Endpoints.EC2 = "https://ec2.{region}.amazonaws.com" }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.edit(&c)
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestConfigYAML: the section reads from YAML over the defaults, with
// durations written as Go durations, and unknown keys refused.
func TestConfigYAML(t *testing.T) {
	const doc = `
regions: [us-east-1, eu-west-1]
role_arns:
  - arn:aws:iam::111111111111:role/flowhec-reader
  - arn:aws:iam::222222222222:role/flowhec-reader
external_id: org-flowhec
refresh_interval: 10m
lookup:
  rate: 0.5
  negative_ttl: 15m
endpoints:
  ec2: https://vpce-0abc.ec2.{region}.vpce.amazonaws.com
`
	c := awsinv.DefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.RefreshInterval != 10*time.Minute || c.Lookup.NegativeTTL != 15*time.Minute || c.Lookup.Rate != 0.5 ||
		c.Lookup.Burst != 5 || len(c.RoleARNs) != 2 || c.CallTimeout != 2*time.Minute || c.SessionName != "flowhec" {
		t.Fatalf("config %+v", c)
	}
	dec = yaml.NewDecoder(strings.NewReader("regions: [us-east-1]\nrole_arn: x\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err == nil || !strings.Contains(err.Error(), "role_arn") {
		t.Fatalf("unknown key: %v", err)
	}
}
