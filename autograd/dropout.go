package autograd

import (
	"fmt"
	"math/rand/v2"
)

// Dropout returns x with each element zeroed with probability p and the
// others scaled by 1/(1−p) ("inverted" dropout, Srivastava et al. 2014, as
// torch.nn.functional.dropout in training mode), so that the expected value
// of each output equals its input. The mask is drawn from rng, one
// rng.Float64() per element in row-major order; the gradient is the upstream
// gradient times the same mask. p = 0 returns x itself; p = 1 zeroes
// everything. It panics if p is outside [0, 1].
func (tp *Tape[T]) Dropout(x *Var[T], p float64, rng *rand.Rand) *Var[T] {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("autograd.Dropout: probability %v outside [0, 1] (input shape %v)", p, x.Value.Shape))
	}
	if p == 0 {
		return x
	}
	out := tp.newVar(x.Value.Shape, x)
	mask := tp.scratch(x.Value.Shape...).Data
	keep := T(0)
	if p < 1 {
		keep = T(1 / (1 - p))
	}
	y := out.Value.Data
	for i, v := range x.Value.Data {
		m := T(0)
		if rng.Float64() >= p {
			m = keep
		}
		mask[i] = m
		y[i] = v * m
	}
	if n := tp.record(opDropout, out, x); n != nil {
		n.saved[0] = mask
	}
	return out
}

// dropoutBackward: dx += g ⊙ mask.
func (tp *Tape[T]) dropoutBackward(n *node[T]) {
	gx, g, mask := tp.grad(n.a).Data, n.out.Grad.Data, n.saved[0]
	for i, m := range mask {
		gx[i] += g[i] * m
	}
}
