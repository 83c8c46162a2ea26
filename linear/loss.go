// Package linear trains linear models on sparse input — logistic
// regression, linear support vector machines, multinomial logistic
// regression — with the methods of large-scale learning: Bottou's
// stochastic gradient descent, whose step costs O(nonzeros of the example)
// however large the vocabulary, its averaged version (ASGD), lock-free
// parallel SGD over all cores (Hogwild!), and the full-batch baselines of
// package optim (gradient descent, L-BFGS, conjugate gradients) on the same
// objective.
//
// A model minimizes the regularized training objective of the lecture,
//
//	E(w, b) = 1/N Σᵢ ℓ(yᵢ, w·xᵢ + b) + λ/2 ‖w‖²,
//
// in the convention of Bottou's sgd and scikit-learn's SGDClassifier
// (alpha = λ); LIBLINEAR's C Σᵢ ℓ + ½‖w‖² is the same problem with
// C = 1/(λN). The bias b is not regularized.
//
// The data are a [Problem]: a sparse.CSR matrix of examples and their
// class labels. [Train] runs one method and calls back after every epoch
// (every iteration for the batch methods) with the current [Model] and the
// training time so far, callbacks excluded.
package linear

import (
	"fmt"
	"math"
)

// Loss is the loss ℓ of a linear model.
type Loss int

// The losses. For the binary losses the label is y = ±1 and the score
// s = w·x + b; z = y·s is the margin.
const (
	// Log is the logistic loss ln(1 + e^(−z)) (logistic regression).
	Log Loss = iota
	// Hinge is max(0, 1 − z) (linear SVM).
	Hinge
	// SquaredHinge is max(0, 1 − z)², LIBLINEAR's L2-loss SVM.
	SquaredHinge
	// Softmax is the multinomial logistic loss −ln softmax(s)_y over one
	// score per class.
	Softmax
)

var lossNames = [...]string{Log: "log", Hinge: "hinge", SquaredHinge: "squared-hinge", Softmax: "softmax"}

// String returns the command-line name: log, hinge, squared-hinge or
// softmax.
func (l Loss) String() string {
	if l >= 0 && int(l) < len(lossNames) {
		return lossNames[l]
	}
	return fmt.Sprintf("Loss(%d)", int(l))
}

// ParseLoss returns the loss of the given command-line name.
func ParseLoss(name string) (Loss, error) {
	for l, n := range lossNames {
		if n == name {
			return Loss(l), nil
		}
	}
	return 0, fmt.Errorf("linear: unknown loss %q: want log, hinge, squared-hinge or softmax", name)
}

// Binary reports whether the loss is one of the two-class losses, which
// keep one weight vector; Softmax keeps one per class.
func (l Loss) Binary() bool { return l != Softmax }

func (l Loss) valid() bool { return l >= Log && l <= Softmax }

// value returns the binary loss at margin z.
func (l Loss) value(z float64) float64 {
	switch l {
	case Log:
		return logLoss(z)
	case Hinge:
		return max(0, 1-z)
	default: // SquaredHinge
		d := max(0, 1-z)
		return d * d
	}
}

// dloss returns −∂ℓ/∂z at margin z (Bottou's dloss): the factor of y·x in
// the SGD step w ← w + η·dloss·y·x.
func (l Loss) dloss(z float64) float64 {
	switch l {
	case Log:
		if z < 0 {
			return 1 / (math.Exp(z) + 1)
		}
		e := math.Exp(-z)
		return e / (1 + e)
	case Hinge:
		if z < 1 {
			return 1
		}
		return 0
	default: // SquaredHinge
		return 2 * max(0, 1-z)
	}
}

// logLoss is ln(1 + e^(−z)) without overflow or loss of precision.
func logLoss(z float64) float64 {
	switch {
	case z > 18:
		return math.Exp(-z)
	case z < -18:
		return -z
	}
	return math.Log1p(math.Exp(-z))
}

// softmaxLoss turns the scores s (one per class) into the probabilities
// softmax(s), in place, and returns −ln softmax(s)_y.
func softmaxLoss(s []float64, y int) float64 {
	m := s[0]
	for _, v := range s[1:] {
		m = max(m, v)
	}
	sy := s[y]
	var sum float64
	for k, v := range s {
		e := math.Exp(v - m)
		s[k] = e
		sum += e
	}
	inv := 1 / sum
	for k := range s {
		s[k] *= inv
	}
	return m - sy + math.Log(sum)
}
