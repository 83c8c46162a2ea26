package linear

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/internal/parallel"
	"github.com/descent-ml/descent/optim"
)

// Objective is the regularized training objective of a problem,
//
//	E(w, b) = 1/N Σᵢ ℓ(yᵢ, w·xᵢ + b) + λ/2 ‖w‖²,
//
// as a function of one flat vector x = [W, B] (the layout of [Model]: Dim·K
// weights, feature-major, then K biases), for the full-batch methods of
// package optim. Eval splits the examples across the cores; it keeps its
// work buffers, so after the first call it does not allocate. An Objective
// is not safe for concurrent use.
type Objective struct {
	p       *Problem
	loss    Loss
	lambda  float64
	dim, k  int
	parts   [][]float64 // gradient of each block but the first (which uses grad)
	scratch [][]float64 // scores of one example, per block
	sums    []float64   // loss of each block

	// The arguments of the Eval in progress, and the loop bodies over them
	// as method values made once, so that Eval does not allocate.
	x, grad           []float64
	blockFn, reduceFn func(lo, hi int)
}

var _ optim.Function[float64] = (*Objective)(nil)

// NewObjective returns the objective of p with the given loss and λ ≥ 0.
func NewObjective(p *Problem, loss Loss, lambda float64) (*Objective, error) {
	m, err := NewModel(loss, p.Classes, p.X.Cols)
	if err != nil {
		return nil, err
	}
	if !(lambda >= 0) || math.IsInf(lambda, 0) {
		return nil, fmt.Errorf("linear: λ = %v, want a finite number ≥ 0", lambda)
	}
	blocks := min(parallel.Workers(), max(1, p.Len()/1024))
	o := &Objective{p: p, loss: loss, lambda: lambda, dim: m.Dim, k: m.K,
		parts: make([][]float64, blocks), scratch: make([][]float64, blocks), sums: make([]float64, blocks)}
	for b := range blocks {
		if b > 0 {
			o.parts[b] = make([]float64, o.Len())
		}
		o.scratch[b] = make([]float64, m.K)
	}
	o.blockFn, o.reduceFn = o.blocks, o.reduce
	return o, nil
}

// Len is the length of the parameter vector: Dim·K + K.
func (o *Objective) Len() int { return o.dim*o.k + o.k }

// Eval returns E at x and stores its gradient in grad.
func (o *Objective) Eval(x, grad []float64) (float64, error) {
	n := o.Len()
	if len(x) != n || len(grad) != n {
		return 0, fmt.Errorf("linear: Objective.Eval: len(x) = %d, len(grad) = %d, want %d", len(x), len(grad), n)
	}
	o.x, o.grad = x, grad
	parallel.For(len(o.parts), 1, o.blockFn)
	var loss float64
	for _, s := range o.sums {
		loss += s
	}
	parallel.For(n, 8192, o.reduceFn)
	o.x, o.grad = nil, nil
	w := x[:o.dim*o.k]
	return loss*o.scale() + o.lambda/2*sqNorm(w), nil
}

// scale is 1/N, the weight of one example's loss.
func (o *Objective) scale() float64 {
	if o.p.Len() == 0 {
		return 0
	}
	return 1 / float64(o.p.Len())
}

// blocks computes the loss and gradient of the examples of blocks [lo, hi),
// block 0 into grad, the others into their parts.
func (o *Objective) blocks(lo, hi int) {
	nw := o.dim * o.k
	w, b := o.x[:nw], o.x[nw:]
	N, nb := o.p.Len(), len(o.parts)
	for blk := lo; blk < hi; blk++ {
		g := o.parts[blk]
		if blk == 0 {
			g = o.grad
		}
		clear(g)
		o.sums[blk] = lossRows(o.loss, w, b, 1, o.dim, o.p, blk*N/nb, (blk+1)*N/nb, g[:nw], g[nw:], o.scale(), o.scratch[blk])
	}
}

// reduce adds the parts into grad and the regularizer's gradient λw, over
// the entries [lo, hi).
func (o *Objective) reduce(lo, hi int) {
	grad := o.grad[lo:hi]
	for _, part := range o.parts[1:] {
		for i, v := range part[lo:hi] {
			grad[i] += v
		}
	}
	nw := o.dim * o.k
	for i := lo; i < min(hi, nw); i++ {
		o.grad[i] += o.lambda * o.x[i]
	}
}

// Model returns the model whose parameters are x (copied).
func (o *Objective) Model(x []float64) *Model {
	m, _ := NewModel(o.loss, o.p.Classes, o.dim)
	copy(m.W, x[:len(m.W)])
	copy(m.B, x[len(m.W):])
	return m
}
