// Package inventory is what enrichment knows about who owns each address:
// the static inventory file schema (EC2-shaped, snake_case JSON) that
// `flowhec inventory export` writes from live AWS and `flowhec gen` writes
// for its samples.
package inventory
