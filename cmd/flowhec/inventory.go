package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/flowhec/flowhec/enrich"
	"github.com/flowhec/flowhec/enrich/derive"
)

const inventoryUsage = `usage: flowhec inventory show [--inventory FILE] [--state-dir DIR] [--ip-ranges FILE|URL] [--at TIME] ADDRESS...
       flowhec inventory export --region REGION[,REGION…] [--role-arn ARN]... [--out FILE]

show explains who owns each address: the interface, instance, Name and
service tags, VPC, subnet and AZ, the resource behind a requester-managed
interface, the AWS service of an AWS address, and — from the ownership
history flowhec run keeps in its state directory — every interface that
held the address and when. --at names the owner at a past time (RFC 3339).

export asks EC2 (DescribeNetworkInterfaces, DescribeInstances,
DescribeVpcs, DescribeSubnets) in each region, assuming each role if given,
and writes the static inventory file that enrich.inventory_file, flowhec run
--inventory and flowhec parse --inventory read.
`

func runInventory(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, inventoryUsage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	switch args[0] {
	case "show":
		return runInventoryShow(args[1:], stdout, stderr)
	case "export":
		return runInventoryExport(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "flowhec inventory: unknown subcommand %q; want show or export\n", args[0])
	return exitUsage
}

func runInventoryShow(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("inventory show", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, inventoryUsage); fl.PrintDefaults() }
	inventoryFile := fl.String("inventory", "", "static inventory `file`")
	stateDir := fl.String("state-dir", "", "flowhec run's state `directory`, for the ownership history")
	ipRanges := fl.String("ip-ranges", "", "AWS ip-ranges.json `file or URL`")
	at := fl.String("at", "", "name the owner at this `time` (RFC 3339; default now)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, "flowhec inventory show: name at least one address")
		return exitUsage
	}
	if *inventoryFile == "" && *stateDir == "" {
		fmt.Fprintln(stderr, "flowhec inventory show: give --inventory FILE and/or --state-dir DIR: there is nothing to look in")
		return exitUsage
	}
	when := time.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			fmt.Fprintf(stderr, "flowhec inventory show: --at %q: want an RFC 3339 time such as 2026-11-01T12:00:00Z\n", *at)
			return exitUsage
		}
		when = t
	}
	cfg := enrich.DefaultConfig()
	cfg.InventoryFile = *inventoryFile
	cfg.IPRanges.Source = *ipRanges
	en, err := enrich.OpenReadOnly(context.Background(), cfg, *stateDir)
	if err != nil {
		fmt.Fprintf(stderr, "flowhec inventory show: %v\n", err)
		return exitUsage
	}
	status := exitOK
	for _, arg := range fl.Args() {
		a, err := netip.ParseAddr(arg)
		if err != nil {
			fmt.Fprintf(stderr, "flowhec inventory show: %q is not an IP address\n", arg)
			status = exitUsage
			continue
		}
		if !showAddress(stdout, en, a, when) {
			status = max(status, exitBad)
		}
	}
	return status
}

// showAddress prints what flowhec knows of a; false when nothing.
func showAddress(w io.Writer, en *enrich.Enricher, a netip.Addr, when time.Time) bool {
	fmt.Fprintln(w, a)
	known := false
	if o, ok := en.Lookup(a, when.Unix()); ok {
		known = true
		fmt.Fprintf(w, "  owner at %s:\n", when.UTC().Format(time.RFC3339))
		row := func(k, v string) {
			if v != "" {
				fmt.Fprintf(w, "    %-16s %s\n", k, v)
			}
		}
		row("interface", o.ENI)
		row("instance", o.InstanceID)
		row("name", o.InstanceName)
		row("service", o.Service)
		row("resource", o.Resource)
		row("interface type", o.InterfaceType)
		row("vpc", o.VPCID)
		row("subnet", o.SubnetID)
		row("az", o.AZ)
		row("security groups", o.SecurityGroups)
		row("account", o.AccountID)
		row("region", o.Region)
		if !o.Since.IsZero() {
			row("holds it since", o.Since.UTC().Format(time.RFC3339)+" ("+ago(when.Sub(o.Since))+" before)")
		}
	}
	if m, ok := en.AWSService(a); ok {
		known = true
		fmt.Fprintf(w, "  AWS address: service %s, region %s (%s)\n", m.Service, m.Region, m.Prefix)
	}
	if hist := en.History(a); len(hist) > 0 {
		known = true
		fmt.Fprintln(w, "  held by:")
		for _, iv := range hist {
			until := "now"
			if !iv.Until.IsZero() {
				until = iv.Until.UTC().Format(time.RFC3339)
			}
			from := iv.From.UTC().Format(time.RFC3339)
			if iv.FirstSight {
				from = "≤ " + from
			}
			fmt.Fprintf(w, "    %-24s → %-22s %s (last seen %s)\n", from, until, iv.ENI, iv.Seen.UTC().Format(time.RFC3339))
		}
	}
	if !known {
		fmt.Fprintf(w, "  unknown: no interface in the inventory or history holds it (scope %s)\n", derive.AddrScope(a, nil))
	}
	return known
}

// ago says a duration the way a person reads it: "3 days", "5h20m".
func ago(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return d.Round(time.Minute).String()
}
