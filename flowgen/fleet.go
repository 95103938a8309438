package flowgen

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/flowhec/flowhec/enrich/inventory"
)

// The simulated fleet: a three-zone VPC with a web tier behind an
// internet-facing application load balancer, two RDS databases, a memcached
// node, a metrics collector behind an internal network load balancer, a NAT
// gateway, a Lambda function, an SQS interface endpoint, an ECS task, a
// bastion and a backup host. Its IDs and addresses derive from the account,
// region and VPC, not from the seed, so one inventory fits every seed.

type ifaceKind uint8

const (
	kindInstance ifaceKind = iota
	kindALB
	kindNLB
	kindNAT
	kindLambda
	kindEndpoint
	kindRDS
	kindECSTask
)

type subnet struct {
	id, name   string
	cidr       netip.Prefix
	cidr6      netip.Prefix
	az, azID   string
	public     bool
	used       map[netip.Addr]bool
	allocCount uint64
}

// iface is one ENI: what its records carry and what the inventory says.
type iface struct {
	idx     int
	id      string
	kind    ifaceKind
	name    string // Name of the instance, or the resource owning the ENI
	service string // the instance's service tag
	sub     *subnet
	ip      netip.Addr
	ip6     netip.Addr
	public  netip.Addr
	// account is the account-id of its records: "unknown" for interfaces
	// that AWS services create in a service account (endpoints, NLBs).
	account    string
	instanceID string // "" when not attached to an instance
	resourceID string // "" unless the ENI belongs to a NAT gateway or endpoint
	ecs        *ecsMeta

	ifType, desc, requester string
	managed                 bool
	sgs                     []inventory.SecurityGroup
	tags                    map[string]string
	deviceIndex             int
	attachTime              time.Time
}

type ecsMeta struct {
	clusterARN, clusterName                   string
	containerInstanceARN, containerInstanceID string
	containerID, secondContainerID            string
	serviceName, taskDefARN, taskARN, taskID  string
}

type instance struct {
	id, name, service, typ string
	sub                    *subnet
	enis                   []*iface
	launch                 time.Time
}

type fleet struct {
	cfg       *Config
	vpcID     string
	vpc, vpc6 netip.Prefix
	resolver  netip.Addr

	igwID, natID, s3GatewayID, ddbGatewayID, sqsEndpointID string
	albName, nlbName                                       string

	subnets   []*subnet
	ifaces    []*iface
	instances []*instance

	albs, nlbs, webs, lambdas, sqsEndpoints []*iface
	nat, ordersDB, legacyDB, cache, clarity *iface
	bastion, ecsHost, ecsTask, backup       *iface
	// scanned are the interfaces with public addresses; timeKeepers the
	// instances that keep time with public NTP servers; dnsClients the
	// interfaces that send DNS queries.
	scanned, timeKeepers, dnsClients []*iface
}

