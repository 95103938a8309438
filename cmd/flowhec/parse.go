package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/flowhec/flowhec/enrich"
	"github.com/flowhec/flowhec/flowlog"
)

const parseUsage = `usage: flowhec parse [--format FORMAT] [--inventory FILE] [--ip-ranges FILE|URL] [--enrich] [--summary] [PATH|-]...

Parses flow-log files and prints one JSON object per record on stdout, with
the Splunk field names; absent ("-") fields are omitted. PATH may be a plain
or gzip file, an S3 object with its header line, a CloudWatch Logs
subscription payload, or a directory (read recursively, in name order); "-"
or no PATH reads stdin. A file whose first line is a header uses it.

With --inventory and/or --ip-ranges (or --enrich) each record also gets the
enrichment fields flowhec run sends: who owns each address at the record's
time (src_instance_name, dest_service, …), the AWS service of AWS addresses,
and fields derived from the record (action, transport, direction, duration,
tcp_flag, src_scope, dest_scope).

Each bad line is reported on stderr as PATH:LINE: reason and not printed.
Exit status: 0 when every line parsed, 1 when any line was bad, 2 on usage
or I/O errors.

flags:
`

func runParse(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("parse", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, parseUsage); fl.PrintDefaults() }
	formatFlag := fl.String("format", "default", "format of lines without a header: `default`, an AWS format string (\"${version} ${vpc-id} …\") or field names separated by spaces")
	inventoryFlag := fl.String("inventory", "", "static inventory `file`: add who owns each address (src_/dest_ fields)")
	ipRangesFlag := fl.String("ip-ranges", "", "AWS ip-ranges.json `file or URL`: add the AWS service of AWS addresses")
	enrichFlag := fl.Bool("enrich", false, "add the fields derived from each record (action, transport, direction, …) even without --inventory or --ip-ranges")
	summaryFlag := fl.Bool("summary", false, "print a summary of the input (counts, span, most rejected destinations) instead of records")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	format, err := flowlog.ParseFormat(*formatFlag)
	if err != nil {
		fmt.Fprintf(stderr, "flowhec parse: --format: %v\n", err)
		return exitUsage
	}
	paths := fl.Args()
	if len(paths) == 0 {
		paths = []string{"-"}
	}

	out := bufio.NewWriterSize(stdout, 64<<10)
	p := &parser{format: format, formatSet: flagWasSet(fl, "format"), out: out, stderr: stderr, warned: map[string]bool{}}
	if *summaryFlag {
		p.summary = newSummary()
	}
	if *inventoryFlag != "" || *ipRangesFlag != "" || *enrichFlag {
		cfg := enrich.DefaultConfig()
		cfg.InventoryFile = *inventoryFlag
		cfg.IPRanges.Source = *ipRangesFlag
		en, err := enrich.Open(context.Background(), cfg, "")
		if err != nil {
			fmt.Fprintf(stderr, "flowhec parse: %v\n", err)
			return exitUsage
		}
		p.enricher, p.fields = en, new(enrich.Fields)
	}
	status := exitOK
	for _, path := range paths {
		if s := p.path(path, stdin); s > status {
			status = s
		}
	}
	if p.summary != nil {
		p.summary.print(out)
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(stderr, "flowhec parse: write stdout: %v\n", err)
		return exitUsage
	}
	return status
}

type parser struct {
	format    *flowlog.Format
	formatSet bool // --format was given, so a differing header is worth a warning
	out       *bufio.Writer
	stderr    io.Writer
	warned    map[string]bool // unknown field names already warned about
	summary   *summary        // set by --summary: count records instead of printing them
	enricher  *enrich.Enricher
	fields    *enrich.Fields
	buf       []byte
}

// path parses one argument: stdin, a file, or every file under a directory.
func (p *parser) path(path string, stdin io.Reader) int {
	if path == "-" {
		return p.file("-", stdin)
	}
	info, err := os.Stat(path)
	if err != nil {
		fmt.Fprintf(p.stderr, "flowhec parse: %v\n", err)
		return exitUsage
	}
	if !info.IsDir() {
		return p.open(path)
	}
	var files []string
	err = filepath.WalkDir(path, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, name)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(p.stderr, "flowhec parse: %v\n", err)
		return exitUsage
	}
	sort.Strings(files)
	status := exitOK
	for _, f := range files {
		status = max(status, p.open(f))
	}
	return status
}

func (p *parser) open(path string) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(p.stderr, "flowhec parse: %v\n", err)
		return exitUsage
	}
	defer f.Close()
	return p.file(path, f)
}

func (p *parser) file(name string, in io.Reader) int {
	r := flowlog.NewReader(in, flowlog.ReaderOptions{Source: name, Format: p.format})
	status := exitOK
	checked := false
	for r.Next() {
		if !checked {
			checked = true
			p.checkFormat(name, r)
		}
		if err := r.LineErr(); err != nil {
			fmt.Fprintln(p.stderr, err)
			status = exitBad
			if p.summary != nil {
				p.summary.bad++
			}
			continue
		}
		if p.summary != nil {
			p.summary.add(r.Record())
			continue
		}
		p.buf = r.Record().AppendJSON(p.buf[:0])
		if p.enricher != nil {
			p.enricher.Enrich(r.Record(), p.fields)
			if p.fields.Len() > 0 {
				p.buf = p.fields.AppendJSON(p.buf[:len(p.buf)-1], true, false)
				p.buf = append(p.buf, '}')
			}
		}
		p.buf = append(p.buf, '\n')
		if _, err := p.out.Write(p.buf); err != nil {
			fmt.Fprintf(p.stderr, "flowhec parse: write stdout: %v\n", err)
			return exitUsage
		}
	}
	if !checked {
		p.checkFormat(name, r)
	}
	if p.summary != nil {
		p.summary.input(r)
	}
	if err := r.Err(); err != nil {
		fmt.Fprintf(p.stderr, "flowhec parse: %v\n", err)
		return exitUsage
	}
	return status
}

// checkFormat warns once per name about fields the table does not know, and
// when a header overrides an explicit --format.
func (p *parser) checkFormat(name string, r *flowlog.Reader) {
	f := r.Format()
	if r.HasHeader() && p.formatSet && !f.Equal(p.format) {
		fmt.Fprintf(p.stderr, "flowhec parse: warning: %s: its header line overrides --format (header: %s)\n", name, f.Header())
	}
	for _, u := range f.Unknown() {
		if !p.warned[u] {
			p.warned[u] = true
			fmt.Fprintf(p.stderr, "flowhec parse: warning: %s: unknown field %q is kept as the string field %q\n", name, u, flowlog.SplunkNameOf(u))
		}
	}
}

func flagWasSet(fl *flag.FlagSet, name string) bool {
	set := false
	fl.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
