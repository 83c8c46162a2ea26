package optim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/surface"
)

// TestGradientDescentRateOnQuadratic: with the optimal fixed step
// 2/(λ₁+λₙ), gradient descent on ½xᵀAx contracts the error by exactly
// (κ−1)/(κ+1) per step on the 2-D quadratic (both eigencomponents are
// multiplied by ±(κ−1)/(κ+1)), and by at most that in n dimensions.
func TestGradientDescentRateOnQuadratic(t *testing.T) {
	for _, kappa := range []float64{1.5, 10, 100, 1e4} {
		for _, theta := range []float64{0, math.Pi / 6, 1} {
			t.Run(fmt.Sprintf("2-D/κ=%g/θ=%.2f", kappa, theta), func(t *testing.T) {
				q := surface.Quadratic{Kappa: kappa, Theta: theta}
				rate := (kappa - 1) / (kappa + 1)
				prev := math.NaN()
				checked := 0
				_, err := Minimize[float64](surf[float64]{q}, []float64{-2, 1.5}, &GradientDescent[float64]{Step: 2 / (1 + kappa)},
					Settings{MaxIter: 40, GradTol: -1}, func(iter int, x []float64, f, g float64) bool {
						e := math.Hypot(x[0], x[1])
						if iter > 0 && e > 1e-200 {
							if got := e / prev; math.Abs(got-rate) > 1e-12*max(rate, 1e-3) {
								t.Errorf("step %d: ‖x‖ ratio %.15g, want (κ−1)/(κ+1) = %.15g", iter, got, rate)
							}
							checked++
						}
						prev = e
						return true
					})
				if err != nil {
					t.Fatal(err)
				}
				if checked < 10 {
					t.Errorf("only %d steps checked", checked)
				}
			})
		}
	}
	t.Run("n-D", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		const n, kappa = 12, 50.0
		q := randomQuad(rng, n, kappa)
		clear(q.b) // minimizer 0
		rate := (kappa - 1) / (kappa + 1)
		x0 := make([]float64, n)
		for i := range x0 {
			x0[i] = rng.NormFloat64()
		}
		prev := fbNorm(x0)
		worst := 0.0
		_, err := Minimize[float64](q, x0, &GradientDescent[float64]{Step: 2 / (1 + kappa)}, Settings{MaxIter: 200, GradTol: -1},
			func(iter int, x []float64, f, g float64) bool {
				e := fbNorm(x)
				if iter > 0 {
					worst = max(worst, e/prev)
				}
				prev = e
				return true
			})
		if err != nil {
			t.Fatal(err)
		}
		if worst > rate*(1+1e-12) {
			t.Errorf("worst contraction %.15g exceeds (κ−1)/(κ+1) = %.15g", worst, rate)
		}
		// The extreme eigencomponents contract at exactly the rate, and
		// they dominate the error after many steps.
		if worst < rate*(1-1e-6) {
			t.Errorf("worst contraction %.15g, want ≈ %.15g", worst, rate)
		}
	})
}

// TestConjugateGradientFiniteTermination: with exact line searches, every
// variant of nonlinear CG on an n-dimensional strictly convex quadratic is
// linear CG and finishes in n steps up to rounding (and not before). The
// condition number is kept at 10: with a wide spectrum, rounding destroys
// the conjugacy of the directions and even textbook linear CG needs more
// than n steps (κ = 100, n = 20 leaves 2e-4 of the gradient).
func TestConjugateGradientFiniteTermination(t *testing.T) {
	for _, n := range []int{2, 3, 5, 8, 10} {
		for _, v := range []CGVariant{PolakRibierePlus, FletcherReeves, HestenesStiefel} {
			t.Run(fmt.Sprintf("n=%d/%v", n, v), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), 9))
				q := randomQuad(rng, n, 10)
				exact := &StrongWolfe{DecreaseTol: 1e-12, CurvatureTol: 1e-10}
				var g0 float64
				norms := map[int]float64{}
				r, err := Minimize[float64](q, make([]float64, n), &ConjugateGradient[float64]{Variant: v, LineSearch: exact},
					Settings{MaxIter: n, GradTol: -1}, func(iter int, x []float64, f, g float64) bool {
						if iter == 0 {
							g0 = g
						}
						norms[iter] = g / g0
						return true
					})
				if err != nil {
					t.Fatal(err)
				}
				if r.Iterations != n {
					t.Fatalf("%d iterations", r.Iterations)
				}
				if norms[n] > 1e-10 {
					t.Errorf("‖∇f‖ after n = %d steps is %.2g of the start's, want < 1e-10", n, norms[n])
				}
				if norms[n-1] < 1e-6 {
					t.Errorf("‖∇f‖ after n−1 steps is already %.2g of the start's", norms[n-1])
				}
			})
		}
	}
}

