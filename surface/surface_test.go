package surface

import (
	"math"
	"testing"
)

func TestDerivativesMatchFiniteDifferences(t *testing.T) {
	points := [][2]float64{{0.3, -0.7}, {-1.2, 1}, {2.5, 0.4}, {1, 1}}
	for _, s := range []Surface{Quadratic{Kappa: 10, Theta: 0.3}, Rosenbrock{}, Beale{}, Saddle{}, Himmelblau{}, Booth{}} {
		for _, p := range points {
			const h = 1e-6
			g, H := s.Gradient(p), s.Hessian(p)
			for i := 0; i < 2; i++ {
				pp, pm := p, p
				pp[i] += h
				pm[i] -= h
				num := (s.Value(pp) - s.Value(pm)) / (2 * h)
				if math.Abs(num-g[i]) > 1e-6*math.Max(1, math.Abs(g[i])) {
					t.Errorf("%s at %v: ∂f/∂p%d = %v, finite difference %v", s.Name(), p, i, g[i], num)
				}
				gp, gm := s.Gradient(pp), s.Gradient(pm)
				for j := 0; j < 2; j++ {
					num := (gp[j] - gm[j]) / (2 * h)
					if math.Abs(num-H[i][j]) > 1e-5*math.Max(1, math.Abs(H[i][j])) {
						t.Errorf("%s at %v: H[%d][%d] = %v, finite difference %v", s.Name(), p, i, j, H[i][j], num)
					}
				}
			}
		}
	}
}

func TestMinimaAreStationary(t *testing.T) {
	for _, s := range []Surface{Quadratic{Kappa: 100, Theta: math.Pi / 4}, Rosenbrock{}, Beale{}, Himmelblau{}, Booth{}} {
		for _, m := range s.Minima() {
			g := s.Gradient(m)
			if math.Hypot(g[0], g[1]) > 1e-9 || s.Value(m) > 1e-12 {
				t.Errorf("%s at %v: f = %v, ∇f = %v", s.Name(), m, s.Value(m), g)
			}
		}
	}
}

func TestQuadraticConditionNumber(t *testing.T) {
	q := Quadratic{Kappa: 50, Theta: 0.7}
	a := q.A()
	tr, det := a[0][0]+a[1][1], a[0][0]*a[1][1]-a[0][1]*a[1][0]
	disc := math.Sqrt(tr*tr/4 - det)
	l1, l2 := tr/2-disc, tr/2+disc
	if math.Abs(l1-1) > 1e-12 || math.Abs(l2-50) > 1e-10 {
		t.Fatalf("eigenvalues %v %v, want 1 and 50", l1, l2)
	}
}

func TestByName(t *testing.T) {
	for _, n := range Names() {
		s, err := ByName(n, 10, 0)
		if err != nil || s.Name() != n {
			t.Errorf("ByName(%q) = %v, %v", n, s, err)
		}
	}
	if _, err := ByName("sphere", 10, 0); err == nil {
		t.Error("unknown surface accepted")
	}
	if _, err := ByName("quadratic", 0.5, 0); err == nil {
		t.Error("kappa < 1 accepted")
	}
}
