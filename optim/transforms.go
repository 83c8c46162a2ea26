package optim

import (
	"math"
)

// ScaleByLearningRate is the last stage of most optimizers: u ← −α(t)·u, so
// that w ← w − α(t)·u. α(t) is LR times Schedule(t) when a schedule is set
// (schedules return multipliers of the base rate, as PyTorch's LambdaLR
// does), and LR otherwise.
type ScaleByLearningRate[T Float] struct {
	// LR is the base rate α; it may be changed between steps.
	LR float64
	// Schedule, if set, multiplies LR at step t (counted from 1).
	Schedule Schedule
	cur      float64 // −α(t) for the step in progress
}

// Rate returns α(t).
func (s *ScaleByLearningRate[T]) Rate(t int) float64 {
	if s.Schedule == nil {
		return s.LR
	}
	return s.LR * s.Schedule(t)
}

// Init does nothing: the stage has no state.
func (s *ScaleByLearningRate[T]) Init(n int) {}

// Prepare fixes α(t) for this step.
func (s *ScaleByLearningRate[T]) Prepare(g, w []T, t int) { s.cur = -s.Rate(t) }

// Update sets u ← −α(t)·u.
func (s *ScaleByLearningRate[T]) Update(u, w []T, off, t int) {
	a := T(s.cur)
	for i := range u {
		u[i] *= a
	}
}

// AddDecayedWeights adds λ·w to u: placed before an adaptive stage it is L2
// regularization (the gradient of (λ/2)‖w‖², PyTorch's weight_decay);
// placed after it, just before the learning rate, it is decoupled weight
// decay (Loshchilov & Hutter 2019, AdamW).
type AddDecayedWeights[T Float] struct {
	// WeightDecay is λ; it may be changed between steps.
	WeightDecay float64
	// Mask, if set, marks the parameters (by flat index) that decay; the
	// others (biases, normalization scales) are left alone.
	Mask []bool
}

// Init does nothing: the stage has no state.
func (s *AddDecayedWeights[T]) Init(n int) {}

// Update adds λ·w to u.
func (s *AddDecayedWeights[T]) Update(u, w []T, off, t int) {
	if s.WeightDecay == 0 {
		return
	}
	l := T(s.WeightDecay)
	if s.Mask != nil {
		m := s.Mask[off : off+len(u)]
		for i := range u {
			if m[i] {
				u[i] += l * w[i]
			}
		}
		return
	}
	for i := range u {
		u[i] += l * w[i]
	}
}

// ClipByValue clips each component of u to [−Max, Max]
// (torch.nn.utils.clip_grad_value_).
type ClipByValue[T Float] struct {
	Max float64
}

// Init does nothing: the stage has no state.
func (s *ClipByValue[T]) Init(n int) {}

// Update clips u elementwise.
func (s *ClipByValue[T]) Update(u, w []T, off, t int) {
	m := T(s.Max)
	for i, v := range u {
		u[i] = min(max(v, -m), m)
	}
}

// ClipByGlobalNorm rescales the whole gradient g by
// min(1, Max/(‖g‖₂ + 10⁻⁶)), the norm taken over all parameters together, as
// torch.nn.utils.clip_grad_norm_ does (Pascanu et al. 2013). Its Prepare sees
// the raw gradient, so it belongs at the front of a chain.
type ClipByGlobalNorm[T Float] struct {
	Max   float64
	scale float64
}

// Init does nothing: the stage has no state.
func (s *ClipByGlobalNorm[T]) Init(n int) {}

// Prepare measures ‖g‖₂.
func (s *ClipByGlobalNorm[T]) Prepare(g, w []T, t int) {
	var ss float64
	for _, v := range g {
		ss += float64(v) * float64(v)
	}
	norm := math.Sqrt(ss)
	s.scale = min(1, s.Max/(norm+1e-6))
}

// Update scales u by min(1, Max/‖g‖).
func (s *ClipByGlobalNorm[T]) Update(u, w []T, off, t int) {
	if s.scale == 1 {
		return
	}
	c := T(s.scale)
	for i := range u {
		u[i] *= c
	}
}