// TestNewtonSolvesQuadraticInOneStep, on the 2-D quadratic of any
// condition number and on a random n-dimensional one.
func TestNewtonSolvesQuadraticInOneStep(t *testing.T) {
	check := func(t *testing.T, f Function[float64], x0 []float64, m Method[float64]) {
		r, err := Minimize(f, x0, m, Settings{GradTol: 1e-9}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Iterations != 1 || r.Reason != GradientTolerance {
			t.Fatalf("%d iterations, stopped for %v (‖∇f‖ %g); want 1 step", r.Iterations, r.Reason, r.GradNorm)
		}
	}
	for _, kappa := range []float64{1, 10, 1e3, 1e6} {
		t.Run(fmt.Sprintf("κ=%g", kappa), func(t *testing.T) {
			q := surf[float64]{surface.Quadratic{Kappa: kappa, Theta: 0.7}}
			check(t, q, []float64{-2, 1.5}, &Newton[float64]{})
			check(t, q, []float64{-2, 1.5}, &Newton[float64]{Pure: true})
			check(t, q, []float64{-2, 1.5}, &Newton[float64]{LineSearch: &StrongWolfe{}})
		})
	}
	t.Run("n=40", func(t *testing.T) {
		q := randomQuad(rand.New(rand.NewPCG(7, 7)), 40, 1e4)
		check(t, q, make([]float64, 40), &Newton[float64]{})
		check(t, gradOnly[float64]{q}, make([]float64, 40), &Newton[float64]{CentralDifferences: true})
	})
	t.Run("booth", func(t *testing.T) {
		check(t, surf[float64]{surface.Booth{}}, []float64{-5, -5}, &Newton[float64]{})
	})
}

// scaled is the same objective in other units: g(w′) = f(Dw′), with
// gradient D∇f(Dw′) and Hessian D∇²f(Dw′)D.
type scaled struct {
	f interface {
		Function[float64]
		Hessianer[float64]
	}
	d    []float64
	x, g []float64
}

func (s *scaled) Eval(w, grad []float64) (float64, error) {
	for i := range w {
		s.x[i] = s.d[i] * w[i]
	}
	v, err := s.f.Eval(s.x, grad)
	for i := range grad {
		grad[i] *= s.d[i]
	}
	return v, err
}

func (s *scaled) Hessian(w, h []float64) error {
	n := len(w)
	for i := range w {
		s.x[i] = s.d[i] * w[i]
	}
	if err := s.f.Hessian(s.x, h); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			h[i*n+j] *= s.d[i] * s.d[j]
		}
	}
	return nil
}

// boyd is f(x, y) = e^(x+3y−0.1) + e^(x−3y−0.1) + e^(−x−0.1) (Boyd &
// Vandenberghe, Convex Optimization, eq. 9.20): strictly convex, not
// quadratic, so Newton takes several damped and then pure steps.
type boyd struct{}

func (boyd) Eval(p, g []float64) (float64, error) {
	a, b, c := math.Exp(p[0]+3*p[1]-0.1), math.Exp(p[0]-3*p[1]-0.1), math.Exp(-p[0]-0.1)
	g[0], g[1] = a+b-c, 3*a-3*b
	return a + b + c, nil
}

