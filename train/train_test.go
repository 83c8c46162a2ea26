package train

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
)

func newTrainer(t *testing.T, sizes []int, lr float64, epochs, batch int) *Trainer[float32] {
	t.Helper()
	model := nn.MLP(rand.New(rand.NewPCG(1, 2)), sizes, nn.ReLU[float32], nn.HeNormal[float32])
	opt, err := optim.NewSGD[float32](lr)
	if err != nil {
		t.Fatal(err)
	}
	return &Trainer[float32]{
		Objective: &nn.Objective[float32]{Model: model, Params: nn.NewParams[float32](model), Loss: nn.SoftmaxCrossEntropy[float32]{}},
		Optimizer: opt, Epochs: epochs, BatchSize: batch, Seed: 3,
	}
}

func loadMNIST(t *testing.T) (train, test *data.Dense) {
	t.Helper()
	dir, err := data.MNISTDir("")
	if err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	train, test, err = data.LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	return train, test
}

func TestSmallMLPLearnsMNIST(t *testing.T) {
	trainSet, testSet := loadMNIST(t)
	idx := make([]int, 8000)
	for i := range idx {
		idx[i] = i
	}
	small := data.Subset(trainSet, idx)
	tr := newTrainer(t, []int{784, 128, 10}, 0.05, 4, 32)
	stats, err := tr.Fit(context.Background(), small, testSet)
	if err != nil {
		t.Fatal(err)
	}
	last := stats[len(stats)-1]
	t.Logf("8000 training images, 4 epochs: test accuracy %.2f%% in %.1fs", 100*last.TestAccuracy, last.Seconds)
	if last.TestAccuracy < 0.90 {
		t.Fatalf("held-out accuracy %.4f < 0.90", last.TestAccuracy)
	}
	if stats[0].TrainLoss <= last.TrainLoss {
		t.Errorf("training loss did not fall: %v", stats)
	}
}

// blobs returns a separable 3-class problem in 2-D.
func blobs(n int, seed uint64) *data.Dense {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, 2*n)
	y := make([]int, n)
	for i := range y {
		y[i] = i % 3
		x[2*i] = float32(3*(y[i]-1)) + float32(r.NormFloat64())*0.3
		x[2*i+1] = float32(3*(y[i]%2)) + float32(r.NormFloat64())*0.3
	}
	d, err := data.NewDense(x, y, []int{2}, 3)
	if err != nil {
		panic(err)
	}
	return d
}

func TestFitReportsEveryEpoch(t *testing.T) {
	tr := newTrainer(t, []int{2, 8, 3}, 0.1, 4, 10)
	var seen []int
	var batches int
	tr.OnEpoch = func(s EpochStats) { seen = append(seen, s.Epoch) }
	tr.OnBatch = func(epoch, done, total int) {
		batches++
		if total != 30 || done < 1 || done > total {
			t.Fatalf("OnBatch(%d, %d, %d)", epoch, done, total)
		}
	}
	stats, err := tr.Fit(context.Background(), blobs(300, 1), blobs(90, 2))
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 4 || len(seen) != 4 || batches != 4*30 {
		t.Fatalf("%d stats, %d OnEpoch calls, %d batches", len(stats), len(seen), batches)
	}
	for i := 1; i < len(stats); i++ {
		if stats[i].Seconds < stats[i-1].Seconds {
			t.Errorf("seconds went backwards: %v", stats)
		}
	}
	if acc := stats[3].TestAccuracy; acc < 0.99 {
		t.Errorf("accuracy %.3f on separable blobs", acc)
	}
}

func TestFitIsReproducible(t *testing.T) {
	a := newTrainer(t, []int{2, 8, 3}, 0.1, 2, 7)
	b := newTrainer(t, []int{2, 8, 3}, 0.1, 2, 7)
	if _, err := a.Fit(context.Background(), blobs(100, 1), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Fit(context.Background(), blobs(100, 1), nil); err != nil {
		t.Fatal(err)
	}
	for i, v := range a.Objective.Params.Data {
		if b.Objective.Params.Data[i] != v {
			t.Fatalf("same seeds, different weights at %d", i)
		}
	}
}

func TestFitStopsOnNaNNamingTheStep(t *testing.T) {
	tr := newTrainer(t, []int{2, 8, 3}, 1e30, 1, 10)
	_, err := tr.Fit(context.Background(), blobs(100, 1), nil)
	if err == nil || !strings.Contains(err.Error(), "epoch 1, step") {
		t.Fatalf("err = %v, want one naming the epoch and step", err)
	}
}

func TestFitHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tr := newTrainer(t, []int{2, 3}, 0.1, 1, 10)
	if _, err := tr.Fit(ctx, blobs(100, 1), nil); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