func newFleet(cfg *Config) *fleet {
	acct, region := cfg.AccountID, cfg.Region
	f := &fleet{cfg: cfg, vpc: cfg.VPCCIDR}
	key := func(parts ...string) []string { return append([]string{acct, region, cfg.VPCCIDR.String()}, parts...) }
	f.vpcID = awsID("vpc", key()...)
	f.igwID = awsID("igw", key()...)
	f.natID = awsID("nat", key("nat")...)
	f.s3GatewayID = awsID("vpce", key("s3-gateway")...)
	f.ddbGatewayID = awsID("vpce", key("dynamodb-gateway")...)
	f.sqsEndpointID = awsID("vpce", key("sqs-interface")...)
	f.albName = "app/web-prod/" + hashHex(16, key("alb")...)
	f.nlbName = "net/metrics-ingest/" + hashHex(16, key("nlb")...)
	f.resolver = addr4(v4(f.vpc.Addr()) + 2)
	// A /56 of Amazon's IPv6 space; subnet i gets the i-th /64 of it.
	f.vpc6 = netip.PrefixFrom(inPrefix(vpcIPv6Pool, mix64(uint64(v4(f.vpc.Addr())))<<8), 56).Masked()

	zones := []string{"a", "b", "c"}
	azp := azIDPrefix(region)
	mkSubnet := func(i int, name string, zone int, public bool) *subnet {
		cidr := nthSubnet(f.vpc, i)
		b := f.vpc6.Addr().As16()
		b[7] = byte(i)
		s := &subnet{
			id:     awsID("subnet", key(name)...),
			name:   name,
			cidr:   cidr,
			cidr6:  netip.PrefixFrom(netip.AddrFrom16(b), 64),
			az:     region + zones[zone],
			azID:   fmt.Sprintf("%s-az%d", azp, zone+1),
			public: public,
			used:   map[netip.Addr]bool{},
		}
		f.subnets = append(f.subnets, s)
		return s
	}
	var pub, priv [3]*subnet
	for z := range 3 {
		pub[z] = mkSubnet(z, "public-"+zones[z], z, true)
	}
	for z := range 3 {
		priv[z] = mkSubnet(3+z, "private-"+zones[z], z, false)
	}
	// The zombie address decides clarity-collector's subnet: one of the
	// six above, or a seventh public one cut for it.
	clarityNet, clarityIP := pub[0], netip.Addr{}
	if cfg.Zombie.Enabled {
		clarityIP = cfg.Zombie.Target.Addr()
		sn := subnetOf(f.vpc, cfg.Zombie.Target.Addr())
		clarityNet = nil
		for _, s := range f.subnets {
			if s.cidr == sn {
				clarityNet = s
			}
		}
		if clarityNet == nil {
			i := int((v4(sn.Addr()) - v4(f.vpc.Addr())) >> (32 - sn.Bits()))
			clarityNet = mkSubnet(i, "metrics-a", 0, true)
		}
		clarityNet.used[cfg.Zombie.Target.Addr()] = true
	}

	sg := func(name string) inventory.SecurityGroup {
		return inventory.SecurityGroup{GroupID: awsID("sg", key(name)...), GroupName: name}
	}
	launch := cfg.Start.Add(-41 * 24 * time.Hour).Truncate(time.Hour)

	addIface := func(ifc *iface) *iface {
		ifc.idx = len(f.ifaces)
		ifc.id = awsID("eni", key(ifc.name, ifc.sub.name, fmt.Sprint(ifc.deviceIndex), ifc.desc)...)
		if !ifc.ip.IsValid() {
			ifc.ip = f.alloc(ifc.sub, ifc.id)
		}
		if ifc.account == "" {
			ifc.account = acct
		}
		if ifc.attachTime.IsZero() {
			ifc.attachTime = launch
		}
		f.ifaces = append(f.ifaces, ifc)
		return ifc
	}
	withV6 := func(ifc *iface) *iface {
		ifc.ip6 = inPrefix(ifc.sub.cidr6, mix64(uint64(ifc.idx)+0x51))
		return ifc
	}
	withEIP := func(ifc *iface) *iface {
		ifc.public = hostIn(elasticIPPool, &rng{s: mix64(uint64(v4(ifc.ip)))})
		return ifc
	}
	addInstance := func(name, service, typ string, sub *subnet, ip netip.Addr) *iface {
		inst := &instance{name: name, service: service, typ: typ, sub: sub, launch: launch}
		inst.id = awsID("i", key(name)...)
		eni := addIface(&iface{
			kind: kindInstance, name: name, service: service, sub: sub, ip: ip,
			instanceID: inst.id, ifType: "interface", desc: "Primary network interface",
			sgs: []inventory.SecurityGroup{sg(service + "-sg")},
		})
		inst.enis = append(inst.enis, eni)
		f.instances = append(f.instances, inst)
		return eni
	}

	// Internet-facing application load balancer, one node per zone.
	for z := range 3 {
		alb := addIface(&iface{
			kind: kindALB, name: "web-prod", sub: pub[z], ifType: "interface",
			desc: "ELB " + f.albName, requester: "amazon-elb", managed: true,
			sgs: []inventory.SecurityGroup{sg("web-prod-alb")},
		})
		f.albs = append(f.albs, withEIP(withV6(alb)))
	}
	f.nat = withEIP(addIface(&iface{
		kind: kindNAT, name: f.natID, sub: pub[0], ifType: "nat_gateway",
		desc: "Interface for NAT Gateway " + f.natID, managed: true, resourceID: f.natID,
	}))
	f.clarity = withEIP(addInstance("clarity-collector", "metrics", "c6i.large", clarityNet, clarityIP))
	f.cache = withEIP(addInstance("cache-01", "memcached", "r6i.large", pub[1], netip.Addr{}))
	f.bastion = withEIP(addInstance("bastion-01", "bastion", "t3.micro", pub[2], netip.Addr{}))
	for i := range 4 {
		web := addInstance(fmt.Sprintf("web-%02d", i+1), "web", "m6i.large", priv[i%3], netip.Addr{})
		f.webs = append(f.webs, withV6(web))
	}
	f.ordersDB = addIface(&iface{
		kind: kindRDS, name: "orders-db", service: "postgres", sub: priv[0], ifType: "interface",
		desc: "RDSNetworkInterface", requester: "amazon-rds", managed: true,
		sgs: []inventory.SecurityGroup{sg("orders-db-sg")},
	})
	f.legacyDB = addIface(&iface{
		kind: kindRDS, name: "legacy-db", service: "mysql", sub: priv[1], ifType: "interface",
		desc: "RDSNetworkInterface", requester: "amazon-rds", managed: true,
		sgs: []inventory.SecurityGroup{sg("legacy-db-sg")},
	})
	for z := range 2 {
		f.nlbs = append(f.nlbs, addIface(&iface{
			kind: kindNLB, name: "metrics-ingest", sub: priv[z], ifType: "network_load_balancer",
			desc: "ELB " + f.nlbName, requester: "amazon-elb", managed: true, account: "unknown",
			sgs: []inventory.SecurityGroup{sg("metrics-ingest-nlb")},
		}))
	}
	for z := range 2 {
		f.lambdas = append(f.lambdas, addIface(&iface{
			kind: kindLambda, name: "orders-fn", service: "lambda", sub: priv[z], ifType: "lambda",
			desc: "AWS Lambda VPC ENI-orders-fn-" + uuid(key("orders-fn", fmt.Sprint(z))...), requester: "amazon-lambda", managed: true,
			sgs: []inventory.SecurityGroup{sg("orders-fn-sg")},
		}))
	}
	for z := range 2 {
		f.sqsEndpoints = append(f.sqsEndpoints, addIface(&iface{
			kind: kindEndpoint, name: f.sqsEndpointID, sub: priv[z], ifType: "vpc_endpoint",
			desc: "VPC Endpoint Interface " + f.sqsEndpointID, requester: "amazon-vpce", managed: true,
			account: "unknown", resourceID: f.sqsEndpointID,
			sgs: []inventory.SecurityGroup{sg("sqs-endpoint-sg")},
		}))
	}
	f.ecsHost = addInstance("ecs-host-01", "ecs", "m6i.xlarge", priv[2], netip.Addr{})
	f.ecsTask = f.newECSTask(priv[2], key, sg("orders-api-task"), addIface)
	f.backup = addInstance("backup-01", "backup", "m6i.large", priv[2], netip.Addr{})

	f.scanned = append(append([]*iface{}, f.albs...), f.clarity, f.cache, f.bastion)
	for _, inst := range f.instances {
		// backup-01 keeps time with the Amazon Time Sync Service at
		// 169.254.169.123, which flow logs do not record; quiet between
		// backups, it is the interface that gets NODATA records.
		if eni := inst.enis[0]; eni != f.backup {
			f.timeKeepers = append(f.timeKeepers, eni)
			f.dnsClients = append(f.dnsClients, eni)
		}
	}
	f.dnsClients = append(f.dnsClients, f.ecsTask)
	f.dnsClients = append(f.dnsClients, f.lambdas...)
	return f
}

