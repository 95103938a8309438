package ipranges_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"

	"github.com/flowhec/flowhec/enrich/ipranges"
)

func ExampleTable_Lookup() {
	// In production Source is the enrich.ip_ranges key: a path, or
	// https://ip-ranges.amazonaws.com/ip-ranges.json.
	tab, err := ipranges.Load(context.Background(), ipranges.Config{Source: "../../testdata/ipranges/ip-ranges.json"})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range []string{"52.217.10.1", "54.243.31.200", "2600:9000:5301::1", "::ffff:3.218.181.9", "10.0.0.1"} {
		if m, ok := tab.Lookup(netip.MustParseAddr(s)); ok {
			fmt.Printf("%s: %s %s (%s)\n", s, m.Service, m.Region, m.Prefix)
		} else {
			fmt.Printf("%s: not AWS\n", s)
		}
	}
	// Output:
	// 52.217.10.1: S3 us-east-1 (52.216.0.0/15)
	// 54.243.31.200: ROUTE53_HEALTHCHECKS us-east-1 (54.243.31.192/26)
	// 2600:9000:5301::1: ROUTE53 GLOBAL (2600:9000:5300::/45)
	// ::ffff:3.218.181.9: DYNAMODB us-east-1 (3.218.180.0/22)
	// 10.0.0.1: not AWS
}
