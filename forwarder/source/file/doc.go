// Package file is the source that reads flow-log files from disk: the S3
// objects AWS delivers, synced down (AWSLogs/{account}/vpcflowlogs/{region}/
// YYYY/MM/DD/*.log.gz), or any plain or gzip file of flow-log lines. NewStdin
// reads standard input the same way, without checkpoints.
//
// # What paths may name
//
// Each entry of sources[].paths is one of:
//
//   - a file;
//   - a directory, read recursively;
//   - a filepath.Glob pattern (*, ?, [...] within one path element), whose
//     matches are files or directories, the latter read recursively;
//   - a pattern with one "**" element, which stands for any number of
//     directories, none included: /data/**/*.log.gz matches
//     /data/x.log.gz and /data/AWSLogs/1/vpcflowlogs/eu-west-1/2024/05/01/x.log.gz.
//     What precedes "**" may itself be a glob; what follows it is matched
//     against the last elements of each file's path.
//
// Directories are walked in lexical order, which for the S3 layout is time
// order. Names starting with "." are skipped when walking (the temporary
// files of rsync, aws s3 sync and editors) but may be named explicitly.
// Symbolic links to files are followed; symbolic links to directories are
// followed only when a path names them, never while walking, as they could
// loop. Relative paths are made absolute when the source is made; the
// absolute path is the HEC source of every event.
//
// # Reading and positions
//
// A file is read with flowlog.Reader (gzip or plain, told by its magic
// bytes; the file's header line gives the format, else sources[].format),
// every record, good or bad, is encoded, and events are written in chunks
// of up to source.MaxChunkBytes. Each chunk's Ack acknowledges the byte
// offset just after its last line in the decompressed stream; a
// checkpoint.Tracker per file turns those acknowledgements, in whatever
// order they come, into the file's checkpoint, which moves only to the end
// of the last chunk before which everything has been acknowledged.
//
// The source decompresses the file itself and hands the Reader one line at
// a time (see feeder), so that the bytes handed out are exactly the bytes
// of the lines the Reader has returned: that is the offset. A file of
// CloudWatch Logs payloads is read ahead of its records, so it is
// checkpointed only at its end.
//
// # Checkpoints and file identity
//
// Checkpoints live in a checkpoint.Store under "file:" + the absolute path,
// with the file's identity: device, inode, and a hash of its first KiB.
// After a restart a file resumes at its checkpoint: a plain file by seeking,
// a gzip file by decompressing and skipping; a file with a header line has
// the header read again first, so its records keep its format. A file found
// under a new name with the identity of a checkpointed one was renamed and
// continues; a file under a checkpointed name with another identity was
// replaced and is read from the start, as is a plain file now shorter than
// its checkpoint (truncated).
//
// A file read to its end and acknowledged to its end is finished and not
// read again. A plain file that grows afterwards is read on from its
// checkpoint (tailing); a gzip file is immutable, and one whose size
// changed is a new file. Checkpoints of files that no longer exist are
// dropped.
//
// # Daemon and once
//
// A daemon polls every poll_interval for new and grown files. It holds back
// a last line with no line ending, which may be half written, until the
// file has stopped changing for one poll. In once mode (flowhec run --once)
// Run reads what is there and returns; Wait then waits for every chunk to
// be acknowledged and saves the checkpoints.
//
// # Errors
//
// A line that does not parse is delivered, flagged (the encoder does that),
// counted and logged with its place. An error reading a file (permission
// denied, a truncated or corrupt gzip stream) is logged with the path and
// counted; the lines before it are delivered, other files are read, and a
// daemon tries the file again, from where it stopped, at the next poll.
//
// Write may block (backpressure); the source then waits, holding one chunk.
package file
