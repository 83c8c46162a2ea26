package vec

import "testing"

// BenchmarkAdam times the fused Adam step on 1M parameters, one core,
// reporting the bytes of w, g, m and v moved per second (4 read, 3
// written).
func BenchmarkAdam(b *testing.B) {
	const n = 1 << 20
	w, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	p := AdamParams{B1: 0.9, B2: 0.999, C1: 1, C2: 1, Eps: 1e-8, LR: 1e-3}
	for range b.N {
		Adam(w, g, m, v, nil, &p)
	}
	b.ReportMetric(float64(7*4*n)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GB/s")
}

// BenchmarkExp times Exp on 64K values (in L2), in ns per value.
func BenchmarkExp(b *testing.B) {
	x, y := make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(i%200) - 100
	}
	for range b.N {
		Exp(y, x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(x)), "ns/value")
}
