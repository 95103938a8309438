package awsinv

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
	"github.com/rs/zerolog"

	"github.com/flowhec/flowhec/enrich/inventory"
)

// GeneratedBy is what a Loader's inventories say wrote them.
const GeneratedBy = "flowhec inventory export"

// Loader reads the inventory of every configured account and region from
// EC2. It is safe for concurrent use; its SDK clients (and their
// connections and cached role credentials) are made once and shared by
// Load, the Refresher and the Resolver.
type Loader struct {
	cfg      Config
	log      zerolog.Logger
	accounts []*account
	targets  []*target // accounts × regions, in configuration order

	throttles atomic.Uint64
}

// account is one set of credentials: an assumed role, or the default
// credentials.
type account struct {
	roleARN string // "" for the default credentials
	id      string // from the role ARN; "" for the default credentials
	creds   aws.CredentialsProvider
}

// target is one account in one region.
type target struct {
	acct   *account
	region string
	ec2    *ec2.Client
}

// Option changes how New sets up a Loader.
type Option func(*options)

type options struct {
	base *aws.Config
	log  zerolog.Logger
}

// WithAWSConfig makes the Loader start from cfg (its credentials, HTTP
// client, endpoint) instead of the SDK's default configuration chain.
// Tests use it to point the Loader at ec2test.
func WithAWSConfig(cfg aws.Config) Option {
	return func(o *options) { o.base = &cfg }
}

// WithLogger sets where the Loader, its Refresher and its Resolver log.
func WithLogger(log zerolog.Logger) Option {
	return func(o *options) { o.log = log }
}

// New validates cfg and sets up the SDK clients. It makes no call to AWS:
// credentials are found, and roles assumed, at the first Load.
func New(ctx context.Context, cfg Config, opts ...Option) (*Loader, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := options{log: zerolog.Nop()}
	for _, f := range opts {
		f(&o)
	}
	var base aws.Config
	if o.base != nil {
		base = o.base.Copy()
	} else {
		var err error
		base, err = config.LoadDefaultConfig(ctx, config.WithRegion(cfg.Regions[0]))
		if err != nil {
			return nil, fmt.Errorf("aws inventory: the SDK's default configuration: %w; check AWS_PROFILE and ~/.aws/config", err)
		}
	}
	// The SDK's own warnings go where flowhec logs, not to its default
	// logger on stderr.
	base.Logger = sdkLogger{o.log}
	cfg.Regions = slices.Clone(cfg.Regions)
	cfg.RoleARNs = slices.Clone(cfg.RoleARNs)
	l := &Loader{cfg: cfg, log: o.log}

	if len(cfg.RoleARNs) == 0 {
		l.accounts = []*account{{creds: base.Credentials}}
	} else {
		// STS in the first region: regional endpoints answer faster and
		// keep working when another region's STS does not.
		stsc := sts.NewFromConfig(base, func(so *sts.Options) {
			so.Region = cfg.Regions[0]
			if cfg.Endpoints.STS != "" {
				so.BaseEndpoint = aws.String(endpoint(cfg.Endpoints.STS, cfg.Regions[0]))
			}
			so.Retryer = l.retryer()
			so.RetryMaxAttempts = 0
		})
		for _, arn := range cfg.RoleARNs {
			p := stscreds.NewAssumeRoleProvider(stsc, arn, func(ao *stscreds.AssumeRoleOptions) {
				ao.RoleSessionName = cfg.SessionName
				if cfg.ExternalID != "" {
					ao.ExternalID = aws.String(cfg.ExternalID)
				}
			})
			l.accounts = append(l.accounts, &account{roleARN: arn, id: roleAccount(arn), creds: aws.NewCredentialsCache(p)})
		}
	}
	for _, a := range l.accounts {
		for _, region := range cfg.Regions {
			c := ec2.NewFromConfig(base, func(eo *ec2.Options) {
				eo.Region = region
				eo.Credentials = a.creds
				if cfg.Endpoints.EC2 != "" {
					eo.BaseEndpoint = aws.String(endpoint(cfg.Endpoints.EC2, region))
				}
				eo.Retryer = l.retryer()
				eo.RetryMaxAttempts = 0 // the retryer's own, not AWS_MAX_ATTEMPTS
			})
			l.targets = append(l.targets, &target{acct: a, region: region, ec2: c})
		}
	}
	return l, nil
}

// Config returns the Loader's configuration.
func (l *Loader) Config() Config { return l.cfg }

// Throttles counts the throttled replies (RequestLimitExceeded and the
// like) the Loader's calls have had, each retried or given up on.
func (l *Loader) Throttles() uint64 { return l.throttles.Load() }

// retryer is the SDK's standard retryer with the configured attempts and
// cap: jittered exponential backoff from 1 s for throttling (50 ms for
// other retryable errors), each wait at most max_backoff. It counts the
// throttled replies it sees.
//
// retry.AddWithMaxBackoffDelay would cap the waits too, but it swaps in the
// SDK's older backoff, which waits exactly the cap, unjittered, once the
// cap is reached: concurrent loads throttled together would then retry
// together.
func (l *Loader) retryer() aws.Retryer {
	std := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = l.cfg.Retry.MaxAttempts
		o.MaxBackoff = l.cfg.Retry.MaxBackoff
	})
	return &countingRetryer{RetryerV2: std, throttles: &l.throttles}
}

