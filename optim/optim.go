// Package optim holds the optimization methods that train descent's models.
// They work on flat vectors: a model's parameters packed into one slice and
// their gradients into another of the same layout (nn.Params), so a step is
// one fused pass over memory.
//
// First-order methods are chains of small gradient transformations in the
// manner of Optax (see Transform): momentum is a Trace, Adam is ScaleByAdam
// followed by ScaleByLearningRate. New builds the named optimizers of the
// lecture and beyond (sgd, momentum, nesterov, adagrad, rmsprop, adam,
// adadelta, adamw, amsgrad, adamax, nadam, radam, lion) with torch.optim's
// defaults and update rules, checked against PyTorch's own outputs.
package optim

import (
	"github.com/descent-ml/descent/tensor"
)

// Float is the element type: float32 or float64.
type Float = tensor.Float

// Optimizer updates parameters w in place from their gradient g (same
// length), keeping whatever state the method needs between steps.
type Optimizer[T Float] interface {
	// Step applies one update. It may overwrite g. It panics if
	// len(w) != len(g).
	Step(w, g []T)
}

// NewSGD returns plain stochastic gradient descent with a constant rate, the
// lecture's
//
//	v[t] = −α ∇(E, w[t]),   w[t+1] = w[t] + v[t],
//
// where ∇(E, w[t]) is the gradient on one example (per-sample SGD, batch 1)
// or the mean over a mini-batch (torch.optim.SGD without momentum). lr must
// be positive and finite.
func NewSGD[T Float](lr float64) (*Chained[T], error) {
	h, _ := Defaults("sgd")
	h.LR = lr
	return New[T]("sgd", h)
}
