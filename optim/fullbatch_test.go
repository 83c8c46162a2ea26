package optim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/descent-ml/descent/surface"
)

// surf adapts a 2-D surface to Function[T] with its exact Hessian and
// Hessian-vector products, computing in float64 and rounding to T.
type surf[T Float] struct{ s surface.Surface }

func (f surf[T]) Eval(x, g []T) (float64, error) {
	p := [2]float64{float64(x[0]), float64(x[1])}
	gg := f.s.Gradient(p)
	g[0], g[1] = T(gg[0]), T(gg[1])
	return f.s.Value(p), nil
}

func (f surf[T]) Hessian(x, h []T) error {
	hh := f.s.Hessian([2]float64{float64(x[0]), float64(x[1])})
	h[0], h[1], h[2], h[3] = T(hh[0][0]), T(hh[0][1]), T(hh[1][0]), T(hh[1][1])
	return nil
}

func (f surf[T]) HessVec(x, v, hv []T) error {
	hh := f.s.Hessian([2]float64{float64(x[0]), float64(x[1])})
	v0, v1 := float64(v[0]), float64(v[1])
	hv[0], hv[1] = T(hh[0][0]*v0+hh[0][1]*v1), T(hh[1][0]*v0+hh[1][1]*v1)
	return nil
}

// gradOnly hides a function's second derivatives, so that the methods
// difference gradients.
type gradOnly[T Float] struct{ f Function[T] }

func (g gradOnly[T]) Eval(x, grad []T) (float64, error) { return g.f.Eval(x, grad) }

// quad is f(x) = ½ xᵀAx − bᵀx with A symmetric positive definite (dense,
// row-major).
type quad struct {
	n    int
	a, b []float64
}

func (q *quad) Eval(x, g []float64) (float64, error) {
	var f float64
	for i := 0; i < q.n; i++ {
		var s float64
		for j := 0; j < q.n; j++ {
			s += q.a[i*q.n+j] * x[j]
		}
		g[i] = s - q.b[i]
		f += 0.5*x[i]*s - q.b[i]*x[i]
	}
	return f, nil
}

func (q *quad) Hessian(x, h []float64) error { copy(h, q.a); return nil }

// randomQuad returns an n-dimensional quadratic with eigenvalues spread
// geometrically from 1 to kappa in a random orthogonal basis.
func randomQuad(rng *rand.Rand, n int, kappa float64) *quad {
	// Random orthogonal Q by Gram–Schmidt.
	qm := make([][]float64, n)
	for i := range qm {
		v := make([]float64, n)
		for {
			for j := range v {
				v[j] = rng.NormFloat64()
			}
			for _, u := range qm[:i] {
				d := fbDot(u, v)
				fbAxpy(-d, u, v)
			}
			if nv := fbNorm(v); nv > 1e-3 {
				fbScale(1/nv, v)
				break
			}
		}
		qm[i] = v
	}
	q := &quad{n: n, a: make([]float64, n*n), b: make([]float64, n)}
	for k := 0; k < n; k++ {
		lam := math.Pow(kappa, float64(k)/float64(max(n-1, 1)))
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				q.a[i*n+j] += lam * qm[k][i] * qm[k][j]
			}
		}
	}
	for i := range q.b {
		q.b[i] = rng.NormFloat64()
	}
	return q
}

// methods64 returns a fresh instance of every method, by name.
func allMethods[T Float]() []Method[T] {
	return []Method[T]{
		&GradientDescent[T]{LineSearch: &StrongWolfe{}},
		&LBFGS[T]{},
		&ConjugateGradient[T]{Variant: PolakRibierePlus},
		&ConjugateGradient[T]{Variant: FletcherReeves},
		&ConjugateGradient[T]{Variant: HestenesStiefel},
		&Newton[T]{},
		&NewtonCG[T]{},
	}
}

func methodLabel[T Float](m Method[T]) string {
	if cg, ok := m.(*ConjugateGradient[T]); ok {
		return "cg-" + cg.Variant.String()
	}
	return m.Name()
}

