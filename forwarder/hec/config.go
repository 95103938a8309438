package hec

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config is everything the HEC sink needs. The YAML keys are given in the
// tags; Validate names them in its errors.
type Config struct {
	// URLs are the HEC base URLs (https://splunk:8088); the paths
	// /services/collector/… are added. Several are used round-robin, with
	// health checks.
	URLs []string `yaml:"urls"`
	// Token, TokenEnv or TokenFile gives the HEC token; exactly one is set.
	Token     Secret `yaml:"token"`
	TokenEnv  string `yaml:"token_env"`
	TokenFile string `yaml:"token_file"`

	BatchBytes  int           `yaml:"batch_bytes"`  // uncompressed size a batch is sealed at
	BatchAge    time.Duration `yaml:"batch_age"`    // a batch older than this is sealed
	Concurrency int           `yaml:"concurrency"`  // concurrent senders
	GzipLevel   int           `yaml:"gzip_level"`   // 1 (fastest) … 9; 0 sends uncompressed
	Timeout     time.Duration `yaml:"timeout"`      // one HTTP request
	DeadLetter  string        `yaml:"dead_letter"`  // directory for events HEC rejects
	HealthCheck time.Duration `yaml:"health_check"` // probe interval of an unhealthy endpoint

	Retry RetryConfig `yaml:"retry"`
	Ack   AckConfig   `yaml:"ack"`
	TLS   TLSConfig   `yaml:"tls"`
}

// RetryConfig is the backoff of retryable failures.
type RetryConfig struct {
	InitialInterval time.Duration `yaml:"initial_interval"`
	MaxInterval     time.Duration `yaml:"max_interval"`
	// ConfigErrorInterval is how often a request is tried again while HEC
	// rejects the configuration (bad token, bad index): slowly, so that
	// the forwarder recovers on its own once an admin fixes it.
	ConfigErrorInterval time.Duration `yaml:"config_error_interval"`
}

// AckConfig is indexer acknowledgement.
type AckConfig struct {
	Enabled      bool          `yaml:"enabled"`
	PollInterval time.Duration `yaml:"poll_interval"`
	// Timeout is how long an ackId may stay false before its batch is sent
	// again (which can duplicate it; duplicates are counted).
	Timeout time.Duration `yaml:"timeout"`
}

// TLSConfig is the client side of TLS. Verification is on unless
// InsecureSkipVerify says otherwise.
type TLSConfig struct {
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// DefaultConfig returns the defaults: 1 MB batches (safe for Splunk Cloud),
// sealed after 1 s, 4 senders, gzip level 1, acks off.
func DefaultConfig() Config {
	return Config{
		BatchBytes:  1 << 20,
		BatchAge:    time.Second,
		Concurrency: 4,
		GzipLevel:   1,
		Timeout:     30 * time.Second,
		HealthCheck: 5 * time.Second,
		Retry: RetryConfig{
			InitialInterval:     250 * time.Millisecond,
			MaxInterval:         30 * time.Second,
			ConfigErrorInterval: 30 * time.Second,
		},
		Ack: AckConfig{PollInterval: time.Second, Timeout: 5 * time.Minute},
	}
}

// Validate reports every bad setting at once, naming its key (prefix is
// where the HEC section sits in the file, e.g. "hec.").
func (c Config) Validate(prefix string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	if len(c.URLs) == 0 {
		bad("urls", "no HEC URL; set one, e.g. https://splunk.example.com:8088")
	}
	for i, u := range c.URLs {
		p, err := url.Parse(u)
		switch {
		case err != nil:
			bad(fmt.Sprintf("urls[%d]", i), "%q is not a URL: %v", redactURL(u), err)
		case p.Scheme != "http" && p.Scheme != "https":
			bad(fmt.Sprintf("urls[%d]", i), "%q: scheme must be https (or http), e.g. https://splunk.example.com:8088", redactURL(u))
		case p.Host == "":
			bad(fmt.Sprintf("urls[%d]", i), "%q has no host", redactURL(u))
		case p.User != nil:
			bad(fmt.Sprintf("urls[%d]", i), "credentials in the URL are not used by HEC; give the token with token_file or token_env")
		}
	}
	n := 0
	for _, set := range []bool{c.Token != "", c.TokenEnv != "", c.TokenFile != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		bad("token", "set exactly one of token, token_env and token_file (found %d)", n)
	}
	if c.BatchBytes < 1<<10 || c.BatchBytes > 512<<20 {
		bad("batch_bytes", "%d: want 1 KiB to 512 MiB (Splunk Cloud accepts 1 MB requests)", c.BatchBytes)
	}
	if c.BatchAge <= 0 {
		bad("batch_age", "%v: want a positive duration such as 1s", c.BatchAge)
	}
	if c.Concurrency < 1 || c.Concurrency > 256 {
		bad("concurrency", "%d: want 1 to 256", c.Concurrency)
	}
	if c.GzipLevel < 0 || c.GzipLevel > 9 {
		bad("gzip_level", "%d: want 0 (off) to 9", c.GzipLevel)
	}
	if c.Timeout <= 0 {
		bad("timeout", "%v: want a positive duration", c.Timeout)
	}
	if c.HealthCheck <= 0 {
		bad("health_check", "%v: want a positive duration", c.HealthCheck)
	}
	if c.Retry.InitialInterval <= 0 || c.Retry.MaxInterval < c.Retry.InitialInterval {
		bad("retry", "initial_interval %v and max_interval %v: want 0 < initial <= max", c.Retry.InitialInterval, c.Retry.MaxInterval)
	}
	if c.Retry.ConfigErrorInterval <= 0 {
		bad("retry.config_error_interval", "%v: want a positive duration", c.Retry.ConfigErrorInterval)
	}
	if c.Ack.Enabled && (c.Ack.PollInterval <= 0 || c.Ack.Timeout <= c.Ack.PollInterval) {
		bad("ack", "poll_interval %v and timeout %v: want 0 < poll_interval < timeout", c.Ack.PollInterval, c.Ack.Timeout)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		bad("tls", "cert_file and key_file go together (client certificate for mTLS)")
	}
	return errors.Join(errs...)
}

// LoadToken returns the token from whichever of token, token_env and
// token_file is set. The errors name the key, never the value.
func (c Config) LoadToken(prefix string) (Secret, error) {
	switch {
	case c.Token != "":
		return c.Token, nil
	case c.TokenEnv != "":
		v := strings.TrimSpace(os.Getenv(c.TokenEnv))
		if v == "" {
			return "", fmt.Errorf("%stoken_env: environment variable %s is empty or not set", prefix, c.TokenEnv)
		}
		return Secret(v), nil
	case c.TokenFile != "":
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return "", fmt.Errorf("%stoken_file: %w", prefix, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%stoken_file: %s is empty; put the HEC token in it", prefix, c.TokenFile)
		}
		return Secret(v), nil
	}
	return "", fmt.Errorf("%stoken: no token; set token_file or token_env", prefix)
}

// redactURL drops anything that could be a credential from a URL before it
// goes into a message.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}
