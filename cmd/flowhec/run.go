package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/flowhec/flowhec/forwarder"
	"github.com/flowhec/flowhec/forwarder/source/file"
)

const runUsage = `usage: flowhec run --config FILE [--check] [--once]
       flowhec run --hec-url URL --hec-token-file FILE [FLAGS] PATH...

Reads flow logs from the configured sources (or the files, directories and
globs given as PATH; "-" is stdin), parses and encodes them, and delivers
them to the Splunk HTTP Event Collector at least once, through a disk queue
in the state directory. Checkpoints move only when HEC has the records, so a
restart resumes where delivery, not reading, stopped.

With --once it delivers everything in the inputs, waits for every
acknowledgement, saves checkpoints and exits: 0 when everything was
delivered, 1 when something was not (dead-lettered, still queued, or an
input that could not be read to its end), 2 on usage or configuration
errors. A second identical run sends nothing new.

SIGINT or SIGTERM stops reading, drains the queue within shutdown_timeout,
and saves checkpoints last.

flags:
`

func runRun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("run", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, runUsage); fl.PrintDefaults() }
	configPath := fl.String("config", "", "YAML config `file` (see flowhec.example.yaml)")
	check := fl.Bool("check", false, "validate the config and exit")
	once := fl.Bool("once", false, "deliver what the inputs hold, wait for every acknowledgement, then exit")
	hecURL := fl.String("hec-url", "", "HEC base `URL`, e.g. https://splunk:8088 (comma-separated for several)")
	tokenFile := fl.String("hec-token-file", "", "`file` holding the HEC token")
	tokenEnv := fl.String("hec-token-env", "", "environment `variable` holding the HEC token")
	index := fl.String("index", "", "Splunk index of every event")
	sourcetype := fl.String("sourcetype", "", "sourcetype of every event (default: chosen by format)")
	eventFormat := fl.String("event-format", "raw", "raw (the line as is) or json")
	stateDir := fl.String("state-dir", "", "directory for checkpoints, queue and dead letters (default ./flowhec-state)")
	format := fl.String("format", "", "format of lines without a header: default, an AWS format string or field names")
	ack := fl.Bool("ack", false, "use indexer acknowledgement (the token must have it on)")
	inventoryFile := fl.String("inventory", "", "static inventory `file` (flowhec inventory export, flowhec gen) to name each address's owner")
	ipRanges := fl.String("ip-ranges", "", "AWS ip-ranges.json `file or URL` to name AWS services")
	enrichFields := fl.String("enrich-fields", "", "enrichment field `groups`: owner,aws_service,scope,derived (default all), or none")
	caFile := fl.String("ca-file", "", "PEM `file` of the CA that signed the HEC certificate")
	insecure := fl.Bool("insecure-skip-verify", false, "do not verify the HEC certificate (never in production)")
	logLevel := fl.String("log-level", "", "debug, info, warn or error")
	cpuProfile := fl.String("cpu-profile", "", "write a CPU profile of the run to `file` (for performance reports)")
	metrics := fl.String("metrics-listen", "", "host:port for /metrics and /healthz (\"off\" to disable; default 127.0.0.1:9108)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *tokenFile == "" && *tokenEnv == "" && os.Getenv("FLOWHEC_HEC_TOKEN") != "" && *hecURL != "" {
		*tokenEnv = "FLOWHEC_HEC_TOKEN"
	}

	cfg := forwarder.DefaultConfig()
	if *configPath != "" {
		var err error
		if cfg, err = forwarder.LoadConfig(*configPath); err != nil {
			fmt.Fprintf(stderr, "flowhec run: %v\n", err)
			return exitUsage
		}
	} else {
		cfg.StateDir = "flowhec-state"
	}
	// Flags override the file.
	set := map[string]bool{}
	fl.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *hecURL != "" {
		cfg.HEC.URLs = strings.Split(*hecURL, ",")
	}
	if *tokenFile != "" || *tokenEnv != "" {
		cfg.HEC.Token, cfg.HEC.TokenFile, cfg.HEC.TokenEnv = "", *tokenFile, *tokenEnv
	}
	if set["index"] {
		cfg.Event.Index = *index
	}
	if set["sourcetype"] {
		cfg.Event.Sourcetype = *sourcetype
	}
	if set["event-format"] || *configPath == "" {
		if err := cfg.Event.Format.UnmarshalText([]byte(*eventFormat)); err != nil {
			fmt.Fprintf(stderr, "flowhec run: --event-format: %v\n", err)
			return exitUsage
		}
	}
	if *stateDir != "" {
		cfg.StateDir = *stateDir
	}
	if *format != "" {
		cfg.Format = *format
	}
	if set["ack"] {
		cfg.HEC.Ack.Enabled = *ack
	}
	if *caFile != "" {
		cfg.HEC.TLS.CAFile = *caFile
	}
	if *inventoryFile != "" {
		cfg.Enrich.InventoryFile = *inventoryFile
	}
	if *ipRanges != "" {
		cfg.Enrich.IPRanges.Source = *ipRanges
	}
	if *enrichFields != "" {
		cfg.Enrich.Fields = strings.Split(*enrichFields, ",")
	}
	if set["insecure-skip-verify"] {
		cfg.HEC.TLS.InsecureSkipVerify = *insecure
	}
	if *logLevel != "" {
		cfg.Log.Level = *logLevel
	}
	switch *metrics {
	case "":
	case "off":
		cfg.Metrics.Listen = ""
	default:
		cfg.Metrics.Listen = *metrics
	}
	for _, p := range fl.Args() {
		if p == "-" {
			cfg.Sources = append(cfg.Sources, forwarder.SourceConfig{Type: "stdin", Config: file.Config{Name: "stdin"}})
			continue
		}
		if len(cfg.Sources) == 0 || cfg.Sources[len(cfg.Sources)-1].Type != "file" || cfg.Sources[len(cfg.Sources)-1].Name != "args" {
			cfg.Sources = append(cfg.Sources, forwarder.SourceConfig{Type: "file", Config: file.Config{Name: "args"}})
		}
		last := &cfg.Sources[len(cfg.Sources)-1]
		last.Paths = append(last.Paths, p)
	}
	cfg.Resolve()
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "flowhec run: configuration errors:\n  %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return exitUsage
	}
	if _, err := cfg.HEC.LoadToken("hec."); err != nil {
		fmt.Fprintf(stderr, "flowhec run: %v\n", err)
		return exitUsage
	}
	if *check {
		fmt.Fprintln(stdout, "configuration OK")
		return exitOK
	}

	log := newLogger(stderr, cfg.Log)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "flowhec run: --cpu-profile: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "flowhec run: --cpu-profile: %v\n", err)
			return exitUsage
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := forwarder.Run(ctx, cfg, forwarder.Options{Once: *once, Stdin: stdin, Log: log})
	report(stdout, res, *once)
	switch {
	case err != nil:
		log.Error().Err(err).Msg("flowhec run stopped")
		if res.Elapsed == 0 {
			return exitUsage // it never ran: a setup error
		}
		return exitBad
	case *once && (res.Sink.DeadLettered > 0 || res.Undelivered > 0 || res.Sources.ReadErrors > 0):
		return exitBad
	}
	return exitOK
}

