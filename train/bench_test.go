package train

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/tensor"
)

// BenchmarkMLPStep times one training step of the MLP 784-256-256-10 on a
// batch of 128 (forward, backward, SGD update), the setting of
// scripts/bench_mlp.py's PyTorch side.
func BenchmarkMLPStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.MLP(rng, []int{784, 256, 256, 10}, nn.ReLU[float32], nn.HeNormal[float32])
	ps := nn.NewParams[float32](model)
	obj := &nn.Objective[float32]{Model: model, Params: ps, Loss: nn.SoftmaxCrossEntropy[float32]{}}
	opt, _ := optim.NewSGD[float32](0.01)
	x := tensor.New[float32](128, 784)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	y := make([]int, 128)
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

// BenchmarkMLPEpoch times one epoch over the 60,000 MNIST training images
// (batch 128, SGD with momentum 0.9 and rate 0.01, from a fresh model),
// without evaluation, and reports the test accuracy after it
// (scripts/bench_mlp.py trains PyTorch's the same way).
func BenchmarkMLPEpoch(b *testing.B) {
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
		model := nn.MLP(rand.New(rand.NewPCG(1, uint64(i))), []int{784, 256, 256, 10}, nn.ReLU[float32], nn.HeNormal[float32])
		h, _ := optim.Defaults("momentum")
		opt, _ := optim.New[float32]("momentum", h)
		loss := nn.SoftmaxCrossEntropy[float32]{}
		tr := &Trainer[float32]{
			Objective: &nn.Objective[float32]{Model: model, Params: nn.NewParams[float32](model), Loss: loss},
			Optimizer: opt, Epochs: 1, BatchSize: 128, Seed: uint64(i) + 1,
		}
		b.StartTimer()
		if _, err := tr.Fit(context.Background(), trainSet, nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if _, acc, err = Evaluate[float32](model, loss, testSet, 1000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(100*acc, "%acc")
}
