// Package ec2test is a loopback fake of the parts of EC2 and STS that
// flowhec reads, for tests and demos: the real AWS SDK clients talk to it
// over HTTP (BaseEndpoint set to Server.URL), the way net/http/httptest lets
// a client talk to a real server, and nothing reaches AWS.
//
// A Server speaks the EC2 Query protocol as the SDK's ec2query serializer
// writes it (a form-encoded POST with Action, Version=2016-11-15,
// MaxResults, NextToken, Filter.N.Name and Filter.N.Value.M, ID lists such
// as NetworkInterfaceId.N, IncludeManagedResources, DryRun) and answers
// DescribeNetworkInterfaces, DescribeInstances, DescribeVpcs,
// DescribeSubnets and DescribeRouteTables with EC2's XML documents, item
// sets and all, paginated with MaxResults and nextToken, and with EC2's
// error document (<Response><Errors><Error>) and status codes. Filters
// follow EC2's rules: filters are and-ed, a filter's values or-ed, values
// may hold * and ?, and an unknown filter name is InvalidParameterValue.
//
// The resources come from an inventory.Inventory (SetInventory; the file
// schema flowhec's enrichment reads, so a test's fixture or the
// generator's fleet can be served), and each is served to the requests of
// its account and region: the account is the owner of the access key that
// signed the request, the region the signature's scope. The static key
// AccessKeyID belongs to Config.Account; AssumeRole issues keys that belong
// to the role's account, so one Server stands for an organisation. Edit and
// MoveAddress change the inventory between calls. Route tables are derived
// from the subnets' Public flag.
//
// STS answers AssumeRole (Query protocol, AssumeRoleResponse XML),
// records every call (AssumeRoleCalls, AssumedRoles), and can refuse a
// role (DenyRole) or insist on an external ID (RequireExternalID) with
// STS's AccessDenied.
//
// Faults are injected into EC2 requests on purpose and deterministically:
// FailWhere fails every request of an account, region or action (a
// missing IAM permission, a disabled region), FailNext and ThrottleNext the
// next requests, SetFaultRate a seeded fraction of them; Calls, Throttled
// and Requests say what the client did. Signatures are not verified: the
// access key and session token name the caller.
package ec2test
