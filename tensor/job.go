package tensor

import (
	"github.com/descent-ml/descent/internal/parallel"
)

// A job is one call of a parallel kernel: its operands, and the range body
// handed to parallel.For. The body is the method value j.run, made once per
// job; a closure over the operands, made at every call, would cost one
// allocation per kernel call, and a training step makes hundreds. Jobs are
// recycled through a pool per element type, so the kernels allocate nothing
// once the pool is warm.
type job[T Float] struct {
	kind kernel
	op   binop     // kBinary, kBinaryRows
	un   unop      // kUnary
	f    func(T) T // kMap
	// d is the destination, a and b the operands.
	d, a, b []T
	// Row kernels: n rows of m elements (kBinaryRows, kSoftmax,
	// kLogSoftmax), or for kSumAxis, n values summed along the axis for
	// each of the m positions after it.
	n, m int

	body func(lo, hi int) // j.run
}

// kernel names the loop that a job runs.
type kernel uint8

const (
	kBinary     kernel = iota // d = a op b, elementwise
	kBinaryRows               // each row of m elements: d = a op b, b one row
	kUnary                    // d = un(a), elementwise
	kMap                      // d = f(a), elementwise
	kSumAxis                  // sums along an axis, one outer index per iteration
	kSoftmax                  // softmax of each row
	kLogSoftmax               // log softmax of each row
)

func (j *job[T]) init() { j.body = j.run }

// newJob returns a job of the given kind from the cache.
func newJob[T Float](kind kernel) *job[T] {
	j := cacheOf[job[T]]().Get()
	j.kind = kind
	return j
}

// parallelFor runs the job over [0, n) with parallel.For (ranges of at
// least grain iterations) and returns it to the cache.
func (j *job[T]) parallelFor(n, grain int) {
	parallel.For(n, grain, j.body)
	*j = job[T]{body: j.body} // drop the references to the operands
	cacheOf[job[T]]().Put(j)
}

// run is the range body of every kernel.
func (j *job[T]) run(lo, hi int) {
	switch j.kind {
	case kBinary:
		binSame(j.op, j.d[lo:hi], j.a[lo:hi], j.b[lo:hi])
	case kBinaryRows:
		m := j.m
		for r := lo; r < hi; r++ {
			binSame(j.op, j.d[r*m:(r+1)*m], j.a[r*m:(r+1)*m], j.b)
		}
	case kUnary:
		unary(j.un, j.d[lo:hi], j.a[lo:hi])
	case kMap:
		d, f := j.d[lo:hi], j.f
		for i, v := range j.a[lo:hi] {
			d[i] = f(v)
		}
	case kSumAxis:
		sumAxisRange(j.d, j.a, j.n, j.m, lo, hi)
	case kSoftmax:
		softmaxRows(j.d, j.a, j.m, lo, hi)
	case kLogSoftmax:
		logSoftmaxRows(j.d, j.a, j.m, lo, hi)
	}
}
