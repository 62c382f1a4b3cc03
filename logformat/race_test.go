//go:build race

package logformat

// raceEnabled: the race detector drops sync.Pool entries at random, so code
// that reuses pooled values (regexp's matchers) allocates under it.
const raceEnabled = true
