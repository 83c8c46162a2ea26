package autograd

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/tensor"
)

// broadcastOut returns the broadcast shape of a and b or panics naming op
// and both shapes.
func broadcastOut[T Float](op string, a, b *Var[T]) []int {
	s, err := tensor.BroadcastShape(a.Value.Shape, b.Value.Shape)
	if err != nil {
		panic("autograd." + op + ": " + err.Error())
	}
	return s
}

// accumulateTo adds g, reduced by summation to v's shape, into v's gradient.
func (tp *Tape[T]) accumulateTo(v *Var[T], g *tensor.Tensor[T]) {
	dst := tp.grad(v)
	if len(dst.Data) == len(g.Data) {
		tensor.Axpy(1, g.Data, dst.Data)
		return
	}
	tmp := tp.scratch(v.Value.Shape)
	tensor.SumTo(tmp, g)
	tensor.Axpy(1, tmp.Data, dst.Data)
}

// Add returns a + b with broadcasting.
func (tp *Tape[T]) Add(a, b *Var[T]) *Var[T] {
	out := tp.newVar(broadcastOut("Add", a, b), a, b)
	tensor.Add(out.Value, a.Value, b.Value)
	tp.record(out, func() {
		if a.requiresGrad {
			tp.accumulateTo(a, out.Grad)
		}
		if b.requiresGrad {
			tp.accumulateTo(b, out.Grad)
		}
	})
	return out
}

// Sub returns a − b with broadcasting.
func (tp *Tape[T]) Sub(a, b *Var[T]) *Var[T] {
	out := tp.newVar(broadcastOut("Sub", a, b), a, b)
	tensor.Sub(out.Value, a.Value, b.Value)
	tp.record(out, func() {
		if a.requiresGrad {
			tp.accumulateTo(a, out.Grad)
		}
		if b.requiresGrad {
			neg := tp.scratch(out.Value.Shape)
			tensor.Scale(neg, out.Grad, -1)
			tp.accumulateTo(b, neg)
		}
	})
	return out
}

// Mul returns a ⊙ b (elementwise) with broadcasting.
func (tp *Tape[T]) Mul(a, b *Var[T]) *Var[T] {
	out := tp.newVar(broadcastOut("Mul", a, b), a, b)
	tensor.Mul(out.Value, a.Value, b.Value)
	tp.record(out, func() {
		tmp := tp.scratch(out.Value.Shape)
		if a.requiresGrad {
			tensor.Mul(tmp, out.Grad, b.Value)
			tp.accumulateTo(a, tmp)
		}
		if b.requiresGrad {
			tensor.Mul(tmp, out.Grad, a.Value)
			tp.accumulateTo(b, tmp)
		}
	})
	return out
}

// Div returns a ⊘ b (elementwise) with broadcasting.
func (tp *Tape[T]) Div(a, b *Var[T]) *Var[T] {
	out := tp.newVar(broadcastOut("Div", a, b), a, b)
	tensor.Div(out.Value, a.Value, b.Value)
	tp.record(out, func() {
		tmp := tp.scratch(out.Value.Shape)
		if a.requiresGrad {
			tensor.Div(tmp, out.Grad, b.Value)
			tp.accumulateTo(a, tmp)
		}
		if b.requiresGrad {
			// d(a/b)/db = −(a/b)/b = −out/b.
			tensor.Mul(tmp, out.Grad, out.Value)
			tensor.Div(tmp, tmp, b.Value)
			tensor.Scale(tmp, tmp, -1)
			tp.accumulateTo(b, tmp)
		}
	})
	return out
}

// Scale returns c·x for a constant c.
func (tp *Tape[T]) Scale(x *Var[T], c T) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	tensor.Scale(out.Value, x.Value, c)
	tp.record(out, func() { tensor.Axpy(c, out.Grad.Data, tp.grad(x).Data) })
	return out
}

// AddScalar returns x + c for a constant c.
func (tp *Tape[T]) AddScalar(x *Var[T], c T) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	for i, v := range x.Value.Data {
		out.Value.Data[i] = v + c
	}
	tp.record(out, func() { tensor.Axpy(1, out.Grad.Data, tp.grad(x).Data) })
	return out
}

