package flowlog

// Field identifies one AWS VPC flow-log field. Its zero value is Unknown:
// a field name the table below does not know, which a Format keeps as a
// string column so that new AWS fields never make a record unreadable.
type Field uint8

// Type says how a field's text is validated and how it is written as JSON.
type Type uint8

// Field types. Every field is transmitted by AWS as text; the type decides
// which texts are valid and whether the JSON output is a number or a string.
const (
	TypeString    Type = iota // any token; JSON string
	TypeInt                   // non-negative decimal integer; JSON number
	TypePort                  // integer 0–65535; JSON number
	TypeProtocol              // IANA protocol number 0–255; JSON number
	TypeAddr                  // IPv4 or IPv6 address; JSON string
	TypeAction                // ACCEPT or REJECT; JSON string
	TypeLogStatus             // OK, NODATA or SKIPDATA; JSON string
	TypeAccount               // 12-digit account number or "unknown"; kept as a string
)

var typeNames = [...]string{"string", "int", "port", "protocol", "address", "action", "log-status", "account"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type(?)"
}

// IsNumber reports whether values of the type are written as JSON numbers.
func (t Type) IsNumber() bool { return t == TypeInt || t == TypePort || t == TypeProtocol }

// The known fields, in the order of the AWS "Available fields" table, which is
// also the order the console's "select all" produces. The version in each
// group's comment is the flow-log version that introduced the fields.
const (
	Unknown Field = iota

	// Version 2: the default format, in its order.
	Version
	AccountID
	InterfaceID
	SrcAddr
	DstAddr
	SrcPort
	DstPort
	Protocol
	Packets
	Bytes
	Start
	End
	Action
	LogStatus

	// Version 3.
	VPCID
	SubnetID
	InstanceID
	TCPFlags
	TrafficType
	PktSrcAddr
	PktDstAddr

	// Version 4.
	Region
	AZID
	SublocationType
	SublocationID

	// Version 5.
	PktSrcAWSService
	PktDstAWSService
	FlowDirection
	TrafficPath

	// Version 6: Transit Gateway flow logs.
	ResourceType
	TGWID
	TGWAttachmentID
	TGWSrcVPCAccountID
	TGWDstVPCAccountID
	TGWSrcVPCID
	TGWDstVPCID
	TGWSrcSubnetID
	TGWDstSubnetID
	TGWSrcENI
	TGWDstENI
	TGWSrcAZID
	TGWDstAZID
	TGWPairAttachmentID
	PacketsLostNoRoute
	PacketsLostBlackhole
	PacketsLostMTUExceeded
	PacketsLostTTLExpired

	// Version 7: Amazon ECS.
	ECSClusterARN
	ECSClusterName
	ECSContainerInstanceARN
	ECSContainerInstanceID
	ECSContainerID
	ECSSecondContainerID
	ECSServiceName
	ECSTaskDefinitionARN
	ECSTaskARN
	ECSTaskID

	// Version 8.
	RejectReason

	// Versions 9–11: the resource, encryption and routing fields.
	ResourceID
	EncryptionStatus
	NextHop
	NextHopResourceID

	numFields // not a field: the size of the tables below
)

// NumFields is the number of known fields plus one for Unknown, so that
// [NumFields]T arrays can be indexed by any Field.
const NumFields = int(numFields)

type fieldInfo struct {
	aws     string // the AWS name, as in a format string or an S3 header
	splunk  string // the name in Splunk (DESIGN.md: Splunk Add-on for AWS names)
	typ     Type
	version uint8 // the flow-log version that introduced the field
}

