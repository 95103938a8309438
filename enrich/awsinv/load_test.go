package awsinv_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowhec/flowhec/enrich/awsinv"
	"github.com/flowhec/flowhec/enrich/ec2test"
	"github.com/flowhec/flowhec/enrich/inventory"
	"github.com/flowhec/flowhec/flowgen"
)

// loadErrors unpacks Load's joined error.
func loadErrors(t *testing.T, err error) []*awsinv.LoadError {
	t.Helper()
	if err == nil {
		return nil
	}
	var out []*awsinv.LoadError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			var le *awsinv.LoadError
			if !errors.As(e, &le) {
				t.Fatalf("%v is not a *LoadError", e)
			}
			out = append(out, le)
		}
		return out
	}
	t.Fatalf("error %v is not a join of *LoadError", err)
	return nil
}

func jsonOf(t *testing.T, inv *inventory.Inventory) string {
	t.Helper()
	var b bytes.Buffer
	if err := inv.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestLoadPages: 2,500 interfaces come back whole in three pages of 1000,
// with managed resources asked for.
func TestLoadPages(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 2500))
	l := newLoader(t, s, testConfig("us-east-1"))
	inv, err := l.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.NetworkInterfaces) != 2500 || len(inv.Instances) != 1250 {
		t.Fatalf("%d interfaces and %d instances, want 2500 and 1250", len(inv.NetworkInterfaces), len(inv.Instances))
	}
	ids := map[string]bool{}
	for _, ni := range inv.NetworkInterfaces {
		ids[ni.NetworkInterfaceID] = true
	}
	if len(ids) != 2500 {
		t.Fatalf("%d distinct interfaces", len(ids))
	}
	if n := s.Calls(ec2test.Match{Action: "DescribeNetworkInterfaces"}); n != 3 {
		t.Fatalf("%d DescribeNetworkInterfaces calls, want 3", n)
	}
	if n := s.Calls(ec2test.Match{Action: "DescribeInstances"}); n != 2 {
		t.Fatalf("%d DescribeInstances calls, want 2", n)
	}
	for _, r := range s.Requests() {
		if r.Action == "DescribeNetworkInterfaces" || r.Action == "DescribeInstances" {
			if r.Form.Get("IncludeManagedResources") != "true" || r.Form.Get("MaxResults") != "1000" {
				t.Fatalf("%s sent IncludeManagedResources=%q MaxResults=%q", r.Action,
					r.Form.Get("IncludeManagedResources"), r.Form.Get("MaxResults"))
			}
		}
	}
	if inv.GeneratedBy != awsinv.GeneratedBy || len(inv.Accounts) != 1 || inv.Accounts[0].AccountID != acctA {
		t.Fatalf("generated_by %q, accounts %v", inv.GeneratedBy, inv.Accounts)
	}
}

// TestLoadRoundTrip: what EC2 serves is what Load returns, field for field
// (compared as the inventory file), for the generator's fleet and for a
// two-region fleet with public and private subnets.
func TestLoadRoundTrip(t *testing.T) {
	g, err := flowgen.New(flowgen.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	gen := g.Inventory()
	for _, tc := range []struct {
		name string
		inv  *inventory.Inventory
	}{
		{"generator", gen},
		{"fleet", ec2test.Fleet([]string{gen.Accounts[0].AccountID}, []string{"us-east-1", "eu-west-1"}, 30)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acct := tc.inv.Accounts[0].AccountID
			s := ec2test.NewServer(ec2test.Config{Account: acct})
			defer s.Close()
			s.SetInventory(tc.inv)
			regions := []string{}
			for _, v := range tc.inv.VPCs {
				if !slices.Contains(regions, v.Region) {
					regions = append(regions, v.Region)
				}
			}
			l := newLoader(t, s, testConfig(regions...))
			got, err := l.Load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := *tc.inv
			want.GeneratedBy = awsinv.GeneratedBy
			want.Accounts = []inventory.Account{{AccountID: acct}} // EC2 does not know the account's name
			if g, w := jsonOf(t, got), jsonOf(t, &want); g != w {
				t.Fatalf("loaded inventory differs from the one served:\n%s", firstDiff(g, w))
			}
		})
	}
}

