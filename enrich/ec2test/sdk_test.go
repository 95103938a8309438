package ec2test_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"go.uber.org/goleak"

	"github.com/flowhec/flowhec/enrich/ec2test"
	"github.com/flowhec/flowhec/enrich/inventory"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	acctA = "111111111111" // ec2test.DefaultAccount, the static key's
	acctB = "222222222222"
)

func newServer(t *testing.T, inv *inventory.Inventory) *ec2test.Server {
	t.Helper()
	s := ec2test.NewServer(ec2test.Config{Seed: 1})
	t.Cleanup(s.Close)
	if inv != nil {
		s.SetInventory(inv)
	}
	return s
}

func ec2Client(s *ec2test.Server, region string) *ec2.Client {
	return ec2.NewFromConfig(s.AWSConfig(region))
}

// apiError returns the code and HTTP status of an SDK error.
func apiError(t *testing.T, err error) (string, int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an smithy.APIError", err)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v has no HTTP response", err)
	}
	return ae.ErrorCode(), re.HTTPStatusCode()
}

// TestPaginatorsWalkEveryPage: the SDK's paginators follow nextToken
// through every page of every action, and each page holds MaxResults
// items.
func TestPaginatorsWalkEveryPage(t *testing.T) {
	s := newServer(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 2500))
	c := ec2Client(s, "us-east-1")
	ctx := context.Background()

	p := ec2.NewDescribeNetworkInterfacesPaginator(c, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(1000)})
	seen := map[string]bool{}
	var sizes []int
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(out.NetworkInterfaces))
		for _, ni := range out.NetworkInterfaces {
			seen[aws.ToString(ni.NetworkInterfaceId)] = true
		}
	}
	if len(seen) != 2500 || !slices.Equal(sizes, []int{1000, 1000, 500}) {
		t.Fatalf("%d distinct interfaces in pages %v; want 2500 in 1000, 1000, 500", len(seen), sizes)
	}
	if n := s.Calls(ec2test.Match{Action: "DescribeNetworkInterfaces"}); n != 3 {
		t.Fatalf("%d DescribeNetworkInterfaces calls, want 3", n)
	}

	ip := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(500)})
	instances, pages := 0, 0
	for ip.HasMorePages() {
		out, err := ip.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.Reservations {
			instances += len(r.Instances)
		}
	}
	if instances != 1250 || pages != 3 {
		t.Fatalf("%d instances in %d pages, want 1250 in 3", instances, pages)
	}

	vp := ec2.NewDescribeVpcsPaginator(c, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(5)})
	for vp.HasMorePages() {
		out, err := vp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Vpcs) != 1 {
			t.Fatalf("%d VPCs, want 1", len(out.Vpcs))
		}
	}
	sp := ec2.NewDescribeSubnetsPaginator(c, &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(5)})
	subnets := 0
	for sp.HasMorePages() {
		out, err := sp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		subnets += len(out.Subnets)
	}
	if subnets != 2 {
		t.Fatalf("%d subnets, want 2", subnets)
	}
}

