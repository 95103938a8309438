package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/flowhec/flowhec/flowgen"
	"github.com/flowhec/flowhec/flowlog"
	"github.com/flowhec/flowhec/forwarder"
	"github.com/flowhec/flowhec/forwarder/hec/hectest"
	"github.com/flowhec/flowhec/forwarder/source/file"
)

const demoUsage = `usage: flowhec demo [--duration D] [--rate N] [--dir DIR]

Runs the whole pipeline on generated data, with no AWS and no Splunk:
generates a sample VPC's flow logs with both stories planted (as S3 gzip
objects with header lines), starts an HEC receiver on loopback that behaves
like Splunk's, delivers every record to it with flowhec run --once, and
prints what happened and what the receiver saw.

flags:
`

func runDemo(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("demo", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, demoUsage); fl.PrintDefaults() }
	duration := fl.Duration("duration", 2*time.Hour, "span of generated traffic")
	rate := fl.Float64("rate", 0, "average records per second of generated traffic (0: the generator's default)")
	dir := fl.String("dir", "", "work directory (default: a temporary one, removed afterwards)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	work := *dir
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "flowhec-demo-"); err != nil {
			fmt.Fprintf(stderr, "flowhec demo: %v\n", err)
			return exitUsage
		}
		defer os.RemoveAll(work)
	}
	flows := filepath.Join(work, "flows")
	labelsPath := filepath.Join(work, "labels.json")

	fmt.Fprintf(stdout, "1. generating %s of flow logs into %s\n", *duration, flows)
	genArgs := []string{"--seed", "1", "--duration", duration.String(), "--out", flows,
		"--inventory", filepath.Join(work, "inventory.json"), "--labels", labelsPath}
	if *rate > 0 {
		genArgs = append(genArgs, "--rate", fmt.Sprint(*rate))
	}
	var genOut bytes.Buffer
	if code := runGen(genArgs, nil, &genOut, &genOut); code != exitOK {
		stderr.Write(genOut.Bytes())
		return code
	}
	for _, line := range strings.Split(strings.TrimSpace(genOut.String()), "\n") {
		fmt.Fprintln(stdout, "   ", strings.TrimPrefix(line, "flowhec gen: "))
	}
	labels, err := readLabels(labelsPath)
	if err != nil {
		fmt.Fprintf(stderr, "flowhec demo: %v\n", err)
		return exitUsage
	}

	const token = "00000000-demo-demo-demo-000000000000"
	srv, err := hectest.Listen(hectest.Config{Tokens: []hectest.Token{{Value: token, Ack: true}}, Indexes: []string{"aws_vpc"}})
	if err != nil {
		fmt.Fprintf(stderr, "flowhec demo: start the HEC receiver: %v\n", err)
		return exitUsage
	}
	defer srv.Close()
	tokenFile := filepath.Join(work, "hec.token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		fmt.Fprintf(stderr, "flowhec demo: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "2. HEC receiver on %s (token with indexer acknowledgement, index aws_vpc)\n", srv.URL)

	cfg := forwarder.DefaultConfig()
	cfg.StateDir = filepath.Join(work, "state")
	cfg.Event.Index = "aws_vpc"
	cfg.Event.Host = "flowhec-demo"
	cfg.HEC.URLs = []string{srv.URL}
	cfg.HEC.TokenFile = tokenFile
	cfg.HEC.Ack.Enabled = true
	cfg.HEC.Ack.PollInterval = 50 * time.Millisecond
	cfg.Metrics.Listen = ""
	cfg.Log.Level = "warn"
	cfg.Sources = []forwarder.SourceConfig{{Type: "file", Config: file.Config{Name: "demo", Paths: []string{flows}}}}
	cfg.Enrich.InventoryFile = filepath.Join(work, "inventory.json")
	fmt.Fprintln(stdout, "3. delivering with flowhec run --once (disk queue, gzip, indexer acks, checkpoints)")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := forwarder.Run(ctx, cfg, forwarder.Options{Once: true, Log: newLogger(stderr, cfg.Log)})
	if err != nil {
		fmt.Fprintf(stderr, "flowhec demo: %v\n", err)
		return exitBad
	}
	fmt.Fprintln(stdout)
	report(stdout, res, true)
	st := srv.Stats()
	fmt.Fprintf(stdout, "\nthe receiver saw: %d events in %d requests (%d gzip, %.1f MB compressed from %.1f MB), %d acks answered true\n",
		st.EventsAccepted, st.EventRequests, st.GzipRequests, float64(st.BytesReceived)/1e6, float64(st.BytesDecoded)/1e6, st.AcksTrue)
	ok := describeStories(stdout, srv.Events(), labels)
	if int64(st.EventsAccepted) < labels.Totals.Records {
		fmt.Fprintf(stdout, "MISSING: %d of %d generated records did not arrive\n", labels.Totals.Records-int64(st.EventsAccepted), labels.Totals.Records)
		ok = false
	}
	if !ok {
		return exitBad
	}
	return exitOK
}

