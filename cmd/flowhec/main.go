package main

import (
	"fmt"
	"io"
	"os"
)

// Exit statuses shared by every subcommand.
const (
	exitOK    = 0 // everything worked
	exitBad   = 1 // the command ran, but some input was bad or undeliverable
	exitUsage = 2 // usage or I/O error: nothing useful was done
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"parse", "parse flow-log files and print one JSON object per record", runParse},
		{"demo", "run the whole pipeline on generated data into a loopback HEC", runDemo},
		{"run", "deliver flow logs to the Splunk HTTP Event Collector", runRun},
		{"inventory", "explain who owns an address; export the inventory from EC2", runInventory},
		{"gen", "generate realistic flow logs with labelled stories", runGen},
		{"version", "print the version", runVersion},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "flowhec: unknown command %q; run 'flowhec help' for the list\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: flowhec COMMAND [FLAGS] [ARGS]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'flowhec COMMAND -h' for the flags of one command.")
}

func runVersion(_ []string, _ io.Reader, stdout, _ io.Writer) int {
	fmt.Fprintf(stdout, "flowhec %s\n", version)
	return exitOK
}
