//go:build race

package hectest

// raceEnabled: the race detector slows the byte scanner some forty times,
// so the volume tests scale down; concurrency is what -race is for.
const raceEnabled = true
