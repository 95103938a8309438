package flowgen

import (
	"net/netip"
)

// IANA protocol numbers.
const (
	protoICMP = 1
	protoTCP  = 6
	protoUDP  = 17
)

// Port ranges: Linux's ephemeral range (net.ipv4.ip_local_port_range), and
// the wider range of load balancer nodes, NAT gateways and the internet.
const (
	linuxEphemeralLo = 32768
	linuxEphemeralHi = 60999
)

func linuxPort(r *rng) uint16 { return uint16(r.between(linuxEphemeralLo, linuxEphemeralHi)) }
func anyPort(r *rng) uint16   { return uint16(r.between(1024, 65535)) }

// endpoint is one end of a connection. ifc is nil for an end outside the
// VPC's interfaces: the internet, an AWS service, the VPC resolver.
type endpoint struct {
	ifc  *iface
	addr netip.Addr
	port uint16
	svc  awsService
}

func on(ifc *iface, port uint16) endpoint { return endpoint{ifc: ifc, addr: ifc.ip, port: port} }

func outside(a netip.Addr, port uint16, svc awsService) endpoint {
	return endpoint{addr: a, port: port, svc: svc}
}

// conn is one connection (or UDP exchange) within one aggregation window:
// a request flow from cli to srv and its reply.
type conn struct {
	cli, srv            endpoint
	proto               uint8
	t, end              int64
	reqPkts, reqBytes   uint64
	respPkts, respBytes uint64
	reqFlags, respFlags uint8
	tls                 bool
}

// encStatus is the encryption-status of a connection: 1 when Nitro
// encrypts it (both ends are interfaces in the VPC), 2 when the
// application does (TLS), 3 for both.
func (c *conn) encStatus() uint8 {
	var e uint8
	if c.cli.ifc != nil && c.srv.ifc != nil {
		e |= 1
	}
	if c.tls {
		e |= 2
	}
	return e
}

// conn writes a connection's records: on the client's interface its
// request as egress and the reply as ingress, on the server's interface the
// request as ingress and the reply as egress. Ends outside the VPC have no
// interface and no records.
func (s *run) conn(c *conn) {
	enc := c.encStatus()
	if ifc := c.cli.ifc; ifc != nil {
		path, nh, nhr := s.route(ifc, c.srv)
		s.emit(&record{
			ifc: ifc, src: c.cli.addr, dst: c.srv.addr, srcPort: c.cli.port, dstPort: c.srv.port,
			proto: c.proto, flags: c.reqFlags, packets: c.reqPkts, bytes: c.reqBytes, start: c.t, end: c.end,
			egress: true, path: path, enc: enc, dstSvc: c.srv.svc, nextHop: nh, nextHopRes: nhr,
		})
		s.emit(&record{
			ifc: ifc, src: c.srv.addr, dst: c.cli.addr, srcPort: c.srv.port, dstPort: c.cli.port,
			proto: c.proto, flags: c.respFlags, packets: c.respPkts, bytes: c.respBytes, start: c.t, end: c.end,
			enc: enc, srcSvc: c.srv.svc,
		})
	}
	if ifc := c.srv.ifc; ifc != nil {
		s.emit(&record{
			ifc: ifc, src: c.cli.addr, dst: c.srv.addr, srcPort: c.cli.port, dstPort: c.srv.port,
			proto: c.proto, flags: c.reqFlags, packets: c.reqPkts, bytes: c.reqBytes, start: c.t, end: c.end,
			enc: enc, srcSvc: c.cli.svc,
		})
		path, nh, nhr := s.route(ifc, c.cli)
		s.emit(&record{
			ifc: ifc, src: c.srv.addr, dst: c.cli.addr, srcPort: c.srv.port, dstPort: c.cli.port,
			proto: c.proto, flags: c.respFlags, packets: c.respPkts, bytes: c.respBytes, start: c.t, end: c.end,
			egress: true, path: path, enc: enc, dstSvc: c.cli.svc, nextHop: nh, nextHopRes: nhr,
		})
	}
}

