package hectest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/flowhec/flowhec/forwarder/hec/hectest"
)

func post(s *hectest.Server, body string) string {
	r, _ := http.NewRequest(http.MethodPost, s.URL+"/services/collector/event", strings.NewReader(body))
	r.Header.Set("Authorization", "Splunk "+hectest.DefaultToken)
	resp, err := s.Client().Do(r)
	if err != nil {
		return "error: connection lost"
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

// A test queues faults, lets the client deliver, and then checks that
// every record arrived at least once, counting the duplicates.
func Example() {
	s := hectest.NewServer(hectest.Config{})
	defer s.Close()

	s.FailNext(1, hectest.Busy(0))                 // throttled: nothing indexed
	s.FailNext(1, hectest.ResetAfterIndex())       // indexed, but the client never hears
	s.FailNext(1, hectest.BadEventContaining("b")) // "a" indexed, "b" refused

	body := `{"event":"a"}{"event":"b"}{"event":"c"}`
	fmt.Println(post(s, body))
	fmt.Println(post(s, body))
	fmt.Println(post(s, body))
	fmt.Println(post(s, `{"event":"c"}`)) // the rest, without the refused record

	counts := s.EventsBy(hectest.Event.Text)
	fmt.Println("a:", counts["a"], "b:", counts["b"], "c:", counts["c"])
	// Output:
	// 503 {"text":"Server is busy","code":9,"invalid-event-number":0}
	// error: connection lost
	// 400 {"text":"Invalid data format","code":6,"invalid-event-number":1}
	// 200 {"text":"Success","code":0}
	// a: 2 b: 1 c: 2
}

// Indexer acknowledgement: an ackId answers true once, then never again.
func Example_ack() {
	s := hectest.NewServer(hectest.Config{Tokens: []hectest.Token{{Value: hectest.DefaultToken, Ack: true}}})
	defer s.Close()
	channel := hectest.NewChannel()
	call := func(path, body string) string {
		r, _ := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(body))
		r.Header.Set("Authorization", "Splunk "+hectest.DefaultToken)
		r.Header.Set("X-Splunk-Request-Channel", channel)
		resp, err := s.Client().Do(r)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	fmt.Println(call("/services/collector/event", `{"event":"x"}`))
	fmt.Println(call("/services/collector/ack", `{"acks":[0]}`))
	fmt.Println(call("/services/collector/ack", `{"acks":[0]}`))
	// Output:
	// {"text":"Success","code":0,"ackId":0}
	// {"acks":{"0":true}}
	// {"acks":{"0":false}}
}
