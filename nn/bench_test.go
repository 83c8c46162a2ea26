package nn_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/tensor"
	"github.com/descent-ml/descent/train"
)

// The convolutions of the CNN (nn.CNN on 28×28 images) at batch 64, the
// settings of scripts/bench_cnn.py's PyTorch side.
// As in the network, backward computes the input gradient of conv2 but not
// of conv1, whose input is the data.
var benchConvs = []struct {
	name       string
	x          []int
	out, kernl int
	inputGrad  bool
}{
	{"conv1", []int{64, 1, 28, 28}, 32, 5, false},
	{"conv2", []int{64, 32, 12, 12}, 64, 5, true},
}

func benchConv(b *testing.B, backward bool) {
	for _, c := range benchConvs {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			fill := func(t *tensor.Tensor[float32]) *tensor.Tensor[float32] {
				for i := range t.Data {
					t.Data[i] = float32(rng.NormFloat64())
				}
				return t
			}
			x := fill(tensor.New[float32](c.x...))
			w := fill(tensor.New[float32](c.out, c.x[1], c.kernl, c.kernl))
			bias := fill(tensor.New[float32](c.out))
			gw, gb := tensor.New[float32](w.Shape...), tensor.New[float32](c.out)
			tp := autograd.NewTape[float32]()
			if !backward {
				tp.SetInference(true)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				tp.Reset()
				xv := tp.Const(x)
				if backward && c.inputGrad {
					xv = tp.Leaf(x)
				}
				y := tp.Conv2D(xv, tp.Param(w, gw), tp.Param(bias, gb), autograd.Conv2DOptions{})
				if backward {
					tp.Backward(tp.Sum(y))
				}
			}
		})
	}
}

// BenchmarkConv2DForward times the forward pass of the CNN's convolutions
// (batch 64, float32, no gradient recorded).
func BenchmarkConv2DForward(b *testing.B) { benchConv(b, false) }

// BenchmarkConv2DForwardBackward times forward and backward (weight and
// bias gradients, and conv2's input gradient) of the CNN's convolutions.
func BenchmarkConv2DForwardBackward(b *testing.B) { benchConv(b, true) }

// BenchmarkCNNStep times one SGD training step of nn.CNN on a batch of 64
// random 28×28 images.
func BenchmarkCNNStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.CNN(rng, []int{1, 28, 28}, 10, nn.ModelConfig[float32]{})
	ps := nn.NewParams[float32](model)
	obj := &nn.Objective[float32]{Model: model, Params: ps, Loss: nn.SoftmaxCrossEntropy[float32]{}}
	opt, _ := optim.NewSGD[float32](0.01)
	x := tensor.New[float32](64, 1, 28, 28)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	y := make([]int, 64)
	for i := range y {
		y[i] = rng.IntN(10)
	}
	tp := autograd.NewTape[float32]()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		obj.Eval(tp, x, y)
		opt.Step(ps.Data, ps.Grad)
	}
}

// BenchmarkCNNEpoch times one training epoch of nn.CNN over the 60,000
// MNIST training images (batch 64, Adam with rate 1e-3, from a fresh model),
// without evaluation, and reports the test accuracy after it
// (scripts/bench_cnn.py trains PyTorch's the same way).
func BenchmarkCNNEpoch(b *testing.B) {
	dir, err := data.MNISTDir("")
	if err != nil {
		b.Skip(err)
	}
	trainSet, testSet, err := data.LoadMNIST(dir)
	if err != nil {
		b.Fatal(err)
	}
	var acc float64
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		model := nn.CNN(rand.New(rand.NewPCG(1, uint64(i))), trainSet.Shape(), 10, nn.ModelConfig[float32]{})
		h, _ := optim.Defaults("adam")
		opt, _ := optim.New[float32]("adam", h)
		loss := nn.SoftmaxCrossEntropy[float32]{}
		tr := &train.Trainer[float32]{
			Objective: &nn.Objective[float32]{Model: model, Params: nn.NewParams[float32](model), Loss: loss},
			Optimizer: opt, Epochs: 1, BatchSize: 64, Seed: uint64(i) + 1,
		}
		b.StartTimer()
		if _, err := tr.Fit(context.Background(), trainSet, nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if _, acc, err = train.Evaluate[float32](model, loss, testSet, 1000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(100*acc, "%acc")
}