type countingRetryer struct {
	aws.RetryerV2
	throttles *atomic.Uint64
}

// IsErrorRetryable is asked once for every failed attempt.
func (r *countingRetryer) IsErrorRetryable(err error) bool {
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary {
		r.throttles.Add(1)
	}
	return r.RetryerV2.IsErrorRetryable(err)
}

// part is what one target loaded.
type part struct {
	t   *target
	inv *inventory.Inventory // nil when err
	err *LoadError
}

// Load reads every account and region, concurrently (at most concurrency
// at a time), and returns one inventory. When some accounts or regions
// fail, it returns what the others loaded together with a *LoadError for
// each failure, joined; the caller decides whether that is good enough.
// The inventory is never nil.
func (l *Loader) Load(ctx context.Context) (*inventory.Inventory, error) {
	parts, failed := l.load(ctx)
	return l.assemble(parts), joinLoadErrors(failed)
}

func joinLoadErrors(errs []*LoadError) error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

// load reads every target. It returns each target's part (failed ones
// with err set) and the distinct failures: an account whose credentials
// fail is one failure, not one per region.
func (l *Loader) load(ctx context.Context) ([]part, []*LoadError) {
	sem := make(chan struct{}, l.cfg.Concurrency)
	// First the credentials of every account, so that a role that cannot
	// be assumed is reported once.
	credErr := make([]*LoadError, len(l.accounts))
	var wg sync.WaitGroup
	for i, a := range l.accounts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			credErr[i] = l.credentials(ctx, a)
		})
	}
	wg.Wait()
	bad := map[*account]*LoadError{}
	var failed []*LoadError
	for i, a := range l.accounts {
		if credErr[i] != nil {
			bad[a] = credErr[i]
			failed = append(failed, credErr[i])
		}
	}
	parts := make([]part, len(l.targets))
	for i, t := range l.targets {
		parts[i].t = t
		if e := bad[t.acct]; e != nil {
			parts[i].err = e
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			parts[i].inv, parts[i].err = l.loadTarget(ctx, t)
		})
	}
	wg.Wait()
	for _, p := range parts {
		if p.err != nil && bad[p.t.acct] == nil {
			failed = append(failed, p.err)
		}
	}
	return parts, failed
}

// credentials finds the account's credentials (assuming its role).
func (l *Loader) credentials(ctx context.Context, a *account) *LoadError {
	action := "GetCredentials"
	if a.roleARN != "" {
		action = "AssumeRole"
	}
	fail := func(err error, kind Kind, code string) *LoadError {
		return &LoadError{AccountID: a.id, RoleARN: a.roleARN, Action: action, Kind: kind, Code: code, Err: err, cfg: &l.cfg}
	}
	if a.creds == nil {
		return fail(errors.New("no credentials provider"), KindCredentials, "")
	}
	cctx, cancel := callContext(ctx, l.cfg.CallTimeout)
	defer cancel()
	_, err := a.creds.Retrieve(cctx)
	if err == nil {
		return nil
	}
	kind, code := classify(ctx, err)
	if kind == KindOther && a.roleARN == "" {
		kind = KindCredentials // the chain found nothing
	}
	return fail(err, kind, code)
}

