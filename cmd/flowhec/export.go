package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/flowhec/flowhec/enrich/awsinv"
	"github.com/flowhec/flowhec/enrich/inventory"
	"github.com/flowhec/flowhec/forwarder"
	"github.com/flowhec/flowhec/internal/atomicfile"
)

// stringList is a flag that may be repeated and takes commas.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}

func runInventoryExport(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("inventory export", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, inventoryUsage); fl.PrintDefaults() }
	cfg := awsinv.DefaultConfig()
	var regions, roles stringList
	fl.Var(&regions, "region", "AWS `region` to read (repeat, or separate with commas)")
	fl.Var(&roles, "role-arn", "IAM role `ARN` to assume, one per account (repeat; default: the credentials of the environment)")
	fl.StringVar(&cfg.ExternalID, "external-id", "", "external `id` the roles' trust policies require")
	fl.StringVar(&cfg.Endpoints.EC2, "ec2-endpoint", "", "EC2 endpoint `URL` (a VPC endpoint; {region} is replaced)")
	fl.StringVar(&cfg.Endpoints.STS, "sts-endpoint", "", "STS endpoint `URL` ({region} is replaced)")
	out := fl.String("out", "", "write the inventory to `file` (default stdout)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if len(regions) == 0 {
		fmt.Fprintln(stderr, "flowhec inventory export: --region is required (e.g. --region us-east-1,eu-west-1)")
		return exitUsage
	}
	cfg.Regions, cfg.RoleARNs = regions, roles
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "flowhec inventory export: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	loader, err := awsinv.New(ctx, cfg, awsinv.WithLogger(newLogger(stderr, logConfigWarn())))
	if err != nil {
		fmt.Fprintf(stderr, "flowhec inventory export: %v\n", err)
		return exitUsage
	}
	inv, loadErr := loader.Load(ctx)
	status := exitOK
	if loadErr != nil {
		// What loaded is still written; each failure says what to fix.
		fmt.Fprintf(stderr, "flowhec inventory export: part of the inventory could not be read:\n  %s\n",
			strings.ReplaceAll(loadErr.Error(), "\n", "\n  "))
		status = exitBad
		if len(inv.NetworkInterfaces) == 0 {
			return exitBad
		}
	}
	if err := writeInventory(inv, *out, stdout); err != nil {
		fmt.Fprintf(stderr, "flowhec inventory export: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "flowhec inventory export: %d interfaces, %d instances, %d VPCs in %d accounts\n",
		len(inv.NetworkInterfaces), len(inv.Instances), len(inv.VPCs), len(inv.Accounts))
	return status
}

// writeInventory writes inv to path atomically, or to stdout when path is
// empty.
func writeInventory(inv *inventory.Inventory, path string, stdout io.Writer) error {
	if path == "" {
		return inv.WriteJSON(stdout)
	}
	var buf bytes.Buffer
	if err := inv.WriteJSON(&buf); err != nil {
		return err
	}
	return atomicfile.Write(path, buf.Bytes(), 0o644)
}

// logConfigWarn logs only what an operator must see during a one-off
// command: warnings (throttling, retries) and errors.
func logConfigWarn() forwarder.LogConfig { return forwarder.LogConfig{Level: "warn", Format: "auto"} }