func firstDiff(got, want string) string {
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			lo := max(0, i-3)
			return "line " + strconv.Itoa(i+1) + ": got\n" + strings.Join(gl[lo:min(len(gl), i+3)], "\n") +
				"\nwant\n" + strings.Join(wl[lo:min(len(wl), i+3)], "\n")
		}
	}
	return "lengths differ"
}

// TestThrottledThenSucceeds: RequestLimitExceeded is retried with backoff
// and the load completes; the retries are counted.
func TestThrottledThenSucceeds(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 50))
	l := newLoader(t, s, testConfig("us-east-1"))
	s.ThrottleNext(4)
	inv, err := l.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.NetworkInterfaces) != 50 {
		t.Fatalf("%d interfaces, want 50", len(inv.NetworkInterfaces))
	}
	if s.Throttled() != 4 || l.Throttles() != 4 {
		t.Fatalf("server throttled %d, loader counted %d; want 4 and 4", s.Throttled(), l.Throttles())
	}

	// A random 30% of calls throttled: every page still arrives.
	s.SetFaultRate(0.3, ec2test.Throttle)
	inv, err = l.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.NetworkInterfaces) != 50 || l.Throttles() <= 4 {
		t.Fatalf("%d interfaces after %d throttles", len(inv.NetworkInterfaces), l.Throttles())
	}
}

// TestThrottledToTheEnd: a region throttled on every attempt fails with
// KindThrottled, naming the setting to change, after max_attempts.
func TestThrottledToTheEnd(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 5))
	cfg := testConfig("us-east-1")
	cfg.Retry.MaxAttempts = 3
	l := newLoader(t, s, cfg)
	s.FailWhere(ec2test.Match{Action: "DescribeSubnets"}, ec2test.Throttle)
	_, err := l.Load(context.Background())
	errs := loadErrors(t, err)
	if len(errs) != 1 || errs[0].Kind != awsinv.KindThrottled || errs[0].Action != "DescribeSubnets" || errs[0].Code != "RequestLimitExceeded" {
		t.Fatalf("errors %v", err)
	}
	if !strings.Contains(err.Error(), "enrich.aws.retry.max_attempts") || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("error does not say what to do: %v", err)
	}
	if n := s.Calls(ec2test.Match{Action: "DescribeSubnets"}); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
}

// TestPartialRegionFailure: a region that fails does not lose the other;
// the error names the region and the fix.
func TestPartialRegionFailure(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1", "ap-east-1"}, 10))
	s.FailWhere(ec2test.Match{Region: "ap-east-1"}, ec2test.RegionDisabled)
	l := newLoader(t, s, testConfig("us-east-1", "ap-east-1"))
	inv, err := l.Load(context.Background())
	if len(inv.NetworkInterfaces) != 10 || inv.NetworkInterfaces[0].Region != "us-east-1" {
		t.Fatalf("%d interfaces loaded, want us-east-1's 10", len(inv.NetworkInterfaces))
	}
	errs := loadErrors(t, err)
	if len(errs) != 1 {
		t.Fatalf("errors: %v", err)
	}
	e := errs[0]
	if e.Region != "ap-east-1" || e.Kind != awsinv.KindCredentials || e.Code != "AuthFailure" {
		t.Fatalf("error %+v", e)
	}
	if !strings.Contains(e.Error(), "region ap-east-1") || !strings.Contains(e.Error(), "opt-in region") {
		t.Fatalf("error does not name the region and the fix: %v", e)
	}
}

