package awsinv

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/flowhec/flowhec/enrich/inventory"
)

// Found is what one lookup learnt: the interfaces that hold some of the
// addresses asked about, and the instances they are attached to.
type Found struct {
	Addrs      []netip.Addr // the addresses asked about that were found
	Interfaces []inventory.NetworkInterface
	Instances  []inventory.Instance
}

// Resolver looks up, between refreshes, the private addresses the
// inventory lacks: an interface created since the last refresh, an
// address assigned since. Enrichment calls Ask on a miss, which never
// blocks; a worker (Run) gathers the addresses asked into batches, asks
// every account and region with one DescribeNetworkInterfaces filtered on
// addresses.private-ip-address (ipv6-addresses.ipv6-address for IPv6),
// then DescribeInstances for the instances they are attached to, and
// hands what it found to onFound (Refresher.Extend adds it to the index).
//
// EC2 is protected three ways: every call waits for the rate limiter
// (lookup.rate and lookup.burst, all accounts and regions together); an
// address already waiting or being looked up is not queued again; and an
// answered address, found or not, is not asked about again for
// lookup.negative_ttl. When the queue is full, Ask drops the address; a
// later miss asks again.
type Resolver struct {
	l       *Loader
	cfg     LookupConfig
	onFound func(Found)
	log     zerolog.Logger
	limiter *rate.Limiter
	queue   chan netip.Addr

	mu        sync.Mutex
	pending   map[netip.Addr]struct{}  // queued or being looked up
	answered  map[netip.Addr]time.Time // until when an answer stands
	lastSweep time.Time

	asked, queued, deduped, cached, dropped atomic.Uint64
	calls, found, notFound, errs            atomic.Uint64
}

// maxAnswered bounds the memory of answers; beyond it, answers are not
// remembered (and so may be asked again).
const maxAnswered = 1 << 18

// LookupStats are a Resolver's counters.
type LookupStats struct {
	Asked        uint64 // Ask calls
	Queued       uint64 // addresses queued for a lookup
	Deduplicated uint64 // asks for an address already queued or being looked up
	Cached       uint64 // asks for an address answered within negative_ttl
	Dropped      uint64 // asks refused because the queue was full
	Calls        uint64 // EC2 calls made
	Found        uint64 // addresses found
	NotFound     uint64 // addresses EC2 did not know (or could not be asked about)
	Errors       uint64 // EC2 calls that failed
}

// NewResolver returns a Resolver that looks up with l's clients and
// configuration (lookup.*) and calls onFound from its worker. With
// lookup.enabled false, Ask always returns false and Run does nothing.
func NewResolver(l *Loader, onFound func(Found)) *Resolver {
	c := l.cfg.Lookup
	return &Resolver{
		l:        l,
		cfg:      c,
		onFound:  onFound,
		log:      l.log,
		limiter:  rate.NewLimiter(rate.Limit(c.Rate), max(c.Burst, 1)),
		queue:    make(chan netip.Addr, max(c.Queue, 1)),
		pending:  map[netip.Addr]struct{}{},
		answered: map[netip.Addr]time.Time{},
	}
}

