// Package jsonw appends JSON strings to byte slices without allocating: the
// small piece of JSON writing that the record parser and the HEC encoder
// share on their hot paths. encoding/json is for config and state files.
package jsonw
