package awsinv

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Config is the `enrich.aws` section of the configuration: where to read
// the inventory from, how often, and how gently. Start from DefaultConfig;
// only Regions has no default.
type Config struct {
	// Regions are the regions whose VPCs send flow logs.
	Regions []string `yaml:"regions"`
	// RoleARNs are IAM roles to assume, one per account to read
	// (arn:aws:iam::ACCOUNT:role/NAME). Empty: read the account of the
	// default credentials (environment, shared files, instance or task
	// role), which need the ec2:Describe* permissions themselves.
	RoleARNs []string `yaml:"role_arns"`
	// ExternalID is sent with every AssumeRole, for roles whose trust
	// policy requires sts:ExternalId.
	ExternalID string `yaml:"external_id"`
	// SessionName names the role sessions (CloudTrail shows it).
	SessionName string `yaml:"session_name"`
	// RefreshInterval is the time from the end of one full load to the
	// start of the next.
	RefreshInterval time.Duration `yaml:"refresh_interval"`
	// CallTimeout bounds one API call (one page), its retries included.
	CallTimeout time.Duration `yaml:"call_timeout"`
	// Concurrency is how many account-and-region loads run at once.
	Concurrency int `yaml:"concurrency"`
	// PageSize is the MaxResults of each Describe call (5 to 1000; route
	// tables are read 100 at a time at most).
	PageSize int `yaml:"page_size"`
	// Retry is the SDK's retry of throttled and failed calls.
	Retry RetryConfig `yaml:"retry"`
	// Lookup is the on-demand lookup of addresses the inventory lacks.
	Lookup LookupConfig `yaml:"lookup"`
	// Endpoints override the AWS endpoints: VPC interface endpoints, or a
	// test server.
	Endpoints EndpointsConfig `yaml:"endpoints"`
}

// RetryConfig is how the SDK retries a call: throttled calls
// (RequestLimitExceeded) and server and connection errors are retried
// with jittered exponential backoff, at most MaxAttempts attempts in all,
// each wait at most MaxBackoff.
type RetryConfig struct {
	MaxAttempts int           `yaml:"max_attempts"`
	MaxBackoff  time.Duration `yaml:"max_backoff"`
}

// LookupConfig bounds the Resolver, which asks EC2 about private
// addresses the inventory lacks.
type LookupConfig struct {
	Enabled bool `yaml:"enabled"`
	// Rate is the number of EC2 calls per second the lookups may make, in
	// all accounts and regions together; Burst how many may go at once.
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
	// NegativeTTL is how long an answered address is not asked about
	// again: one EC2 did not know, or one it did (which the index has at
	// its next swap).
	NegativeTTL time.Duration `yaml:"negative_ttl"`
	// Queue is how many addresses may wait for a lookup; more are dropped
	// (and asked again at the next miss).
	Queue int `yaml:"queue"`
	// Batch is how many addresses one call asks about (a filter's values).
	Batch int `yaml:"batch"`
}

// EndpointsConfig overrides service endpoints. "{region}" in a URL is
// replaced by the region of the call, so one setting serves every region
// (https://ec2.{region}.amazonaws.com, or a VPC endpoint's DNS name).
type EndpointsConfig struct {
	EC2 string `yaml:"ec2"`
	STS string `yaml:"sts"`
}

// DefaultConfig returns the defaults: refresh every 5 minutes, calls of at
// most 2 minutes, 4 loads at once, pages of 1000, 10 attempts with waits
// of at most 20 s, and lookups at 2 calls a second (burst 5) that remember
// an answer for 5 minutes.
func DefaultConfig() Config {
	return Config{
		SessionName:     "flowhec",
		RefreshInterval: 5 * time.Minute,
		CallTimeout:     2 * time.Minute,
		Concurrency:     4,
		PageSize:        1000,
		Retry:           RetryConfig{MaxAttempts: 10, MaxBackoff: 20 * time.Second},
		Lookup: LookupConfig{
			Enabled:     true,
			Rate:        2,
			Burst:       5,
			NegativeTTL: 5 * time.Minute,
			Queue:       4096,
			Batch:       100,
		},
	}
}

// keyPrefix is where the section sits in the configuration file.
const keyPrefix = "enrich.aws."

