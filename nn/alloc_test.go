package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/tensor"
)

// TestTrainingStepAllocatesNothing checks that a training step (forward,
// backward, optimizer step) and an evaluation pass allocate nothing once a
// step of the same shape has run: the CNN of BenchmarkCNNStep, the CNN and
// the MLP with every normalization and dropout, average pooling, the other
// activations and losses, and the L2 term.
func TestTrainingStepAllocatesNothing(t *testing.T) {
	img := []int{1, 28, 28}
	cnn := func(cfg ModelConfig[float32]) func(*rand.Rand) Module[float32] {
		return func(rng *rand.Rand) Module[float32] { return CNN(rng, img, 10, cfg) }
	}
	mlp := func(cfg ModelConfig[float32]) func(*rand.Rand) Module[float32] {
		return func(rng *rand.Rand) Module[float32] { return NormMLP(rng, []int{784, 32, 32, 10}, cfg) }
	}
	tests := []struct {
		name      string
		model     func(*rand.Rand) Module[float32]
		loss      Loss[float32]
		optimizer string
		lambda    float64
	}{
		{"CNN/sgd", cnn(ModelConfig[float32]{}), SoftmaxCrossEntropy[float32]{}, "sgd", 0},
		{"CNN/batch/adam", cnn(ModelConfig[float32]{Norm: NormBatch}), SoftmaxCrossEntropy[float32]{}, "adam", 0},
		{"CNN/renorm/dropout", cnn(ModelConfig[float32]{Norm: NormRenorm, Dropout: 0.5}), SoftmaxCrossEntropy[float32]{}, "momentum", 0},
		{"CNN/layer", cnn(ModelConfig[float32]{Norm: NormLayer}), SoftmaxCrossEntropy[float32]{}, "sgd", 0},
		{"CNN/group", cnn(ModelConfig[float32]{Norm: NormGroup}), SoftmaxCrossEntropy[float32]{}, "sgd", 0},
		{"CNN/instance", cnn(ModelConfig[float32]{Norm: NormInstance}), SoftmaxCrossEntropy[float32]{}, "sgd", 0},
		{"CNN/weight/l2", cnn(ModelConfig[float32]{Norm: NormWeight}), SoftmaxCrossEntropy[float32]{}, "sgd", 1e-4},
		{"MLP/batch/dropout", mlp(ModelConfig[float32]{Norm: NormBatch, Dropout: 0.2}), SoftmaxCrossEntropy[float32]{}, "adam", 0},
		{"MLP/layer/tanh", mlp(ModelConfig[float32]{Norm: NormLayer, Activation: Tanh[float32]}), SoftmaxCrossEntropy[float32]{}, "sgd", 0},
		{"MLP/group/sigmoid/mse", mlp(ModelConfig[float32]{Norm: NormGroup, Activation: Sigmoid[float32]}), &MSE[float32]{}, "sgd", 0},
		{"MLP/weight/logistic", func(rng *rand.Rand) Module[float32] {
			return NormMLP(rng, []int{784, 16, 1}, ModelConfig[float32]{Norm: NormWeight})
		}, &Logistic[float32]{}, "sgd", 1e-3},
		{"AvgPool2D", func(rng *rand.Rand) Module[float32] {
			return NewSequential(
				NewConv2D(rng, Conv2DConfig{In: 1, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, Stride: [2]int{2, 2}}, HeNormal[float32]),
				ReLU[float32](),
				NewAvgPool2D[float32](PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}),
				Flatten[float32](),
				NewLinear(rng, 4*7*7, 10, HeNormal[float32], true),
			)
		}, SoftmaxCrossEntropy[float32]{}, "sgd", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			model := tc.model(rng)
			ps := NewParams(model)
			obj := &Objective[float32]{Model: model, Params: ps, Loss: tc.loss, Lambda: tc.lambda}
			h, err := optim.Defaults(tc.optimizer)
			if err != nil {
				t.Fatal(err)
			}
			h.LR = 1e-3
			opt, err := optim.New[float32](tc.optimizer, h)
			if err != nil {
				t.Fatal(err)
			}
			x := tensor.New[float32](8, 1, 28, 28)
			for i := range x.Data {
				x.Data[i] = rng.Float32()
			}
			y := make([]int, 8)
			for i := range y {
				y[i] = rng.IntN(10)
			}
			tp := autograd.NewTape[float32]()
			step := func() {
				obj.Eval(tp, x, y)
				opt.Step(ps.Data, ps.Grad)
			}
			step()
			if tp.Len() == 0 {
				t.Fatal("the step recorded nothing")
			}
			if a := testing.AllocsPerRun(3, step); a != 0 {
				t.Errorf("training step: %v allocations after the first step, want 0", a)
			}

			SetTraining(model, false)
			tp.SetInference(true)
			eval := func() { obj.Eval(tp, x, y) }
			eval()
			if a := testing.AllocsPerRun(3, eval); a != 0 {
				t.Errorf("evaluation: %v allocations after the first pass, want 0", a)
			}
		})
	}
}
