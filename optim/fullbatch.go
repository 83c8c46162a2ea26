package optim

import (
	"errors"
	"fmt"
	"math"
)

// This file holds the driver shared by the full-batch methods of the
// lecture's "small-scale setting": gradient descent, L-BFGS, nonlinear
// conjugate gradients, Newton and Newton-CG. They minimize a Function of a
// flat vector x (a model's nn.Params.Data, or a point of a 2-D surface),
// looking at all of the data in every iteration, with the stopping rules of
// Settings, and report why they stopped.

// Settings are the stopping rules of Minimize. A zero field takes the
// default given with it.
type Settings struct {
	// MaxIter is the most iterations (default DefaultMaxIter; negative for
	// no limit). The starting point is iteration 0.
	MaxIter int
	// MaxEval is the most evaluations of the function, the starting point's
	// included (default 0: no limit). A method stops before an evaluation
	// that would exceed it, keeping the last accepted point.
	MaxEval int
	// GradTol stops the run when the Euclidean norm of the gradient is at
	// most GradTol (default DefaultGradTol; negative to turn the test off).
	GradTol float64
	// RelTol stops the run when an iteration changes the objective by at
	// most RelTol relative to its size:
	//
	//	|f(k−1) − f(k)| ≤ RelTol · max(|f(k−1)|, |f(k)|, 1),
	//
	// the ftol test of L-BFGS-B (default 0: off).
	RelTol float64
}

// DefaultMaxIter is the iteration limit when Settings.MaxIter is 0.
const DefaultMaxIter = 1000

// DefaultGradTol is the gradient-norm tolerance when Settings.GradTol is 0.
const DefaultGradTol = 1e-6

// resolve fills in the defaults and checks the settings.
func (s Settings) resolve() (Settings, error) {
	if s.MaxIter == 0 {
		s.MaxIter = DefaultMaxIter
	}
	if s.MaxIter < 0 {
		s.MaxIter = math.MaxInt
	}
	if s.MaxEval < 0 {
		return s, fmt.Errorf("optim: MaxEval %d, want 0 (no limit) or a positive limit", s.MaxEval)
	}
	if s.MaxEval == 0 {
		s.MaxEval = math.MaxInt
	}
	if s.GradTol == 0 {
		s.GradTol = DefaultGradTol
	}
	if math.IsNaN(s.GradTol) || math.IsNaN(s.RelTol) || s.RelTol < 0 || math.IsInf(s.RelTol, 0) {
		return s, fmt.Errorf("optim: tolerances GradTol %v, RelTol %v: want numbers, RelTol finite and ≥ 0", s.GradTol, s.RelTol)
	}
	return s, nil
}

// StopReason says why a run of Minimize stopped.
type StopReason int

// The reasons a run stops.
const (
	// NotStopped is the zero value: the run did not start (invalid
	// arguments).
	NotStopped StopReason = iota
	// GradientTolerance: ‖∇f‖ ≤ Settings.GradTol, a (local) minimum to
	// that tolerance.
	GradientTolerance
	// RelativeChange: an iteration changed f by at most Settings.RelTol,
	// relatively.
	RelativeChange
	// IterationLimit: Settings.MaxIter iterations are done.
	IterationLimit
	// EvaluationLimit: the next evaluation would exceed Settings.MaxEval.
	EvaluationLimit
	// LineSearchFailed: the line search found no acceptable step; the
	// error wraps ErrLineSearchFailed and says why. Near a minimizer this
	// is also how a method meets the limit of precision, when the decrease
	// of f it could still make is below the rounding of f (GradNorm tells
	// how close it got).
	LineSearchFailed
	// NonFinite: the objective or its gradient was NaN or infinite at an
	// iterate; the error wraps ErrNonFinite and names the iteration.
	NonFinite
	// FunctionFailed: the function, its Hessian or a Hessian-vector
	// product returned an error, which Minimize wraps.
	FunctionFailed
	// CallbackStopped: the callback asked to stop.
	CallbackStopped
	// NumericalFailure: the method's own linear algebra broke down, e.g.
	// the pure Newton step with a singular Hessian.
	NumericalFailure
)