func TestStopReasonStrings(t *testing.T) {
	for r := NotStopped; r <= NumericalFailure; r++ {
		if s := r.String(); s == "" || strings.HasPrefix(s, "StopReason(") {
			t.Errorf("StopReason %d has no name", int(r))
		}
	}
	if got := StopReason(99).String(); got != "StopReason(99)" {
		t.Errorf("StopReason(99).String() = %q", got)
	}
	if !GradientTolerance.Converged() || !RelativeChange.Converged() || IterationLimit.Converged() {
		t.Error("Converged is wrong")
	}
}

func TestStoppingRules(t *testing.T) {
	rosen := surf[float64]{surface.Rosenbrock{}}
	start := []float64{-1.2, 1}
	tests := []struct {
		name  string
		s     Settings
		cb    Callback[float64]
		want  StopReason
		check func(t *testing.T, r Result[float64])
	}{
		{"iterations", Settings{MaxIter: 5}, nil, IterationLimit, func(t *testing.T, r Result[float64]) {
			if r.Iterations != 5 {
				t.Errorf("%d iterations, want 5", r.Iterations)
			}
		}},
		{"evaluations", Settings{MaxEval: 7}, nil, EvaluationLimit, func(t *testing.T, r Result[float64]) {
			if r.Evaluations > 7 {
				t.Errorf("%d evaluations, limit 7", r.Evaluations)
			}
		}},
		{"gradient", Settings{GradTol: 1e-3, MaxIter: 100000}, nil, GradientTolerance, func(t *testing.T, r Result[float64]) {
			if r.GradNorm > 1e-3 {
				t.Errorf("‖∇f‖ = %g > 1e-3", r.GradNorm)
			}
		}},
		{"relative change", Settings{RelTol: 1e-3, GradTol: -1}, nil, RelativeChange, nil},
		{"callback", Settings{}, func(iter int, x []float64, f, g float64) bool { return iter < 3 }, CallbackStopped, func(t *testing.T, r Result[float64]) {
			if r.Iterations != 3 {
				t.Errorf("%d iterations, want 3", r.Iterations)
			}
		}},
		{"already converged", Settings{GradTol: 1e3}, nil, GradientTolerance, func(t *testing.T, r Result[float64]) {
			if r.Iterations != 0 || r.Evaluations != 1 {
				t.Errorf("%d iterations and %d evaluations, want 0 and 1", r.Iterations, r.Evaluations)
			}
		}},
	}
	for _, tc := range tests {
		for _, m := range allMethods[float64]() {
			t.Run(tc.name+"/"+methodLabel(m), func(t *testing.T) {
				r, err := Minimize[float64](rosen, start, m, tc.s, tc.cb)
				if err != nil {
					t.Fatal(err)
				}
				if r.Reason != tc.want {
					t.Fatalf("stopped for %v, want %v", r.Reason, tc.want)
				}
				if f, _ := rosen.Eval(r.X, make([]float64, 2)); f != r.F {
					t.Errorf("F = %v, f(X) = %v", r.F, f)
				}
				if tc.check != nil {
					tc.check(t, r)
				}
			})
		}
	}
}

