//go:build !race

package hectest

const raceEnabled = false
