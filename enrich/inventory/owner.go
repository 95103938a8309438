package inventory

import (
	"slices"
	"strings"
	"time"
)

// Owner is what enrichment says about one address: the interface that
// held it at the time of a record, and what that interface belongs to.
// Every string is computed when the Index is built, so a lookup only
// returns a pointer; Owners are shared by every address and every reader
// and must not be modified.
//
// The fields become the per-side Splunk fields of DESIGN.md (src_… and
// dest_…): ENI → _eni, InstanceID → _instance_id, InstanceName →
// _instance_name, Service → _service, VPCID → _vpc_id, SubnetID →
// _subnet_id, AZ → _az, SecurityGroups → _security_groups, InterfaceType →
// _interface_type, Resource → _resource.
type Owner struct {
	ENI string
	// InstanceID is the instance the interface is attached to, if any.
	InstanceID string
	// InstanceName is the instance's Name tag.
	InstanceName string
	// Service is the first non-empty value of Config.ServiceTags, looked
	// up on the instance and then on the interface's own tags. An address
	// that no interface holds but a Config.Names prefix covers has that
	// prefix's name here and every other field empty.
	Service  string
	VPCID    string
	SubnetID string
	AZ       string
	// SecurityGroups is the interface's security group IDs, sorted and
	// joined with "," (no blanks): IDs rather than names because names
	// repeat from VPC to VPC while IDs are what rules and the console
	// show; sorted so that one set of groups is one value to count by;
	// one string so a lookup allocates nothing (Splunk splits it with
	// makemv delim=",").
	SecurityGroups string
	InterfaceType  string
	// Resource is what owns a requester-managed or service interface
	// ("elb:app/web-prod", "nat:nat-0abc…"); "" for an instance's own
	// interface. See the Resource function.
	Resource  string
	AccountID string
	Region    string
	// Since is when this interface started to hold the address, as far as
	// the History knows: the start of the interval the record's time fell
	// in. It is the zero Time when nothing says (no history and no
	// attachment time); enrichment then leaves _ip_owner_since out.
	Since time.Time
}

// describer turns an interface (and the instance it is attached to) into
// the Owner fields that do not depend on time.
type describer struct {
	serviceTags []string
}

func (d describer) describe(ni *NetworkInterface, inst *Instance) Owner {
	o := Owner{
		ENI:            ni.NetworkInterfaceID,
		VPCID:          ni.VPCID,
		SubnetID:       ni.SubnetID,
		AZ:             ni.AvailabilityZone,
		SecurityGroups: joinGroups(ni.SecurityGroups),
		InterfaceType:  normalType(ni.InterfaceType),
		Resource:       Resource(ni),
		AccountID:      ni.AccountID,
		Region:         ni.Region,
	}
	if ni.Attachment != nil {
		o.InstanceID = ni.Attachment.InstanceID
	}
	if inst != nil {
		o.InstanceName = inst.Tags["Name"]
		o.Service = d.service(inst.Tags)
	}
	if o.Service == "" {
		o.Service = d.service(ni.Tags)
	}
	return o
}

func (d describer) service(tags map[string]string) string {
	for _, k := range d.serviceTags {
		if v := tags[k]; v != "" {
			return v
		}
	}
	return ""
}

func joinGroups(gs []SecurityGroup) string {
	switch len(gs) {
	case 0:
		return ""
	case 1:
		return gs[0].GroupID
	}
	ids := make([]string, 0, len(gs))
	for _, g := range gs {
		if g.GroupID != "" {
			ids = append(ids, g.GroupID)
		}
	}
	slices.Sort(ids)
	return strings.Join(slices.Compact(ids), ",")
}