// newECSTask adds the ENI of the orders-api task (awsvpc network mode) on
// ecs-host-01, the one interface whose records carry the ecs-* fields.
func (f *fleet) newECSTask(sub *subnet, key func(...string) []string, group inventory.SecurityGroup, add func(*iface) *iface) *iface {
	acct, region := f.cfg.AccountID, f.cfg.Region
	arn := "arn:aws:ecs:" + region + ":" + acct + ":"
	taskID := hashHex(32, key("ecs-task")...)
	ciID := hashHex(32, key("ecs-container-instance")...)
	m := &ecsMeta{
		clusterARN:           arn + "cluster/orders",
		clusterName:          "orders",
		containerInstanceARN: arn + "container-instance/orders/" + ciID,
		containerInstanceID:  ciID,
		containerID:          hashHex(64, key("ecs-container-app")...),
		secondContainerID:    hashHex(64, key("ecs-container-envoy")...),
		serviceName:          "orders-api",
		taskDefARN:           arn + "task-definition/orders-api:42",
		taskARN:              arn + "task/orders/" + taskID,
		taskID:               taskID,
	}
	return add(&iface{
		kind: kindECSTask, name: "orders-api", service: "ecs", sub: sub, ifType: "interface",
		desc:      arn + "attachment/" + uuid(key("ecs-attachment")...),
		requester: "amazon-ecs", managed: true, instanceID: f.ecsHost.instanceID, ecs: m,
		sgs:         []inventory.SecurityGroup{group},
		deviceIndex: 1,
		tags:        map[string]string{"aws:ecs:clusterName": m.clusterName, "aws:ecs:serviceName": m.serviceName},
	})
}

