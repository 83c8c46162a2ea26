package autograd

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/internal/vec"
	"github.com/descent-ml/descent/tensor"
)

// broadcastOut appends the broadcast shape of a and b to dst, or panics
// naming op and both shapes.
func broadcastOut[T Float](op string, dst []int, a, b *Var[T]) []int {
	s, err := tensor.AppendBroadcastShape(dst, a.Value.Shape, b.Value.Shape)
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
	tmp := tp.scratch(v.Value.Shape...)
	tensor.SumTo(tmp, g)
	tensor.Axpy(1, tmp.Data, dst.Data)
}

// Add returns a + b with broadcasting.
func (tp *Tape[T]) Add(a, b *Var[T]) *Var[T] {
	var shape [maxDims]int
	out := tp.newVar(broadcastOut("Add", shape[:0], a, b), a, b)
	tensor.Add(out.Value, a.Value, b.Value)
	tp.record(opAdd, out, a, b)
	return out
}

// Sub returns a − b with broadcasting.
func (tp *Tape[T]) Sub(a, b *Var[T]) *Var[T] {
	var shape [maxDims]int
	out := tp.newVar(broadcastOut("Sub", shape[:0], a, b), a, b)
	tensor.Sub(out.Value, a.Value, b.Value)
	tp.record(opSub, out, a, b)
	return out
}

// addBackward is the step of Add and Sub: da += g and db += ±g, each summed
// over the dimensions its operand was broadcast along.
func (tp *Tape[T]) addBackward(n *node[T]) {
	a, b, g := n.a, n.b, n.out.Grad
	if a.requiresGrad {
		tp.accumulateTo(a, g)
	}
	if b.requiresGrad {
		if n.op == opSub {
			neg := tp.scratch(g.Shape...)
			tensor.Scale(neg, g, -1)
			g = neg
		}
		tp.accumulateTo(b, g)
	}
}

// Mul returns a ⊙ b (elementwise) with broadcasting.
func (tp *Tape[T]) Mul(a, b *Var[T]) *Var[T] {
	var shape [maxDims]int
	out := tp.newVar(broadcastOut("Mul", shape[:0], a, b), a, b)
	tensor.Mul(out.Value, a.Value, b.Value)
	tp.record(opMul, out, a, b)
	return out
}

// mulBackward: da += g ⊙ b, db += g ⊙ a.
func (tp *Tape[T]) mulBackward(n *node[T]) {
	a, b, g := n.a, n.b, n.out.Grad
	tmp := tp.scratch(g.Shape...)
	if a.requiresGrad {
		tensor.Mul(tmp, g, b.Value)
		tp.accumulateTo(a, tmp)
	}
	if b.requiresGrad {
		tensor.Mul(tmp, g, a.Value)
		tp.accumulateTo(b, tmp)
	}
}

// Div returns a ⊘ b (elementwise) with broadcasting.
func (tp *Tape[T]) Div(a, b *Var[T]) *Var[T] {
	var shape [maxDims]int
	out := tp.newVar(broadcastOut("Div", shape[:0], a, b), a, b)
	tensor.Div(out.Value, a.Value, b.Value)
	tp.record(opDiv, out, a, b)
	return out
}

// divBackward: da += g ⊘ b, db += −g ⊙ out ⊘ b.
func (tp *Tape[T]) divBackward(n *node[T]) {
	a, b, g := n.a, n.b, n.out.Grad
	tmp := tp.scratch(g.Shape...)
	if a.requiresGrad {
		tensor.Div(tmp, g, b.Value)
		tp.accumulateTo(a, tmp)
	}
	if b.requiresGrad {
		// d(a/b)/db = −(a/b)/b = −out/b.
		tensor.Mul(tmp, g, n.out.Value)
		tensor.Div(tmp, tmp, b.Value)
		tensor.Scale(tmp, tmp, -1)
		tp.accumulateTo(b, tmp)
	}
}

