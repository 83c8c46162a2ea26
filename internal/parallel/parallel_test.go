package parallel

import (
	"sync/atomic"
	"testing"
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
