package forwarder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flowhec/flowhec/enrich"
	"github.com/flowhec/flowhec/enrich/awsinv"
	"github.com/flowhec/flowhec/enrich/inventory"
	"github.com/flowhec/flowhec/forwarder/checkpoint"
	"github.com/flowhec/flowhec/forwarder/encode"
	"github.com/flowhec/flowhec/forwarder/hec"
	"github.com/flowhec/flowhec/forwarder/queue"
	"github.com/flowhec/flowhec/forwarder/source/file"
)

// Options are what the command line adds to a Config.
type Options struct {
	// Once reads what the sources have, delivers it, waits for every
	// acknowledgement, saves checkpoints and returns: backfills and scripts.
	Once bool
	// Stdin feeds a source of type stdin.
	Stdin io.Reader
	Log   zerolog.Logger
	// Started, if set, is called once everything runs.
	Started func(Probe)
}

// Probe lets the caller watch a running pipeline: the same numbers the
// metrics listener serves.
type Probe struct {
	MetricsAddr string // "" when the listener is off
	Sources     func() SourceCounts
	Sink        func() hec.Stats
	Queue       func() queue.Stats
}

// Result is what a run did.
type Result struct {
	Sources      SourceCounts
	Sink         hec.Stats
	Undelivered  int // batches still in the queue at the end (sent by the next run)
	Elapsed      time.Duration
	CheckpointAt string
}

// Run runs the pipeline — sources, encoder, disk queue, HEC sink — until ctx
// ends or, with Once, until every input is delivered. Shutdown goes in the
// order that loses nothing: stop reading, flush and drain the queue within
// shutdown_timeout, stop the senders, save checkpoints last.
func Run(ctx context.Context, cfg Config, opts Options) (res Result, err error) {
	start := time.Now()
	cfg.Resolve()
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	log := opts.Log
	slogger := slog.New(zerolog.NewSlogHandler(log))
	if err := os.MkdirAll(cfg.StateDir, 0o750); err != nil {
		return res, fmt.Errorf("state_dir: %w", err)
	}
	q, err := queue.OpenDisk(cfg.Queue)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, q.Close()) }()
	if st := q.Stats(); st.Replayed > 0 {
		log.Info().Uint64("batches", st.Replayed).Msg("resending batches left in the queue by the previous run")
	}
	sink, err := hec.New(cfg.HEC, q, log)
	if err != nil {
		return res, err
	}
	started := false
	defer func() {
		if !started { // a setup error below: stop the batcher New started
			_ = sink.Stop(context.Background())
		}
	}()
	store, err := checkpoint.Open(checkpoint.Config{Dir: cfg.StateDir, SaveInterval: cfg.CheckpointInterval}, slogger)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, store.Close()) }()

	en, err := enrich.Open(ctx, cfg.Enrich, cfg.StateDir)
	if err != nil {
		return res, err
	}
	var awsStats func() (awsinv.RefreshStats, awsinv.LookupStats)
	if cfg.Enrich.UsesAWS() {
		stopAWS, stats, err := startAWSInventory(ctx, cfg.Enrich.AWS, en, log)
		if err != nil {
			return res, err
		}
		defer stopAWS()
		awsStats = stats
	}
	if cfg.Enrich.InventoryFile != "" && !cfg.Enrich.UsesAWS() {
		watchCtx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			en.WatchFile(watchCtx, time.Minute, func(err error) { log.Error().Err(err).Msg("inventory file not reloaded") })
		}()
		defer func() { stopWatch(); <-watched }()
	}
	enc := encode.New(cfg.Event)
	if en.Enabled() {
		enc = enc.WithEnricher(en)
	}
	var sources []*file.Source
	for _, sc := range cfg.Sources {
		fc := sc.Config
		fc.Once = opts.Once
		var src *file.Source
		if sc.Type == "stdin" {
			in := opts.Stdin
			if in == nil {
				in = os.Stdin
			}
			src, err = file.NewStdin(in, fc, enc, slogger)
		} else {
			src, err = file.New(fc, enc, store, slogger)
		}
		if err != nil {
			return res, fmt.Errorf("source %s: %w", fc.Name, err)
		}
		sources = append(sources, src)
	}
	counts := func() SourceCounts {
		var c SourceCounts
		for _, s := range sources {
			st := s.Stats()
			c.Records += st.Records
			c.Bad += st.BadLines
			c.Bytes += st.Bytes
			c.Files += st.FilesFinished
			c.ReadErrors += st.ReadErrors
		}
		return c
	}

	metricsAddr := ""
	if cfg.Metrics.Listen != "" {
		col := &collector{sources: counts, sink: sink.Stats, queue: q.Stats, aws: awsStats}
		stop, addr, err := serveMetrics(cfg.Metrics.Listen, col)
		if err != nil {
			return res, err
		}
		defer stop()
		metricsAddr = addr
	}

	sink.Start()
	started = true
	srcCtx, stopSources := context.WithCancel(ctx)
	defer stopSources()
	var wg sync.WaitGroup
	srcErrs := make([]error, len(sources))
	for i, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srcErrs[i] = src.Run(srcCtx, sink.Writer())
		}()
	}
	progressDone := make(chan struct{})
	go progress(log, counts, sink, progressDone)
	if opts.Started != nil {
		opts.Started(Probe{MetricsAddr: metricsAddr, Sources: counts, Sink: sink.Stats, Queue: q.Stats})
	}
	log.Info().Int("sources", len(sources)).Strs("hec", cfg.HEC.URLs).Bool("once", opts.Once).Msg("flowhec running")

	if opts.Once {
		wg.Wait() // every input read (or ctx ended)
	} else {
		<-ctx.Done()
	}
	stopSources()
	wg.Wait()
	close(progressDone)

	// Drain: in once mode wait as long as delivery takes, until a signal;
	// otherwise (a signal) within shutdown_timeout.
	drainCtx, cancelDrain := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	if opts.Once && ctx.Err() == nil {
		cancelDrain()
		drainCtx, cancelDrain = context.WithCancel(ctx)
	}
	defer cancelDrain()
	drainErr := sink.Drain(drainCtx)
	for _, src := range sources {
		if drainErr == nil {
			drainErr = src.Wait(drainCtx)
		}
	}
	stopCtx, cancelStop := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancelStop()
	stopErr := sink.Stop(stopCtx)

	st := q.Stats()
	res = Result{Sources: counts(), Sink: sink.Stats(), Undelivered: st.Pending + st.InFlight, Elapsed: time.Since(start), CheckpointAt: store.Path()}
	if drainErr != nil {
		log.Warn().Err(drainErr).Int("batches", res.Undelivered).Msg("stopped before everything was delivered; the rest stays in the queue for the next run")
	}
	return res, errors.Join(errors.Join(srcErrs...), stopErr, onceError(opts.Once, drainErr))
}