func TestMinimizeDoesNotModifyStart(t *testing.T) {
	x0 := []float64{-1.2, 1}
	r, err := Minimize[float64](surf[float64]{surface.Rosenbrock{}}, x0, &LBFGS[float64]{}, Settings{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if x0[0] != -1.2 || x0[1] != 1 {
		t.Errorf("x0 changed to %v", x0)
	}
	if &r.X[0] == &x0[0] {
		t.Error("Result.X aliases x0")
	}
}

func TestInvalidArguments(t *testing.T) {
	f := surf[float64]{surface.Booth{}}
	x0 := []float64{0, 0}
	tests := []struct {
		name string
		x0   []float64
		m    Method[float64]
		s    Settings
	}{
		{"empty start", nil, &LBFGS[float64]{}, Settings{}},
		{"nil method", x0, nil, Settings{}},
		{"negative MaxEval", x0, &LBFGS[float64]{}, Settings{MaxEval: -1}},
		{"NaN tolerance", x0, &LBFGS[float64]{}, Settings{GradTol: math.NaN()}},
		{"negative RelTol", x0, &LBFGS[float64]{}, Settings{RelTol: -1}},
		{"gd without step", x0, &GradientDescent[float64]{}, Settings{}},
		{"gd negative step", x0, &GradientDescent[float64]{Step: -1}, Settings{}},
		{"lbfgs memory", x0, &LBFGS[float64]{Memory: -2}, Settings{}},
		{"cg variant", x0, &ConjugateGradient[float64]{Variant: 7}, Settings{}},
		{"newton damping", x0, &Newton[float64]{Damping: -1}, Settings{}},
		{"newton-cg forcing", x0, &NewtonCG[float64]{Forcing: 2}, Settings{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Minimize[float64](f, tc.x0, tc.m, tc.s, nil)
			if err == nil {
				t.Fatalf("accepted; result %+v", r)
			}
			if r.Reason != NotStopped {
				t.Errorf("reason %v, want NotStopped", r.Reason)
			}
		})
	}
}

// faulty is f(x) = ½‖x‖² that turns bad after `after` evaluations.
type faulty struct {
	after, evals int
	bad          string // "nan", "inf", "-inf", "grad", "error"
}

func (f *faulty) Eval(x, g []float64) (float64, error) {
	f.evals++
	var v float64
	for i, xi := range x {
		g[i] = xi
		v += 0.5 * xi * xi
	}
	if f.evals > f.after {
		switch f.bad {
		case "nan":
			return math.NaN(), nil
		case "inf":
			return math.Inf(1), nil
		case "-inf":
			return math.Inf(-1), nil
		case "grad":
			g[1] = math.NaN()
		case "error":
			return 0, errors.New("disk on fire")
		}
	}
	return v, nil
}

func TestNonFiniteValuesStopWithAnError(t *testing.T) {
	tests := []struct {
		bad    string
		after  int
		want   StopReason
		wantIn string
	}{
		{"nan", 0, NonFinite, "iteration 0 (the starting point)"},
		{"grad", 0, NonFinite, "gradient component 1 is NaN"},
		{"nan", 2, NonFinite, "iteration "},
		{"-inf", 2, NonFinite, "-Inf"},
		{"grad", 2, NonFinite, "gradient component 1 is NaN"},
		{"inf", 2, 0, ""}, // +Inf is a step too long: line searches back off, fixed steps fail
		{"error", 2, FunctionFailed, "disk on fire"},
	}
	for _, tc := range tests {
		for _, m := range append(allMethods[float64](), &GradientDescent[float64]{Step: 0.1}, &Newton[float64]{Pure: true}) {
			name := fmt.Sprintf("%s after %d/%s", tc.bad, tc.after, methodLabel(m))
			if g, ok := m.(*GradientDescent[float64]); ok && g.LineSearch == nil {
				name += "-fixed"
			}
			t.Run(name, func(t *testing.T) {
				f := &faulty{after: tc.after, bad: tc.bad}
				r, err := Minimize[float64](f, []float64{3, -4, 1}, m, Settings{GradTol: 1e-12}, nil)
				want, wantIn := tc.want, tc.wantIn
				if want == 0 { // +Inf
					fixed := false
					if g, ok := m.(*GradientDescent[float64]); ok && g.LineSearch == nil {
						fixed = true
					}
					if n, ok := m.(*Newton[float64]); ok && n.Pure {
						fixed = true
					}
					if _, ok := m.(*Newton[float64]); ok && !fixed {
						// The Hessian is differenced: the third evaluation
						// is a point of a gradient difference.
						want, wantIn = NonFinite, "Hessian-vector difference"
					} else if fixed {
						want, wantIn = NonFinite, "+Inf"
					} else {
						want, wantIn = LineSearchFailed, "line search failed"
					}
				}
				if r.Reason != want {
					t.Fatalf("reason %v (err %v), want %v", r.Reason, err, want)
				}
				if err == nil || !strings.Contains(err.Error(), wantIn) || !strings.Contains(err.Error(), "iteration") {
					t.Fatalf("error %v, want one naming the iteration and containing %q", err, wantIn)
				}
				if want == NonFinite && !errors.Is(err, ErrNonFinite) {
					t.Errorf("error %v does not wrap ErrNonFinite", err)
				}
				if want == LineSearchFailed && !errors.Is(err, ErrLineSearchFailed) {
					t.Errorf("error %v does not wrap ErrLineSearchFailed", err)
				}
				if tc.after > 0 {
					for _, v := range r.X {
						if math.IsNaN(v) || math.IsInf(v, 0) {
							t.Errorf("result holds %v", r.X)
						}
					}
					if math.IsNaN(r.F) {
						t.Errorf("result F is NaN")
					}
				}
			})
		}
	}
}

func TestDivergingFixedStepNamesTheIteration(t *testing.T) {
	// ½·100x²: the fixed step 0.05 > 2/100 makes |x| grow 4× per step until
	// it overflows.
	f := FunctionOf[float64](func(x, g []float64) (float64, error) {
		g[0] = 100 * x[0]
		return 50 * x[0] * x[0], nil
	})
	r, err := Minimize[float64](f, []float64{1}, &GradientDescent[float64]{Step: 0.05}, Settings{MaxIter: 10000}, nil)
	if !errors.Is(err, ErrNonFinite) || r.Reason != NonFinite {
		t.Fatalf("reason %v, error %v; want NonFinite", r.Reason, err)
	}
	// |x| = 4ᵏ: f = 50·16ᵏ overflows at k = 255.
	if !strings.Contains(err.Error(), "iteration 255:") {
		t.Errorf("error %q does not name iteration 255", err)
	}
	if r.Iterations != 254 || math.IsInf(r.F, 0) {
		t.Errorf("result after %d iterations with F = %v", r.Iterations, r.F)
	}
}

// starter counts StartIteration calls and evaluations.
type starter struct {
	quad
	calls      []int
	evalsAt    []int
	evals      int
	changeEach int
}

func (s *starter) Eval(x, g []float64) (float64, error) {
	s.evals++
	return s.quad.Eval(x, g)
}

func (s *starter) StartIteration(iter int) bool {
	s.calls = append(s.calls, iter)
	s.evalsAt = append(s.evalsAt, s.evals)
	return s.changeEach > 0 && iter%s.changeEach == 0
}

func TestIterationStarter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, change := range []int{0, 1, 3} {
		q := randomQuad(rng, 6, 50)
		s := &starter{quad: *q, changeEach: change}
		r, err := Minimize[float64](s, make([]float64, 6), &LBFGS[float64]{}, Settings{MaxIter: 9, GradTol: -1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range s.calls {
			if c != i+1 {
				t.Fatalf("StartIteration calls %v, want 1, 2, 3, …", s.calls)
			}
		}
		if len(s.calls) != r.Iterations {
			t.Errorf("change %d: %d calls for %d iterations", change, len(s.calls), r.Iterations)
		}
		// A change costs one evaluation at the current point.
		changes := 0
		if change > 0 {
			changes = r.Iterations / change
		}
		var lineEvals int
		for i := 1; i < len(s.evalsAt); i++ {
			lineEvals += s.evalsAt[i] - s.evalsAt[i-1]
		}
		t.Logf("change every %d: %d evaluations, %d changes", change, r.Evaluations, changes)
		if r.Evaluations != s.evals {
			t.Errorf("Evaluations %d, function saw %d", r.Evaluations, s.evals)
		}
		if r.Evaluations < 1+r.Iterations+changes {
			t.Errorf("%d evaluations for %d iterations and %d changes", r.Evaluations, r.Iterations, changes)
		}
	}
}

// TestNoAllocationsPerIteration: after the setup of a run, iterations do
// not allocate (Rosenbrock's function, on which no method converges within
// 12 iterations).
func TestNoAllocationsPerIteration(t *testing.T) {
	rosen := surf[float64]{surface.Rosenbrock{}}
	x0 := []float64{-1.2, 1}
	for _, m := range append(allMethods[float64](), &GradientDescent[float64]{Step: 1e-3}, &NewtonCG[float64]{CentralDifferences: true}) {
		t.Run(methodLabel(m), func(t *testing.T) {
			var f Function[float64] = rosen
			if _, ok := m.(*NewtonCG[float64]); ok {
				f = gradOnly[float64]{rosen}
			}
			allocs := func(iters int) float64 {
				return testing.AllocsPerRun(5, func() {
					r, err := Minimize(f, x0, m, Settings{MaxIter: iters, GradTol: -1}, nil)
					if err != nil || r.Iterations != iters {
						t.Fatalf("%v after %d iterations: %v", r.Reason, r.Iterations, err)
					}
				})
			}
			few, many := allocs(2), allocs(12)
			if many > few {
				t.Errorf("%v allocations for 2 iterations, %v for 12", few, many)
			}
		})
	}
}
