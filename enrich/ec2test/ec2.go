package ec2test

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowhec/flowhec/enrich/inventory"
)

// ec2Time is how EC2 writes timestamps.
const ec2Time = "2006-01-02T15:04:05.000Z"

// call is one EC2 request being answered.
type call struct {
	action  string
	account string
	region  string
	form    url.Values
}

// serveEC2 answers one EC2 Query request: authenticate, count, maybe fail
// on purpose, then describe.
func (s *Server) serveEC2(w http.ResponseWriter, r *http.Request, form url.Values, key, region string) {
	action := form.Get("Action")
	s.mu.Lock()
	p, fault := s.authenticateLocked(key, r.Header.Get("X-Amz-Security-Token"), time.Now())
	c := call{action: action, account: p.account, region: region, form: form}
	if fault != nil {
		c.account = ""
	}
	s.countLocked(c.account, region, action)
	if fault == nil {
		if f, ok := s.pickLocked(c.account, region, action); ok {
			ff := f.resolve(p.arn, action)
			fault = &ff
		}
	}
	var body any
	if fault == nil {
		body, fault = s.describeLocked(c, p)
	}
	req := Request{Action: action, Account: c.account, Region: region, Form: cloneValues(form)}
	if fault != nil {
		req.Fault = fault.Code
		s.faults.failed++
		if fault.Code == Throttle.Code {
			s.faults.throttled++
		}
	}
	s.recordLocked(req)
	id := s.requestIDLocked()
	s.mu.Unlock()

	if fault != nil {
		s.logf("ec2test: %s %s %s: %d %s", c.account, region, action, fault.Status, fault.Code)
		s.ec2Error(w, id, *fault)
		return
	}
	s.logf("ec2test: %s %s %s: 200", c.account, region, action)
	setRequestID(body, id)
	writeXML(w, http.StatusOK, body)
}

func (s *Server) ec2Error(w http.ResponseWriter, requestID string, f ec2Fault) {
	writeXML(w, f.Status, errorResponse{
		Errors:    []errXML{{Code: f.Code, Message: f.Message}},
		RequestID: requestID,
	})
}

func setRequestID(body any, id string) {
	switch b := body.(type) {
	case *describeNetworkInterfacesResponse:
		b.RequestID = id
	case *describeInstancesResponse:
		b.RequestID = id
	case *describeVpcsResponse:
		b.RequestID = id
	case *describeSubnetsResponse:
		b.RequestID = id
	case *describeRouteTablesResponse:
		b.RequestID = id
	}
}

func invalid(format string, args ...any) *ec2Fault {
	f := Fault{Code: "InvalidParameterValue", Message: fmt.Sprintf(format, args...)}.resolve("", "")
	return &f
}

func fault(code, format string, args ...any) *ec2Fault {
	f := Fault{Code: code, Message: fmt.Sprintf(format, args...)}.resolve("", "")
	return &f
}

// describeLocked checks the parameters every Describe action shares and
// answers the action.
func (s *Server) describeLocked(c call, p principal) (any, *ec2Fault) {
	switch v := c.form.Get("Version"); v {
	case EC2Version:
	case "":
		return nil, fault("MissingParameter", "The request must contain the parameter Version")
	default:
		return nil, fault("NoSuchVersion", "An invalid or unsupported API version was specified: %s", v)
	}
	maxAllowed := 1000
	var ids []string
	switch c.action {
	case "DescribeNetworkInterfaces":
		ids = listParam(c.form, "NetworkInterfaceId")
	case "DescribeInstances":
		ids = listParam(c.form, "InstanceId")
	case "DescribeVpcs":
		ids = listParam(c.form, "VpcId")
	case "DescribeSubnets":
		ids = listParam(c.form, "SubnetId")
	case "DescribeRouteTables":
		ids = listParam(c.form, "RouteTableId")
		maxAllowed = 100
	default:
		return nil, fault("InvalidAction", "The action %s is not valid for this web service.", c.action)
	}
	if c.form.Get("DryRun") == "true" {
		return nil, fault("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
	}
	pg := paging{action: c.action}
	if v := c.form.Get("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 5 || n > maxAllowed {
			return nil, invalid("Value ( %s ) for parameter maxResults is invalid. Expecting a value between 5 and %d.", v, maxAllowed)
		}
		if len(ids) > 0 {
			return nil, fault("InvalidParameterCombination", "The parameter MaxResults cannot be used with the parameter %s", idParamName(c.action))
		}
		pg.max = n
	}
	if v := c.form.Get("NextToken"); v != "" {
		off, ok := decodeToken(v, c.action)
		if !ok {
			return nil, invalid("The specified NextToken is not valid.")
		}
		pg.offset = off
	}
	filters, f := parseFilters(c.form)
	if f != nil {
		return nil, f
	}
	includeManaged := c.form.Get("IncludeManagedResources") == "true"
	switch c.action {
	case "DescribeNetworkInterfaces":
		return s.describeENIsLocked(c, filters, ids, pg, includeManaged)
	case "DescribeInstances":
		return s.describeInstancesLocked(c, filters, ids, pg, includeManaged)
	case "DescribeVpcs":
		return s.describeVpcsLocked(c, filters, ids, pg)
	case "DescribeSubnets":
		return s.describeSubnetsLocked(c, filters, ids, pg)
	default:
		return s.describeRouteTablesLocked(c, filters, ids, pg)
	}
}