// Scale returns c·x for a constant c.
func (tp *Tape[T]) Scale(x *Var[T], c T) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	tensor.Scale(out.Value, x.Value, c)
	if n := tp.record(opScale, out, x); n != nil {
		n.k = c
	}
	return out
}

// AddScalar returns x + c for a constant c.
func (tp *Tape[T]) AddScalar(x *Var[T], c T) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	for i, v := range x.Value.Data {
		out.Value.Data[i] = v + c
	}
	if n := tp.record(opAddScalar, out, x); n != nil {
		n.k = 1
	}
	return out
}

// scaleBackward is the step of Scale, and of AddScalar and Reshape with
// k = 1: dx += k·g.
func (tp *Tape[T]) scaleBackward(n *node[T]) {
	tensor.Axpy(n.k, n.out.Grad.Data, tp.grad(n.a).Data)
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
	if nd := tp.record(opMatMul, out, a, b); nd != nil {
		nd.transA, nd.transB = transA, transB
	}
	return out
}

func (tp *Tape[T]) matMulBackward(n *node[T]) {
	a, b, g := n.a, n.b, n.out.Grad
	transA, transB := n.transA, n.transB
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
	out := tp.newVar([]int{rows, nOut}, x, w, b)
	y := out.Value
	if b != nil {
		for r := 0; r < rows; r++ {
			copy(y.Data[r*nOut:(r+1)*nOut], b.Value.Data)
		}
		tensor.MatMulAcc(y, x.Value, w.Value, false, true, 1)
	} else {
		tensor.MatMul(y, x.Value, w.Value, false, true)
	}
	tp.record(opLinear, out, x, w, b)
	return out
}

// linearBackward: dx += G·w, dw += Gᵀ·x, db += the column sums of G.
func (tp *Tape[T]) linearBackward(n *node[T]) {
	x, w, b, g := n.a, n.b, n.c, n.out.Grad
	if x.requiresGrad {
		tensor.MatMulAcc(tp.grad(x), g, w.Value, false, false, 1)
	}
	if w.requiresGrad {
		tensor.MatMulAcc(tp.grad(w), g, x.Value, true, false, 1)
	}
	if b != nil && b.requiresGrad {
		db := tp.grad(b).Data
		nOut := len(db)
		for r := 0; r < len(g.Data); r += nOut {
			tensor.Axpy(1, g.Data[r:r+nOut], db)
		}
	}
}

// ReLU returns max(x, 0) elementwise; its derivative is taken as 0 at 0.
func (tp *Tape[T]) ReLU(x *Var[T]) *Var[T] { return tp.elementwise(opReLU, x) }

// Sigmoid returns σ(x) = 1/(1+e⁻ˣ); dσ/dx = σ(1−σ).
func (tp *Tape[T]) Sigmoid(x *Var[T]) *Var[T] { return tp.elementwise(opSigmoid, x) }

// Tanh returns tanh(x); d tanh/dx = 1 − tanh².
func (tp *Tape[T]) Tanh(x *Var[T]) *Var[T] { return tp.elementwise(opTanh, x) }

// Exp returns eˣ elementwise.
func (tp *Tape[T]) Exp(x *Var[T]) *Var[T] { return tp.elementwise(opExp, x) }

// Log returns the natural logarithm elementwise.
func (tp *Tape[T]) Log(x *Var[T]) *Var[T] { return tp.elementwise(opLog, x) }

// Softplus returns log(1+eˣ) elementwise, without overflow; its derivative
// is σ(x).
func (tp *Tape[T]) Softplus(x *Var[T]) *Var[T] { return tp.elementwise(opSoftplus, x) }

// Square returns x² elementwise.
func (tp *Tape[T]) Square(x *Var[T]) *Var[T] { return tp.elementwise(opSquare, x) }