// Trace is momentum as an exponentially decaying trace of past updates
// (Polyak 1964; Sutskever et al. 2013), in torch.optim.SGD's form:
//
//	b[t] = μ·b[t−1] + (1−dampening)·u[t]   (b[1] = u[1])
//	u   ← b[t]                 (heavy ball)
//	u   ← u[t] + μ·b[t]        (Nesterov, PyTorch's reformulation)
//
// With a constant rate α, w[t+1] = w[t] − α·b[t] is the lecture's
// v[t] = μv[t−1] − α∇E, w[t+1] = w[t] + v[t] with v = −α·b. The lecture's
// Nesterov step takes the gradient at w + μv; PyTorch's form is the same
// method written in the shifted variable w̃ = w + μv (Sutskever 2013, §3.5),
// as TestNesterovFormsAgree checks.
type Trace[T Float] struct {
	// Momentum is μ; Dampening damps the incoming update after step 1.
	Momentum, Dampening float64
	// Nesterov selects Nesterov's accelerated gradient.
	Nesterov bool
	buf      []T
}

// Init allocates the trace.
func (s *Trace[T]) Init(n int) { s.buf = make([]T, n) }

// State returns the trace b.
func (s *Trace[T]) State() [][]T { return [][]T{s.buf} }

// Update applies the momentum recursion.
func (s *Trace[T]) Update(u, w []T, off, t int) {
	b := s.buf[off : off+len(u)]
	mu, d := T(s.Momentum), T(1-s.Dampening)
	if t == 1 {
		copy(b, u)
	} else {
		for i, v := range u {
			b[i] = mu*b[i] + d*v
		}
	}
	if s.Nesterov {
		for i := range u {
			u[i] += mu * b[i]
		}
	} else {
		copy(u, b)
	}
}

// ScaleByAdagrad is Adagrad's scaling (Duchi, Hazan & Singer 2011):
//
//	G[t] = G[t−1] + u⊙u,   u ← u / (√G[t] + ε)      (PyTorch, default)
//	u ← u / √(G[t] + ε)                              (the lecture, EpsInside)
type ScaleByAdagrad[T Float] struct {
	// Eps is ε; InitialAccumulator is G[0].
	Eps, InitialAccumulator float64
	// EpsInside puts ε under the square root, as on the lecture's slide.
	EpsInside bool
	sum       []T
}

// Init allocates the accumulator G.
func (s *ScaleByAdagrad[T]) Init(n int) {
	s.sum = make([]T, n)
	for i := range s.sum {
		s.sum[i] = T(s.InitialAccumulator)
	}
}

// State returns G.
func (s *ScaleByAdagrad[T]) State() [][]T { return [][]T{s.sum} }

// Update accumulates u² and divides.
func (s *ScaleByAdagrad[T]) Update(u, w []T, off, t int) {
	g := s.sum[off : off+len(u)]
	eps := T(s.Eps)
	for i, v := range u {
		g[i] += v * v
		if s.EpsInside {
			u[i] = v / sqrt(g[i]+eps)
		} else {
			u[i] = v / (sqrt(g[i]) + eps)
		}
	}
}

// ScaleByRMS is RMSProp's scaling (Hinton 2012, lecture 6e):
//
//	v[t] = ρ·v[t−1] + (1−ρ)·u⊙u,   u ← u / (√v[t] + ε)
//
// With Centered, the running mean m of u is subtracted:
// u ← u / (√(v − m²) + ε) (Graves 2013). EpsInside gives u / √(v + ε).
// RMSProp's momentum is a Trace after this stage.
type ScaleByRMS[T Float] struct {
	// Decay is ρ (PyTorch's alpha, default 0.99).
	Decay, Eps float64
	Centered   bool
	EpsInside  bool
	sq, mean   []T
}

// Init allocates the running averages.
func (s *ScaleByRMS[T]) Init(n int) {
	s.sq = make([]T, n)
	if s.Centered {
		s.mean = make([]T, n)
	}
}

// State returns the mean square (and the mean, when centered).
func (s *ScaleByRMS[T]) State() [][]T {
	if s.Centered {
		return [][]T{s.sq, s.mean}
	}
	return [][]T{s.sq}
}