// TestMissingPermission: a denied action names the IAM permission to
// grant and whom to grant it to.
func TestMissingPermission(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctB}, []string{"us-east-1"}, 4))
	s.FailWhere(ec2test.Match{Action: "DescribeNetworkInterfaces"}, ec2test.Unauthorized)
	cfg := testConfig("us-east-1")
	cfg.RoleARNs = []string{roleOf(acctB)}
	l := newLoader(t, s, cfg)
	_, err := l.Load(context.Background())
	errs := loadErrors(t, err)
	if len(errs) != 1 || errs[0].Kind != awsinv.KindDenied || errs[0].AccountID != acctB {
		t.Fatalf("errors %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"allow ec2:DescribeNetworkInterfaces", "the role " + roleOf(acctB), "account " + acctB, "region us-east-1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	if n := s.Calls(ec2test.Match{Action: "DescribeNetworkInterfaces"}); n != 1 {
		t.Errorf("a denied call was tried %d times; it is not worth retrying", n)
	}
}

// TestAssumeRoleTwoAccounts: each role is assumed (once, with the session
// name and external ID), and each account's resources come back labelled
// with it.
func TestAssumeRoleTwoAccounts(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctA, acctB, acctC}, []string{"us-east-1", "eu-west-1"}, 7))
	s.RequireExternalID(roleOf(acctC), "flowhec-ext")
	cfg := testConfig("us-east-1", "eu-west-1")
	cfg.RoleARNs = []string{roleOf(acctB), roleOf(acctC)}
	cfg.ExternalID = "flowhec-ext"
	cfg.SessionName = "flowhec-test"
	l := newLoader(t, s, cfg)
	inv, err := l.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	assumed := s.AssumedRoles()
	slices.Sort(assumed)
	if !slices.Equal(assumed, []string{roleOf(acctB), roleOf(acctC)}) {
		t.Fatalf("assumed %v", assumed)
	}
	for _, c := range s.AssumeRoleCalls() {
		if c.SessionName != "flowhec-test" || c.ExternalID != "flowhec-ext" || c.Denied {
			t.Fatalf("AssumeRole call %+v", c)
		}
	}
	if n := len(s.AssumeRoleCalls()); n != 2 {
		t.Fatalf("%d AssumeRole calls for two roles in two regions; credentials are shared across regions", n)
	}
	count := map[string]int{}
	for _, ni := range inv.NetworkInterfaces {
		count[ni.AccountID+"/"+ni.Region]++
	}
	want := map[string]int{acctB + "/us-east-1": 7, acctB + "/eu-west-1": 7, acctC + "/us-east-1": 7, acctC + "/eu-west-1": 7}
	if len(count) != len(want) {
		t.Fatalf("interfaces by account and region: %v, want %v", count, want)
	}
	for k, n := range want {
		if count[k] != n {
			t.Fatalf("interfaces by account and region: %v, want %v", count, want)
		}
	}
	// In configuration order: account B's regions, then C's.
	if inv.NetworkInterfaces[0].AccountID != acctB || inv.NetworkInterfaces[27].AccountID != acctC || inv.NetworkInterfaces[7].Region != "eu-west-1" {
		t.Fatal("interfaces are not in configuration order")
	}
	if got := []string{inv.Accounts[0].AccountID, inv.Accounts[1].AccountID}; len(inv.Accounts) != 2 || got[0] != acctB || got[1] != acctC {
		t.Fatalf("accounts %v", inv.Accounts)
	}
	// The static key's own account is never read.
	if n := s.Calls(ec2test.Match{Account: acctA}); n != 0 {
		t.Fatalf("%d calls as account %s", n, acctA)
	}
}

// TestDeniedRole: a role that cannot be assumed is one error (not one per
// region) naming the role and the trust policy; the other account loads.
func TestDeniedRole(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctB, acctC}, []string{"us-east-1", "eu-west-1"}, 3))
	s.DenyRole(roleOf(acctC))
	cfg := testConfig("us-east-1", "eu-west-1")
	cfg.RoleARNs = []string{roleOf(acctB), roleOf(acctC)}
	l := newLoader(t, s, cfg)
	inv, err := l.Load(context.Background())
	errs := loadErrors(t, err)
	if len(errs) != 1 {
		t.Fatalf("errors: %v", err)
	}
	e := errs[0]
	if e.Action != "AssumeRole" || e.Kind != awsinv.KindDenied || e.RoleARN != roleOf(acctC) || e.Region != "" || e.Code != "AccessDenied" {
		t.Fatalf("error %+v", e)
	}
	if !strings.Contains(e.Error(), "trust policy") || !strings.Contains(e.Error(), "role "+roleOf(acctC)) {
		t.Fatalf("error does not say what to do: %v", e)
	}
	if len(inv.NetworkInterfaces) != 6 {
		t.Fatalf("%d interfaces, want account B's 6", len(inv.NetworkInterfaces))
	}
	for _, ni := range inv.NetworkInterfaces {
		if ni.AccountID != acctB {
			t.Fatalf("interface of %s", ni.AccountID)
		}
	}
	if n := s.Calls(ec2test.Match{Account: acctC}); n != 0 {
		t.Fatalf("%d EC2 calls in the denied account", n)
	}
}

