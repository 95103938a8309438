package flowgen

import (
	"net/netip"
	"time"
)

// The zombie story. Each source has a schedule for the current clock hour:
// n tries (MinPerHour ≤ n ≤ MaxPerHour), one in each of n equal slots of
// the hour, so every full hour holds exactly n tries about 20 s apart.

type zombieSource struct {
	addr    netip.Addr
	port    int
	hour    int64
	sched   []int64
	idx     int
	tries   int64
	perHour []HourCount
}

type zombieState struct {
	r      rng
	ifc    *iface
	target netip.AddrPort
	src    []zombieSource
}

func newZombieState(s *run) *zombieState {
	c := &s.cfg.Zombie
	z := &zombieState{r: newRNG(s.cfg.Seed, streamZombie), ifc: s.f.clarity, target: c.Target}
	seen := map[netip.Addr]bool{}
	for len(z.src) < c.Sources {
		a := hostIn(zombiePool, &z.r)
		if seen[a] {
			continue
		}
		seen[a] = true
		z.src = append(z.src, zombieSource{addr: a, port: int(linuxPort(&z.r))})
	}
	hour := s.start - s.start%3600
	for i := range z.src {
		z.schedule(s, &z.src[i], hour)
	}
	return z
}

func (z *zombieState) schedule(s *run, src *zombieSource, hour int64) {
	c := &s.cfg.Zombie
	n := z.r.between(c.MinPerHour, c.MaxPerHour)
	slot := 3600 / float64(n)
	src.sched = src.sched[:0]
	for k := range n {
		src.sched = append(src.sched, hour+int64((float64(k)+0.3+0.4*z.r.float())*slot))
	}
	src.idx = 0
	src.hour = hour
	if hour < s.stop {
		src.perHour = append(src.perHour, HourCount{
			Hour: time.Unix(hour, 0).UTC(),
			Full: hour >= s.start && hour+3600 <= s.stop,
		})
	}
}

func (z *zombieState) window(s *run) {
	for i := range z.src {
		src := &z.src[i]
		for {
			if src.idx == len(src.sched) {
				if src.hour+3600 >= s.wEnd {
					break
				}
				z.schedule(s, src, src.hour+3600)
			}
			t := src.sched[src.idx]
			if t >= s.wEnd {
				break
			}
			src.idx++
			// A new connection each time: the next source port, as Linux
			// hands them out.
			src.port += z.r.between(1, 3)
			if src.port > linuxEphemeralHi {
				src.port -= linuxEphemeralHi - linuxEphemeralLo + 1
			}
			if t < s.start {
				continue
			}
			s.emit(&record{
				ifc: z.ifc, src: src.addr, dst: z.target.Addr(), srcPort: uint16(src.port), dstPort: z.target.Port(),
				proto: protoTCP, flags: flagSYN, packets: 1, bytes: uint64([]int{40, 44, 48, 52, 60}[z.r.intn(5)]),
				start: t, end: t, reject: true,
			})
			src.tries++
			src.perHour[len(src.perHour)-1].Tries++
		}
	}
}

func (z *zombieState) label(s *run, x *Story) {
	c := &s.cfg.Zombie
	x.Target = endpointOf(z.ifc, c.Target.Port(), protoTCP)
	x.Target.Address = c.Target.Addr()
	l := &ZombieLabel{MinPerHour: c.MinPerHour, MaxPerHour: c.MaxPerHour, TCPFlags: flagSYN}
	for _, src := range z.src {
		l.Sources = append(l.Sources, ZombieSource{Address: src.addr, Tries: src.tries, PerHour: src.perHour})
	}
	x.Zombie = l
}

func endpointOf(ifc *iface, port uint16, proto uint8) *Endpoint {
	return &Endpoint{
		Address: ifc.ip, Port: port, Protocol: proto,
		InterfaceID: ifc.id, InstanceID: ifc.instanceID, Name: ifc.name, Service: ifc.service,
	}
}

// The memcached story: two exchanges with cache-01 on UDP 11211.

type memcachedState struct {
	attacker netip.Addr
	set, get Exchange
}

func newMemcachedState(s *run) *memcachedState {
	c := &s.cfg.Memcached
	r := newRNG(s.cfg.Seed, streamMemcached)
	at := s.cfg.memcachedAt()
	m := &memcachedState{attacker: hostIn(attackerPool, &r)}
	m.set = Exchange{
		Time: at.UTC(), SrcPort: anyPort(&r),
		RequestPackets: c.SetPackets, RequestBytes: c.SetBytes, ReplyPackets: c.SetReplyPackets, ReplyBytes: c.SetReplyBytes,
	}
	m.get = Exchange{
		Time: at.Add(c.GetAfter).UTC(), SrcPort: anyPort(&r),
		RequestPackets: c.GetPackets, RequestBytes: c.GetBytes, ReplyPackets: c.GetReplyPackets, ReplyBytes: c.GetReplyBytes,
	}
	for m.get.SrcPort == m.set.SrcPort {
		m.get.SrcPort = anyPort(&r)
	}
	return m
}