// Update divides u by the root mean square.
func (s *ScaleByRMS[T]) Update(u, w []T, off, t int) {
	sq := s.sq[off : off+len(u)]
	rho, eps := T(s.Decay), T(s.Eps)
	var m []T
	if s.Centered {
		m = s.mean[off : off+len(u)]
	}
	for i, v := range u {
		sq[i] = rho*sq[i] + (1-rho)*v*v
		a := sq[i]
		if m != nil {
			m[i] = rho*m[i] + (1-rho)*v
			a -= m[i] * m[i]
		}
		if s.EpsInside {
			u[i] = v / sqrt(a+eps)
		} else {
			u[i] = v / (sqrt(a) + eps)
		}
	}
}

// ScaleByAdam is Adam's scaling (Kingma & Ba 2015), with bias correction:
//
//	m[t] = β₁m + (1−β₁)u,   v[t] = β₂v + (1−β₂)u⊙u,
//	u ← (m[t]/(1−β₁ᵗ)) / (√v[t]/√(1−β₂ᵗ) + ε)          (PyTorch, default)
//	u ← (m[t]/(1−β₁ᵗ)) / √(v[t]/(1−β₂ᵗ) + ε)           (the lecture, EpsInside)
//
// AMSGrad (Reddi, Kale & Kumar 2018) divides by the running maximum of v
// instead.
type ScaleByAdam[T Float] struct {
	B1, B2, Eps float64
	AMSGrad     bool
	EpsInside   bool
	m, v, vmax  []T
	c1, c2      T // this step's 1/(1−β₁ᵗ) and 1/√(1−β₂ᵗ)
}

// Init allocates the moments.
func (s *ScaleByAdam[T]) Init(n int) {
	s.m, s.v = make([]T, n), make([]T, n)
	if s.AMSGrad {
		s.vmax = make([]T, n)
	}
}

// State returns the first and second moments (and max v with AMSGrad).
func (s *ScaleByAdam[T]) State() [][]T {
	if s.AMSGrad {
		return [][]T{s.m, s.v, s.vmax}
	}
	return [][]T{s.m, s.v}
}

// Prepare computes the bias corrections for step t.
func (s *ScaleByAdam[T]) Prepare(g, w []T, t int) {
	s.c1 = T(1 / (1 - math.Pow(s.B1, float64(t))))
	s.c2 = T(1 / math.Sqrt(1-math.Pow(s.B2, float64(t))))
}

// Update applies the Adam recursion.
func (s *ScaleByAdam[T]) Update(u, w []T, off, t int) {
	m, v := s.m[off:off+len(u)], s.v[off:off+len(u)]
	b1, b2, eps, c1, c2 := T(s.B1), T(s.B2), T(s.Eps), s.c1, s.c2
	var vm []T
	if s.AMSGrad {
		vm = s.vmax[off : off+len(u)]
	}
	for i, g := range u {
		m[i] = b1*m[i] + (1-b1)*g
		v[i] = b2*v[i] + (1-b2)*g*g
		vv := v[i]
		if vm != nil {
			vm[i] = max(vm[i], vv)
			vv = vm[i]
		}
		if s.EpsInside {
			u[i] = m[i] * c1 / sqrt(vv*c2*c2+eps)
		} else {
			u[i] = m[i] * c1 / (sqrt(vv)*c2 + eps)
		}
	}
}

// ScaleByAdamax is Adamax, Adam with the infinity norm (Kingma & Ba 2015,
// §7.1), as in torch.optim.Adamax:
//
//	m[t] = β₁m + (1−β₁)u,   n[t] = max(β₂n, |u| + ε),   u ← m[t] / ((1−β₁ᵗ)·n[t])
type ScaleByAdamax[T Float] struct {
	B1, B2, Eps float64
	m, inf      []T
	c1          T
}

// Init allocates the moments.
func (s *ScaleByAdamax[T]) Init(n int) { s.m, s.inf = make([]T, n), make([]T, n) }

// State returns the first moment and the infinity norm.
func (s *ScaleByAdamax[T]) State() [][]T { return [][]T{s.m, s.inf} }

// Prepare computes the bias correction for step t.
func (s *ScaleByAdamax[T]) Prepare(g, w []T, t int) {
	s.c1 = T(1 / (1 - math.Pow(s.B1, float64(t))))
}

