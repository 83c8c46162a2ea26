// Package vec holds the float32 vector kernels of descent's hot loops: the
// fused optimizer updates and the elementwise work of training. Each kernel
// has a pure-Go form, which defines its result and runs everywhere, and an
// AVX2/FMA assembly form (amd64, unless built with -tags purego) chosen at
// run time when the processor has AVX2 and FMA. The two agree to float32
// rounding: the assembly fuses the multiply-adds that the Go form rounds
// twice.
//
// Kernels work on equal-length slices and panic, naming both lengths, when
// they differ.
package vec

import "fmt"

// Kernel reports which implementation the kernels use: "avx2" or "go".
func Kernel() string {
	if useAsm {
		return "avx2"
	}
	return "go"
}

func checkLen(name string, n int, others ...int) {
	for _, m := range others {
		if m != n {
			panic(fmt.Sprintf("vec.%s: slices of lengths %d and %d", name, n, m))
		}
	}
}

// AdamParams are the per-step constants of Adam's fused update.
type AdamParams struct {
	// B1, B2 are β₁, β₂; C1 = 1/(1−β₁ᵗ) and C2 = 1/√(1−β₂ᵗ) the bias
	// corrections of step t; Eps is ε.
	B1, B2, C1, C2, Eps float32
	// LR is the rate α of this step; WD the decoupled weight decay λ of
	// AdamW (0 for Adam).
	LR, WD float32
	// EpsInside puts ε under the square root: √(v̂ + ε) instead of √v̂ + ε.
	EpsInside bool
}

// Adam applies one fused Adam (or AdamW) step to the parameters w from the
// gradient g, updating the moments m and v, in one pass over memory:
//
//	m ← β₁m + (1−β₁)g,   v ← β₂v + (1−β₂)g²,
//	u = C1·m / (C2·√v + ε)      (or C1·m / √(C2²·v + ε) with EpsInside),
//	w ← w − α(u + λw).
func Adam(w, g, m, v []float32, p *AdamParams) {
	checkLen("Adam", len(w), len(g), len(m), len(v))
	n := 0
	if useAsm {
		n = len(w) &^ 7
		if n > 0 {
			adamAsm(w[:n], g[:n], m[:n], v[:n], p)
		}
	}
	adamGo(w[n:], g[n:], m[n:], v[n:], p)
}

func adamGo(w, g, m, v []float32, p *AdamParams) {
	b1, b2, c1, c2, eps, lr, wd := p.B1, p.B2, p.C1, p.C2, p.Eps, p.LR, p.WD
	m, v, g = m[:len(w)], v[:len(w)], g[:len(w)]
	for i := range w {
		gi := g[i]
		mi := b1*m[i] + (1-b1)*gi
		vi := b2*v[i] + (1-b2)*gi*gi
		m[i], v[i] = mi, vi
		var u float32
		if p.EpsInside {
			u = mi * c1 / sqrt32(vi*c2*c2+eps)
		} else {
			u = mi * c1 / (sqrt32(vi)*c2 + eps)
		}
		w[i] -= lr * (u + wd*w[i])
	}
}

// MomentumParams are the constants of the fused momentum step.
type MomentumParams struct {
	// Mu is the momentum μ, Damp = 1 − dampening the factor of the new
	// gradient, LR the rate α.
	Mu, Damp, LR float32
	// First marks the first step, which sets the trace to g.
	First bool
	// Nesterov steps along g + μb instead of b.
	Nesterov bool
}

// Momentum applies one fused step of SGD with momentum (PyTorch's form) to
// w from the gradient g, updating the trace b:
//
//	b ← μb + (1−dampening)g   (b ← g on the first step),
//	w ← w − α·b               (w ← w − α(g + μb) with Nesterov).
func Momentum(w, g, b []float32, p *MomentumParams) {
	checkLen("Momentum", len(w), len(g), len(b))
	n := 0
	if useAsm {
		n = len(w) &^ 7
		if n > 0 {
			// b ← μ'b + d'g and w ← w − α(cg·g + cb·b) cover the four cases.
			k := [5]float32{p.Mu, p.Damp, 0, 1, p.LR}
			if p.First {
				k[0], k[1] = 0, 1
			}
			if p.Nesterov {
				k[2], k[3] = 1, p.Mu
			}
			momentumAsm(w[:n], g[:n], b[:n], &k)
		}
	}
	momentumGo(w[n:], g[n:], b[n:], p)
}

func momentumGo(w, g, b []float32, p *MomentumParams) {
	mu, d, lr := p.Mu, p.Damp, p.LR
	g, b = g[:len(w)], b[:len(w)]
	for i := range w {
		bi := g[i]
		if !p.First {
			bi = mu*b[i] + d*g[i]
		}
		b[i] = bi
		if p.Nesterov {
			w[i] -= lr * (g[i] + mu*bi)
		} else {
			w[i] -= lr * bi
		}
	}
}

