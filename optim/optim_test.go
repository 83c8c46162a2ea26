package optim

import (
	"math"
	"testing"
)

func TestSGDStep(t *testing.T) {
	o, err := NewSGD[float64](0.5)
	if err != nil {
		t.Fatal(err)
	}
	w := []float64{1, 2}
	o.Step(w, []float64{2, -4})
	if w[0] != 0 || w[1] != 4 {
		t.Fatalf("w = %v, want [0 4]", w)
	}
}

func TestSGDConvergesOnQuadratic(t *testing.T) {
	// f(w) = ½ Σ cᵢ wᵢ², gradient cᵢwᵢ; rate 1/max c converges.
	c := []float64{1, 10}
	w := []float64{3, -2}
	o, _ := NewSGD[float64](0.1)
	g := make([]float64, 2)
	for range 500 {
		for i := range w {
			g[i] = c[i] * w[i]
		}
		o.Step(w, g)
	}
	if w[0]*w[0]+w[1]*w[1] > 1e-12 {
		t.Fatalf("w = %v after 500 steps, want ≈ 0", w)
	}
}

func TestNewSGDRejectsBadRates(t *testing.T) {
	for _, lr := range []float64{0, -1, math.Inf(1), math.NaN()} {
		if _, err := NewSGD[float32](lr); err == nil {
			t.Errorf("NewSGD(%v) accepted", lr)
		}
	}
}
