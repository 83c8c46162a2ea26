package tensor

import (
	"fmt"
	"math"
	"slices"

	"github.com/descent-ml/descent/internal/vec"
)

// grain is the number of elements below which elementwise kernels run on one
// core: below it, handing work to another goroutine costs more than it saves.
const grain = 1 << 15

// BroadcastShape returns the shape that a and b broadcast to under NumPy's
// rules (align trailing dimensions; a dimension of 1 stretches), or an error
// naming both shapes when they are incompatible.
func BroadcastShape(a, b []int) ([]int, error) {
	s, err := AppendBroadcastShape(make([]int, 0, max(len(a), len(b))), a, b)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// AppendBroadcastShape appends the shape that a and b broadcast to to dst and
// returns the extended slice, or dst and an error as BroadcastShape; with
// room in dst it allocates nothing.
func AppendBroadcastShape(dst, a, b []int) ([]int, error) {
	n, n0 := max(len(a), len(b)), len(dst)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			dst = append(dst, da)
		case da == 1:
			dst = append(dst, db)
		default:
			return dst[:n0], fmt.Errorf("shapes %v and %v do not broadcast (dimension %d: %d vs %d)", slices.Clone(a), slices.Clone(b), i, da, db)
		}
	}
	return dst, nil
}

// maxDims is the number of dimensions up to which the kernels keep their
// index bookkeeping on the stack.
const maxDims = 8

// scratchInts returns n zeroed ints, in buf when they fit.
func scratchInts(buf []int, n int) []int {
	if n > len(buf) {
		return make([]int, n)
	}
	clear(buf[:n])
	return buf[:n]
}

// broadcastStrides stores in st, for an operand of the given shape
// broadcast into out, the stride of each output dimension in the operand
// (0 where it stretches). st has len(out) entries.
func broadcastStrides(st, shape, out []int) {
	s := 1
	for i := len(out) - 1; i >= 0; i-- {
		j := len(shape) - len(out) + i
		if j < 0 || shape[j] == 1 {
			st[i] = 0
		} else {
			st[i] = s
		}
		if j >= 0 {
			s *= shape[j]
		}
	}
}

type binop int

const (
	opAdd binop = iota
	opSub
	opMul
	opDiv
)

func (op binop) String() string { return [...]string{"Add", "Sub", "Mul", "Div"}[op] }

// Add stores a + b in dst, broadcasting a and b to dst's shape.
func Add[T Float](dst, a, b *Tensor[T]) { binary(opAdd, dst, a, b) }

// Sub stores a − b in dst, broadcasting a and b to dst's shape.
func Sub[T Float](dst, a, b *Tensor[T]) { binary(opSub, dst, a, b) }

// Mul stores a ⊙ b (elementwise) in dst, broadcasting a and b to dst's shape.
func Mul[T Float](dst, a, b *Tensor[T]) { binary(opMul, dst, a, b) }

// Div stores a ⊘ b (elementwise) in dst, broadcasting a and b to dst's shape.
func Div[T Float](dst, a, b *Tensor[T]) { binary(opDiv, dst, a, b) }

func binary[T Float](op binop, dst, a, b *Tensor[T]) {
	var buf [maxDims]int
	out, err := AppendBroadcastShape(buf[:0], a.Shape, b.Shape)
	if err != nil {
		panic("tensor." + op.String() + ": " + err.Error())
	}
	if !SameShape(out, dst.Shape) {
		panic(fmt.Sprintf("tensor.%s: destination shape %v, want %v for operands %v and %v", op, dst.Shape, slices.Clone(out), a.Shape, b.Shape))
	}
	n := len(dst.Data)
	switch {
	case len(a.Data) == n && len(b.Data) == n:
		j := newJob[T](kBinary)
		j.op, j.d, j.a, j.b = op, dst.Data, a.Data, b.Data
		j.parallelFor(n, grain)
		return
	case len(a.Data) == n && len(b.Data) > 0 && n%len(b.Data) == 0 && isSuffix(b.Shape, out):
		// b repeats along the leading dimensions: a row vector added to each row.
		m := len(b.Data)
		j := newJob[T](kBinaryRows)
		j.op, j.d, j.a, j.b, j.m = op, dst.Data, a.Data, b.Data, m
		j.parallelFor(n/m, max(1, grain/m))
		return
	}
	binGeneral(op, dst, a, b)
}

// isSuffix reports whether shape equals the trailing dimensions of out,
// ignoring leading ones in shape.
func isSuffix(shape, out []int) bool {
	for len(shape) > 0 && shape[0] == 1 {
		shape = shape[1:]
	}
	if len(shape) > len(out) {
		return false
	}
	return SameShape(shape, out[len(out)-len(shape):])
}