// TestDefaultCredentialChain: with no roles and no AWS configuration
// given, the Loader uses the SDK's default chain (here the environment)
// and the endpoint overrides, with the SDK's own HTTP client.
func TestDefaultCredentialChain(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctA}, []string{"eu-west-1"}, 3))
	t.Setenv("AWS_ACCESS_KEY_ID", ec2test.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", ec2test.SecretAccessKey)
	cfg := testConfig("eu-west-1")
	cfg.Endpoints.EC2 = s.URL + "/{region}"
	l, err := awsinv.New(context.Background(), cfg, awsinv.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := l.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.NetworkInterfaces) != 3 || len(inv.Accounts) != 1 || inv.Accounts[0].AccountID != acctA {
		t.Fatalf("%d interfaces, accounts %v", len(inv.NetworkInterfaces), inv.Accounts)
	}
}

// TestNoCredentials: with nothing to sign with, Load says where
// credentials come from, and calls nothing.
func TestNoCredentials(t *testing.T) {
	s := newFake(t, nil)
	cfg := testConfig("us-east-1")
	awsCfg := s.AWSConfig("us-east-1")
	awsCfg.Credentials = nil
	l, err := awsinv.New(context.Background(), cfg, awsinv.WithAWSConfig(awsCfg))
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Load(context.Background())
	errs := loadErrors(t, err)
	if len(errs) != 1 || errs[0].Kind != awsinv.KindCredentials || !strings.Contains(err.Error(), "role_arns") {
		t.Fatalf("error %v", err)
	}
	if s.Calls(ec2test.Match{}) != 0 {
		t.Fatal("called EC2 without credentials")
	}
}

// TestCallTimeout: a call that outlasts call_timeout fails with
// KindTimeout and the key to raise; the caller's context is not the one
// that ended.
func TestCallTimeout(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 3))
	cfg := testConfig("us-east-1")
	cfg.CallTimeout = 50 * time.Millisecond
	cfg.Retry.MaxAttempts = 50 // throttled until the deadline
	cfg.Retry.MaxBackoff = 10 * time.Millisecond
	l := newLoader(t, s, cfg)
	s.FailWhere(ec2test.Match{Action: "DescribeVpcs"}, ec2test.Throttle)
	_, err := l.Load(context.Background())
	errs := loadErrors(t, err)
	if len(errs) != 1 || errs[0].Kind != awsinv.KindTimeout || !strings.Contains(err.Error(), "enrich.aws.call_timeout (50ms)") {
		t.Fatalf("error %v", err)
	}
}

// TestLoadCanceled: a load whose context ends returns at once with
// KindCanceled errors.
func TestLoadCanceled(t *testing.T) {
	s := newFake(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 3))
	l := newLoader(t, s, testConfig("us-east-1"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	inv, err := l.Load(ctx)
	for _, e := range loadErrors(t, err) {
		if e.Kind != awsinv.KindCanceled {
			t.Fatalf("error %+v", e)
		}
	}
	if err == nil || inv == nil || len(inv.NetworkInterfaces) != 0 {
		t.Fatalf("canceled load: %v, %v", inv, err)
	}
}

// TestPublicFromRouteTables: a subnet is public when its route table (its
// own, or the VPC's main one) sends the default route to an internet
// gateway, whatever its map-public-ip-on-launch.
func TestPublicFromRouteTables(t *testing.T) {
	inv := ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 1)
	s := newFake(t, inv)
	l := newLoader(t, s, testConfig("us-east-1"))
	got, err := l.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	public := map[string]bool{}
	for _, sn := range got.Subnets {
		public[sn.Tags["Name"]] = sn.Public
	}
	if !public["public"] || public["private"] {
		t.Fatalf("public by name: %v", public)
	}
	addr := inv.NetworkInterfaces[0].PrivateIPAddresses[0]
	if ni := got.InterfaceByAddr(addr); ni == nil || ni.NetworkInterfaceID != inv.NetworkInterfaces[0].NetworkInterfaceID {
		t.Fatalf("address %v not found", addr)
	}
}