// loadTarget reads one account in one region.
func (l *Loader) loadTarget(ctx context.Context, t *target) (*inventory.Inventory, *LoadError) {
	start := time.Now()
	inv := &inventory.Inventory{}
	fail := func(action string, err error) *LoadError {
		kind, code := classify(ctx, err)
		return &LoadError{AccountID: t.acct.id, RoleARN: t.acct.roleARN, Region: t.region, Action: action,
			Kind: kind, Code: code, Err: err, cfg: &l.cfg}
	}
	page := int32(l.cfg.PageSize)

	var vpcs []types.Vpc
	if err := pages(ctx, l.cfg.CallTimeout, ec2.NewDescribeVpcsPaginator(t.ec2, &ec2.DescribeVpcsInput{MaxResults: &page}),
		func(o *ec2.DescribeVpcsOutput) { vpcs = append(vpcs, o.Vpcs...) }); err != nil {
		return nil, fail("DescribeVpcs", err)
	}
	var subnets []types.Subnet
	if err := pages(ctx, l.cfg.CallTimeout, ec2.NewDescribeSubnetsPaginator(t.ec2, &ec2.DescribeSubnetsInput{MaxResults: &page}),
		func(o *ec2.DescribeSubnetsOutput) { subnets = append(subnets, o.Subnets...) }); err != nil {
		return nil, fail("DescribeSubnets", err)
	}
	var tables []types.RouteTable
	rtPage := min(page, 100)
	if err := pages(ctx, l.cfg.CallTimeout, ec2.NewDescribeRouteTablesPaginator(t.ec2, &ec2.DescribeRouteTablesInput{MaxResults: &rtPage}),
		func(o *ec2.DescribeRouteTablesOutput) { tables = append(tables, o.RouteTables...) }); err != nil {
		return nil, fail("DescribeRouteTables", err)
	}
	var enis []types.NetworkInterface
	if err := pages(ctx, l.cfg.CallTimeout, ec2.NewDescribeNetworkInterfacesPaginator(t.ec2, &ec2.DescribeNetworkInterfacesInput{
		MaxResults: &page, IncludeManagedResources: aws.Bool(true),
	}), func(o *ec2.DescribeNetworkInterfacesOutput) { enis = append(enis, o.NetworkInterfaces...) }); err != nil {
		return nil, fail("DescribeNetworkInterfaces", err)
	}
	var reservations []types.Reservation
	if err := pages(ctx, l.cfg.CallTimeout, ec2.NewDescribeInstancesPaginator(t.ec2, &ec2.DescribeInstancesInput{
		MaxResults: &page, IncludeManagedResources: aws.Bool(true),
	}), func(o *ec2.DescribeInstancesOutput) { reservations = append(reservations, o.Reservations...) }); err != nil {
		return nil, fail("DescribeInstances", err)
	}

	for i := range vpcs {
		inv.VPCs = append(inv.VPCs, convertVPC(&vpcs[i], t.region))
	}
	public := publicSubnets(tables)
	for i := range subnets {
		inv.Subnets = append(inv.Subnets, convertSubnet(&subnets[i], t.region, public))
	}
	for i := range enis {
		inv.NetworkInterfaces = append(inv.NetworkInterfaces, convertENI(&enis[i], t.region))
	}
	for i := range reservations {
		r := &reservations[i]
		for j := range r.Instances {
			inv.Instances = append(inv.Instances, convertInstance(&r.Instances[j], aws.ToString(r.OwnerId), t.region))
		}
	}
	l.log.Debug().Str("account", t.acct.id).Str("region", t.region).Int("vpcs", len(inv.VPCs)).
		Int("interfaces", len(inv.NetworkInterfaces)).Int("instances", len(inv.Instances)).
		Dur("took", time.Since(start)).Msg("aws inventory: region loaded")
	return inv, nil
}

// paginator is what the SDK's Describe* paginators have in common.
type paginator[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*ec2.Options)) (O, error)
}

// pages walks every page of p, each call bounded by timeout.
func pages[O any](ctx context.Context, timeout time.Duration, p paginator[O], each func(O)) error {
	for p.HasMorePages() {
		cctx, cancel := callContext(ctx, timeout)
		out, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			return err
		}
		each(out)
	}
	return nil
}

// assemble joins the parts that loaded into one inventory, in
// configuration order (account by account, region by region), each part
// in the order EC2 listed it, so that the same state gives the same file.
func (l *Loader) assemble(parts []part) *inventory.Inventory {
	inv := &inventory.Inventory{
		GeneratedBy:       GeneratedBy,
		Accounts:          []inventory.Account{},
		VPCs:              []inventory.VPC{},
		Subnets:           []inventory.Subnet{},
		NetworkInterfaces: []inventory.NetworkInterface{},
		Instances:         []inventory.Instance{},
	}
	for _, p := range parts {
		if p.inv == nil {
			continue
		}
		inv.VPCs = append(inv.VPCs, p.inv.VPCs...)
		inv.Subnets = append(inv.Subnets, p.inv.Subnets...)
		inv.NetworkInterfaces = append(inv.NetworkInterfaces, p.inv.NetworkInterfaces...)
		inv.Instances = append(inv.Instances, p.inv.Instances...)
	}
	inv.Accounts = accountsOf(l.accounts, inv)
	return inv
}

// accountsOf lists the accounts of the roles, in configuration order, then
// every other owner the inventory names (the account of the default
// credentials; owners of shared subnets), by ID.
func accountsOf(accts []*account, inv *inventory.Inventory) []inventory.Account {
	out := []inventory.Account{}
	seen := map[string]bool{"": true}
	for _, a := range accts {
		if !seen[a.id] {
			seen[a.id] = true
			out = append(out, inventory.Account{AccountID: a.id})
		}
	}
	var more []string
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			more = append(more, id)
		}
	}
	for _, v := range inv.VPCs {
		add(v.AccountID)
	}
	for _, s := range inv.Subnets {
		add(s.AccountID)
	}
	for _, n := range inv.NetworkInterfaces {
		add(n.AccountID)
	}
	for _, in := range inv.Instances {
		add(in.AccountID)
	}
	slices.Sort(more)
	for _, id := range more {
		out = append(out, inventory.Account{AccountID: id})
	}
	return out
}

// sdkLogger passes the AWS SDK's log lines to zerolog: warnings as
// warnings, anything else at debug.
type sdkLogger struct{ log zerolog.Logger }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	ev := l.log.Debug()
	if c == logging.Warn {
		ev = l.log.Warn()
	}
	ev.Str("from", "aws-sdk").Msgf(format, v...)
}
