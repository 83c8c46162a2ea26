package optim

import (
	"fmt"
	"math"
)

// LineFunction is the objective restricted to the search line,
// φ(α) = f(x + α·d), as a line search sees it.
type LineFunction interface {
	// Eval returns φ(α) and φ'(α) = ∇f(x + α·d)ᵀd. A step so long that f
	// overflows gives φ = +Inf (and φ' NaN), which a line search treats as
	// "too long". Any error ends the search and must be returned as is.
	Eval(step float64) (phi, dphi float64, err error)
}

// LineSearch chooses the step α along a descent direction d. Every method
// of this package takes one; Backtracking and StrongWolfe are provided.
type LineSearch interface {
	// Search looks for an acceptable step starting from the trial step
	// step0 > 0, given φ(0) = f0 and φ'(0) = df0 < 0. It returns the step
	// with φ and φ' there. When no step is acceptable it returns an error
	// wrapping ErrLineSearchFailed that says why; errors of phi are returned
	// unchanged.
	Search(phi LineFunction, f0, df0, step0 float64) (step, f, df float64, err error)
}

// Backtracking is the Armijo backtracking line search (Armijo 1966;
// Nocedal & Wright, Numerical Optimization, Algorithm 3.1): try α = step0,
// then α ← ρα until the sufficient-decrease condition
//
//	φ(α) ≤ φ(0) + c₁ α φ'(0)
//
// holds. It needs no curvature condition, so it suits Newton's method and
// gradient descent; L-BFGS with it skips the updates whose curvature sᵀy is
// not positive. The zero value uses the defaults.
type Backtracking struct {
	// DecreaseTol is c₁ in (0, 1) (default 1e-4).
	DecreaseTol float64
	// Shrink is ρ in (0, 1) (default 0.5).
	Shrink float64
	// MaxEvals is the most trial steps (default 40).
	MaxEvals int
}

func (b *Backtracking) params() (c1, rho float64, maxEvals int, err error) {
	c1, rho, maxEvals = b.DecreaseTol, b.Shrink, b.MaxEvals
	if c1 == 0 {
		c1 = 1e-4
	}
	if rho == 0 {
		rho = 0.5
	}
	if maxEvals == 0 {
		maxEvals = 40
	}
	if !(c1 > 0 && c1 < 1) || !(rho > 0 && rho < 1) || maxEvals < 1 {
		return 0, 0, 0, fmt.Errorf("backtracking line search: DecreaseTol %v and Shrink %v must lie in (0, 1), MaxEvals %d ≥ 1", b.DecreaseTol, b.Shrink, b.MaxEvals)
	}
	return c1, rho, maxEvals, nil
}

// Search implements LineSearch.
func (b *Backtracking) Search(phi LineFunction, f0, df0, step0 float64) (step, f, df float64, err error) {
	c1, rho, maxEvals, err := b.params()
	if err != nil {
		return 0, 0, 0, err
	}
	if err := checkSearchStart(f0, df0, step0); err != nil {
		return 0, 0, 0, err
	}
	step = step0
	for i := 0; i < maxEvals; i++ {
		f, df, err = phi.Eval(step)
		if err != nil {
			return 0, 0, 0, err
		}
		if f-f0 <= c1*step*df0 { // Armijo, in a form rounding cannot satisfy without a decrease
			return step, f, df, nil
		}
		step *= rho
	}
	return 0, 0, 0, fmt.Errorf("%w: backtracking found no step with sufficient decrease in %d trials (first %g, last %g, φ(0) = %v, φ'(0) = %v)",
		ErrLineSearchFailed, maxEvals, step0, step/rho, f0, df0)
}

