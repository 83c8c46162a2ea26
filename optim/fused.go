package optim

import (
	"math"
	"unsafe"

	"github.com/descent-ml/descent/internal/vec"
)

// fusion runs a float32 chain that internal/vec has a kernel for as that
// one kernel per block: plain SGD (scale-by-learning-rate alone), or one
// scaling stage then the rate — SGD with momentum or Nesterov (a trace),
// Adam, AMSGrad, NAdam, RAdam, Adamax, Adagrad, RMSProp (without centering
// or momentum), Adadelta, Lion — with, for Adam and Lion, decoupled weight
// decay between them (AdamW). The kernel reads w, g and the state once and
// writes w and the state once, with AVX2 where the processor has it, and
// uses the stages' own state, so that State, SaveState and a step through
// the chain see the same vectors. Every step checks that the stages'
// hyperparameters (which may change between steps) still fit the kernel,
// and otherwise runs the chain; chains with clipping or coupled (L2) decay
// always run stage by stage.
type fusion[T Float] struct {
	lr    *ScaleByLearningRate[T]
	scale Transform[T]          // the stage before the rate; nil for plain SGD
	decay *AddDecayedWeights[T] // decoupled decay after scale, or nil

	// The kernel's constants for the step in progress.
	neg    float32 // −α
	mom    vec.MomentumParams
	adam   vec.AdamParams
	rms    vec.RMSParams
	delta  vec.AdadeltaParams
	adamax vec.AdamaxParams
	lion   vec.LionParams
}

// newFusion returns the fusion of tr, or nil if its stages have no fused
// kernel (or T is not float32).
func newFusion[T Float](tr Transform[T]) *fusion[T] {
	if unsafe.Sizeof(T(0)) != 4 {
		return nil
	}
	c, ok := tr.(chain[T])
	if !ok || len(c) == 0 || len(c) > 3 {
		return nil
	}
	f := &fusion[T]{}
	if f.lr, ok = c[len(c)-1].(*ScaleByLearningRate[T]); !ok {
		return nil
	}
	if len(c) == 1 {
		return f
	}
	f.scale = c[0]
	switch f.scale.(type) {
	case *Trace[T], *ScaleByAdam[T], *ScaleByNAdam[T], *ScaleByRAdam[T], *ScaleByAdamax[T],
		*ScaleByAdagrad[T], *ScaleByRMS[T], *ScaleByAdadelta[T], *ScaleByLion[T]:
	default:
		return nil
	}
	if len(c) == 3 {
		f.decay, ok = c[1].(*AddDecayedWeights[T])
		switch f.scale.(type) {
		case *ScaleByAdam[T], *ScaleByLion[T]:
		default:
			ok = false
		}
		if !ok {
			return nil
		}
	}
	return f
}

// ready fixes the constants of step t, after the chain's Prepare, and
// reports whether the kernel can run it.
func (f *fusion[T]) ready(t int) bool {
	f.neg = float32(f.lr.cur)
	lr := -f.neg
	var wd float32
	if f.decay != nil {
		if f.decay.Mask != nil {
			return false
		}
		wd = float32(f.decay.WeightDecay)
	}
	switch s := f.scale.(type) {
	case *Trace[T]:
		f.mom = vec.MomentumParams{Mu: float32(s.Momentum), Damp: float32(1 - s.Dampening), LR: lr,
			First: t == 1, Nesterov: s.Nesterov}
	case *ScaleByAdam[T]:
		if s.AMSGrad && len(s.vmax) != len(s.v) {
			return false
		}
		f.adam = vec.AdamParams{B1: float32(s.B1), B2: float32(s.B2), C1: float32(s.c1), C2: float32(s.c2),
			Eps: float32(s.Eps), LR: lr, WD: wd, EpsInside: s.EpsInside}
	case *ScaleByNAdam[T]:
		f.adam = vec.AdamParams{B1: float32(s.B1), B2: float32(s.B2), C1: float32(s.cm), CG: float32(s.cg),
			C2: float32(math.Sqrt(float64(s.c2))), Eps: float32(s.Eps), LR: lr}
	case *ScaleByRAdam[T]:
		if !s.adaptive {
			return false
		}
		f.adam = vec.AdamParams{B1: float32(s.B1), B2: float32(s.B2), C1: float32(s.c1 * s.rect), C2: 1,
			Eps: float32(s.Eps), LR: lr}
	case *ScaleByAdamax[T]:
		f.adamax = vec.AdamaxParams{B1: float32(s.B1), B2: float32(s.B2), C1: float32(s.c1), Eps: float32(s.Eps), LR: lr}
	case *ScaleByAdagrad[T]:
		f.rms = vec.RMSParams{A: 1, B: 1, Eps: float32(s.Eps), LR: lr, EpsInside: s.EpsInside}
	case *ScaleByRMS[T]:
		if s.Centered {
			return false
		}
		rho := float32(s.Decay)
		f.rms = vec.RMSParams{A: rho, B: 1 - rho, Eps: float32(s.Eps), LR: lr, EpsInside: s.EpsInside}
	case *ScaleByAdadelta[T]:
		f.delta = vec.AdadeltaParams{Rho: float32(s.Rho), Eps: float32(s.Eps), LR: lr, EpsOutside: s.EpsOutside}
	case *ScaleByLion[T]:
		f.lion = vec.LionParams{B1: float32(s.B1), B2: float32(s.B2), LR: lr, WD: wd}
	}
	return true
}

// run applies the fused step to the block b of w from g.
func (f *fusion[T]) run(w, g []T, b block) {
	ww, gg := f32(w[b.at:b.at+b.n]), f32(g[b.at:b.at+b.n])
	st := func(s []T) []float32 { return f32(s[b.off : b.off+b.n]) }
	switch s := f.scale.(type) {
	case nil:
		vec.Axpy(f.neg, gg, ww)
	case *Trace[T]:
		vec.Momentum(ww, gg, st(s.buf), &f.mom)
	case *ScaleByAdam[T]:
		var vmax []float32
		if s.AMSGrad {
			vmax = st(s.vmax)
		}
		vec.Adam(ww, gg, st(s.m), st(s.v), vmax, &f.adam)
	case *ScaleByNAdam[T]:
		vec.Adam(ww, gg, st(s.m), st(s.v), nil, &f.adam)
	case *ScaleByRAdam[T]:
		vec.Adam(ww, gg, st(s.m), st(s.v), nil, &f.adam)
	case *ScaleByAdamax[T]:
		vec.Adamax(ww, gg, st(s.m), st(s.inf), &f.adamax)
	case *ScaleByAdagrad[T]:
		vec.RMS(ww, gg, st(s.sum), &f.rms)
	case *ScaleByRMS[T]:
		vec.RMS(ww, gg, st(s.sq), &f.rms)
	case *ScaleByAdadelta[T]:
		vec.Adadelta(ww, gg, st(s.sq), st(s.acc), &f.delta)
	case *ScaleByLion[T]:
		vec.Lion(ww, gg, st(s.m), &f.lion)
	}
}

// f32 views a []T of 4-byte floats (float32) as []float32.
func f32[T Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}
