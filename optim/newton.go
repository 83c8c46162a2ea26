package optim

import (
	"fmt"
	"math"
)

// Newton is Newton's method with the exact Hessian, the lecture's "classic
// solution"
//
//	v[t+1] = −H[t]⁻¹ ∇(E, w[t])
//
// ("the lower the curvature the faster we go"), for problems small enough
// to form and factor the n×n Hessian: the 2-D surfaces, logistic
// regression with up to a few thousand weights. The Hessian comes from the
// function's Hessianer, else from n exact Hessian-vector products
// (HessVecer), else from n gradient differences (see hvp.go for their
// error). Newton's method is invariant under linear changes of
// coordinates: in units w′ = D⁻¹w its iterates are exactly D⁻¹ times the
// original ones ("Newton method is consistent"), and it minimizes a
// quadratic in one step.
//
// Far from a minimizer, or near a saddle, H may be indefinite and −H⁻¹∇f
// may point uphill, and the pure iteration is attracted to saddle points
// and maxima as readily as to minima. The safeguard (Nocedal & Wright,
// Algorithm 3.3, "Cholesky with added multiple of the identity") solves
//
//	(H + τI) p = −∇f
//
// with τ = Damping, then τ ← max(2τ, β) (β = 10⁻³ times the largest
// |Hᵢᵢ|) until the Cholesky factorization succeeds, so that p is a descent
// direction; at a saddle it moves along the negative
// curvature instead of toward the saddle. The step along p comes from the
// line search (default Backtracking from α = 1, which a quadratic accepts).
// Pure drops both safeguards.
type Newton[T Float] struct {
	// LineSearch defaults to Backtracking.
	LineSearch LineSearch
	// Damping is a multiple of the identity always added to H
	// (Levenberg–Marquardt style; default 0).
	Damping float64
	// Pure takes the textbook step x ← x − H⁻¹∇f (Gaussian elimination with
	// partial pivoting) with no modification and no line search. It fails
	// with NumericalFailure when H is singular.
	Pure bool
	// CentralDifferences differences gradients centrally when the Hessian
	// must be approximated (twice the evaluations, smaller error).
	CentralDifferences bool

	search     LineSearch
	h, l       []float64
	p          []float64
	piv        []int
	ht, e, col []T
	alias      bool
}

// Name returns "newton".
func (*Newton[T]) Name() string { return "newton" }

func (m *Newton[T]) init(r *run[T]) error {
	if m.Damping < 0 || math.IsNaN(m.Damping) || math.IsInf(m.Damping, 0) {
		return fmt.Errorf("damping %v, want a finite value ≥ 0", m.Damping)
	}
	n := r.n
	if len(m.p) != n {
		m.h, m.l = make([]float64, n*n), make([]float64, n*n)
		m.p, m.piv = make([]float64, n), make([]int, n)
		m.e, m.col = make([]T, n), make([]T, n)
		m.ht, m.alias = any(m.h).([]T) // T is float64: the Hessian is written into h
		if !m.alias {
			m.ht = make([]T, n*n)
		}
	}
	m.search = m.LineSearch
	if m.search == nil {
		m.search = &Backtracking{}
	}
	return nil
}

func (m *Newton[T]) iterate(r *run[T]) error {
	n := r.n
	if err := r.hessian(m.h, m.ht, m.alias, m.e, m.col, m.CentralDifferences); err != nil {
		return err
	}
	for i, g := range r.g {
		m.p[i] = -float64(g)
	}
	if m.Pure {
		if err := luSolve(n, m.h, m.l, m.piv, m.p); err != nil {
			return fmt.Errorf("%s: %w: %v", r.where(), errNumerical, err)
		}
		for i, v := range m.p {
			r.d[i] = T(v)
		}
		return r.step(1)
	}
	if _, err := modifiedCholesky(n, m.h, m.l, m.Damping); err != nil {
		return fmt.Errorf("%s: %w: %v", r.where(), errNumerical, err)
	}
	cholSolve(n, m.l, m.p)
	for i, v := range m.p {
		r.d[i] = T(v)
	}
	df := fbDot(r.g, r.d)
	_, _, err := r.search(m.search, df, 1)
	return err
}

