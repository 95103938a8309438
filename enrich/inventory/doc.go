// Package inventory is what enrichment knows about who owns each address,
// and the index that answers it for every record.
//
// The Inventory (schema.go) is the static inventory file: EC2-shaped,
// snake_case JSON, which `flowhec inventory export` writes from live AWS and
// `flowhec gen` writes for its samples; Load reads one strictly and
// Validate names what is wrong in it. Build turns an inventory into an
// Index that maps each private IPv4, IPv6 and public address to an Owner —
// interface, instance, Name and service tags, VPC, subnet, zone, security
// groups, and for interfaces AWS services create, the Resource that owns
// them (resource.go) — with every string computed once, so that
// Index.Lookup costs a map probe and allocates nothing. Config.Names names
// the addresses no interface holds (a VPN range, an office) by longest
// prefix.
//
// Addresses are recycled, and records arrive minutes or days after the
// fact, so the owner of an address is a function of time. A History
// observes successive inventories and keeps, per address, the intervals
// during which each interface held it; Build takes it with the current
// inventory, and Lookup picks the interval a record's time falls in, whose
// start is Owner.Since. The History is saved atomically in the state
// directory and bounded in age and length. A Current holds the Index in
// use and swaps in the next one without making readers wait.
package inventory
