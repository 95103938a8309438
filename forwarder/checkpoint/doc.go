// Package checkpoint keeps the positions flowhec may resume from after a
// restart, and moves them only as far as the sink has acknowledged.
//
// A source reads ahead of what has been delivered: several chunks are in the
// queue or in flight to Splunk at once, and they are acknowledged in any
// order. A Tracker turns those out-of-order acknowledgements into a safe
// position: the highest one below which every chunk has been acknowledged,
// never the read position (resuming from the read position loses whatever
// was still in flight when the process stopped). It follows the capped
// checkpointer of Redpanda Connect's Kinesis input: each outstanding chunk is
// one node of a list, and acknowledging a node that is not the oldest hands
// its position down to the one before it, so memory is proportional to the
// chunks outstanding and every acknowledgement costs O(1).
//
// A Store is where committed positions live between runs: one JSON file,
// <state_dir>/checkpoints.json, holding an Entry per source key. It is
// written atomically (temporary file in the same directory, fsync, rename,
// fsync of the directory), so a crash at any instant leaves either the old
// file or the new one, never a torn one; it is loaded strictly, so a file it
// does not understand stops flowhec with an error saying what to do rather
// than silently starting over. Sources set entries as their trackers commit;
// the Store writes them every few seconds when something changed, and a
// last time on Close.
package checkpoint
