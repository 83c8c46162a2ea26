package optim

import "testing"

// BenchmarkStep times one step of each optimizer on 10M float32 parameters
// (scripts/bench_optim.sh runs torch.optim beside it). It reports
// nanoseconds per parameter and the bytes of w, g and state moved per
// second.
func BenchmarkStep(b *testing.B) {
	const n = 10_000_000
	w := make([]float32, n)
	g := make([]float32, n)
	for i := range g {
		w[i] = float32(i%1000) * 1e-3
		g[i] = float32(i%7) - 3
	}
	// Vectors read and written per step: w and g read, w written, plus
	// each state vector read and written.
	traffic := map[string]int{"sgd": 3, "momentum": 5, "nesterov": 5, "adagrad": 5, "rmsprop": 5, "adam": 7,
		"adamw": 7, "amsgrad": 9, "adamax": 7, "nadam": 7, "radam": 7, "adadelta": 7, "lion": 5}
	for _, name := range Names() {
		b.Run(name, func(b *testing.B) {
			h, _ := Defaults(name)
			o, err := New[float32](name, h)
			if err != nil {
				b.Fatal(err)
			}
			o.Step(w, g)
			b.ResetTimer()
			for range b.N {
				o.Step(w, g)
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(ns/n, "ns/param")
			b.ReportMetric(float64(traffic[name]*4*n)/ns, "GB/s")
		})
	}
}