func binSame[T Float](op binop, d, a, b []T) {
	b = b[:len(d)]
	a = a[:len(d)]
	switch op {
	case opAdd:
		for i := range d {
			d[i] = a[i] + b[i]
		}
	case opSub:
		for i := range d {
			d[i] = a[i] - b[i]
		}
	case opMul:
		for i := range d {
			d[i] = a[i] * b[i]
		}
	case opDiv:
		for i := range d {
			d[i] = a[i] / b[i]
		}
	}
}

func apply[T Float](op binop, x, y T) T {
	switch op {
	case opAdd:
		return x + y
	case opSub:
		return x - y
	case opMul:
		return x * y
	default:
		return x / y
	}
}

// binGeneral walks the output with an odometer over all but the last
// dimension and a strided inner loop.
func binGeneral[T Float](op binop, dst, a, b *Tensor[T]) {
	out := dst.Shape
	if len(out) == 0 {
		dst.Data[0] = apply(op, a.Data[0], b.Data[0])
		return
	}
	var buf [3 * maxDims]int
	ints := scratchInts(buf[:], 3*len(out))
	sa, sb, idx := ints[:len(out)], ints[len(out):2*len(out)], ints[2*len(out):]
	broadcastStrides(sa, a.Shape, out)
	broadcastStrides(sb, b.Shape, out)
	last := len(out) - 1
	inner := out[last]
	ia, ib := 0, 0
	for o := 0; o < len(dst.Data); o += inner {
		ja, jb := ia, ib
		for k := 0; k < inner; k++ {
			dst.Data[o+k] = apply(op, a.Data[ja], b.Data[jb])
			ja += sa[last]
			jb += sb[last]
		}
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			ia += sa[d]
			ib += sb[d]
			if idx[d] < out[d] {
				break
			}
			ia -= sa[d] * out[d]
			ib -= sb[d] * out[d]
			idx[d] = 0
		}
	}
}

// SumTo reduces src by summation to dst's shape, the inverse of
// broadcasting: dst's shape must broadcast to src's. It is the gradient of
// a broadcast.
func SumTo[T Float](dst, src *Tensor[T]) {
	var buf [maxDims]int
	out, err := AppendBroadcastShape(buf[:0], dst.Shape, src.Shape)
	if err != nil || !SameShape(out, src.Shape) {
		panic(fmt.Sprintf("tensor.SumTo: shape %v does not broadcast to %v", dst.Shape, src.Shape))
	}
	if len(dst.Data) == len(src.Data) {
		copy(dst.Data, src.Data)
		return
	}
	dst.Zero()
	if len(src.Data) == 0 {
		return
	}
	if isSuffix(dst.Shape, src.Shape) {
		m := len(dst.Data)
		for r := 0; r < len(src.Data); r += m {
			row := src.Data[r : r+m]
			for i, v := range row {
				dst.Data[i] += v
			}
		}
		return
	}
	var sbuf [2 * maxDims]int
	ints := scratchInts(sbuf[:], 2*len(src.Shape))
	sd, idx := ints[:len(src.Shape)], ints[len(src.Shape):]
	broadcastStrides(sd, dst.Shape, src.Shape)
	j := 0
	for i := range src.Data {
		dst.Data[j] += src.Data[i]
		for d := len(src.Shape) - 1; d >= 0; d-- {
			idx[d]++
			j += sd[d]
			if idx[d] < src.Shape[d] {
				break
			}
			j -= sd[d] * src.Shape[d]
			idx[d] = 0
		}
	}
}

func checkSame[T Float](name string, dst, a *Tensor[T]) {
	if len(dst.Data) != len(a.Data) {
		panic(fmt.Sprintf("tensor.%s: destination shape %v, source shape %v", name, dst.Shape, a.Shape))
	}
}

// Scale stores s·a in dst.
func Scale[T Float](dst, a *Tensor[T], s T) {
	checkSame("Scale", dst, a)
	d, x := dst.Data, a.Data
	for i := range d {
		d[i] = s * x[i]
	}
}

// Axpy adds alpha·x to y in place (y += alpha·x).
func Axpy[T Float](alpha T, x, y []T) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("tensor.Axpy: lengths %d and %d differ", len(x), len(y)))
	}
	if y32, ok := any(y).([]float32); ok {
		vec.Axpy(float32(alpha), any(x).([]float32), y32)
		return
	}
	for i := range y {
		y[i] += alpha * x[i]
	}
}