var stopNames = [...]string{
	NotStopped:        "not stopped",
	GradientTolerance: "gradient tolerance",
	RelativeChange:    "relative change of the objective",
	IterationLimit:    "iteration limit",
	EvaluationLimit:   "evaluation limit",
	LineSearchFailed:  "line search failed",
	NonFinite:         "non-finite value",
	FunctionFailed:    "function failed",
	CallbackStopped:   "stopped by callback",
	NumericalFailure:  "numerical failure",
}

// String returns a short description, e.g. "gradient tolerance".
func (r StopReason) String() string {
	if r >= 0 && int(r) < len(stopNames) {
		return stopNames[r]
	}
	return fmt.Sprintf("StopReason(%d)", int(r))
}

// Converged reports whether the reason is one of the convergence tests
// (GradientTolerance or RelativeChange), as opposed to a limit or a
// failure.
func (r StopReason) Converged() bool { return r == GradientTolerance || r == RelativeChange }

// Errors that the errors of Minimize wrap.
var (
	// ErrLineSearchFailed: no step along the search direction met the line
	// search's conditions.
	ErrLineSearchFailed = errors.New("line search failed")
	// ErrNonFinite: the objective or the gradient was NaN or ±Inf.
	ErrNonFinite = errors.New("non-finite objective or gradient")
	// ErrNoHessian may be returned (wrapped) by Hessianer.Hessian and
	// HessVecer.HessVec to say that the function has no exact second
	// derivatives; the methods then difference gradients instead.
	ErrNoHessian = errors.New("no exact second derivatives")
	// errEvalLimit stops a run at Settings.MaxEval.
	errEvalLimit = errors.New("evaluation limit reached")
	// errNumerical marks a breakdown of a method's linear algebra.
	errNumerical = errors.New("numerical failure")
)

// Result is the outcome of Minimize. X always holds the best accepted
// point, even when Minimize also returns an error.
type Result[T Float] struct {
	// X is the last accepted iterate (a new slice; x0 is not modified).
	X []T
	// F is f(X) and GradNorm is ‖∇f(X)‖₂.
	F, GradNorm float64
	// Iterations counts the completed iterations (0: the starting point).
	Iterations int
	// Evaluations counts the calls of Function.Eval, the starting point's
	// and the gradient differences for Hessians included.
	Evaluations int
	// HessEvals counts the calls of Hessianer.Hessian and
	// HessVecer.HessVec.
	HessEvals int
	// Reason says why the run stopped.
	Reason StopReason
}

// IterationStarter is implemented by functions that change between
// iterations, such as a mini-batch objective that draws a new batch every K
// iterations (train.MiniBatch). Minimize calls StartIteration(k) before
// iteration k (from 1), never in the middle of a line search, so that every
// evaluation within one iteration sees the same function. It returns true
// when the function has changed; Minimize then evaluates f and ∇f again at
// the current point (one more evaluation), so that the line search and the
// method's curvature pairs compare values of one function.
type IterationStarter interface {
	StartIteration(iter int) (changed bool)
}

// Hessianer is implemented by functions that compute their Hessian
// exactly. Newton uses it when present.
type Hessianer[T Float] interface {
	// Hessian stores ∇²f(x) in h, n×n row-major for n = len(x). It may
	// return ErrNoHessian (wrapped) to make the method fall back to
	// Hessian-vector products or gradient differences.
	Hessian(x, h []T) error
}

// HessVecer is implemented by functions that compute Hessian-vector
// products ∇²f(x)·v exactly, e.g. train.FullBatch for linear models.
// Newton-CG uses it when present, and Newton builds the Hessian from n of
// them when the function is not a Hessianer.
type HessVecer[T Float] interface {
	// HessVec stores ∇²f(x)·v in hv. It may return ErrNoHessian (wrapped)
	// to make the method difference gradients instead.
	HessVec(x, v, hv []T) error
}