// StrongWolfe is the line search of Moré and Thuente (1994, "Line search
// algorithms with guaranteed sufficient decrease", ACM TOMS 20), the
// MINPACK-2 routine dcsrch that L-BFGS-B and scipy use. It brackets and
// then shrinks an interval by safeguarded cubic and quadratic interpolation
// until the strong Wolfe conditions hold:
//
//	φ(α) ≤ φ(0) + c₁ α φ'(0)   and   |φ'(α)| ≤ c₂ |φ'(0)|.
//
// The second condition keeps sᵀy > 0 for L-BFGS and, with c₂ < ½, makes
// Fletcher–Reeves conjugate gradients a descent method. A very small c₂
// gives an (almost) exact line search, with which nonlinear conjugate
// gradients on a quadratic are the linear CG method. A step at which f
// overflows to +Inf is halved toward the best step so far. When rounding
// errors stop the interval from shrinking, the best step found is accepted
// if it decreased f sufficiently; otherwise the search fails. The zero value
// uses the defaults.
type StrongWolfe struct {
	// DecreaseTol is c₁ (default 1e-4).
	DecreaseTol float64
	// CurvatureTol is c₂, with c₁ ≤ c₂ < 1 (default 0.9, the usual choice
	// for quasi-Newton and Newton methods; ConjugateGradient's default
	// search uses 0.1).
	CurvatureTol float64
	// StepTol is the relative width of the interval below which the search
	// stops (default 1e-14, scipy's xtol).
	StepTol float64
	// MaxStep is the largest step (default 1e20).
	MaxStep float64
	// MaxEvals is the most trial steps (default 30).
	MaxEvals int
}

func (w *StrongWolfe) params() (c1, c2, xtol, stpmax float64, maxEvals int, err error) {
	c1, c2, xtol, stpmax, maxEvals = w.DecreaseTol, w.CurvatureTol, w.StepTol, w.MaxStep, w.MaxEvals
	if c1 == 0 {
		c1 = 1e-4
	}
	if c2 == 0 {
		c2 = 0.9
	}
	if xtol == 0 {
		xtol = 1e-14
	}
	if stpmax == 0 {
		stpmax = 1e20
	}
	if maxEvals == 0 {
		maxEvals = 30
	}
	if !(c1 > 0 && c1 <= c2 && c2 < 1) || !(xtol > 0) || !(stpmax > 0) || maxEvals < 1 {
		return 0, 0, 0, 0, 0, fmt.Errorf("strong Wolfe line search: want 0 < DecreaseTol %v ≤ CurvatureTol %v < 1, StepTol %v > 0, MaxStep %v > 0, MaxEvals %d ≥ 1",
			w.DecreaseTol, w.CurvatureTol, w.StepTol, w.MaxStep, w.MaxEvals)
	}
	return c1, c2, xtol, stpmax, maxEvals, nil
}