// viaNAT writes a connection from an instance in a private subnet to the
// internet through the NAT gateway: two records on the instance's
// interface and four on the gateway's, where pkt-srcaddr and pkt-dstaddr
// show the far ends of the translated legs (as in the AWS documentation's
// NAT gateway example).
func (s *run) viaNAT(c *conn, natPort uint16) {
	nat := s.f.nat
	cli, dst := c.cli, c.srv
	e := c.encStatus()
	ifc := cli.ifc
	s.emit(&record{
		ifc: ifc, src: cli.addr, dst: dst.addr, srcPort: cli.port, dstPort: dst.port, proto: c.proto,
		flags: c.reqFlags, packets: c.reqPkts, bytes: c.reqBytes, start: c.t, end: c.end,
		egress: true, path: 1, enc: e, nextHop: nat.ip, nextHopRes: s.f.natID,
	})
	s.emit(&record{
		ifc: ifc, src: dst.addr, dst: cli.addr, srcPort: dst.port, dstPort: cli.port, proto: c.proto,
		flags: c.respFlags, packets: c.respPkts, bytes: c.respBytes, start: c.t, end: c.end, enc: e,
	})
	s.emit(&record{
		ifc: nat, src: cli.addr, dst: nat.ip, pktDst: dst.addr, srcPort: cli.port, dstPort: dst.port, proto: c.proto,
		flags: c.reqFlags, packets: c.reqPkts, bytes: c.reqBytes, start: c.t, end: c.end, enc: e,
	})
	s.emit(&record{
		ifc: nat, src: nat.ip, dst: dst.addr, srcPort: natPort, dstPort: dst.port, proto: c.proto,
		flags: c.reqFlags, packets: c.reqPkts, bytes: c.reqBytes, start: c.t, end: c.end,
		egress: true, path: 8, enc: e, nextHopRes: s.f.igwID,
	})
	s.emit(&record{
		ifc: nat, src: dst.addr, dst: nat.ip, srcPort: dst.port, dstPort: natPort, proto: c.proto,
		flags: c.respFlags, packets: c.respPkts, bytes: c.respBytes, start: c.t, end: c.end, enc: e,
	})
	s.emit(&record{
		ifc: nat, src: nat.ip, dst: cli.addr, pktSrc: dst.addr, srcPort: dst.port, dstPort: cli.port, proto: c.proto,
		flags: c.respFlags, packets: c.respPkts, bytes: c.respBytes, start: c.t, end: c.end,
		egress: true, path: 1, enc: e,
	})
}

// route returns the traffic-path, next-hop and next-hop-resource-id of
// egress traffic from an interface towards an end.
func (s *run) route(from *iface, to endpoint) (path uint8, nextHop netip.Addr, nextHopRes string) {
	f := s.f
	switch {
	case to.ifc != nil || f.vpc.Contains(to.addr) || f.vpc6.Contains(to.addr):
		return 1, netip.Addr{}, "" // through the VPC
	case to.svc == svcS3:
		return 7, netip.Addr{}, f.s3GatewayID // gateway endpoint
	case to.svc == svcDynamoDB:
		return 7, netip.Addr{}, f.ddbGatewayID
	case from.sub.public || to.addr.Is6():
		return 8, netip.Addr{}, f.igwID // internet gateway
	default:
		return 1, f.nat.ip, f.natID // through the NAT gateway, a resource in the VPC
	}
}

// size returns the bytes of pkts packets averaging lo to hi bytes each.
func size(r *rng, pkts uint64, lo, hi int) uint64 {
	return pkts*uint64(lo) + uint64(r.intn(int(pkts)*(hi-lo)+1))
}

// span returns the start and end of a connection of up to maxDur seconds
// starting at a random second of the window.
func (s *run) span(r *rng, maxDur int) (int64, int64) {
	t := s.w + int64(r.intn(60))
	return t, min(t+int64(r.intn(maxDur+1)), s.wEnd-1)
}

// tcpFlags returns the flags of a short connection that opens and closes
// in the window (SYN|FIN, SYN-ACK|FIN), or none for a long-lived one.
func tcpFlags(r *rng, longLived float64) (req, resp uint8) {
	if r.chance(longLived) {
		return 0, 0
	}
	return flagSYN | flagFIN, flagSYNACK | flagFIN
}

// The background mix: each kind is one conversation, weighted by how often
// it happens.
var backgroundKinds = []struct {
	weight int
	fn     func(s *run, r *rng)
}{
	{30, (*run).webHTTPS},
	{3, (*run).webRedirect},
	{18, (*run).webDB},
	{5, (*run).webMySQL},
	{10, (*run).webCache},
	{5, (*run).metrics},
	{8, (*run).natEgress},
	{6, (*run).lambdaDynamoDB},
	{4, (*run).lambdaSQS},
	{4, (*run).ecsDB},
	{3, (*run).ecsDynamoDB},
	{4, (*run).s3Get},
	{12, (*run).dns},
}

var backgroundCum = func() []int {
	var cum []int
	total := 0
	for _, k := range backgroundKinds {
		total += k.weight
		cum = append(cum, total)
	}
	return cum
}()

