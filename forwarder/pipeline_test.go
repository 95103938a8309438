package forwarder

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flowhec/flowhec/enrich/ec2test"
	"github.com/flowhec/flowhec/enrich/inventory"
	"github.com/flowhec/flowhec/flowgen"
	"github.com/flowhec/flowhec/forwarder/hec/hectest"
	"github.com/flowhec/flowhec/forwarder/source/file"
	"github.com/flowhec/flowhec/internal/syncbuf"
)

// sample writes generated S3 objects under dir and returns every line in
// them, counted.
func sample(t testing.TB, dir string, d time.Duration, rate float64) map[string]int {
	t.Helper()
	lines, err := flowgen.WriteSample(dir, d, rate)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func testConfig(t testing.TB, srv *hectest.Server, flows string) Config {
	t.Helper()
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte(hectest.DefaultToken), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.StateDir = filepath.Join(dir, "state")
	cfg.HEC.URLs = []string{srv.URL}
	cfg.HEC.TokenFile = tok
	cfg.HEC.BatchAge = 50 * time.Millisecond
	cfg.HEC.HealthCheck = 50 * time.Millisecond
	cfg.HEC.Retry.InitialInterval = 10 * time.Millisecond
	cfg.HEC.Retry.MaxInterval = 100 * time.Millisecond
	cfg.HEC.Retry.ConfigErrorInterval = 100 * time.Millisecond
	cfg.Metrics.Listen = ""
	cfg.ShutdownTimeout = 10 * time.Second
	cfg.Sources = []SourceConfig{{Type: "file", Config: file.Config{Name: "flows", Paths: []string{flows}, PollInterval: 50 * time.Millisecond}}}
	return cfg
}

func received(srv *hectest.Server) map[string]int {
	return srv.EventsBy(func(e hectest.Event) string { return e.Text() })
}

func sameLines(t *testing.T, want, got map[string]int) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("received %d distinct lines, want %d", len(got), len(want))
	}
	for line, n := range want {
		if got[line] != n {
			t.Fatalf("line %q received %d times, want %d", line, got[line], n)
		}
	}
}

