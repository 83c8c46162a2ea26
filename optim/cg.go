package optim

import (
	"fmt"
	"math"
)

// CGVariant chooses the formula for β in nonlinear conjugate gradients.
type CGVariant int

// The variants of ConjugateGradient, with g = ∇f(xₖ₊₁), g⁻ = ∇f(xₖ),
// y = g − g⁻ and d the last direction.
const (
	// PolakRibierePlus is β = max(0, gᵀy / g⁻ᵀg⁻) (Polak & Ribière 1969;
	// Polyak 1969; the "+" of Powell 1986 and Gilbert & Nocedal 1992): a
	// negative β restarts along −g. The default.
	PolakRibierePlus CGVariant = iota
	// FletcherReeves is β = gᵀg / g⁻ᵀg⁻ (Fletcher & Reeves 1964). It is a
	// descent method with a strong Wolfe search with c₂ < ½ (Al-Baali 1985).
	FletcherReeves
	// HestenesStiefel is β = gᵀy / dᵀy (Hestenes & Stiefel 1952), the
	// formula of linear CG that also makes dᵀy-conjugate directions for
	// inexact line searches.
	HestenesStiefel
)

// String returns the variant's command-line name: pr+, fr or hs.
func (v CGVariant) String() string {
	switch v {
	case PolakRibierePlus:
		return "pr+"
	case FletcherReeves:
		return "fr"
	case HestenesStiefel:
		return "hs"
	}
	return fmt.Sprintf("CGVariant(%d)", int(v))
}

// ParseCGVariant returns the variant named "pr+" (or "pr", "polak-ribiere"),
// "fr" ("fletcher-reeves") or "hs" ("hestenes-stiefel").
func ParseCGVariant(name string) (CGVariant, error) {
	switch name {
	case "pr+", "pr", "prp", "polak-ribiere":
		return PolakRibierePlus, nil
	case "fr", "fletcher-reeves":
		return FletcherReeves, nil
	case "hs", "hestenes-stiefel":
		return HestenesStiefel, nil
	}
	return 0, fmt.Errorf("unknown conjugate-gradient variant %q; want pr+, fr or hs", name)
}

// ConjugateGradient is nonlinear conjugate gradients, the Krylov method of
// the lecture that "uses a combination of the current gradient and the
// previous direction for the next step":
//
//	dₖ₊₁ = −∇f(xₖ₊₁) + βₖ dₖ,   xₖ₊₁ = xₖ + αₖdₖ,
//
// with β from Variant and αₖ from a line search (default strong Wolfe with
// c₂ = 0.1). It restarts with d = −∇f every RestartEvery iterations,
// whenever consecutive gradients are far from orthogonal,
// |∇fₖ₊₁ᵀ∇fₖ| ≥ ν‖∇fₖ₊₁‖² (Powell 1977; Nocedal & Wright, eq. 5.52), and
// whenever d is not a descent direction. On a strictly convex quadratic in
// n dimensions, with an exact line search, it is the linear CG method of
// Hestenes & Stiefel (1952) and reaches the minimizer in at most n
// iterations (up to rounding). The first trial step is
// αₖ₋₁∇fₖ₋₁ᵀdₖ₋₁/∇fₖᵀdₖ (Nocedal & Wright, eq. 3.60), 1/‖∇f‖ at the start.
type ConjugateGradient[T Float] struct {
	// Variant is the formula for β.
	Variant CGVariant
	// RestartEvery restarts along −∇f every that many iterations (default
	// n, the dimension; negative: never on a count).
	RestartEvery int
	// Orthogonality is Powell's ν (default 0.2; negative: no such
	// restarts). Exact line searches on a quadratic make consecutive
	// gradients orthogonal, so it never fires there.
	Orthogonality float64
	// LineSearch defaults to StrongWolfe with c₂ = 0.1.
	LineSearch LineSearch

	search            LineSearch
	every, sinceStart int
	fresh             bool // d must be −∇f at the next iteration
	prevStep, prevDf  float64
	restarts          int
}

// Name returns "cg".
func (*ConjugateGradient[T]) Name() string { return "cg" }

func (m *ConjugateGradient[T]) init(r *run[T]) error {
	if m.Variant < PolakRibierePlus || m.Variant > HestenesStiefel {
		return fmt.Errorf("unknown variant %d", int(m.Variant))
	}
	if math.IsNaN(m.Orthogonality) || m.Orthogonality >= 1 {
		return fmt.Errorf("orthogonality ν = %v, want ν < 1", m.Orthogonality)
	}
	m.every = m.RestartEvery
	if m.every == 0 {
		m.every = r.n
	}
	m.search = m.LineSearch
	if m.search == nil {
		m.search = &StrongWolfe{CurvatureTol: 0.1}
	}
	m.fresh, m.sinceStart, m.prevStep, m.prevDf, m.restarts = true, 0, 0, 0, 0
	return nil
}

func (m *ConjugateGradient[T]) iterate(r *run[T]) error {
	df := 0.0
	if !m.fresh {
		df = fbDot(r.g, r.d)
	}
	if m.fresh || !(df < 0) || math.IsInf(df, 0) {
		if !m.fresh {
			m.restarts++
		}
		for i, g := range r.g {
			r.d[i] = -g
		}
		df = -r.gnorm * r.gnorm
		m.sinceStart = 0
	}
	step0 := 1 / r.gnorm
	if m.prevStep > 0 {
		step0 = m.prevStep * m.prevDf / df
	}
	step, _, err := r.search(m.search, df, step0)
	if err != nil {
		return err
	}
	m.prevStep, m.prevDf = step, df
	m.sinceStart++
	// r.g is the new gradient, r.gt the old one, r.d the last direction.
	m.fresh = m.every > 0 && m.sinceStart >= m.every
	if m.fresh {
		return nil
	}
	gg, gold, gcross := fbDot(r.g, r.g), fbDot(r.gt, r.gt), fbDot(r.g, r.gt)
	if nu := m.Orthogonality; nu >= 0 {
		if nu == 0 {
			nu = 0.2
		}
		if math.Abs(gcross) >= nu*gg {
			m.fresh = true
			return nil
		}
	}
	var beta float64
	switch m.Variant {
	case FletcherReeves:
		beta = gg / gold
	case PolakRibierePlus:
		beta = max(0, (gg-gcross)/gold)
	case HestenesStiefel:
		gy := gg - gcross
		dy := fbDot(r.d, r.g) - fbDot(r.d, r.gt)
		if dy == 0 {
			m.fresh = true
			return nil
		}
		beta = gy / dy
	}
	if math.IsNaN(beta) || math.IsInf(beta, 0) {
		m.fresh = true
		return nil
	}
	b := T(beta)
	for i, g := range r.g {
		r.d[i] = -g + b*r.d[i]
	}
	return nil
}