// Neg returns −x.
func (tp *Tape[T]) Neg(x *Var[T]) *Var[T] { return tp.Scale(x, -1) }

// MatMul returns the matrix product a·b.
func (tp *Tape[T]) MatMul(a, b *Var[T]) *Var[T] { return tp.MatMulT(a, b, false, false) }

// MatMulT returns op(a)·op(b), where op transposes its argument when the
// matching flag is set. With C = op(A)·op(B) and upstream gradient G:
// dA = G·op(B)ᵀ (transposed back if transA) and dB = op(A)ᵀ·G (likewise).
func (tp *Tape[T]) MatMulT(a, b *Var[T], transA, transB bool) *Var[T] {
	if a.Value.Dims() != 2 || b.Value.Dims() != 2 {
		panic(fmt.Sprintf("autograd.MatMul: want matrices, got shapes %v and %v", a.Value.Shape, b.Value.Shape))
	}
	m, k := a.Value.Shape[0], a.Value.Shape[1]
	if transA {
		m, k = k, m
	}
	k2, n := b.Value.Shape[0], b.Value.Shape[1]
	if transB {
		k2, n = n, k2
	}
	if k != k2 {
		panic(fmt.Sprintf("autograd.MatMul: inner dimensions differ: %v%s × %v%s", a.Value.Shape, tmark(transA), b.Value.Shape, tmark(transB)))
	}
	out := tp.newVar([]int{m, n}, a, b)
	tensor.MatMul(out.Value, a.Value, b.Value, transA, transB)
	tp.record(out, func() {
		g := out.Grad
		if a.requiresGrad {
			if transA { // A is k×m: dA = op(B)·Gᵀ
				tensor.MatMulAcc(tp.grad(a), b.Value, g, transB, true, 1)
			} else { // A is m×k: dA = G·op(B)ᵀ
				tensor.MatMulAcc(tp.grad(a), g, b.Value, false, !transB, 1)
			}
		}
		if b.requiresGrad {
			if transB { // B is n×k: dB = Gᵀ·op(A)
				tensor.MatMulAcc(tp.grad(b), g, a.Value, true, transA, 1)
			} else { // B is k×n: dB = op(A)ᵀ·G
				tensor.MatMulAcc(tp.grad(b), a.Value, g, !transA, false, 1)
			}
		}
	})
	return out
}

func tmark(t bool) string {
	if t {
		return "ᵀ"
	}
	return ""
}

// Linear returns x·wᵀ + b for x of shape batch×in, w of shape out×in (the
// layout of torch.nn.Linear) and b of shape out (b may be nil). It is one
// fused step on the tape.
func (tp *Tape[T]) Linear(x, w, b *Var[T]) *Var[T] {
	if x.Value.Dims() != 2 || w.Value.Dims() != 2 || x.Value.Shape[1] != w.Value.Shape[1] {
		panic(fmt.Sprintf("autograd.Linear: input shape %v does not fit weight shape %v (want batch×%d)", x.Value.Shape, w.Value.Shape, w.Value.Shape[1]))
	}
	nOut := w.Value.Shape[0]
	if b != nil && len(b.Value.Data) != nOut {
		panic(fmt.Sprintf("autograd.Linear: bias shape %v for weight shape %v", b.Value.Shape, w.Value.Shape))
	}
	rows := x.Value.Shape[0]
	inputs := []*Var[T]{x, w}
	if b != nil {
		inputs = append(inputs, b)
	}
	out := tp.newVar([]int{rows, nOut}, inputs...)
	y := out.Value
	if b != nil {
		for r := 0; r < rows; r++ {
			copy(y.Data[r*nOut:(r+1)*nOut], b.Value.Data)
		}
		tensor.MatMulAcc(y, x.Value, w.Value, false, true, 1)
	} else {
		tensor.MatMul(y, x.Value, w.Value, false, true)
	}
	tp.record(out, func() {
		g := out.Grad
		if x.requiresGrad {
			tensor.MatMulAcc(tp.grad(x), g, w.Value, false, false, 1)
		}
		if w.requiresGrad {
			tensor.MatMulAcc(tp.grad(w), g, x.Value, true, false, 1)
		}
		if b != nil && b.requiresGrad {
			db := tp.grad(b).Data
			for r := 0; r < rows; r++ {
				tensor.Axpy(1, g.Data[r*nOut:(r+1)*nOut], db)
			}
		}
	})
	return out
}

