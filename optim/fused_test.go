package optim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFusedMatchesChain runs every optimizer with a fused float32 kernel
// twice from the same start on the same gradients, fused and stage by
// stage, and compares the parameters after 50 steps (they differ by the
// roundings of the kernel's fused multiply-adds).
func TestFusedMatchesChain(t *testing.T) {
	tests := []struct {
		name  string
		hyper func(*Hyper)
	}{
		{"sgd", nil},
		{"sgd", func(h *Hyper) { h.Schedule = func(t int) float64 { return 1 / float64(t) } }},
		{"momentum", nil},
		{"momentum", func(h *Hyper) { h.Dampening = 0.3 }},
		{"nesterov", nil},
		{"adam", nil},
		{"adam", func(h *Hyper) { h.EpsInside = true; h.Eps = 1e-4 }},
		{"adamw", nil},
		{"adamw", func(h *Hyper) { h.WeightDecay = 0.1; h.LR = 1e-2 }},
		{"adagrad", nil},
		{"adagrad", func(h *Hyper) { h.EpsInside = true; h.LRDecay = 0.01 }},
		{"rmsprop", nil},
		{"rmsprop", func(h *Hyper) { h.EpsInside = true; h.Eps = 1e-4 }},
		{"adadelta", nil},
		{"adadelta", func(h *Hyper) { h.LectureAdadelta = true }},
		{"amsgrad", nil},
		{"nadam", nil},
		{"radam", nil},
		{"adamax", nil},
		{"lion", nil},
		{"lion", func(h *Hyper) { h.WeightDecay = 0.1 }},
	}
	const n = 2*blockSize + 13
	for _, tc := range tests {
		h, _ := Defaults(tc.name)
		if tc.hyper != nil {
			tc.hyper(&h)
		}
		fused, err := New[float32](tc.name, h)
		if err != nil {
			t.Fatal(err)
		}
		if fused.fuse == nil {
			t.Fatalf("%s: no fused kernel", tc.name)
		}
		plain, _ := New[float32](tc.name, h)
		plain.Unfused = true
		rng := rand.New(rand.NewPCG(1, 2))
		w1 := make([]float32, n)
		for i := range w1 {
			w1[i] = rng.Float32() - 0.5
		}
		w2 := append([]float32(nil), w1...)
		g := make([]float32, n)
		for range 50 {
			for i := range g {
				// A gradient of ½‖w‖² plus noise.
				g[i] = w1[i] + 0.1*float32(rng.NormFloat64())
			}
			fused.Step(w1, g)
			plain.Step(w2, g)
		}
		worst := 0.0
		for i := range w1 {
			worst = math.Max(worst, math.Abs(float64(w1[i])-float64(w2[i])))
		}
		if worst > 1e-5 {
			t.Errorf("%s %+v: fused and chained parameters differ by %g", tc.name, h, worst)
		}
	}
}

// TestFusedFallsBack checks that hyperparameters the kernel does not cover,
// set between steps, send the step through the chain.
func TestFusedFallsBack(t *testing.T) {
	h, _ := Defaults("adamw")
	o, _ := New[float32]("adamw", h)
	w, g := []float32{1, 2, 3}, []float32{0.1, 0.2, 0.3}
	o.Step(w, g)
	if !o.fuse.ready(2) {
		t.Fatal("adamw without a mask is not fused")
	}
	for _, name := range Names() {
		if o, _ := New[float32](name, mustDefaults(name)); o.fuse == nil {
			t.Errorf("%s is not fused", name)
		}
	}
	h2 := mustDefaults("rmsprop")
	h2.Centered = true
	if o, _ := New[float32]("rmsprop", h2); o.fuse == nil || o.fuse.ready(1) {
		t.Error("centered RMSProp is fused")
	}
	h2 = mustDefaults("sgd")
	h2.WeightDecay = 1e-4
	if o, _ := New[float32]("sgd", h2); o.fuse != nil {
		t.Error("SGD with L2 decay is fused")
	}
	findDecay(o.Transform()).Mask = []bool{true, false, true}
	if o.fuse.ready(2) {
		t.Fatal("a decay mask is fused")
	}
	before := w[1]
	o.Step(w, g)
	// Without decay on parameter 1 its step is Adam's alone.
	if w[1] >= before || math.IsNaN(float64(w[1])) {
		t.Fatalf("w[1] %g after %g", w[1], before)
	}
	if o64, _ := New[float64]("adam", h); o64.fuse != nil {
		t.Fatal("a float64 chain is fused")
	}
}

func findDecay[T Float](tr Transform[T]) *AddDecayedWeights[T] {
	for _, s := range tr.(chain[T]) {
		if d, ok := s.(*AddDecayedWeights[T]); ok {
			return d
		}
	}
	return nil
}

func mustDefaults(name string) Hyper {
	h, err := Defaults(name)
	if err != nil {
		panic(err)
	}
	return h
}
