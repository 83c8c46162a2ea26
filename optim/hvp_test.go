package optim

import (
	"math"
	"testing"

	"github.com/descent-ml/descent/surface"
)

// TestDifferencedHessVecError checks the documented accuracy of
// Hessian-vector products by gradient differences against the exact
// Hessian of Rosenbrock's function: about √ε (forward) and ε^(2/3)
// (central) relative to ‖∇²f‖‖v‖, in float64 and float32.
func TestDifferencedHessVecError(t *testing.T) {
	s := surface.Rosenbrock{}
	points := [][2]float64{{-1.2, 1}, {0.5, 0.3}, {1, 1}, {2, -1}}
	v := [2]float64{0.6, -0.8}
	relErr := func(got []float64, p [2]float64) float64 {
		h := s.Hessian(p)
		want := [2]float64{h[0][0]*v[0] + h[0][1]*v[1], h[1][0]*v[0] + h[1][1]*v[1]}
		scale := math.Hypot(h[0][0], h[0][1]) + math.Hypot(h[1][0], h[1][1])
		return math.Hypot(got[0]-want[0], got[1]-want[1]) / scale
	}
	tests := []struct {
		name    string
		central bool
		f32     bool
		tol     float64
	}{
		{"forward float64", false, false, 1e-6},
		{"central float64", true, false, 1e-9},
		{"forward float32", false, true, 3e-2},
		{"central float32", true, true, 3e-3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			worst := 0.0
			for _, p := range points {
				var got []float64
				if tc.f32 {
					r := newRun[float32](gradOnly[float32]{surf[float32]{s}}, []float32{float32(p[0]), float32(p[1])}, Settings{MaxEval: math.MaxInt})
					if err := r.evalCurrent(); err != nil {
						t.Fatal(err)
					}
					hv := make([]float32, 2)
					if err := r.hessVec([]float32{float32(v[0]), float32(v[1])}, hv, tc.central); err != nil {
						t.Fatal(err)
					}
					got = []float64{float64(hv[0]), float64(hv[1])}
				} else {
					r := newRun[float64](gradOnly[float64]{surf[float64]{s}}, p[:], Settings{MaxEval: math.MaxInt})
					if err := r.evalCurrent(); err != nil {
						t.Fatal(err)
					}
					got = make([]float64, 2)
					if err := r.hessVec(v[:], got, tc.central); err != nil {
						t.Fatal(err)
					}
				}
				worst = max(worst, relErr(got, p))
			}
			t.Logf("largest relative error %.2g", worst)
			if worst > tc.tol {
				t.Errorf("relative error %.2g > %g", worst, tc.tol)
			}
		})
	}
}

// TestHessianFromProducts: Newton builds the dense Hessian from exact
// products, or from differences, when the function has no Hessian.
func TestHessianFromProducts(t *testing.T) {
	s := surface.Beale{}
	p := [2]float64{1, 1.5}
	want := s.Hessian(p)
	for _, tc := range []struct {
		name string
		f    Function[float64]
		tol  float64
	}{
		{"products", hvOnly{surf[float64]{s}}, 1e-14},
		{"differences", gradOnly[float64]{surf[float64]{s}}, 1e-6},
	} {
		r := newRun[float64](tc.f, p[:], Settings{MaxEval: math.MaxInt})
		if err := r.evalCurrent(); err != nil {
			t.Fatal(err)
		}
		h := make([]float64, 4)
		if err := r.hessian(h, h, true, make([]float64, 2), make([]float64, 2), false); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			for j := 0; j < 2; j++ {
				if d := math.Abs(h[i*2+j] - want[i][j]); d > tc.tol*(1+math.Abs(want[i][j])) {
					t.Errorf("%s: H[%d][%d] = %v, want %v", tc.name, i, j, h[i*2+j], want[i][j])
				}
			}
		}
		if h[1] != h[2] {
			t.Errorf("%s: not symmetric: %v", tc.name, h)
		}
	}
}

type hvOnly struct{ s surf[float64] }

func (h hvOnly) Eval(x, g []float64) (float64, error) { return h.s.Eval(x, g) }
func (h hvOnly) HessVec(x, v, hv []float64) error     { return h.s.HessVec(x, v, hv) }

// noHessian says it has no exact second derivatives; the methods must fall
// back to differences.
type noHessian struct{ surf[float64] }

func (noHessian) Hessian(x, h []float64) error     { return ErrNoHessian }
func (noHessian) HessVec(x, v, hv []float64) error { return ErrNoHessian }

func TestErrNoHessianFallsBack(t *testing.T) {
	f := noHessian{surf[float64]{surface.Rosenbrock{}}}
	for _, m := range []Method[float64]{&Newton[float64]{}, &NewtonCG[float64]{}} {
		r, err := Minimize[float64](f, []float64{-1.2, 1}, m, Settings{GradTol: 1e-8}, nil)
		if err != nil || r.Reason != GradientTolerance {
			t.Errorf("%s: %v, %v", m.Name(), r.Reason, err)
		}
		if r.HessEvals != 0 {
			t.Errorf("%s: %d Hessian evaluations counted", m.Name(), r.HessEvals)
		}
	}
}
