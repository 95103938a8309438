package inventory_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/flowhec/flowhec/enrich/inventory"
)

// The refresh cycle: observe each new inventory in the history, build the
// index from both, swap it in, save the history. Readers look addresses
// up by a record's time.
func Example() {
	stateDir, _ := os.MkdirTemp("", "flowhec-state")
	defer os.RemoveAll(stateDir)

	cfg := inventory.DefaultConfig()
	cfg.Names = []inventory.CIDRName{{CIDR: netip.MustParsePrefix("10.9.0.0/16"), Name: "corp-vpn"}}
	historyPath := filepath.Join(stateDir, inventory.HistoryFile)
	history, err := inventory.LoadHistory(historyPath, cfg.History)
	if err != nil {
		fmt.Println(err)
		return
	}
	var current inventory.Current

	inv, err := inventory.Load("testdata/small.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	if err := history.Observe(inv, now); err != nil {
		fmt.Println(err)
		return
	}
	ix, err := inventory.Build(inv, history, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	current.Store(ix)
	if err := history.Save(historyPath); err != nil {
		fmt.Println(err)
		return
	}

	recordTime := now.Add(-5 * time.Minute).Unix() // S3 delivers minutes late
	for _, s := range []string{"10.20.17.67", "198.51.100.10", "10.20.18.9", "10.9.4.4", "8.8.8.8"} {
		o, ok := current.Lookup(netip.MustParseAddr(s), recordTime)
		switch {
		case !ok:
			fmt.Printf("%-14s unknown\n", s)
		case o.ENI == "":
			fmt.Printf("%-14s service=%s\n", s, o.Service)
		case o.Since.IsZero(): // held since before the history began
			fmt.Printf("%-14s %s instance=%q service=%q resource=%q\n", s, o.ENI, o.InstanceName, o.Service, o.Resource)
		default:
			fmt.Printf("%-14s %s instance=%q service=%q resource=%q since=%s\n",
				s, o.ENI, o.InstanceName, o.Service, o.Resource, o.Since.Format(time.RFC3339))
		}
	}
	// Output:
	// 10.20.17.67    eni-0c0ffee0c0ffee001 instance="clarity-collector" service="metrics" resource="" since=2026-10-01T08:00:00Z
	// 198.51.100.10  eni-0a1b00000000000a1 instance="" service="web" resource="elb:app/web-prod"
	// 10.20.18.9     eni-0f00000000000f001 instance="" service="orders" resource="lambda:orders-fn"
	// 10.9.4.4       service=corp-vpn
	// 8.8.8.8        unknown
}
