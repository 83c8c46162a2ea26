package nn_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/train"
)

func loadMNIST(t *testing.T) (trainSet, testSet *data.Dense) {
	t.Helper()
	dir, err := data.MNISTDir("")
	if err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	trainSet, testSet, err = data.LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	return trainSet, testSet
}

// standardize scales the pixels to mean 0 and variance 1 with the
// training set's statistics, as descent train does by default.
func standardize(t *testing.T, trainSet, testSet *data.Dense) {
	t.Helper()
	if _, _, err := data.Standardize(trainSet, testSet); err != nil {
		t.Fatal(err)
	}
}

func loadFashion(t *testing.T) (trainSet, testSet *data.Dense) {
	t.Helper()
	trainSet, testSet, err := data.LoadFashionMNIST("")
	if err != nil {
		t.Skipf("Fashion-MNIST not available: %v", err)
	}
	return trainSet, testSet
}

func first(ds data.Dataset, n int) data.Dataset {
	idx := make([]int, min(n, ds.Len()))
	for i := range idx {
		idx[i] = i
	}
	return data.Subset(ds, idx)
}

// fit trains model with plain SGD and returns the statistics of the last
// epoch.
func fit(t *testing.T, model nn.Module[float32], trainSet, testSet data.Dataset, lr float64, batch, epochs int) train.EpochStats {
	t.Helper()
	opt, err := optim.NewSGD[float32](lr)
	if err != nil {
		t.Fatal(err)
	}
	tr := &train.Trainer[float32]{
		Objective: &nn.Objective[float32]{Model: model, Params: nn.NewParams(model), Loss: nn.SoftmaxCrossEntropy[float32]{}},
		Optimizer: opt, Epochs: epochs, BatchSize: batch, Seed: 7,
	}
	stats, err := tr.Fit(context.Background(), trainSet, testSet)
	if err != nil {
		t.Fatal(err)
	}
	return stats[len(stats)-1]
}

// TestBatchNormSpeedsUpSigmoidMLP is the MNIST experiment of Ioffe &
// Szegedy (2015), section 4.1, made short: three fully connected hidden
// layers of 100 sigmoid units, mini-batches of 60, plain SGD with the same
// learning rate and initial weights; after the same number of steps (1000,
// one pass over the training set) the network with BatchNorm before each
// sigmoid has the higher test accuracy, by far (about 92% against 43%).
func TestBatchNormSpeedsUpSigmoidMLP(t *testing.T) {
	trainSet, testSet := loadMNIST(t)
	const steps, batch, lr = 1000, 60, 0.1
	sub := first(trainSet, steps*batch)
	acc := map[nn.Norm]float64{}
	for _, norm := range []nn.Norm{nn.NormNone, nn.NormBatch} {
		model := nn.NormMLP(rand.New(rand.NewPCG(1, 2)), []int{784, 100, 100, 100, 10}, nn.ModelConfig[float32]{
			Norm: norm, Activation: nn.Sigmoid[float32], Init: nn.XavierNormal[float32],
		})
		st := fit(t, model, sub, testSet, lr, batch, 1)
		acc[norm] = st.TestAccuracy
		t.Logf("%-5s %d steps of %d: test accuracy %.2f%%", norm, steps, batch, 100*st.TestAccuracy)
	}
	if acc[nn.NormBatch] < acc[nn.NormNone]+0.05 {
		t.Fatalf("with BatchNorm %.2f%%, without %.2f%%: want BatchNorm ahead by 5 points", 100*acc[nn.NormBatch], 100*acc[nn.NormNone])
	}
}

// TestCNNLearnsMNISTQuickly trains the CNN much as descent train --model cnn
// does (SGD with learning rate 0.1, batch 32, Xavier-uniform weights,
// standardized pixels; a constant rate instead of the cosine schedule) on
// the first 6,000 training images for one epoch; the full runs are
// cmd/descent's TestCNNFullMNIST and TestCNNFullFashionMNIST.
func TestCNNLearnsMNISTQuickly(t *testing.T) {
	trainSet, testSet := loadMNIST(t)
	standardize(t, trainSet, testSet)
	model := nn.CNN(rand.New(rand.NewPCG(1, 2)), trainSet.Shape(), 10, nn.ModelConfig[float32]{})
	st := fit(t, model, first(trainSet, 6000), first(testSet, 2000), 0.1, 32, 1)
	t.Logf("6000 images, 1 epoch: test accuracy %.2f%% in %.1fs (%.0f examples/s)", 100*st.TestAccuracy, st.Seconds, st.ExamplesPerSecond)
	if st.TestAccuracy < 0.92 {
		t.Fatalf("test accuracy %.2f%% < 92%%", 100*st.TestAccuracy)
	}
}

// TestCNNWithBatchNormLearnsFashionMNISTQuickly does the same on
// Fashion-MNIST with BatchNorm and dropout.
func TestCNNWithBatchNormLearnsFashionMNISTQuickly(t *testing.T) {
	trainSet, testSet := loadFashion(t)
	standardize(t, trainSet, testSet)
	model := nn.CNN(rand.New(rand.NewPCG(1, 2)), trainSet.Shape(), 10, nn.ModelConfig[float32]{Norm: nn.NormBatch, Dropout: 0.3})
	st := fit(t, model, first(trainSet, 6000), first(testSet, 2000), 0.1, 32, 1)
	t.Logf("6000 images, 1 epoch: test accuracy %.2f%% in %.1fs", 100*st.TestAccuracy, st.Seconds)
	if st.TestAccuracy < 0.75 {
		t.Fatalf("test accuracy %.2f%% < 75%%", 100*st.TestAccuracy)
	}
}
