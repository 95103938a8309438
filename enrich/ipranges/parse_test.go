package ipranges

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	const head = `"syncToken":"1","createDate":"2024-01-02-03-04-05"`
	v4 := func(entries ...string) string {
		return `{` + head + `,"prefixes":[` + strings.Join(entries, ",") + `],"ipv6_prefixes":[]}`
	}
	v6 := func(entries ...string) string {
		return `{` + head + `,"prefixes":[],"ipv6_prefixes":[` + strings.Join(entries, ",") + `]}`
	}
	good4 := `{"ip_prefix":"3.5.0.0/19","region":"us-east-1","service":"S3","network_border_group":"us-east-1"}`
	good6 := `{"ipv6_prefix":"2600:9000::/28","region":"GLOBAL","service":"CLOUDFRONT","network_border_group":"GLOBAL"}`
	tests := []struct {
		name string
		doc  string
		// want is in the error text; where, when set, is the location of
		// the first *ParseError.
		want  string
		where string
	}{
		{"not JSON", `<html>`, "not an ip-ranges.json document", ""},
		{"trailing data", v4(good4) + `x`, "not an ip-ranges.json document", ""},
		{"wrong type", `{` + head + `,"prefixes":{}}`, "not an ip-ranges.json document", ""},
		{"no syncToken", `{"createDate":"2024-01-02-03-04-05","prefixes":[` + good4 + `]}`, "syncToken: missing", "syncToken"},
		{"no createDate", `{"syncToken":"1","prefixes":[` + good4 + `]}`, "createDate: missing", "createDate"},
		{"bad createDate", `{"syncToken":"1","createDate":"2024-01-02T03:04:05Z","prefixes":[` + good4 + `]}`, `createDate: "2024-01-02T03:04:05Z": want YYYY-MM-DD-hh-mm-ss`, "createDate"},
		{"no prefixes", `{` + head + `,"prefixes":[],"ipv6_prefixes":[]}`, "no prefixes", "prefixes"},
		{"empty object", `{}`, "syncToken: missing", "syncToken"},
		{"bad prefix length", v4(good4, `{"ip_prefix":"52.95.245.0/33","region":"us-east-1","service":"AMAZON"}`), `prefixes[1].ip_prefix: netip.ParsePrefix("52.95.245.0/33")`, "prefixes[1].ip_prefix"},
		{"not a prefix", v4(`{"ip_prefix":"52.95.245.0","region":"us-east-1","service":"AMAZON"}`), `prefixes[0].ip_prefix: netip.ParsePrefix("52.95.245.0"): no '/'`, "prefixes[0].ip_prefix"},
		{"host bits", v4(good4, good4, `{"ip_prefix":"52.95.245.1/24","region":"us-east-1","service":"AMAZON"}`), `prefixes[2].ip_prefix: "52.95.245.1/24" has host bits set (the network is 52.95.245.0/24)`, "prefixes[2].ip_prefix"},
		{"v6 in v4 list", v4(`{"ip_prefix":"2600:9000::/28","region":"GLOBAL","service":"CLOUDFRONT"}`), `prefixes[0].ip_prefix: "2600:9000::/28" is not an IPv4 prefix`, "prefixes[0].ip_prefix"},
		{"v4 in v6 list", v6(good6, `{"ipv6_prefix":"3.5.0.0/19","region":"us-east-1","service":"S3"}`), `ipv6_prefixes[1].ipv6_prefix: "3.5.0.0/19" is an IPv4 prefix`, "ipv6_prefixes[1].ipv6_prefix"},
		{"v4-mapped in v6 list", v6(`{"ipv6_prefix":"::ffff:3.5.0.0/115","region":"us-east-1","service":"S3"}`), `is IPv4-mapped`, "ipv6_prefixes[0].ipv6_prefix"},
		{"wrong key in v4 list", v4(`{"ipv6_prefix":"2600:9000::/28","region":"GLOBAL","service":"CLOUDFRONT"}`), `prefixes[0].ip_prefix: missing; the entry has ipv6_prefix "2600:9000::/28"`, "prefixes[0].ip_prefix"},
		{"missing prefix", v6(`{"region":"GLOBAL","service":"CLOUDFRONT"}`), `ipv6_prefixes[0].ipv6_prefix: missing or empty`, "ipv6_prefixes[0].ipv6_prefix"},
		{"missing service", v4(`{"ip_prefix":"3.5.0.0/19","region":"us-east-1"}`), `prefixes[0].service: missing or empty`, "prefixes[0].service"},
		{"missing region", v6(`{"ipv6_prefix":"2600:9000::/28","service":"CLOUDFRONT"}`), `ipv6_prefixes[0].region: missing or empty`, "ipv6_prefixes[0].region"},
		{"zone", v6(`{"ipv6_prefix":"fe80::%eth0/64","region":"GLOBAL","service":"AMAZON"}`), `ipv6_prefixes[0].ipv6_prefix: netip.ParsePrefix`, "ipv6_prefixes[0].ipv6_prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse succeeded with %d+%d prefixes, want an error", tab.Len4(), tab.Len6())
			}
			if tab != nil {
				t.Error("Parse returned a table with its error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tt.want)
			}
			var pe *ParseError
			if got := errors.As(err, &pe); got != (tt.where != "") {
				t.Fatalf("errors.As(*ParseError) = %v, want %v", got, tt.where != "")
			}
			if pe != nil && !strings.HasPrefix(pe.Error(), tt.where+":") {
				t.Errorf("first ParseError %q is not at %s", pe, tt.where)
			}
		})
	}
}

// TestParseManyErrors checks that a file that is wrong throughout gives a
// short error that still counts every bad entry.
func TestParseManyErrors(t *testing.T) {
	var entries []string
	for i := range 25 {
		entries = append(entries, fmt.Sprintf(`{"ip_prefix":"10.0.%d.1/24","region":"r","service":"S"}`, i))
	}
	doc := `{"syncToken":"1","createDate":"2024-01-02-03-04-05","prefixes":[` + strings.Join(entries, ",") + `]}`
	_, err := Parse([]byte(doc))
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxReported+1 {
		t.Errorf("%d lines, want %d:\n%v", len(lines), maxReported+1, err)
	}
	if !strings.HasPrefix(lines[0], "prefixes[0].ip_prefix:") || lines[len(lines)-1] != "and 15 more bad entries" {
		t.Errorf("error:\n%v", err)
	}
}

// TestParseTolerates checks what Parse accepts: keys AWS may add, an
// absent ipv6_prefixes, an entry without network_border_group (files
// before 2020), and IPv6 prefixes in any valid spelling.
func TestParseTolerates(t *testing.T) {
	doc := `{"syncToken":"1","createDate":"2024-01-02-03-04-05","newKey":[1,2],"prefixes":[
		{"ip_prefix":"3.5.0.0/19","region":"us-east-1","service":"S3","future":"x"},
		{"ip_prefix":"0.0.0.0/0","region":"GLOBAL","service":"AMAZON"}]}`
	tab, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len4() != 2 || tab.Len6() != 0 {
		t.Errorf("Len4, Len6 = %d, %d", tab.Len4(), tab.Len6())
	}
	doc6 := `{"syncToken":"1","createDate":"2024-01-02-03-04-05","ipv6_prefixes":[
		{"ipv6_prefix":"2600:9000:0000::/28","region":"GLOBAL","service":"CLOUDFRONT"}]}`
	if tab, err = Parse([]byte(doc6)); err != nil || tab.Len6() != 1 {
		t.Fatalf("Parse(v6 only) = %v", err)
	}
}
