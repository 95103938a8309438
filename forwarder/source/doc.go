// Package source defines what every flowhec source hands the pipeline: chunks
// of encoded HEC events, each with the function to call once all of it is
// delivered. Sources themselves live in subpackages (file, and later S3+SQS,
// CloudWatch Logs, Firehose).
//
// The acknowledgement travels back from the sink to the source, as in
// Benthos: a source moves its checkpoint only when the chunks before it have
// been acknowledged, never to its read position.
package source