// Search implements LineSearch. It follows dcsrch of MINPACK-2 step by
// step.
func (w *StrongWolfe) Search(phi LineFunction, f0, df0, step0 float64) (step, f, df float64, err error) {
	const (
		xtrapl = 1.1
		xtrapu = 4.0
	)
	ftol, gtol, xtol, stpmax, maxEvals, err := w.params()
	if err != nil {
		return 0, 0, 0, err
	}
	if err := checkSearchStart(f0, df0, step0); err != nil {
		return 0, 0, 0, err
	}
	stp := min(step0, stpmax)
	const stpmin = 0.0
	var (
		brackt       = false
		stage        = 1
		finit        = f0
		ginit        = df0
		gtest        = ftol * ginit
		width        = stpmax - stpmin
		width1       = 2 * width
		stx, fx, gx  = 0.0, finit, ginit
		sty, fy, gy  = 0.0, finit, ginit
		stmin, stmax = 0.0, stp + xtrapu*stp
	)
	why := "too many trial steps"
	for eval := 0; eval < maxEvals; eval++ {
		f, g, err := phi.Eval(stp)
		if err != nil {
			return 0, 0, 0, err
		}
		if math.IsInf(f, 1) {
			// Too long a step: the minimizer lies between stx and stp.
			brackt = true
			sty, fy, gy = stp, f, math.NaN()
			stmin, stmax = min(stx, stp), max(stx, stp)
			stp = stx + 0.5*(stp-stx)
			if stp == stx {
				why = "the objective is +Inf at every trial step"
				break
			}
			continue
		}
		// Sufficient decrease, f ≤ finit + stp·gtest, tested on the
		// difference so that rounding cannot pass a step that does not
		// decrease f.
		ftest := finit + stp*gtest
		decrease := f-finit <= stp*gtest
		if stage == 1 && decrease && g >= 0 {
			stage = 2
		}
		if decrease && math.Abs(g) <= gtol*(-ginit) {
			return stp, f, g, nil // converged
		}
		switch {
		case brackt && (stp <= stmin || stp >= stmax):
			why = "rounding errors prevent progress"
		case brackt && stmax-stmin <= xtol*stmax:
			why = "the interval of uncertainty is below StepTol"
		case stp == stpmax && decrease && g <= gtest:
			why = fmt.Sprintf("the step reached MaxStep %g", stpmax)
		case stp == stpmin && (f > ftest || g >= gtest):
			why = "the step reached 0"
		default:
			why = ""
		}
		if why != "" {
			// Accept the last step if it decreased f enough, else the best.
			if decrease {
				return stp, f, g, nil
			}
			break
		}
		if math.IsNaN(gy) { // the upper end was an overflow: restart the bracket from stp
			brackt = false
			sty, fy, gy = stx, fx, gx
		}
		if stage == 1 && f <= fx && f > ftest {
			// Work on the modified function ψ(α) = φ(α) − φ(0) − c₁αφ'(0).
			fm, fxm, fym := f-stp*gtest, fx-stx*gtest, fy-sty*gtest
			gm, gxm, gym := g-gtest, gx-gtest, gy-gtest
			stx, fxm, gxm, sty, fym, gym, stp, brackt = dcstep(stx, fxm, gxm, sty, fym, gym, stp, fm, gm, brackt, stmin, stmax)
			fx, fy = fxm+stx*gtest, fym+sty*gtest
			gx, gy = gxm+gtest, gym+gtest
		} else {
			stx, fx, gx, sty, fy, gy, stp, brackt = dcstep(stx, fx, gx, sty, fy, gy, stp, f, g, brackt, stmin, stmax)
		}
		if brackt {
			if math.Abs(sty-stx) >= 0.66*width1 {
				stp = stx + 0.5*(sty-stx)
			}
			width1 = width
			width = math.Abs(sty - stx)
			stmin, stmax = min(stx, sty), max(stx, sty)
		} else {
			stmin = stp + xtrapl*(stp-stx)
			stmax = stp + xtrapu*(stp-stx)
		}
		stp = min(max(stp, stpmin), stpmax)
		if brackt && (stp <= stmin || stp >= stmax || stmax-stmin <= xtol*stmax) {
			stp = stx
		}
		why = "too many trial steps"
	}
	// The best step with sufficient decrease, if any.
	if stx > 0 && fx-finit <= stx*gtest {
		return stx, fx, gx, nil
	}
	return 0, 0, 0, fmt.Errorf("%w: strong Wolfe search (Moré–Thuente): %s; no step decreased f sufficiently (first trial %g, φ(0) = %v, φ'(0) = %v)",
		ErrLineSearchFailed, why, step0, f0, df0)
}

