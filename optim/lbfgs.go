package optim

import (
	"fmt"
	"math"
)

// LBFGS is the limited-memory BFGS quasi-Newton method (Nocedal 1980,
// "Updating quasi-Newton matrices with limited storage", Math. Comp. 35;
// Liu & Nocedal 1989, "On the limited memory BFGS method for large scale
// optimization", Math. Prog. 45). It keeps the last m pairs
//
//	sₖ = xₖ₊₁ − xₖ,   yₖ = ∇f(xₖ₊₁) − ∇f(xₖ),   ρₖ = 1/yₖᵀsₖ,
//
// and steps along d = −Hₖ∇f(xₖ), where Hₖ is the BFGS inverse-Hessian
// approximation built from those pairs on top of H⁰ = γI with
// γ = sᵀy/yᵀy of the newest pair, computed by the two-loop recursion
//
//	q ← ∇f;  for i newest…oldest: αᵢ ← ρᵢsᵢᵀq, q ← q − αᵢyᵢ
//	r ← γq;  for i oldest…newest: β ← ρᵢyᵢᵀr,  r ← r + (αᵢ − β)sᵢ
//	d = −r
//
// in O(mn) operations and memory. The first trial step is 1 (α = 1/‖∇f‖ at
// the first iteration, which has no pairs yet). A pair whose curvature sᵀy
// is not positive, sᵀy ≤ ε·yᵀy (ε = 2.2e-16, as L-BFGS-B), would make Hₖ
// indefinite and is skipped; with the default strong Wolfe search that only
// happens through rounding. If d is not a descent direction the memory is
// cleared and the method restarts with −∇f.
type LBFGS[T Float] struct {
	// Memory is the number m of pairs kept (default 10).
	Memory int
	// LineSearch defaults to StrongWolfe with c₂ = 0.9.
	LineSearch LineSearch

	s, y       [][]T
	rho, alpha []float64
	head, size int // the newest pair is at head−1 (mod m)
	skipped    int
	search     LineSearch
}

// Name returns "lbfgs".
func (*LBFGS[T]) Name() string { return "lbfgs" }

func (m *LBFGS[T]) init(r *run[T]) error {
	mem := m.Memory
	if mem == 0 {
		mem = 10
	}
	if mem < 1 {
		return fmt.Errorf("memory %d, want at least 1", m.Memory)
	}
	if len(m.s) != mem || (mem > 0 && len(m.s[0]) != r.n) {
		m.s, m.y = make([][]T, mem), make([][]T, mem)
		for i := range m.s {
			m.s[i], m.y[i] = make([]T, r.n), make([]T, r.n)
		}
		m.rho, m.alpha = make([]float64, mem), make([]float64, mem)
	}
	m.head, m.size, m.skipped = 0, 0, 0
	m.search = m.LineSearch
	if m.search == nil {
		m.search = &StrongWolfe{CurvatureTol: 0.9}
	}
	return nil
}

// direction stores −H∇f in r.d by the two-loop recursion and returns ∇fᵀd.
func (m *LBFGS[T]) direction(r *run[T]) float64 {
	mem := len(m.s)
	d := r.d
	for i, g := range r.g {
		d[i] = g
	}
	if m.size == 0 {
		for i := range d {
			d[i] = -d[i]
		}
		return -r.gnorm * r.gnorm
	}
	newest := (m.head - 1 + mem) % mem
	for j := 0; j < m.size; j++ {
		i := (newest - j + mem) % mem
		a := m.rho[i] * fbDot(m.s[i], d)
		m.alpha[i] = a
		fbAxpy(-a, m.y[i], d)
	}
	yy := fbDot(m.y[newest], m.y[newest])
	gamma := 1 / (m.rho[newest] * yy) // sᵀy/yᵀy
	fbScale(gamma, d)
	for j := m.size - 1; j >= 0; j-- {
		i := (newest - j + mem) % mem
		b := m.rho[i] * fbDot(m.y[i], d)
		fbAxpy(m.alpha[i]-b, m.s[i], d)
	}
	for i := range d {
		d[i] = -d[i]
	}
	return fbDot(r.g, d)
}

func (m *LBFGS[T]) iterate(r *run[T]) error {
	df := m.direction(r)
	if !(df < 0) || math.IsInf(df, 0) {
		// Not a descent direction (rounding, or a memory from another
		// function): forget the pairs and restart along −∇f.
		m.size = 0
		df = m.direction(r)
	}
	step0 := 1.0
	if m.size == 0 {
		step0 = 1 / math.Sqrt(-df)
	}
	step, _, err := r.search(m.search, df, step0)
	if err != nil {
		return err
	}
	// r.x and r.g now hold the new point; r.xt and r.gt the old one.
	mem := len(m.s)
	s, y := m.s[m.head], m.y[m.head]
	a := T(step)
	for i := range s {
		s[i] = a * r.d[i]
		y[i] = r.g[i] - r.gt[i]
	}
	sy, yy := fbDot(s, y), fbDot(y, y)
	if !(sy > 2.220446049250313e-16*yy) || yy == 0 {
		m.skipped++
		return nil
	}
	m.rho[m.head] = 1 / sy
	m.head = (m.head + 1) % mem
	m.size = min(m.size+1, mem)
	return nil
}

// fbAxpy adds a·x to y.
func fbAxpy[T Float](a float64, x, y []T) {
	t := T(a)
	for i := range y {
		y[i] += t * x[i]
	}
}

// fbScale multiplies x by a.
func fbScale[T Float](a float64, x []T) {
	t := T(a)
	for i := range x {
		x[i] *= t
	}
}
