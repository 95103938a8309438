// Package hec is the sink that delivers flow-log events to the Splunk HTTP
// Event Collector at least once.
//
// The Batcher (the pipeline's source.Writer) collects chunks of encoded
// events into batches, seals a batch at hec.batch_bytes or hec.batch_age,
// gzips it once and puts it in the disk queue. The Sink's senders take
// batches from the queue, each on its own request channel, and POST them
// through retryablehttp with a jittered, capped backoff that honours
// Retry-After. Every reply is classified once (classify.go) from its HTTP
// status and HEC code: delivered, retry, configuration refused (hold
// everything, log once naming the setting, retry slowly), one bad event
// (dead-letter it, resend the rest), too large (split), rejected
// (dead-letter). With indexer acknowledgement the acker polls ackIds on the
// endpoint that issued them and resends on timeout. A batch leaves the
// queue, and its chunks' acks reach their sources, only when HEC has it.
package hec