// elementwise returns f(x) for the elementwise function f of op.
func (tp *Tape[T]) elementwise(op op, x *Var[T]) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	y := out.Value
	switch op {
	case opReLU:
		tensor.ReLU(y, x.Value)
	case opSigmoid:
		tensor.Sigmoid(y, x.Value)
	case opTanh:
		tensor.Tanh(y, x.Value)
	case opExp:
		tensor.Exp(y, x.Value)
	case opLog:
		tensor.Log(y, x.Value)
	case opSoftplus:
		tensor.Softplus(y, x.Value)
	case opSquare:
		tensor.Mul(y, x.Value, x.Value)
	}
	tp.record(op, out, x)
	return out
}

// elementwiseGrain is the least number of elements per range of the
// parallel backward loop of the elementwise functions.
const elementwiseGrain = 1 << 15

// elementwiseBackward: dx += g ⊙ f′(x), in parallel over ranges of elements.
func (tp *Tape[T]) elementwiseBackward(n *node[T]) {
	l := &tp.loops.elementwise
	*l = elementwiseBackLoop[T]{op: n.op, dx: tp.grad(n.a).Data, g: n.out.Grad.Data, x: n.a.Value.Data, y: n.out.Value.Data}
	tp.parallel(len(l.dx), elementwiseGrain, l)
}

// elementwiseBackLoop adds g ⊙ f′(x) to dx for the elementwise function f
// of op, given x and y = f(x).
type elementwiseBackLoop[T Float] struct {
	op          op
	dx, g, x, y []T
}

func (l *elementwiseBackLoop[T]) run(lo, hi int) {
	dx, g, x, y := l.dx[lo:hi], l.g[lo:hi], l.x[lo:hi], l.y[lo:hi]
	switch l.op {
	case opReLU: // 1 where y > 0
		reluBackward(dx, g, y)
	case opSigmoid: // σ(1−σ)
		if d, ok := any(dx).([]float32); ok {
			vec.SigmoidBackward(d, any(g).([]float32), any(y).([]float32))
			return
		}
		for i, v := range y {
			dx[i] += g[i] * v * (1 - v)
		}
	case opTanh: // 1 − tanh²
		if d, ok := any(dx).([]float32); ok {
			vec.TanhBackward(d, any(g).([]float32), any(y).([]float32))
			return
		}
		for i, v := range y {
			dx[i] += g[i] * (1 - v*v)
		}
	case opExp: // eˣ
		if d, ok := any(dx).([]float32); ok {
			vec.MulAdd(d, any(g).([]float32), any(y).([]float32))
			return
		}
		for i, v := range y {
			dx[i] += g[i] * v
		}
	case opLog: // 1/x
		if d, ok := any(dx).([]float32); ok {
			vec.DivAdd(d, any(g).([]float32), any(x).([]float32))
			return
		}
		for i, v := range x {
			dx[i] += g[i] / v
		}
	case opSoftplus: // σ(x)
		if d, ok := any(dx).([]float32); ok {
			vec.SoftplusBackward(d, any(g).([]float32), any(x).([]float32))
			return
		}
		for i, v := range x {
			dx[i] += g[i] * T(sigmoid(float64(v)))
		}
	case opSquare: // 2x
		for i, v := range x {
			dx[i] += 2 * g[i] * v
		}
	}
}

// reluBackward adds g to dx where y > 0. It adds g or +0, chosen by a bit
// mask, rather than branching: the signs of a layer's outputs are
// unpredictable, and the mispredicted branches made the loop five times
// slower.
func reluBackward[T Float](dx, g, y []T) {
	g, y = g[:len(dx)], y[:len(dx)]
	switch d := any(dx).(type) {
	case []float32:
		vec.ReLUBackward(d, any(g).([]float32), any(y).([]float32))
	case []float64:
		g := any(g).([]float64)
		for i, v := range y {
			var m uint64
			if v > 0 {
				m = ^uint64(0)
			}
			d[i] += math.Float64frombits(math.Float64bits(g[i]) & m)
		}
	default: // a named float type
		for i, v := range y {
			if v > 0 {
				dx[i] += g[i]
			}
		}
	}
}

