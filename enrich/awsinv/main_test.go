package awsinv_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/flowhec/flowhec/enrich/awsinv"
	"github.com/flowhec/flowhec/enrich/ec2test"
	"github.com/flowhec/flowhec/enrich/inventory"
)

func TestMain(m *testing.M) {
	// Whatever the machine has, the SDK must find no real AWS: no shared
	// files, no instance metadata.
	for k, v := range map[string]string{
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		os.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_STS"} {
		os.Unsetenv(k)
	}
	goleak.VerifyTestMain(m)
}

const (
	acctA = ec2test.DefaultAccount // the static key's account
	acctB = "222222222222"
	acctC = "333333333333"
)

func roleOf(account string) string { return "arn:aws:iam::" + account + ":role/flowhec-reader" }

func newFake(t testing.TB, inv *inventory.Inventory) *ec2test.Server {
	t.Helper()
	s := ec2test.NewServer(ec2test.Config{Seed: 7})
	t.Cleanup(s.Close)
	if inv != nil {
		s.SetInventory(inv)
	}
	return s
}

// testConfig is the default configuration with waits fit for a test:
// retries a few milliseconds apart, refreshes every 20 ms.
func testConfig(regions ...string) awsinv.Config {
	c := awsinv.DefaultConfig()
	c.Regions = regions
	c.Retry.MaxBackoff = 2 * time.Millisecond
	c.CallTimeout = 10 * time.Second
	c.RefreshInterval = 20 * time.Millisecond
	return c
}

func testLogger(t testing.TB) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
}

func newLoader(t testing.TB, s *ec2test.Server, cfg awsinv.Config) *awsinv.Loader {
	t.Helper()
	l, err := awsinv.New(context.Background(), cfg, awsinv.WithAWSConfig(s.AWSConfig(cfg.Regions[0])), awsinv.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	return l
}