// report prints what a run did, for the person who started it.
func report(w io.Writer, r forwarder.Result, once bool) {
	if r.Elapsed == 0 {
		return
	}
	secs := max(r.Elapsed.Seconds(), 1e-9)
	fmt.Fprintf(w, "records read:    %d (%d bad, delivered flagged)\n", r.Sources.Records, r.Sources.Bad)
	fmt.Fprintf(w, "events sent:     %d in %d batches, %d bytes on the wire\n", r.Sink.EventsSent, r.Sink.Batches, r.Sink.BytesSent)
	fmt.Fprintf(w, "dead-lettered:   %d\n", r.Sink.DeadLettered)
	if r.Sources.ReadErrors > 0 {
		fmt.Fprintf(w, "read errors:     %d (inputs cut short or unreadable; see the log — their good part was delivered)\n", r.Sources.ReadErrors)
	}
	fmt.Fprintf(w, "left in queue:   %d batches\n", r.Undelivered)
	fmt.Fprintf(w, "elapsed:         %s (%.0f records/s)\n", r.Elapsed.Round(time.Millisecond), float64(r.Sources.Records)/secs)
	if once && r.Undelivered == 0 && r.Sink.DeadLettered == 0 && r.Sources.ReadErrors == 0 {
		fmt.Fprintln(w, "everything delivered; checkpoints saved in", r.CheckpointAt)
	}
}

func newLogger(w io.Writer, cfg forwarder.LogConfig) zerolog.Logger {
	level, err := zerolog.ParseLevel(cfg.Level)
	if err != nil {
		level = zerolog.InfoLevel
	}
	out := w
	console := cfg.Format == "console"
	if cfg.Format == "auto" {
		if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			console = true
		}
	}
	if console {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}