// onceError: a once-run that could not deliver everything has failed; a
// daemon stopping with batches left in its queue has not.
func onceError(once bool, drainErr error) error {
	if once && drainErr != nil {
		return drainErr
	}
	return nil
}

// progress logs throughput every 10 s, so an operator tailing the log sees
// the pipeline move (or not).
func progress(log zerolog.Logger, counts func() SourceCounts, sink *hec.Sink, done <-chan struct{}) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	var last uint64
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		c := counts()
		s := sink.Stats()
		log.Info().Uint64("records", c.Records).Uint64("bad", c.Bad).Uint64("events_sent", s.EventsSent).
			Float64("records_per_s", float64(c.Records-last)/10).Int64("acks_pending", s.AcksPending).
			Uint64("dead_lettered", s.DeadLettered).Msg("progress")
		last = c.Records
	}
}

// startAWSInventory reads the inventory from EC2 once before any record is
// read (so the first records are named too), then refreshes it in the
// background and, when enrich.aws.lookup is on, asks EC2 about private
// addresses the inventory lacks. A failed first load is logged, not fatal:
// records are enriched as soon as an inventory arrives.
func startAWSInventory(ctx context.Context, cfg awsinv.Config, en *enrich.Enricher, log zerolog.Logger) (stop func(), stats func() (awsinv.RefreshStats, awsinv.LookupStats), err error) {
	loader, err := awsinv.New(ctx, cfg, awsinv.WithLogger(log))
	if err != nil {
		return nil, nil, err
	}
	refresher := awsinv.NewRefresher(loader, func(inv *inventory.Inventory) {
		if err := en.Update(inv, time.Now()); err != nil {
			log.Error().Err(err).Msg("could not take the new inventory; enrichment keeps the previous one")
		}
	})
	if err := refresher.Refresh(ctx); err != nil {
		log.Warn().Err(err).Msg("reading the inventory from EC2 failed; records are named once a refresh succeeds")
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = refresher.Run(bg)
	}()
	var resolver *awsinv.Resolver
	if cfg.Lookup.Enabled {
		resolver = awsinv.NewResolver(loader, func(f awsinv.Found) {
			if err := refresher.Extend(f); err != nil {
				log.Debug().Err(err).Msg("an address found in EC2 could not be added yet")
			}
		})
		en.SetMissHandler(func(a netip.Addr) { resolver.Ask(a) })
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = resolver.Run(bg)
		}()
	}
	stats = func() (awsinv.RefreshStats, awsinv.LookupStats) {
		var ls awsinv.LookupStats
		if resolver != nil {
			ls = resolver.Stats()
		}
		return refresher.Stats(), ls
	}
	return func() { cancel(); wg.Wait() }, stats, nil
}
