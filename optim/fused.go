package optim

import (
	"unsafe"

	"github.com/descent-ml/descent/internal/vec"
)

// fusion runs a float32 chain that internal/vec has a kernel for as that
// one kernel per block: plain SGD (scale-by-learning-rate alone), SGD with
// momentum or Nesterov (trace, scale-by-learning-rate), Adam (scale-by-adam,
// scale-by-learning-rate), AdamW (the same with decoupled weight decay
// between them), Adagrad and RMSProp without centering or momentum, and
// Adadelta. The kernel reads w, g and the state once and writes w and
// the state once, with AVX2 where the processor has it, and uses the
// stages' own state, so that State, SaveState and a step through the
// chain see the same vectors. Every step checks that the stages'
// hyperparameters (which may change between steps) still fit the kernel,
// and otherwise runs the chain.
type fusion[T Float] struct {
	lr    *ScaleByLearningRate[T]
	trace *Trace[T]
	adam  *ScaleByAdam[T]
	decay *AddDecayedWeights[T]
	ada   *ScaleByAdagrad[T]
	rms   *ScaleByRMS[T]
	delta *ScaleByAdadelta[T]

	// The step in progress.
	neg    float32 // −α
	mom    vec.MomentumParams
	adamP  vec.AdamParams
	rmsP   vec.RMSParams
	deltaP vec.AdadeltaParams
}

// newFusion returns the fusion of tr, or nil if its stages have no fused
// kernel (or T is not float32).
func newFusion[T Float](tr Transform[T]) *fusion[T] {
	if unsafe.Sizeof(T(0)) != 4 {
		return nil
	}
	c, ok := tr.(chain[T])
	if !ok || len(c) == 0 {
		return nil
	}
	f := &fusion[T]{}
	if f.lr, ok = c[len(c)-1].(*ScaleByLearningRate[T]); !ok {
		return nil
	}
	switch rest := c[:len(c)-1]; len(rest) {
	case 0:
	case 1:
		switch s := rest[0].(type) {
		case *Trace[T]:
			f.trace = s
		case *ScaleByAdam[T]:
			f.adam = s
		case *ScaleByAdagrad[T]:
			f.ada = s
		case *ScaleByRMS[T]:
			f.rms = s
		case *ScaleByAdadelta[T]:
			f.delta = s
		default:
			return nil
		}
	case 2:
		a, ok1 := rest[0].(*ScaleByAdam[T])
		d, ok2 := rest[1].(*AddDecayedWeights[T])
		if !ok1 || !ok2 {
			return nil
		}
		f.adam, f.decay = a, d
	default:
		return nil
	}
	return f
}

// ready fixes the constants of step t, after the chain's Prepare, and
// reports whether the kernel can run it.
func (f *fusion[T]) ready(t int) bool {
	f.neg = float32(f.lr.cur)
	switch {
	case f.trace != nil:
		s := f.trace
		f.mom = vec.MomentumParams{Mu: float32(s.Momentum), Damp: float32(1 - s.Dampening), LR: -f.neg,
			First: t == 1, Nesterov: s.Nesterov}
	case f.adam != nil:
		s := f.adam
		if s.AMSGrad {
			return false
		}
		var wd float32
		if f.decay != nil {
			if f.decay.Mask != nil {
				return false
			}
			wd = float32(f.decay.WeightDecay)
		}
		f.adamP = vec.AdamParams{B1: float32(s.B1), B2: float32(s.B2), C1: float32(s.c1), C2: float32(s.c2),
			Eps: float32(s.Eps), LR: -f.neg, WD: wd, EpsInside: s.EpsInside}
	case f.ada != nil:
		f.rmsP = vec.RMSParams{A: 1, B: 1, Eps: float32(f.ada.Eps), LR: -f.neg, EpsInside: f.ada.EpsInside}
	case f.rms != nil:
		s := f.rms
		if s.Centered {
			return false
		}
		rho := float32(s.Decay)
		f.rmsP = vec.RMSParams{A: rho, B: 1 - rho, Eps: float32(s.Eps), LR: -f.neg, EpsInside: s.EpsInside}
	case f.delta != nil:
		s := f.delta
		f.deltaP = vec.AdadeltaParams{Rho: float32(s.Rho), Eps: float32(s.Eps), LR: -f.neg, EpsOutside: s.EpsOutside}
	}
	return true
}

// run applies the fused step to the block b of w from g.
func (f *fusion[T]) run(w, g []T, b block) {
	ww, gg := f32(w[b.at:b.at+b.n]), f32(g[b.at:b.at+b.n])
	switch {
	case f.trace != nil:
		vec.Momentum(ww, gg, f32(f.trace.buf[b.off:b.off+b.n]), &f.mom)
	case f.adam != nil:
		vec.Adam(ww, gg, f32(f.adam.m[b.off:b.off+b.n]), f32(f.adam.v[b.off:b.off+b.n]), &f.adamP)
	case f.ada != nil:
		vec.RMS(ww, gg, f32(f.ada.sum[b.off:b.off+b.n]), &f.rmsP)
	case f.rms != nil:
		vec.RMS(ww, gg, f32(f.rms.sq[b.off:b.off+b.n]), &f.rmsP)
	case f.delta != nil:
		vec.Adadelta(ww, gg, f32(f.delta.sq[b.off:b.off+b.n]), f32(f.delta.acc[b.off:b.off+b.n]), &f.deltaP)
	default:
		vec.Axpy(f.neg, gg, ww)
	}
}

// f32 views a []T of 4-byte floats (float32) as []float32.
func f32[T Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}