// ReLU returns max(x, 0) elementwise; its derivative is taken as 0 at 0.
func (tp *Tape[T]) ReLU(x *Var[T]) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	tensor.ReLU(out.Value, x.Value)
	tp.record(out, func() {
		gx, g, y := tp.grad(x).Data, out.Grad.Data, out.Value.Data
		for i := range gx {
			if y[i] > 0 {
				gx[i] += g[i]
			}
		}
	})
	return out
}

// Sigmoid returns σ(x) = 1/(1+e⁻ˣ); dσ/dx = σ(1−σ).
func (tp *Tape[T]) Sigmoid(x *Var[T]) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	tensor.Sigmoid(out.Value, x.Value)
	tp.record(out, func() {
		gx, g, y := tp.grad(x).Data, out.Grad.Data, out.Value.Data
		for i := range gx {
			gx[i] += g[i] * y[i] * (1 - y[i])
		}
	})
	return out
}

// Tanh returns tanh(x); d tanh/dx = 1 − tanh².
func (tp *Tape[T]) Tanh(x *Var[T]) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	tensor.Tanh(out.Value, x.Value)
	tp.record(out, func() {
		gx, g, y := tp.grad(x).Data, out.Grad.Data, out.Value.Data
		for i := range gx {
			gx[i] += g[i] * (1 - y[i]*y[i])
		}
	})
	return out
}

// Exp returns eˣ elementwise.
func (tp *Tape[T]) Exp(x *Var[T]) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	tensor.Exp(out.Value, x.Value)
	tp.record(out, func() {
		gx, g, y := tp.grad(x).Data, out.Grad.Data, out.Value.Data
		for i := range gx {
			gx[i] += g[i] * y[i]
		}
	})
	return out
}

// Log returns the natural logarithm elementwise.
func (tp *Tape[T]) Log(x *Var[T]) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	tensor.Log(out.Value, x.Value)
	tp.record(out, func() {
		gx, g, v := tp.grad(x).Data, out.Grad.Data, x.Value.Data
		for i := range gx {
			gx[i] += g[i] / v[i]
		}
	})
	return out
}

// Softplus returns log(1+eˣ) elementwise, without overflow; its derivative
// is σ(x).
func (tp *Tape[T]) Softplus(x *Var[T]) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	tensor.Softplus(out.Value, x.Value)
	tp.record(out, func() {
		s := tp.scratch(x.Value.Shape)
		tensor.Sigmoid(s, x.Value)
		gx, g := tp.grad(x).Data, out.Grad.Data
		for i := range gx {
			gx[i] += g[i] * s.Data[i]
		}
	})
	return out
}

// Square returns x² elementwise.
func (tp *Tape[T]) Square(x *Var[T]) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	for i, v := range x.Value.Data {
		out.Value.Data[i] = v * v
	}
	tp.record(out, func() {
		gx, g, v := tp.grad(x).Data, out.Grad.Data, x.Value.Data
		for i := range gx {
			gx[i] += 2 * g[i] * v[i]
		}
	})
	return out
}

// Sum returns the sum of all elements as a scalar.
func (tp *Tape[T]) Sum(x *Var[T]) *Var[T] {
	out := tp.newVar([]int{}, x)
	out.Value.Data[0] = T(tensor.Sum(x.Value))
	tp.record(out, func() {
		g := out.Grad.Data[0]
		gx := tp.grad(x).Data
		for i := range gx {
			gx[i] += g
		}
	})
	return out
}

// Mean returns the mean of all elements as a scalar.
func (tp *Tape[T]) Mean(x *Var[T]) *Var[T] {
	return tp.Scale(tp.Sum(x), T(1/float64(max(1, x.Value.Len()))))
}

