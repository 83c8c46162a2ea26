package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/tensor"
)

// TestCNNFloat32MatchesFloat64 checks a whole training step of the CNN in
// float32, whose convolutions' backward pass runs on the float32-only
// kernels (conv2's from the list of its nonzero output gradients, conv1's
// weight gradient by the direct kernel; with batch normalization the
// gradients are dense and the products run), against the same step in
// float64, which runs the products: the loss and every parameter's
// gradient, on the same weights and a batch of MNIST-like images (mostly
// zeros).
func TestCNNFloat32MatchesFloat64(t *testing.T) {
	for _, norm := range []Norm{NormNone, NormBatch} {
		t.Run(string(norm), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			cfg32, cfg64 := ModelConfig[float32]{Norm: norm}, ModelConfig[float64]{Norm: norm}
			m32 := CNN(rng, []int{1, 28, 28}, 10, cfg32)
			m64 := CNN(rand.New(rand.NewPCG(7, 8)), []int{1, 28, 28}, 10, cfg64)
			p32, p64 := NewParams(m32), NewParams(m64)
			for i, v := range p32.Data {
				p64.Data[i] = float64(v)
			}
			const batch = 16
			x32, x64 := tensor.New[float32](batch, 1, 28, 28), tensor.New[float64](batch, 1, 28, 28)
			for i := range x32.Data {
				if rng.Float64() < 0.2 {
					x32.Data[i] = rng.Float32()
				}
				x64.Data[i] = float64(x32.Data[i])
			}
			labels := make([]int, batch)
			for i := range labels {
				labels[i] = rng.IntN(10)
			}
			o32 := &Objective[float32]{Model: m32, Params: p32, Loss: SoftmaxCrossEntropy[float32]{}}
			o64 := &Objective[float64]{Model: m64, Params: p64, Loss: SoftmaxCrossEntropy[float64]{}}
			_, l32 := o32.Eval(autograd.NewTape[float32](), x32, labels)
			_, l64 := o64.Eval(autograd.NewTape[float64](), x64, labels)
			if math.Abs(l32-l64) > 1e-5*(1+math.Abs(l64)) {
				t.Fatalf("loss: float32 %v, float64 %v", l32, l64)
			}
			// Each parameter's gradient within float32 rounding of the
			// largest of its tensor (sums of many terms of both signs).
			for _, p := range m64.Parameters() {
				g64 := p.Grad.Data
				off := offsetIn(p64.Grad, g64)
				g32 := p32.Grad[off : off+len(g64)]
				scale := 0.0
				for _, v := range g64 {
					scale = max(scale, math.Abs(v))
				}
				for i, want := range g64 {
					if d := math.Abs(float64(g32[i]) - want); d > 2e-4*scale+1e-9 {
						t.Fatalf("%s gradient %d: float32 %v, float64 %v (largest %v)", p.Name, i, g32[i], want, scale)
					}
				}
			}
		})
	}
}

// offsetIn returns the offset of the view v in the flat vector flat.
func offsetIn(flat, v []float64) int {
	for off := 0; off+len(v) <= len(flat); off++ {
		if &flat[off] == &v[0] {
			return off
		}
	}
	panic(fmt.Sprintf("nn: a view of %d values is not in the flat vector of %d", len(v), len(flat)))
}
