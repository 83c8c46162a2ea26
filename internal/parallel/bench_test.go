package parallel

import (
	"strconv"
	"testing"
)

type work struct{ xs []float64 }

func (w *work) body(lo, hi int) {
	for i := lo; i < hi; i++ {
		w.xs[i] = w.xs[i]*1.0000001 + 1
	}
}

// BenchmarkFor times back-to-back parallel loops of a few to a few hundred
// microseconds, beside the same loop run serially: the cost of handing a
// range to another core and waiting for it.
func BenchmarkFor(b *testing.B) {
	for _, n := range []int{2000, 20000, 200000} {
		w := &work{xs: make([]float64, n)}
		body := w.body
		b.Run("n="+strconv.Itoa(n)+"/parallel", func(b *testing.B) {
			for range b.N {
				For(n, 1, body)
			}
		})
		b.Run("n="+strconv.Itoa(n)+"/serial", func(b *testing.B) {
			for range b.N {
				body(0, n)
			}
		})
	}
}
