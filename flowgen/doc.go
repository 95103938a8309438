// Package flowgen generates realistic AWS VPC flow logs, deterministically,
// with labelled stories planted in them, for tests, the demo and benchmarks.
//
// A Config (start from DefaultConfig) describes a span of time, a record
// rate and a format. New builds the simulated fleet of one VPC from it —
// load balancer, web tier, databases, memcached, NAT gateway, Lambda, an
// ECS task, endpoints — whose IDs and addresses depend on the account,
// region and VPC only, so Generator.Inventory describes it for any seed.
// Run then walks the span one 60-second aggregation window at a time and
// writes, for each window, the records of several independent streams,
// each with its own random sequence so that changing one leaves the others
// as they were:
//
//   - background traffic following a daily rhythm, both directions of each
//     accepted flow on each interface that sees it;
//   - internet scanners, REJECTed, enough to bring the share of REJECT
//     records to Config.RejectShare;
//   - the two stories of DESIGN.md: zombie clients of a recycled address,
//     and a memcached amplification;
//   - benign look-alikes that detections must not flag: ALB health checks,
//     NTP, DNS and a periodic backup to S3;
//   - NODATA records for idle interfaces and rare SKIPDATA records.
//
// Records are written straight into a reused buffer in the configured
// format, so every field of every flow-log version has a value consistent
// with the fleet ("-" where AWS writes "-"). WriteLines writes plain lines;
// WriteS3 writes gzip objects under the key layout AWS uses in S3, each
// with its header line. Labels, returned by every run, are the ground
// truth: what was planted, where, when and exactly how much.
//
// Some simplifications are deliberate: DNS queries to the VPC resolver and
// NTP are logged although AWS leaves out traffic to the Amazon-provided DNS
// server and to 169.254.169.123 (the fleet keeps time with public servers,
// which AWS does log); requester IDs of AWS-managed interfaces are
// illustrative; and records of one window are grouped by stream rather
// than interleaved.
package flowgen