func idParamName(action string) string {
	switch action {
	case "DescribeNetworkInterfaces":
		return "NetworkInterfaceIds"
	case "DescribeInstances":
		return "InstanceIds"
	case "DescribeVpcs":
		return "VpcIds"
	case "DescribeSubnets":
		return "SubnetIds"
	}
	return "RouteTableIds"
}

// listParam reads a flattened Query list: Name.1, Name.2, …
func listParam(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[name+"."+strconv.Itoa(i)]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}

// filter is one Filter.N of a request: the resource matches when one of
// its values for Name matches one of Values (which may hold * and ?).
type filter struct {
	name   string
	values []string
}

func parseFilters(form url.Values) ([]filter, *ec2Fault) {
	var out []filter
	for i := 1; ; i++ {
		p := "Filter." + strconv.Itoa(i)
		name := form.Get(p + ".Name")
		if name == "" {
			if _, ok := form[p+".Value.1"]; ok {
				return nil, invalid("The filter 'null' is invalid")
			}
			return out, nil
		}
		vals := listParam(form, p+".Value")
		if len(vals) == 0 {
			return nil, invalid("The filter '%s' has no values", name)
		}
		out = append(out, filter{name, vals})
	}
}

// attrs gives a resource's values for a filter name, and whether the
// name is a filter of the resource type.
type attrs func(name string) ([]string, bool)

// matches reports whether every filter matches.
func matches(filters []filter, a attrs) (bool, *ec2Fault) {
	for _, f := range filters {
		vals, ok := a(f.name)
		if !ok {
			return false, invalid("The filter '%s' is invalid", f.name)
		}
		if !anyMatch(f.values, vals) {
			return false, nil
		}
	}
	return true, nil
}

func anyMatch(patterns, vals []string) bool {
	for _, p := range patterns {
		for _, v := range vals {
			if glob(p, v) {
				return true
			}
		}
	}
	return false
}

