// Package optim holds the optimization methods that train descent's models.
// They work on flat vectors: a model's parameters packed into one slice and
// their gradients into another of the same layout (nn.Params), so a step is
// one fused pass over memory.
package optim

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/tensor"
)

// Float is the element type: float32 or float64.
type Float = tensor.Float

// Optimizer updates parameters w in place from their gradient g (same
// length), keeping whatever state the method needs between steps.
type Optimizer[T Float] interface {
	// Step applies one update. It panics if len(w) != len(g).
	Step(w, g []T)
}

// SGD is plain stochastic gradient descent with a constant rate, the
// lecture's
//
//	v[t] = −α ∇(E, w[t]),   w[t+1] = w[t] + v[t],
//
// where ∇(E, w[t]) is the gradient on one example (per-sample SGD, batch 1)
// or the mean over a mini-batch (torch.optim.SGD without momentum).
type SGD[T Float] struct {
	// LR is the rate α.
	LR float64
}

// NewSGD returns SGD with rate lr, which must be positive and finite.
func NewSGD[T Float](lr float64) (*SGD[T], error) {
	if !(lr > 0) || math.IsInf(lr, 0) {
		return nil, fmt.Errorf("optim: learning rate %v, want a positive finite number", lr)
	}
	return &SGD[T]{LR: lr}, nil
}

// Step sets w ← w − α·g.
func (o *SGD[T]) Step(w, g []T) {
	if len(w) != len(g) {
		panic(fmt.Sprintf("optim.SGD: %d parameters, %d gradients", len(w), len(g)))
	}
	tensor.Axpy(T(-o.LR), g, w)
}
