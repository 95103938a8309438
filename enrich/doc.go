// Package enrich names the two ends of every flow record. An Enricher
// combines the owner index of enrich/inventory (ENI, instance, Name and
// service tags, VPC, subnet, AZ, security groups, the resource behind a
// requester-managed interface, and since when it held the address), the
// AWS public ranges of enrich/ipranges (service and region) and the fields
// enrich/derive computes from the record itself (action, transport,
// duration, direction, scope, TCP flags), and writes them into a reusable
// Fields without allocating. The encoder turns Fields into HEC indexed
// fields (raw events) or keys of the event (json events).
//
// A new inventory (from a static file, or refreshed from EC2 by
// enrich/awsinv) goes through Update: the ownership history notes which
// addresses changed hands, and a new index is swapped in atomically, so
// records are enriched by who held an address at the record's time.
package enrich
