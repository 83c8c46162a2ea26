// Package parallel splits loops across the machine's cores.
//
// It holds no global mutable state: the worker count is read from
// runtime.GOMAXPROCS at each call, so tests and users control it with
// GOMAXPROCS or runtime.GOMAXPROCS.
package parallel

import (
	"runtime"
	"sync"
)

// For calls body over disjoint half-open ranges [lo, hi) covering [0, n).
// Ranges hold at least grain iterations, so small loops run inline on the
// calling goroutine and pay nothing for scheduling. body must be safe to call
// concurrently on disjoint ranges.
func For(n, grain int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	workers := runtime.GOMAXPROCS(0)
	chunks := n / grain
	if chunks > workers {
		chunks = workers
	}
	if chunks <= 1 {
		body(0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(chunks - 1)
	for c := 1; c < chunks; c++ {
		lo, hi := c*n/chunks, (c+1)*n/chunks
		go func() {
			defer wg.Done()
			body(lo, hi)
		}()
	}
	body(0, n/chunks)
	wg.Wait()
}

// Workers reports how many goroutines For may use at most.
func Workers() int { return runtime.GOMAXPROCS(0) }
