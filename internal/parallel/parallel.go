// Package parallel splits loops across the machine's cores.
//
// Work runs on a set of long-lived worker goroutines, started on first use,
// so that a parallel loop allocates nothing in steady state (a goroutine per
// call would allocate its closure every time). The worker count follows
// runtime.GOMAXPROCS at each call, so tests and users control parallelism
// with GOMAXPROCS; the workers hold no other state.
package parallel

import (
	"runtime"
	"sync"
)

// task is one range of a loop handed to a worker.
type task struct {
	body   func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

var (
	startOnce  sync.Once
	tasks      chan task
	waitGroups = sync.Pool{New: func() any { return new(sync.WaitGroup) }}
)

func (t task) run() {
	t.body(t.lo, t.hi)
	t.wg.Done()
}

func start() {
	tasks = make(chan task, 64)
	for range max(runtime.NumCPU(), runtime.GOMAXPROCS(0)) {
		go func() {
			for t := range tasks {
				t.run()
			}
		}()
	}
}

// For calls body over disjoint half-open ranges [lo, hi) covering [0, n).
// Ranges hold at least grain iterations, so small loops run inline on the
// calling goroutine and pay nothing for scheduling. body must be safe to call
// concurrently on disjoint ranges. For itself allocates nothing; a body that
// is a closure created for each call costs one allocation, which hot loops
// avoid by reusing a method value.
func For(n, grain int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := min(n/grain, runtime.GOMAXPROCS(0))
	if chunks <= 1 {
		body(0, n)
		return
	}
	startOnce.Do(start)
	wg := waitGroups.Get().(*sync.WaitGroup)
	wg.Add(chunks - 1)
	for c := 1; c < chunks; c++ {
		tasks <- task{body: body, lo: c * n / chunks, hi: (c + 1) * n / chunks, wg: wg}
	}
	body(0, n/chunks)
	// Help with queued ranges before blocking, so that a For nested inside
	// another's body cannot wait on work that no free goroutine will take.
	for {
		select {
		case t := <-tasks:
			t.run()
			continue
		default:
		}
		break
	}
	wg.Wait()
	waitGroups.Put(wg)
}

// Workers reports how many goroutines For may use at most.
func Workers() int { return runtime.GOMAXPROCS(0) }
