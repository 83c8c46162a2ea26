package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/tensor"
)

// rnd32 returns a float32 tensor of the given shape with values uniform in
// [lo, hi).
func rnd32(r *rand.Rand, lo, hi float32, shape ...int) *tensor.Tensor[float32] {
	t := tensor.New[float32](shape...)
	for i := range t.Data {
		t.Data[i] = lo + (hi-lo)*r.Float32()
	}
	return t
}

// TestOpsAllocateNothing runs every op, forward and backward with gradients
// for all its inputs, and forward alone in inference mode, on a tape that
// has run the same step before: the step must not allocate.
func TestOpsAllocateNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	m := rnd32(r, -1, 1, 6, 5)
	m2 := rnd32(r, -1, 1, 6, 5)
	pos := rnd32(r, 0.5, 2, 6, 5)
	row, col := rnd32(r, 0.5, 2, 5), rnd32(r, 0.5, 2, 6, 1)
	w := rnd32(r, -1, 1, 4, 5)
	bias := rnd32(r, -1, 1, 4)
	big := rnd32(r, -1, 1, 64, 1024) // large enough for parallel ranges
	img := rnd32(r, -1, 1, 3, 4, 9, 9)
	filt := rnd32(r, -1, 1, 6, 2, 3, 3)
	cb := rnd32(r, -1, 1, 6)
	ch := rnd32(r, 0.5, 2, 4)
	chb := rnd32(r, -1, 1, 4)
	runVar := rnd32(r, 0.5, 2, 4)
	batchMean, batchVar := make([]float32, 4), make([]float32, 4)
	labels := []int{0, 4, 2, 1, 3, 3}
	pm := []float32{1, -1, -1, 1, 1, -1}
	target := rnd32(r, -1, 1, 6, 5)
	rng := rand.New(rand.NewPCG(5, 6))
	// bigImages has images whose column gradient is larger than a core's cache:
	// the input gradient takes its other path, a parallel product and a
	// scatter over channels.
	bigImages := rnd32(r, -1, 1, 3, 1, 120, 120)
	bigFilt := rnd32(r, -1, 1, 2, 1, 5, 5)

	type op = func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32]
	tests := []struct {
		name string
		f    op
	}{
		{"Add", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.Add(v(m), v(m2))
		}},
		{"Add/broadcast", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.Add(v(m), v(row))
		}},
		{"Sub/broadcast", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.Sub(v(m), v(col))
		}},
		{"Mul/broadcast", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.Mul(v(col), v(row))
		}},
		{"Div", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.Div(v(m), v(pos))
		}},
		{"Scale/Neg/AddScalar", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.AddScalar(tp.Neg(tp.Scale(v(m), 3)), 1)
		}},
		{"MatMulT", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.MatMulT(v(m), v(w), false, true)
		}},
		{"Linear", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.Linear(v(m), v(w), v(bias))
		}},
		{"ReLU", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.ReLU(v(big))
		}},
		{"Sigmoid/Tanh/Exp/Softplus/Square", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.Square(tp.Softplus(tp.Exp(tp.Tanh(tp.Sigmoid(v(big))))))
		}},
		{"Log", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.Log(v(pos))
		}},
		{"Mean/SumSquares", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.Add(tp.Mean(v(m)), tp.SumSquares(v(m2)))
		}},
		{"SumAxis/MeanAxis", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.Add(tp.SumAxis(v(img), 1), tp.MeanAxis(v(img), -1))
		}},
		{"Reshape", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			x := v(img)
			return tp.Reshape(x, x.Shape()[0], -1)
		}},
		{"LogSoftmax/Softmax/Gather", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.Gather(tp.LogSoftmax(tp.Softmax(v(m))), labels)
		}},
		{"SoftmaxCrossEntropy", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.SoftmaxCrossEntropy(v(m), labels)
		}},
		{"LogisticLoss", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.LogisticLoss(tp.Reshape(v(col), -1), pm)
		}},
		{"MSE", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.MSE(v(m), target)
		}},
		{"Dropout", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.Dropout(v(big), 0.3, rng)
		}},
		{"Conv2D", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.Conv2D(v(img), v(filt), v(cb), Conv2DOptions{Padding: [2]int{1, 1}, Groups: 2})
		}},
		{"Conv2D/big", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.Conv2D(v(bigImages), v(bigFilt), nil, Conv2DOptions{})
		}},
		{"MaxPool2D/2x2", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.MaxPool2D(v(img), PoolOptions{Kernel: [2]int{2, 2}})
		}},
		{"MaxPool2D/3x3", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.MaxPool2D(v(img), PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}})
		}},
		{"AvgPool2D", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.AvgPool2D(v(img), PoolOptions{Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ExcludePad: true})
		}},
		{"BatchNorm/train", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.BatchNorm(v(img), v(ch), v(chb), BatchNormOptions[float32]{Eps: 1e-5, Training: true, BatchMean: batchMean, BatchVar: batchVar})
		}},
		{"BatchNorm/renorm", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.BatchNorm(v(img), v(ch), nil, BatchNormOptions[float32]{Eps: 1e-5, Training: true, Mean: chb.Data, Var: runVar.Data, Renorm: true, RMax: 2, DMax: 1})
		}},
		{"BatchNorm/eval", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.BatchNorm(v(img), nil, v(chb), BatchNormOptions[float32]{Eps: 1e-5, Mean: chb.Data, Var: runVar.Data})
		}},
		{"LayerNorm", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.LayerNorm(v(m), v(row), v(row), 1, 1e-5)
		}},
		{"GroupNorm", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.GroupNorm(v(img), v(ch), v(chb), 2, 1e-5)
		}},
		{"WeightNorm", func(tp *Tape[float32], v func(*tensor.Tensor[float32]) *Var[float32]) *Var[float32] {
			return tp.WeightNorm(v(filt), v(cb))
		}},
	}
	for _, tc := range tests {
		for _, inference := range []bool{false, true} {
			name := tc.name
			if inference {
				name += "/inference"
			}
			t.Run(name, func(t *testing.T) {
				tp := NewTape[float32]()
				tp.SetInference(inference)
				v := tp.Leaf
				step := func() {
					tp.Reset()
					y := tp.Sum(tc.f(tp, v))
					if !inference {
						tp.Backward(y)
					}
				}
				step()
				if !inference && tp.Len() == 0 {
					t.Fatal("nothing recorded")
				}
				if a := testing.AllocsPerRun(5, step); a != 0 {
					t.Errorf("%v allocations per step after the first, want 0", a)
				}
			})
		}
	}
}
