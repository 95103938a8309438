package ec2test

import "encoding/xml"

// The replies below copy EC2's documents element for element, in EC2's
// order, as the SDK's ec2query deserializer reads them (element names are
// those of service/ec2/deserializers.go). Lists are "…Set" elements of
// <item>s, present and empty when there is nothing, as EC2 writes them.

const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// set is an EC2 list: <fooSet><item>…</item>…</fooSet>.
type set[T any] struct {
	Items []T `xml:"item"`
}

type tagXML struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type groupXML struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type errorResponse struct {
	XMLName   xml.Name `xml:"Response"`
	Errors    []errXML `xml:"Errors>Error"`
	RequestID string   `xml:"RequestID"`
}

type errXML struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// DescribeNetworkInterfaces

type describeNetworkInterfacesResponse struct {
	XMLName   xml.Name    `xml:"DescribeNetworkInterfacesResponse"`
	Xmlns     string      `xml:"xmlns,attr"`
	RequestID string      `xml:"requestId"`
	Set       set[eniXML] `xml:"networkInterfaceSet"`
	NextToken string      `xml:"nextToken,omitempty"`
}

type eniXML struct {
	NetworkInterfaceID    string               `xml:"networkInterfaceId"`
	SubnetID              string               `xml:"subnetId"`
	VPCID                 string               `xml:"vpcId"`
	AvailabilityZone      string               `xml:"availabilityZone"`
	AvailabilityZoneID    string               `xml:"availabilityZoneId,omitempty"`
	Description           string               `xml:"description"`
	OwnerID               string               `xml:"ownerId"`
	RequesterID           string               `xml:"requesterId,omitempty"`
	RequesterManaged      bool                 `xml:"requesterManaged"`
	Status                string               `xml:"status"`
	MacAddress            string               `xml:"macAddress"`
	PrivateIPAddress      string               `xml:"privateIpAddress,omitempty"`
	PrivateDNSName        string               `xml:"privateDnsName,omitempty"`
	SourceDestCheck       bool                 `xml:"sourceDestCheck"`
	GroupSet              set[groupXML]        `xml:"groupSet"`
	Attachment            *eniAttachmentXML    `xml:"attachment"`
	Association           *associationXML      `xml:"association"`
	TagSet                set[tagXML]          `xml:"tagSet"`
	PrivateIPAddressesSet set[eniPrivateIPXML] `xml:"privateIpAddressesSet"`
	IPv6AddressesSet      set[ipv6XML]         `xml:"ipv6AddressesSet"`
	InterfaceType         string               `xml:"interfaceType"`
	Operator              *operatorXML         `xml:"operator"`
}