// sum returns Σ x, through the vector kernel for float32.
func sum[T Float](x []T) T {
	if x32, ok := any(x).([]float32); ok {
		return T(vec.Sum(x32))
	}
	var s T
	for _, v := range x {
		s += v
	}
	return s
}

// Sum returns the sum of all elements as a scalar.
func (tp *Tape[T]) Sum(x *Var[T]) *Var[T] {
	out := tp.newVar(nil, x)
	out.Value.Data[0] = T(tensor.Sum(x.Value))
	tp.record(opSum, out, x)
	return out
}

// sumBackward: dx += g, the same for every element.
func (tp *Tape[T]) sumBackward(n *node[T]) {
	l := &tp.loops.addConst
	dx, fresh := tp.gradFresh(n.a)
	*l = addConstLoop[T]{dx: dx.Data, c: n.out.Grad.Data[0], set: fresh}
	tp.parallel(len(l.dx), elementwiseGrain, l)
}

// addConstLoop adds c to every element of dx (Sum's backward), in ranges,
// or sets them to c when dx is a fresh gradient.
type addConstLoop[T Float] struct {
	dx  []T
	c   T
	set bool
}

func (l *addConstLoop[T]) run(lo, hi int) {
	dx, c := l.dx[lo:hi], l.c
	if l.set {
		for i := range dx {
			dx[i] = c
		}
		return
	}
	for i := range dx {
		dx[i] += c
	}
}

// Mean returns the mean of all elements as a scalar.
func (tp *Tape[T]) Mean(x *Var[T]) *Var[T] {
	return tp.Scale(tp.Sum(x), T(1/float64(max(1, x.Value.Len()))))
}

// SumSquares returns ‖x‖² = Σ xᵢ² as a scalar (the regularizer R(w)).
func (tp *Tape[T]) SumSquares(x *Var[T]) *Var[T] {
	out := tp.newVar(nil, x)
	out.Value.Data[0] = T(tensor.Dot(x.Value.Data, x.Value.Data))
	tp.record(opSumSquares, out, x)
	return out
}

// sumSquaresBackward: dx += 2g·x.
func (tp *Tape[T]) sumSquaresBackward(n *node[T]) {
	x := n.a
	tensor.Axpy(2*n.out.Grad.Data[0], x.Value.Data, tp.grad(x).Data)
}

// SumAxis returns the sums of x along axis, keeping that axis with size 1.
func (tp *Tape[T]) SumAxis(x *Var[T], axis int) *Var[T] {
	xs := x.Value.Shape
	if axis < -len(xs) || axis >= len(xs) {
		panic(fmt.Sprintf("autograd.SumAxis: axis %d out of range for shape %v", axis, xs))
	}
	var shape [maxDims]int
	s := append(shape[:0], xs...)
	s[(axis+len(xs))%len(xs)] = 1
	out := tp.newVar(s, x)
	tensor.SumAxis(out.Value, x.Value, axis)
	if n := tp.record(opSumAxis, out, x); n != nil {
		n.axis = axis
	}
	return out
}

// sumAxisBackward broadcasts the gradient back along the axis.
func (tp *Tape[T]) sumAxisBackward(n *node[T]) {
	x := n.a
	outer, size, inner := splitAxis(x.Value.Shape, n.axis)
	gx, g := tp.grad(x).Data, n.out.Grad.Data
	for o := 0; o < outer; o++ {
		src := g[o*inner : (o+1)*inner]
		for k := 0; k < size; k++ {
			tensor.Axpy(1, src, gx[(o*size+k)*inner:(o*size+k+1)*inner])
		}
	}
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
	out := tp.arena.vars.next()
	out.Value = tp.arena.header()
	x.Value.ReshapeInto(out.Value, shape...)
	out.requiresGrad = x.requiresGrad && !tp.noGrad
	if n := tp.record(opReshape, out, x); n != nil {
		n.k = 1 // the gradient passes through (scaleBackward)
	}
	return out
}