// TestFilters: EC2's filter rules, through the SDK's serializer.
func TestFilters(t *testing.T) {
	inv := ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 40)
	s := newServer(t, inv)
	c := ec2Client(s, "us-east-1")
	first, fifth := inv.NetworkInterfaces[0], inv.NetworkInterfaces[4]
	f := func(name string, values ...string) types.Filter {
		return types.Filter{Name: aws.String(name), Values: values}
	}
	for _, tc := range []struct {
		name    string
		filters []types.Filter
		ids     []string
		want    int
		code    string
	}{
		{"one address", []types.Filter{f("addresses.private-ip-address", first.PrivateIPAddresses[0].String())}, nil, 1, ""},
		{"two addresses", []types.Filter{f("addresses.private-ip-address", first.PrivateIPAddresses[0].String(), fifth.PrivateIPAddresses[0].String())}, nil, 2, ""},
		{"address nobody has", []types.Filter{f("addresses.private-ip-address", "10.99.0.1")}, nil, 0, ""},
		{"wildcard", []types.Filter{f("addresses.private-ip-address", "10.0.128.1?")}, nil, 10, ""},
		{"interface id", []types.Filter{f("network-interface-id", first.NetworkInterfaceID)}, nil, 1, ""},
		{"vpc", []types.Filter{f("vpc-id", first.VPCID)}, nil, 40, ""},
		{"other vpc", []types.Filter{f("vpc-id", "vpc-0000")}, nil, 0, ""},
		{"filters and-ed", []types.Filter{f("vpc-id", first.VPCID), f("interface-type", "lambda")}, nil, 20, ""},
		{"requester managed", []types.Filter{f("requester-managed", "true")}, nil, 20, ""},
		{"attached to", []types.Filter{f("attachment.instance-id", first.Attachment.InstanceID)}, nil, 1, ""},
		{"ids", nil, []string{first.NetworkInterfaceID, fifth.NetworkInterfaceID}, 2, ""},
		{"unknown id", nil, []string{"eni-00000000000000000"}, 0, "InvalidNetworkInterfaceID.NotFound"},
		{"unknown filter", []types.Filter{f("colour", "blue")}, nil, 0, "InvalidParameterValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.DescribeNetworkInterfaces(context.Background(), &ec2.DescribeNetworkInterfacesInput{
				Filters: tc.filters, NetworkInterfaceIds: tc.ids,
			})
			if tc.code != "" {
				if code, status := apiError(t, err); code != tc.code || status != http.StatusBadRequest {
					t.Fatalf("got %s %d, want %s 400", code, status, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(out.NetworkInterfaces) != tc.want {
				t.Fatalf("%d interfaces, want %d", len(out.NetworkInterfaces), tc.want)
			}
		})
	}

	out, err := c.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{
		Filters: []types.Filter{f("tag:service", "svc-3")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			if tagValue(in.Tags, "service") != "svc-3" {
				t.Fatalf("instance %s has service %q", aws.ToString(in.InstanceId), tagValue(in.Tags, "service"))
			}
		}
	}
	if len(out.Reservations) == 0 {
		t.Fatal("no instance tagged service=svc-3")
	}
}

