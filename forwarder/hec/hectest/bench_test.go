package hectest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"
)

// realisticBatch is HEC raw-format events of varied flow lines (random
// addresses, ports and counters, so that gzip shrinks them about as much
// as real flow logs) until the body reaches size bytes.
func realisticBatch(size int) (body []byte, events int) {
	r := rand.New(rand.NewPCG(1, 1))
	ip := func(b []byte) []byte {
		for i := range 4 {
			if i > 0 {
				b = append(b, '.')
			}
			b = strconv.AppendInt(b, int64(r.IntN(256)), 10)
		}
		return b
	}
	for len(body) < size {
		start := 1620000000 + r.IntN(86400)
		body = append(body, `{"time":`...)
		body = strconv.AppendInt(body, int64(start), 10)
		body = append(body, `,"host":"vpc-0a1b2c3d","source":"s3://flowlogs/AWSLogs/123456789012/vpcflowlogs/us-east-1/2021/05/03/x.log.gz","sourcetype":"aws:cloudwatchlogs:vpcflow","index":"main","event":"2 123456789012 eni-`...)
		body = strconv.AppendInt(body, int64(r.Uint32()), 16)
		body = append(body, ' ')
		body = ip(body)
		body = append(body, ' ')
		body = ip(body)
		for _, n := range []int{r.IntN(65536), r.IntN(65536), 6, 1 + r.IntN(100), 40 + r.IntN(100000), start, start + 60} {
			body = append(body, ' ')
			body = strconv.AppendInt(body, int64(n), 10)
		}
		body = append(body, ` ACCEPT OK","fields":{"src_instance_id":"i-`...)
		body = strconv.AppendInt(body, int64(r.Uint64()>>8), 16)
		body = append(body, `","dest_service":"clarity-collector","src_scope":"private","dest_scope":"aws"}}`+"\n"...)
		events++
	}
	return body, events
}

// BenchmarkServer posts gzip batches over HTTP to a local server and
// reports how many events per second it indexes. "1MB" is a batch of 1 MB
// before compression (flowhec's default cap); "1MB-wire" is 1 MB as sent.
func BenchmarkServer(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int
		wire bool
	}{{"1MB", 1 << 20, false}, {"1MB-wire", 1 << 20, true}} {
		b.Run(bc.name, func(b *testing.B) {
			body, n := realisticBatch(bc.size)
			zipped := gzipped(b, body)
			for bc.wire && len(zipped) < bc.size {
				body, n = realisticBatch(len(body) * bc.size / len(zipped))
				zipped = gzipped(b, body)
			}
			s := NewServer(Config{})
			defer s.Close()
			c := s.Client()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if i%32 == 31 {
					b.StopTimer()
					s.ClearEvents()
					b.StartTimer()
				}
				r, _ := http.NewRequest(http.MethodPost, s.URL+"/services/collector/event", bytes.NewReader(zipped))
				r.Header.Set("Authorization", "Splunk "+DefaultToken)
				r.Header.Set("Content-Encoding", "gzip")
				resp, err := c.Do(r)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatal(resp.Status)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(n), "events/op")
			b.ReportMetric(float64(len(zipped)), "gzip-bytes/op")
		})
	}
}

// BenchmarkParseBody is the scanner alone on a 1 MB batch.
func BenchmarkParseBody(b *testing.B) {
	body, n := realisticBatch(1 << 20)
	rl := rules{indexes: []map[string]bool{{"main": true}}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if res := parseBody(body, &rl); len(res.events) != n {
			b.Fatal(res.bad, res.code)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEvents is the cost of turning recorded events into Event values
// the first time a test asks for them.
func BenchmarkEvents(b *testing.B) {
	body, n := realisticBatch(1 << 20)
	res := parseBody(body, &rules{})
	s := &Server{}
	b.ReportAllocs()
	for b.Loop() {
		s.recs, s.nrecs, s.events = [][]record{newRecords(string(body), res.events, "", 1)}, n, nil
		s.materializeLocked()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func ExampleFault_String() {
	fmt.Println(BadEventContaining("10.0.0.7"), Busy(2e9), Stall(0))
	// Output: bad-event(contains "10.0.0.7") busy(retry-after 2s) stall(until client leaves)
}