func TestOnceDeliversEverythingThenNothingNew(t *testing.T) {
	flows := t.TempDir()
	want := sample(t, flows, 30*time.Minute, 20)
	srv := hectest.NewServer(hectest.Config{Tokens: []hectest.Token{{Value: hectest.DefaultToken, Ack: true}}})
	defer srv.Close()
	cfg := testConfig(t, srv, flows)
	cfg.HEC.Ack.Enabled = true
	cfg.HEC.Ack.PollInterval = 20 * time.Millisecond
	cfg.Event.Index = "aws_vpc"

	res, err := Run(context.Background(), cfg, Options{Once: true, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	sameLines(t, want, received(srv))
	if res.Undelivered != 0 || res.Sink.DeadLettered != 0 || res.Sources.Bad != 0 {
		t.Fatalf("result %+v", res)
	}
	for _, ev := range srv.Events()[:10] {
		if ev.Index != "aws_vpc" || ev.Sourcetype != "aws:cloudwatchlogs:vpcflow" || !strings.Contains(ev.Source, "AWSLogs/") || !ev.HasTime {
			t.Fatalf("event metadata: %+v", ev)
		}
	}

	before := srv.EventCount()
	res, err = Run(context.Background(), cfg, Options{Once: true, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if srv.EventCount() != before || res.Sources.Records != 0 {
		t.Fatalf("second run sent %d events (read %d records), want none", srv.EventCount()-before, res.Sources.Records)
	}
}

// TestOutage: HEC goes down while input keeps coming. The queue fills to
// its bound, the source blocks, memory stays flat; when HEC comes back,
// everything drains and nothing is lost.
func TestOutage(t *testing.T) {
	flows := t.TempDir()
	want := sample(t, flows, 3*time.Hour, 40) // ~430k records
	srv := hectest.NewServer(hectest.Config{})
	defer srv.Close()
	srv.Down()
	cfg := testConfig(t, srv, flows)
	cfg.HEC.BatchBytes = 256 << 10
	cfg.Queue.MaxBytes = 1 << 20

	heapInUse := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}
	base := heapInUse() // the test's own copy of every line is in here
	probe := make(chan Probe, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, cfg, Options{Log: zerolog.Nop(), Started: func(p Probe) { probe <- p }})
		done <- err
	}()
	p := <-probe

	waitFor(t, 20*time.Second, "the queue to fill and the source to block", func() bool {
		q := p.Queue()
		return q.BlockedPuts > 0 && q.PendingBytes+q.InFlightBytes > cfg.Queue.MaxBytes/2
	})
	read := p.Sources().Records
	var peak uint64
	for range 10 {
		time.Sleep(50 * time.Millisecond)
		peak = max(peak, heapInUse()-min(base, heapInUse()))
	}
	stalled := p.Sources().Records
	// A chunk or two may still go into the open batch; reading must stop.
	if stalled-read > 5000 {
		t.Fatalf("source kept reading during the outage: %d → %d records", read, stalled)
	}
	if stalled >= uint64(total(want)) {
		t.Fatalf("everything was read (%d) although the queue bound is %d bytes", stalled, cfg.Queue.MaxBytes)
	}
	if peak > 32<<20 {
		t.Fatalf("the pipeline holds %d MB of heap during the outage; memory must stay flat", peak>>20)
	}
	if srv.EventCount() != 0 {
		t.Fatal("events indexed while HEC was down")
	}

	srv.Up()
	waitFor(t, 60*time.Second, "everything to drain after recovery", func() bool {
		return srv.EventCount() >= total(want)
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sameLines(t, want, received(srv))
	t.Logf("outage: source blocked at %d of %d records, pipeline heap ≤ %d MB", stalled, total(want), peak>>20)
}

func TestConfigErrorHoldsUntilFixed(t *testing.T) {
	flows := t.TempDir()
	want := sample(t, flows, 10*time.Minute, 10)
	srv := hectest.NewServer(hectest.Config{Indexes: []string{"main"}})
	defer srv.Close()
	cfg := testConfig(t, srv, flows)
	cfg.Event.Index = "aws_vpc" // does not exist yet
	done := make(chan error, 1)
	var logs syncbuf.Buffer
	go func() {
		_, err := Run(context.Background(), cfg, Options{Once: true, Log: zerolog.New(&logs)})
		done <- err
	}()
	time.Sleep(500 * time.Millisecond)
	if srv.EventCount() != 0 {
		t.Fatal("events indexed into a missing index")
	}
	if !strings.Contains(logs.String(), "index") || strings.Count(logs.String(), "refuses the configuration") != 1 {
		t.Fatalf("want one clear config error naming the index, logs:\n%s", logs.String())
	}
	srv.SetIndexes("main", "aws_vpc") // the admin creates the index
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sameLines(t, want, received(srv))
}

func TestValidateNamesEveryKey(t *testing.T) {
	cfg := DefaultConfig()
	cfg.StateDir = ""
	cfg.Format = "${nope"
	cfg.Sources = []SourceConfig{{Type: "s3"}}
	cfg.HEC.URLs = []string{"ftp://x"}
	cfg.Log.Level = "loud"
	err := cfg.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"state_dir", "format", "sources[0].type", "hec.urls[0]", "hec.token", "log.level"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}

func TestLoadConfigExpandsEnvAndRejectsUnknownKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	t.Setenv("FLOWHEC_TEST_TOKEN", "s3cr3t-token")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("state_dir: /tmp/x\nhec:\n  urls: [https://splunk:8088]\n  token: ${FLOWHEC_TEST_TOKEN}\n  batch_age: 2s\nsources:\n  - type: file\n    paths: [/data]\n")
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HEC.Token.Reveal() != "s3cr3t-token" || cfg.HEC.BatchAge != 2*time.Second || cfg.Sources[0].Paths[0] != "/data" {
		t.Fatalf("loaded %+v", cfg)
	}
	if cfg.HEC.Concurrency != 4 {
		t.Fatal("defaults not kept")
	}
	write("hec:\n  urlz: [x]\n")
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), "urlz") {
		t.Fatalf("unknown key: %v", err)
	}
	write("format: \"${version} ${srcaddr}\"\n")
	if cfg, err := LoadConfig(path); err != nil || cfg.Format != "${version} ${srcaddr}" {
		t.Fatalf("an AWS format string must not be taken for env references: %q %v", cfg.Format, err)
	}
	write("hec:\n  token: ${FLOWHEC_TEST_MISSING}\n")
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), "FLOWHEC_TEST_MISSING") {
		t.Fatalf("missing env: %v", err)
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	t.Setenv("HEC_TOKEN", "x")
	cfg, err := LoadConfig("../flowhec.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Resolve()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMetricsAndHealthz(t *testing.T) {
	flows := t.TempDir()
	want := sample(t, flows, 10*time.Minute, 10)
	srv := hectest.NewServer(hectest.Config{})
	defer srv.Close()
	cfg := testConfig(t, srv, flows)
	cfg.Metrics.Listen = "127.0.0.1:0"
	probe := make(chan Probe, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, cfg, Options{Log: zerolog.Nop(), Started: func(p Probe) { probe <- p }})
		done <- err
	}()
	p := <-probe
	waitFor(t, 20*time.Second, "delivery", func() bool { return srv.EventCount() >= total(want) })
	waitFor(t, 5*time.Second, "the sink to count it", func() bool { return p.Sink().EventsSent >= uint64(total(want)) })

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + p.MetricsAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		fmt.Sprintf("flowhec_events_sent_total %d", total(want)),
		fmt.Sprintf("flowhec_records_read_total %d", total(want)),
		"flowhec_records_bad_total 0",
		fmt.Sprintf("flowhec_endpoint_up{url=%q} 1", srv.URL),
		`flowhec_retries_total{reason="network"}`,
		`flowhec_queue_batches{state="pending"}`,
		"flowhec_delivery_lag_seconds",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, hectest.DefaultToken) {
		t.Fatal("the token appears in /metrics")
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz: %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestEnrichmentFromEC2(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": ec2test.AccessKeyID, "AWS_SECRET_ACCESS_KEY": ec2test.SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_EC2": "",
	} {
		t.Setenv(k, v)
	}
	flows := t.TempDir()
	sample(t, flows, 10*time.Minute, 10)
	g, err := flowgen.New(flowgen.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	ec2 := ec2test.NewServer(ec2test.Config{Account: flowgen.DefaultConfig().AccountID})
	defer ec2.Close()
	ec2.SetInventory(g.Inventory())

	srv := hectest.NewServer(hectest.Config{})
	defer srv.Close()
	cfg := testConfig(t, srv, flows)
	cfg.Enrich.AWS.Regions = []string{"us-east-1"}
	cfg.Enrich.AWS.Endpoints.EC2 = ec2.URL
	cfg.Metrics.Listen = "127.0.0.1:0"
	var metrics string
	opts := Options{Once: true, Log: zerolog.Nop(), Started: func(p Probe) {
		resp, err := http.Get("http://" + p.MetricsAddr + "/metrics")
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		metrics = string(b)
	}}
	if _, err := Run(context.Background(), cfg, opts); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`flowhec_inventory_refreshes_total{result="ok"} 1`, "flowhec_inventory_interfaces ", "flowhec_inventory_last_success_timestamp_seconds"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	named := 0
	for _, ev := range srv.Events() {
		if ev.Fields["dest_instance_name"] == "clarity-collector" {
			named++
			if ev.Fields["dest_service"] != "metrics" || ev.Fields["dest_eni"] == nil {
				t.Fatalf("fields %v", ev.Fields)
			}
		}
	}
	if named == 0 {
		t.Fatal("no event names the zombie target from the EC2 inventory")
	}
	if ec2.Calls(ec2test.Match{Action: "DescribeNetworkInterfaces"}) == 0 {
		t.Fatal("EC2 was not asked")
	}
	// The ownership history is kept in the state directory.
	if _, err := os.Stat(filepath.Join(cfg.StateDir, inventory.HistoryFile)); err != nil {
		t.Fatal(err)
	}
}

func TestSetupErrorLeavesNothingRunning(t *testing.T) {
	srv := hectest.NewServer(hectest.Config{})
	defer srv.Close()
	cfg := testConfig(t, srv, t.TempDir())
	cfg.Enrich.InventoryFile = filepath.Join(t.TempDir(), "missing.json")
	_, err := Run(context.Background(), cfg, Options{Once: true, Log: zerolog.Nop()})
	if err == nil || !strings.Contains(err.Error(), "enrich.inventory_file") {
		t.Fatalf("err = %v, want one naming enrich.inventory_file", err)
	}
	// The queue is closed again: a second run can open it.
	cfg.Enrich.InventoryFile = ""
	if _, err := Run(context.Background(), cfg, Options{Once: true, Log: zerolog.Nop()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "the batcher of the failed run to stop", func() bool {
		buf := make([]byte, 1<<20)
		return !strings.Contains(string(buf[:runtime.Stack(buf, true)]), "(*Batcher).ageLoop")
	})
}