// glob matches EC2's filter wildcards: * any run of characters, ? one.
func glob(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if glob(p[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			p, s = p[1:], s[1:]
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return s == ""
}

// tagAttrs answers the filters every tagged resource has.
func tagAttrs(tags map[string]string, name string) ([]string, bool) {
	if k, ok := strings.CutPrefix(name, "tag:"); ok {
		if v, ok := tags[k]; ok {
			return []string{v}, true
		}
		return nil, true
	}
	if name == "tag-key" {
		return slices.Sorted(maps.Keys(tags)), true
	}
	return nil, false
}

func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func addrs(as []netip.Addr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// paging is where a request starts and how many items it takes.
type paging struct {
	action string
	offset int
	max    int // 0: all
}

// page cuts the items of this request's page and the token of the next.
func page[T any](items []T, pg paging) ([]T, string) {
	if pg.offset > len(items) {
		pg.offset = len(items)
	}
	items = items[pg.offset:]
	if pg.max == 0 || len(items) <= pg.max {
		return items, ""
	}
	return items[:pg.max], encodeToken(pg.action, pg.offset+pg.max)
}

// Tokens are opaque to clients; they say where the next page starts and
// for which action, so that a token of one action is refused by another.
func encodeToken(action string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(action + ":" + strconv.Itoa(offset)))
}

func decodeToken(tok, action string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	a, n, ok := strings.Cut(string(b), ":")
	off, err := strconv.Atoi(n)
	return off, ok && err == nil && a == action && off >= 0
}

// notFound answers IDs asked for that do not exist, as EC2 does.
func notFound(action string, missing []string) *ec2Fault {
	var code, noun string
	switch action {
	case "DescribeNetworkInterfaces":
		code, noun = "InvalidNetworkInterfaceID.NotFound", "networkInterface"
	case "DescribeInstances":
		code, noun = "InvalidInstanceID.NotFound", "instance"
	case "DescribeVpcs":
		code, noun = "InvalidVpcID.NotFound", "vpc"
	case "DescribeSubnets":
		code, noun = "InvalidSubnetID.NotFound", "subnet"
	default:
		code, noun = "InvalidRouteTableID.NotFound", "route table"
	}
	if len(missing) == 1 {
		return fault(code, "The %s ID '%s' does not exist", noun, missing[0])
	}
	return fault(code, "The %s IDs '%s' do not exist", noun, strings.Join(missing, ", "))
}

// selectIDs keeps the resources whose ID is in ids (all when ids is empty)
// and reports the IDs that matched nothing.
func selectIDs[T any](items []T, id func(*T) string, ids []string) ([]T, []string) {
	if len(ids) == 0 {
		return items, nil
	}
	want := map[string]bool{}
	for _, x := range ids {
		want[x] = false
	}
	var out []T
	for i := range items {
		if _, ok := want[id(&items[i])]; ok {
			want[id(&items[i])] = true
			out = append(out, items[i])
		}
	}
	var missing []string
	for _, x := range ids {
		if !want[x] {
			missing = append(missing, x)
		}
	}
	return out, missing
}

func (s *Server) describeENIsLocked(c call, filters []filter, ids []string, pg paging, includeManaged bool) (any, *ec2Fault) {
	var all []inventory.NetworkInterface
	for _, ni := range s.inv.NetworkInterfaces {
		if ni.AccountID == c.account && ni.Region == c.region && (includeManaged || !s.managed[ni.NetworkInterfaceID]) {
			all = append(all, ni)
		}
	}
	all, missing := selectIDs(all, func(n *inventory.NetworkInterface) string { return n.NetworkInterfaceID }, ids)
	if len(missing) > 0 {
		return nil, notFound(c.action, missing)
	}
	var sel []inventory.NetworkInterface
	for i := range all {
		ok, f := matches(filters, eniAttrs(&all[i]))
		if f != nil {
			return nil, f
		}
		if ok {
			sel = append(sel, all[i])
		}
	}
	items, next := page(sel, pg)
	out := &describeNetworkInterfacesResponse{Xmlns: ec2Namespace, NextToken: next}
	out.Set.Items = make([]eniXML, 0, len(items))
	for i := range items {
		out.Set.Items = append(out.Set.Items, s.eniXML(&items[i]))
	}
	return out, nil
}

func eniAttrs(ni *inventory.NetworkInterface) attrs {
	return func(name string) ([]string, bool) {
		switch name {
		case "network-interface-id":
			return one(ni.NetworkInterfaceID), true
		case "vpc-id":
			return one(ni.VPCID), true
		case "subnet-id":
			return one(ni.SubnetID), true
		case "availability-zone":
			return one(ni.AvailabilityZone), true
		case "owner-id":
			return one(ni.AccountID), true
		case "status":
			return one(ni.Status), true
		case "interface-type":
			return one(ni.InterfaceType), true
		case "description":
			return []string{ni.Description}, true
		case "requester-id":
			return one(ni.RequesterID), true
		case "requester-managed":
			return []string{strconv.FormatBool(ni.RequesterManaged)}, true
		case "addresses.private-ip-address", "private-ip-address":
			return addrs(ni.PrivateIPAddresses), true
		case "ipv6-addresses.ipv6-address":
			return addrs(ni.IPv6Addresses), true
		case "association.public-ip":
			if ni.PublicIP.IsValid() {
				return []string{ni.PublicIP.String()}, true
			}
			return nil, true
		case "attachment.instance-id":
			if ni.Attachment != nil {
				return one(ni.Attachment.InstanceID), true
			}
			return nil, true
		case "attachment.status":
			if ni.Attachment != nil {
				return one(ni.Attachment.Status), true
			}
			return nil, true
		case "group-id", "group-name":
			var out []string
			for _, g := range ni.SecurityGroups {
				if name == "group-id" {
					out = append(out, g.GroupID)
				} else {
					out = append(out, g.GroupName)
				}
			}
			return out, true
		}
		return tagAttrs(ni.Tags, name)
	}
}

func (s *Server) eniXML(ni *inventory.NetworkInterface) eniXML {
	x := eniXML{
		NetworkInterfaceID: ni.NetworkInterfaceID,
		SubnetID:           ni.SubnetID,
		VPCID:              ni.VPCID,
		AvailabilityZone:   ni.AvailabilityZone,
		AvailabilityZoneID: ni.AvailabilityZoneID,
		Description:        ni.Description,
		OwnerID:            ni.AccountID,
		RequesterID:        ni.RequesterID,
		RequesterManaged:   ni.RequesterManaged,
		Status:             ni.Status,
		MacAddress:         mac(ni.NetworkInterfaceID),
		SourceDestCheck:    ni.InterfaceType != "nat_gateway",
		GroupSet:           groups(ni.SecurityGroups),
		TagSet:             tags(ni.Tags),
		InterfaceType:      ni.InterfaceType,
	}
	assoc := association(ni.PublicIP, ni.Region)
	if len(ni.PrivateIPAddresses) > 0 {
		x.PrivateIPAddress = ni.PrivateIPAddresses[0].String()
		x.PrivateDNSName = privateDNS(ni.PrivateIPAddresses[0], ni.Region)
		x.Association = assoc
	}
	x.PrivateIPAddressesSet = privateIPs(ni.PrivateIPAddresses, ni.Region, assoc)
	x.IPv6AddressesSet = ipv6s(ni.IPv6Addresses)
	if a := ni.Attachment; a != nil {
		x.Attachment = &eniAttachmentXML{
			AttachmentID:        "eni-attach-" + hexID(ni.NetworkInterfaceID, 17),
			InstanceID:          a.InstanceID,
			InstanceOwnerID:     ni.AccountID,
			DeviceIndex:         a.DeviceIndex,
			Status:              a.Status,
			AttachTime:          a.AttachTime.UTC().Format(ec2Time),
			DeleteOnTermination: a.DeleteOnTerm,
		}
	}
	if s.managed[ni.NetworkInterfaceID] {
		x.Operator = &operatorXML{Managed: true, Principal: "eks.amazonaws.com"}
	}
	return x
}

func privateIPs(as []netip.Addr, region string, primaryAssoc *associationXML) set[eniPrivateIPXML] {
	out := set[eniPrivateIPXML]{Items: make([]eniPrivateIPXML, 0, len(as))}
	for i, a := range as {
		p := eniPrivateIPXML{PrivateIPAddress: a.String(), PrivateDNSName: privateDNS(a, region), Primary: i == 0}
		if i == 0 {
			p.Association = primaryAssoc
		}
		out.Items = append(out.Items, p)
	}
	return out
}

func ipv6s(as []netip.Addr) set[ipv6XML] {
	out := set[ipv6XML]{Items: make([]ipv6XML, 0, len(as))}
	for _, a := range as {
		out.Items = append(out.Items, ipv6XML{IPv6Address: a.String()})
	}
	return out
}

func association(public netip.Addr, region string) *associationXML {
	if !public.Is4() {
		return nil // EC2's public addresses are IPv4
	}
	b := public.As4()
	return &associationXML{
		PublicIP:      public.String(),
		PublicDNSName: fmt.Sprintf("ec2-%d-%d-%d-%d.%s", b[0], b[1], b[2], b[3], computeDomain(region)),
		IPOwnerID:     "amazon",
	}
}

func computeDomain(region string) string {
	if region == "us-east-1" {
		return "compute-1.amazonaws.com"
	}
	return region + ".compute.amazonaws.com"
}

func privateDNS(a netip.Addr, region string) string {
	if !a.Is4() {
		return ""
	}
	b := a.As4()
	if region == "us-east-1" {
		return fmt.Sprintf("ip-%d-%d-%d-%d.ec2.internal", b[0], b[1], b[2], b[3])
	}
	return fmt.Sprintf("ip-%d-%d-%d-%d.%s.compute.internal", b[0], b[1], b[2], b[3], region)
}

func groups(gs []inventory.SecurityGroup) set[groupXML] {
	out := set[groupXML]{Items: make([]groupXML, 0, len(gs))}
	for _, g := range gs {
		out.Items = append(out.Items, groupXML{GroupID: g.GroupID, GroupName: g.GroupName})
	}
	return out
}

// tags writes a tag map as EC2 lists tags, by key.
func tags(m map[string]string) set[tagXML] {
	out := set[tagXML]{Items: make([]tagXML, 0, len(m))}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out.Items = append(out.Items, tagXML{Key: k, Value: m[k]})
	}
	return out
}

// hexID derives a stable hexadecimal ID of n digits from seed, for the IDs
// the inventory does not carry (attachments, reservations, route tables).
func hexID(seed string, n int) string {
	h := fnv.New64a()
	h.Write([]byte(seed))
	s := fmt.Sprintf("%016x%016x", h.Sum64(), h.Sum64()^0x9e3779b97f4a7c15)
	return s[:n]
}

func mac(id string) string {
	h := hexID(id, 10)
	return "02:" + h[0:2] + ":" + h[2:4] + ":" + h[4:6] + ":" + h[6:8] + ":" + h[8:10]
}

func (s *Server) describeInstancesLocked(c call, filters []filter, ids []string, pg paging, includeManaged bool) (any, *ec2Fault) {
	var all []inventory.Instance
	for _, in := range s.inv.Instances {
		if in.AccountID == c.account && in.Region == c.region && (includeManaged || !s.managed[in.InstanceID]) {
			all = append(all, in)
		}
	}
	all, missing := selectIDs(all, func(in *inventory.Instance) string { return in.InstanceID }, ids)
	if len(missing) > 0 {
		return nil, notFound(c.action, missing)
	}
	var sel []inventory.Instance
	for i := range all {
		ok, f := matches(filters, instanceAttrs(&all[i]))
		if f != nil {
			return nil, f
		}
		if ok {
			sel = append(sel, all[i])
		}
	}
	items, next := page(sel, pg)
	out := &describeInstancesResponse{Xmlns: ec2Namespace, NextToken: next}
	out.Set.Items = make([]reservationXML, 0, len(items))
	for i := range items {
		out.Set.Items = append(out.Set.Items, s.reservationXML(&items[i]))
	}
	return out, nil
}

func instanceAttrs(in *inventory.Instance) attrs {
	return func(name string) ([]string, bool) {
		switch name {
		case "instance-id":
			return one(in.InstanceID), true
		case "vpc-id":
			return one(in.VPCID), true
		case "subnet-id":
			return one(in.SubnetID), true
		case "availability-zone":
			return one(in.AvailabilityZone), true
		case "instance-type":
			return one(in.InstanceType), true
		case "instance-state-name":
			return one(in.State), true
		case "owner-id":
			return one(in.AccountID), true
		case "private-ip-address":
			if in.PrivateIPAddress.IsValid() {
				return []string{in.PrivateIPAddress.String()}, true
			}
			return nil, true
		case "ip-address":
			if in.PublicIPAddress.IsValid() {
				return []string{in.PublicIPAddress.String()}, true
			}
			return nil, true
		case "network-interface.network-interface-id":
			return in.NetworkInterfaces, true
		}
		return tagAttrs(in.Tags, name)
	}
}

// stateCodes are EC2's codes of the instance states.
var stateCodes = map[string]int{
	"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80,
}

func (s *Server) reservationXML(in *inventory.Instance) reservationXML {
	x := instanceXML{
		InstanceID:         in.InstanceID,
		ImageID:            "ami-" + hexID(in.InstanceType, 17),
		InstanceState:      instanceStateXML{Code: stateCodes[in.State], Name: in.State},
		InstanceType:       in.InstanceType,
		LaunchTime:         in.LaunchTime.UTC().Format(ec2Time),
		Placement:          placementXML{AvailabilityZone: in.AvailabilityZone, Tenancy: "default"},
		Monitoring:         monitoringXML{State: "disabled"},
		SubnetID:           in.SubnetID,
		VPCID:              in.VPCID,
		SourceDestCheck:    true,
		Architecture:       "x86_64",
		RootDeviceType:     "ebs",
		RootDeviceName:     "/dev/xvda",
		VirtualizationType: "hvm",
		TagSet:             tags(in.Tags),
		Hypervisor:         "xen",
		EbsOptimized:       true,
		EnaSupport:         true,
	}
	if in.PrivateIPAddress.IsValid() {
		x.PrivateIPAddress = in.PrivateIPAddress.String()
		x.PrivateDNSName = privateDNS(in.PrivateIPAddress, in.Region)
	}
	if in.PublicIPAddress.IsValid() {
		x.IPAddress = in.PublicIPAddress.String()
		x.DNSName = association(in.PublicIPAddress, in.Region).PublicDNSName
	}
	if in.State != "running" && in.State != "pending" {
		x.Reason = "User initiated"
	}
	x.NetworkInterfaceSet.Items = []instanceENIXML{}
	for _, id := range in.NetworkInterfaces {
		ni := s.inv.InterfaceByID(id)
		if ni == nil {
			continue
		}
		e := instanceENIXML{
			NetworkInterfaceID: ni.NetworkInterfaceID,
			SubnetID:           ni.SubnetID,
			VPCID:              ni.VPCID,
			Description:        ni.Description,
			OwnerID:            ni.AccountID,
			Status:             ni.Status,
			MacAddress:         mac(ni.NetworkInterfaceID),
			SourceDestCheck:    true,
			GroupSet:           groups(ni.SecurityGroups),
			Association:        association(ni.PublicIP, ni.Region),
			IPv6AddressesSet:   ipv6s(ni.IPv6Addresses),
			InterfaceType:      ni.InterfaceType,
		}
		if len(ni.PrivateIPAddresses) > 0 {
			e.PrivateIPAddress = ni.PrivateIPAddresses[0].String()
			e.PrivateDNSName = privateDNS(ni.PrivateIPAddresses[0], ni.Region)
		}
		e.PrivateIPAddressesSet = privateIPs(ni.PrivateIPAddresses, ni.Region, e.Association)
		if a := ni.Attachment; a != nil {
			e.Attachment = instanceAttachmentXML{
				AttachmentID:        "eni-attach-" + hexID(ni.NetworkInterfaceID, 17),
				DeviceIndex:         a.DeviceIndex,
				Status:              a.Status,
				AttachTime:          a.AttachTime.UTC().Format(ec2Time),
				DeleteOnTermination: a.DeleteOnTerm,
			}
			if a.DeviceIndex == 0 {
				x.GroupSet = e.GroupSet
			}
		}
		x.NetworkInterfaceSet.Items = append(x.NetworkInterfaceSet.Items, e)
	}
	if s.managed[in.InstanceID] {
		x.Operator = &operatorXML{Managed: true, Principal: "eks.amazonaws.com"}
	}
	return reservationXML{
		ReservationID: "r-" + hexID(in.InstanceID, 17),
		OwnerID:       in.AccountID,
		GroupSet:      set[groupXML]{Items: []groupXML{}},
		InstancesSet:  set[instanceXML]{Items: []instanceXML{x}},
	}
}

func (s *Server) describeVpcsLocked(c call, filters []filter, ids []string, pg paging) (any, *ec2Fault) {
	var all []inventory.VPC
	for _, v := range s.inv.VPCs {
		if v.AccountID == c.account && v.Region == c.region {
			all = append(all, v)
		}
	}
	all, missing := selectIDs(all, func(v *inventory.VPC) string { return v.VPCID }, ids)
	if len(missing) > 0 {
		return nil, notFound(c.action, missing)
	}
	var sel []inventory.VPC
	for i := range all {
		v := &all[i]
		ok, f := matches(filters, func(name string) ([]string, bool) {
			switch name {
			case "vpc-id":
				return one(v.VPCID), true
			case "owner-id":
				return one(v.AccountID), true
			case "state":
				return []string{"available"}, true
			case "cidr", "cidr-block-association.cidr-block":
				return []string{v.CIDRBlock.String()}, true
			case "ipv6-cidr-block-association.ipv6-cidr-block":
				if v.IPv6CIDRBlock.IsValid() {
					return []string{v.IPv6CIDRBlock.String()}, true
				}
				return nil, true
			}
			return tagAttrs(v.Tags, name)
		})
		if f != nil {
			return nil, f
		}
		if ok {
			sel = append(sel, *v)
		}
	}
	items, next := page(sel, pg)
	out := &describeVpcsResponse{Xmlns: ec2Namespace, NextToken: next}
	out.Set.Items = make([]vpcXML, 0, len(items))
	for _, v := range items {
		x := vpcXML{
			VPCID:     v.VPCID,
			OwnerID:   v.AccountID,
			State:     "available",
			CIDRBlock: v.CIDRBlock.String(),
			CIDRBlockAssociationSet: set[cidrAssociationXML]{Items: []cidrAssociationXML{{
				CIDRBlock: v.CIDRBlock.String(), AssociationID: "vpc-cidr-assoc-" + hexID(v.VPCID, 17),
				CIDRBlockState: cidrStateXML{State: "associated"},
			}}},
			IPv6CIDRBlockAssociationSet: set[ipv6AssociationXML]{Items: []ipv6AssociationXML{}},
			DHCPOptionsID:               "dopt-" + hexID(v.AccountID+v.Region, 17),
			TagSet:                      tags(v.Tags),
			InstanceTenancy:             "default",
		}
		if v.IPv6CIDRBlock.IsValid() {
			x.IPv6CIDRBlockAssociationSet.Items = append(x.IPv6CIDRBlockAssociationSet.Items, ipv6AssociationXML{
				IPv6CIDRBlock: v.IPv6CIDRBlock.String(), AssociationID: "vpc-cidr-assoc-" + hexID(v.VPCID+"6", 17),
				IPv6CIDRBlockState: cidrStateXML{State: "associated"}, NetworkBorderGroup: v.Region, IPv6Pool: "Amazon",
			})
		}
		out.Set.Items = append(out.Set.Items, x)
	}
	return out, nil
}

func (s *Server) describeSubnetsLocked(c call, filters []filter, ids []string, pg paging) (any, *ec2Fault) {
	var all []inventory.Subnet
	for _, sn := range s.inv.Subnets {
		if sn.AccountID == c.account && sn.Region == c.region {
			all = append(all, sn)
		}
	}
	all, missing := selectIDs(all, func(sn *inventory.Subnet) string { return sn.SubnetID }, ids)
	if len(missing) > 0 {
		return nil, notFound(c.action, missing)
	}
	var sel []inventory.Subnet
	for i := range all {
		sn := &all[i]
		ok, f := matches(filters, func(name string) ([]string, bool) {
			switch name {
			case "subnet-id":
				return one(sn.SubnetID), true
			case "vpc-id":
				return one(sn.VPCID), true
			case "owner-id":
				return one(sn.AccountID), true
			case "availability-zone":
				return one(sn.AvailabilityZone), true
			case "availability-zone-id":
				return one(sn.AvailabilityZoneID), true
			case "cidr-block":
				return []string{sn.CIDRBlock.String()}, true
			case "state":
				return []string{"available"}, true
			case "map-public-ip-on-launch":
				return []string{strconv.FormatBool(sn.Public)}, true
			}
			return tagAttrs(sn.Tags, name)
		})
		if f != nil {
			return nil, f
		}
		if ok {
			sel = append(sel, *sn)
		}
	}
	items, next := page(sel, pg)
	out := &describeSubnetsResponse{Xmlns: ec2Namespace, NextToken: next}
	out.Set.Items = make([]subnetXML, 0, len(items))
	for _, sn := range items {
		x := subnetXML{
			SubnetID:                    sn.SubnetID,
			SubnetArn:                   "arn:aws:ec2:" + sn.Region + ":" + sn.AccountID + ":subnet/" + sn.SubnetID,
			State:                       "available",
			OwnerID:                     sn.AccountID,
			VPCID:                       sn.VPCID,
			CIDRBlock:                   sn.CIDRBlock.String(),
			IPv6CIDRBlockAssociationSet: set[ipv6AssociationXML]{Items: []ipv6AssociationXML{}},
			AvailabilityZone:            sn.AvailabilityZone,
			AvailabilityZoneID:          sn.AvailabilityZoneID,
			MapPublicIPOnLaunch:         sn.Public,
			TagSet:                      tags(sn.Tags),
		}
		if sn.CIDRBlock.IsValid() && sn.CIDRBlock.Addr().Is4() {
			x.AvailableIPAddressCount = 1<<(32-sn.CIDRBlock.Bits()) - 5 // AWS reserves five per subnet
		}
		if sn.IPv6CIDRBlock.IsValid() {
			x.IPv6CIDRBlockAssociationSet.Items = append(x.IPv6CIDRBlockAssociationSet.Items, ipv6AssociationXML{
				IPv6CIDRBlock: sn.IPv6CIDRBlock.String(), AssociationID: "subnet-cidr-assoc-" + hexID(sn.SubnetID, 17),
				IPv6CIDRBlockState: cidrStateXML{State: "associated"},
			})
		}
		out.Set.Items = append(out.Set.Items, x)
	}
	return out, nil
}

// routeTablesLocked derives the route tables of the account's VPCs in the
// region from the subnets' Public flag: each VPC has a main table with
// only its local routes, and a VPC with public subnets has one more table,
// associated with each of them, that routes 0.0.0.0/0 (and ::/0) to the
// VPC's internet gateway. Private subnets use the main table implicitly
// (no association), as in a VPC built by the console's wizard.
func (s *Server) routeTablesLocked(account, region string) []routeTableXML {
	var out []routeTableXML
	for _, v := range s.inv.VPCs {
		if v.AccountID != account || v.Region != region {
			continue
		}
		local := []routeXML{{DestinationCIDRBlock: v.CIDRBlock.String(), GatewayID: "local", State: "active", Origin: "CreateRouteTable"}}
		if v.IPv6CIDRBlock.IsValid() {
			local = append(local, routeXML{DestinationIPv6CIDRBlock: v.IPv6CIDRBlock.String(), GatewayID: "local", State: "active", Origin: "CreateRouteTable"})
		}
		mainID := "rtb-" + hexID(v.VPCID+"/main", 17)
		out = append(out, routeTableXML{
			RouteTableID: mainID, VPCID: v.VPCID, OwnerID: v.AccountID,
			RouteSet: set[routeXML]{Items: local},
			AssociationSet: set[rtAssociationXML]{Items: []rtAssociationXML{{
				RouteTableAssociationID: "rtbassoc-" + hexID(mainID, 17), RouteTableID: mainID, Main: true,
				AssociationState: cidrStateXML{State: "associated"},
			}}},
			PropagatingVgwSet: set[struct{}]{Items: []struct{}{}},
			TagSet:            tags(map[string]string{"Name": "main"}),
		})
		pubID := "rtb-" + hexID(v.VPCID+"/public", 17)
		pub := routeTableXML{
			RouteTableID: pubID, VPCID: v.VPCID, OwnerID: v.AccountID,
			AssociationSet:    set[rtAssociationXML]{Items: []rtAssociationXML{}},
			PropagatingVgwSet: set[struct{}]{Items: []struct{}{}},
			TagSet:            tags(map[string]string{"Name": "public"}),
		}
		igw := "igw-" + hexID(v.VPCID, 17)
		pub.RouteSet.Items = append(slices.Clone(local), routeXML{DestinationCIDRBlock: "0.0.0.0/0", GatewayID: igw, State: "active", Origin: "CreateRoute"})
		if v.IPv6CIDRBlock.IsValid() {
			pub.RouteSet.Items = append(pub.RouteSet.Items, routeXML{DestinationIPv6CIDRBlock: "::/0", GatewayID: igw, State: "active", Origin: "CreateRoute"})
		}
		for _, sn := range s.inv.Subnets {
			if sn.VPCID == v.VPCID && sn.Public {
				pub.AssociationSet.Items = append(pub.AssociationSet.Items, rtAssociationXML{
					RouteTableAssociationID: "rtbassoc-" + hexID(sn.SubnetID, 17), RouteTableID: pubID, SubnetID: sn.SubnetID,
					AssociationState: cidrStateXML{State: "associated"},
				})
			}
		}
		if len(pub.AssociationSet.Items) > 0 {
			out = append(out, pub)
		}
	}
	return out
}

func (s *Server) describeRouteTablesLocked(c call, filters []filter, ids []string, pg paging) (any, *ec2Fault) {
	all, missing := selectIDs(s.routeTablesLocked(c.account, c.region), func(rt *routeTableXML) string { return rt.RouteTableID }, ids)
	if len(missing) > 0 {
		return nil, notFound(c.action, missing)
	}
	var sel []routeTableXML
	for i := range all {
		rt := &all[i]
		ok, f := matches(filters, func(name string) ([]string, bool) {
			switch name {
			case "route-table-id":
				return one(rt.RouteTableID), true
			case "vpc-id":
				return one(rt.VPCID), true
			case "owner-id":
				return one(rt.OwnerID), true
			case "association.subnet-id":
				var out []string
				for _, a := range rt.AssociationSet.Items {
					if a.SubnetID != "" {
						out = append(out, a.SubnetID)
					}
				}
				return out, true
			case "association.main":
				for _, a := range rt.AssociationSet.Items {
					if a.Main {
						return []string{"true"}, true
					}
				}
				return []string{"false"}, true
			}
			var m map[string]string
			for _, t := range rt.TagSet.Items {
				if m == nil {
					m = map[string]string{}
				}
				m[t.Key] = t.Value
			}
			return tagAttrs(m, name)
		})
		if f != nil {
			return nil, f
		}
		if ok {
			sel = append(sel, *rt)
		}
	}
	items, next := page(sel, pg)
	return &describeRouteTablesResponse{Xmlns: ec2Namespace, Set: set[routeTableXML]{Items: items}, NextToken: next}, nil
}
