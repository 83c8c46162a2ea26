// Package parallel splits loops across the machine's cores.
//
// Work runs on a set of long-lived worker goroutines, started on first use,
// so that a parallel loop allocates nothing in steady state (a goroutine per
// call would allocate its closure every time). The worker count follows
// runtime.GOMAXPROCS at each call, so tests and users control parallelism
// with GOMAXPROCS; the workers hold no other state.
//
// A training step runs hundreds of parallel loops of a few dozen
// microseconds each. Waking a parked goroutine on another core takes the Go
// scheduler tens of microseconds (an idle thread is woken through the
// kernel), as long as a small loop itself; so the workers, and a caller
// waiting for them, keep polling for spinFor after their last piece of work
// (yielding their core to any other goroutine between polls) before they
// park.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/descent-ml/descent/internal/cache"
)

// spinFor is how long an idle worker, or a caller waiting for its loop's
// other ranges, polls before parking.
const spinFor = 200 * time.Microsecond

// call is one parallel loop in flight.
type call struct {
	body    func(lo, hi int)
	pending atomic.Int32  // ranges handed to workers and not finished
	done    chan struct{} // receives one token when pending reaches 0
}

// task is one range of a loop handed to a worker.
type task struct {
	c      *call
	lo, hi int
}

var (
	startOnce sync.Once
	tasks     chan task
	calls     = cache.Cache[call]{New: func() *call { return &call{done: make(chan struct{}, 1)} }}
)

func (t task) run() {
	t.c.body(t.lo, t.hi)
	if t.c.pending.Add(-1) == 0 {
		t.c.done <- struct{}{}
	}
}

// start starts one worker fewer than there are cores: the goroutine that
// calls For runs a range itself, and a third goroutine polling beside two
// busy ones would only take turns with them.
func start() {
	tasks = make(chan task, 64)
	for range max(runtime.NumCPU(), runtime.GOMAXPROCS(0)) - 1 {
		go worker()
	}
}

// worker runs tasks, polling for spinFor after each before it parks.
func worker() {
	for {
		if !poll() {
			(<-tasks).run()
		}
	}
}

// poll runs queued tasks until none has come for spinFor. It reports
// whether it ran any.
func poll() bool {
	ran := false
	last := time.Now()
	for i := 1; ; i++ {
		select {
		case t := <-tasks:
			t.run()
			ran = true
			last = time.Now()
			continue
		default:
		}
		if i%16 == 0 && time.Since(last) > spinFor {
			return ran
		}
		runtime.Gosched()
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
	c := calls.Get()
	c.body = body
	c.pending.Store(int32(chunks - 1))
	for k := 1; k < chunks; k++ {
		t := task{c: c, lo: k * n / chunks, hi: (k + 1) * n / chunks}
		select {
		case tasks <- t:
		default:
			// The queue is full (nested loops, or more ranges than
			// workers after GOMAXPROCS grew): run the range here rather
			// than wait for room that every goroutine may be waiting for.
			t.run()
		}
	}
	body(0, n/chunks)
	// Help with queued ranges (of this loop or another) before waiting, so
	// that a For nested inside another's body cannot wait on work that no
	// free goroutine will take; then poll for a while before parking.
	start := time.Now()
	for i := 1; c.pending.Load() != 0; i++ {
		select {
		case t := <-tasks:
			t.run()
			continue
		default:
		}
		if i%16 == 0 && time.Since(start) > spinFor {
			break
		}
		runtime.Gosched()
	}
	<-c.done
	c.body = nil
	calls.Put(c)
}

// Workers reports how many goroutines For may use at most.
func Workers() int { return runtime.GOMAXPROCS(0) }
