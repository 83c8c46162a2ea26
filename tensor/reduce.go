package tensor

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/internal/vec"
)

// Sum returns the sum of all elements, accumulated in float64 (for float32,
// by the vector kernel, in several partial sums).
func Sum[T Float](a *Tensor[T]) float64 {
	if x, ok := any(a.Data).([]float32); ok {
		return vec.Sum64(x)
	}
	var s float64
	for _, v := range a.Data {
		s += float64(v)
	}
	return s
}

// ReducedShape is the shape of a reduced along axis with keepdims semantics:
// the axis keeps size 1.
func ReducedShape(shape []int, axis int) []int {
	out := append([]int(nil), shape...)
	out[normAxis(shape, axis)] = 1
	return out
}

func normAxis(shape []int, axis int) int {
	if axis < 0 {
		axis += len(shape)
	}
	if axis < 0 || axis >= len(shape) {
		panic(fmt.Sprintf("tensor: axis %d out of range for shape %v", axis, shape))
	}
	return axis
}

// split returns the sizes before, along and after axis.
func split(shape []int, axis int) (outer, n, inner int) {
	axis = normAxis(shape, axis)
	outer, inner = 1, 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	return outer, shape[axis], inner
}

func checkReduced[T Float](name string, dst, a *Tensor[T], axis int) {
	_, n, _ := split(a.Shape, axis)
	if len(dst.Data)*n != len(a.Data) {
		panic(fmt.Sprintf("tensor.%s: destination shape %v cannot hold %v reduced along axis %d", name, dst.Shape, a.Shape, axis))
	}
}

// SumAxis stores in dst the sums of a along axis. dst has a's shape with that
// axis removed or kept as 1 (any shape with the right number of elements).
func SumAxis[T Float](dst, a *Tensor[T], axis int) {
	checkReduced("SumAxis", dst, a, axis)
	outer, n, inner := split(a.Shape, axis)
	j := newJob[T](kSumAxis)
	j.d, j.a, j.n, j.m = dst.Data, a.Data, n, inner
	j.parallelFor(outer, max(1, grain/(n*inner+1)))
}

// sumAxisRange stores in d the sums along the middle axis of a, viewed as
// outer × n × inner, for the outer indices [lo, hi).
func sumAxisRange[T Float](d, a []T, n, inner, lo, hi int) {
	for o := lo; o < hi; o++ {
		do := d[o*inner : (o+1)*inner]
		clear(do)
		for k := 0; k < n; k++ {
			row := a[(o*n+k)*inner : (o*n+k+1)*inner]
			for i, v := range row {
				do[i] += v
			}
		}
	}
}

// MaxAxis stores in dst the maxima of a along axis.
func MaxAxis[T Float](dst, a *Tensor[T], axis int) {
	checkReduced("MaxAxis", dst, a, axis)
	outer, n, inner := split(a.Shape, axis)
	for o := 0; o < outer; o++ {
		d := dst.Data[o*inner : (o+1)*inner]
		copy(d, a.Data[o*n*inner:(o*n+1)*inner])
		for k := 1; k < n; k++ {
			row := a.Data[(o*n+k)*inner : (o*n+k+1)*inner]
			for i, v := range row {
				d[i] = max(d[i], v)
			}
		}
	}
}

// ArgMaxRows returns, for each row of the matrix a (rows × cols), the index
// of its largest element (the first one on ties). It writes into idx, which
// must have one entry per row.
func ArgMaxRows[T Float](idx []int, a *Tensor[T]) {
	rows, cols := matrixDims("ArgMaxRows", a)
	if len(idx) != rows {
		panic(fmt.Sprintf("tensor.ArgMaxRows: %d indices for shape %v", len(idx), a.Shape))
	}
	for r := 0; r < rows; r++ {
		row := a.Data[r*cols : (r+1)*cols]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		idx[r] = best
	}
}

// matrixDims views a as rows × cols, cols being its last dimension.
func matrixDims[T Float](name string, a *Tensor[T]) (rows, cols int) {
	if len(a.Shape) == 0 {
		panic(fmt.Sprintf("tensor.%s: want at least 1 dimension, got shape %v", name, a.Shape))
	}
	cols = a.Shape[len(a.Shape)-1]
	if cols == 0 {
		return 0, 0
	}
	return len(a.Data) / cols, cols
}

// Softmax stores the softmax of a along its last axis in dst:
// exp(aᵢ − max a) / Σⱼ exp(aⱼ − max a), which cannot overflow.
func Softmax[T Float](dst, a *Tensor[T]) {
	checkSame("Softmax", dst, a)
	rows, cols := matrixDims("Softmax", a)
	j := newJob[T](kSoftmax)
	j.d, j.a, j.m = dst.Data, a.Data, cols
	j.parallelFor(rows, max(1, grain/(8*cols+1)))
}

