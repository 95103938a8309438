// Package syncbuf is a buffer many goroutines may write to at once: where
// tests capture the logs of a pipeline whose goroutines all log.
package syncbuf