func (s *run) background() {
	r := &s.rBG
	backgroundKinds[r.pick(backgroundCum)].fn(s, r)
}

// webHTTPS is a user's HTTPS request: internet → ALB :443 (IPv6 for some
// users), then the ALB node → a web target :8080.
func (s *run) webHTTPS(r *rng) {
	f := s.f
	alb := f.albs[r.intn(len(f.albs))]
	web := f.webs[r.intn(len(f.webs))]
	t, end := s.span(r, 3)
	srv := on(alb, 443)
	var cli endpoint
	if r.chance(0.12) {
		cli = outside(hostIn(residentialV6[r.intn(len(residentialV6))], r), anyPort(r), svcNone)
		srv.addr = alb.ip6
	} else {
		cli = outside(hostIn(residentialV4[r.intn(len(residentialV4))], r), anyPort(r), svcNone)
	}
	req, resp := uint64(r.between(6, 24)), uint64(r.between(5, 90))
	s.conn(&conn{
		cli: cli, srv: srv, proto: protoTCP, t: t, end: end,
		reqPkts: req, reqBytes: size(r, req, 70, 260), respPkts: resp, respBytes: size(r, resp, 300, 1400),
		reqFlags: flagSYN | flagFIN, respFlags: flagSYNACK | flagFIN, tls: true,
	})
	req, resp = uint64(r.between(4, 16)), uint64(r.between(4, 80))
	rf, sf := tcpFlags(r, 0.6) // the ALB keeps connections to targets open
	s.conn(&conn{
		cli: on(alb, anyPort(r)), srv: on(web, 8080), proto: protoTCP, t: t, end: end,
		reqPkts: req, reqBytes: size(r, req, 80, 400), respPkts: resp, respBytes: size(r, resp, 300, 1400),
		reqFlags: rf, respFlags: sf,
	})
}

// webRedirect is a plain-HTTP request that the ALB answers with a redirect.
func (s *run) webRedirect(r *rng) {
	alb := s.f.albs[r.intn(len(s.f.albs))]
	t, end := s.span(r, 1)
	req, resp := uint64(r.between(3, 6)), uint64(r.between(3, 5))
	s.conn(&conn{
		cli: outside(hostIn(residentialV4[r.intn(len(residentialV4))], r), anyPort(r), svcNone), srv: on(alb, 80),
		proto: protoTCP, t: t, end: end,
		reqPkts: req, reqBytes: size(r, req, 52, 180), respPkts: resp, respBytes: size(r, resp, 52, 220),
		reqFlags: flagSYN | flagFIN, respFlags: flagSYNACK | flagFIN,
	})
}

func (s *run) dbQuery(r *rng, cli *iface, db *iface, port uint16, tls bool) {
	t, end := s.span(r, 2)
	req, resp := uint64(r.between(4, 30)), uint64(r.between(4, 40))
	rf, sf := tcpFlags(r, 0.3)
	s.conn(&conn{
		cli: on(cli, linuxPort(r)), srv: on(db, port), proto: protoTCP, t: t, end: end,
		reqPkts: req, reqBytes: size(r, req, 80, 400), respPkts: resp, respBytes: size(r, resp, 100, 1400),
		reqFlags: rf, respFlags: sf, tls: tls,
	})
}

func (s *run) webDB(r *rng) {
	s.dbQuery(r, s.f.webs[r.intn(len(s.f.webs))], s.f.ordersDB, 5432, true)
}

func (s *run) webMySQL(r *rng) {
	s.dbQuery(r, s.f.webs[r.intn(len(s.f.webs))], s.f.legacyDB, 3306, false)
}

func (s *run) ecsDB(r *rng) { s.dbQuery(r, s.f.ecsTask, s.f.ordersDB, 5432, true) }

// webCache is a web server's memcached lookup over TCP: the benign,
// internal use of port 11211.
func (s *run) webCache(r *rng) {
	t, end := s.span(r, 1)
	req, resp := uint64(r.between(1, 4)), uint64(r.between(1, 8))
	rf, sf := tcpFlags(r, 0.8)
	s.conn(&conn{
		cli: on(s.f.webs[r.intn(len(s.f.webs))], linuxPort(r)), srv: on(s.f.cache, 11211), proto: protoTCP, t: t, end: end,
		reqPkts: req, reqBytes: size(r, req, 60, 200), respPkts: resp, respBytes: size(r, resp, 100, 1400),
		reqFlags: rf, respFlags: sf,
	})
}