type eniAttachmentXML struct {
	AttachmentID        string `xml:"attachmentId"`
	InstanceID          string `xml:"instanceId"`
	InstanceOwnerID     string `xml:"instanceOwnerId"`
	DeviceIndex         int    `xml:"deviceIndex"`
	NetworkCardIndex    int    `xml:"networkCardIndex"`
	Status              string `xml:"status"`
	AttachTime          string `xml:"attachTime"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
}

type associationXML struct {
	PublicIP      string `xml:"publicIp"`
	PublicDNSName string `xml:"publicDnsName"`
	IPOwnerID     string `xml:"ipOwnerId"`
}

type eniPrivateIPXML struct {
	PrivateIPAddress string          `xml:"privateIpAddress"`
	PrivateDNSName   string          `xml:"privateDnsName,omitempty"`
	Primary          bool            `xml:"primary"`
	Association      *associationXML `xml:"association"`
}

type ipv6XML struct {
	IPv6Address   string `xml:"ipv6Address"`
	IsPrimaryIPv6 bool   `xml:"isPrimaryIpv6"`
}

type operatorXML struct {
	Managed   bool   `xml:"managed"`
	Principal string `xml:"principal"`
}

// DescribeInstances

type describeInstancesResponse struct {
	XMLName   xml.Name            `xml:"DescribeInstancesResponse"`
	Xmlns     string              `xml:"xmlns,attr"`
	RequestID string              `xml:"requestId"`
	Set       set[reservationXML] `xml:"reservationSet"`
	NextToken string              `xml:"nextToken,omitempty"`
}

type reservationXML struct {
	ReservationID string           `xml:"reservationId"`
	OwnerID       string           `xml:"ownerId"`
	GroupSet      set[groupXML]    `xml:"groupSet"`
	InstancesSet  set[instanceXML] `xml:"instancesSet"`
}

type instanceXML struct {
	InstanceID          string              `xml:"instanceId"`
	ImageID             string              `xml:"imageId"`
	InstanceState       instanceStateXML    `xml:"instanceState"`
	PrivateDNSName      string              `xml:"privateDnsName"`
	DNSName             string              `xml:"dnsName"`
	Reason              string              `xml:"reason"`
	AmiLaunchIndex      int                 `xml:"amiLaunchIndex"`
	InstanceType        string              `xml:"instanceType"`
	LaunchTime          string              `xml:"launchTime"`
	Placement           placementXML        `xml:"placement"`
	Monitoring          monitoringXML       `xml:"monitoring"`
	SubnetID            string              `xml:"subnetId,omitempty"`
	VPCID               string              `xml:"vpcId,omitempty"`
	PrivateIPAddress    string              `xml:"privateIpAddress,omitempty"`
	IPAddress           string              `xml:"ipAddress,omitempty"`
	SourceDestCheck     bool                `xml:"sourceDestCheck"`
	GroupSet            set[groupXML]       `xml:"groupSet"`
	Architecture        string              `xml:"architecture"`
	RootDeviceType      string              `xml:"rootDeviceType"`
	RootDeviceName      string              `xml:"rootDeviceName"`
	VirtualizationType  string              `xml:"virtualizationType"`
	TagSet              set[tagXML]         `xml:"tagSet"`
	Hypervisor          string              `xml:"hypervisor"`
	NetworkInterfaceSet set[instanceENIXML] `xml:"networkInterfaceSet"`
	EbsOptimized        bool                `xml:"ebsOptimized"`
	EnaSupport          bool                `xml:"enaSupport"`
	Operator            *operatorXML        `xml:"operator"`
}

type instanceStateXML struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type placementXML struct {
	AvailabilityZone   string `xml:"availabilityZone"`
	AvailabilityZoneID string `xml:"availabilityZoneId,omitempty"`
	GroupName          string `xml:"groupName"`
	Tenancy            string `xml:"tenancy"`
}

type monitoringXML struct {
	State string `xml:"state"`
}

type instanceENIXML struct {
	NetworkInterfaceID    string                `xml:"networkInterfaceId"`
	SubnetID              string                `xml:"subnetId"`
	VPCID                 string                `xml:"vpcId"`
	Description           string                `xml:"description"`
	OwnerID               string                `xml:"ownerId"`
	Status                string                `xml:"status"`
	MacAddress            string                `xml:"macAddress"`
	PrivateIPAddress      string                `xml:"privateIpAddress,omitempty"`
	PrivateDNSName        string                `xml:"privateDnsName,omitempty"`
	SourceDestCheck       bool                  `xml:"sourceDestCheck"`
	GroupSet              set[groupXML]         `xml:"groupSet"`
	Attachment            instanceAttachmentXML `xml:"attachment"`
	Association           *associationXML       `xml:"association"`
	PrivateIPAddressesSet set[eniPrivateIPXML]  `xml:"privateIpAddressesSet"`
	IPv6AddressesSet      set[ipv6XML]          `xml:"ipv6AddressesSet"`
	InterfaceType         string                `xml:"interfaceType"`
}

type instanceAttachmentXML struct {
	AttachmentID        string `xml:"attachmentId"`
	DeviceIndex         int    `xml:"deviceIndex"`
	NetworkCardIndex    int    `xml:"networkCardIndex"`
	Status              string `xml:"status"`
	AttachTime          string `xml:"attachTime"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
}

// DescribeVpcs

type describeVpcsResponse struct {
	XMLName   xml.Name    `xml:"DescribeVpcsResponse"`
	Xmlns     string      `xml:"xmlns,attr"`
	RequestID string      `xml:"requestId"`
	Set       set[vpcXML] `xml:"vpcSet"`
	NextToken string      `xml:"nextToken,omitempty"`
}

type vpcXML struct {
	VPCID                       string                  `xml:"vpcId"`
	OwnerID                     string                  `xml:"ownerId"`
	State                       string                  `xml:"state"`
	CIDRBlock                   string                  `xml:"cidrBlock"`
	CIDRBlockAssociationSet     set[cidrAssociationXML] `xml:"cidrBlockAssociationSet"`
	IPv6CIDRBlockAssociationSet set[ipv6AssociationXML] `xml:"ipv6CidrBlockAssociationSet"`
	DHCPOptionsID               string                  `xml:"dhcpOptionsId"`
	TagSet                      set[tagXML]             `xml:"tagSet"`
	InstanceTenancy             string                  `xml:"instanceTenancy"`
	IsDefault                   bool                    `xml:"isDefault"`
}

