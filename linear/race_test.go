//go:build race

package linear

// raceEnabled reports whether the race detector is on: Hogwild's
// lock-free updates of the shared weights are data races by design (Niu et
// al. 2011), so the tests that run it on several goroutines skip.
const raceEnabled = true
