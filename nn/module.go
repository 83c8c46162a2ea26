// Package nn builds networks from differentiable blocks on top of autograd:
// the Module interface; layers (Linear, Conv2D, MaxPool2D, AvgPool2D,
// Dropout, ReLU, Sigmoid, Tanh, Flatten, Sequential); the normalization
// layers of the lecture (BatchNorm with FoldBatchNorm, Batch Renorm,
// LayerNorm, InstanceNorm, GroupNorm, WeightNorm); losses; the regularized
// objective E(w) = 1/N Σ l(xᵢ, yᵢ, w) + λR(w); weight initializers; model
// builders (MLP, NormMLP, CNN); and Path-SGD's path scales.
//
// All trainable parameters of a model live in one contiguous vector and
// their gradients in another of the same layout (see Params): each layer's
// weights are views into it, so an optimizer step is one pass over two flat
// slices, second-order methods see plain vectors, and a checkpoint is one
// block of memory.
package nn

import (
	"fmt"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/tensor"
)

// Float is the element type: float32 or float64.
type Float = tensor.Float

// Parameter is one trainable tensor of a module and its gradient. Once the
// module is packed by NewParams, Value and Grad are views into the model's
// flat parameter and gradient vectors.
type Parameter[T Float] struct {
	// Name is the parameter's path in the model, e.g. "0.weight": the
	// layer's index in its Sequential and the parameter's role, as in a
	// PyTorch state_dict.
	Name string
	// Value holds the parameter's current value.
	Value *tensor.Tensor[T]
	// Grad accumulates dE/dValue; it has Value's shape.
	Grad *tensor.Tensor[T]
	// NoDecay marks parameters that L2 regularization conventionally skips
	// (biases, normalization scales and shifts). Optimizers with parameter
	// groups use it; the lecture's R(w) = ‖w‖² counts every weight unless
	// told otherwise.
	NoDecay bool
}

// newParameter returns a parameter of the given shape with its own (not yet
// packed) storage.
func newParameter[T Float](name string, shape ...int) *Parameter[T] {
	return &Parameter[T]{Name: name, Value: tensor.New[T](shape...), Grad: tensor.New[T](shape...)}
}

// Var binds the parameter to a tape as a leaf whose gradient accumulates into
// p.Grad.
func (p *Parameter[T]) Var(tp *autograd.Tape[T]) *autograd.Var[T] { return tp.Param(p.Value, p.Grad) }

// Module is a differentiable block: a function of its input and its
// parameters, recorded on a tape.
type Module[T Float] interface {
	// Forward computes the block's output for a batch x on tp.
	Forward(tp *autograd.Tape[T], x *autograd.Var[T]) *autograd.Var[T]
	// Parameters lists the block's trainable parameters (none for
	// activations), in a fixed order.
	Parameters() []*Parameter[T]
}

// Trainer is implemented by modules that behave differently in training and
// evaluation (dropout, batch normalization). Modules start in training mode.
type Trainer interface {
	// SetTraining switches between training (true) and evaluation (false)
	// behaviour.
	SetTraining(on bool)
}

// SetTraining switches m, and every module inside it, between training and
// evaluation behaviour. Modules without such a difference ignore it.
func SetTraining[T Float](m Module[T], on bool) {
	if t, ok := m.(Trainer); ok {
		t.SetTraining(on)
	}
}

// Sequential chains modules: the output of each is the input of the next.
type Sequential[T Float] struct {
	Layers []Module[T]
}

// NewSequential chains the given layers and names their parameters by
// position ("0.weight", "2.bias", …) as PyTorch's nn.Sequential does.
func NewSequential[T Float](layers ...Module[T]) *Sequential[T] {
	for i, l := range layers {
		for _, p := range l.Parameters() {
			p.Name = fmt.Sprintf("%d.%s", i, p.Name)
		}
	}
	return &Sequential[T]{Layers: layers}
}

// Forward runs the layers in order, but for one rewrite: a ReLU directly
// followed by a MaxPool2D runs after the pooling instead. The two commute
// (the ReLU is monotone; padding counts as −∞), up to the sign of a zero
// output, and the gradients are the same too: both send a window's
// gradient to its first maximum when that maximum is positive, and nowhere
// otherwise. The ReLU then touches the pooled tensor, a quarter of the
// size for 2×2 pooling, which saves two passes over the larger one forward
// and two backward. Poolings whose windows can lie entirely in the padding
// (padded and dilated; their output there is −∞, which the ReLU would make
// 0) are not rewritten.
func (s *Sequential[T]) Forward(tp *autograd.Tape[T], x *autograd.Var[T]) *autograd.Var[T] {
	for i := 0; i < len(s.Layers); i++ {
		l := s.Layers[i]
		if a, ok := l.(activation[T]); ok && a.name == "ReLU" && i+1 < len(s.Layers) {
			if p, ok := s.Layers[i+1].(*MaxPool2D[T]); ok && p.commutesWithReLU() {
				x = l.Forward(tp, p.Forward(tp, x))
				i++
				continue
			}
		}
		x = l.Forward(tp, x)
	}
	return x
}

// Parameters lists the layers' parameters in order.
func (s *Sequential[T]) Parameters() []*Parameter[T] {
	var ps []*Parameter[T]
	for _, l := range s.Layers {
		ps = append(ps, l.Parameters()...)
	}
	return ps
}

// SetTraining switches every layer between training and evaluation.
func (s *Sequential[T]) SetTraining(on bool) {
	for _, l := range s.Layers {
		SetTraining(l, on)
	}
}

// String lists the layers.
func (s *Sequential[T]) String() string {
	out := "Sequential("
	for i, l := range s.Layers {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprint(l)
	}
	return out + ")"
}