func tagValue(tags []types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// TestDecodedShape: what the SDK decodes from the fake's XML is the
// inventory it was given, field by field.
func TestDecodedShape(t *testing.T) {
	attach := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	inv := &inventory.Inventory{
		VPCs: []inventory.VPC{{VPCID: "vpc-0a", AccountID: acctA, Region: "eu-west-1",
			CIDRBlock: netip.MustParsePrefix("172.31.0.0/16"), IPv6CIDRBlock: netip.MustParsePrefix("2a05:d018:1:a00::/56"),
			Tags: map[string]string{"Name": "prod"}}},
		Subnets: []inventory.Subnet{
			{SubnetID: "subnet-0pub", VPCID: "vpc-0a", AccountID: acctA, Region: "eu-west-1",
				AvailabilityZone: "eu-west-1a", AvailabilityZoneID: "euw1-az1",
				CIDRBlock: netip.MustParsePrefix("172.31.0.0/20"), IPv6CIDRBlock: netip.MustParsePrefix("2a05:d018:1:a00::/64"), Public: true},
			{SubnetID: "subnet-0priv", VPCID: "vpc-0a", AccountID: acctA, Region: "eu-west-1",
				AvailabilityZone: "eu-west-1b", AvailabilityZoneID: "euw1-az2", CIDRBlock: netip.MustParsePrefix("172.31.16.0/20")},
		},
		NetworkInterfaces: []inventory.NetworkInterface{{
			NetworkInterfaceID: "eni-0a1", AccountID: acctA, Region: "eu-west-1",
			AvailabilityZone: "eu-west-1a", AvailabilityZoneID: "euw1-az1", VPCID: "vpc-0a", SubnetID: "subnet-0pub",
			InterfaceType: "interface", Description: "Primary network interface", Status: "in-use",
			PrivateIPAddresses: []netip.Addr{netip.MustParseAddr("172.31.1.67"), netip.MustParseAddr("172.31.1.68")},
			IPv6Addresses:      []netip.Addr{netip.MustParseAddr("2a05:d018:1:a00::67")},
			PublicIP:           netip.MustParseAddr("54.0.0.9"),
			SecurityGroups:     []inventory.SecurityGroup{{GroupID: "sg-1", GroupName: "web"}},
			Attachment:         &inventory.Attachment{InstanceID: "i-0a1", DeviceIndex: 0, AttachTime: attach, Status: "attached", DeleteOnTerm: true},
			Tags:               map[string]string{"team": "metrics"},
		}, {
			NetworkInterfaceID: "eni-0elb", AccountID: acctA, Region: "eu-west-1",
			AvailabilityZone: "eu-west-1b", VPCID: "vpc-0a", SubnetID: "subnet-0priv",
			InterfaceType: "interface", Description: "ELB app/web/50dc6c495c0c9188", Status: "in-use",
			RequesterID: "amazon-elb", RequesterManaged: true,
			PrivateIPAddresses: []netip.Addr{netip.MustParseAddr("172.31.20.5")},
		}},
		Instances: []inventory.Instance{{
			InstanceID: "i-0a1", AccountID: acctA, Region: "eu-west-1", AvailabilityZone: "eu-west-1a",
			VPCID: "vpc-0a", SubnetID: "subnet-0pub", InstanceType: "c7g.large", State: "running", LaunchTime: attach,
			PrivateIPAddress: netip.MustParseAddr("172.31.1.67"), PublicIPAddress: netip.MustParseAddr("54.0.0.9"),
			NetworkInterfaces: []string{"eni-0a1"}, Tags: map[string]string{"Name": "clarity-collector"},
		}},
	}
	s := newServer(t, inv)
	c := ec2Client(s, "eu-west-1")
	ctx := context.Background()

	enis, err := c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(enis.NetworkInterfaces) != 2 {
		t.Fatalf("%d interfaces, want 2", len(enis.NetworkInterfaces))
	}
	ni := enis.NetworkInterfaces[0]
	check := func(what string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	check("id", aws.ToString(ni.NetworkInterfaceId), "eni-0a1")
	check("owner", aws.ToString(ni.OwnerId), acctA)
	check("zone id", aws.ToString(ni.AvailabilityZoneId), "euw1-az1")
	check("type", ni.InterfaceType, types.NetworkInterfaceTypeInterface)
	check("status", ni.Status, types.NetworkInterfaceStatusInUse)
	check("primary address", aws.ToString(ni.PrivateIpAddress), "172.31.1.67")
	check("addresses", len(ni.PrivateIpAddresses), 2)
	check("first is primary", aws.ToBool(ni.PrivateIpAddresses[0].Primary), true)
	check("second", aws.ToString(ni.PrivateIpAddresses[1].PrivateIpAddress), "172.31.1.68")
	check("ipv6", aws.ToString(ni.Ipv6Addresses[0].Ipv6Address), "2a05:d018:1:a00::67")
	check("public", aws.ToString(ni.Association.PublicIp), "54.0.0.9")
	check("group", aws.ToString(ni.Groups[0].GroupName), "web")
	check("attached to", aws.ToString(ni.Attachment.InstanceId), "i-0a1")
	check("attach time", aws.ToTime(ni.Attachment.AttachTime), attach)
	check("delete on termination", aws.ToBool(ni.Attachment.DeleteOnTermination), true)
	check("tag", tagValue(ni.TagSet, "team"), "metrics")
	check("managed", aws.ToBool(ni.RequesterManaged), false)
	elb := enis.NetworkInterfaces[1]
	check("elb requester", aws.ToString(elb.RequesterId), "amazon-elb")
	check("elb managed", aws.ToBool(elb.RequesterManaged), true)
	check("elb description", aws.ToString(elb.Description), "ELB app/web/50dc6c495c0c9188")
	check("elb attachment", elb.Attachment == nil, true)

	insts, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	in := insts.Reservations[0].Instances[0]
	check("reservation owner", aws.ToString(insts.Reservations[0].OwnerId), acctA)
	check("instance", aws.ToString(in.InstanceId), "i-0a1")
	check("state", in.State.Name, types.InstanceStateNameRunning)
	check("state code", aws.ToInt32(in.State.Code), int32(16))
	check("instance type", in.InstanceType, types.InstanceType("c7g.large"))
	check("launch", aws.ToTime(in.LaunchTime), attach)
	check("zone", aws.ToString(in.Placement.AvailabilityZone), "eu-west-1a")
	check("instance public", aws.ToString(in.PublicIpAddress), "54.0.0.9")
	check("Name", tagValue(in.Tags, "Name"), "clarity-collector")
	check("instance interfaces", len(in.NetworkInterfaces), 1)
	check("instance interface", aws.ToString(in.NetworkInterfaces[0].NetworkInterfaceId), "eni-0a1")
	check("device index", aws.ToInt32(in.NetworkInterfaces[0].Attachment.DeviceIndex), int32(0))

	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	check("vpc cidr", aws.ToString(vpcs.Vpcs[0].CidrBlock), "172.31.0.0/16")
	check("vpc ipv6", aws.ToString(vpcs.Vpcs[0].Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock), "2a05:d018:1:a00::/56")
	subnets, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	if err != nil {
		t.Fatal(err)
	}
	check("subnets", len(subnets.Subnets), 2)
	check("subnet zone id", aws.ToString(subnets.Subnets[0].AvailabilityZoneId), "euw1-az1")
	check("subnet ipv6", aws.ToString(subnets.Subnets[0].Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock), "2a05:d018:1:a00::/64")
	check("free addresses", aws.ToInt32(subnets.Subnets[0].AvailableIpAddressCount), int32(4091))

	rts, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	check("route tables", len(rts.RouteTables), 2)
	pub := rts.RouteTables[1]
	check("public association", aws.ToString(pub.Associations[0].SubnetId), "subnet-0pub")
	check("default route", aws.ToString(pub.Routes[2].DestinationCidrBlock), "0.0.0.0/0")
	check("internet gateway", strings.HasPrefix(aws.ToString(pub.Routes[2].GatewayId), "igw-"), true)
	check("main", aws.ToBool(rts.RouteTables[0].Associations[0].Main), true)

	// Another region of the same account has nothing.
	other, err := ec2Client(s, "us-east-1").DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	if err != nil {
		t.Fatal(err)
	}
	check("other region", len(other.NetworkInterfaces), 0)
}

// TestThrottling: a throttled call surfaces as RequestLimitExceeded with
// HTTP 503, the code the SDK's retryer treats as throttling, and the next
// call succeeds.
func TestThrottling(t *testing.T) {
	s := newServer(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 3))
	c := ec2Client(s, "us-east-1")
	s.ThrottleNext(1)
	_, err := c.DescribeNetworkInterfaces(context.Background(), &ec2.DescribeNetworkInterfacesInput{})
	if code, status := apiError(t, err); code != "RequestLimitExceeded" || status != http.StatusServiceUnavailable {
		t.Fatalf("got %s %d, want RequestLimitExceeded 503", code, status)
	}
	if _, err := c.DescribeNetworkInterfaces(context.Background(), &ec2.DescribeNetworkInterfacesInput{}); err != nil {
		t.Fatalf("after the throttle: %v", err)
	}
	if s.Throttled() != 1 || s.Calls(ec2test.Match{}) != 2 {
		t.Fatalf("throttled %d of %d calls, want 1 of 2", s.Throttled(), s.Calls(ec2test.Match{}))
	}
	reqs := s.Requests()
	if reqs[0].Fault != "RequestLimitExceeded" || reqs[1].Fault != "" {
		t.Fatalf("request log %+v", reqs)
	}

	// The SDK's own standard retryer backs off and gets through.
	s.ThrottleNext(2)
	cfg := s.AWSConfig("us-east-1")
	cfg.RetryMaxAttempts = 0
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts, o.MaxBackoff = 5, time.Millisecond })
	}
	if _, err := ec2.NewFromConfig(cfg).DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("with retries: %v", err)
	}
	if s.Throttled() != 3 {
		t.Fatalf("throttled %d, want 3", s.Throttled())
	}
}