func (m *memcachedState) window(s *run) {
	for _, x := range []*Exchange{&m.set, &m.get} {
		t := x.Time.Unix()
		if t < s.w || t >= s.wEnd {
			continue
		}
		// Seeding 5 MB takes a few seconds; the get and its reply, one.
		end := min(t+1+int64(x.RequestBytes/2_000_000), s.wEnd-1)
		ifc := s.f.cache
		s.emit(&record{
			ifc: ifc, src: m.attacker, dst: ifc.ip, srcPort: x.SrcPort, dstPort: 11211, proto: protoUDP,
			packets: x.RequestPackets, bytes: x.RequestBytes, start: t, end: end,
		})
		path, nh, nhr := s.route(ifc, outside(m.attacker, x.SrcPort, svcNone))
		s.emit(&record{
			ifc: ifc, src: ifc.ip, dst: m.attacker, srcPort: 11211, dstPort: x.SrcPort, proto: protoUDP,
			packets: x.ReplyPackets, bytes: x.ReplyBytes, start: t, end: end,
			egress: true, path: path, nextHop: nh, nextHopRes: nhr,
		})
	}
}

func (m *memcachedState) label(s *run, x *Story) {
	x.Target = endpointOf(s.f.cache, 11211, protoUDP)
	x.Memcached = &MemcachedLabel{
		Attacker:      m.attacker,
		Set:           m.set,
		Get:           m.get,
		Amplification: float64(m.get.ReplyBytes) / float64(m.get.RequestBytes),
	}
}

// ALB health checks: every node checks every target on the traffic port.

type healthPair struct {
	alb, web *iface
	next     int64
	last     int64
	checks   int64
}

type healthState struct {
	r              rng
	interval       int64
	pairs          []healthPair
	minGap, maxGap int64
}

const healthPort = 8080

func newHealthState(s *run) *healthState {
	h := &healthState{r: newRNG(s.cfg.Seed, streamHealth), interval: int64(s.cfg.HealthCheck.Interval / time.Second)}
	for _, alb := range s.f.albs {
		for _, web := range s.f.webs {
			h.pairs = append(h.pairs, healthPair{alb: alb, web: web, next: s.start + int64(h.r.intn(int(h.interval))), last: -1})
		}
	}
	h.minGap, h.maxGap = 1<<62, 0
	return h
}

func (h *healthState) window(s *run) {
	r := &h.r
	for i := range h.pairs {
		p := &h.pairs[i]
		for p.next < s.wEnd {
			t := p.next
			req, resp := uint64(r.between(5, 6)), uint64(r.between(4, 5))
			s.conn(&conn{
				cli: on(p.alb, anyPort(r)), srv: on(p.web, healthPort), proto: protoTCP, t: t, end: min(t+int64(r.intn(2)), s.wEnd-1),
				reqPkts: req, reqBytes: size(r, req, 60, 80), respPkts: resp, respBytes: size(r, resp, 80, 130),
				reqFlags: flagSYN | flagFIN, respFlags: flagSYNACK | flagFIN,
			})
			if p.last >= 0 {
				h.minGap = min(h.minGap, t-p.last)
				h.maxGap = max(h.maxGap, t-p.last)
			}
			p.last = t
			p.checks++
			// ALB nodes keep their interval to within a couple of seconds.
			p.next = t + h.interval - int64(r.intn(3))
		}
	}
}

func (h *healthState) label(s *run, x *Story) {
	l := &HealthCheckLabel{IntervalSeconds: int(h.interval), Port: healthPort}
	if h.maxGap > 0 {
		l.MinGapSeconds, l.MaxGapSeconds = int(h.minGap), int(h.maxGap)
	}
	for _, p := range h.pairs {
		l.Pairs = append(l.Pairs, HealthCheckPair{
			NodeInterfaceID: p.alb.id, NodeAddress: p.alb.ip,
			TargetInterfaceID: p.web.id, TargetAddress: p.web.ip, Checks: p.checks,
		})
	}
	x.HealthChecks = l
}

// NTP: every instance keeps time with two public servers, each over its
// own client socket (a fixed source port), polling every 64 to 256 s.

type ntpClient struct {
	ifc     *iface
	poll    int64
	next    int64
	servers [2]netip.Addr
	ports   [2]uint16
	polls   int64
}

type ntpState struct {
	r       rng
	clients []ntpClient
}

func newNTPState(s *run) *ntpState {
	n := &ntpState{r: newRNG(s.cfg.Seed, streamNTP)}
	r := &n.r
	for _, ifc := range s.f.timeKeepers {
		c := ntpClient{ifc: ifc, poll: 64 << r.intn(3)}
		c.next = s.start + int64(r.intn(int(c.poll)))
		i := r.intn(len(ntpServers))
		c.servers = [2]netip.Addr{ntpServers[i], ntpServers[(i+1+r.intn(len(ntpServers)-1))%len(ntpServers)]}
		for k := range c.ports {
			if r.chance(0.3) {
				c.ports[k] = 123 // ntpd answers from and polls from 123
			} else {
				c.ports[k] = linuxPort(r)
			}
		}
		n.clients = append(n.clients, c)
	}
	return n
}