type cidrAssociationXML struct {
	CIDRBlock      string       `xml:"cidrBlock"`
	AssociationID  string       `xml:"associationId"`
	CIDRBlockState cidrStateXML `xml:"cidrBlockState"`
}

type ipv6AssociationXML struct {
	IPv6CIDRBlock      string       `xml:"ipv6CidrBlock"`
	AssociationID      string       `xml:"associationId"`
	IPv6CIDRBlockState cidrStateXML `xml:"ipv6CidrBlockState"`
	NetworkBorderGroup string       `xml:"networkBorderGroup,omitempty"`
	IPv6Pool           string       `xml:"ipv6Pool,omitempty"`
}

type cidrStateXML struct {
	State string `xml:"state"`
}

// DescribeSubnets

type describeSubnetsResponse struct {
	XMLName   xml.Name       `xml:"DescribeSubnetsResponse"`
	Xmlns     string         `xml:"xmlns,attr"`
	RequestID string         `xml:"requestId"`
	Set       set[subnetXML] `xml:"subnetSet"`
	NextToken string         `xml:"nextToken,omitempty"`
}

type subnetXML struct {
	SubnetID                    string                  `xml:"subnetId"`
	SubnetArn                   string                  `xml:"subnetArn"`
	State                       string                  `xml:"state"`
	OwnerID                     string                  `xml:"ownerId"`
	VPCID                       string                  `xml:"vpcId"`
	CIDRBlock                   string                  `xml:"cidrBlock"`
	IPv6CIDRBlockAssociationSet set[ipv6AssociationXML] `xml:"ipv6CidrBlockAssociationSet"`
	AvailableIPAddressCount     int                     `xml:"availableIpAddressCount"`
	AvailabilityZone            string                  `xml:"availabilityZone"`
	AvailabilityZoneID          string                  `xml:"availabilityZoneId"`
	DefaultForAz                bool                    `xml:"defaultForAz"`
	MapPublicIPOnLaunch         bool                    `xml:"mapPublicIpOnLaunch"`
	AssignIPv6AddressOnCreation bool                    `xml:"assignIpv6AddressOnCreation"`
	TagSet                      set[tagXML]             `xml:"tagSet"`
}

// DescribeRouteTables

type describeRouteTablesResponse struct {
	XMLName   xml.Name           `xml:"DescribeRouteTablesResponse"`
	Xmlns     string             `xml:"xmlns,attr"`
	RequestID string             `xml:"requestId"`
	Set       set[routeTableXML] `xml:"routeTableSet"`
	NextToken string             `xml:"nextToken,omitempty"`
}

type routeTableXML struct {
	RouteTableID      string                `xml:"routeTableId"`
	VPCID             string                `xml:"vpcId"`
	OwnerID           string                `xml:"ownerId"`
	RouteSet          set[routeXML]         `xml:"routeSet"`
	AssociationSet    set[rtAssociationXML] `xml:"associationSet"`
	PropagatingVgwSet set[struct{}]         `xml:"propagatingVgwSet"`
	TagSet            set[tagXML]           `xml:"tagSet"`
}

type routeXML struct {
	DestinationCIDRBlock     string `xml:"destinationCidrBlock,omitempty"`
	DestinationIPv6CIDRBlock string `xml:"destinationIpv6CidrBlock,omitempty"`
	GatewayID                string `xml:"gatewayId"`
	State                    string `xml:"state"`
	Origin                   string `xml:"origin"`
}

type rtAssociationXML struct {
	RouteTableAssociationID string       `xml:"routeTableAssociationId"`
	RouteTableID            string       `xml:"routeTableId"`
	SubnetID                string       `xml:"subnetId,omitempty"`
	Main                    bool         `xml:"main"`
	AssociationState        cidrStateXML `xml:"associationState"`
}

// STS

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

type assumeRoleResponse struct {
	XMLName          xml.Name         `xml:"AssumeRoleResponse"`
	Xmlns            string           `xml:"xmlns,attr"`
	AssumeRoleResult assumeRoleResult `xml:"AssumeRoleResult"`
	RequestID        string           `xml:"ResponseMetadata>RequestId"`
}

type assumeRoleResult struct {
	AssumedRoleUser  assumedRoleUserXML `xml:"AssumedRoleUser"`
	Credentials      credentialsXML     `xml:"Credentials"`
	PackedPolicySize int                `xml:"PackedPolicySize"`
}

type assumedRoleUserXML struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type stsErrorResponse struct {
	XMLName   xml.Name    `xml:"ErrorResponse"`
	Xmlns     string      `xml:"xmlns,attr"`
	Error     stsErrorXML `xml:"Error"`
	RequestID string      `xml:"RequestId"`
}

type stsErrorXML struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}
