package optim

// Function is a smooth objective of a flat parameter vector evaluated on
// all the data at once: the "small-scale setting" of the lecture, in which
// full-batch methods (gradient descent, L-BFGS, conjugate gradients,
// Newton) look at every example in every iteration.
type Function[T Float] interface {
	// Eval returns f(x) and stores ∇f(x) in grad, which has len(x). It
	// returns an error for failures of the data or model, not for
	// non-finite values (the methods check those themselves).
	Eval(x, grad []T) (float64, error)
}

// FunctionOf adapts a plain function to the Function interface.
type FunctionOf[T Float] func(x, grad []T) (float64, error)

// Eval calls f.
func (f FunctionOf[T]) Eval(x, grad []T) (float64, error) { return f(x, grad) }
