package flowlog_test

import (
	"strings"
	"testing"

	"github.com/flowhec/flowhec/flowlog"
)

// The 14 default fields keep the names of the Splunk Add-on for AWS
// (DESIGN.md, "Field names in Splunk"), so that existing searches work.
func TestDefaultFieldsSplunkNames(t *testing.T) {
	want := "version account_id interface_id src_ip dest_ip src_port dest_port protocol_code packets bytes start_time end_time vpcflow_action log_status"
	f := flowlog.DefaultFormat()
	var got []string
	for i := 0; i < f.Len(); i++ {
		got = append(got, f.SplunkName(i))
		if f.Field(i).SplunkName() != f.SplunkName(i) {
			t.Errorf("column %d: Field.SplunkName %q, Format.SplunkName %q", i, f.Field(i).SplunkName(), f.SplunkName(i))
		}
	}
	if g := strings.Join(got, " "); g != want {
		t.Errorf("default Splunk names\n got %s\nwant %s", g, want)
	}
}

// Every other field is its AWS name with '-' turned to '_'.
func TestOtherFieldsSplunkNames(t *testing.T) {
	def := flowlog.DefaultFormat()
	for _, f := range flowlog.Fields() {
		if def.Has(f) {
			continue
		}
		if want := strings.ReplaceAll(f.AWSName(), "-", "_"); f.SplunkName() != want {
			t.Errorf("%s: Splunk name %q, want %q", f.AWSName(), f.SplunkName(), want)
		}
	}
	for aws, splunk := range map[string]string{
		"vpc-id": "vpc_id", "tcp-flags": "tcp_flags", "type": "type", "pkt-srcaddr": "pkt_srcaddr",
		"az-id": "az_id", "flow-direction": "flow_direction", "traffic-path": "traffic_path",
		"pkt-src-aws-service": "pkt_src_aws_service", "ecs-cluster-name": "ecs_cluster_name",
		"reject-reason": "reject_reason",
	} {
		if got := flowlog.SplunkNameOf(aws); got != splunk {
			t.Errorf("SplunkNameOf(%q) = %q, want %q", aws, got, splunk)
		}
	}
}

