package optim

import (
	"errors"
	"fmt"
	"math"
)

// Second derivatives for Newton and Newton-CG.
//
// A function that implements HessVecer (or Hessianer) gives them exactly:
// the 2-D surfaces in closed form, train.FullBatch for linear models
// (logistic and multinomial logistic regression, least squares) by the
// hand-written forward-over-reverse product. descent's autograd is
// reverse-mode only, and its backward steps are not themselves recorded,
// so for other models the product ∇²f(x)·v is approximated by
// differencing gradients along v:
//
//	forward:  Hv ≈ (∇f(x + hv) − ∇f(x)) / h,         one evaluation,
//	central:  Hv ≈ (∇f(x + hv) − ∇f(x − hv)) / (2h),  two evaluations.
//
// The forward difference errs by O(h·‖v‖²·‖∇³f‖) (truncation) plus
// O(ε‖∇f‖/h) (the rounding of gradients of relative precision ε, the
// machine epsilon of T); with h = √ε·max(1, ‖x‖)/‖v‖ both are of order √ε:
// relative errors near 1e-8 in float64 and 3e-4 in float32. The central
// difference errs by O(h²‖v‖³‖∇⁴f‖) + O(ε‖∇f‖/h); with
// h = ε^(1/3)·max(1, ‖x‖)/‖v‖, errors near ε^(2/3): 4e-11 in float64, 2e-5 in
// float32. Newton-CG converges with either (an inexact Newton method only
// needs Hv to a relative accuracy of its forcing term); the minimizer it
// finds is exact, since the gradient is.

// epsOf returns the machine epsilon of T.
func epsOf[T Float]() float64 {
	one, half := T(1), T(0x1p-24)
	if one+half == one { // 1 + 2⁻²⁴ rounds to 1 in single precision only
		return 0x1p-23
	}
	return 0x1p-52
}

// diffStep returns the differencing step for direction v of norm vnorm.
func (r *run[T]) diffStep(vnorm float64, central bool) float64 {
	eps := epsOf[T]()
	base := math.Sqrt(eps)
	if central {
		base = math.Cbrt(eps)
	}
	return base * max(1, fbNorm(r.x)) / vnorm
}

// hessVec stores ∇²f(x)·v in hv for the current point: exactly if the
// function can, by gradient differences otherwise.
func (r *run[T]) hessVec(v, hv []T, central bool) error {
	if r.hessVecer != nil {
		r.hessEvals++
		err := r.hessVecer.HessVec(r.x, v, hv)
		switch {
		case err == nil:
			if i, x, bad := firstNonFinite(hv); bad {
				return fmt.Errorf("%s: %w: Hessian-vector product component %d is %v", r.where(), ErrNonFinite, i, x)
			}
			return nil
		case errors.Is(err, ErrNoHessian):
			r.hessEvals--
			r.hessVecer = nil
		default:
			return fmt.Errorf("%s: Hessian-vector product: %w", r.where(), err)
		}
	}
	return r.diffHessVec(v, hv, central)
}

// diffHessVec approximates ∇²f(x)·v by differencing gradients.
func (r *run[T]) diffHessVec(v, hv []T, central bool) error {
	if r.xd == nil {
		r.xd, r.gd = make([]T, r.n), make([]T, r.n)
	}
	if central && r.gd2 == nil {
		r.gd2 = make([]T, r.n)
	}
	vn := fbNorm(v)
	if vn == 0 {
		clear(hv)
		return nil
	}
	h := r.diffStep(vn, central)
	ht := T(h)
	for i, x := range r.x {
		r.xd[i] = x + ht*v[i]
	}
	f1, err := r.eval(r.xd, r.gd)
	if err != nil {
		return err
	}
	if err := r.checkPoint("a point of a Hessian-vector difference", f1, r.gd); err != nil {
		return err
	}
	lo := r.g
	div := h
	if central {
		for i, x := range r.x {
			r.xd[i] = x - ht*v[i]
		}
		f2, err := r.eval(r.xd, r.gd2)
		if err != nil {
			return err
		}
		if err := r.checkPoint("a point of a Hessian-vector difference", f2, r.gd2); err != nil {
			return err
		}
		lo, div = r.gd2, 2*h
	}
	inv := 1 / div
	for i := range hv {
		hv[i] = T((float64(r.gd[i]) - float64(lo[i])) * inv)
	}
	return nil
}

// hessian stores ∇²f(x) in h (n×n, row-major, float64): from the
// function's Hessian if it has one, else column by column from n
// Hessian-vector products, symmetrized.
//
// ht is scratch of n×n T, or h itself seen as []T when T is float64
// (alias set).
func (r *run[T]) hessian(h []float64, ht []T, alias bool, e, col []T, central bool) error {
	n := r.n
	if r.hessianer != nil {
		r.hessEvals++
		err := r.hessianer.Hessian(r.x, ht)
		if !alias {
			for i, v := range ht {
				h[i] = float64(v)
			}
		}
		switch {
		case err == nil:
			for i, v := range h {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("%s: %w: Hessian entry (%d, %d) is %v", r.where(), ErrNonFinite, i/n, i%n, v)
				}
			}
			return nil
		case errors.Is(err, ErrNoHessian):
			r.hessEvals--
			r.hessianer = nil
		default:
			return fmt.Errorf("%s: Hessian: %w", r.where(), err)
		}
	}
	clear(e)
	for j := 0; j < n; j++ {
		e[j] = 1
		if err := r.hessVec(e, col, central); err != nil {
			return err
		}
		e[j] = 0
		for i, v := range col {
			h[i*n+j] = float64(v)
		}
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			a := 0.5 * (h[i*n+j] + h[j*n+i])
			h[i*n+j], h[j*n+i] = a, a
		}
	}
	return nil
}
