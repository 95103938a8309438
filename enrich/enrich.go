package enrich

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/flowhec/flowhec/enrich/awsinv"
	"github.com/flowhec/flowhec/enrich/derive"
	"github.com/flowhec/flowhec/enrich/inventory"
	"github.com/flowhec/flowhec/enrich/ipranges"
	"github.com/flowhec/flowhec/flowlog"
)

// Field groups a config may choose with `enrich.fields`.
const (
	GroupOwner      = "owner"       // ENI, instance, Name and service tags, VPC, subnet, AZ, groups, resource, owner since
	GroupAWSService = "aws_service" // the AWS service and region of an AWS address (ip-ranges)
	GroupScope      = "scope"       // private / public / aws per side
	GroupDerived    = "derived"     // action, protocol, transport, protocol_version, duration, direction, tcp_flag
)

// GroupNone alone in `enrich.fields` turns enrichment off.
const GroupNone = "none"

var allGroups = []string{GroupOwner, GroupAWSService, GroupScope, GroupDerived}

// Config is the `enrich:` section of the config file.
type Config struct {
	// Fields are the groups of fields added; empty means all of them.
	Fields []string `yaml:"fields"`
	// InventoryFile is a static inventory (the schema `flowhec inventory
	// export` and `flowhec gen` write); empty means none.
	InventoryFile string `yaml:"inventory_file"`

	Inventory inventory.Config `yaml:",inline"` // service_tags, cidr_names, history
	IPRanges  ipranges.Config  `yaml:",inline"` // ip_ranges, ip_ranges_timeout
	Derive    derive.Config    `yaml:",inline"` // inside_networks
	// AWS reads the inventory from EC2 when regions are given, refreshed
	// in the background; it replaces inventory_file's.
	AWS awsinv.Config `yaml:"aws"`
}

// UsesAWS reports whether the inventory is to be read from EC2.
func (c Config) UsesAWS() bool { return len(c.AWS.Regions) > 0 }

// DefaultConfig enriches with every group; no inventory and no ip-ranges
// until they are configured.
func DefaultConfig() Config {
	return Config{
		Inventory: inventory.DefaultConfig(),
		IPRanges:  ipranges.DefaultConfig(),
		Derive:    derive.DefaultConfig(),
		AWS:       awsinv.DefaultConfig(),
	}
}

// Validate reports every bad setting, naming its key under prefix
// ("enrich.").
func (c Config) Validate(prefix string) error {
	var errs []error
	for i, g := range c.Fields {
		switch {
		case g == GroupNone && len(c.Fields) > 1:
			errs = append(errs, fmt.Errorf("%sfields[%d]: %q turns enrichment off; it cannot go with other groups", prefix, i, g))
		case g != GroupNone && !slices.Contains(allGroups, g):
			errs = append(errs, fmt.Errorf("%sfields[%d]: %q; want one of %v, or none", prefix, i, g, allGroups))
		}
	}
	for _, err := range []error{c.Inventory.Validate(), c.IPRanges.Validate(), c.Derive.Validate()} {
		if err != nil {
			errs = append(errs, prefixErrors(prefix, err))
		}
	}
	if c.UsesAWS() {
		// awsinv names its keys in full ("enrich.aws.…").
		if err := c.AWS.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func prefixErrors(prefix string, err error) error {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, prefixErrors(prefix, e))
		}
		return errors.Join(out...)
	}
	return fmt.Errorf("%s%w", prefix, err)
}

// Enricher adds who-owns-what and derived fields to records. Its owner
// index is swapped atomically when a new inventory arrives, so Enrich never
// waits; it is safe for concurrent use.
type Enricher struct {
	cfg                               Config
	owners                            inventory.Current
	ranges                            *ipranges.Table
	deriver                           *derive.Deriver
	owner, awsService, scope, derived bool

	// onMiss, if set, hears of private addresses no interface holds, so
	// that EC2 can be asked about them (awsinv.Resolver).
	onMiss func(netip.Addr)

	// fileStamp is the size and modification time of inventory_file when
	// it was last read, so a changed file is read again.
	fileStamp fileStamp

	mu          sync.Mutex // serialises Update
	history     *inventory.History
	historyPath string // "" keeps the history in memory only
}