// dcstep is MINPACK-2's safeguarded step of the Moré–Thuente search: from
// the best step stx, the other end sty of the interval and the trial stp
// (values f and derivatives d of each) it returns the updated interval, the
// next trial step and whether a minimizer is bracketed.
func dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp float64, brackt bool, stpmin, stpmax float64) (
	nstx, nfx, ndx, nsty, nfy, ndy, nstp float64, nbrackt bool) {
	sgnd := dp * math.Copysign(1, dx)
	var stpf float64
	switch {
	case fp > fx:
		// Case 1: higher value; the minimum is bracketed. Take the cubic
		// step if it is closer to stx than the quadratic one, else their
		// mean.
		theta := 3*(fx-fp)/(stp-stx) + dx + dp
		s := max(math.Abs(theta), math.Abs(dx), math.Abs(dp))
		gamma := s * math.Sqrt(max(0, (theta/s)*(theta/s)-(dx/s)*(dp/s)))
		if stp < stx {
			gamma = -gamma
		}
		p := (gamma - dx) + theta
		q := ((gamma - dx) + gamma) + dp
		r := p / q
		stpc := stx + r*(stp-stx)
		stpq := stx + ((dx/((fx-fp)/(stp-stx)+dx))/2)*(stp-stx)
		if math.Abs(stpc-stx) < math.Abs(stpq-stx) {
			stpf = stpc
		} else {
			stpf = stpc + (stpq-stpc)/2
		}
		brackt = true
	case sgnd < 0:
		// Case 2: lower value, derivatives of opposite sign: bracketed.
		// Take the cubic or the secant step, whichever is farther from stp.
		theta := 3*(fx-fp)/(stp-stx) + dx + dp
		s := max(math.Abs(theta), math.Abs(dx), math.Abs(dp))
		gamma := s * math.Sqrt(max(0, (theta/s)*(theta/s)-(dx/s)*(dp/s)))
		if stp > stx {
			gamma = -gamma
		}
		p := (gamma - dp) + theta
		q := ((gamma - dp) + gamma) + dx
		r := p / q
		stpc := stp + r*(stx-stp)
		stpq := stp + (dp/(dp-dx))*(stx-stp)
		if math.Abs(stpc-stp) > math.Abs(stpq-stp) {
			stpf = stpc
		} else {
			stpf = stpq
		}
		brackt = true
	case math.Abs(dp) < math.Abs(dx):
		// Case 3: lower value, same sign, derivative decreasing in size.
		theta := 3*(fx-fp)/(stp-stx) + dx + dp
		s := max(math.Abs(theta), math.Abs(dx), math.Abs(dp))
		gamma := s * math.Sqrt(max(0, (theta/s)*(theta/s)-(dx/s)*(dp/s)))
		if stp > stx {
			gamma = -gamma
		}
		p := (gamma - dp) + theta
		q := (gamma + (dx - dp)) + gamma
		r := p / q
		var stpc float64
		switch {
		case r < 0 && gamma != 0:
			stpc = stp + r*(stx-stp)
		case stp > stx:
			stpc = stpmax
		default:
			stpc = stpmin
		}
		stpq := stp + (dp/(dp-dx))*(stx-stp)
		if brackt {
			if math.Abs(stpc-stp) < math.Abs(stpq-stp) {
				stpf = stpc
			} else {
				stpf = stpq
			}
			if stp > stx {
				stpf = min(stp+0.66*(sty-stp), stpf)
			} else {
				stpf = max(stp+0.66*(sty-stp), stpf)
			}
		} else {
			if math.Abs(stpc-stp) > math.Abs(stpq-stp) {
				stpf = stpc
			} else {
				stpf = stpq
			}
			stpf = min(stpmax, stpf)
			stpf = max(stpmin, stpf)
		}
	default:
		// Case 4: lower value, same sign, derivative not decreasing.
		switch {
		case brackt:
			theta := 3*(fp-fy)/(sty-stp) + dy + dp
			s := max(math.Abs(theta), math.Abs(dy), math.Abs(dp))
			gamma := s * math.Sqrt(max(0, (theta/s)*(theta/s)-(dy/s)*(dp/s)))
			if stp > sty {
				gamma = -gamma
			}
			p := (gamma - dp) + theta
			q := ((gamma - dp) + gamma) + dy
			r := p / q
			stpf = stp + r*(sty-stp)
		case stp > stx:
			stpf = stpmax
		default:
			stpf = stpmin
		}
	}
	// Update the interval that contains a minimizer.
	if fp > fx {
		sty, fy, dy = stp, fp, dp
	} else {
		if sgnd < 0 {
			sty, fy, dy = stx, fx, dx
		}
		stx, fx, dx = stp, fp, dp
	}
	return stx, fx, dx, sty, fy, dy, stpf, brackt
}

// checkSearchStart checks the data a line search starts from.
func checkSearchStart(f0, df0, step0 float64) error {
	if math.IsNaN(f0) || math.IsInf(f0, 0) || !(df0 < 0) || math.IsInf(df0, 0) {
		return fmt.Errorf("%w: φ(0) = %v, φ'(0) = %v: want a finite value and a descent direction", ErrLineSearchFailed, f0, df0)
	}
	if !(step0 > 0) || math.IsInf(step0, 0) {
		return fmt.Errorf("%w: first trial step %v, want a positive finite step", ErrLineSearchFailed, step0)
	}
	return nil
}
