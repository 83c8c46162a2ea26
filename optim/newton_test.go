package optim

import (
	"errors"
	"math"
	"testing"

	"github.com/descent-ml/descent/surface"
)

// TestNewtonAtASaddle: on x² − y² from (1, 10⁻³), the pure Newton step
// jumps to the saddle point (0, 0) and stops there with a zero gradient;
// the safeguarded methods move along the negative curvature instead and
// keep decreasing f.
func TestNewtonAtASaddle(t *testing.T) {
	f := surf[float64]{surface.Saddle{}}
	x0 := []float64{1, 1e-3}
	pure, err := Minimize[float64](f, x0, &Newton[float64]{Pure: true}, Settings{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pure.Reason != GradientTolerance || pure.Iterations != 1 || math.Hypot(pure.X[0], pure.X[1]) > 1e-15 {
		t.Errorf("pure Newton: %v after %d iterations at %v, want the saddle in one step", pure.Reason, pure.Iterations, pure.X)
	}
	for _, m := range []Method[float64]{&Newton[float64]{}, &Newton[float64]{Damping: 1}, &NewtonCG[float64]{}, &NewtonCG[float64]{Damping: 0.5}} {
		r, err := Minimize[float64](f, x0, m, Settings{MaxIter: 15}, nil)
		if err != nil && !errors.Is(err, ErrNonFinite) {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		if !(r.F < -1) || math.Abs(r.X[1]) < 1 || math.Abs(r.X[0]) > 1 {
			t.Errorf("%s: %v after %d iterations at %v, f = %v; want |y| growing and f < −1", m.Name(), r.Reason, r.Iterations, r.X, r.F)
		}
	}
}

func TestNewtonModifiedCholesky(t *testing.T) {
	// H = diag(2, −2): τ must exceed 2.
	h := []float64{2, 0, 0, -2}
	l := make([]float64, 4)
	tau, err := modifiedCholesky(2, h, l, 0)
	if err != nil || !(tau > 2) {
		t.Fatalf("τ = %v, %v; want τ > 2", tau, err)
	}
	// Positive definite: no shift, L Lᵀ = H.
	h = []float64{4, 2, 2, 3}
	tau, err = modifiedCholesky(2, h, l, 0)
	if err != nil || tau != 0 {
		t.Fatalf("τ = %v, %v", tau, err)
	}
	if l[0] != 2 || l[2] != 1 || math.Abs(l[3]-math.Sqrt2) > 1e-15 {
		t.Errorf("L = %v", l)
	}
	b := []float64{2, 1}
	cholSolve(2, l, b) // H x = (2, 1): x = (0.5, 0)
	if math.Abs(b[0]-0.5) > 1e-15 || math.Abs(b[1]) > 1e-15 {
		t.Errorf("solution %v, want (0.5, 0)", b)
	}
}

func TestNewtonPureSingularHessian(t *testing.T) {
	// f = x⁴ + y²: the Hessian diag(12x², 2) is singular at x = 0.
	f := FunctionOf[float64](func(p, g []float64) (float64, error) {
		g[0], g[1] = 4*p[0]*p[0]*p[0], 2*p[1]
		return p[0]*p[0]*p[0]*p[0] + p[1]*p[1], nil
	})
	h := hessOf{f, func(p, h []float64) { h[0], h[1], h[2], h[3] = 12*p[0]*p[0], 0, 0, 2 }}
	r, err := Minimize[float64](h, []float64{0, 1}, &Newton[float64]{Pure: true}, Settings{}, nil)
	if r.Reason != NumericalFailure || err == nil {
		t.Fatalf("reason %v, error %v; want NumericalFailure", r.Reason, err)
	}
	t.Log(err)
}

type hessOf struct {
	FunctionOf[float64]
	h func(p, h []float64)
}

func (f hessOf) Hessian(p, h []float64) error { f.h(p, h); return nil }

// TestNewtonCGUsesExactProducts: with a HessVecer, Newton-CG evaluates the
// function only in line searches; without one, every product costs an
// evaluation.
func TestNewtonCGUsesExactProducts(t *testing.T) {
	f := surf[float64]{surface.Rosenbrock{}}
	exact, err := Minimize[float64](f, []float64{-1.2, 1}, &NewtonCG[float64]{}, Settings{GradTol: 1e-10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	diff, err := Minimize[float64](gradOnly[float64]{f}, []float64{-1.2, 1}, &NewtonCG[float64]{}, Settings{GradTol: 1e-10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if exact.HessEvals == 0 || diff.HessEvals != 0 || diff.Evaluations <= exact.Evaluations {
		t.Errorf("exact: %d evaluations, %d products; differenced: %d evaluations, %d products",
			exact.Evaluations, exact.HessEvals, diff.Evaluations, diff.HessEvals)
	}
	t.Logf("exact products: %d iterations, %d evaluations, %d products; differenced: %d iterations, %d evaluations",
		exact.Iterations, exact.Evaluations, exact.HessEvals, diff.Iterations, diff.Evaluations)
}