// Axpy sets y ← y + a·x.
func Axpy(a float32, x, y []float32) {
	checkLen("Axpy", len(y), len(x))
	n := 0
	if useAsm {
		n = len(y) &^ 7
		if n > 0 {
			axpyAsm(a, x[:n], y[:n])
		}
	}
	x, y = x[n:], y[n:len(x)]
	for i := range y {
		y[i] += a * x[i]
	}
}

// Add sets y ← y + x.
func Add(y, x []float32) {
	checkLen("Add", len(y), len(x))
	n := 0
	if useAsm {
		n = len(y) &^ 7
		if n > 0 {
			addAsm(y[:n], x[:n])
		}
	}
	x, y = x[n:], y[n:len(x)]
	for i := range y {
		y[i] += x[i]
	}
}

// ReLU sets dst ← max(x, 0), elementwise; NaN stays NaN (and −0 may stay
// −0, which compares equal to 0).
func ReLU(dst, x []float32) {
	checkLen("ReLU", len(dst), len(x))
	n := 0
	if useAsm {
		n = len(dst) &^ 7
		if n > 0 {
			reluAsm(dst[:n], x[:n])
		}
	}
	x, dst = x[n:], dst[n:len(x)]
	for i, v := range x {
		if v < 0 {
			v = 0
		}
		dst[i] = v
	}
}

// ReLUBackward adds to gx the gradient g where the ReLU's output y is
// positive: gx ← gx + [y > 0]·g.
func ReLUBackward(gx, g, y []float32) {
	checkLen("ReLUBackward", len(gx), len(g), len(y))
	n := 0
	if useAsm {
		n = len(gx) &^ 7
		if n > 0 {
			reluBackwardAsm(gx[:n], g[:n], y[:n])
		}
	}
	gx, g, y = gx[n:], g[n:len(gx)], y[n:len(gx)]
	for i := range gx {
		if y[i] > 0 {
			gx[i] += g[i]
		}
	}
}

// RMSParams are the constants of the fused RMS-scaled step.
type RMSParams struct {
	// A and B weigh the accumulator and the squared gradient: A = B = 1 is
	// Adagrad's sum, A = ρ and B = 1 − ρ RMSProp's moving average.
	A, B float32
	// Eps is ε and LR the rate α.
	Eps, LR float32
	// EpsInside divides by √(s + ε) instead of √s + ε.
	EpsInside bool
}

// RMS applies one fused step of Adagrad or RMSProp (without centering or
// momentum) to w from the gradient g, updating the accumulator s:
//
//	s ← A·s + B·g²,   w ← w − α·g/(√s + ε)   (or g/√(s + ε)).
func RMS(w, g, s []float32, p *RMSParams) {
	checkLen("RMS", len(w), len(g), len(s))
	n := 0
	if useAsm {
		n = len(w) &^ 7
		if n > 0 {
			rmsAsm(w[:n], g[:n], s[:n], p)
		}
	}
	w, g, s = w[n:], g[n:len(w)], s[n:len(w)]
	for i := range w {
		gi := g[i]
		si := p.A*s[i] + p.B*gi*gi
		s[i] = si
		if p.EpsInside {
			w[i] -= p.LR * (gi / sqrt32(si+p.Eps))
		} else {
			w[i] -= p.LR * (gi / (sqrt32(si) + p.Eps))
		}
	}
}

// AdadeltaParams are the constants of the fused Adadelta step.
type AdadeltaParams struct {
	// Rho is ρ, Eps ε and LR the rate α (1 in the paper).
	Rho, Eps, LR float32
	// EpsOutside uses the lecture's (√Δ + ε)/(√s + ε) instead of
	// PyTorch's √(Δ + ε)/√(s + ε).
	EpsOutside bool
}

// Adadelta applies one fused Adadelta step (Zeiler 2012) to w from the
// gradient g, updating the mean squares s of the gradients and d of the
// steps:
//
//	s ← ρs + (1−ρ)g²,   u = √(d + ε)/√(s + ε)·g,   d ← ρd + (1−ρ)u²,
//	w ← w − α·u.
func Adadelta(w, g, s, d []float32, p *AdadeltaParams) {
	checkLen("Adadelta", len(w), len(g), len(s), len(d))
	n := 0
	if useAsm {
		n = len(w) &^ 7
		if n > 0 {
			adadeltaAsm(w[:n], g[:n], s[:n], d[:n], p)
		}
	}
	w, g, s, d = w[n:], g[n:len(w)], s[n:len(w)], d[n:len(w)]
	rho, eps := p.Rho, p.Eps
	for i := range w {
		gi := g[i]
		si := rho*s[i] + (1-rho)*gi*gi
		s[i] = si
		var u float32
		if p.EpsOutside {
			u = (sqrt32(d[i]) + eps) / (sqrt32(si) + eps) * gi
		} else {
			u = sqrt32(d[i]+eps) / sqrt32(si+eps) * gi
		}
		d[i] = rho*d[i] + (1-rho)*u*u
		w[i] -= p.LR * u
	}
}