// expected is the number of records NTP adds to a span.
func (n *ntpState) expected(span float64) float64 {
	var e float64
	for _, c := range n.clients {
		per := 2.0
		if !c.ifc.public.IsValid() {
			per = 6 // the NAT gateway's four records too
		}
		e += span / float64(c.poll) * per
	}
	return e
}

func (n *ntpState) window(s *run) {
	r := &n.r
	for i := range n.clients {
		c := &n.clients[i]
		for c.next < s.wEnd {
			t := c.next
			k := r.intn(2)
			x := &conn{
				cli: on(c.ifc, c.ports[k]), srv: outside(c.servers[k], 123, svcNone), proto: protoUDP, t: t, end: t,
				reqPkts: 1, reqBytes: 76, respPkts: 1, respBytes: 76,
			}
			if c.ifc.public.IsValid() {
				s.conn(x)
			} else {
				s.viaNAT(x, anyPort(r))
			}
			c.polls++
			c.next = t + c.poll + int64(r.intn(3)) - 1
		}
	}
}

func (n *ntpState) label(s *run, x *Story) {
	l := &NTPLabel{Servers: ntpServers}
	for _, c := range n.clients {
		l.Clients = append(l.Clients, NTPClient{
			InterfaceID: c.ifc.id, Address: c.ifc.ip, PollSeconds: int(c.poll), Polls: c.polls, ViaNAT: !c.ifc.public.IsValid(),
		})
	}
	x.NTP = l
}

// The backup job: Streams parallel uploads to S3, one record pair per
// stream per window, SYN in the first window and FIN in the last.

type backupRun struct {
	start, end int64
	ports      []uint16
	dsts       []netip.Addr
	label      BackupRun
}

type backupState struct {
	r    rng
	runs []*backupRun
}

func newBackupState(s *run) *backupState {
	c := &s.cfg.Backup
	b := &backupState{r: newRNG(s.cfg.Seed, streamBackup)}
	every, off, length := int64(c.Every/time.Second), int64(c.Offset/time.Second), int64(c.Length/time.Second)
	first := (s.start-off)/every*every + off
	for t := first; t < s.stop; t += every {
		if t < s.start {
			continue
		}
		br := &backupRun{start: t, end: min(t+length, s.stop)}
		for range c.Streams {
			br.ports = append(br.ports, linuxPort(&b.r))
			p := s.cfg.S3Prefixes[b.r.intn(len(s.cfg.S3Prefixes))]
			br.dsts = append(br.dsts, hostIn(p, &b.r))
		}
		br.label = BackupRun{Start: time.Unix(br.start, 0).UTC(), End: time.Unix(br.end, 0).UTC(), Streams: c.Streams}
		b.runs = append(b.runs, br)
	}
	return b
}

func (b *backupState) expected(start, stop int64) float64 {
	var e float64
	for _, br := range b.runs {
		e += float64((br.end-br.start+59)/60) * float64(len(br.ports)) * 2
	}
	return e
}

func (b *backupState) window(s *run) {
	r := &b.r
	for _, br := range b.runs {
		if br.end <= s.w || br.start >= s.wEnd {
			continue
		}
		firstWin, lastWin := br.start >= s.w, br.end <= s.wEnd
		for k := range br.ports {
			t, end := s.w, s.wEnd-1
			var rf, sf uint8
			if firstWin {
				t = br.start + int64(r.intn(3))
				rf, sf = flagSYN, flagSYNACK
			}
			if lastWin {
				end = max(t, br.end-1-int64(r.intn(5)))
				rf, sf = rf|flagFIN, sf|flagFIN
			}
			secs := uint64(end - t + 1)
			bytes := secs * uint64(r.between(2_500_000, 4_200_000)) // 2.5–4.2 MB/s per stream
			pkts := bytes / 1448
			acks := pkts/2 + 1
			s.conn(&conn{
				cli: on(s.f.backup, br.ports[k]), srv: outside(br.dsts[k], 443, svcS3), proto: protoTCP, t: t, end: end,
				reqPkts: pkts, reqBytes: bytes, respPkts: acks, respBytes: acks * 52,
				reqFlags: rf, respFlags: sf, tls: true,
			})
			br.label.Bytes += bytes
			br.label.Packets += pkts
		}
	}
}

func (b *backupState) label(s *run, x *Story) {
	l := &BackupLabel{Instance: *endpointOf(s.f.backup, 0, 0), Runs: []BackupRun{}}
	for _, br := range b.runs {
		l.Runs = append(l.Runs, br.label)
	}
	x.Backup = l
}
