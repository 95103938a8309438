// Package ipranges names the AWS service behind a public address, from the
// ip-ranges.json file that AWS publishes at
// https://ip-ranges.amazonaws.com/ip-ranges.json. Enrichment uses it for
// the per-side `_aws_service` field and for `_scope=aws`.
//
// Load reads the file from a path or an http(s) URL (the enrich.ip_ranges
// key, see Config); Parse checks it and builds a Table, an immutable
// longest-prefix-match table over IPv4 and IPv6 (github.com/gaissmai/bart)
// that is safe for concurrent use and answers Lookup without allocating.
// A refresh builds a new Table and swaps it in whole.
//
// AWS lists one prefix under several services: every prefix appears as
// AMAZON, and many again as EC2 and as the service that runs on them
// (ROUTE53_HEALTHCHECKS, CLOUD9, …). A Table keeps one Match per prefix,
// chosen by Prefer, and Lookup returns the Match of the longest prefix
// that holds the address.
package ipranges
