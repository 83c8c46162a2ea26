package main

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/train"
)

func main() {
	dir, err := data.MNISTDir("") // --data-dir, $DESCENT_DATA, then the module cache
	if err != nil {
		panic(err)
	}
	trainSet, testSet, err := data.LoadMNIST(dir)
	if err != nil {
		panic(err)
	}
	if _, _, err := data.Standardize(trainSet, testSet); err != nil { // mean 0, variance 1
		panic(err)
	}
	rng := rand.New(rand.NewPCG(1, 2)) // every random choice comes from an explicit seed
	model := nn.MLP(rng, []int{784, 256, 256, 10}, nn.ReLU[float32], nn.HeNormal[float32])
	params := nn.NewParams[float32](model) // all weights in one flat vector, gradients in another
	sgd, _ := optim.NewSGD[float32](0.1)
	t := &train.Trainer[float32]{
		Objective: &nn.Objective[float32]{Model: model, Params: params, Loss: nn.SoftmaxCrossEntropy[float32]{}},
		Optimizer: sgd, Epochs: 5, BatchSize: 32, Seed: 1,
		OnEpoch: func(s train.EpochStats) { fmt.Printf("epoch %d: test accuracy %.2f%%\n", s.Epoch, 100*s.TestAccuracy) },
	}
	if _, err := t.Fit(context.Background(), trainSet, testSet); err != nil {
		panic(err)
	}
}