// Update applies the Adamax recursion.
func (s *ScaleByAdamax[T]) Update(u, w []T, off, t int) {
	m, n := s.m[off:off+len(u)], s.inf[off:off+len(u)]
	b1, b2, eps := T(s.B1), T(s.B2), T(s.Eps)
	for i, g := range u {
		m[i] = b1*m[i] + (1-b1)*g
		n[i] = max(b2*n[i], abs(g)+eps)
		u[i] = m[i] * s.c1 / n[i]
	}
}

// ScaleByNAdam is Nesterov-accelerated Adam (Dozat 2016) with the momentum
// schedule μₜ = β₁(1 − ½·0.96^(t·ψ)) of torch.optim.NAdam:
//
//	m[t] = β₁m + (1−β₁)u,   v[t] = β₂v + (1−β₂)u⊙u,   d = √(v[t]/(1−β₂ᵗ)) + ε,
//	u ← (1−μₜ)/(1−Πᵢ≤ₜμᵢ) · u/d + μₜ₊₁/(1−Πᵢ≤ₜ₊₁μᵢ) · m[t]/d
//
// PyTorch 1.13 counts μₜ twice in the second product; Torch113 reproduces
// that for comparison with its outputs (PyTorch 2 and the paper do not).
type ScaleByNAdam[T Float] struct {
	B1, B2, Eps   float64
	MomentumDecay float64 // ψ, default 0.004
	Torch113      bool
	m, v          []T
	muProd        float64
	cg, cm, c2    T
}

// Init allocates the moments.
func (s *ScaleByNAdam[T]) Init(n int) { s.m, s.v, s.muProd = make([]T, n), make([]T, n), 1 }

// State returns the moments and the running product of μ.
func (s *ScaleByNAdam[T]) State() [][]T { return [][]T{s.m, s.v} }

// Prepare advances the momentum schedule to step t.
func (s *ScaleByNAdam[T]) Prepare(g, w []T, t int) {
	mu := s.B1 * (1 - 0.5*math.Pow(0.96, float64(t)*s.MomentumDecay))
	muNext := s.B1 * (1 - 0.5*math.Pow(0.96, float64(t+1)*s.MomentumDecay))
	s.muProd *= mu
	next := s.muProd * muNext
	if s.Torch113 {
		next *= mu
	}
	s.cg = T((1 - mu) / (1 - s.muProd))
	s.cm = T(muNext / (1 - next))
	s.c2 = T(1 / (1 - math.Pow(s.B2, float64(t))))
}

// Update applies the NAdam recursion.
func (s *ScaleByNAdam[T]) Update(u, w []T, off, t int) {
	m, v := s.m[off:off+len(u)], s.v[off:off+len(u)]
	b1, b2, eps := T(s.B1), T(s.B2), T(s.Eps)
	for i, g := range u {
		m[i] = b1*m[i] + (1-b1)*g
		v[i] = b2*v[i] + (1-b2)*g*g
		d := sqrt(v[i]*s.c2) + eps
		u[i] = s.cg*g/d + s.cm*m[i]/d
	}
}

// ScaleByRAdam is Rectified Adam (Liu et al. 2020), as in torch.optim.RAdam:
// with ρ∞ = 2/(1−β₂) − 1 and ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ),
//
//	u ← m̂ · r(t) · √(1−β₂ᵗ)/(√v + ε)   when ρₜ > 5,   u ← m̂ otherwise,
//
// where m̂ = m/(1−β₁ᵗ) and r(t) = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ)).
type ScaleByRAdam[T Float] struct {
	B1, B2, Eps float64
	m, v        []T
	c1, rect    T
	adaptive    bool
}

// Init allocates the moments.
func (s *ScaleByRAdam[T]) Init(n int) { s.m, s.v = make([]T, n), make([]T, n) }

// State returns the moments.
func (s *ScaleByRAdam[T]) State() [][]T { return [][]T{s.m, s.v} }

