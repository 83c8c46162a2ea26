package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/descent-ml/descent/autograd"
)

// Linear is the fully connected layer y = x·Wᵀ + b for inputs of shape
// batch×In; W has shape Out×In (torch.nn.Linear's layout) and b has Out
// entries.
type Linear[T Float] struct {
	In, Out int
	Weight  *Parameter[T]
	Bias    *Parameter[T] // nil without bias
}

// NewLinear returns a Linear layer with in inputs and out outputs, weights
// drawn by init from rng and biases set to zero. Pass bias=false for a layer
// without bias.
func NewLinear[T Float](rng *rand.Rand, in, out int, init Init[T], bias bool) *Linear[T] {
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("nn.NewLinear: sizes must be positive, got in=%d out=%d", in, out))
	}
	l := &Linear[T]{In: in, Out: out, Weight: newParameter[T]("weight", out, in)}
	init(rng, l.Weight.Value.Data, in, out)
	if bias {
		l.Bias = newParameter[T]("bias", out)
		l.Bias.NoDecay = true
	}
	return l
}

// Forward computes x·Wᵀ + b. x must have shape batch×In.
func (l *Linear[T]) Forward(tp *autograd.Tape[T], x *autograd.Var[T]) *autograd.Var[T] {
	if s := x.Shape(); len(s) != 2 || s[1] != l.In {
		panic(fmt.Sprintf("nn.Linear(%d→%d): input shape %v, want batch×%d", l.In, l.Out, s, l.In))
	}
	var b *autograd.Var[T]
	if l.Bias != nil {
		b = l.Bias.Var(tp)
	}
	return tp.Linear(x, l.Weight.Var(tp), b)
}

// Parameters returns the weight and, if present, the bias.
func (l *Linear[T]) Parameters() []*Parameter[T] {
	if l.Bias == nil {
		return []*Parameter[T]{l.Weight}
	}
	return []*Parameter[T]{l.Weight, l.Bias}
}

// String describes the layer.
func (l *Linear[T]) String() string { return fmt.Sprintf("Linear(%d→%d)", l.In, l.Out) }

// activation is a parameter-free elementwise layer.
type activation[T Float] struct {
	name string
	f    func(tp *autograd.Tape[T], x *autograd.Var[T]) *autograd.Var[T]
}

func (a activation[T]) Forward(tp *autograd.Tape[T], x *autograd.Var[T]) *autograd.Var[T] {
	return a.f(tp, x)
}
func (a activation[T]) Parameters() []*Parameter[T] { return nil }
func (a activation[T]) String() string              { return a.name }

// ReLU returns the layer max(x, 0).
func ReLU[T Float]() Module[T] { return activation[T]{"ReLU", (*autograd.Tape[T]).ReLU} }

// Sigmoid returns the layer σ(x) = 1/(1+e⁻ˣ).
func Sigmoid[T Float]() Module[T] { return activation[T]{"Sigmoid", (*autograd.Tape[T]).Sigmoid} }

// Tanh returns the layer tanh(x).
func Tanh[T Float]() Module[T] { return activation[T]{"Tanh", (*autograd.Tape[T]).Tanh} }

// Flatten returns the layer that reshapes a batch of any shape to
// batch×features.
func Flatten[T Float]() Module[T] {
	return activation[T]{"Flatten", func(tp *autograd.Tape[T], x *autograd.Var[T]) *autograd.Var[T] {
		return tp.Reshape(x, x.Shape()[0], -1)
	}}
}

// ActivationByName returns the activation layer called "relu", "sigmoid" or
// "tanh".
func ActivationByName[T Float](name string) (Module[T], bool) {
	switch name {
	case "relu":
		return ReLU[T](), true
	case "sigmoid":
		return Sigmoid[T](), true
	case "tanh":
		return Tanh[T](), true
	}
	return nil, false
}

// MLP returns a multi-layer perceptron: a Flatten layer (so that inputs of
// any example shape work), then Linear layers of the given sizes (sizes[0]
// inputs, sizes[len-1] outputs) with the activation act between them, weights
// drawn by init and biases zero. MLP(rng, []int{784, 10}, …) is multinomial
// logistic regression. Parameter names follow PyTorch's
// nn.Sequential(nn.Flatten(), nn.Linear(…), …): "1.weight", "1.bias", ….
func MLP[T Float](rng *rand.Rand, sizes []int, act func() Module[T], init Init[T]) *Sequential[T] {
	if len(sizes) < 2 {
		panic(fmt.Sprintf("nn.MLP: need at least input and output sizes, got %v", sizes))
	}
	layers := []Module[T]{Flatten[T]()}
	for i := 0; i+1 < len(sizes); i++ {
		if i > 0 {
			layers = append(layers, act())
		}
		layers = append(layers, NewLinear(rng, sizes[i], sizes[i+1], init, true))
	}
	return NewSequential(layers...)
}