// TestFaultRate: a seeded fault rate fails the same requests every run.
func TestFaultRate(t *testing.T) {
	run := func() []bool {
		s := ec2test.NewServer(ec2test.Config{Seed: 42})
		defer s.Close()
		s.SetFaultRate(0.3, ec2test.Throttle)
		c := ec2Client(s, "us-east-1")
		var failed []bool
		for range 40 {
			_, err := c.DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{})
			failed = append(failed, err != nil)
		}
		return failed
	}
	a, b := run(), run()
	n := 0
	for _, f := range a {
		if f {
			n++
		}
	}
	if !slices.Equal(a, b) || n < 4 || n > 24 {
		t.Fatalf("runs differ or %d of 40 failed at rate 0.3: %v %v", n, a, b)
	}
}

// TestErrors: the failures a loader must tell apart, each with EC2's code
// and status.
func TestErrors(t *testing.T) {
	s := newServer(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1", "eu-west-1"}, 3))
	ctx := context.Background()
	s.FailWhere(ec2test.Match{Region: "eu-west-1"}, ec2test.RegionDisabled)
	s.FailWhere(ec2test.Match{Region: "us-east-1", Action: "DescribeInstances"}, ec2test.Unauthorized)

	_, err := ec2Client(s, "eu-west-1").DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if code, status := apiError(t, err); code != "AuthFailure" || status != http.StatusUnauthorized {
		t.Errorf("disabled region: %s %d", code, status)
	}
	c := ec2Client(s, "us-east-1")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if code, status := apiError(t, err); code != "UnauthorizedOperation" || status != http.StatusForbidden {
		t.Errorf("denied action: %s %d", code, status)
	}
	if !strings.Contains(err.Error(), "ec2:DescribeInstances") {
		t.Errorf("message does not name the permission: %v", err)
	}
	if _, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Errorf("allowed action: %v", err)
	}
	_, err = c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(2000)})
	if code, _ := apiError(t, err); code != "InvalidParameterValue" {
		t.Errorf("MaxResults 2000: %s", code)
	}
	_, err = c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(5), NetworkInterfaceIds: []string{"eni-1"}})
	if code, _ := apiError(t, err); code != "InvalidParameterCombination" {
		t.Errorf("MaxResults with IDs: %s", code)
	}
	_, err = c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NextToken: aws.String("bogus")})
	if code, _ := apiError(t, err); code != "InvalidParameterValue" {
		t.Errorf("bad token: %s", code)
	}
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{DryRun: aws.Bool(true)})
	if code, status := apiError(t, err); code != "DryRunOperation" || status != http.StatusPreconditionFailed {
		t.Errorf("dry run: %s %d", code, status)
	}

	cfg := s.AWSConfig("us-east-1")
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIAUNKNOWN000000000", "x", "")
	_, err = ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if code, status := apiError(t, err); code != "AuthFailure" || status != http.StatusUnauthorized {
		t.Errorf("unknown key: %s %d", code, status)
	}

	s.ClearFaults()
	if _, err := ec2Client(s, "eu-west-1").DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
	if n := s.Calls(ec2test.Match{Region: "eu-west-1"}); n != 2 {
		t.Errorf("%d calls in eu-west-1, want 2", n)
	}
}