// Method is a full-batch minimization method: GradientDescent, LBFGS,
// ConjugateGradient, Newton or NewtonCG. A method value holds the
// configuration and the work vectors of one run at a time; it may be
// reused for further runs (each starts afresh) but not shared by
// concurrent ones.
type Method[T Float] interface {
	// Name is the method's command-line name: gd, lbfgs, cg, newton or
	// newton-cg.
	Name() string
	// init checks the configuration and prepares a run in n dimensions.
	init(r *run[T]) error
	// iterate performs one iteration from r.x, r.fx, r.g, leaving the new
	// point there (through r.accept). On failure it leaves r.x unchanged.
	iterate(r *run[T]) error
}

// MethodNames lists the names NewMethod accepts: gd, lbfgs, cg, newton and
// newton-cg.
func MethodNames() []string { return []string{"gd", "lbfgs", "cg", "newton", "newton-cg"} }

// NewMethod returns the full-batch method called name with its defaults:
// gradient descent with a backtracking (Armijo) line search, L-BFGS with
// memory 10, Polak–Ribière+ conjugate gradients, Newton with the modified
// Cholesky safeguard, or Newton-CG. Set the fields of the returned value
// (after a type assertion) for other choices, or build the method directly.
func NewMethod[T Float](name string) (Method[T], error) {
	switch name {
	case "gd":
		return &GradientDescent[T]{LineSearch: &Backtracking{}}, nil
	case "lbfgs":
		return &LBFGS[T]{}, nil
	case "cg":
		return &ConjugateGradient[T]{}, nil
	case "newton":
		return &Newton[T]{}, nil
	case "newton-cg":
		return &NewtonCG[T]{}, nil
	}
	return nil, fmt.Errorf("unknown full-batch method %q; want one of gd, lbfgs, cg, newton, newton-cg", name)
}

// Callback is called by Minimize with the starting point (iteration 0) and
// after every iteration: x is the current iterate (valid only during the
// call), f its value and gnorm ‖∇f(x)‖₂. Returning false stops the run with
// reason CallbackStopped.
type Callback[T Float] func(iter int, x []T, f, gnorm float64) bool

// Minimize minimizes f from x0 with method m under the stopping rules s,
// calling callback (which may be nil) at the start and after every
// iteration. It returns the result and, for the stops that are failures
// (LineSearchFailed, NonFinite, FunctionFailed, NumericalFailure), an error
// that says what failed at which iteration and wraps ErrLineSearchFailed,
// ErrNonFinite or the function's error; the result still holds the last
// good point. Stopping at a tolerance or a limit is not an error.
//
// f must be deterministic between the calls of IterationStarter.StartIteration:
// the same x must give the same value and gradient.
func Minimize[T Float](f Function[T], x0 []T, m Method[T], s Settings, callback Callback[T]) (Result[T], error) {
	var res Result[T]
	if len(x0) == 0 {
		return res, errors.New("optim: Minimize: empty starting point")
	}
	if m == nil {
		return res, errors.New("optim: Minimize: nil method")
	}
	s, err := s.resolve()
	if err != nil {
		return res, err
	}
	r := newRun(f, x0, s)
	if err := m.init(r); err != nil {
		return res, fmt.Errorf("optim: %s: %w", m.Name(), err)
	}
	stop := func(reason StopReason, err error) (Result[T], error) {
		res := Result[T]{
			X: append([]T(nil), r.x...), F: r.fx, GradNorm: r.gnorm,
			Iterations: r.done, Evaluations: r.evals, HessEvals: r.hessEvals, Reason: reason,
		}
		if err != nil {
			err = fmt.Errorf("optim: %s: %w", m.Name(), err)
		}
		return res, err
	}
	if err := r.evalCurrent(); err != nil {
		r.fx, r.gnorm = math.NaN(), math.NaN()
		return stop(r.reason(err))
	}
	if callback != nil && !callback(0, r.x, r.fx, r.gnorm) {
		return stop(CallbackStopped, nil)
	}
	if r.gnorm <= s.GradTol {
		return stop(GradientTolerance, nil)
	}
	starter, _ := f.(IterationStarter)
	for k := 1; ; k++ {
		if k > s.MaxIter {
			return stop(IterationLimit, nil)
		}
		r.iter = k
		if starter != nil && starter.StartIteration(k) {
			if err := r.evalCurrent(); err != nil {
				return stop(r.reason(err))
			}
		}
		fprev := r.fx
		if err := m.iterate(r); err != nil {
			return stop(r.reason(err))
		}
		r.done = k
		if callback != nil && !callback(k, r.x, r.fx, r.gnorm) {
			return stop(CallbackStopped, nil)
		}
		switch {
		case r.gnorm <= s.GradTol:
			return stop(GradientTolerance, nil)
		case s.RelTol > 0 && math.Abs(fprev-r.fx) <= s.RelTol*max(math.Abs(fprev), math.Abs(r.fx), 1):
			return stop(RelativeChange, nil)
		case r.evals >= s.MaxEval:
			return stop(EvaluationLimit, nil)
		}
	}
}

