package train

import (
	"context"
	"math/rand/v2"
	"runtime/debug"
	"testing"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/tensor"
)

// TestMLPStepAllocatesNothing checks that the training step of
// BenchmarkMLPStep (forward, backward, optimizer step) allocates nothing
// once it has run once, with a few optimizers and model sizes.
func TestMLPStepAllocatesNothing(t *testing.T) {
	tests := []struct {
		name      string
		sizes     []int
		optimizer string
		lr        float64
		batch     int
	}{
		{"784-256-256-10/sgd", []int{784, 256, 256, 10}, "sgd", 0.01, 128},
		{"784-256-256-10/adam", []int{784, 256, 256, 10}, "adam", 1e-4, 128},
		{"784-10/nesterov", []int{784, 10}, "nesterov", 0.01, 32},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			model := nn.MLP(rng, tc.sizes, nn.ReLU[float32], nn.HeNormal[float32])
			ps := nn.NewParams[float32](model)
			obj := &nn.Objective[float32]{Model: model, Params: ps, Loss: nn.SoftmaxCrossEntropy[float32]{}}
			h, err := optim.Defaults(tc.optimizer)
			if err != nil {
				t.Fatal(err)
			}
			h.LR = tc.lr
			opt, err := optim.New[float32](tc.optimizer, h)
			if err != nil {
				t.Fatal(err)
			}
			x := tensor.New[float32](tc.batch, tc.sizes[0])
			for i := range x.Data {
				x.Data[i] = rng.Float32()
			}
			y := make([]int, tc.batch)
			for i := range y {
				y[i] = rng.IntN(tc.sizes[len(tc.sizes)-1])
			}
			tp := autograd.NewTape[float32]()
			var loss float64
			step := func() {
				_, loss = obj.Eval(tp, x, y)
				opt.Step(ps.Data, ps.Grad)
			}
			step()
			first := loss
			if a := testing.AllocsPerRun(5, step); a != 0 {
				t.Errorf("%v allocations per step after the first, want 0", a)
			}
			if !(loss < first) {
				t.Errorf("loss went from %v to %v in 6 steps on one batch; the steps do not train", first, loss)
			}
		})
	}
}

// TestFitAllocationsDoNotGrowWithSteps checks that Trainer.Fit allocates
// nothing per step: an epoch of 34 batches allocates as much as one of 2.
func TestFitAllocationsDoNotGrowWithSteps(t *testing.T) {
	const batch, features = 16, 64
	rng := rand.New(rand.NewPCG(3, 4))
	fit := func(batches int) float64 {
		n := batches * batch
		x := make([]float32, n*features)
		for i := range x {
			x[i] = rng.Float32()
		}
		y := make([]int, n)
		for i := range y {
			y[i] = rng.IntN(10)
		}
		ds, err := data.NewDense(x, y, []int{features}, 10)
		if err != nil {
			t.Fatal(err)
		}
		tr := newTrainer(t, []int{features, 32, 10}, 0.01, 1, batch)
		return testing.AllocsPerRun(3, func() {
			if _, err := tr.Fit(context.Background(), ds, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Fit allocates per call; collections are held off so that the runs
	// are counted alike.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	few, many := fit(2), fit(34)
	if many != few {
		t.Errorf("Fit allocates %v times for 2 steps and %v times for 34: %.2f per step, want 0", few, many, (many-few)/32)
	}
}
