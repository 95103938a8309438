package flowgen_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/flowhec/flowhec/flowgen"
)

// Generate an hour of flow logs and read the ground truth of the two
// stories from the labels.
func Example() {
	c := flowgen.DefaultConfig()
	c.Duration = time.Hour
	c.Rate = 10
	g, err := flowgen.New(c)
	if err != nil {
		fmt.Println(err)
		return
	}
	labels, err := g.Run(func(b flowgen.Batch) error { return nil }) // or WriteLines, WriteS3
	if err != nil {
		fmt.Println(err)
		return
	}
	z := labels.Story(flowgen.KindZombie)
	fmt.Printf("zombie: %d sources knock on %v:%d (%s)\n", len(z.Zombie.Sources), z.Target.Address, z.Target.Port, z.Target.Name)
	m := labels.Story(flowgen.KindMemcached).Memcached
	fmt.Printf("memcached: %d-byte get, %d-byte reply, amplification %.1f\n", m.Get.RequestBytes, m.Get.ReplyBytes, m.Amplification)
	// Output:
	// zombie: 16 sources knock on 172.31.1.67:80 (clarity-collector)
	// memcached: 50-byte get, 51327-byte reply, amplification 1026.5
}

// The four records of the memcached story in the default format: on
// cache-01's interface, the set and its reply, then the get and its reply.
func ExampleGenerator_WriteLines() {
	c := flowgen.DefaultConfig()
	c.Duration = 5 * time.Minute
	c.Rate = 10
	c.Memcached.At = c.Start.Add(time.Minute)
	g, err := flowgen.New(c)
	if err != nil {
		fmt.Println(err)
		return
	}
	var out bytes.Buffer
	if _, err := g.WriteLines(&out); err != nil {
		fmt.Println(err)
		return
	}
	for line := range strings.Lines(out.String()) {
		f := strings.Fields(line)
		if f[7] == "17" && (f[5] == "11211" || f[6] == "11211") {
			fmt.Print(line)
		}
	}
	// Output:
	// 2 123456789012 eni-0339cb61110341d42 203.0.113.42 172.31.26.132 29525 11211 17 3422 5072550 1793491260 1793491263 ACCEPT OK
	// 2 123456789012 eni-0339cb61110341d42 172.31.26.132 203.0.113.42 11211 29525 17 137 498437 1793491260 1793491263 ACCEPT OK
	// 2 123456789012 eni-0339cb61110341d42 203.0.113.42 172.31.26.132 48242 11211 17 1 50 1793491380 1793491381 ACCEPT OK
	// 2 123456789012 eni-0339cb61110341d42 172.31.26.132 203.0.113.42 11211 48242 17 36 51327 1793491380 1793491381 ACCEPT OK
}