// LogSoftmax returns log softmax(x) along the last axis.
// With y = log softmax(x) and upstream gradient g: dx = g − softmax(x)·Σg.
func (tp *Tape[T]) LogSoftmax(x *Var[T]) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	tensor.LogSoftmax(out.Value, x.Value)
	tp.record(opLogSoftmax, out, x)
	return out
}

// logSoftmaxBackward: dx += g − softmax(x)·Σg, row by row, the rows in
// parallel.
func (tp *Tape[T]) logSoftmaxBackward(n *node[T]) { tp.softmaxRowsBackward(n, true) }

// Softmax returns softmax(x) along the last axis.
// With y = softmax(x): dx = y ⊙ (g − Σ g⊙y).
func (tp *Tape[T]) Softmax(x *Var[T]) *Var[T] {
	out := tp.newVar(x.Value.Shape, x)
	tensor.Softmax(out.Value, x.Value)
	tp.record(opSoftmax, out, x)
	return out
}

// softmaxBackward: dx += y ⊙ (g − Σ g⊙y), row by row, the rows in
// parallel.
func (tp *Tape[T]) softmaxBackward(n *node[T]) { tp.softmaxRowsBackward(n, false) }

// softmaxRowsBackward runs the backward of Softmax (log false) or
// LogSoftmax (log true) over the rows of n's output in parallel.
func (tp *Tape[T]) softmaxRowsBackward(n *node[T], log bool) {
	cols := n.a.Value.Dim(-1)
	l := &tp.loops.softmaxBack
	*l = softmaxBackLoop[T]{gx: tp.grad(n.a).Data, g: n.out.Grad.Data, y: n.out.Value.Data, cols: cols, log: log}
	tp.parallel(len(l.g)/max(1, cols), max(1, elementwiseGrain/max(1, 8*cols)), l)
}

// softmaxBackLoop is the softmax backwards' loop over rows: for float32
// through vec.SoftmaxRowBackward and vec.LogSoftmaxRowBackward (the sums in
// float64).
type softmaxBackLoop[T Float] struct {
	gx, g, y []T
	cols     int
	log      bool
}

func (l *softmaxBackLoop[T]) run(lo, hi int) {
	cols := l.cols
	gx, g, y := l.gx[lo*cols:hi*cols], l.g[lo*cols:hi*cols], l.y[lo*cols:hi*cols]
	if gx32, ok := any(gx).([]float32); ok {
		g32, y32 := any(g).([]float32), any(y).([]float32)
		for r := 0; r < len(g); r += cols {
			if l.log {
				vec.LogSoftmaxRowBackward(gx32[r:r+cols], g32[r:r+cols], y32[r:r+cols])
			} else {
				vec.SoftmaxRowBackward(gx32[r:r+cols], g32[r:r+cols], y32[r:r+cols])
			}
		}
		return
	}
	for r := 0; r < len(g); r += cols {
		var s T
		if l.log {
			for _, v := range g[r : r+cols] {
				s += v
			}
			for i := r; i < r+cols; i++ {
				gx[i] += g[i] - T(math.Exp(float64(y[i])))*s
			}
			continue
		}
		for i := r; i < r+cols; i++ {
			s += g[i] * y[i]
		}
		for i := r; i < r+cols; i++ {
			gx[i] += y[i] * (g[i] - s)
		}
	}
}

// Gather returns the vector whose r-th entry is x[r, idx[r]] for a matrix x:
// each example's entry at its label. idx is read again by Backward.
func (tp *Tape[T]) Gather(x *Var[T], idx []int) *Var[T] {
	out := tp.newVar([]int{len(idx)}, x)
	tensor.Gather(out.Value.Data, x.Value, idx)
	if n := tp.record(opGather, out, x); n != nil {
		n.ints = idx
	}
	return out
}

// gatherBackward: dx[r, idx[r]] += g[r].
func (tp *Tape[T]) gatherBackward(n *node[T]) {
	x := n.a
	cols := x.Value.Dim(-1)
	gx, g := tp.grad(x).Data, n.out.Grad.Data
	for r, j := range n.ints {
		gx[r*cols+j] += g[r]
	}
}