// OpenReadOnly is Open for looking, not running: it reads the history in
// stateDir but never writes it (`flowhec inventory show`).
func OpenReadOnly(ctx context.Context, cfg Config, stateDir string) (*Enricher, error) {
	return open(ctx, cfg, stateDir, false)
}

// Open builds an Enricher: it loads the ip-ranges and the static inventory
// if configured, and the ownership history from stateDir ("" keeps it in
// memory only).
func Open(ctx context.Context, cfg Config, stateDir string) (*Enricher, error) {
	return open(ctx, cfg, stateDir, true)
}

func open(ctx context.Context, cfg Config, stateDir string, save bool) (*Enricher, error) {
	if err := cfg.Validate("enrich."); err != nil {
		return nil, err
	}
	e := &Enricher{cfg: cfg}
	groups := cfg.Fields
	if len(groups) == 0 {
		groups = allGroups
	}
	e.owner = slices.Contains(groups, GroupOwner)
	e.awsService = slices.Contains(groups, GroupAWSService)
	e.scope = slices.Contains(groups, GroupScope)
	e.derived = slices.Contains(groups, GroupDerived)

	ranges, err := ipranges.Load(ctx, cfg.IPRanges)
	if err != nil {
		return nil, err
	}
	e.ranges = ranges
	var inv *inventory.Inventory
	if cfg.InventoryFile != "" {
		e.fileStamp = stampOf(cfg.InventoryFile)
		if inv, err = inventory.Load(cfg.InventoryFile); err != nil {
			return nil, fmt.Errorf("enrich.inventory_file: %w", err)
		}
	}
	// The VPCs' own ranges are what "inside" means for direction, added to
	// whatever inside_networks says.
	dcfg := cfg.Derive
	if inv != nil {
		for _, v := range inv.VPCs {
			dcfg.Inside = appendPrefix(dcfg.Inside, v.CIDRBlock)
			dcfg.Inside = appendPrefix(dcfg.Inside, v.IPv6CIDRBlock)
		}
	}
	if e.deriver, err = derive.New(dcfg, ranges.Contains); err != nil {
		return nil, fmt.Errorf("enrich.inside_networks: %w", err)
	}

	if stateDir != "" {
		path := filepath.Join(stateDir, inventory.HistoryFile)
		if save {
			e.historyPath = path
		}
		if e.history, err = inventory.LoadHistory(path, cfg.Inventory.History); err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
			e.history = nil
		}
	}
	if e.history == nil {
		if e.history, err = inventory.NewHistory(cfg.Inventory.History); err != nil {
			return nil, err
		}
	}
	if inv != nil {
		if err := e.Update(inv, time.Now()); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func appendPrefix(ps []netip.Prefix, p netip.Prefix) []netip.Prefix {
	if !p.IsValid() || slices.Contains(ps, p) {
		return ps
	}
	return append(ps, p)
}

// Update takes a new inventory observed at `at`: the history notes which
// addresses changed hands, the owner index is rebuilt from both and swapped
// in, and the history is saved.
func (e *Enricher) Update(inv *inventory.Inventory, at time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.history.Observe(inv, at); err != nil {
		return err
	}
	ix, err := inventory.Build(inv, e.history, e.cfg.Inventory)
	if err != nil {
		return err
	}
	e.owners.Store(ix)
	if e.historyPath != "" {
		if err := e.history.Save(e.historyPath); err != nil {
			return err
		}
	}
	return nil
}

// Enabled reports whether Enrich adds anything (enrich.fields is not
// [none]).
func (e *Enricher) Enabled() bool { return e.owner || e.awsService || e.scope || e.derived }

// SetMissHandler registers f to hear of private addresses that no
// interface in the index holds. f must not block. Call it before the
// Enricher is used.
func (e *Enricher) SetMissHandler(f func(netip.Addr)) { e.onMiss = f }

// Lookup says who owned a at unix second sec, as Enrich would.
func (e *Enricher) Lookup(a netip.Addr, sec int64) (*inventory.Owner, bool) {
	return e.owners.Lookup(a, sec)
}

// History returns the intervals during which interfaces held a.
func (e *Enricher) History(a netip.Addr) []inventory.Interval {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.history.Intervals(a)
}

// AWSService returns the AWS service and region of an address in the
// ip-ranges.
func (e *Enricher) AWSService(a netip.Addr) (ipranges.Match, bool) { return e.ranges.Lookup(a) }

// side holds the field names of one end of a flow, built once.
type side struct {
	eni, instanceID, instanceName, service, vpcID, subnetID, az, securityGroups,
	interfaceType, resource, ownerSince, awsService, awsRegion, scope string
}

func newSide(p string) side {
	return side{
		eni: p + "_eni", instanceID: p + "_instance_id", instanceName: p + "_instance_name", service: p + "_service",
		vpcID: p + "_vpc_id", subnetID: p + "_subnet_id", az: p + "_az", securityGroups: p + "_security_groups",
		interfaceType: p + "_interface_type", resource: p + "_resource", ownerSince: p + "_ip_owner_since",
		awsService: p + "_aws_service", awsRegion: p + "_aws_region", scope: p + "_scope",
	}
}

var srcSide, destSide = newSide("src"), newSide("dest")

// Enrich fills f with the fields of rec. It allocates nothing.
func (e *Enricher) Enrich(rec *flowlog.Record, f *Fields) {
	f.Reset()
	sec, _ := rec.Time()
	if a, ok := rec.Addr(flowlog.SrcAddr); ok {
		e.side(f, &srcSide, a, sec)
	}
	if a, ok := rec.Addr(flowlog.DstAddr); ok {
		e.side(f, &destSide, a, sec)
	}
	if e.derived {
		var d derive.Fields
		e.deriver.Derive(rec, &d)
		f.Str("action", d.Action)
		f.Str("transport", d.Transport)
		f.Str("protocol", d.Protocol)
		f.Str("protocol_name", d.ProtocolName)
		f.Str("protocol_version", d.ProtocolVersion)
		if d.HasDuration {
			f.Num("duration", d.Duration)
		}
		f.Str("direction", d.Direction.CIM())
		f.Multi("tcp_flag", d.TCPFlags)
	}
}

func (e *Enricher) side(f *Fields, s *side, a netip.Addr, sec int64) {
	if e.owner {
		if o, ok := e.owners.Lookup(a, sec); ok {
			f.Str(s.eni, o.ENI)
			f.Str(s.instanceID, o.InstanceID)
			f.Str(s.instanceName, o.InstanceName)
			f.Str(s.service, o.Service)
			f.Str(s.vpcID, o.VPCID)
			f.Str(s.subnetID, o.SubnetID)
			f.Str(s.az, o.AZ)
			f.Str(s.securityGroups, o.SecurityGroups)
			f.Str(s.interfaceType, o.InterfaceType)
			f.Str(s.resource, o.Resource)
			if !o.Since.IsZero() {
				f.Num(s.ownerSince, o.Since.Unix())
			}
		} else if e.onMiss != nil && derive.IsPrivate(a) {
			e.onMiss(a)
		}
	}
	if e.awsService {
		if m, ok := e.ranges.Lookup(a); ok {
			f.Str(s.awsService, m.Service)
			f.Str(s.awsRegion, m.Region)
		}
	}
	if e.scope {
		f.Str(s.scope, e.deriver.Scope(a).String())
	}
}

type fileStamp struct {
	size int64
	mod  time.Time
}

func stampOf(path string) fileStamp {
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{st.Size(), st.ModTime()}
}

// ReloadFile re-reads inventory_file if it changed since it was last read
// and takes it with Update. It reports whether it did. A file that no longer
// loads is an error, and the inventory in use stays. One goroutine calls
// it (WatchFile); it is not meant to race with itself.
func (e *Enricher) ReloadFile() (bool, error) {
	path := e.cfg.InventoryFile
	if path == "" {
		return false, nil
	}
	st := stampOf(path)
	if st == e.fileStamp {
		return false, nil
	}
	inv, err := inventory.Load(path)
	if err != nil {
		return false, fmt.Errorf("enrich.inventory_file: %w (keeping the inventory read before)", err)
	}
	if err := e.Update(inv, time.Now()); err != nil {
		return false, err
	}
	e.fileStamp = st
	return true, nil
}

// WatchFile calls ReloadFile every interval until ctx ends, so that a
// static inventory regenerated by `flowhec inventory export` (from cron,
// say) is picked up without a restart.
func (e *Enricher) WatchFile(ctx context.Context, interval time.Duration, onErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := e.ReloadFile(); err != nil && onErr != nil {
			onErr(err)
		}
	}
}