// metrics is telemetry sent to the collector the way it is meant to be
// reached: through the internal network load balancer (OTLP, 4317).
func (s *run) metrics(r *rng) {
	f := s.f
	var cli *iface
	if r.chance(0.8) {
		cli = f.webs[r.intn(len(f.webs))]
	} else {
		cli = f.ecsTask
	}
	nlb := f.nlbs[r.intn(len(f.nlbs))]
	t, end := s.span(r, 2)
	req, resp := uint64(r.between(4, 40)), uint64(r.between(2, 10))
	rf, sf := tcpFlags(r, 0.7)
	c := conn{
		cli: on(cli, linuxPort(r)), srv: on(nlb, 4317), proto: protoTCP, t: t, end: end,
		reqPkts: req, reqBytes: size(r, req, 200, 1400), respPkts: resp, respBytes: size(r, resp, 60, 120),
		reqFlags: rf, respFlags: sf, tls: true,
	}
	s.conn(&c)
	c.cli, c.srv = on(nlb, anyPort(r)), on(f.clarity, 4317)
	s.conn(&c)
}

// natEgress is an instance calling a public API or package mirror over
// HTTPS through the NAT gateway.
func (s *run) natEgress(r *rng) {
	f := s.f
	var cli *iface
	switch x := r.intn(10); {
	case x < 6:
		cli = f.webs[r.intn(len(f.webs))]
	case x < 9:
		cli = f.ecsTask
	default:
		cli = f.ecsHost
	}
	t, end := s.span(r, 5)
	req, resp := uint64(r.between(8, 40)), uint64(r.between(10, 200))
	dst := hostIn(internetServices[r.intn(len(internetServices))], r)
	s.viaNAT(&conn{
		cli: on(cli, linuxPort(r)), srv: outside(dst, 443, svcNone), proto: protoTCP, t: t, end: end,
		reqPkts: req, reqBytes: size(r, req, 60, 600), respPkts: resp, respBytes: size(r, resp, 400, 1400),
		reqFlags: flagSYN | flagFIN, respFlags: flagSYNACK | flagFIN, tls: true,
	}, anyPort(r))
}

func (s *run) awsCall(r *rng, cli *iface, svc awsService, prefixes []netip.Prefix, respLo, respHi int) {
	t, end := s.span(r, 2)
	req, resp := uint64(r.between(4, 20)), uint64(r.between(respLo, respHi))
	rf, sf := tcpFlags(r, 0.5)
	s.conn(&conn{
		cli: on(cli, linuxPort(r)), srv: outside(hostIn(prefixes[r.intn(len(prefixes))], r), 443, svc),
		proto: protoTCP, t: t, end: end,
		reqPkts: req, reqBytes: size(r, req, 100, 800), respPkts: resp, respBytes: size(r, resp, 100, 1400),
		reqFlags: rf, respFlags: sf, tls: true,
	})
}

func (s *run) lambdaDynamoDB(r *rng) {
	s.awsCall(r, s.f.lambdas[r.intn(len(s.f.lambdas))], svcDynamoDB, s.cfg.DynamoDBPrefixes, 4, 20)
}

func (s *run) ecsDynamoDB(r *rng) {
	s.awsCall(r, s.f.ecsTask, svcDynamoDB, s.cfg.DynamoDBPrefixes, 4, 20)
}

// s3Get is an object download from S3 through the gateway endpoint.
func (s *run) s3Get(r *rng) {
	f := s.f
	var cli *iface
	switch x := r.intn(10); {
	case x < 6:
		cli = f.webs[r.intn(len(f.webs))]
	case x < 8:
		cli = f.ecsTask
	default:
		cli = f.lambdas[r.intn(len(f.lambdas))]
	}
	s.awsCall(r, cli, svcS3, s.cfg.S3Prefixes, 10, 2000)
}

// lambdaSQS is a Lambda function sending to SQS through the interface
// endpoint, whose interfaces belong to an AWS account ("unknown").
func (s *run) lambdaSQS(r *rng) {
	f := s.f
	t, end := s.span(r, 1)
	req, resp := uint64(r.between(4, 12)), uint64(r.between(4, 10))
	rf, sf := tcpFlags(r, 0.5)
	s.conn(&conn{
		cli: on(f.lambdas[r.intn(len(f.lambdas))], linuxPort(r)), srv: on(f.sqsEndpoints[r.intn(len(f.sqsEndpoints))], 443),
		proto: protoTCP, t: t, end: end,
		reqPkts: req, reqBytes: size(r, req, 100, 900), respPkts: resp, respBytes: size(r, resp, 80, 600),
		reqFlags: rf, respFlags: sf, tls: true,
	})
}