// alloc picks a free host address of the subnet, derived from the key.
func (f *fleet) alloc(s *subnet, key string) netip.Addr {
	h, _ := strconv.ParseUint(hashHex(16, key), 16, 64)
	for {
		s.allocCount++
		h = mix64(h + s.allocCount)
		a := inPrefix(s.cidr, h)
		if reservedInSubnet(s.cidr, a) || s.used[a] || a.As4()[3] == 0 || a.As4()[3] == 255 {
			continue
		}
		s.used[a] = true
		return a
	}
}

// inventory describes the fleet as EC2 would.
func (f *fleet) inventory() *inventory.Inventory {
	c := f.cfg
	inv := &inventory.Inventory{
		GeneratedBy: "flowhec gen",
		Accounts:    []inventory.Account{{AccountID: c.AccountID, Name: "prod"}},
		VPCs: []inventory.VPC{{
			VPCID: f.vpcID, AccountID: c.AccountID, Region: c.Region,
			CIDRBlock: f.vpc, IPv6CIDRBlock: f.vpc6, Tags: map[string]string{"Name": "prod"},
		}},
		Subnets:           []inventory.Subnet{},
		NetworkInterfaces: []inventory.NetworkInterface{},
		Instances:         []inventory.Instance{},
	}
	for _, s := range f.subnets {
		inv.Subnets = append(inv.Subnets, inventory.Subnet{
			SubnetID: s.id, VPCID: f.vpcID, AccountID: c.AccountID, Region: c.Region,
			AvailabilityZone: s.az, AvailabilityZoneID: s.azID,
			CIDRBlock: s.cidr, IPv6CIDRBlock: s.cidr6, Public: s.public,
			Tags: map[string]string{"Name": "prod-" + s.name},
		})
	}
	for _, ifc := range f.ifaces {
		ni := inventory.NetworkInterface{
			NetworkInterfaceID: ifc.id, AccountID: c.AccountID, Region: c.Region,
			AvailabilityZone: ifc.sub.az, AvailabilityZoneID: ifc.sub.azID,
			VPCID: f.vpcID, SubnetID: ifc.sub.id,
			InterfaceType: ifc.ifType, Description: ifc.desc,
			RequesterID: ifc.requester, RequesterManaged: ifc.managed,
			Status:             "in-use",
			PrivateIPAddresses: []netip.Addr{ifc.ip},
			PublicIP:           ifc.public,
			SecurityGroups:     ifc.sgs,
			Tags:               ifc.tags,
		}
		if ifc.sgs == nil {
			ni.SecurityGroups = []inventory.SecurityGroup{}
		}
		if ifc.ip6.IsValid() {
			ni.IPv6Addresses = []netip.Addr{ifc.ip6}
		}
		if ifc.instanceID != "" {
			ni.Attachment = &inventory.Attachment{
				InstanceID: ifc.instanceID, DeviceIndex: ifc.deviceIndex, AttachTime: ifc.attachTime,
				Status: "attached", DeleteOnTerm: ifc.deviceIndex == 0,
			}
		}
		inv.NetworkInterfaces = append(inv.NetworkInterfaces, ni)
	}
	for _, inst := range f.instances {
		ids := []string{}
		for _, ifc := range f.ifaces {
			if ifc.instanceID == inst.id {
				ids = append(ids, ifc.id)
			}
		}
		primary := inst.enis[0]
		inv.Instances = append(inv.Instances, inventory.Instance{
			InstanceID: inst.id, AccountID: c.AccountID, Region: c.Region,
			AvailabilityZone: inst.sub.az, VPCID: f.vpcID, SubnetID: inst.sub.id,
			InstanceType: inst.typ, State: "running", LaunchTime: inst.launch,
			PrivateIPAddress: primary.ip, PublicIPAddress: primary.public,
			NetworkInterfaces: ids,
			Tags:              map[string]string{"Name": inst.name, "service": inst.service},
		})
	}
	return inv
}
