//go:build !race

package logformat

// raceEnabled: see race_test.go.
const raceEnabled = false