// run is the state of one call of Minimize, shared with the method.
type run[T Float] struct {
	f    Function[T]
	s    Settings
	n    int
	iter int // the iteration in progress (0 at the start)
	done int // completed iterations

	x, g      []T // current iterate and its gradient
	fx, gnorm float64

	// The trial point of the line search along d, and its gradient.
	d, xt, gt []T
	ft        float64
	tStep     float64 // step at which xt, gt, ft were evaluated (NaN: none)

	evals, hessEvals int
	line             lineFunc[T]

	// Second derivatives: whether f's Hessian and HessVec methods are to be
	// used (cleared once they return ErrNoHessian), and scratch for
	// gradient differences.
	hessianer   Hessianer[T]
	hessVecer   HessVecer[T]
	xd, gd, gd2 []T
}

func newRun[T Float](f Function[T], x0 []T, s Settings) *run[T] {
	n := len(x0)
	r := &run[T]{
		f: f, s: s, n: n,
		x: append([]T(nil), x0...), g: make([]T, n),
		d: make([]T, n), xt: make([]T, n), gt: make([]T, n),
		tStep: math.NaN(),
	}
	r.line.r = r
	r.hessianer, _ = f.(Hessianer[T])
	r.hessVecer, _ = f.(HessVecer[T])
	return r
}

// reason maps an error of an iteration to its stop reason, dropping the
// error for the stops that are not failures.
func (r *run[T]) reason(err error) (StopReason, error) {
	switch {
	case errors.Is(err, errEvalLimit):
		return EvaluationLimit, nil
	case errors.Is(err, ErrNonFinite):
		return NonFinite, err
	case errors.Is(err, ErrLineSearchFailed):
		return LineSearchFailed, err
	case errors.Is(err, errNumerical):
		return NumericalFailure, err
	}
	return FunctionFailed, err
}

// where names the iteration for error messages.
func (r *run[T]) where() string {
	if r.iter == 0 {
		return "iteration 0 (the starting point)"
	}
	return fmt.Sprintf("iteration %d", r.iter)
}

// eval evaluates f at x into g, counting the evaluation and enforcing
// MaxEval. It reports non-finite values only through its results: the
// callers decide (an infinite trial value in a line search means a step
// too long, not a failure).
func (r *run[T]) eval(x, g []T) (float64, error) {
	if r.evals >= r.s.MaxEval {
		return 0, errEvalLimit
	}
	r.evals++
	fx, err := r.f.Eval(x, g)
	if err != nil {
		return fx, fmt.Errorf("%s: evaluating the objective: %w", r.where(), err)
	}
	return fx, nil
}

// checkPoint returns an ErrNonFinite error naming the iteration if fx or a
// component of g is NaN or infinite.
func (r *run[T]) checkPoint(what string, fx float64, g []T) error {
	if math.IsNaN(fx) || math.IsInf(fx, 0) {
		return fmt.Errorf("%s: %w: the objective is %v at %s", r.where(), ErrNonFinite, fx, what)
	}
	if i, v, ok := firstNonFinite(g); ok {
		return fmt.Errorf("%s: %w: gradient component %d is %v at %s (objective %v)", r.where(), ErrNonFinite, i, v, what, fx)
	}
	return nil
}