// SumSquares returns ‖x‖² = Σ xᵢ² as a scalar (the regularizer R(w)).
func (tp *Tape[T]) SumSquares(x *Var[T]) *Var[T] {
	out := tp.newVar([]int{}, x)
	out.Value.Data[0] = T(tensor.Dot(x.Value.Data, x.Value.Data))
	tp.record(out, func() {
		tensor.Axpy(2*out.Grad.Data[0], x.Value.Data, tp.grad(x).Data)
	})
	return out
}

// SumAxis returns the sums of x along axis, keeping that axis with size 1.
func (tp *Tape[T]) SumAxis(x *Var[T], axis int) *Var[T] {
	out := tp.newVar(tensor.ReducedShape(x.Value.Shape, axis), x)
	tensor.SumAxis(out.Value, x.Value, axis)
	tp.record(out, func() {
		// Broadcast the gradient back along axis.
		outer, n, inner := splitAxis(x.Value.Shape, axis)
		gx, g := tp.grad(x).Data, out.Grad.Data
		for o := 0; o < outer; o++ {
			src := g[o*inner : (o+1)*inner]
			for k := 0; k < n; k++ {
				tensor.Axpy(1, src, gx[(o*n+k)*inner:(o*n+k+1)*inner])
			}
		}
	})
	return out
}

// splitAxis returns the sizes before, along and after axis.
func splitAxis(shape []int, axis int) (outer, n, inner int) {
	if axis < 0 {
		axis += len(shape)
	}
	outer, inner = 1, 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	return outer, shape[axis], inner
}

// MeanAxis returns the means of x along axis, keeping that axis with size 1.
func (tp *Tape[T]) MeanAxis(x *Var[T], axis int) *Var[T] {
	n := x.Value.Dim(axis)
	return tp.Scale(tp.SumAxis(x, axis), T(1/float64(max(1, n))))
}

// Reshape returns x viewed with a new shape of the same size (one dimension
// may be −1).
func (tp *Tape[T]) Reshape(x *Var[T], shape ...int) *Var[T] {
	view := x.Value.Reshape(shape...)
	out := &Var[T]{Value: view, requiresGrad: x.requiresGrad && !tp.noGrad}
	tp.record(out, func() { tensor.Axpy(1, out.Grad.Data, tp.grad(x).Data) })
	return out
}

// LogSoftmax returns log softmax(x) along the last axis.
// With y = log softmax(x) and upstream gradient g: dx = g − softmax(x)·Σg.
func (tp *Tape[T]) LogSoftmax(x *Var[T]) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	tensor.LogSoftmax(out.Value, x.Value)
	tp.record(out, func() {
		cols := x.Value.Dim(-1)
		gx, g, y := tp.grad(x).Data, out.Grad.Data, out.Value.Data
		for r := 0; r < len(g); r += cols {
			var s T
			for _, v := range g[r : r+cols] {
				s += v
			}
			for i := r; i < r+cols; i++ {
				gx[i] += g[i] - T(math.Exp(float64(y[i])))*s
			}
		}
	})
	return out
}

// Softmax returns softmax(x) along the last axis.
// With y = softmax(x): dx = y ⊙ (g − Σ g⊙y).
func (tp *Tape[T]) Softmax(x *Var[T]) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	tensor.Softmax(out.Value, x.Value)
	tp.record(out, func() {
		cols := x.Value.Dim(-1)
		gx, g, y := tp.grad(x).Data, out.Grad.Data, out.Value.Data
		for r := 0; r < len(g); r += cols {
			var s T
			for i := r; i < r+cols; i++ {
				s += g[i] * y[i]
			}
			for i := r; i < r+cols; i++ {
				gx[i] += y[i] * (g[i] - s)
			}
		}
	})
	return out
}

// Gather returns the vector whose r-th entry is x[r, idx[r]] for a matrix x:
// each example's entry at its label.
func (tp *Tape[T]) Gather(x *Var[T], idx []int) *Var[T] {
	out := tp.newVar([]int{len(idx)}, x)
	tensor.Gather(out.Value.Data, x.Value, idx)
	tp.record(out, func() {
		cols := x.Value.Dim(-1)
		gx := tp.grad(x).Data
		for r, j := range idx {
			gx[r*cols+j] += out.Grad.Data[r]
		}
	})
	return out
}
