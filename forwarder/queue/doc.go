// Package queue is the bounded queue between the encoder and the HEC sink.
// It holds sealed batches (a gzip-compressed HEC payload plus the sink's
// opaque bookkeeping) until the sink acknowledges them, so that a source's
// checkpoint only ever moves past delivered data.
//
// Put stores a batch and returns once it is accepted: for the disk queue,
// once it is fsynced. Get hands out the pending batch with the lowest ID and
// marks it in flight; Ack deletes it, Nack returns it ahead of every newer
// batch. The payload and meta bytes of pending and in-flight batches are
// bounded: a full queue blocks Put, which is how backpressure reaches the
// sources, and Acks wake the blocked Puts in arrival order. Disk and Memory
// share that logic (core.go) and one test suite; only storage differs.
//
// Delivery is at least once. In-flight state lives in memory only, so after
// a restart every stored batch is offered again, marked Replayed; a batch
// whose Ack had not reached the disk when the process died is sent twice.
// Attempts counts Nacks in this process and starts at 0 after a restart.
// With concurrent producers, IDs follow the order in which Puts got space,
// and an item becomes visible to Get when its own commit ends, so a Get may
// see ID n+1 a moment before n; one producer gets strict FIFO.
//
// # Storage
//
// The disk queue is one bbolt file (go.etcd.io/bbolt, as in the OpenTelemetry
// Collector's file storage), DiskConfig.Dir/queue.db. A B+tree keyed by the
// big-endian ID gives FIFO order by iteration and lets out-of-order Acks from
// concurrent senders delete any item, which a log truncated only at its front
// cannot. Each item is a bucket of its own holding one record (record.go:
// version, CRC-32C, meta, payload): stored flat, bbolt packs up to four large
// values per leaf and rewrites them all on every write, 720 KB written per
// 100 KB item against 116 KB with a bucket per item. Puts and Acks from all
// goroutines go to one commit goroutine, which commits whatever has queued
// in one transaction (group commit, one fsync pair), with no timer: bbolt's
// own db.Batch waits up to MaxBatchDelay (10 ms) for company, which caps a
// lone producer near 95 items/s. The free list is not written to the file
// (rewriting it costs 8 bytes per free page per commit, megabytes after a
// backlog drains); opening rebuilds it by walking the tree, about 0.1 s for
// a 1 GiB file. The file does not shrink: it stays about as large as the
// largest backlog it held (1027 MiB after 10,000 items of 100 KB).
//
// A damaged file is an error naming the path and what to do (move it
// aside), never a wipe. Before opening for writing, the file is opened
// read-only and every page and key order is walked with bbolt's panics and
// memory faults turned into ErrCorrupt, because bbolt reports damage found
// while rebuilding its free list by panicking on a goroutine of its own. A
// pointer from two places to one page passes that walk and would still end
// the process with bbolt's own message. A damaged item is found by its CRC
// at Get, which returns its ID with ErrCorrupt so the sink can drop it.
//
// # Measurements
//
// On the 2-core development VM (ext4 on a virtual disk, fsync 0.15-0.3 ms),
// 100 KB items, Put+Get+Ack per item, as many senders as producers
// (BenchmarkQueue, a fresh file, other jobs sharing the machine):
//
//	                      1 producer              4 producers
//	disk, Sync            1550-2100 items/s       2700-4700 items/s
//	                      (159-215 MB/s)          (276-484 MB/s)
//	disk, no Sync         4200-8200 items/s       2700-5700 items/s
//	memory                37000-47000 items/s     21000-94000 items/s
//
// The rate follows the disk's fsync latency. While other processes on the VM
// wrote heavily, disk with Sync fell as low as 13-48 items/s, and to 230-290
// items/s beside a dd writing 1.5 GB with fsync in a loop, whether the file
// was growing or reusing its pages.
//
// The need is 80-150 batches/s (10-30 MB/s) for 500,000 records/s. Also
// measured, Put and delete only, 100 KB, fsync on: bbolt with db.Batch 93
// items/s (1 producer) and 360 (4); github.com/tidwall/wal, which fsyncs
// every write and cannot delete out of order, 1100-2000 (1) and 1260-2300
// (4). bbolt with group commit meets the need with room to spare, so the
// package uses it.
package queue
