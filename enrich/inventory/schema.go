package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"
)

// Inventory is what owns each address of an account's VPCs, in the shape
// of EC2's Describe* answers with snake_case names: the static inventory
// file that enrichment reads to name the two ends of a flow. `flowhec
// inventory export` writes it from live AWS, and `flowhec gen` writes the
// inventory of the fleet it simulates, so its flow logs and inventory agree.
//
// Lists are in a fixed order (VPCs, subnets, interfaces and instances in
// the order they were created) so the JSON is stable from run to run.
type Inventory struct {
	// GeneratedBy names the program that wrote the file ("flowhec gen",
	// "flowhec inventory export").
	GeneratedBy       string             `json:"generated_by"`
	Accounts          []Account          `json:"accounts"`
	VPCs              []VPC              `json:"vpcs"`
	Subnets           []Subnet           `json:"subnets"`
	NetworkInterfaces []NetworkInterface `json:"network_interfaces"`
	Instances         []Instance         `json:"instances"`
}

// Account is an AWS account whose resources the inventory describes.
type Account struct {
	AccountID string `json:"account_id"`
	Name      string `json:"name,omitempty"`
}

// VPC is one VPC (ec2:DescribeVpcs).
type VPC struct {
	VPCID         string            `json:"vpc_id"`
	AccountID     string            `json:"account_id"`
	Region        string            `json:"region"`
	CIDRBlock     netip.Prefix      `json:"cidr_block"`
	IPv6CIDRBlock netip.Prefix      `json:"ipv6_cidr_block,omitzero"`
	Tags          map[string]string `json:"tags,omitempty"`
}

// Subnet is one subnet (ec2:DescribeSubnets). Public subnets route to an
// internet gateway; private ones reach the internet through the NAT gateway.
type Subnet struct {
	SubnetID           string            `json:"subnet_id"`
	VPCID              string            `json:"vpc_id"`
	AccountID          string            `json:"account_id"`
	Region             string            `json:"region"`
	AvailabilityZone   string            `json:"availability_zone"`
	AvailabilityZoneID string            `json:"availability_zone_id"`
	CIDRBlock          netip.Prefix      `json:"cidr_block"`
	IPv6CIDRBlock      netip.Prefix      `json:"ipv6_cidr_block,omitzero"`
	Public             bool              `json:"public"`
	Tags               map[string]string `json:"tags,omitempty"`
}