// TestManagedResources: interfaces and instances managed by another
// service are hidden unless IncludeManagedResources is set, which the SDK
// sends as a Query parameter.
func TestManagedResources(t *testing.T) {
	inv := ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 4)
	s := newServer(t, inv)
	s.SetManaged(inv.NetworkInterfaces[1].NetworkInterfaceID, inv.Instances[0].InstanceID)
	c := ec2Client(s, "us-east-1")
	ctx := context.Background()
	for _, include := range []bool{false, true} {
		enis, err := c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{IncludeManagedResources: aws.Bool(include)})
		if err != nil {
			t.Fatal(err)
		}
		insts, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{IncludeManagedResources: aws.Bool(include)})
		if err != nil {
			t.Fatal(err)
		}
		wantENIs, wantInsts := 3, 1
		if include {
			wantENIs, wantInsts = 4, 2
		}
		if len(enis.NetworkInterfaces) != wantENIs || len(insts.Reservations) != wantInsts {
			t.Fatalf("include=%v: %d interfaces and %d instances, want %d and %d",
				include, len(enis.NetworkInterfaces), len(insts.Reservations), wantENIs, wantInsts)
		}
		if include {
			ni := enis.NetworkInterfaces[1]
			if ni.Operator == nil || !aws.ToBool(ni.Operator.Managed) {
				t.Fatalf("managed interface has operator %+v", ni.Operator)
			}
		}
	}
	if got := s.Requests()[0].Form.Get("IncludeManagedResources"); got != "false" {
		t.Fatalf("IncludeManagedResources sent as %q", got)
	}
}

