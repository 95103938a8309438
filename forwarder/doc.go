// Package forwarder is flowhec's pipeline: sources read flow logs, the
// encoder turns records into HEC events (enriched), the batcher seals them
// into gzipped batches in the disk queue, and the HEC sink delivers them.
// Acknowledgements travel back from the sink to the sources, whose
// checkpoints move only past what was delivered.
//
// Config is the whole `flowhec run` configuration (config.go), Run wires
// and runs the pieces and shuts them down in the order that loses nothing
// (pipeline.go), and metrics.go serves /metrics and /healthz. The pieces
// live in the subpackages: encode, source and source/file, checkpoint,
// queue, and hec.
package forwarder
