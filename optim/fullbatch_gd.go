package optim

import (
	"fmt"
	"math"
)

// GradientDescent is full-batch gradient descent (Cauchy 1847), the
// lecture's
//
//	w[t+1] = w[t] − α[t] ∇(E, w[t])
//
// on all of the data at once. With LineSearch nil the step α is the fixed
// Step; on a quadratic with Hessian eigenvalues λ₁ ≤ … ≤ λₙ the step
// 2/(λ₁+λₙ) contracts the error by (κ−1)/(κ+1) per iteration, κ = λₙ/λ₁,
// which is why it is "very poor in ravines". With a LineSearch, the first
// trial step of iteration k is α[k−1]·∇f[k−1]ᵀd[k−1]/∇f[k]ᵀd[k] (Nocedal &
// Wright, eq. 3.60), and Step (default 1/‖∇f(x₀)‖, a first step of unit
// length) at the first iteration.
type GradientDescent[T Float] struct {
	// Step is the fixed step α (required when LineSearch is nil), or the
	// first trial step of the line search.
	Step float64
	// LineSearch chooses α in every iteration; nil keeps Step fixed.
	LineSearch LineSearch

	prevStep, prevDf float64
}

// Name returns "gd".
func (*GradientDescent[T]) Name() string { return "gd" }

func (m *GradientDescent[T]) init(r *run[T]) error {
	if m.LineSearch == nil && !(m.Step > 0 && !math.IsInf(m.Step, 0)) {
		return fmt.Errorf("fixed step %v: want a positive finite step, or a line search", m.Step)
	}
	if m.LineSearch != nil && (m.Step < 0 || math.IsNaN(m.Step) || math.IsInf(m.Step, 0)) {
		return fmt.Errorf("first trial step %v: want a positive finite step, or 0 for the default", m.Step)
	}
	m.prevStep, m.prevDf = 0, 0
	return nil
}

func (m *GradientDescent[T]) iterate(r *run[T]) error {
	for i, g := range r.g {
		r.d[i] = -g
	}
	if m.LineSearch == nil {
		return r.step(m.Step)
	}
	df := -r.gnorm * r.gnorm
	step0 := m.Step
	switch {
	case m.prevStep > 0:
		step0 = m.prevStep * m.prevDf / df
	case step0 == 0:
		step0 = 1 / r.gnorm
	}
	step, _, err := r.search(m.LineSearch, df, step0)
	if err != nil {
		return err
	}
	m.prevStep, m.prevDf = step, df
	return nil
}
