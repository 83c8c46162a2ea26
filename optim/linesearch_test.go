package optim

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

// phi1 is a scalar function of the step for testing line searches.
type phi1 struct {
	f     func(a float64) (float64, float64)
	evals int
}

func (p *phi1) Eval(a float64) (float64, float64, error) {
	p.evals++
	f, df := p.f(a)
	return f, df, nil
}

// The test functions of Moré & Thuente (1994), with the evaluation counts
// of their Tables 1 and 2 for the first steps 10⁻³, 10⁻¹, 10 and 10³.
var mtFunctions = []struct {
	name   string
	f      func(a float64) (float64, float64)
	c1, c2 float64
	evals  []int
}{
	{"mt1 −α/(α²+2)", func(a float64) (float64, float64) {
		const b = 2.0
		return -a / (a*a + b), (a*a - b) / ((a*a + b) * (a*a + b))
	}, 1e-3, 0.1, []int{6, 3, 1, 4}},
	{"mt2 (α+0.004)⁵−2(α+0.004)⁴", func(a float64) (float64, float64) {
		const b = 0.004
		x := a + b
		return math.Pow(x, 5) - 2*math.Pow(x, 4), 5*math.Pow(x, 4) - 8*math.Pow(x, 3)
	}, 0.1, 0.1, []int{12, 8, 8, 11}},
	{"quadratic (α−3)²", func(a float64) (float64, float64) { return (a - 3) * (a - 3), 2 * (a - 3) }, 1e-4, 0.9, nil},
	{"Inf beyond 1", func(a float64) (float64, float64) {
		if a > 1 {
			return math.Inf(1), math.NaN()
		}
		return (a - 0.8) * (a - 0.8), 2 * (a - 0.8)
	}, 1e-4, 0.5, nil},
}

func TestStrongWolfeMeetsItsConditions(t *testing.T) {
	for _, fn := range mtFunctions {
		for i, a0 := range []float64{1e-3, 1e-1, 10, 1e3} {
			t.Run(fmt.Sprintf("%s/α₀=%g", fn.name, a0), func(t *testing.T) {
				p := &phi1{f: fn.f}
				f0, df0 := fn.f(0)
				ls := &StrongWolfe{DecreaseTol: fn.c1, CurvatureTol: fn.c2}
				a, f, df, err := ls.Search(p, f0, df0, a0)
				if err != nil {
					t.Fatal(err)
				}
				if !(f-f0 <= fn.c1*a*df0) || math.Abs(df) > fn.c2*math.Abs(df0) {
					t.Errorf("α = %g: φ = %g, φ' = %g do not satisfy the strong Wolfe conditions (φ(0) = %g, φ'(0) = %g)", a, f, df, f0, df0)
				}
				if wf, wdf := fn.f(a); wf != f || wdf != df {
					t.Errorf("returned φ(α) = %v, %v; φ at α is %v, %v", f, df, wf, wdf)
				}
				if p.evals > 15 {
					t.Errorf("%d evaluations", p.evals)
				}
				if fn.evals != nil && p.evals != fn.evals[i] {
					t.Errorf("%d evaluations; Moré & Thuente report %d", p.evals, fn.evals[i])
				}
				t.Logf("α = %.6g after %d evaluations", a, p.evals)
			})
		}
	}
}

func TestBacktrackingArmijo(t *testing.T) {
	for _, fn := range mtFunctions {
		for _, a0 := range []float64{1e-3, 1, 10, 1e3} {
			t.Run(fmt.Sprintf("%s/α₀=%g", fn.name, a0), func(t *testing.T) {
				p := &phi1{f: fn.f}
				f0, df0 := fn.f(0)
				ls := &Backtracking{DecreaseTol: fn.c1}
				a, f, _, err := ls.Search(p, f0, df0, a0)
				if err != nil {
					t.Fatal(err)
				}
				if !(f-f0 <= fn.c1*a*df0) {
					t.Errorf("α = %g does not decrease f sufficiently", a)
				}
				// It is the first step of the sequence α₀/2ᵏ that does.
				if k := math.Log2(a0 / a); math.Abs(k-math.Round(k)) > 1e-9 {
					t.Errorf("α = %g is not α₀/2ᵏ", a)
				} else if a < a0 {
					fb, _ := fn.f(2 * a)
					if fb-f0 <= fn.c1*2*a*df0 {
						t.Errorf("α = %g, but 2α already decreases f sufficiently", a)
					}
				}
			})
		}
	}
}

func TestLineSearchFailures(t *testing.T) {
	uphill := func(a float64) (float64, float64) { return a, -1 } // claims descent, rises
	tests := []struct {
		name          string
		f             func(a float64) (float64, float64)
		f0, df0, step float64
	}{
		{"no decrease", uphill, 0, -1, 1},
		{"ascent direction", func(a float64) (float64, float64) { return a, 1 }, 0, 1, 1},
		{"zero slope", func(a float64) (float64, float64) { return 0, 0 }, 0, 0, 1},
		{"bad first step", uphill, 0, -1, -1},
		{"NaN start", uphill, math.NaN(), -1, 1},
		{"Inf everywhere", func(a float64) (float64, float64) { return math.Inf(1), math.NaN() }, 0, -1, 1},
	}
	for _, tc := range tests {
		for _, ls := range []LineSearch{&Backtracking{}, &StrongWolfe{}} {
			t.Run(fmt.Sprintf("%s/%T", tc.name, ls), func(t *testing.T) {
				_, _, _, err := ls.Search(&phi1{f: tc.f}, tc.f0, tc.df0, tc.step)
				if !errors.Is(err, ErrLineSearchFailed) {
					t.Fatalf("error %v, want ErrLineSearchFailed", err)
				}
				t.Log(err)
			})
		}
	}
}

func TestLineSearchBadParameters(t *testing.T) {
	p := &phi1{f: mtFunctions[2].f}
	for _, ls := range []LineSearch{
		&Backtracking{DecreaseTol: 1}, &Backtracking{Shrink: 1.5}, &Backtracking{MaxEvals: -1},
		&StrongWolfe{DecreaseTol: 0.5, CurvatureTol: 0.4}, &StrongWolfe{CurvatureTol: 1}, &StrongWolfe{MaxEvals: -3},
	} {
		if _, _, _, err := ls.Search(p, 9, -6, 1); err == nil {
			t.Errorf("%+v accepted", ls)
		}
	}
}

// TestLineSearchPassesFunctionErrors: an error of φ ends the search and is
// returned as is.
func TestLineSearchPassesFunctionErrors(t *testing.T) {
	boom := errors.New("boom")
	for _, ls := range []LineSearch{&Backtracking{}, &StrongWolfe{}} {
		_, _, _, err := ls.Search(errPhi{boom}, 0, -1, 1)
		if err != boom {
			t.Errorf("%T: %v", ls, err)
		}
	}
}

type errPhi struct{ err error }

func (e errPhi) Eval(float64) (float64, float64, error) { return 0, 0, e.err }
