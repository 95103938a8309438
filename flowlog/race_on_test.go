//go:build race

package flowlog_test

// raceEnabled scales the streaming tests down: the race detector makes
// parsing several times slower.
const raceEnabled = true
