package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/descent-ml/descent/autograd"
)

// Dropout is inverted dropout (Srivastava et al. 2014, torch.nn.Dropout):
// in training mode each input is zeroed with probability P and the others
// are scaled by 1/(1 − P), so that no rescaling is needed at test time; in
// evaluation mode it is the identity. The masks come from the explicit
// source Rand. The module starts in training mode.
type Dropout[T Float] struct {
	// P is the probability of dropping an input, in [0, 1].
	P float64
	// Rand draws the masks.
	Rand *rand.Rand

	eval bool
}

// NewDropout returns a dropout layer with drop probability p drawing its
// masks from rng. It panics if p is outside [0, 1] or rng is nil with p > 0.
func NewDropout[T Float](p float64, rng *rand.Rand) *Dropout[T] {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("nn.NewDropout: probability %v outside [0, 1]", p))
	}
	if rng == nil && p > 0 {
		panic("nn.NewDropout: nil random source")
	}
	return &Dropout[T]{P: p, Rand: rng}
}

// Forward drops inputs in training mode and passes x through in evaluation
// mode.
func (d *Dropout[T]) Forward(tp *autograd.Tape[T], x *autograd.Var[T]) *autograd.Var[T] {
	if d.eval || d.P == 0 {
		return x
	}
	return tp.Dropout(x, d.P, d.Rand)
}

// Parameters returns nil: dropout has no parameters.
func (d *Dropout[T]) Parameters() []*Parameter[T] { return nil }

// SetTraining switches dropout on (training) or off (evaluation).
func (d *Dropout[T]) SetTraining(on bool) { d.eval = !on }

// String describes the layer, e.g. "Dropout(0.5)".
func (d *Dropout[T]) String() string { return fmt.Sprintf("Dropout(%g)", d.P) }
