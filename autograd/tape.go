// Package autograd is reverse-mode automatic differentiation over a tape of
// tensor operations, recorded as they run (define-by-run).
//
// Each operation on a Tape computes its output at once and, when an input
// needs a gradient, records a node: which operation ran, on which operands,
// and what its backward step will need. The backward step of an operation
// applies the chain rule for that one operation: given dz/d(output) it adds
// (d output/d input)ᵀ·dz/d(output) to each input's gradient. Backward seeds
// dz/dz = 1 and runs the backward steps in reverse order, which is exactly
// the backpropagation recursion of the lecture:
//
//	dz/dx⁽ˡ⁻¹⁾ = (dx⁽ˡ⁾/dx⁽ˡ⁻¹⁾)ᵀ · dz/dx⁽ˡ⁾,    dz/dwₗ = (dx⁽ˡ⁾/dwₗ)ᵀ · dz/dx⁽ˡ⁾.
//
// Each operation's forward computation and its backward step sit side by
// side in this package (ReLU and reluBackward, say); node.go dispatches.
//
// Gradients accumulate: a variable used twice receives the sum of both
// contributions, and a parameter's gradient buffer is added to, not
// overwritten, so it must be zeroed between steps (nn.Params.ZeroGrad).
//
// A Tape owns the memory of the values and gradients it creates, of its
// variables and of its records, and reuses all of it after Reset: a training
// loop that runs the same network every step allocates nothing after its
// first step. Variables and values read from a tape are valid until its next
// Reset.
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
// is not usable; create one with NewTape. A Tape is not safe for concurrent
// use.
type Tape[T Float] struct {
	steps  []*node[T] // the recorded operations, in the order they ran
	noGrad bool

	arena arena[T]
	loops loops[T]
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
// variable, value and gradient the tape created. Variables from before the
// reset must not be used afterwards. Parameter gradients (see Param) are not
// touched.
func (tp *Tape[T]) Reset() {
	clear(tp.steps)
	tp.steps = tp.steps[:0]
	tp.arena.reset()
}

// Len is the number of recorded backward steps.
func (tp *Tape[T]) Len() int { return len(tp.steps) }

// Const wraps a tensor as a variable that needs no gradient (inputs, labels).
func (tp *Tape[T]) Const(value *tensor.Tensor[T]) *Var[T] {
	v := tp.arena.vars.next()
	v.Value = value
	return v
}

// Param wraps a trainable tensor and its gradient buffer as a leaf variable.
// Backward adds into grad (which must have value's size); it is typically a
// view into a model's flat gradient vector.
func (tp *Tape[T]) Param(value, grad *tensor.Tensor[T]) *Var[T] {
	if grad == nil || len(grad.Data) != len(value.Data) {
		panic(fmt.Sprintf("autograd.Param: gradient buffer %v for value of shape %v", shapeOf(grad), value.Shape))
	}
	v := tp.arena.vars.next()
	v.Value, v.Grad, v.requiresGrad = value, grad, !tp.noGrad
	return v
}

// Leaf wraps a tensor as a variable whose gradient the tape allocates
// (zeroed, from its memory: valid until Reset) and Backward fills (useful
// for gradients with respect to inputs).
func (tp *Tape[T]) Leaf(value *tensor.Tensor[T]) *Var[T] {
	v := tp.arena.vars.next()
	v.Value, v.requiresGrad = value, !tp.noGrad
	if v.requiresGrad {
		v.Grad = tp.arena.tensor(value.Shape, true)
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
	for i := len(tp.steps) - 1; i >= 0; i-- {
		// A step whose output got no gradient (it does not lead to z)
		// passes none on.
		if n := tp.steps[i]; n.out.Grad != nil {
			tp.backward(n)
		}
	}
}

// newVar returns an output variable of the given shape whose value memory
// comes from the tape's arena. It requires a gradient if any input does;
// nil inputs (an absent bias) are skipped.
func (tp *Tape[T]) newVar(shape []int, inputs ...*Var[T]) *Var[T] {
	v := tp.arena.vars.next()
	v.Value = tp.arena.tensor(shape, false)
	if !tp.noGrad {
		for _, in := range inputs {
			if in != nil && in.requiresGrad {
				v.requiresGrad = true
				break
			}
		}
	}
	return v
}

// grad returns v's gradient tensor, allocating it zeroed on first use.
func (tp *Tape[T]) grad(v *Var[T]) *tensor.Tensor[T] {
	if v.Grad == nil {
		v.Grad = tp.arena.tensor(v.Value.Shape, true)
	}
	return v.Grad
}

// gradFresh returns v's gradient tensor and whether it is fresh: allocated
// now and not zeroed, so that the caller must set every element instead of
// adding to it. A gradient that exists already is returned as it is.
func (tp *Tape[T]) gradFresh(v *Var[T]) (*tensor.Tensor[T], bool) {
	if v.Grad == nil {
		v.Grad = tp.arena.tensor(v.Value.Shape, false)
		return v.Grad, true
	}
	return v.Grad, false
}

// scratch returns a temporary tensor from the arena.
func (tp *Tape[T]) scratch(shape ...int) *tensor.Tensor[T] { return tp.arena.tensor(shape, false) }

// arena hands out the memory of a step: tensor data, tensor headers,
// variables and nodes, in call order, and takes it all back on reset. A
// network that runs the same operations each step asks for the same sizes
// in the same order, so after the first step every request is served from
// memory handed out before.
type arena[T Float] struct {
	bufs    [][]T
	next    int
	headers slab[header[T]]
	vars    slab[Var[T]]
	nodes   slab[node[T]]
}

// header is a tensor header with room for its shape, so that handing one
// out allocates nothing for tensors of up to maxDims dimensions.
type header[T Float] struct {
	t     tensor.Tensor[T]
	shape [maxDims]int
}

// maxDims is the number of dimensions for which shapes are kept without
// allocating.
const maxDims = 6

// tensor returns a tensor of the given shape, zeroed if zero is set.
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
	t := a.header()
	t.Shape = append(t.Shape, shape...)
	t.Data = b
	return t
}

// header returns an empty tensor header: no data, and a shape of length 0
// with room for maxDims dimensions.
func (a *arena[T]) header() *tensor.Tensor[T] {
	h := a.headers.next()
	h.t.Shape = h.shape[:0]
	return &h.t
}

func (a *arena[T]) reset() {
	a.next = 0
	a.headers.reset()
	a.vars.reset()
	a.nodes.reset()
}

// slab hands out pointers to zero values of type E in call order and takes
// them all back on reset. It grows by whole chunks, never moving a value, so
// pointers stay valid until the reset.
type slab[E any] struct {
	chunks [][]E
	c, i   int // the next value is chunks[c][i]
}

func (s *slab[E]) next() *E {
	if s.c < len(s.chunks) && s.i == len(s.chunks[s.c]) {
		s.c, s.i = s.c+1, 0
	}
	if s.c == len(s.chunks) {
		s.chunks = append(s.chunks, make([]E, 16<<min(s.c, 6))) // 16, 32, …, 1024 values
	}
	s.i++
	return &s.chunks[s.c][s.i-1]
}

// reset zeroes the values handed out, dropping what they point to, and
// makes them available again.
func (s *slab[E]) reset() {
	for c := 0; c < len(s.chunks) && c <= s.c; c++ {
		if c < s.c {
			clear(s.chunks[c])
		} else {
			clear(s.chunks[c][:s.i])
		}
	}
	s.c, s.i = 0, 0
}