// softmaxRows stores the softmax of rows [lo, hi) of a (cols columns) in
// dst: for float32 through vec.SoftmaxRow, whose sum takes float32
// exponentials (within 2 ulp) summed in float64.
func softmaxRows[T Float](dst, a []T, cols, lo, hi int) {
	if d32, ok := any(dst).([]float32); ok {
		a32 := any(a).([]float32)
		for r := lo; r < hi; r++ {
			vec.SoftmaxRow(d32[r*cols:(r+1)*cols], a32[r*cols:(r+1)*cols])
		}
		return
	}
	for r := lo; r < hi; r++ {
		x, y := a[r*cols:(r+1)*cols], dst[r*cols:(r+1)*cols]
		m := x[0]
		for _, v := range x {
			m = max(m, v)
		}
		var s float64
		for i, v := range x {
			e := math.Exp(float64(v - m))
			y[i] = T(e)
			s += e
		}
		inv := 1 / s
		for i := range y {
			y[i] = T(float64(y[i]) * inv)
		}
	}
}

// LogSoftmax stores log softmax(a) along the last axis in dst:
// aᵢ − max a − log Σⱼ exp(aⱼ − max a).
func LogSoftmax[T Float](dst, a *Tensor[T]) {
	checkSame("LogSoftmax", dst, a)
	rows, cols := matrixDims("LogSoftmax", a)
	j := newJob[T](kLogSoftmax)
	j.d, j.a, j.m = dst.Data, a.Data, cols
	j.parallelFor(rows, max(1, grain/(8*cols+1)))
}

// logSoftmaxRows stores log softmax of rows [lo, hi) of a (cols columns)
// in dst: for float32 through vec.LogSoftmaxRow, whose log-sum-exp takes
// float32 exponentials (within 2 ulp) summed in float64.
func logSoftmaxRows[T Float](dst, a []T, cols, lo, hi int) {
	if d32, ok := any(dst).([]float32); ok {
		a32 := any(a).([]float32)
		for r := lo; r < hi; r++ {
			vec.LogSoftmaxRow(d32[r*cols:(r+1)*cols], a32[r*cols:(r+1)*cols])
		}
		return
	}
	for r := lo; r < hi; r++ {
		x, y := a[r*cols:(r+1)*cols], dst[r*cols:(r+1)*cols]
		lse := logSumExp(x)
		for i, v := range x {
			y[i] = T(float64(v) - lse)
		}
	}
}

// logSumExp returns log Σ exp(xᵢ) in float64 without overflow.
func logSumExp[T Float](x []T) float64 {
	m := float64(x[0])
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

// Gather picks one element per row of the matrix a (rows × cols):
// dst[r] = a[r, idx[r]], the entry of each example's label. It panics when an
// index is outside [0, cols).
func Gather[T Float](dst []T, a *Tensor[T], idx []int) {
	rows, cols := matrixDims("Gather", a)
	if len(idx) != rows || len(dst) != rows {
		panic(fmt.Sprintf("tensor.Gather: %d indices and %d outputs for shape %v", len(idx), len(dst), a.Shape))
	}
	for r, j := range idx {
		if j < 0 || j >= cols {
			panic(fmt.Sprintf("tensor.Gather: index %d at row %d outside [0, %d) for shape %v", j, r, cols, a.Shape))
		}
		dst[r] = a.Data[r*cols+j]
	}
}

// MatMul stores op(a)·op(b) in dst for matrices a and b, where op transposes
// its argument when the matching flag is set. dst must be m×n for op(a) m×k
// and op(b) k×n.
func MatMul[T Float](dst, a, b *Tensor[T], transA, transB bool) {
	MatMulAcc(dst, a, b, transA, transB, 0)
}

// MatMulAcc stores op(a)·op(b) + beta·dst in dst (beta = 1 accumulates).
func MatMulAcc[T Float](dst, a, b *Tensor[T], transA, transB bool, beta T) {
	if len(a.Shape) != 2 || len(b.Shape) != 2 || len(dst.Shape) != 2 {
		panic(fmt.Sprintf("tensor.MatMul: want matrices, got shapes %v, %v -> %v", a.Shape, b.Shape, dst.Shape))
	}
	m, k := a.Shape[0], a.Shape[1]
	if transA {
		m, k = k, m
	}
	k2, n := b.Shape[0], b.Shape[1]
	if transB {
		k2, n = n, k2
	}
	if k != k2 || dst.Shape[0] != m || dst.Shape[1] != n {
		panic(fmt.Sprintf("tensor.MatMul: shapes %v%s × %v%s do not give %v", a.Shape, tmark(transA), b.Shape, tmark(transB), dst.Shape))
	}
	Gemm(transA, transB, m, n, k, 1, a.Data, a.Shape[1], b.Data, b.Shape[1], beta, dst.Data, n)
}

func tmark(t bool) string {
	if t {
		return "ᵀ"
	}
	return ""
}
