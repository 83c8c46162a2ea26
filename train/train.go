// Package train is the training loop: epochs over random permutations of
// the training set in mini-batches, one optimizer step per batch, evaluation
// on a held-out set after each epoch, and per-epoch statistics for progress
// display and logging.
package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/tensor"
)

// Float is the element type: float32 or float64.
type Float = tensor.Float

// EpochStats summarizes one epoch. The JSON names are those of
// `descent train --json`.
type EpochStats struct {
	// Epoch counts from 1.
	Epoch int `json:"epoch"`
	// TrainLoss is the mean data loss 1/N Σ l over the epoch's mini-batches,
	// each measured before its own step.
	TrainLoss float64 `json:"train_loss"`
	// TestLoss and TestAccuracy are measured on the held-out set after the
	// epoch, in evaluation mode. TestAccuracy is a fraction.
	TestLoss     float64 `json:"test_loss"`
	TestAccuracy float64 `json:"test_accuracy"`
	// Seconds is the training time since the start of Fit, evaluation
	// excluded.
	Seconds float64 `json:"seconds"`
	// ExamplesPerSecond is this epoch's training examples per second.
	ExamplesPerSecond float64 `json:"examples_per_second"`
}

// Trainer runs mini-batch training of an objective with an optimizer.
type Trainer[T Float] struct {
	// Objective is the model, its packed parameters, the loss and λ.
	Objective *nn.Objective[T]
	// Optimizer updates Objective.Params after each batch.
	Optimizer optim.Optimizer[T]
	// Epochs is the number of passes over the training set.
	Epochs int
	// BatchSize is the mini-batch size; 1 gives per-sample SGD.
	BatchSize int
	// Seed seeds the permutation of each epoch.
	Seed uint64
	// DropLast skips the last, smaller batch of each epoch.
	DropLast bool
	// EvalBatch is the batch size used for evaluation (default 1000).
	EvalBatch int
	// OnBatch, if set, is called after every step with the epoch (from 1),
	// the batches done and the batches per epoch.
	OnBatch func(epoch, done, total int)
	// OnStep, if set, is called after every step with the number of
	// training examples seen so far and the batch's data loss (measured
	// before the step).
	OnStep func(examples int, loss float64)
	// OnEpoch, if set, is called with each epoch's statistics.
	OnEpoch func(EpochStats)
}

// Fit trains on trainSet for t.Epochs epochs, evaluating on testSet (which
// may be nil) after each, and returns the statistics of every epoch. It stops
// with an error naming the epoch and step if the loss becomes NaN or
// infinite, and with ctx's error when ctx is cancelled.
func (t *Trainer[T]) Fit(ctx context.Context, trainSet, testSet data.Dataset) ([]EpochStats, error) {
	if t.Epochs < 0 {
		return nil, fmt.Errorf("train: %d epochs, want at least 0", t.Epochs)
	}
	loader, err := data.NewLoader(trainSet, t.BatchSize, data.LoaderOptions{Shuffle: true, DropLast: t.DropLast, Seed: t.Seed})
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	shape := trainSet.Shape()
	tp := autograd.NewTape[T]()
	var in batchInput[T]
	var stats []EpochStats
	var trained time.Duration
	var examples int
	params := t.Objective.Params
	for epoch := 1; epoch <= t.Epochs; epoch++ {
		nn.SetTraining(t.Objective.Model, true)
		start := time.Now()
		var sum float64
		var steps, seen int
		total := loader.Batches()
		for b := range loader.Epoch() {
			if err := ctx.Err(); err != nil {
				return stats, err
			}
			x := in.tensor(b.X, b.Size, shape)
			_, loss := t.Objective.Eval(tp, x, b.Y)
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return stats, fmt.Errorf("train: epoch %d, step %d: the training loss is %v; the learning rate is probably too large", epoch, steps+1, loss)
			}
			t.Optimizer.Step(params.Data, params.Grad)
			sum += loss * float64(b.Size)
			seen += b.Size
			examples += b.Size
			steps++
			if t.OnStep != nil {
				t.OnStep(examples, loss)
			}
			if t.OnBatch != nil {
				t.OnBatch(epoch, steps, total)
			}
		}
		elapsed := time.Since(start)
		trained += elapsed
		st := EpochStats{
			Epoch:             epoch,
			TrainLoss:         sum / float64(max(seen, 1)),
			Seconds:           trained.Seconds(),
			ExamplesPerSecond: float64(seen) / elapsed.Seconds(),
		}
		if testSet != nil {
			st.TestLoss, st.TestAccuracy, err = Evaluate(t.Objective.Model, t.Objective.Loss, testSet, t.EvalBatch)
			if err != nil {
				return stats, err
			}
		}
		stats = append(stats, st)
		if t.OnEpoch != nil {
			t.OnEpoch(st)
		}
	}
	return stats, nil
}

// Evaluate returns the mean loss and the accuracy (a fraction) of model on
// ds, in evaluation mode and without recording gradients. A model with one
// output per example is read as a binary classifier (label 1 when the score
// is positive); otherwise the prediction is the largest output.
func Evaluate[T Float](model nn.Module[T], loss nn.Loss[T], ds data.Dataset, batchSize int) (meanLoss, accuracy float64, err error) {
	if batchSize <= 0 {
		batchSize = 1000
	}
	if ds.Len() == 0 {
		return 0, 0, errors.New("train: evaluation set is empty")
	}
	loader, err := data.NewLoader(ds, batchSize, data.LoaderOptions{})
	if err != nil {
		return 0, 0, fmt.Errorf("train: %w", err)
	}
	nn.SetTraining(model, false)
	defer nn.SetTraining(model, true)
	tp := autograd.NewTape[T]()
	tp.SetInference(true)
	var in batchInput[T]
	var sum float64
	var correct int
	pred := make([]int, batchSize)
	shape := ds.Shape()
	for b := range loader.Epoch() {
		tp.Reset()
		out := model.Forward(tp, tp.Const(in.tensor(b.X, b.Size, shape)))
		sum += float64(loss.Forward(tp, out, b.Y).Value.Item()) * float64(b.Size)
		Predict(pred[:b.Size], out.Value)
		for i, y := range b.Y {
			if pred[i] == y || (y < 0 && pred[i] == 0) {
				correct++
			}
		}
	}
	return sum / float64(ds.Len()), float64(correct) / float64(ds.Len()), nil
}

// Predict writes the predicted class of each row of the outputs: the largest
// output, or, for a single output per example, 1 when it is positive and 0
// otherwise.
func Predict[T Float](pred []int, out *tensor.Tensor[T]) {
	if out.Len() == len(pred) {
		for i, v := range out.Data {
			pred[i] = 0
			if v > 0 {
				pred[i] = 1
			}
		}
		return
	}
	tensor.ArgMaxRows(pred, out.Reshape(len(pred), -1))
}

// batchInput turns a loader's float32 batch into the model's input tensor of
// shape batch×example shape, without copying when T is float32.
type batchInput[T Float] struct {
	buf   []T
	shape []int
	t     tensor.Tensor[T]
}

func (b *batchInput[T]) tensor(x []float32, n int, example []int) *tensor.Tensor[T] {
	b.shape = append(append(b.shape[:0], n), example...)
	b.t.Shape = b.shape
	if v, ok := any(x).([]T); ok {
		b.t.Data = v
		return &b.t
	}
	if cap(b.buf) < len(x) {
		b.buf = make([]T, len(x))
	}
	b.buf = b.buf[:len(x)]
	for i, v := range x {
		b.buf[i] = T(v)
	}
	b.t.Data = b.buf
	return &b.t
}
