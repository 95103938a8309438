package flowgen

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// Labels is the ground truth of one generated data set: every planted
// story and every benign look-alike, with the exact numbers a detection or
// a test should find in the flow logs. It is written as labels.json.
type Labels struct {
	GeneratedBy string    `json:"generated_by"`
	Seed        uint64    `json:"seed"`
	AccountID   string    `json:"account_id"`
	Region      string    `json:"region"`
	VPCID       string    `json:"vpc_id"`
	Format      string    `json:"format"` // the AWS format string of the lines
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Totals      Totals    `json:"totals"`
	Stories     []Story   `json:"stories"`
}

// Totals counts every record written.
type Totals struct {
	Records     int64   `json:"records"`
	Accepted    int64   `json:"accepted"`
	Rejected    int64   `json:"rejected"`
	NoData      int64   `json:"nodata"`
	SkipData    int64   `json:"skipdata"`
	RejectShare float64 `json:"reject_share"` // Rejected / Records
}

// Story kinds.
const (
	KindZombie      = "zombie"                  // old clients knocking on a recycled address
	KindMemcached   = "memcached_amplification" // UDP 11211 seeded, then amplified
	KindHealthCheck = "alb_health_check"        // look-alike: tiny repeated flows to one port
	KindNTP         = "ntp"                     // look-alike: external UDP 123, small and symmetric
	KindDNS         = "dns"                     // look-alike: UDP 53 to the VPC resolver
	KindBackup      = "backup"                  // look-alike: large periodic uploads to S3
	KindScanners    = "internet_scanners"       // noise: rejected probes of public addresses
	KindBackground  = "background"              // the fleet's ordinary traffic
	KindIdle        = "idle"                    // NODATA and SKIPDATA records
)

// Story is one stream of planted records. Alert says whether a detection
// should fire on it: true for the two stories, false for the look-alikes
// and the noise. Exactly one of the detail fields is set for the kinds
// that have details.
type Story struct {
	Kind    string    `json:"kind"`
	Alert   bool      `json:"alert"`
	Summary string    `json:"summary"`
	Start   time.Time `json:"start,omitzero"` // the earliest start of its records
	End     time.Time `json:"end,omitzero"`   // the latest end of its records
	Records int64     `json:"records"`
	// Target is where the story's traffic goes: the zombie address, the
	// memcached server, the resolver.
	Target *Endpoint `json:"target,omitempty"`

	Zombie       *ZombieLabel      `json:"zombie,omitempty"`
	Memcached    *MemcachedLabel   `json:"memcached,omitempty"`
	HealthChecks *HealthCheckLabel `json:"health_checks,omitempty"`
	NTP          *NTPLabel         `json:"ntp,omitempty"`
	DNS          *DNSLabel         `json:"dns,omitempty"`
	Backup       *BackupLabel      `json:"backup,omitempty"`
	Scanners     *ScannerLabel     `json:"scanners,omitempty"`
}

// Endpoint is an address and port in the VPC and what holds it.
type Endpoint struct {
	Address     netip.Addr `json:"address"`
	Port        uint16     `json:"port,omitempty"`
	Protocol    uint8      `json:"protocol,omitempty"` // IANA number: 6 TCP, 17 UDP
	InterfaceID string     `json:"interface_id,omitempty"`
	InstanceID  string     `json:"instance_id,omitempty"`
	Name        string     `json:"name,omitempty"`
	Service     string     `json:"service,omitempty"`
}

// ZombieLabel: every source tries the target MinPerHour to MaxPerHour
// times in every full clock hour of the span, each try one REJECTed SYN
// from a new source port.
type ZombieLabel struct {
	MinPerHour int            `json:"min_per_hour"`
	MaxPerHour int            `json:"max_per_hour"`
	TCPFlags   int            `json:"tcp_flags"`
	Sources    []ZombieSource `json:"sources"`
}

