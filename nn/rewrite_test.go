package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/tensor"
)

// TestSequentialPoolsBeforeReLU checks Sequential's rewrite of ReLU then
// MaxPool2D into MaxPool2D then ReLU against the two layers run in their
// written order: the outputs (up to the sign of a zero) and every gradient
// (the weights', the bias's and the input's, bitwise) must be equal, on
// inputs with windows that are all negative, windows with ties at zero and
// at their maximum, with padding, and with a dilated window entirely in
// the padding (which the rewrite must leave alone: its output is −∞).
func TestSequentialPoolsBeforeReLU(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int // of the input; the convolution's output is size−2
		pool PoolOptions
	}{
		{"2x2", 9, PoolOptions{Kernel: [2]int{2, 2}}},
		{"3x3-stride2-pad1", 9, PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}},
		{"dilated-window-in-padding", 4, PoolOptions{Kernel: [2]int{2, 2}, Padding: [2]int{1, 1}, Dilation: [2]int{3, 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			conv := NewConv2D[float64](rng, Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{3, 3}}, HeNormal[float64])
			seq := NewSequential[float64](conv, ReLU[float64](), NewMaxPool2D[float64](tc.pool))
			x := tensor.New[float64](2, 2, tc.size, tc.size)
			for i := range x.Data {
				// Few levels, many negative: ties and all-negative windows.
				x.Data[i] = float64(rng.IntN(5)) - 3
			}
			run := func(rewrite bool) (out, dx []float64, dw, db []float64) {
				clear(conv.Weight.Grad.Data)
				clear(conv.Bias.Grad.Data)
				tp := autograd.NewTape[float64]()
				xv := tp.Leaf(x)
				var y *autograd.Var[float64]
				if rewrite {
					y = seq.Forward(tp, xv)
				} else {
					h := conv.Forward(tp, xv)
					y = tp.MaxPool2D(tp.ReLU(h), tc.pool)
				}
				// A loss whose gradient differs by element.
				w := tensor.New[float64](y.Shape()...)
				for i := range w.Data {
					w.Data[i] = float64(i%7) - 3
				}
				tp.Backward(tp.Sum(tp.Mul(y, tp.Const(w))))
				return append([]float64(nil), y.Value.Data...), append([]float64(nil), xv.Grad.Data...),
					append([]float64(nil), conv.Weight.Grad.Data...), append([]float64(nil), conv.Bias.Grad.Data...)
			}
			o1, dx1, dw1, db1 := run(false)
			o2, dx2, dw2, db2 := run(true)
			zeros := 0
			for i, v := range o1 {
				if v == 0 {
					zeros++
				}
				if math.Float64bits(v) != math.Float64bits(o2[i]) && !(v == 0 && o2[i] == 0) {
					t.Fatalf("output %d: %v in order, %v rewritten", i, v, o2[i])
				}
			}
			if zeros == 0 && tc.size > 4 {
				t.Fatal("no window was all non-positive: the test does not exercise the rewrite's edge")
			}
			for name, p := range map[string][2][]float64{"dx": {dx1, dx2}, "dW": {dw1, dw2}, "db": {db1, db2}} {
				for i := range p[0] {
					if p[0][i] != p[1][i] {
						t.Fatalf("%s[%d]: %v in order, %v rewritten", name, i, p[0][i], p[1][i])
					}
				}
			}
		})
	}
}