// Dot returns Σ xᵢyᵢ, accumulated in float64.
func Dot[T Float](x, y []T) float64 {
	if len(x) != len(y) {
		panic(fmt.Sprintf("tensor.Dot: lengths %d and %d differ", len(x), len(y)))
	}
	var s float64
	for i := range x {
		s += float64(x[i]) * float64(y[i])
	}
	return s
}

// Map stores f(a) elementwise in dst. It is the general, slower path; the
// named activations below are specialized loops.
func Map[T Float](dst, a *Tensor[T], f func(T) T) {
	checkSame("Map", dst, a)
	j := newJob[T](kMap)
	j.d, j.a, j.f = dst.Data, a.Data, f
	j.parallelFor(len(a.Data), grain/8)
}

// unop names an elementwise function of the unary kernels.
type unop uint8

const (
	uReLU unop = iota
	uSigmoid
	uTanh
	uExp
	uLog
	uSoftplus
)

// unaryGrain is the parallel grain of each unary function: the cheap ReLU
// is memory-bound, the others cost a transcendental function per element.
var unaryGrain = [...]int{uReLU: grain, uSigmoid: grain / 8, uTanh: grain / 8, uExp: grain / 8, uLog: grain / 8, uSoftplus: grain / 8}

// unaryOp stores un(a) in dst, in parallel.
func unaryOp[T Float](name string, un unop, dst, a *Tensor[T]) {
	checkSame(name, dst, a)
	j := newJob[T](kUnary)
	j.un, j.d, j.a = un, dst.Data, a.Data
	j.parallelFor(len(a.Data), unaryGrain[un])
}

// unary stores un(a) in d; a and d have the same length.
func unary[T Float](un unop, d, a []T) {
	d = d[:len(a)]
	switch un {
	case uReLU:
		if d32, ok := any(d).([]float32); ok {
			vec.ReLU(d32, any(a).([]float32))
			return
		}
		for i, v := range a {
			d[i] = max(v, 0)
		}
	case uSigmoid:
		if d32, ok := any(d).([]float32); ok {
			vec.Sigmoid(d32, any(a).([]float32))
			return
		}
		for i, v := range a {
			d[i] = sigmoid(v)
		}
	case uTanh:
		if d32, ok := any(d).([]float32); ok {
			vec.Tanh(d32, any(a).([]float32))
			return
		}
		for i, v := range a {
			d[i] = T(math.Tanh(float64(v)))
		}
	case uExp:
		if d32, ok := any(d).([]float32); ok {
			vec.Exp(d32, any(a).([]float32))
			return
		}
		for i, v := range a {
			d[i] = T(math.Exp(float64(v)))
		}
	case uLog:
		if d32, ok := any(d).([]float32); ok {
			vec.Log(d32, any(a).([]float32))
			return
		}
		for i, v := range a {
			d[i] = T(math.Log(float64(v)))
		}
	case uSoftplus:
		if d32, ok := any(d).([]float32); ok {
			vec.Softplus(d32, any(a).([]float32))
			return
		}
		for i, v := range a {
			d[i] = softplus(v)
		}
	}
}

// ReLU stores max(a, 0) in dst.
func ReLU[T Float](dst, a *Tensor[T]) { unaryOp("ReLU", uReLU, dst, a) }

// Sigmoid stores 1/(1+exp(−a)) in dst, computed without overflow.
func Sigmoid[T Float](dst, a *Tensor[T]) { unaryOp("Sigmoid", uSigmoid, dst, a) }

func sigmoid[T Float](v T) T {
	if v >= 0 {
		return T(1 / (1 + math.Exp(-float64(v))))
	}
	e := math.Exp(float64(v))
	return T(e / (1 + e))
}

// Tanh stores tanh(a) in dst.
func Tanh[T Float](dst, a *Tensor[T]) { unaryOp("Tanh", uTanh, dst, a) }

// Exp stores exp(a) in dst.
func Exp[T Float](dst, a *Tensor[T]) { unaryOp("Exp", uExp, dst, a) }

// Log stores the natural logarithm of a in dst.
func Log[T Float](dst, a *Tensor[T]) { unaryOp("Log", uLog, dst, a) }

// Softplus stores log(1+exp(a)) in dst, computed without overflow.
func Softplus[T Float](dst, a *Tensor[T]) { unaryOp("Softplus", uSoftplus, dst, a) }

func softplus[T Float](v T) T {
	x := float64(v)
	if x > 0 {
		return T(x + math.Log1p(math.Exp(-x)))
	}
	return T(math.Log1p(math.Exp(x)))
}