var (
	// regionName matches AWS region names: us-east-1, eu-central-2,
	// us-gov-west-1, cn-northwest-1, ap-southeast-5.
	regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
	// roleARN matches an IAM role's ARN and captures its account.
	roleARN     = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/([\w+=,.@/-]+)$`)
	sessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalID  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// Validate reports every bad setting at once, each naming its key under
// enrich.aws and what to write instead.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s%s: %s", keyPrefix, key, fmt.Sprintf(format, args...)))
	}
	if len(c.Regions) == 0 {
		bad("regions", "none; list the regions whose VPCs send flow logs, e.g. [us-east-1]")
	}
	seen := map[string]bool{}
	for i, r := range c.Regions {
		switch {
		case !regionName.MatchString(r):
			bad(fmt.Sprintf("regions[%d]", i), "%q is not a region name such as us-east-1", r)
		case seen[r]:
			bad(fmt.Sprintf("regions[%d]", i), "%s is listed twice", r)
		}
		seen[r] = true
	}
	seen = map[string]bool{}
	for i, a := range c.RoleARNs {
		switch {
		case !roleARN.MatchString(a):
			bad(fmt.Sprintf("role_arns[%d]", i), "%q is not an IAM role ARN such as arn:aws:iam::123456789012:role/flowhec-reader", a)
		case seen[a]:
			bad(fmt.Sprintf("role_arns[%d]", i), "%s is listed twice", a)
		}
		seen[a] = true
	}
	if c.ExternalID != "" && (len(c.ExternalID) < 2 || len(c.ExternalID) > 1224 || !externalID.MatchString(c.ExternalID)) {
		bad("external_id", "want 2 to 1224 characters of letters, digits and +=,.@:/-")
	}
	if c.ExternalID != "" && len(c.RoleARNs) == 0 {
		bad("external_id", "set, but no role_arns to assume; remove it or add the roles")
	}
	if !sessionName.MatchString(c.SessionName) {
		bad("session_name", "%q: want 2 to 64 characters of letters, digits and +=,.@-", c.SessionName)
	}
	if c.RefreshInterval <= 0 {
		bad("refresh_interval", "%v: want a positive duration such as 5m", c.RefreshInterval)
	}
	if c.CallTimeout <= 0 {
		bad("call_timeout", "%v: want a positive duration such as 2m", c.CallTimeout)
	}
	if c.Concurrency < 1 || c.Concurrency > 64 {
		bad("concurrency", "%d: want 1 to 64", c.Concurrency)
	}
	if c.PageSize < 5 || c.PageSize > 1000 {
		bad("page_size", "%d: want 5 to 1000 (EC2's limits for MaxResults)", c.PageSize)
	}
	if c.Retry.MaxAttempts < 1 || c.Retry.MaxAttempts > 50 {
		bad("retry.max_attempts", "%d: want 1 (no retry) to 50", c.Retry.MaxAttempts)
	}
	if c.Retry.MaxBackoff <= 0 {
		bad("retry.max_backoff", "%v: want a positive duration such as 20s", c.Retry.MaxBackoff)
	}
	if c.Retry.MaxBackoff >= c.CallTimeout && c.CallTimeout > 0 {
		bad("retry.max_backoff", "%v is not shorter than call_timeout %v: a call would time out waiting to retry", c.Retry.MaxBackoff, c.CallTimeout)
	}
	if c.Lookup.Enabled {
		if c.Lookup.Rate <= 0 {
			bad("lookup.rate", "%v: want EC2 calls per second above 0, e.g. 2 (or lookup.enabled: false)", c.Lookup.Rate)
		}
		if c.Lookup.Burst < 1 {
			bad("lookup.burst", "%d: want 1 or more", c.Lookup.Burst)
		}
		if c.Lookup.NegativeTTL <= 0 {
			bad("lookup.negative_ttl", "%v: want a positive duration such as 5m", c.Lookup.NegativeTTL)
		}
		if c.Lookup.Queue < 1 {
			bad("lookup.queue", "%d: want 1 or more", c.Lookup.Queue)
		}
		if c.Lookup.Batch < 1 || c.Lookup.Batch > 200 {
			bad("lookup.batch", "%d: want 1 to 200 (EC2's limit of values in one filter)", c.Lookup.Batch)
		}
	}
	for _, e := range []struct{ key, u string }{{"endpoints.ec2", c.Endpoints.EC2}, {"endpoints.sts", c.Endpoints.STS}} {
		key, u := e.key, e.u
		if u == "" {
			continue
		}
		p, err := url.Parse(strings.ReplaceAll(u, "{region}", "us-east-1"))
		switch {
		case err != nil:
			bad(key, "%q is not a URL: %v", u, err)
		case p.Scheme != "https" && p.Scheme != "http":
			bad(key, "%q: want an https URL such as https://ec2.{region}.amazonaws.com", u)
		case p.Host == "":
			bad(key, "%q has no host", u)
		}
	}
	return errors.Join(errs...)
}

// endpoint returns the URL u for region, or "" when u is not set.
func endpoint(u, region string) string {
	return strings.ReplaceAll(u, "{region}", region)
}

// roleAccount returns the account of a role ARN, or "".
func roleAccount(arn string) string {
	if m := roleARN.FindStringSubmatch(arn); m != nil {
		return m[2]
	}
	return ""
}
