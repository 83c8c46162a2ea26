package optim

import "fmt"

// NesterovLecture is Nesterov's accelerated gradient (Nesterov 1983) in the
// lecture's form, which takes the gradient at the look-ahead point:
//
//	v[t] = μ·v[t−1] − α·∇E(w[t] + μ·v[t−1]),   w[t+1] = w[t] + v[t].
//
// The caller evaluates the gradient at Lookahead(w) before each Step. This
// form shows the idea ("compute the gradient at a more relevant spot"); the
// optimizer "nesterov" (torch.optim.SGD with nesterov=True) runs the same
// method in the variable w̃ = w + μv, which needs the gradient at the
// current parameters only, so it fits every training loop. Their iterates
// correspond exactly: w̃[t] = w[t] + μ·v[t−1].
type NesterovLecture[T Float] struct {
	LR, Momentum float64
	v            []T
}

// Lookahead writes w + μ·v, the point where the next gradient is taken, into
// dst.
func (n *NesterovLecture[T]) Lookahead(w, dst []T) {
	if n.v == nil {
		n.v = make([]T, len(w))
	}
	mu := T(n.Momentum)
	for i := range w {
		dst[i] = w[i] + mu*n.v[i]
	}
}

// Velocity returns v[t], the last step taken.
func (n *NesterovLecture[T]) Velocity() []T { return n.v }

// Step applies v ← μv − αg, w ← w + v, where g is the gradient at
// Lookahead(w).
func (n *NesterovLecture[T]) Step(w, g []T) {
	if len(w) != len(g) {
		panic(fmt.Sprintf("optim.NesterovLecture: %d parameters, %d gradients", len(w), len(g)))
	}
	if n.v == nil {
		n.v = make([]T, len(w))
	}
	mu, a := T(n.Momentum), T(n.LR)
	for i := range w {
		n.v[i] = mu*n.v[i] - a*g[i]
		w[i] += n.v[i]
	}
}
