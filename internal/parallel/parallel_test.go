package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestForCoversEveryIndexOnce(t *testing.T) {
	for _, tc := range []struct{ n, grain int }{
		{0, 1}, {1, 1}, {7, 1}, {7, 100}, {1000, 3}, {1001, 250},
	} {
		hits := make([]int32, tc.n)
		For(tc.n, tc.grain, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&hits[i], 1)
			}
		})
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("n=%d grain=%d: index %d visited %d times", tc.n, tc.grain, i, h)
			}
		}
	}
}

type summer struct {
	xs  []float64
	out []float64
}

func (s *summer) body(lo, hi int) {
	for i := lo; i < hi; i++ {
		s.out[i] = 2 * s.xs[i]
	}
}

func TestForDoesNotAllocate(t *testing.T) {
	s := &summer{xs: make([]float64, 1<<16), out: make([]float64, 1<<16)}
	body := s.body
	For(len(s.xs), 1024, body) // start the workers
	if a := testing.AllocsPerRun(100, func() { For(len(s.xs), 1024, body) }); a != 0 {
		t.Fatalf("For allocated %v times per call", a)
	}
}

func TestNestedForCompletes(t *testing.T) {
	var total atomic.Int64
	For(8, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			For(1000, 10, func(a, b int) { total.Add(int64(b - a)) })
		}
	})
	if total.Load() != 8000 {
		t.Fatalf("total %d, want 8000", total.Load())
	}
}

// TestNestedForWithMoreRangesThanWorkers nests loops after GOMAXPROCS grew
// past the workers started: the ranges overflow the queue, which must not
// block every goroutine on a send.
func TestNestedForWithMoreRangesThanWorkers(t *testing.T) {
	For(2, 1, func(int, int) {}) // start the workers
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(9))
	done := make(chan int64)
	go func() {
		var total atomic.Int64
		for range 300 {
			For(40, 1, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					For(50, 1, func(a, b int) { total.Add(int64(b - a)) })
				}
			})
		}
		done <- total.Load()
	}()
	select {
	case got := <-done:
		if got != 300*40*50 {
			t.Fatalf("total %d, want %d", got, 300*40*50)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("nested loops deadlocked")
	}
}