// fieldTable is indexed by Field.
var fieldTable = [numFields]fieldInfo{
	Unknown: {"", "", TypeString, 0},

	Version:     {"version", "version", TypeInt, 2},
	AccountID:   {"account-id", "account_id", TypeAccount, 2},
	InterfaceID: {"interface-id", "interface_id", TypeString, 2},
	SrcAddr:     {"srcaddr", "src_ip", TypeAddr, 2},
	DstAddr:     {"dstaddr", "dest_ip", TypeAddr, 2},
	SrcPort:     {"srcport", "src_port", TypePort, 2},
	DstPort:     {"dstport", "dest_port", TypePort, 2},
	Protocol:    {"protocol", "protocol_code", TypeProtocol, 2},
	Packets:     {"packets", "packets", TypeInt, 2},
	Bytes:       {"bytes", "bytes", TypeInt, 2},
	Start:       {"start", "start_time", TypeInt, 2},
	End:         {"end", "end_time", TypeInt, 2},
	Action:      {"action", "vpcflow_action", TypeAction, 2},
	LogStatus:   {"log-status", "log_status", TypeLogStatus, 2},

	VPCID:       {"vpc-id", "vpc_id", TypeString, 3},
	SubnetID:    {"subnet-id", "subnet_id", TypeString, 3},
	InstanceID:  {"instance-id", "instance_id", TypeString, 3},
	TCPFlags:    {"tcp-flags", "tcp_flags", TypeInt, 3},
	TrafficType: {"type", "type", TypeString, 3},
	PktSrcAddr:  {"pkt-srcaddr", "pkt_srcaddr", TypeAddr, 3},
	PktDstAddr:  {"pkt-dstaddr", "pkt_dstaddr", TypeAddr, 3},

	Region:          {"region", "region", TypeString, 4},
	AZID:            {"az-id", "az_id", TypeString, 4},
	SublocationType: {"sublocation-type", "sublocation_type", TypeString, 4},
	SublocationID:   {"sublocation-id", "sublocation_id", TypeString, 4},

	PktSrcAWSService: {"pkt-src-aws-service", "pkt_src_aws_service", TypeString, 5},
	PktDstAWSService: {"pkt-dst-aws-service", "pkt_dst_aws_service", TypeString, 5},
	FlowDirection:    {"flow-direction", "flow_direction", TypeString, 5},
	TrafficPath:      {"traffic-path", "traffic_path", TypeInt, 5},

	ResourceType:           {"resource-type", "resource_type", TypeString, 6},
	TGWID:                  {"tgw-id", "tgw_id", TypeString, 6},
	TGWAttachmentID:        {"tgw-attachment-id", "tgw_attachment_id", TypeString, 6},
	TGWSrcVPCAccountID:     {"tgw-src-vpc-account-id", "tgw_src_vpc_account_id", TypeAccount, 6},
	TGWDstVPCAccountID:     {"tgw-dst-vpc-account-id", "tgw_dst_vpc_account_id", TypeAccount, 6},
	TGWSrcVPCID:            {"tgw-src-vpc-id", "tgw_src_vpc_id", TypeString, 6},
	TGWDstVPCID:            {"tgw-dst-vpc-id", "tgw_dst_vpc_id", TypeString, 6},
	TGWSrcSubnetID:         {"tgw-src-subnet-id", "tgw_src_subnet_id", TypeString, 6},
	TGWDstSubnetID:         {"tgw-dst-subnet-id", "tgw_dst_subnet_id", TypeString, 6},
	TGWSrcENI:              {"tgw-src-eni", "tgw_src_eni", TypeString, 6},
	TGWDstENI:              {"tgw-dst-eni", "tgw_dst_eni", TypeString, 6},
	TGWSrcAZID:             {"tgw-src-az-id", "tgw_src_az_id", TypeString, 6},
	TGWDstAZID:             {"tgw-dst-az-id", "tgw_dst_az_id", TypeString, 6},
	TGWPairAttachmentID:    {"tgw-pair-attachment-id", "tgw_pair_attachment_id", TypeString, 6},
	PacketsLostNoRoute:     {"packets-lost-no-route", "packets_lost_no_route", TypeInt, 6},
	PacketsLostBlackhole:   {"packets-lost-blackhole", "packets_lost_blackhole", TypeInt, 6},
	PacketsLostMTUExceeded: {"packets-lost-mtu-exceeded", "packets_lost_mtu_exceeded", TypeInt, 6},
	PacketsLostTTLExpired:  {"packets-lost-ttl-expired", "packets_lost_ttl_expired", TypeInt, 6},

	ECSClusterARN:           {"ecs-cluster-arn", "ecs_cluster_arn", TypeString, 7},
	ECSClusterName:          {"ecs-cluster-name", "ecs_cluster_name", TypeString, 7},
	ECSContainerInstanceARN: {"ecs-container-instance-arn", "ecs_container_instance_arn", TypeString, 7},
	ECSContainerInstanceID:  {"ecs-container-instance-id", "ecs_container_instance_id", TypeString, 7},
	ECSContainerID:          {"ecs-container-id", "ecs_container_id", TypeString, 7},
	ECSSecondContainerID:    {"ecs-second-container-id", "ecs_second_container_id", TypeString, 7},
	ECSServiceName:          {"ecs-service-name", "ecs_service_name", TypeString, 7},
	ECSTaskDefinitionARN:    {"ecs-task-definition-arn", "ecs_task_definition_arn", TypeString, 7},
	ECSTaskARN:              {"ecs-task-arn", "ecs_task_arn", TypeString, 7},
	ECSTaskID:               {"ecs-task-id", "ecs_task_id", TypeString, 7},

	RejectReason: {"reject-reason", "reject_reason", TypeString, 8},

	ResourceID:        {"resource-id", "resource_id", TypeString, 9},
	EncryptionStatus:  {"encryption-status", "encryption_status", TypeInt, 10},
	NextHop:           {"next-hop", "next_hop", TypeString, 11},
	NextHopResourceID: {"next-hop-resource-id", "next_hop_resource_id", TypeString, 11},
}