// NetworkInterface is one ENI (ec2:DescribeNetworkInterfaces): the unit a
// flow-log record is written for (its interface-id).
type NetworkInterface struct {
	NetworkInterfaceID string `json:"network_interface_id"`
	AccountID          string `json:"account_id"`
	Region             string `json:"region"`
	AvailabilityZone   string `json:"availability_zone"`
	AvailabilityZoneID string `json:"availability_zone_id"`
	VPCID              string `json:"vpc_id"`
	SubnetID           string `json:"subnet_id"`
	// InterfaceType is EC2's: interface, nat_gateway, lambda, vpc_endpoint,
	// network_load_balancer, gateway_load_balancer, efa, trunk, branch, …
	// (application load balancers, RDS and ECS tasks use "interface").
	InterfaceType string `json:"interface_type"`
	// Description is what AWS writes for the ENIs it creates, which is how
	// the owner of a requester-managed ENI is told: "ELB app/NAME/ID",
	// "ELB net/NAME/ID", "Interface for NAT Gateway nat-…",
	// "AWS Lambda VPC ENI-FUNCTION-UUID", "VPC Endpoint Interface vpce-…",
	// "RDSNetworkInterface", "arn:aws:ecs:REGION:ACCOUNT:attachment/UUID".
	Description string `json:"description"`
	// RequesterID is the service or principal that created a
	// requester-managed ENI ("amazon-elb", "amazon-rds", …).
	RequesterID      string `json:"requester_id,omitempty"`
	RequesterManaged bool   `json:"requester_managed"`
	Status           string `json:"status"`
	// PrivateIPAddresses lists the private IPv4 addresses, the primary first.
	PrivateIPAddresses []netip.Addr      `json:"private_ip_addresses"`
	IPv6Addresses      []netip.Addr      `json:"ipv6_addresses,omitempty"`
	PublicIP           netip.Addr        `json:"public_ip,omitzero"`
	SecurityGroups     []SecurityGroup   `json:"security_groups"`
	Attachment         *Attachment       `json:"attachment,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
}

// SecurityGroup names a security group of an interface.
type SecurityGroup struct {
	GroupID   string `json:"group_id"`
	GroupName string `json:"group_name"`
}

// Attachment says which instance an interface is attached to. Interfaces
// of AWS services (load balancers, NAT gateways, Lambda, endpoints) have
// none.
type Attachment struct {
	InstanceID   string    `json:"instance_id"`
	DeviceIndex  int       `json:"device_index"`
	AttachTime   time.Time `json:"attach_time"`
	Status       string    `json:"status"`
	DeleteOnTerm bool      `json:"delete_on_termination"`
}

// Instance is one EC2 instance (ec2:DescribeInstances). Its Name and
// service tags are what enrichment shows for its addresses.
type Instance struct {
	InstanceID        string            `json:"instance_id"`
	AccountID         string            `json:"account_id"`
	Region            string            `json:"region"`
	AvailabilityZone  string            `json:"availability_zone"`
	VPCID             string            `json:"vpc_id"`
	SubnetID          string            `json:"subnet_id"`
	InstanceType      string            `json:"instance_type"`
	State             string            `json:"state"`
	LaunchTime        time.Time         `json:"launch_time"`
	PrivateIPAddress  netip.Addr        `json:"private_ip_address"`
	PublicIPAddress   netip.Addr        `json:"public_ip_address,omitzero"`
	NetworkInterfaces []string          `json:"network_interface_ids"`
	Tags              map[string]string `json:"tags"`
}

// WriteJSON writes the inventory as indented JSON.
func (inv *Inventory) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(inv)
}

// ReadInventory reads an inventory written by WriteJSON. It is strict: an
// unknown key is an error, so that a misspelt key is not silently ignored,
// and so is anything after the inventory's JSON object. It does not
// Validate; Load does.
func ReadInventory(r io.Reader) (*Inventory, error) {
	inv, err := decodeInventory(r)
	if err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	return inv, nil
}

func decodeInventory(r io.Reader) (*Inventory, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var inv Inventory
	if err := dec.Decode(&inv); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the inventory object at byte %d", dec.InputOffset())
	}
	return &inv, nil
}

// Load reads and validates the inventory file at path. Its errors name the
// file, the place in it where JSON decoding stopped, and what to do.
func Load(path string) (*Inventory, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load inventory: %w", err)
	}
	inv, err := decodeInventory(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("load inventory %s%s: %w; fix the file or write it again (flowhec inventory export, flowhec gen)", path, jsonPosition(raw, err), err)
	}
	if err := inv.Validate(); err != nil {
		return nil, fmt.Errorf("load inventory %s: %w", path, err)
	}
	return inv, nil
}

// jsonPosition is " line L, column C" for a JSON error that carries a byte
// offset into raw, or "".
func jsonPosition(raw []byte, err error) string {
	var off int64
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	default:
		return ""
	}
	if off > int64(len(raw)) {
		off = int64(len(raw))
	}
	before := raw[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf(" line %d, column %d", line, col)
}

// InterfaceByID returns the interface with the given ID, or nil.
func (inv *Inventory) InterfaceByID(id string) *NetworkInterface {
	for i := range inv.NetworkInterfaces {
		if inv.NetworkInterfaces[i].NetworkInterfaceID == id {
			return &inv.NetworkInterfaces[i]
		}
	}
	return nil
}

// InstanceByID returns the instance with the given ID, or nil.
func (inv *Inventory) InstanceByID(id string) *Instance {
	for i := range inv.Instances {
		if inv.Instances[i].InstanceID == id {
			return &inv.Instances[i]
		}
	}
	return nil
}

// InterfaceByAddr returns the interface holding the private address a, or
// nil.
func (inv *Inventory) InterfaceByAddr(a netip.Addr) *NetworkInterface {
	for i := range inv.NetworkInterfaces {
		ni := &inv.NetworkInterfaces[i]
		for _, p := range ni.PrivateIPAddresses {
			if p == a {
				return ni
			}
		}
		for _, p := range ni.IPv6Addresses {
			if p == a {
				return ni
			}
		}
	}
	return nil
}
