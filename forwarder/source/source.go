package source

import "context"

// Chunk is a run of encoded events from one source, written to the pipeline
// as a unit: a chunk is never split across two batches, so it is delivered
// when the one batch that holds it is.
type Chunk struct {
	// Events are concatenated HEC event objects. The Writer copies them; the
	// source may reuse the buffer once Write returns.
	Events []byte
	// Count is the number of events in Events; Bad is how many of them are
	// lines that did not parse (delivered raw with flowhec_parse_error).
	Count, Bad int
	// Ack is called exactly once, when every event of the chunk has been
	// delivered or dead-lettered. It may be called from any goroutine. It is
	// never called for a chunk that was not delivered (then the checkpoint
	// stays where it was and the events are read again after a restart).
	Ack func()
}

// MaxChunkBytes bounds Chunk.Events, so that a chunk always fits in a batch.
const MaxChunkBytes = 256 << 10

// Writer takes chunks into the pipeline. Write blocks while the pipeline is
// full (backpressure) until there is room or ctx ends.
type Writer interface {
	Write(ctx context.Context, c Chunk) error
}

// Source reads flow logs and writes them to the pipeline until its input is
// exhausted (batch sources) or ctx ends (daemon sources).
type Source interface {
	// Name identifies the source in logs, metrics and checkpoints.
	Name() string
	// Run reads and writes until done. It returns nil when the input is
	// exhausted or ctx was cancelled, and an error only for a failure that
	// stops the source.
	Run(ctx context.Context, w Writer) error
}