func TestSplunkNameOfUnknown(t *testing.T) {
	for in, want := range map[string]string{
		"traffic-class":     "traffic_class",
		"a-b-c":             "a_b_c",
		"already_underline": "already_underline",
		"srcaddr":           "src_ip", // known: the table's name
		"":                  "",
	} {
		if got := flowlog.SplunkNameOf(in); got != want {
			t.Errorf("SplunkNameOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// The table is the AWS "Available fields" table: every name once, each
// with the version that introduced it, in that table's order.
func TestFieldTable(t *testing.T) {
	fields := flowlog.Fields()
	if len(fields) != flowlog.NumFields-1 {
		t.Fatalf("Fields() has %d fields, NumFields is %d", len(fields), flowlog.NumFields)
	}
	seenAWS := map[string]bool{}
	seenSplunk := map[string]bool{}
	lastVersion := 0
	for i, f := range fields {
		if f == flowlog.Unknown {
			t.Fatalf("Fields()[%d] is Unknown", i)
		}
		if seenAWS[f.AWSName()] || seenSplunk[f.SplunkName()] {
			t.Errorf("%s: name used twice", f.AWSName())
		}
		seenAWS[f.AWSName()] = true
		seenSplunk[f.SplunkName()] = true
		if got, ok := flowlog.LookupField(f.AWSName()); !ok || got != f {
			t.Errorf("LookupField(%q) = %v, %v", f.AWSName(), got, ok)
		}
		if f.String() != f.AWSName() {
			t.Errorf("String %q, AWSName %q", f.String(), f.AWSName())
		}
		if f.Version() < lastVersion {
			t.Errorf("%s (version %d) comes after a version %d field", f.AWSName(), f.Version(), lastVersion)
		}
		lastVersion = f.Version()
	}
	if fields[0] != flowlog.Version || fields[len(fields)-1] != flowlog.NextHopResourceID {
		t.Errorf("table runs from %v to %v", fields[0], fields[len(fields)-1])
	}
	if _, ok := flowlog.LookupField("no-such-field"); ok {
		t.Error("LookupField knows no-such-field")
	}
	if _, ok := flowlog.LookupField(""); ok {
		t.Error("LookupField knows the empty name")
	}
	if flowlog.Unknown.String() != "unknown" || flowlog.Unknown.AWSName() != "" {
		t.Errorf("Unknown: String %q AWSName %q", flowlog.Unknown.String(), flowlog.Unknown.AWSName())
	}
	// Out-of-range values behave as Unknown rather than panic.
	if f := flowlog.Field(255); f.AWSName() != "" || f.Type() != flowlog.TypeString {
		t.Errorf("Field(255): %q %v", f.AWSName(), f.Type())
	}
}

func TestFieldVersionsAndTypes(t *testing.T) {
	tests := []struct {
		aws     string
		version int
		typ     flowlog.Type
	}{
		{"version", 2, flowlog.TypeInt},
		{"account-id", 2, flowlog.TypeAccount},
		{"interface-id", 2, flowlog.TypeString},
		{"srcaddr", 2, flowlog.TypeAddr},
		{"dstaddr", 2, flowlog.TypeAddr},
		{"srcport", 2, flowlog.TypePort},
		{"dstport", 2, flowlog.TypePort},
		{"protocol", 2, flowlog.TypeProtocol},
		{"packets", 2, flowlog.TypeInt},
		{"bytes", 2, flowlog.TypeInt},
		{"start", 2, flowlog.TypeInt},
		{"end", 2, flowlog.TypeInt},
		{"action", 2, flowlog.TypeAction},
		{"log-status", 2, flowlog.TypeLogStatus},
		{"vpc-id", 3, flowlog.TypeString},
		{"subnet-id", 3, flowlog.TypeString},
		{"instance-id", 3, flowlog.TypeString},
		{"tcp-flags", 3, flowlog.TypeInt},
		{"type", 3, flowlog.TypeString},
		{"pkt-srcaddr", 3, flowlog.TypeAddr},
		{"pkt-dstaddr", 3, flowlog.TypeAddr},
		{"region", 4, flowlog.TypeString},
		{"az-id", 4, flowlog.TypeString},
		{"sublocation-type", 4, flowlog.TypeString},
		{"sublocation-id", 4, flowlog.TypeString},
		{"pkt-src-aws-service", 5, flowlog.TypeString},
		{"pkt-dst-aws-service", 5, flowlog.TypeString},
		{"flow-direction", 5, flowlog.TypeString},
		{"traffic-path", 5, flowlog.TypeInt},
		{"resource-type", 6, flowlog.TypeString},
		{"tgw-id", 6, flowlog.TypeString},
		{"tgw-src-vpc-account-id", 6, flowlog.TypeAccount},
		{"tgw-dst-vpc-account-id", 6, flowlog.TypeAccount},
		{"tgw-src-eni", 6, flowlog.TypeString},
		{"packets-lost-no-route", 6, flowlog.TypeInt},
		{"packets-lost-blackhole", 6, flowlog.TypeInt},
		{"packets-lost-mtu-exceeded", 6, flowlog.TypeInt},
		{"packets-lost-ttl-expired", 6, flowlog.TypeInt},
		{"ecs-cluster-arn", 7, flowlog.TypeString},
		{"ecs-task-id", 7, flowlog.TypeString},
		{"reject-reason", 8, flowlog.TypeString},
		{"resource-id", 9, flowlog.TypeString},
		{"encryption-status", 10, flowlog.TypeInt},
		{"next-hop", 11, flowlog.TypeString},
		{"next-hop-resource-id", 11, flowlog.TypeString},
	}
	for _, tt := range tests {
		f, ok := flowlog.LookupField(tt.aws)
		if !ok {
			t.Errorf("%s: unknown", tt.aws)
			continue
		}
		if f.Version() != tt.version || f.Type() != tt.typ {
			t.Errorf("%s: version %d type %v, want %d %v", tt.aws, f.Version(), f.Type(), tt.version, tt.typ)
		}
	}
}

func TestTypeIsNumber(t *testing.T) {
	numbers := map[flowlog.Type]bool{flowlog.TypeInt: true, flowlog.TypePort: true, flowlog.TypeProtocol: true}
	for typ := flowlog.Type(0); typ <= flowlog.TypeAccount; typ++ {
		if typ.IsNumber() != numbers[typ] {
			t.Errorf("%v.IsNumber() = %v", typ, typ.IsNumber())
		}
		if typ.String() == "type(?)" {
			t.Errorf("type %d has no name", typ)
		}
	}
	// Account IDs keep their leading zeros: they are strings, not numbers.
	if flowlog.TypeAccount.IsNumber() {
		t.Error("account IDs would lose leading zeros")
	}
	if got := flowlog.Type(200).String(); got != "type(?)" {
		t.Errorf("Type(200).String() = %q", got)
	}
}
