//go:build race

// Package race reports whether the race detector is on, for tests that must
// skip under it: Hogwild's lock-free updates are data races by design (Niu
// et al. 2011).
package race

// Enabled reports whether the binary was built with -race.
const Enabled = true
