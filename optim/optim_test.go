package optim

import (
	"errors"
	"math"
	"strings"
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

func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Hyper)
		field string
	}{
		{"negative rate", func(h *Hyper) { h.LR = -1 }, "lr"},
		{"beta1 one", func(h *Hyper) { h.B1 = 1 }, "beta1"},
		{"beta2 negative", func(h *Hyper) { h.B2 = -0.1 }, "beta2"},
		{"eps zero", func(h *Hyper) { h.Eps = 0 }, "eps"},
		{"momentum one", func(h *Hyper) { h.Momentum = 1 }, "momentum"},
		{"decay NaN", func(h *Hyper) { h.Decay = math.NaN() }, "decay"},
		{"weight decay negative", func(h *Hyper) { h.WeightDecay = -1 }, "weight-decay"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := Defaults("adam")
			tc.edit(&h)
			err := h.Validate()
			var he *HyperError
			if !errors.As(err, &he) || he.Field != tc.field {
				t.Fatalf("Validate() = %v, want a HyperError for %s", err, tc.field)
			}
			if _, err := New[float64]("adam", h); err == nil {
				t.Fatal("New accepted the bad hyperparameter")
			}
		})
	}
	if _, err := New[float64]("adamm", Hyper{LR: 1}); err == nil || !strings.Contains(err.Error(), "adamw") {
		t.Fatalf("unknown optimizer error %v should list the valid names", err)
	}
}