func readLabels(path string) (*flowgen.Labels, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return flowgen.ReadLabels(f)
}

// describeStories looks for the two planted stories in what HEC received,
// as a search would, and says whether they match the ground truth.
func describeStories(w io.Writer, events []hectest.Event, labels *flowgen.Labels) bool {
	type dst struct {
		addr netip.Addr
		port uint64
	}
	rejects := map[dst]map[netip.Addr]int{}
	names := map[netip.Addr]string{} // what enrichment called each destination
	var maxAmp float64
	var ampFrom netip.Addr
	requests := map[netip.AddrPort]uint64{} // UDP bytes sent to memcached, by client
	var rec flowlog.Record
	f := flowlog.DefaultFormat()
	parsed := make([]flowlog.Record, 0) // second pass needs the replies
	for _, ev := range events {
		if f.Parse([]byte(ev.Text()), &rec) != nil {
			continue
		}
		src, _ := rec.Addr(flowlog.SrcAddr)
		d, _ := rec.Addr(flowlog.DstAddr)
		dport, _ := rec.Uint(flowlog.DstPort)
		sport, _ := rec.Uint(flowlog.SrcPort)
		proto, _ := rec.Uint(flowlog.Protocol)
		bytesN, _ := rec.Uint(flowlog.Bytes)
		if _, seen := names[d]; !seen {
			names[d] = ownerName(ev.Fields)
		}
		if a, ok := rec.Bytes(flowlog.Action); ok && string(a) == "REJECT" {
			k := dst{d, dport}
			if rejects[k] == nil {
				rejects[k] = map[netip.Addr]int{}
			}
			rejects[k][src]++
		}
		if proto == 17 && dport == 11211 {
			requests[netip.AddrPortFrom(src, uint16(sport))] += bytesN
		}
		if proto == 17 && sport == 11211 {
			parsed = append(parsed, *rec.Clone())
		}
	}
	for i := range parsed {
		r := &parsed[i]
		d, _ := r.Addr(flowlog.DstAddr)
		dport, _ := r.Uint(flowlog.DstPort)
		reply, _ := r.Uint(flowlog.Bytes)
		if req := requests[netip.AddrPortFrom(d, uint16(dport))]; req > 0 {
			if amp := float64(reply) / float64(req); amp > maxAmp {
				maxAmp, ampFrom = amp, d
			}
		}
	}
	keys := make([]dst, 0, len(rejects))
	for k := range rejects {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return total(rejects[keys[i]]) > total(rejects[keys[j]]) })

	ok := true
	fmt.Fprintln(w, "\nmost rejected destinations in the received events:")
	for _, k := range keys[:min(3, len(keys))] {
		fmt.Fprintf(w, "  %s:%d %s  %d rejected flows from %d sources\n", k.addr, k.port, names[k.addr], total(rejects[k]), len(rejects[k]))
	}
	if z := labels.Story(flowgen.KindZombie); z != nil && z.Target != nil {
		found := len(keys) > 0 && keys[0].addr == z.Target.Address && keys[0].port == uint64(z.Target.Port)
		named := names[z.Target.Address] != ""
		fmt.Fprintf(w, "zombie story (planted: %s:%d, %d sources): %s; its owner named by enrichment: %s\n",
			z.Target.Address, z.Target.Port, len(z.Zombie.Sources), foundText(found), foundText(named))
		found = found && named
		ok = ok && found
	}
	if m := labels.Story(flowgen.KindMemcached); m != nil && m.Memcached != nil {
		found := ampFrom == m.Memcached.Attacker && maxAmp > 500
		fmt.Fprintf(w, "memcached story (planted: %s, amplification %.0f): largest UDP 11211 reply/request ratio %.0f from %s: %s\n",
			m.Memcached.Attacker, m.Memcached.Amplification, maxAmp, ampFrom, foundText(found))
		ok = ok && found
	}
	return ok
}

// ownerName is how the enrichment fields of an event name its destination.
func ownerName(fields map[string]any) string {
	name, _ := fields["dest_instance_name"].(string)
	if name == "" {
		name, _ = fields["dest_resource"].(string)
	}
	if svc, _ := fields["dest_service"].(string); svc != "" {
		name += " (service " + svc + ")"
	}
	if name == "" {
		return ""
	}
	return "= " + name
}

func total(m map[netip.Addr]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func foundText(ok bool) string {
	if ok {
		return "found"
	}
	return "NOT FOUND"
}
