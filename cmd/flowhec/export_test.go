package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowhec/flowhec/enrich/ec2test"
	"github.com/flowhec/flowhec/enrich/inventory"
	"github.com/flowhec/flowhec/flowgen"
)

// awsTestEnv points the AWS SDK's default credential chain at the fake's
// keys and away from anything real on this machine.
func awsTestEnv(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           ec2test.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       ec2test.SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_STS"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

func TestInventoryExport(t *testing.T) {
	awsTestEnv(t)
	g, err := flowgen.New(flowgen.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	srv := ec2test.NewServer(ec2test.Config{Account: flowgen.DefaultConfig().AccountID})
	defer srv.Close()
	srv.SetInventory(g.Inventory())

	out := filepath.Join(t.TempDir(), "inventory.json")
	var stdout, stderr bytes.Buffer
	code := run([]string{"inventory", "export", "--region", "us-east-1", "--ec2-endpoint", srv.URL, "--out", out}, nil, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	inv, err := inventory.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.NetworkInterfaces) != len(g.Inventory().NetworkInterfaces) || inv.GeneratedBy != "flowhec inventory export" {
		t.Fatalf("exported %d interfaces (%q), want %d", len(inv.NetworkInterfaces), inv.GeneratedBy, len(g.Inventory().NetworkInterfaces))
	}
	// The exported file names the zombie target like the generator's own.
	stdout.Reset()
	if code := run([]string{"inventory", "show", "--inventory", out, "172.31.1.67"}, nil, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "clarity-collector") {
		t.Fatalf("show on the export: %d\n%s%s", code, stdout.String(), stderr.String())
	}

	// A role that cannot be assumed: an error that says what to fix.
	srv.DenyRole("arn:aws:iam::210987654321:role/flowhec-read")
	stderr.Reset()
	code = run([]string{"inventory", "export", "--region", "us-east-1", "--ec2-endpoint", srv.URL, "--sts-endpoint", srv.URL,
		"--role-arn", "arn:aws:iam::210987654321:role/flowhec-read"}, nil, &stdout, &stderr)
	if code == exitOK || !strings.Contains(stderr.String(), "210987654321") {
		t.Fatalf("denied role: exit %d\n%s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), ec2test.SecretAccessKey) {
		t.Fatal("the secret key appears in the output")
	}
	if code := run([]string{"inventory", "export"}, nil, &stdout, &stderr); code != exitUsage {
		t.Fatalf("no region: exit %d", code)
	}
}