// TestMoveAddress: an address moved to another interface is found there by
// the next filtered call.
func TestMoveAddress(t *testing.T) {
	inv := ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 4)
	s := newServer(t, inv)
	c := ec2Client(s, "us-east-1")
	addr := inv.NetworkInterfaces[0].PrivateIPAddresses[0]
	owner := func() []string {
		out, err := c.DescribeNetworkInterfaces(context.Background(), &ec2.DescribeNetworkInterfacesInput{
			Filters: []types.Filter{{Name: aws.String("addresses.private-ip-address"), Values: []string{addr.String()}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, ni := range out.NetworkInterfaces {
			ids = append(ids, aws.ToString(ni.NetworkInterfaceId))
		}
		return ids
	}
	if got := owner(); !slices.Equal(got, []string{inv.NetworkInterfaces[0].NetworkInterfaceID}) {
		t.Fatalf("before: %v", got)
	}
	to := inv.NetworkInterfaces[3].NetworkInterfaceID
	if err := s.MoveAddress(addr, to); err != nil {
		t.Fatal(err)
	}
	if got := owner(); !slices.Equal(got, []string{to}) {
		t.Fatalf("after: %v, want [%s]", got, to)
	}
	if err := s.MoveAddress(addr, "eni-nope"); err == nil {
		t.Fatal("moved to an interface that does not exist")
	}
}

// TestAssumeRole: STS issues credentials that EC2 takes as the role's
// account; denied roles and wrong external IDs get AccessDenied.
func TestAssumeRole(t *testing.T) {
	s := newServer(t, ec2test.Fleet([]string{acctA, acctB}, []string{"us-east-1"}, 2))
	roleB := "arn:aws:iam::" + acctB + ":role/flowhec-reader"
	denied := "arn:aws:iam::333333333333:role/flowhec-reader"
	s.DenyRole(denied)
	s.RequireExternalID(roleB, "ext-1")
	stsc := sts.NewFromConfig(s.AWSConfig("us-east-1"))
	ctx := context.Background()

	_, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleB), RoleSessionName: aws.String("flowhec")})
	if code, status := apiError(t, err); code != "AccessDenied" || status != http.StatusForbidden {
		t.Fatalf("without external id: %s %d", code, status)
	}
	out, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(roleB), RoleSessionName: aws.String("flowhec"), ExternalId: aws.String("ext-1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::"+acctB+":assumed-role/flowhec-reader/flowhec" {
		t.Fatalf("assumed role user %s", got)
	}
	if !aws.ToTime(out.Credentials.Expiration).After(time.Now()) {
		t.Fatalf("credentials expire at %v", out.Credentials.Expiration)
	}
	_, err = stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(denied), RoleSessionName: aws.String("flowhec")})
	if code, status := apiError(t, err); code != "AccessDenied" || status != http.StatusForbidden {
		t.Fatalf("denied role: %s %d", code, status)
	}
	if !strings.Contains(err.Error(), denied) {
		t.Fatalf("message does not name the role: %v", err)
	}

	cfg := s.AWSConfig("us-east-1")
	cfg.Credentials = credentials.NewStaticCredentialsProvider(
		aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	enis, err := ec2.NewFromConfig(cfg).DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ni := range enis.NetworkInterfaces {
		if aws.ToString(ni.OwnerId) != acctB {
			t.Fatalf("role in %s sees an interface of %s", acctB, aws.ToString(ni.OwnerId))
		}
	}
	if len(enis.NetworkInterfaces) != 2 {
		t.Fatalf("%d interfaces, want 2", len(enis.NetworkInterfaces))
	}

	// Without the session token the key is refused.
	cfg.Credentials = credentials.NewStaticCredentialsProvider(
		aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), "")
	_, err = ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if code, _ := apiError(t, err); code != "AuthFailure" {
		t.Fatalf("without session token: %s", code)
	}

	if got := s.AssumedRoles(); !slices.Equal(got, []string{roleB}) {
		t.Fatalf("assumed roles %v", got)
	}
	calls := s.AssumeRoleCalls()
	if len(calls) != 3 || !calls[0].Denied || calls[1].Denied || calls[1].ExternalID != "ext-1" || !calls[2].Denied {
		t.Fatalf("calls %+v", calls)
	}
}
