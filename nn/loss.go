package nn

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/tensor"
)

// Loss maps a model's output for a batch and the batch's integer labels to
// the mean loss 1/N Σᵢ l(xᵢ, yᵢ, w), as a scalar on the tape.
type Loss[T Float] interface {
	// Forward returns the mean loss of the batch.
	Forward(tp *autograd.Tape[T], out *autograd.Var[T], labels []int) *autograd.Var[T]
	// Name is the loss's command-line name.
	Name() string
}

// SoftmaxCrossEntropy is the multinomial log loss of the lecture,
// l = −log softmax(out)_y = −out_y + log Σⱼ exp(out_j), for outputs of shape
// batch×classes (torch.nn.CrossEntropyLoss).
type SoftmaxCrossEntropy[T Float] struct{}

// Forward returns the mean multinomial log loss.
func (SoftmaxCrossEntropy[T]) Forward(tp *autograd.Tape[T], out *autograd.Var[T], labels []int) *autograd.Var[T] {
	return tp.SoftmaxCrossEntropy(out, labels)
}

// Name returns "softmax".
func (SoftmaxCrossEntropy[T]) Name() string { return "softmax" }

// Logistic is the binary logistic loss of the lecture,
// l = log(1 + exp(−y·s)) with y ∈ {−1, +1}, for one score s per example
// (shape batch or batch×1). Integer labels map to y = +1 when positive and
// y = −1 otherwise, so both 0/1 and −1/+1 labelled data work.
type Logistic[T Float] struct {
	y []T // scratch: labels as ±1, reused between batches
}

// Forward returns the mean logistic loss.
func (l *Logistic[T]) Forward(tp *autograd.Tape[T], out *autograd.Var[T], labels []int) *autograd.Var[T] {
	if cap(l.y) < len(labels) {
		l.y = make([]T, len(labels))
	}
	y := l.y[:len(labels)]
	for i, v := range labels {
		y[i] = -1
		if v > 0 {
			y[i] = 1
		}
	}
	return tp.LogisticLoss(out, y)
}

// Name returns "logistic".
func (*Logistic[T]) Name() string { return "logistic" }

// MSE is the mean squared error between the outputs (batch×classes) and the
// one-hot encoding of the labels, averaged over all entries
// (torch.nn.MSELoss against one-hot targets).
type MSE[T Float] struct {
	target *tensor.Tensor[T] // scratch one-hot targets
}

// Forward returns the mean squared error against one-hot labels.
func (m *MSE[T]) Forward(tp *autograd.Tape[T], out *autograd.Var[T], labels []int) *autograd.Var[T] {
	s := out.Shape()
	if len(s) != 2 || s[0] != len(labels) {
		panic(fmt.Sprintf("nn.MSE: output shape %v for %d labels", s, len(labels)))
	}
	if m.target == nil || cap(m.target.Data) < s[0]*s[1] {
		m.target = tensor.New[T](s...)
	}
	t := &tensor.Tensor[T]{Shape: s, Data: m.target.Data[:s[0]*s[1]]}
	t.Zero()
	for i, y := range labels {
		if y < 0 || y >= s[1] {
			panic(fmt.Sprintf("nn.MSE: label %d of example %d outside [0, %d)", y, i, s[1]))
		}
		t.Data[i*s[1]+y] = 1
	}
	return tp.MSE(out, t)
}

// Name returns "mse".
func (*MSE[T]) Name() string { return "mse" }

// LossByName returns the loss called "softmax" (cross-entropy), "logistic"
// or "mse".
func LossByName[T Float](name string) (Loss[T], bool) {
	switch name {
	case "softmax", "cross-entropy":
		return SoftmaxCrossEntropy[T]{}, true
	case "logistic":
		return &Logistic[T]{}, true
	case "mse":
		return &MSE[T]{}, true
	}
	return nil, false
}

// Objective is the lecture's training objective
//
//	E(w) = 1/N Σᵢ l(xᵢ, yᵢ, w) + λR(w),   R(w) = ‖w‖²,
//
// for a model whose parameters are packed in Params. On a mini-batch it is
// the batch stochastic objective, whose gradient is an unbiased estimate of
// dE/dw.
type Objective[T Float] struct {
	Model  Module[T]
	Params *Params[T]
	Loss   Loss[T]
	// Lambda is λ, the weight of R(w) = ‖w‖².
	Lambda float64
	// SkipNoDecay leaves parameters marked NoDecay (biases) out of R(w).
	SkipNoDecay bool
}

// Eval runs the model on the batch x with labels, leaving the gradient
// dE/dw in o.Params.Grad (overwritten, not accumulated). It resets tp first.
// It returns E(w) on the batch and the data term 1/N Σ l alone. In inference
// mode it computes the values only.
func (o *Objective[T]) Eval(tp *autograd.Tape[T], x *tensor.Tensor[T], labels []int) (objective, loss float64) {
	tp.Reset()
	out := o.Model.Forward(tp, tp.Const(x))
	l := o.Loss.Forward(tp, out, labels)
	loss = float64(l.Value.Item())
	objective = loss
	if o.Lambda != 0 {
		objective += o.Lambda * o.Params.SumSquares(o.SkipNoDecay)
	}
	if tp.Inference() {
		return objective, loss
	}
	o.Params.ZeroGrad()
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return objective, loss
	}
	tp.Backward(l)
	o.Params.AddL2Grad(o.Lambda, o.SkipNoDecay)
	return objective, loss
}