// evalCurrent evaluates f and ∇f at the current point.
func (r *run[T]) evalCurrent() error {
	fx, err := r.eval(r.x, r.g)
	if err != nil {
		return err
	}
	if err := r.checkPoint("the current point", fx, r.g); err != nil {
		return err
	}
	r.fx, r.gnorm = fx, fbNorm(r.g)
	r.tStep = math.NaN()
	return nil
}

// evalTrial evaluates f at x + step·d into xt, gt, ft.
func (r *run[T]) evalTrial(step float64) (float64, error) {
	a := T(step)
	for i, xi := range r.x {
		r.xt[i] = xi + a*r.d[i]
	}
	r.tStep = math.NaN()
	ft, err := r.eval(r.xt, r.gt)
	if err != nil {
		return ft, err
	}
	r.ft, r.tStep = ft, step
	return ft, nil
}

// accept makes the trial point the current one, after checking it.
func (r *run[T]) accept() error {
	if err := r.checkPoint("the new point", r.ft, r.gt); err != nil {
		return err
	}
	r.x, r.xt = r.xt, r.x
	r.g, r.gt = r.gt, r.g
	r.fx, r.gnorm = r.ft, fbNorm(r.g)
	r.tStep = math.NaN()
	return nil
}

// step takes the fixed step x + step·d without a line search.
func (r *run[T]) step(step float64) error {
	if _, err := r.evalTrial(step); err != nil {
		return err
	}
	return r.accept()
}

// search runs the line search ls along r.d from the first trial step
// step0, leaves the accepted point in xt, gt, ft and accepts it. It
// returns the accepted step and the directional derivative there.
func (r *run[T]) search(ls LineSearch, df0, step0 float64) (step, dft float64, err error) {
	if !(df0 < 0) {
		return 0, 0, fmt.Errorf("%s: %w: not a descent direction (∇fᵀd = %v)", r.where(), ErrLineSearchFailed, df0)
	}
	step, _, dft, err = ls.Search(&r.line, r.fx, df0, step0)
	if err != nil {
		if errors.Is(err, ErrLineSearchFailed) {
			return 0, 0, fmt.Errorf("%s: %w (objective %v, ‖∇f‖ %.3g)", r.where(), err, r.fx, r.gnorm)
		}
		return 0, 0, err
	}
	if step != r.tStep { // the search returned an earlier trial: evaluate it again
		if _, err := r.evalTrial(step); err != nil {
			return 0, 0, err
		}
		dft = fbDot(r.gt, r.d)
	}
	if !(r.ft <= r.fx) {
		return 0, 0, fmt.Errorf("%s: %w: the accepted step %g does not decrease the objective (%v → %v)", r.where(), ErrLineSearchFailed, step, r.fx, r.ft)
	}
	return step, dft, r.accept()
}

// lineFunc is φ(α) = f(x + αd) of the run's current x and d.
type lineFunc[T Float] struct{ r *run[T] }

// Eval returns φ(α) and φ'(α). A value of +Inf is returned as such (the
// step was too long); NaN, −Inf and a non-finite gradient are errors.
func (l *lineFunc[T]) Eval(step float64) (phi, dphi float64, err error) {
	r := l.r
	ft, err := r.evalTrial(step)
	if err != nil {
		return ft, math.NaN(), err
	}
	if math.IsInf(ft, 1) {
		return ft, math.NaN(), nil
	}
	if err := r.checkPoint("a trial step of the line search", ft, r.gt); err != nil {
		return ft, math.NaN(), fmt.Errorf("%w (step %g)", err, step)
	}
	return ft, fbDot(r.gt, r.d), nil
}

// firstNonFinite returns the first NaN or infinite entry of v.
func firstNonFinite[T Float](v []T) (int, T, bool) {
	for i, x := range v {
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return i, x, true
		}
	}
	return 0, 0, false
}

// dot returns xᵀy accumulated in float64.
func fbDot[T Float](x, y []T) float64 {
	var s float64
	for i := range x {
		s += float64(x[i]) * float64(y[i])
	}
	return s
}

// norm returns ‖x‖₂ accumulated in float64.
func fbNorm[T Float](x []T) float64 { return math.Sqrt(fbDot(x, x)) }
