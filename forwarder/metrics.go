package forwarder

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/flowhec/flowhec/enrich/awsinv"
	"github.com/flowhec/flowhec/forwarder/hec"
	"github.com/flowhec/flowhec/forwarder/queue"
)

// SourceCounts are what every source reports for metrics.
type SourceCounts struct {
	Records uint64 // records read, good and bad
	Bad     uint64 // lines that did not parse (delivered flagged)
	Bytes   uint64 // input bytes consumed
	Files   uint64 // inputs finished
	// ReadErrors counts reads that stopped on an error (a truncated gzip
	// object, a permission denied); the file is tried again at the next poll.
	ReadErrors uint64
}

// collector exposes the pipeline's counters to Prometheus. It reads
// snapshots at scrape time, so the hot path only bumps atomics.
type collector struct {
	sources func() SourceCounts
	sink    func() hec.Stats
	queue   func() queue.Stats
	aws     func() (awsinv.RefreshStats, awsinv.LookupStats) // nil without enrich.aws
}

var (
	descRecords     = prometheus.NewDesc("flowhec_records_read_total", "Flow-log records read, good and bad.", nil, nil)
	descBad         = prometheus.NewDesc("flowhec_records_bad_total", "Lines that did not parse; delivered flagged with flowhec_parse_error.", nil, nil)
	descInputBytes  = prometheus.NewDesc("flowhec_input_bytes_total", "Input bytes consumed.", nil, nil)
	descFiles       = prometheus.NewDesc("flowhec_inputs_finished_total", "Input files or objects read to the end.", nil, nil)
	descReadErrors  = prometheus.NewDesc("flowhec_input_read_errors_total", "Reads of an input that stopped on an error (truncated gzip, permission denied).", nil, nil)
	descEvents      = prometheus.NewDesc("flowhec_events_sent_total", "Events delivered to HEC (acknowledged, with indexer acks on).", nil, nil)
	descBytes       = prometheus.NewDesc("flowhec_bytes_sent_total", "Request bytes of delivered batches, as sent (compressed).", nil, nil)
	descBatches     = prometheus.NewDesc("flowhec_batches_sent_total", "Batches delivered to HEC.", nil, nil)
	descRequests    = prometheus.NewDesc("flowhec_hec_requests_total", "HEC requests answered, any status.", nil, nil)
	descRetries     = prometheus.NewDesc("flowhec_retries_total", "Requests tried again, by reason.", []string{"reason"}, nil)
	descConfigErrs  = prometheus.NewDesc("flowhec_config_errors_total", "Replies refusing the configuration (token, index, acks).", nil, nil)
	descDeadLetter  = prometheus.NewDesc("flowhec_dead_lettered_events_total", "Events HEC will never accept, written to the dead-letter file.", nil, nil)
	descSplits      = prometheus.NewDesc("flowhec_batch_splits_total", "Batches split after HTTP 413.", nil, nil)
	descAcksPending = prometheus.NewDesc("flowhec_acks_pending", "Requests waiting for their indexer acknowledgement.", nil, nil)
	descAckTimeouts = prometheus.NewDesc("flowhec_ack_timeouts_total", "Requests sent again after their acknowledgement did not come.", nil, nil)
	descResent      = prometheus.NewDesc("flowhec_resent_events_total", "Events sent again without knowing whether HEC had them: the bound on duplicates.", nil, nil)
	descQueueItems  = prometheus.NewDesc("flowhec_queue_batches", "Batches in the disk queue.", []string{"state"}, nil)
	descQueueBytes  = prometheus.NewDesc("flowhec_queue_bytes", "Bytes in the disk queue.", nil, nil)
	descQueueMax    = prometheus.NewDesc("flowhec_queue_max_bytes", "The disk queue's bound.", nil, nil)
	descBlocked     = prometheus.NewDesc("flowhec_queue_blocked_writers", "Writers waiting for room in the queue (backpressure).", nil, nil)
	descEndpointUp  = prometheus.NewDesc("flowhec_endpoint_up", "1 when the HEC endpoint is in rotation.", []string{"url"}, nil)
	descRefreshes   = prometheus.NewDesc("flowhec_inventory_refreshes_total", "Inventory reads from EC2, by result (a failed one keeps the last good inventory).", []string{"result"}, nil)
	descLastRefresh = prometheus.NewDesc("flowhec_inventory_last_success_timestamp_seconds", "When the inventory was last read from EC2 in full.", nil, nil)
	descInterfaces  = prometheus.NewDesc("flowhec_inventory_interfaces", "Network interfaces in the inventory.", nil, nil)
	descThrottles   = prometheus.NewDesc("flowhec_ec2_throttles_total", "EC2 calls throttled (RequestLimitExceeded) and retried.", nil, nil)
	descLookups     = prometheus.NewDesc("flowhec_inventory_lookups_total", "Targeted EC2 lookups of addresses the inventory lacked, by result.", []string{"result"}, nil)
	descLag         = prometheus.NewDesc("flowhec_delivery_lag_seconds", "Time from sealing to delivery of the last delivered batch.", nil, nil)
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	prometheus.DescribeByCollect(c, ch)
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	src := c.sources()
	counter(descRecords, src.Records)
	counter(descBad, src.Bad)
	counter(descInputBytes, src.Bytes)
	counter(descFiles, src.Files)
	counter(descReadErrors, src.ReadErrors)
	s := c.sink()
	counter(descEvents, s.EventsSent)
	counter(descBytes, s.BytesSent)
	counter(descBatches, s.Batches)
	counter(descRequests, s.Requests)
	for reason, n := range s.RetriesByReason {
		counter(descRetries, n, reason)
	}
	counter(descConfigErrs, s.ConfigErrors)
	counter(descDeadLetter, s.DeadLettered)
	counter(descSplits, s.Splits)
	gauge(descAcksPending, float64(s.AcksPending))
	counter(descAckTimeouts, s.AckTimeouts)
	counter(descResent, s.ResentEvents)
	gauge(descLag, s.Lag.Seconds())
	for _, ep := range s.Endpoints {
		up := 0.0
		if ep.Healthy {
			up = 1
		}
		gauge(descEndpointUp, up, ep.URL)
	}
	if c.aws != nil {
		r, l := c.aws()
		counter(descRefreshes, r.OK, "ok")
		counter(descRefreshes, r.Partial, "partial")
		counter(descRefreshes, r.Failed, "failed")
		if !r.LastSuccess.IsZero() {
			gauge(descLastRefresh, float64(r.LastSuccess.Unix()))
		}
		gauge(descInterfaces, float64(r.Interfaces))
		counter(descThrottles, r.Throttles)
		counter(descLookups, l.Found, "found")
		counter(descLookups, l.NotFound, "not_found")
		counter(descLookups, l.Errors, "error")
		counter(descLookups, l.Cached, "cached")
	}
	q := c.queue()
	gauge(descQueueItems, float64(q.Pending), "pending")
	gauge(descQueueItems, float64(q.InFlight), "in_flight")
	gauge(descQueueBytes, float64(q.PendingBytes+q.InFlightBytes))
	gauge(descQueueMax, float64(q.MaxBytes))
	gauge(descBlocked, float64(q.BlockedPuts))
}

// serveMetrics serves /metrics and /healthz on addr until ctx ends.
// /healthz answers 200 while at least one HEC endpoint is in rotation.
func serveMetrics(addr string, c *collector) (stop func(), bound string, err error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		for _, ep := range c.sink().Endpoints {
			if ep.Healthy {
				fmt.Fprintln(w, "ok")
				return
			}
		}
		http.Error(w, "no HEC endpoint is reachable", http.StatusServiceUnavailable)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("metrics.listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener is closed on stop; nothing else ends Serve
		}
	}()
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-done
	}, ln.Addr().String(), nil
}