// modifiedCholesky factors H + τI = LLᵀ into l for the smallest τ ≥ damping
// of 0, β, 2β, … that succeeds (β = 10⁻³·max|Hᵢᵢ|), returning τ.
func modifiedCholesky(n int, h, l []float64, damping float64) (float64, error) {
	var maxDiag float64
	for i := 0; i < n; i++ {
		maxDiag = max(maxDiag, math.Abs(h[i*n+i]))
	}
	beta := 1e-3 * maxDiag
	if beta == 0 {
		beta = 1e-3
	}
	tau := damping
	for try := 0; try < 200; try++ {
		if cholesky(n, h, l, tau) {
			return tau, nil
		}
		tau = max(2*tau, beta)
	}
	return tau, fmt.Errorf("the Hessian stays indefinite after adding %g·I", tau)
}

// cholesky factors A + τI = LLᵀ (A n×n, row-major, lower triangle read)
// into the lower triangle of l, reporting whether A + τI is positive
// definite.
func cholesky(n int, a, l []float64, tau float64) bool {
	for j := 0; j < n; j++ {
		lj := l[j*n : j*n+j]
		d := a[j*n+j] + tau
		for _, v := range lj {
			d -= v * v
		}
		if !(d > 0) || math.IsInf(d, 0) {
			return false
		}
		d = math.Sqrt(d)
		l[j*n+j] = d
		for i := j + 1; i < n; i++ {
			li := l[i*n : i*n+j]
			s := a[i*n+j]
			for k, v := range lj {
				s -= li[k] * v
			}
			l[i*n+j] = s / d
		}
	}
	return true
}

// cholSolve overwrites b with the solution of LLᵀx = b.
func cholSolve(n int, l, b []float64) {
	for i := 0; i < n; i++ {
		s := b[i]
		for k, v := range l[i*n : i*n+i] {
			s -= v * b[k]
		}
		b[i] = s / l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * b[k]
		}
		b[i] = s / l[i*n+i]
	}
}

// luSolve overwrites b with the solution of Ax = b by Gaussian elimination
// with partial pivoting, using lu (n×n) and piv as scratch.
func luSolve(n int, a, lu []float64, piv []int, b []float64) error {
	copy(lu, a)
	var scaleA float64
	for _, v := range a {
		scaleA = max(scaleA, math.Abs(v))
	}
	for k := 0; k < n; k++ {
		p := k
		for i := k + 1; i < n; i++ {
			if math.Abs(lu[i*n+k]) > math.Abs(lu[p*n+k]) {
				p = i
			}
		}
		piv[k] = p
		if math.Abs(lu[p*n+k]) <= 1e-14*scaleA || scaleA == 0 {
			return fmt.Errorf("the Hessian is singular (pivot %d is %g)", k, lu[p*n+k])
		}
		if p != k {
			for j := 0; j < n; j++ {
				lu[k*n+j], lu[p*n+j] = lu[p*n+j], lu[k*n+j]
			}
			b[k], b[p] = b[p], b[k]
		}
		for i := k + 1; i < n; i++ {
			f := lu[i*n+k] / lu[k*n+k]
			lu[i*n+k] = f
			for j := k + 1; j < n; j++ {
				lu[i*n+j] -= f * lu[k*n+j]
			}
			b[i] -= f * b[k]
		}
	}
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for j := i + 1; j < n; j++ {
			s -= lu[i*n+j] * b[j]
		}
		b[i] = s / lu[i*n+i]
	}
	return nil
}

