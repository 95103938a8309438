package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/flowhec/flowhec/flowgen"
	"github.com/flowhec/flowhec/flowlog"
)

const genUsage = `usage: flowhec gen [FLAGS]

Generates the flow logs of a small simulated VPC, deterministically (the
same flags write the same bytes), with two stories planted in ordinary
traffic: 16 zombie clients knocking on a recycled address, and a memcached
UDP amplification; and benign look-alikes that detections must not flag
(ALB health checks, NTP, DNS, a periodic backup to S3).

Without --out, plain lines go to stdout (no header line). With --out DIR,
gzip objects are written under DIR as a flow log delivers them to S3:
DIR/AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD/…_YYYYMMDDTHHmmZ_HASH.log.gz,
one per 5 minutes of data, each starting with its header line.
--inventory writes the fleet (ENIs, instances, tags) as JSON, --labels the
ground truth of every story (what, where, when, exactly how much).

flags:
`

// genFlagOf names the flag that sets each Config field, so that the
// generator's validation errors can be told in the command's terms.
var genFlagOf = map[string]string{
	"Start":         "--start",
	"Duration":      "--duration",
	"Rate":          "--rate",
	"AccountID":     "--account",
	"Region":        "--region",
	"Zombie.Target": "--zombie-addr",
	"Memcached.At":  "--memcached-at",
	"ObjectRecords": "--object-records",
}

func runGen(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	def := flowgen.DefaultConfig()
	fl := flag.NewFlagSet("gen", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, genUsage); fl.PrintDefaults() }
	seed := fl.Uint64("seed", def.Seed, "random `seed`: the same seed and flags write the same bytes")
	start := fl.String("start", def.Start.Format(time.RFC3339), "start of the span, an RFC 3339 `time` on a whole minute")
	duration := fl.Duration("duration", def.Duration, "length of the span, whole minutes")
	rate := fl.Float64("rate", def.Rate, "average `records` per second, all traffic together")
	records := fl.Int64("records", -1, "approximate total `number` of records (instead of --rate)")
	format := fl.String("format", "default", "record format: `default`, all (every field of every version), an AWS format string (\"${version} ${vpc-id} …\") or field names separated by spaces")
	out := fl.String("out", "", "write S3-style gzip objects under `dir` instead of lines to stdout")
	inventory := fl.String("inventory", "", "write the fleet's inventory as JSON to `file`")
	labels := fl.String("labels", "", "write the ground-truth labels as JSON to `file`")
	zombie := fl.String("zombie-addr", def.Zombie.Target.String(), "the recycled address the zombie clients knock on, `ip:port` inside the VPC")
	memcachedAt := fl.String("memcached-at", "", "when the memcached story happens: an RFC 3339 time or an offset from --start such as 3h (default: an eighth of the span in, at most 3h)")
	account := fl.String("account", def.AccountID, "AWS account `id` (12 digits)")
	region := fl.String("region", def.Region, "AWS `region`")
	objectRecords := fl.Int("object-records", 0, "with --out, also close an object after `n` records (0: only every 5 minutes)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "flowhec gen: "+format+"\n", a...)
		return exitUsage
	}
	if fl.NArg() > 0 {
		return bad("unexpected argument %q: gen takes only flags (see flowhec gen -h)", fl.Arg(0))
	}
	set := map[string]bool{}
	fl.Visit(func(f *flag.Flag) { set[f.Name] = true })

	c := def
	c.Seed = *seed
	c.Duration = *duration
	c.AccountID = *account
	c.Region = *region
	c.ObjectRecords = *objectRecords
	t, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		return bad("--start %q: not an RFC 3339 time such as 2026-11-01T00:00:00Z", *start)
	}
	c.Start = t.UTC()
	switch {
	case set["rate"] && set["records"]:
		return bad("--rate and --records both given; give one of them")
	case set["records"]:
		if *records < 0 {
			return bad("--records %d: give a number of records, 0 or more", *records)
		}
		if c.Duration > 0 {
			c.Rate = float64(*records) / c.Duration.Seconds()
		}
	default:
		c.Rate = *rate
	}
	switch *format {
	case "all":
		c.Format = flowgen.AllFields()
	default:
		if c.Format, err = flowlog.ParseFormat(*format); err != nil {
			return bad("--format: %v", err)
		}
	}
	if c.Zombie.Target, err = netip.ParseAddrPort(*zombie); err != nil {
		return bad("--zombie-addr %q: not an address and port such as 172.31.1.67:80", *zombie)
	}
	if *memcachedAt != "" {
		if off, err := time.ParseDuration(*memcachedAt); err == nil {
			c.Memcached.At = c.Start.Add(off)
		} else if at, err := time.Parse(time.RFC3339, *memcachedAt); err == nil {
			c.Memcached.At = at.UTC()
		} else {
			return bad("--memcached-at %q: neither an RFC 3339 time nor an offset such as 3h", *memcachedAt)
		}
	}
	if err := c.Validate(); err != nil {
		fmt.Fprint(stderr, genConfigErrors(err))
		return exitUsage
	}
	g, err := flowgen.New(c)
	if err != nil {
		return bad("%v", err)
	}

	began := time.Now()
	var (
		lab     *flowgen.Labels
		objects []flowgen.Object
	)
	if *out != "" {
		if lab, objects, err = g.WriteS3(*out); err != nil {
			return bad("--out %s: %v", *out, err)
		}
	} else if lab, err = g.WriteLines(stdout); err != nil {
		return bad("writing lines to stdout: %v", err)
	}
	if *inventory != "" {
		if err := genWriteFile(*inventory, g.Inventory().WriteJSON); err != nil {
			return bad("--inventory: %v", err)
		}
	}
	if *labels != "" {
		if err := genWriteFile(*labels, lab.WriteJSON); err != nil {
			return bad("--labels: %v", err)
		}
	}
	genSummary(stderr, c, lab, objects, *out, time.Since(began))
	return exitOK
}

