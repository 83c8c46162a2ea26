package optim

import (
	"fmt"
	"math"
	"testing"

	"github.com/descent-ml/descent/surface"
)

// TestLBFGSRosenbrock: from the classic start (−1.2, 1), L-BFGS reaches
// ‖∇f‖ < 1e-6 within 60 iterations.
func TestLBFGSRosenbrock(t *testing.T) {
	for _, mem := range []int{3, 5, 10, 20} {
		t.Run(fmt.Sprintf("m=%d", mem), func(t *testing.T) {
			r, err := Minimize[float64](surf[float64]{surface.Rosenbrock{}}, []float64{-1.2, 1}, &LBFGS[float64]{Memory: mem}, Settings{GradTol: 1e-6, MaxIter: 60}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Reason != GradientTolerance || !(r.GradNorm < 1e-6) {
				t.Fatalf("stopped for %v after %d iterations with ‖∇f‖ = %g", r.Reason, r.Iterations, r.GradNorm)
			}
			t.Logf("%d iterations, %d evaluations, x = %v", r.Iterations, r.Evaluations, r.X)
		})
	}
}

// TestLBFGSSkipsNegativeCurvature: with a backtracking search (no
// curvature condition) on f = cos x from near its maximum, the first pair
// has sᵀy < 0; L-BFGS must skip it and still converge to a minimum.
func TestLBFGSSkipsNegativeCurvature(t *testing.T) {
	f := FunctionOf[float64](func(x, g []float64) (float64, error) {
		g[0] = -math.Sin(x[0])
		return math.Cos(x[0]), nil
	})
	for _, ls := range []LineSearch{&Backtracking{}, &StrongWolfe{}} {
		m := &LBFGS[float64]{LineSearch: ls}
		r, err := Minimize[float64](f, []float64{0.1}, m, Settings{GradTol: 1e-10}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if math.Cos(r.X[0]) > -1+1e-15 {
			t.Errorf("%T: x = %v, want a minimum π + 2kπ", ls, r.X[0])
		}
		_, wolfe := ls.(*StrongWolfe)
		if wolfe && m.skipped != 0 || !wolfe && m.skipped == 0 {
			t.Errorf("%T: %d updates skipped", ls, m.skipped)
		}
	}
}

// TestLBFGSFloat32 runs the methods in single precision: the minimizers
// agree with the float64 ones to single-precision accuracy.
func TestMethodsFloat32(t *testing.T) {
	for _, s := range []surface.Surface{surface.Rosenbrock{}, surface.Beale{}, surface.Booth{}, surface.Himmelblau{}, surface.Quadratic{Kappa: 20, Theta: 0.3}} {
		for _, m := range allMethods[float32]() {
			t.Run(s.Name()+"/"+methodLabel(m), func(t *testing.T) {
				st := s.Start()
				r, err := Minimize[float32](surf[float32]{s}, []float32{float32(st[0]), float32(st[1])}, m, Settings{GradTol: 1e-4, MaxIter: 100000}, nil)
				if err != nil && r.Reason != LineSearchFailed {
					t.Fatal(err)
				}
				best := math.Inf(1)
				for _, x := range s.Minima() {
					best = min(best, math.Hypot(float64(r.X[0])-x[0], float64(r.X[1])-x[1]))
				}
				if best > 2e-3 {
					t.Errorf("x = %v (%v after %d iterations, ‖∇f‖ %g): %.2g from the nearest minimum", r.X, r.Reason, r.Iterations, r.GradNorm, best)
				}
			})
		}
	}
}