// NewtonCG is the line-search Newton-CG method, also called truncated or
// Hessian-free Newton (Dembo & Steihaug 1983; Nocedal & Wright, Algorithm
// 7.1; Martens 2010 for deep networks). It never forms the Hessian: each
// iteration solves the Newton equations H p = −∇f approximately by linear
// conjugate gradients, which needs only Hessian-vector products Hv (exact
// through HessVecer, else by differencing gradients; see hvp.go for the
// error), and stops the inner CG when
//
//	‖Hp + ∇f‖ ≤ η‖∇f‖,   η = min(½, √‖∇f‖)   (superlinear convergence),
//
// or after MaxCG products. The safeguard for non-convex problems and
// saddles: when the inner CG meets a direction of non-positive curvature
// dᵀ(H + μI)d ≤ 0 it stops and returns the Newton-CG step built so far (or
// −∇f if there is none), which is a descent direction; Damping μ adds μI
// to H throughout. The step along p comes from the line search (default
// Backtracking from α = 1).
type NewtonCG[T Float] struct {
	// LineSearch defaults to Backtracking.
	LineSearch LineSearch
	// MaxCG is the most Hessian-vector products per iteration (default
	// min(n, 200)).
	MaxCG int
	// Forcing, if positive, is a constant η in place of min(½, √‖∇f‖).
	Forcing float64
	// Damping is μ ≥ 0 (default 0).
	Damping float64
	// CentralDifferences differences gradients centrally when there are no
	// exact products (two evaluations per product, smaller error).
	CentralDifferences bool

	search          LineSearch
	z, res, dcg, hd []T
}

// Name returns "newton-cg".
func (*NewtonCG[T]) Name() string { return "newton-cg" }

func (m *NewtonCG[T]) init(r *run[T]) error {
	if m.Damping < 0 || math.IsNaN(m.Damping) || math.IsInf(m.Damping, 0) {
		return fmt.Errorf("damping %v, want a finite value ≥ 0", m.Damping)
	}
	if m.MaxCG < 0 || m.Forcing < 0 || m.Forcing >= 1 || math.IsNaN(m.Forcing) {
		return fmt.Errorf("MaxCG %d and Forcing %v: want MaxCG ≥ 0 and 0 ≤ Forcing < 1", m.MaxCG, m.Forcing)
	}
	if len(m.z) != r.n {
		m.z, m.res, m.dcg, m.hd = make([]T, r.n), make([]T, r.n), make([]T, r.n), make([]T, r.n)
	}
	m.search = m.LineSearch
	if m.search == nil {
		m.search = &Backtracking{}
	}
	return nil
}

func (m *NewtonCG[T]) iterate(r *run[T]) error {
	maxCG := m.MaxCG
	if maxCG == 0 {
		maxCG = min(r.n, 200)
	}
	eta := m.Forcing
	if eta == 0 {
		eta = min(0.5, math.Sqrt(r.gnorm))
	}
	tol := eta * r.gnorm
	z, res, d, hd := m.z, m.res, m.dcg, m.hd
	clear(z)
	copy(res, r.g) // residual Hz + ∇f at z = 0
	for i, g := range r.g {
		d[i] = -g
	}
	rr := r.gnorm * r.gnorm
	useZ := false
	for j := 0; j < maxCG; j++ {
		if err := r.hessVec(d, hd, m.CentralDifferences); err != nil {
			return err
		}
		if m.Damping > 0 {
			fbAxpy(m.Damping, d, hd)
		}
		curv := fbDot(d, hd)
		if !(curv > 0) {
			useZ = j > 0
			break
		}
		alpha := rr / curv
		fbAxpy(alpha, d, z)
		fbAxpy(alpha, hd, res)
		useZ = true
		rrNew := fbDot(res, res)
		if math.Sqrt(rrNew) <= tol {
			break
		}
		beta := rrNew / rr
		rr = rrNew
		b := T(beta)
		for i := range d {
			d[i] = -res[i] + b*d[i]
		}
	}
	if useZ {
		copy(r.d, z)
	} else {
		for i, g := range r.g {
			r.d[i] = -g
		}
	}
	df := fbDot(r.g, r.d)
	if !(df < 0) { // rounding: fall back to steepest descent
		for i, g := range r.g {
			r.d[i] = -g
		}
		df = -r.gnorm * r.gnorm
	}
	_, _, err := r.search(m.search, df, 1)
	return err
}