// Prepare computes the rectification for step t.
func (s *ScaleByRAdam[T]) Prepare(g, w []T, t int) {
	ft := float64(t)
	bc2 := 1 - math.Pow(s.B2, ft)
	s.c1 = T(1 / (1 - math.Pow(s.B1, ft)))
	rhoInf := 2/(1-s.B2) - 1
	rho := rhoInf - 2*ft*math.Pow(s.B2, ft)/bc2
	s.adaptive = rho > 5
	if s.adaptive {
		s.rect = T(math.Sqrt((rho-4)*(rho-2)*rhoInf/((rhoInf-4)*(rhoInf-2)*rho)) * math.Sqrt(bc2))
	}
}

// Update applies the RAdam recursion.
func (s *ScaleByRAdam[T]) Update(u, w []T, off, t int) {
	m, v := s.m[off:off+len(u)], s.v[off:off+len(u)]
	b1, b2, eps := T(s.B1), T(s.B2), T(s.Eps)
	for i, g := range u {
		m[i] = b1*m[i] + (1-b1)*g
		v[i] = b2*v[i] + (1-b2)*g*g
		if s.adaptive {
			u[i] = m[i] * s.c1 * s.rect / (sqrt(v[i]) + eps)
		} else {
			u[i] = m[i] * s.c1
		}
	}
}

// ScaleByAdadelta is Adadelta (Zeiler 2012), which needs no learning rate:
//
//	g²[t] = ρ·g²[t−1] + (1−ρ)·u⊙u
//	Δ     = √(d[t−1] + ε)/√(g²[t] + ε) ⊙ u                (PyTorch, default)
//	Δ     = (√d[t−1] + ε)/(√g²[t] + ε) ⊙ u                (the lecture, EpsOutside)
//	d[t]  = ρ·d[t−1] + (1−ρ)·Δ⊙Δ,   u ← Δ
//
// torch.optim.Adadelta scales Δ by a rate (default 1.0) afterwards.
type ScaleByAdadelta[T Float] struct {
	Rho, Eps   float64
	EpsOutside bool
	sq, acc    []T
}

// Init allocates the accumulators.
func (s *ScaleByAdadelta[T]) Init(n int) { s.sq, s.acc = make([]T, n), make([]T, n) }

// State returns the running averages of u² and Δ².
func (s *ScaleByAdadelta[T]) State() [][]T { return [][]T{s.sq, s.acc} }

// Update applies the Adadelta recursion.
func (s *ScaleByAdadelta[T]) Update(u, w []T, off, t int) {
	sq, acc := s.sq[off:off+len(u)], s.acc[off:off+len(u)]
	rho, eps := T(s.Rho), T(s.Eps)
	for i, g := range u {
		sq[i] = rho*sq[i] + (1-rho)*g*g
		var d T
		if s.EpsOutside {
			d = (sqrt(acc[i]) + eps) / (sqrt(sq[i]) + eps) * g
		} else {
			d = sqrt(acc[i]+eps) / sqrt(sq[i]+eps) * g
		}
		acc[i] = rho*acc[i] + (1-rho)*d*d
		u[i] = d
	}
}

// ScaleByLion is Lion (Chen et al. 2023, "Symbolic Discovery of
// Optimization Algorithms"):
//
//	u ← sign(β₁m + (1−β₁)u),   m[t] = β₂m + (1−β₂)u_in
//
// Use a rate 3–10× smaller than Adam's and, for decoupled decay, an
// AddDecayedWeights after this stage.
type ScaleByLion[T Float] struct {
	B1, B2 float64
	m      []T
}

// Init allocates the momentum.
func (s *ScaleByLion[T]) Init(n int) { s.m = make([]T, n) }

// State returns the momentum.
func (s *ScaleByLion[T]) State() [][]T { return [][]T{s.m} }

// Update applies the Lion recursion.
func (s *ScaleByLion[T]) Update(u, w []T, off, t int) {
	m := s.m[off : off+len(u)]
	b1, b2 := T(s.B1), T(s.B2)
	for i, g := range u {
		c := b1*m[i] + (1-b1)*g
		m[i] = b2*m[i] + (1-b2)*g
		switch {
		case c > 0:
			u[i] = 1
		case c < 0:
			u[i] = -1
		default:
			u[i] = 0
		}
	}
}

func sqrt[T Float](x T) T { return T(math.Sqrt(float64(x))) }

func abs[T Float](x T) T {
	if x < 0 {
		return -x
	}
	return x
}