// fieldByAWSName maps an AWS field name to its Field. Lookups with
// m[string(b)] do not allocate.
var fieldByAWSName = func() map[string]Field {
	m := make(map[string]Field, numFields)
	for f := Field(1); f < numFields; f++ {
		m[fieldTable[f].aws] = f
	}
	return m
}()

// LookupField returns the Field with the given AWS name ("dstport",
// "pkt-src-aws-service") and whether it is known.
func LookupField(awsName string) (Field, bool) {
	f, ok := fieldByAWSName[awsName]
	return f, ok
}

// Fields returns every known field in the order of the AWS table.
func Fields() []Field {
	fs := make([]Field, 0, numFields-1)
	for f := Field(1); f < numFields; f++ {
		fs = append(fs, f)
	}
	return fs
}

// AWSName is the field's name in AWS format strings and S3 header lines.
func (f Field) AWSName() string { return f.info().aws }

// SplunkName is the field's name in Splunk: the Splunk Add-on for AWS name
// for the 14 default fields, the AWS name with '-' turned to '_' otherwise.
func (f Field) SplunkName() string { return f.info().splunk }

// Type is how the field's values are validated and written.
func (f Field) Type() Type { return f.info().typ }

// Version is the flow-log version that introduced the field.
func (f Field) Version() int { return int(f.info().version) }

func (f Field) String() string {
	if f == Unknown {
		return "unknown"
	}
	return f.info().aws
}

func (f Field) info() *fieldInfo {
	if f >= numFields {
		return &fieldTable[Unknown]
	}
	return &fieldTable[f]
}

// SplunkNameOf turns any AWS field name into its Splunk name: the table's
// name for a known field, the name with '-' turned to '_' otherwise.
func SplunkNameOf(awsName string) string {
	if f, ok := fieldByAWSName[awsName]; ok {
		return fieldTable[f].splunk
	}
	b := []byte(awsName)
	for i, c := range b {
		if c == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}
