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
// (batch 128, SGD), without evaluation.
func BenchmarkMLPEpoch(b *testing.B) {
	dir, err := data.MNISTDir("")
	if err != nil {
		b.Skip(err)
	}
	trainSet, _, err := data.LoadMNIST(dir)
	if err != nil {
		b.Fatal(err)
	}
	model := nn.MLP(rand.New(rand.NewPCG(1, 2)), []int{784, 256, 256, 10}, nn.ReLU[float32], nn.HeNormal[float32])
	opt, _ := optim.NewSGD[float32](0.01)
	tr := &Trainer[float32]{
		Objective: &nn.Objective[float32]{Model: model, Params: nn.NewParams[float32](model), Loss: nn.SoftmaxCrossEntropy[float32]{}},
		Optimizer: opt, Epochs: 1, BatchSize: 128, Seed: 1,
	}
	b.ResetTimer()
	for range b.N {
		if _, err := tr.Fit(context.Background(), trainSet, nil); err != nil {
			b.Fatal(err)
		}
	}
}
