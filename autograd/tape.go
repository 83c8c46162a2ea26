// Package autograd is reverse-mode automatic differentiation over a tape of
// tensor operations, recorded as they run (define-by-run).
//
// Each operation on a Tape computes its output at once and, when an input
// needs a gradient, appends a closure that applies the chain rule for that
// one operation: given dz/d(output) it adds (d output/d input)ᵀ·dz/d(output)
// to each input's gradient. Backward seeds dz/dz = 1 and runs the closures in
// reverse order, which is exactly the backpropagation recursion of the
// lecture:
//
//	dz/dx⁽ˡ⁻¹⁾ = (dx⁽ˡ⁾/dx⁽ˡ⁻¹⁾)ᵀ · dz/dx⁽ˡ⁾,    dz/dwₗ = (dx⁽ˡ⁾/dwₗ)ᵀ · dz/dx⁽ˡ⁾.
//
// Gradients accumulate: a variable used twice receives the sum of both
// contributions, and a parameter's gradient buffer is added to, not
// overwritten, so it must be zeroed between steps (nn.Params.ZeroGrad).
//
// A Tape owns the memory of the values and gradients it creates and reuses it
// after Reset, so a training loop that runs the same network every step
// stops allocating tensor memory after its first step. Values read from a
// tape are valid until its next Reset.
package autograd

import (
	"fmt"

	"github.com/descent-ml/descent/tensor"
)

// Float is the element type: float32 or float64.
type Float = tensor.Float

// Var is a node of the computation: a value and, once Backward has run, the
// gradient of the differentiated scalar with respect to it.
type Var[T Float] struct {
	// Value is the tensor computed in the forward pass.
	Value *tensor.Tensor[T]
	// Grad has Value's shape and holds dz/dValue after Backward. It is nil
	// for variables that need no gradient and for intermediate variables
	// that Backward has not reached.
	Grad *tensor.Tensor[T]

	requiresGrad bool
}

// RequiresGrad reports whether gradients flow to this variable.
func (v *Var[T]) RequiresGrad() bool { return v.requiresGrad }

// Shape is the shape of the variable's value.
func (v *Var[T]) Shape() []int { return v.Value.Shape }

// Tape records operations for reverse-mode differentiation. The zero value
// is not usable; create one with NewTape.
type Tape[T Float] struct {
	backward []func()
	noGrad   bool

	arena arena[T]
}

// NewTape returns an empty tape that records operations.
func NewTape[T Float]() *Tape[T] { return &Tape[T]{} }

// SetInference switches inference mode on or off. In inference mode the tape
// records nothing and no variable requires a gradient: forward passes cost
// only their arithmetic. It returns the previous setting.
func (tp *Tape[T]) SetInference(on bool) (was bool) {
	was, tp.noGrad = tp.noGrad, on
	return was
}

// Inference reports whether the tape is in inference mode.
func (tp *Tape[T]) Inference() bool { return tp.noGrad }

// Reset forgets all recorded operations and recycles the memory of every
// value and gradient the tape created. Variables from before the reset must
// not be used afterwards. Parameter gradients (see Param) are not touched.
func (tp *Tape[T]) Reset() {
	clear(tp.backward)
	tp.backward = tp.backward[:0]
	tp.arena.reset()
}

// Len is the number of recorded backward steps.
func (tp *Tape[T]) Len() int { return len(tp.backward) }

// Const wraps a tensor as a variable that needs no gradient (inputs, labels).
func (tp *Tape[T]) Const(value *tensor.Tensor[T]) *Var[T] {
	return &Var[T]{Value: value}
}

// Param wraps a trainable tensor and its gradient buffer as a leaf variable.
// Backward adds into grad (which must have value's size); it is typically a
// view into a model's flat gradient vector.
func (tp *Tape[T]) Param(value, grad *tensor.Tensor[T]) *Var[T] {
	if grad == nil || len(grad.Data) != len(value.Data) {
		panic(fmt.Sprintf("autograd.Param: gradient buffer %v for value of shape %v", shapeOf(grad), value.Shape))
	}
	return &Var[T]{Value: value, Grad: grad, requiresGrad: !tp.noGrad}
}

// Leaf wraps a tensor as a variable whose gradient the tape allocates and
// Backward fills (useful for gradients with respect to inputs).
func (tp *Tape[T]) Leaf(value *tensor.Tensor[T]) *Var[T] {
	v := &Var[T]{Value: value, requiresGrad: !tp.noGrad}
	if v.requiresGrad {
		v.Grad = tensor.New[T](value.Shape...)
	}
	return v
}

func shapeOf[T Float](t *tensor.Tensor[T]) []int {
	if t == nil {
		return nil
	}
	return t.Shape
}

// Backward computes the gradient of the scalar z with respect to every
// variable recorded on the tape that requires one, accumulating into their
// Grad tensors. z must hold exactly one element.
func (tp *Tape[T]) Backward(z *Var[T]) {
	if len(z.Value.Data) != 1 {
		panic(fmt.Sprintf("autograd.Backward: want a scalar, got shape %v", z.Value.Shape))
	}
	if !z.requiresGrad {
		panic("autograd.Backward: the value does not depend on any variable that requires a gradient (inference mode, or constants only)")
	}
	tp.grad(z).Data[0] += 1
	for i := len(tp.backward) - 1; i >= 0; i-- {
		tp.backward[i]()
	}
}

// newVar returns an output variable of the given shape whose value memory
// comes from the tape's arena. It requires a gradient if any input does.
func (tp *Tape[T]) newVar(shape []int, inputs ...*Var[T]) *Var[T] {
	v := &Var[T]{Value: tp.arena.tensor(shape, false)}
	if !tp.noGrad {
		for _, in := range inputs {
			if in.requiresGrad {
				v.requiresGrad = true
				break
			}
		}
	}
	return v
}

// record appends a backward step if out requires a gradient.
func (tp *Tape[T]) record(out *Var[T], f func()) {
	if out.requiresGrad {
		tp.backward = append(tp.backward, f)
	}
}

// grad returns v's gradient tensor, allocating it zeroed on first use.
func (tp *Tape[T]) grad(v *Var[T]) *tensor.Tensor[T] {
	if v.Grad == nil {
		v.Grad = tp.arena.tensor(v.Value.Shape, true)
	}
	return v.Grad
}

// scratch returns a temporary tensor from the arena.
func (tp *Tape[T]) scratch(shape []int) *tensor.Tensor[T] { return tp.arena.tensor(shape, false) }

// arena hands out tensor memory in call order and takes it all back on
// reset. A network that runs the same operations each step asks for the
// same sizes in the same order, so after the first step every request is
// served from memory handed out before.
type arena[T Float] struct {
	bufs [][]T
	next int
}

func (a *arena[T]) tensor(shape []int, zero bool) *tensor.Tensor[T] {
	n := tensor.Numel(shape)
	if a.next == len(a.bufs) {
		a.bufs = append(a.bufs, nil)
	}
	b := a.bufs[a.next]
	if cap(b) < n {
		b = make([]T, n)
		a.bufs[a.next] = b
		zero = false
	}
	a.next++
	b = b[:n]
	if zero {
		clear(b)
	}
	return &tensor.Tensor[T]{Shape: append([]int(nil), shape...), Data: b}
}

func (a *arena[T]) reset() { a.next = 0 }
