package optim

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"github.com/descent-ml/descent/surface"
)

// The golden files hold scipy.optimize's minimizers (scripts/golden_fullbatch.py);
// gonum.org/v1/gonum/optimize is a second, independent oracle. Every method
// must land within 1e-6 of both.

type scipyRun struct {
	X          []float64 `json:"x"`
	F          float64   `json:"f"`
	GradNorm   float64   `json:"grad_norm"`
	Iterations int       `json:"iterations"`
}

type surfaceCase struct {
	Surface string             `json:"surface"`
	Params  map[string]float64 `json:"params"`
	Start   []float64          `json:"start"`
	Scipy   map[string]scipyRun
}

func readGolden(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 scripts/golden_fullbatch.py)", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("testdata/%s: %v", name, err)
	}
}

func surfaceCases(t *testing.T) []surfaceCase {
	var g struct{ Cases []surfaceCase }
	readGolden(t, "fullbatch_surfaces.json", &g)
	if len(g.Cases) == 0 {
		t.Fatal("no surface cases")
	}
	return g.Cases
}

func (c surfaceCase) surface(t *testing.T) surface.Surface {
	s, err := surface.ByName(c.Surface, c.Params["kappa"], c.Params["theta"])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const agreeTol = 1e-6

// tight are the settings of the comparisons: ‖∇f‖ ≤ 1e-10.
var tight = Settings{GradTol: 1e-10, MaxIter: 200000}

// gonumMinimize runs gonum's method on f with gradient and Hessian to
// ‖∇f‖∞ ≤ 1e-11.
func gonumMinimize(t *testing.T, f Function[float64], hess func(x, h []float64), x0 []float64, m optimize.Method) []float64 {
	t.Helper()
	n := len(x0)
	g := make([]float64, n)
	p := optimize.Problem{
		Func: func(x []float64) float64 { v, _ := f.Eval(x, g); return v },
		Grad: func(grad, x []float64) { f.Eval(x, grad) },
	}
	if hess != nil {
		h := make([]float64, n*n)
		p.Hess = func(dst *mat.SymDense, x []float64) {
			hess(x, h)
			for i := 0; i < n; i++ {
				for j := i; j < n; j++ {
					dst.SetSym(i, j, h[i*n+j])
				}
			}
		}
	}
	res, err := optimize.Minimize(p, x0, &optimize.Settings{GradientThreshold: 1e-11, Converger: optimize.NeverTerminate{}, MajorIterations: 100000}, m)
	if err != nil {
		t.Logf("gonum %T: %v (status %v)", m, err, res.Status)
	}
	return res.X
}

func maxDiff(a, b []float64) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

func TestSurfacesAgreeWithScipyAndGonum(t *testing.T) {
	for _, c := range surfaceCases(t) {
		s := c.surface(t)
		f := surf[float64]{s}
		hess := func(x, h []float64) { f.Hessian(x, h) }
		oracles := map[string][]float64{}
		for name, r := range c.Scipy {
			oracles["scipy "+name] = r.X
		}
		for name, m := range map[string]optimize.Method{"BFGS": &optimize.BFGS{}, "LBFGS": &optimize.LBFGS{}, "Newton": &optimize.Newton{}} {
			x := gonumMinimize(t, f, hess, c.Start, m)
			// Where several minima exist (Himmelblau), a method may end in
			// another basin than scipy's: that is no disagreement about the
			// minimizer, so such a result is not an oracle.
			if d := maxDiff(x, c.Scipy["L-BFGS-B"].X); d > 1e-3 {
				t.Logf("%s from %v: gonum %s ends at %v, another minimum than scipy's", c.Surface, c.Start, name, x)
				continue
			}
			oracles["gonum "+name] = x
		}
		if len(oracles) < len(c.Scipy)+2 {
			t.Errorf("%s from %v: only %d oracles agree with scipy", c.Surface, c.Start, len(oracles))
		}
		methods := append(allMethods[float64](), &NewtonCG[float64]{}, &Newton[float64]{LineSearch: &StrongWolfe{}})
		for i, m := range methods {
			label := methodLabel(m)
			var fn Function[float64] = f
			if i == len(methods)-2 {
				label += "-differenced"
				fn = gradOnly[float64]{f}
			}
			t.Run(fmt.Sprintf("%s%v/%s", c.Surface, c.Start, label), func(t *testing.T) {
				r, err := Minimize(fn, c.Start, m, tight, nil)
				if err != nil || r.Reason != GradientTolerance {
					t.Fatalf("stopped for %v after %d iterations (‖∇f‖ %g): %v", r.Reason, r.Iterations, r.GradNorm, err)
				}
				for name, x := range oracles {
					if d := maxDiff(r.X, x); !(d <= agreeTol) {
						t.Errorf("x = %v, %s finds %v (|Δ| = %.2g)", r.X, name, x, d)
					}
				}
			})
		}
	}
}

// logreg is L2-regularized binary logistic regression,
// E(w, b) = 1/N Σ log(1 + exp(−yᵢ(xᵢᵀw + b))) + λ‖w‖², written out by hand
// (package train builds the same objective from nn layers).
type logreg struct {
	x      [][]float64
	y      []float64 // ±1
	lambda float64
	evals  int
}

func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func (l *logreg) Eval(p, g []float64) (float64, error) {
	l.evals++
	d := len(p) - 1
	n := float64(len(l.y))
	clear(g)
	var f float64
	for i, xi := range l.x {
		z := p[d]
		for j, v := range xi {
			z += v * p[j]
		}
		f += softplus(-l.y[i]*z) / n
		s := -l.y[i] * sigmoid(-l.y[i]*z) / n
		for j, v := range xi {
			g[j] += s * v
		}
		g[d] += s
	}
	for j := 0; j < d; j++ {
		f += l.lambda * p[j] * p[j]
		g[j] += 2 * l.lambda * p[j]
	}
	return f, nil
}

func (l *logreg) Hessian(p, h []float64) error {
	n1 := len(p)
	d := n1 - 1
	n := float64(len(l.y))
	clear(h)
	for _, xi := range l.x {
		z := p[d]
		for j, v := range xi {
			z += v * p[j]
		}
		s := sigmoid(z)
		w := s * (1 - s) / n
		for a := 0; a < n1; a++ {
			xa := 1.0
			if a < d {
				xa = xi[a]
			}
			for b := 0; b < n1; b++ {
				xb := 1.0
				if b < d {
					xb = xi[b]
				}
				h[a*n1+b] += w * xa * xb
			}
		}
	}
	for j := 0; j < d; j++ {
		h[j*n1+j] += 2 * l.lambda
	}
	return nil
}

type logregGolden struct {
	Lambda float64     `json:"lambda"`
	X      [][]float64 `json:"x"`
	Y      []int       `json:"y"`
	Scipy  map[string]scipyRun
}

// loadLogreg returns the breast-cancer problem with the features rounded
// to float32, as descent's datasets hold them and the generator used.
func loadLogreg(t *testing.T) (*logreg, logregGolden) {
	var g logregGolden
	readGolden(t, "fullbatch_logreg.json", &g)
	l := &logreg{lambda: g.Lambda, x: make([][]float64, len(g.X)), y: make([]float64, len(g.Y))}
	for i, row := range g.X {
		l.x[i] = make([]float64, len(row))
		for j, v := range row {
			l.x[i][j] = float64(float32(v))
		}
		l.y[i] = -1
		if g.Y[i] > 0 {
			l.y[i] = 1
		}
	}
	return l, g
}

func TestLogisticRegressionAgreesWithScipyAndGonum(t *testing.T) {
	l, g := loadLogreg(t)
	x0 := make([]float64, len(l.x[0])+1)
	oracles := map[string][]float64{}
	for name, r := range g.Scipy {
		oracles["scipy "+name] = r.X
	}
	hess := func(x, h []float64) { l.Hessian(x, h) }
	for name, m := range map[string]optimize.Method{"LBFGS": &optimize.LBFGS{}, "Newton": &optimize.Newton{}} {
		oracles["gonum "+name] = gonumMinimize(t, l, hess, x0, m)
	}
	for _, m := range []Method[float64]{
		&LBFGS[float64]{}, &LBFGS[float64]{Memory: 3},
		&ConjugateGradient[float64]{Variant: PolakRibierePlus}, &ConjugateGradient[float64]{Variant: FletcherReeves}, &ConjugateGradient[float64]{Variant: HestenesStiefel},
		&Newton[float64]{}, &NewtonCG[float64]{},
	} {
		t.Run(methodLabel(m), func(t *testing.T) {
			var f Function[float64] = l
			if _, ok := m.(*NewtonCG[float64]); ok {
				f = gradOnly[float64]{l} // Hessian-free: differenced products
			}
			// ‖∇f‖ ≤ 1e-9 puts w within 1e-9/2λ = 5e-7 of the minimizer;
			// much below it the changes of E are lost in its rounding.
			// Conjugate gradients may meet that limit a little above it: a
			// line search that can no longer decrease E says so, and the
			// point must still agree with the oracles.
			r, err := Minimize(f, x0, m, Settings{GradTol: 1e-9, MaxIter: 20000}, nil)
			if r.Reason == LineSearchFailed && r.GradNorm < 1e-8 {
				t.Logf("precision limit: %v", err)
			} else if err != nil || r.Reason != GradientTolerance {
				t.Fatalf("stopped for %v after %d iterations (‖∇f‖ %g): %v", r.Reason, r.Iterations, r.GradNorm, err)
			}
			t.Logf("%d iterations, %d evaluations, E = %.12f", r.Iterations, r.Evaluations, r.F)
			for name, x := range oracles {
				if d := maxDiff(r.X, x); !(d <= agreeTol) {
					t.Errorf("%s differs by %.2g", name, d)
				}
			}
			if want := g.Scipy["trust-exact"].F; math.Abs(r.F-want) > 1e-12 {
				t.Errorf("E = %.15f, scipy %.15f", r.F, want)
			}
		})
	}
}

// TestGoldenFilesParse guards the JSON shape the train tests also read.
func TestGoldenFilesParse(t *testing.T) {
	var g map[string]any
	for _, name := range []string{"fullbatch_surfaces.json", "fullbatch_logreg.json", "fullbatch_softmax.json"} {
		readGolden(t, name, &g)
		if g["generator"] != "scripts/golden_fullbatch.py" {
			t.Errorf("%s: generator %v", name, g["generator"])
		}
		if _, err := strconv.ParseFloat(fmt.Sprint(g["scipy_version"])[:3], 64); err != nil {
			t.Errorf("%s: scipy_version %v", name, g["scipy_version"])
		}
	}
}
