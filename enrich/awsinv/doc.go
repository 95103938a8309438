// Package awsinv builds the inventory enrichment reads (inventory.Inventory:
// who owns each address) from EC2, and keeps it fresh.
//
// A Loader reads, for every account and region of its Config, the VPCs,
// subnets, route tables (which make a subnet public), network interfaces
// (managed resources included) and instances, page by page, with the real
// AWS SDK. Accounts are roles it assumes through STS (role_arns, with an
// external ID and session name), or the account of the default
// credentials. Loads run concurrently up to a bound, each call bounded by
// call_timeout; the SDK's standard retryer retries throttling
// (RequestLimitExceeded) with jittered, capped exponential backoff. A
// failure of one account or region does not lose the others: Load returns
// what loaded with a *LoadError per failure, classified (Kind) and saying
// what to do — the IAM permission to grant (see Permissions), the trust
// policy to fix, the opt-in region to enable.
//
// A Refresher runs the Loader every refresh_interval and hands each new
// inventory to a callback that swaps it into the index, so readers never
// wait; an account or region that fails keeps its last good data, and
// failures are logged with zerolog and counted. A Resolver answers, between
// refreshes, the misses enrichment sees — private addresses the inventory
// lacks — with targeted DescribeNetworkInterfaces calls behind a rate
// limiter, a negative cache and de-duplication, and Refresher.Extend adds
// what it finds to the index.
//
// Tests run all of it against enrich/ec2test, a loopback EC2 and STS the
// SDK talks to over HTTP.
package awsinv