// genConfigErrors turns the generator's validation errors into lines that
// name the flags the user typed.
func genConfigErrors(err error) string {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var b strings.Builder
	for _, e := range errs {
		msg := strings.TrimPrefix(e.Error(), "flowgen: ")
		for field, flagName := range genFlagOf {
			if strings.HasPrefix(msg, field+" ") {
				msg = flagName + msg[len(field):]
				break
			}
		}
		b.WriteString("flowhec gen: " + msg + "\n")
	}
	return b.String()
}

// genWriteFile writes through a temporary file and a rename, so that a
// reader never sees half a file.
func genWriteFile(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

func genSummary(w io.Writer, c flowgen.Config, l *flowgen.Labels, objects []flowgen.Object, out string, took time.Duration) {
	t := l.Totals
	fmt.Fprintf(w, "flowhec gen: %s records from %s for %v (%s REJECT, %.2f%%; %s NODATA, %s SKIPDATA) in %.1fs",
		genThousands(t.Records), c.Start.Format(time.RFC3339), c.Duration, genThousands(t.Rejected), 100*t.RejectShare,
		genThousands(t.NoData), genThousands(t.SkipData), took.Seconds())
	if out != "" {
		var size int64
		for _, o := range objects {
			size += o.Size
		}
		fmt.Fprintf(w, "; %d objects, %.1f MB gzip under %s", len(objects), float64(size)/1e6, filepath.Join(out, "AWSLogs"))
	}
	fmt.Fprintln(w)
	if s := l.Story(flowgen.KindZombie); s != nil {
		fmt.Fprintf(w, "  zombie: %d sources knock on %v:%d (%s), %s REJECTed tries\n",
			len(s.Zombie.Sources), s.Target.Address, s.Target.Port, s.Target.Name, genThousands(s.Records))
	}
	if s := l.Story(flowgen.KindMemcached); s != nil {
		m := s.Memcached
		fmt.Fprintf(w, "  memcached: %v seeds %s:%d/udp (%s) at %s, then a %d-byte get returns %d bytes (×%.1f)\n",
			m.Attacker, s.Target.Address, s.Target.Port, s.Target.Name, m.Set.Time.Format(time.RFC3339),
			m.Get.RequestBytes, m.Get.ReplyBytes, m.Amplification)
	}
}

// genThousands writes n with thousands separators: 1234567 → 1,234,567.
func genThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + genThousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