func (boyd) Hessian(p, h []float64) error {
	a, b, c := math.Exp(p[0]+3*p[1]-0.1), math.Exp(p[0]-3*p[1]-0.1), math.Exp(-p[0]-0.1)
	h[0], h[1], h[2], h[3] = a+b+c, 3*a-3*b, 3*a-3*b, 9*a+9*b
	return nil
}

// TestUnitsOfMeasurement is the lecture's "units of measurement": measure
// the coordinates in other units, w′ = D⁻¹w, and the objective
// accordingly, f′(w′) = f(Dw′). Newton's method is consistent: its
// iterates map exactly, w′ₖ = D⁻¹wₖ (up to rounding). Gradient descent is
// not: its gradient D∇f has the units of 1/w′, not of w′, and its
// iterates in the new units are a different sequence.
func TestUnitsOfMeasurement(t *testing.T) {
	l, _ := loadLogreg(t)
	problems := []struct {
		name string
		f    interface {
			Function[float64]
			Hessianer[float64]
		}
		x0 []float64
		d  []float64
	}{
		{"boyd", boyd{}, []float64{-1, 1}, []float64{100, 0.01}},
		{"rosenbrock", surf[float64]{surface.Rosenbrock{}}, []float64{1.2, 1.2}, []float64{10, 0.1}},
		{"logistic regression", l, make([]float64, 31), nil},
	}
	problems[2].d = make([]float64, 31)
	for i := range problems[2].d {
		problems[2].d[i] = math.Pow(10, float64(i%7-3)) // 1e-3 … 1e3
	}
	for _, p := range problems {
		n := len(p.x0)
		sf := &scaled{f: p.f, d: p.d, x: make([]float64, n), g: make([]float64, n)}
		w0 := make([]float64, n) // w′₀ = D⁻¹w₀
		for i := range w0 {
			w0[i] = p.x0[i] / p.d[i]
		}
		// mismatch returns the largest relative distance between D⁻¹wₖ
		// and w′ₖ over the first iterations of m.
		mismatch := func(t *testing.T, newM func() Method[float64], iters int) (worst float64, steps int) {
			var orig [][]float64
			_, err := Minimize(p.f, p.x0, newM(), Settings{MaxIter: iters, GradTol: -1}, func(k int, x []float64, f, g float64) bool {
				orig = append(orig, append([]float64(nil), x...))
				return true
			})
			if err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			_, err = Minimize(sf, w0, newM(), Settings{MaxIter: iters, GradTol: -1}, func(k int, w []float64, f, g float64) bool {
				if k >= len(orig) {
					worst = math.Inf(1)
					return false
				}
				for i := range w {
					want := orig[k][i] / p.d[i]
					worst = max(worst, math.Abs(w[i]-want)/max(math.Abs(want), 1/p.d[i]))
				}
				steps = k
				return true
			})
			if errors.Is(err, ErrNonFinite) {
				// A step that is stable in the old units diverges in
				// the new ones.
				t.Logf("in the new units: %v", err)
				return math.Inf(1), steps
			}
			if err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			return worst, steps
		}
		t.Run(p.name, func(t *testing.T) {
			iters := 5 // Newton is near machine precision by then
			nw, steps := mismatch(t, func() Method[float64] { return &Newton[float64]{} }, iters)
			if nw > 1e-9 || steps < 5 {
				t.Errorf("Newton: iterates in the new units differ from D⁻¹w by %.2g (relative) over %d steps", nw, steps)
			}
			gd, _ := mismatch(t, func() Method[float64] { return &GradientDescent[float64]{Step: 1e-3} }, iters)
			if gd < 1e-3 {
				t.Errorf("gradient descent: iterates map to %.2g, expected them not to", gd)
			}
			t.Logf("largest relative mismatch of D⁻¹wₖ and w′ₖ: Newton %.1e, gradient descent %.1e", nw, gd)
		})
	}
}
