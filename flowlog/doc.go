// Package flowlog reads AWS VPC flow logs: the table of every field of every
// format version (fields.go), formats built from a header line, an AWS
// format string or the default (format.go), a parser that turns one line into
// a Record without allocating (parse.go), and readers that stream lines out
// of plain text, gzip, S3 objects with header lines and CloudWatch Logs
// subscription payloads (reader.go, cloudwatch.go).
//
// The parser never guesses a line's format from its number of tokens: the
// format comes from the default, a header, a format string or the config,
// and a line that does not fit it is a *ParseError that names the line, the
// field and the reason.
package flowlog
