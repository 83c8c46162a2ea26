package repro

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/tensor"
	"github.com/descent-ml/descent/train"
)

// bnNet is the network of Ioffe & Szegedy §4.1: three fully connected
// hidden layers of 100 sigmoid units, optionally with batch normalization
// (or Batch Renormalization) of each hidden layer's input to the sigmoid.
type bnNet struct {
	model  *nn.Sequential[float32]
	params *nn.Params[float32]
	obj    *nn.Objective[float32]
	// probe is the index in model.Layers of the last hidden sigmoid: the
	// layers before it compute its input.
	probe int
}

// bnNorms are the normalizations of a bnNet.
const (
	bnPlain  = "none"
	bnBatch  = "batch"
	bnRenorm = "renorm"
)

// bnInitSigma is the standard deviation of the initial weights.
const bnInitSigma = 0.01

// gaussianInit draws weights from N(0, σ²): the paper's "small random
// Gaussian values".
func gaussianInit(sigma float64) nn.Init[float32] {
	return func(rng *rand.Rand, w []float32, fanIn, fanOut int) {
		for i := range w {
			w[i] = float32(sigma * rng.NormFloat64())
		}
	}
}

// newBNNet builds the network from seed: the same seed gives the same
// weights for every normalization (normalized layers have no bias, their β
// takes its place, so the weight draws line up).
func newBNNet(seed uint64, norm string, renorm nn.RenormSchedule) *bnNet {
	rng := rand.New(rand.NewPCG(seed, 0xb4))
	init := gaussianInit(bnInitSigma)
	layers := []nn.Module[float32]{nn.Flatten[float32]()}
	in := 784
	probe := 0
	for range 3 {
		layers = append(layers, nn.NewLinear(rng, in, 100, init, norm == bnPlain))
		switch norm {
		case bnBatch:
			layers = append(layers, nn.NewBatchNorm[float32](100))
		case bnRenorm:
			layers = append(layers, nn.NewBatchRenorm[float32](100, renorm))
		}
		probe = len(layers)
		layers = append(layers, nn.Sigmoid[float32]())
		in = 100
	}
	layers = append(layers, nn.NewLinear(rng, in, 10, init, true))
	model := nn.NewSequential(layers...)
	params := nn.NewParams[float32](model)
	return &bnNet{model: model, params: params, probe: probe,
		obj: &nn.Objective[float32]{Model: model, Params: params, Loss: nn.SoftmaxCrossEntropy[float32]{}}}
}

// batchTensor views a loader batch as a batch×784 tensor (no copy).
func batchTensor(b *data.Batch, features int) *tensor.Tensor[float32] {
	return &tensor.Tensor[float32]{Shape: []int{b.Size, features}, Data: b.X[:b.Size*features]}
}

// train runs plain SGD with rate lr on mini-batches of size batch (the last
// smaller batch of each epoch dropped: batch normalization needs two
// examples) for steps steps, calling hook after every step with the step
// count. It stops with an error if the loss becomes non-finite.
func (n *bnNet) train(ctx context.Context, ds data.Dataset, batch int, lr float64, steps int, seed uint64, hook func(step int) error) error {
	opt, err := optim.NewSGD[float32](lr)
	if err != nil {
		return err
	}
	loader, err := data.NewLoader(ds, batch, data.LoaderOptions{Shuffle: true, DropLast: true, Seed: seed})
	if err != nil {
		return err
	}
	nn.SetTraining(n.model, true)
	tp := autograd.NewTape[float32]()
	features := data.Features(ds)
	for step := 0; step < steps; {
		for b := range loader.Epoch() {
			if step%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			_, loss := n.obj.Eval(tp, batchTensor(b, features), b.Y)
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return fmt.Errorf("step %d: the training loss is %v", step+1, loss)
			}
			opt.Step(n.params.Data, n.params.Grad)
			step++
			if hook != nil {
				if err := hook(step); err != nil {
					return err
				}
			}
			if step == steps {
				break
			}
		}
	}
	return nil
}

// accuracy is the test accuracy in evaluation mode (running statistics).
func (n *bnNet) accuracy(ds data.Dataset) (float64, error) {
	_, acc, err := train.Evaluate[float32](n.model, n.obj.Loss, ds, 1000)
	return acc, err
}

// trainModeAccuracy is the accuracy on ds with the layers kept in training
// mode, normalizing each mini-batch of size batch by its own statistics:
// the lecture's "keep training-time behaviour". The running statistics are
// restored afterwards. Examples beyond the last whole batch are left out.
func (n *bnNet) trainModeAccuracy(ds data.Dataset, batch int) (float64, error) {
	state := nn.SaveState[float32](n.model)
	defer state.Restore()
	nn.SetTraining(n.model, true)
	loader, err := data.NewLoader(ds, batch, data.LoaderOptions{DropLast: true})
	if err != nil {
		return 0, err
	}
	tp := autograd.NewTape[float32]()
	tp.SetInference(true)
	features := data.Features(ds)
	pred := make([]int, batch)
	var correct, seen int
	for b := range loader.Epoch() {
		tp.Reset()
		out := n.model.Forward(tp, tp.Const(batchTensor(b, features)))
		train.Predict(pred[:b.Size], out.Value)
		for i, y := range b.Y {
			if pred[i] == y {
				correct++
			}
		}
		seen += b.Size
	}
	if seen == 0 {
		return 0, fmt.Errorf("no whole batch of %d examples in %d", batch, ds.Len())
	}
	return float64(correct) / float64(seen), nil
}

// sigmoidInputs returns the inputs of the last hidden layer's sigmoids for
// the examples of x (evaluation mode), one row of 100 per example.
func (n *bnNet) sigmoidInputs(x *tensor.Tensor[float32]) *tensor.Tensor[float32] {
	nn.SetTraining(n.model, false)
	defer nn.SetTraining(n.model, true)
	tp := autograd.NewTape[float32]()
	tp.SetInference(true)
	v := tp.Const(x)
	for _, l := range n.model.Layers[:n.probe] {
		v = l.Forward(tp, v)
	}
	return v.Value.Clone()
}

// percentiles returns the 15th, 50th and 85th percentiles of column unit of
// the rows×cols matrix m.
func percentiles(m *tensor.Tensor[float32], unit int) [3]float64 {
	rows, cols := m.Shape[0], m.Shape[1]
	v := make([]float64, rows)
	for i := range v {
		v[i] = float64(m.Data[i*cols+unit])
	}
	slices.Sort(v)
	at := func(q float64) float64 { return v[min(rows-1, int(q*float64(rows)))] }
	return [3]float64{at(0.15), at(0.50), at(0.85)}
}

// probeTensor copies the first n examples of ds into a tensor.
func probeTensor(ds data.Dataset, n int) *tensor.Tensor[float32] {
	n = min(n, ds.Len())
	f := data.Features(ds)
	t := tensor.New[float32](n, f)
	for i := range n {
		x, _ := ds.Example(i)
		copy(t.Data[i*f:], x)
	}
	return t
}