// dns is a lookup at the VPC resolver (VPC base + 2); the resolver has no
// interface, so only the client's records exist.
func (s *run) dns(r *rng) {
	prev := s.cur
	s.cur = stDNS
	cli := s.f.dnsClients[r.intn(len(s.f.dnsClients))]
	t, end := s.span(r, 0)
	pkts := uint64(r.between(1, 2)) // A, or A and AAAA
	s.conn(&conn{
		cli: on(cli, linuxPort(r)), srv: outside(s.f.resolver, 53, svcNone), proto: protoUDP, t: t, end: end,
		reqPkts: pkts, reqBytes: size(r, pkts, 60, 100), respPkts: pkts, respBytes: size(r, pkts, 80, 320),
	})
	s.dnsCount++
	s.dnsUsers[cli] = true
	s.cur = prev
}

// scanner is one source of internet probes.
type scanner struct{ addr netip.Addr }

func newScanners(seed uint64) []scanner {
	r := newRNG(seed, streamScanner^0xff)
	seen := map[netip.Addr]bool{}
	var out []scanner
	for len(out) < 400 {
		a := hostIn(scannerPool[r.intn(len(scannerPool))], &r)
		if !seen[a] {
			seen[a] = true
			out = append(out, scanner{a})
		}
	}
	return out
}

// Ports that scanners probe, weighted. None of them is open on the
// interface probed, so every probe is REJECTed.
var scanPorts = []struct {
	port   uint16
	proto  uint8
	weight int
}{
	{22, protoTCP, 10}, {23, protoTCP, 8}, {3389, protoTCP, 6}, {445, protoTCP, 5}, {80, protoTCP, 4},
	{1433, protoTCP, 3}, {3306, protoTCP, 3}, {5432, protoTCP, 2}, {5900, protoTCP, 2}, {6379, protoTCP, 3},
	{8080, protoTCP, 4}, {8443, protoTCP, 3}, {9200, protoTCP, 2}, {27017, protoTCP, 2}, {2375, protoTCP, 2},
	{0, protoTCP, 10}, // a random high port
	{53, protoUDP, 1}, {123, protoUDP, 1}, {161, protoUDP, 1}, {1900, protoUDP, 1}, {5060, protoUDP, 1},
	{0, protoICMP, 3},
}

var scanCum = func() []int {
	var cum []int
	total := 0
	for _, p := range scanPorts {
		total += p.weight
		cum = append(cum, total)
	}
	return cum
}()

// probe writes one REJECTed probe of a public interface.
func (s *run) probe() {
	r := &s.rScan
	f := s.f
	// A few scanners are much busier than the rest.
	u := r.float()
	si := int(u * u * float64(len(s.scanners)))
	src := s.scanners[si]
	if !s.scanUsed[si] {
		s.scanUsed[si] = true
		s.scanStats.Sources++
	}
	tgt := f.scanned[r.intn(len(f.scanned))]
	var p = scanPorts[r.pick(scanCum)]
	// Port 80 is open on the load balancer and is the zombie story's port
	// on clarity-collector; probes of it go to a different port.
	if p.port == 80 && (tgt.kind == kindALB || tgt == f.clarity) {
		p.port = 81
	}
	t := s.w + int64(r.intn(60))
	rec := record{
		ifc: tgt, src: src.addr, dst: tgt.ip, dstPort: p.port, proto: p.proto,
		start: t, end: t, reject: true, bpa: r.chance(0.01),
	}
	switch p.proto {
	case protoTCP:
		rec.srcPort = anyPort(r)
		if rec.dstPort == 0 {
			rec.dstPort = uint16(r.between(10000, 65535))
		}
		rec.packets = 1
		rec.flags = flagSYN
		if r.chance(0.2) { // a SYN and its retransmission
			rec.packets = 2
			rec.end = min(t+1, s.wEnd-1)
		}
		if r.chance(0.05) { // backscatter: a reset for a connection never made
			rec.flags = flagRST
		}
		rec.bytes = rec.packets * uint64([]int{40, 44, 60}[r.intn(3)])
	case protoUDP:
		rec.srcPort = anyPort(r)
		rec.packets = 1
		rec.bytes = uint64(r.between(29, 120))
	default: // an echo request
		rec.packets = 1
		rec.bytes = 84
	}
	s.emit(&rec)
	s.scanStats.Probes++
	if rec.bpa {
		s.scanStats.BPA++
	}
}