// ZombieSource is one zombie client.
type ZombieSource struct {
	Address netip.Addr  `json:"address"`
	Tries   int64       `json:"tries"`
	PerHour []HourCount `json:"per_hour"`
}

// HourCount is the tries in one clock hour; Full is false for an hour the
// span covers only in part.
type HourCount struct {
	Hour  time.Time `json:"hour"`
	Tries int       `json:"tries"`
	Full  bool      `json:"full"`
}

// MemcachedLabel is the amplification: the set that seeds the key and the
// get that is amplified, each a request record and a reply record on the
// memcached interface.
type MemcachedLabel struct {
	Attacker      netip.Addr `json:"attacker"`
	Set           Exchange   `json:"set"`
	Get           Exchange   `json:"get"`
	Amplification float64    `json:"amplification"` // Get.ReplyBytes / Get.RequestBytes
}

// Exchange is a request and its reply.
type Exchange struct {
	Time           time.Time `json:"time"`
	SrcPort        uint16    `json:"src_port"`
	RequestPackets uint64    `json:"request_packets"`
	RequestBytes   uint64    `json:"request_bytes"`
	ReplyPackets   uint64    `json:"reply_packets"`
	ReplyBytes     uint64    `json:"reply_bytes"`
}

// HealthCheckLabel: each ALB node checks each target on Port; the gaps
// between two checks of a pair are MinGapSeconds to MaxGapSeconds.
type HealthCheckLabel struct {
	IntervalSeconds int               `json:"interval_seconds"`
	MinGapSeconds   int               `json:"min_gap_seconds"`
	MaxGapSeconds   int               `json:"max_gap_seconds"`
	Port            uint16            `json:"port"`
	Pairs           []HealthCheckPair `json:"pairs"`
}

// HealthCheckPair is one ALB node and one target.
type HealthCheckPair struct {
	NodeInterfaceID   string     `json:"node_interface_id"`
	NodeAddress       netip.Addr `json:"node_address"`
	TargetInterfaceID string     `json:"target_interface_id"`
	TargetAddress     netip.Addr `json:"target_address"`
	Checks            int64      `json:"checks"`
}

// NTPLabel lists the public time servers and who polls them how often.
type NTPLabel struct {
	Servers []netip.Addr `json:"servers"`
	Clients []NTPClient  `json:"clients"`
}

// NTPClient is one instance keeping time; ViaNAT says its polls leave
// through the NAT gateway (and appear on its interface too).
type NTPClient struct {
	InterfaceID string     `json:"interface_id"`
	Address     netip.Addr `json:"address"`
	PollSeconds int        `json:"poll_seconds"`
	Polls       int64      `json:"polls"`
	ViaNAT      bool       `json:"via_nat"`
}

// DNSLabel counts the queries to the VPC resolver.
type DNSLabel struct {
	Queries int64 `json:"queries"`
	Clients int   `json:"clients"`
}

// BackupLabel lists the runs of the backup job.
type BackupLabel struct {
	Instance Endpoint    `json:"instance"`
	Runs     []BackupRun `json:"runs"`
}

// BackupRun is one upload; Bytes and Packets count the outbound records.
type BackupRun struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Streams int       `json:"streams"`
	Bytes   uint64    `json:"bytes"`
	Packets uint64    `json:"packets"`
}

// ScannerLabel counts the internet's probes of the public addresses.
type ScannerLabel struct {
	Sources int   `json:"sources"`
	Probes  int64 `json:"probes"`
	BPA     int64 `json:"bpa"` // probes rejected with reject-reason BPA
}

// WriteJSON writes the labels as indented JSON.
func (l *Labels) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(l)
}

// ReadLabels reads labels written by WriteJSON, strictly.
func ReadLabels(r io.Reader) (*Labels, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var l Labels
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	return &l, nil
}

// Story returns the first story of the kind, or nil.
func (l *Labels) Story(kind string) *Story {
	for i := range l.Stories {
		if l.Stories[i].Kind == kind {
			return &l.Stories[i]
		}
	}
	return nil
}