// Ask queues a for a lookup and reports whether it did. It never blocks.
// It returns false when a is already queued or being looked up, was
// answered within negative_ttl, or the queue is full.
func (r *Resolver) Ask(a netip.Addr) bool {
	r.asked.Add(1)
	a = a.Unmap()
	if !r.cfg.Enabled || !a.IsValid() {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.pending[a]; ok {
		r.deduped.Add(1)
		return false
	}
	if until, ok := r.answered[a]; ok {
		if time.Now().Before(until) {
			r.cached.Add(1)
			return false
		}
		delete(r.answered, a)
	}
	select {
	case r.queue <- a:
		r.pending[a] = struct{}{}
		r.queued.Add(1)
		return true
	default:
		r.dropped.Add(1)
		return false
	}
}

// Run looks up the addresses asked, a batch at a time, until ctx is done,
// and returns nil then.
func (r *Resolver) Run(ctx context.Context) error {
	if !r.cfg.Enabled {
		<-ctx.Done()
		return nil
	}
	batch := make([]netip.Addr, 0, r.cfg.Batch)
	for {
		select {
		case <-ctx.Done():
			return nil
		case a := <-r.queue:
			batch = append(batch[:0], a)
		}
	fill:
		for len(batch) < r.cfg.Batch {
			select {
			case a := <-r.queue:
				batch = append(batch, a)
			default:
				break fill
			}
		}
		r.resolve(ctx, batch)
	}
}

// Stats returns the counters.
func (r *Resolver) Stats() LookupStats {
	return LookupStats{
		Asked: r.asked.Load(), Queued: r.queued.Load(), Deduplicated: r.deduped.Load(),
		Cached: r.cached.Load(), Dropped: r.dropped.Load(), Calls: r.calls.Load(),
		Found: r.found.Load(), NotFound: r.notFound.Load(), Errors: r.errs.Load(),
	}
}

// resolve looks batch up in every account and region.
func (r *Resolver) resolve(ctx context.Context, batch []netip.Addr) {
	asked := make(map[netip.Addr]bool, len(batch))
	var v4, v6 []string
	for _, a := range batch {
		asked[a] = true
		if a.Is4() {
			v4 = append(v4, a.String())
		} else {
			v6 = append(v6, a.String())
		}
	}
	var f Found
	for _, t := range r.l.targets {
		var instanceIDs []string
		for _, q := range []struct {
			filter string
			values []string
		}{{"addresses.private-ip-address", v4}, {"ipv6-addresses.ipv6-address", v6}} {
			if len(q.values) == 0 {
				continue
			}
			var enis []types.NetworkInterface
			err := r.call(ctx, t, "DescribeNetworkInterfaces", func(cctx context.Context) error {
				p := ec2.NewDescribeNetworkInterfacesPaginator(t.ec2, &ec2.DescribeNetworkInterfacesInput{
					Filters:                 []types.Filter{{Name: aws.String(q.filter), Values: q.values}},
					IncludeManagedResources: aws.Bool(true),
				})
				return pages(cctx, r.l.cfg.CallTimeout, p, func(o *ec2.DescribeNetworkInterfacesOutput) {
					enis = append(enis, o.NetworkInterfaces...)
				})
			})
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				continue
			}
			for i := range enis {
				ni := convertENI(&enis[i], t.region)
				f.Interfaces = append(f.Interfaces, ni)
				if ni.Attachment != nil {
					instanceIDs = append(instanceIDs, ni.Attachment.InstanceID)
				}
			}
		}
		// A filter, not InstanceIds: an instance terminated meanwhile is
		// simply absent instead of failing the call.
		for len(instanceIDs) > 0 {
			n := min(len(instanceIDs), 200)
			ids := instanceIDs[:n]
			instanceIDs = instanceIDs[n:]
			var res []types.Reservation
			err := r.call(ctx, t, "DescribeInstances", func(cctx context.Context) error {
				p := ec2.NewDescribeInstancesPaginator(t.ec2, &ec2.DescribeInstancesInput{
					Filters:                 []types.Filter{{Name: aws.String("instance-id"), Values: ids}},
					IncludeManagedResources: aws.Bool(true),
				})
				return pages(cctx, r.l.cfg.CallTimeout, p, func(o *ec2.DescribeInstancesOutput) {
					res = append(res, o.Reservations...)
				})
			})
			if err != nil && ctx.Err() != nil {
				return
			}
			for i := range res {
				for j := range res[i].Instances {
					f.Instances = append(f.Instances, convertInstance(&res[i].Instances[j], aws.ToString(res[i].OwnerId), t.region))
				}
			}
		}
	}
	seen := map[netip.Addr]bool{}
	for _, ni := range f.Interfaces {
		for _, as := range [][]netip.Addr{ni.PrivateIPAddresses, ni.IPv6Addresses} {
			for _, a := range as {
				if asked[a] && !seen[a] {
					seen[a] = true
					f.Addrs = append(f.Addrs, a)
				}
			}
		}
	}
	r.found.Add(uint64(len(f.Addrs)))
	r.notFound.Add(uint64(len(batch) - len(f.Addrs)))

	now := time.Now()
	r.mu.Lock()
	if now.Sub(r.lastSweep) > time.Second {
		for a, until := range r.answered {
			if now.After(until) {
				delete(r.answered, a)
			}
		}
		r.lastSweep = now
	}
	for _, a := range batch {
		delete(r.pending, a)
		if len(r.answered) < maxAnswered {
			r.answered[a] = now.Add(r.cfg.NegativeTTL)
		}
	}
	r.mu.Unlock()

	r.log.Debug().Int("asked", len(batch)).Int("found", len(f.Addrs)).Int("interfaces", len(f.Interfaces)).
		Msg("aws inventory: lookup")
	if len(f.Interfaces) > 0 {
		r.onFound(f)
	}
}

// call makes one rate-limited lookup call in t, logging and counting its
// failure.
func (r *Resolver) call(ctx context.Context, t *target, action string, do func(context.Context) error) error {
	if err := r.limiter.Wait(ctx); err != nil {
		return err
	}
	r.calls.Add(1)
	err := do(ctx)
	if err == nil || ctx.Err() != nil {
		return err
	}
	r.errs.Add(1)
	kind, code := classify(ctx, err)
	e := &LoadError{AccountID: t.acct.id, RoleARN: t.acct.roleARN, Region: t.region, Action: action,
		Kind: kind, Code: code, Err: err, cfg: &r.l.cfg}
	r.log.Warn().Str("account", e.AccountID).Str("region", e.Region).Str("kind", kind.String()).
		Msg("lookup: " + e.Error())
	return err
}
