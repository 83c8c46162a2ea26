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

import (
	"fmt"
	"math"
)

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

// AdamParams are the per-step constants of the fused Adam-family update.
type AdamParams struct {
	// B1, B2 are β₁, β₂; C1 and C2 scale the first moment and the root of
	// the second (Adam: 1/(1−β₁ᵗ) and 1/√(1−β₂ᵗ)); Eps is ε.
	B1, B2, C1, C2, Eps float32
	// LR is the rate α of this step; WD the decoupled weight decay λ of
	// AdamW (0 for Adam).
	LR, WD float32
	// CG weighs the gradient itself in the numerator (NAdam's look-ahead;
	// 0 for Adam).
	CG float32
	// EpsInside puts ε under the square root: √(C2²·v + ε) instead of
	// C2·√v + ε.
	EpsInside bool
}

// Adam applies one fused step of Adam, AdamW, AMSGrad, NAdam or (adaptive)
// RAdam to the parameters w from the gradient g, updating the moments m
// and v, in one pass over memory:
//
//	m ← β₁m + (1−β₁)g,   v ← β₂v + (1−β₂)g²,
//	v̂ = max(vmax, v) → vmax   with AMSGrad (vmax not nil), v otherwise,
//	u = (C1·m + CG·g) / (C2·√v̂ + ε)      (or / √(C2²·v̂ + ε) with EpsInside),
//	w ← w − α(u + λw).
func Adam(w, g, m, v, vmax []float32, p *AdamParams) {
	checkLen("Adam", len(w), len(g), len(m), len(v))
	if vmax != nil {
		checkLen("Adam", len(w), len(vmax))
	}
	n := 0
	if useAsm {
		n = len(w) &^ 7
		if n > 0 {
			var vm []float32
			if vmax != nil {
				vm = vmax[:n]
			}
			adamAsm(w[:n], g[:n], m[:n], v[:n], vm, p)
		}
	}
	var vm []float32
	if vmax != nil {
		vm = vmax[n:]
	}
	adamGo(w[n:], g[n:], m[n:], v[n:], vm, p)
}

func adamGo(w, g, m, v, vmax []float32, p *AdamParams) {
	b1, b2, c1, c2, eps, lr, wd, cg := p.B1, p.B2, p.C1, p.C2, p.Eps, p.LR, p.WD, p.CG
	m, v, g = m[:len(w)], v[:len(w)], g[:len(w)]
	for i := range w {
		gi := g[i]
		mi := b1*m[i] + (1-b1)*gi
		vi := b2*v[i] + (1-b2)*gi*gi
		m[i], v[i] = mi, vi
		if vmax != nil {
			vi = max(vmax[i], vi)
			vmax[i] = vi
		}
		var d float32
		if p.EpsInside {
			d = sqrt32(vi*c2*c2 + eps)
		} else {
			d = sqrt32(vi)*c2 + eps
		}
		u := (mi*c1 + cg*gi) / d
		w[i] -= lr * (u + wd*w[i])
	}
}

// AdamaxParams are the per-step constants of the fused Adamax update.
type AdamaxParams struct {
	// B1, B2 are β₁, β₂, C1 = 1/(1−β₁ᵗ), Eps ε and LR the rate α.
	B1, B2, C1, Eps, LR float32
}

// Adamax applies one fused Adamax step (Kingma & Ba 2015, §7.1) to w from
// the gradient g, updating the moment m and the infinity norm n:
//
//	m ← β₁m + (1−β₁)g,   n ← max(β₂n, |g| + ε),   w ← w − α·C1·m/n.
func Adamax(w, g, m, n []float32, p *AdamaxParams) {
	checkLen("Adamax", len(w), len(g), len(m), len(n))
	k := 0
	if useAsm {
		k = len(w) &^ 7
		if k > 0 {
			adamaxAsm(w[:k], g[:k], m[:k], n[:k], p)
		}
	}
	w, g, m, n = w[k:], g[k:len(w)], m[k:len(w)], n[k:len(w)]
	for i := range w {
		gi := g[i]
		mi := p.B1*m[i] + (1-p.B1)*gi
		ni := max(p.B2*n[i], abs32(gi)+p.Eps)
		m[i], n[i] = mi, ni
		w[i] -= p.LR * (mi * p.C1 / ni)
	}
}

// LionParams are the constants of the fused Lion update.
type LionParams struct {
	// B1, B2 are β₁, β₂, LR the rate α and WD the decoupled weight decay λ.
	B1, B2, LR, WD float32
}

// Lion applies one fused Lion step (Chen et al. 2023) to w from the
// gradient g, updating the momentum m:
//
//	c = β₁m + (1−β₁)g,   m ← β₂m + (1−β₂)g,   w ← w − α(sign(c) + λw).
func Lion(w, g, m []float32, p *LionParams) {
	checkLen("Lion", len(w), len(g), len(m))
	k := 0
	if useAsm {
		k = len(w) &^ 7
		if k > 0 {
			lionAsm(w[:k], g[:k], m[:k], p)
		}
	}
	w, g, m = w[k:], g[k:len(w)], m[k:len(w)]
	for i := range w {
		gi := g[i]
		c := p.B1*m[i] + (1-p.B1)*gi
		m[i] = p.B2*m[i] + (1-p.B2)*gi
		var sgn float32
		switch {
		case c > 0:
			sgn = 1
		case c < 0:
			sgn = -1
		}
		w[i] -= p.LR * (sgn + p.WD*w[i])
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
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

// Sum returns Σ x, accumulated in float32 in several partial sums (so its
// rounding differs from a left-to-right sum's, by as little).
func Sum(x []float32) float32 {
	n := 0
	var s float32
	if useAsm {
		n = len(x) &^ 31
		if n > 0 {
			s = sumAsm(x[:n])
		}
	}
	var a [4]float32
	rest := x[n:]
	for len(rest) >= 4 {
		a[0] += rest[0]
		a[1] += rest[1]
		a[2] += rest[2]
		a[3] += rest[3]
		rest = rest[4:]
	}
	for _, v := range rest {
		a[0] += v
	}
	return s + (a[0] + a[1]) + (a[2] + a[3])
}

// Exp sets dst ← eˣ, elementwise. The assembly evaluates it as 2ⁿ·p(r) with
// x = n·ln 2 + r, |r| ≤ ½ln 2, and p Cephes's degree-7 polynomial
// (expf.c), within 2 ulp of the correctly rounded result; below
// −87.33 (where eˣ is subnormal) it returns 0, above 88.72 +Inf; NaN stays
// NaN. The Go form rounds the float64 exponential.
func Exp(dst, x []float32) {
	checkLen("Exp", len(dst), len(x))
	n := 0
	if useAsm {
		n = len(dst) &^ 7
		if n > 0 {
			expAsm(dst[:n], x[:n])
		}
	}
	x, dst = x[n:], dst[n:len(x)]
	for i, v := range x {
		dst[i] = float32(math.Exp(float64(v)))
	}
}

// Sigmoid sets dst ← 1/(1 + e⁻ˣ), elementwise, through Exp.
func Sigmoid(dst, x []float32) {
	checkLen("Sigmoid", len(dst), len(x))
	n := 0
	if useAsm {
		n = len(dst) &^ 7
		if n > 0 {
			sigmoidAsm(dst[:n], x[:n])
		}
	}
	x, dst = x[n:], dst[n:len(x)]
	for i, v := range x {
		dst[i] = float32(1 / (1 + math.Exp(-float64(v))))
	}
}

// AddRows adds a rows×cols block of src (row stride lds) into one of dst
// (row stride ldd): dst[i·ldd + j] += src[i·lds + j]. It is the scatter of
// a convolution's column gradient onto its input (col2im), a few short rows
// at a time. It panics if a slice is too short for the block.
func AddRows(rows, cols int, dst []float32, ldd int, src []float32, lds int) {
	AddRowsN(1, rows, cols, dst, ldd, 0, src, lds, 0)
}

// AddRowsN is AddRows for count blocks, block k at dst[k·dstStep:] and
// src[k·srcStep:]: the kernel columns of one kernel row in col2im, whose
// blocks land one column apart. The blocks are added in order, so they may
// overlap in dst. It panics if a slice is too short for the blocks.
func AddRowsN(count, rows, cols int, dst []float32, ldd, dstStep int, src []float32, lds, srcStep int) {
	if count <= 0 || rows <= 0 || cols <= 0 {
		return
	}
	if ldd < cols || lds < cols || dstStep < 0 || srcStep < 0 ||
		len(dst) < (count-1)*dstStep+(rows-1)*ldd+cols || len(src) < (count-1)*srcStep+(rows-1)*lds+cols {
		panic(fmt.Sprintf("vec.AddRowsN: %d blocks of %d×%d with strides %d and %d, steps %d and %d, but len(dst) = %d and len(src) = %d",
			count, rows, cols, ldd, lds, dstStep, srcStep, len(dst), len(src)))
	}
	if useAsm {
		addRowsAsm(count, rows, cols, &dst[0], ldd, dstStep, &src[0], lds, srcStep)
		return
	}
	for k := 0; k < count; k++ {
		for i := 0; i < rows; i++ {
			d, s := dst[k*dstStep+i*ldd:][:cols], src[k*srcStep+i*lds:][:cols]
			for j, v := range s {
				d[j] += v
			}
		}
	}
}

// MaxPool2 computes one output row of a 2×2 max-pooling with stride 2:
// y[j] is the maximum of the window r0[2j], r0[2j+1], r1[2j], r1[2j+1] (two
// input rows), and, when arg is not nil, arg[j] = pos + 2j + the offset of
// the window's first maximum in row-major order: 0, 1, w or w+1 for those
// four (pos and w place the window in its input plane of width w; the
// positions are exact below 2²⁴). A window holding NaN gives NaN, and its
// last NaN's position, as PyTorch does. Where +0 and −0 tie for the
// maximum, the position is the first's, but the assembly may return either
// zero. It panics if r0 or r1 holds fewer than 2·len(y) values or arg is
// shorter than y.
func MaxPool2(y, arg, r0, r1 []float32, pos, w float32) {
	n := len(y)
	if len(r0) < 2*n || len(r1) < 2*n || (arg != nil && len(arg) < n) {
		panic(fmt.Sprintf("vec.MaxPool2: %d outputs from rows of %d and %d values, %d positions", n, len(r0), len(r1), len(arg)))
	}
	if useAsm && n > 0 {
		var a *float32
		if arg != nil {
			a = &arg[0]
		}
		if !maxPool2Asm(1, n/8, n%8, &r0[0], &r1[0], &y[0], a, 0, pos, 0, w) {
			return
		}
	}
	maxPool2Go(y, arg, r0, r1, pos, w)
}

// maxPool2Go is MaxPool2 in Go, without the checks.
func maxPool2Go(y, arg, r0, r1 []float32, pos, w float32) {
	for j := range y {
		a, b, c, d := r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1]
		// The maximum, then the first position holding it: conditional
		// moves, since the branches of a running comparison mispredict
		// on data of random order.
		m := max(max(a, b), max(c, d))
		at := w + 1
		if c == m {
			at = w
		}
		if b == m {
			at = 1
		}
		if a == m {
			at = 0
		}
		if m != m {
			// NaN wins, the last one.
			at = 0
			if b != b {
				at = 1
			}
			if c != c {
				at = w
			}
			if d != d {
				at = w + 1
			}
		}
		y[j] = m
		if arg != nil {
			arg[j] = pos + float32(2*j) + at
		}
	}
}

// MaxPool2Rows is MaxPool2 for rows output rows of ow values of one input
// plane x of width w ≥ 2·ow: output row i, at y[i·ow:] (and its positions
// at arg[i·ow:] unless arg is nil), pools the input rows 2i and 2i+1 of
// x, and the positions are offsets from x's start. One call does the
// rows that MaxPool2 would do in rows calls. It panics if x, y or arg is
// too short.
func MaxPool2Rows(y, arg, x []float32, rows, ow, w int) {
	if rows < 0 || ow < 0 || w < 2*ow || len(y) < rows*ow || (arg != nil && len(arg) < rows*ow) || rows > 0 && len(x) < (2*rows-1)*w+2*ow {
		panic(fmt.Sprintf("vec.MaxPool2Rows: %d rows of %d outputs from rows of %d values: %d outputs, %d positions, %d inputs", rows, ow, w, len(y), len(arg), len(x)))
	}
	if rows == 0 || ow == 0 {
		return
	}
	if useAsm {
		var a *float32
		if arg != nil {
			a = &arg[0]
		}
		if !maxPool2Asm(rows, ow/8, ow%8, &x[0], &x[w], &y[0], a, 2*w, 0, float32(2*w), float32(w)) {
			return
		}
	}
	for i := 0; i < rows; i++ {
		var ar []float32
		if arg != nil {
			ar = arg[i*ow : (i+1)*ow]
		}
		maxPool2Go(y[i*ow:(i+1)*ow], ar, x[2*i*w:], x[(2*i+1)*w:], float32(2*i*w), float32(w))
	}
}

// MaxPool2RowsBackward is MaxPool2Backward for the rows of MaxPool2Rows:
// the gradients g of rows·ow outputs go to the plane dx (width w) at the
// positions arg that MaxPool2Rows recorded, stored over the four values
// of each window or, with add, added to them. It panics if dx, g or arg
// is too short.
func MaxPool2RowsBackward(dx, g, arg []float32, rows, ow, w int, add bool) {
	if rows < 0 || ow < 0 || w < 2*ow || len(g) < rows*ow || len(arg) < rows*ow || rows > 0 && len(dx) < (2*rows-1)*w+2*ow {
		panic(fmt.Sprintf("vec.MaxPool2RowsBackward: %d rows of %d outputs onto rows of %d values: %d gradients, %d positions, %d inputs", rows, ow, w, len(g), len(arg), len(dx)))
	}
	if rows == 0 || ow == 0 {
		return
	}
	if useAsm && ow%4 == 0 {
		maxPool2BackwardAsm(rows, ow/8, ow%8/4, &dx[0], &dx[w], &g[0], &arg[0], 2*w, 0, float32(2*w), float32(w), add)
		return
	}
	for i := 0; i < rows; i++ {
		MaxPool2Backward(dx[2*i*w:], dx[(2*i+1)*w:], g[i*ow:(i+1)*ow], arg[i*ow:], float32(2*i*w), float32(w), add)
	}
}

// Nonzeros lists the nonzero values (NaN counts as nonzero) of a rows×cols
// block of x (row i at x[i·ldx:]) in row-major order: the k-th of them,
// in row i and column j, gets offs[k] = base + i·rowStep + j·colStep and
// vals[k] = its value. It returns how many it listed, and ok = false if
// they did not all fit in offs and vals (which then hold the first
// min(len(offs), len(vals)) of them): a caller that wants a sparse form
// only when it is sparse enough sizes them to stop early. The offsets must
// fit in an int32. It panics if x is too short.
func Nonzeros(offs []int32, vals, x []float32, rows, cols, ldx int, base, colStep, rowStep int32) (n int, ok bool) {
	if rows < 0 || cols < 0 || rows > 0 && (ldx < cols || len(x) < (rows-1)*ldx+cols) {
		panic(fmt.Sprintf("vec.Nonzeros: %d rows of %d values, %d apart, from %d values", rows, cols, ldx, len(x)))
	}
	limit := min(len(offs), len(vals))
	if rows == 0 || cols == 0 {
		return 0, true
	}
	if useAsm && cols%8 == 0 && limit > 0 {
		c := nonzerosAsm(&x[0], rows, cols/8, ldx, &offs[0], &vals[0], base, colStep, rowStep, limit)
		if c < 0 {
			return limit, false
		}
		return c, true
	}
	for i := 0; i < rows; i++ {
		off := base + int32(i)*rowStep
		for _, v := range x[i*ldx : i*ldx+cols] {
			if v != 0 {
				if n == limit {
					return n, false
				}
				offs[n], vals[n] = off, v
				n++
			}
			off += colStep
		}
	}
	return n, true
}

// Tanh sets dst ← tanh x, elementwise. The assembly follows Cephes's
// tanhf.c: x + x³·P(x²), P of degree 4, for |x| < 0.625, and
// 1 − 2/(e^2|x| + 1) with the sign of x beyond, e^2|x| through Exp's
// kernel (an infinite e^2|x| gives ±1). It is within 1 ulp of the
// correctly rounded result (so found on every float32 of [0, 10], beyond
// which tanh rounds to 1, and the odd form makes it so for the negative
// ones), and NaN stays NaN. The Go form rounds the float64 tanh.
func Tanh(dst, x []float32) {
	checkLen("Tanh", len(dst), len(x))
	n := 0
	if useAsm {
		n = len(dst) &^ 7
		if n > 0 {
			tanhAsm(dst[:n], x[:n])
		}
	}
	x, dst = x[n:], dst[n:len(x)]
	for i, v := range x {
		dst[i] = float32(math.Tanh(float64(v)))
	}
}

// SigmoidBackward adds to gx the gradient g through a sigmoid whose
// output is y: gx ← gx + g·y(1 − y).
func SigmoidBackward(gx, g, y []float32) {
	checkLen("SigmoidBackward", len(gx), len(g), len(y))
	n := 0
	if useAsm {
		n = len(gx) &^ 7
		if n > 0 {
			sigmoidBackwardAsm(gx[:n], g[:n], y[:n])
		}
	}
	gx, g, y = gx[n:], g[n:len(gx)], y[n:len(gx)]
	for i, v := range y {
		gx[i] += g[i] * v * (1 - v)
	}
}

// TanhBackward adds to gx the gradient g through a tanh whose output is y:
// gx ← gx + g·(1 − y²).
func TanhBackward(gx, g, y []float32) {
	checkLen("TanhBackward", len(gx), len(g), len(y))
	n := 0
	if useAsm {
		n = len(gx) &^ 7
		if n > 0 {
			tanhBackwardAsm(gx[:n], g[:n], y[:n])
		}
	}
	gx, g, y = gx[n:], g[n:len(gx)], y[n:len(gx)]
	for i, v := range y {
		gx[i] += g[i] * (1 - v*v)
	}
}

// AxpyExp sets y ← y + a·eˣ, elementwise: the softmax term of the
// gradient of the cross-entropy, from the log-probabilities x. The
// assembly takes eˣ from Exp's kernel; the Go form rounds the float64
// exponential.
func AxpyExp(a float32, x, y []float32) {
	checkLen("AxpyExp", len(y), len(x))
	n := 0
	if useAsm {
		n = len(y) &^ 7
		if n > 0 {
			axpyExpAsm(a, x[:n], y[:n])
		}
	}
	x, y = x[n:], y[n:len(x)]
	for i, v := range x {
		y[i] += a * float32(math.Exp(float64(v)))
	}
}

// LogSoftmaxRow sets dst ← log softmax(x), dst[i] = xᵢ − L, and returns
// L = log Σⱼ exp(xⱼ) (−Inf for an empty row), in float64. L is formed
// without overflow as m + log Σⱼ exp(xⱼ − m), m = max x, the sum
// accumulated in float64, and each dst[i] is xᵢ − L rounded once to
// float32. The assembly, for a row of any length (a short tail through
// masked loads), takes the exponentials of xⱼ − m, rounded to float32,
// from Exp's kernel: within 2 ulp each, which moves L by as little (2.4e−7
// at most). A row holding NaN gives NaN
// throughout; one whose maximum is infinite goes through the Go form,
// which takes the float64 exponentials: with a maximum of +Inf, L = +Inf
// and dst[i] = −Inf, or NaN where xᵢ = +Inf; with every xᵢ = −Inf, L = −Inf
// and dst[i] = NaN.
func LogSoftmaxRow(dst, x []float32) float64 {
	checkLen("LogSoftmaxRow", len(dst), len(x))
	if len(x) == 0 {
		return math.Inf(-1)
	}
	if useAsm {
		m, s := logSumExpAsm(x)
		if !math.IsInf(float64(m), 0) && m == m {
			l := float64(m) + math.Log(s)
			shiftAsm(dst, x, l)
			return l
		}
	}
	return logSoftmaxGo(dst, x)
}

func logSoftmaxGo(dst, x []float32) float64 {
	dst = dst[:len(x)]
	m := float64(x[0])
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	l := m
	if !math.IsInf(m, 0) {
		var s float64
		for _, v := range x {
			s += math.Exp(float64(v) - m)
		}
		l = m + math.Log(s)
	}
	for i, v := range x {
		dst[i] = float32(float64(v) - l)
	}
	return l
}

// Sum64 returns Σ x accumulated in float64, in several partial sums (so its
// rounding differs from a left-to-right float64 sum's, by as little): the
// sum of a loss over many values, where float32 accumulation would lose
// digits.
func Sum64(x []float32) float64 {
	n := 0
	var s float64
	if useAsm {
		n = len(x) &^ 15
		if n > 0 {
			s = sum64Asm(x[:n])
		}
	}
	var a [4]float64
	rest := x[n:]
	for len(rest) >= 4 {
		a[0] += float64(rest[0])
		a[1] += float64(rest[1])
		a[2] += float64(rest[2])
		a[3] += float64(rest[3])
		rest = rest[4:]
	}
	for _, v := range rest {
		a[0] += float64(v)
	}
	return s + (a[0] + a[1]) + (a[2] + a[3])
}

// MaxPool2Backward is the gradient of MaxPool2 for one output row: window
// j of the input rows r0, r1 (r0[2j], r0[2j+1], r1[2j], r1[2j+1]) gets g[j]
// at its maximum, at offset arg[j] − pos − 2j ∈ {0, 1, w, w+1} as MaxPool2
// recorded it, and 0 at its other three elements. With add the four values
// are added to the rows, otherwise they overwrite them (a fresh gradient:
// nothing to clear first). It panics if r0 or r1 holds fewer than 2·len(g)
// values or arg fewer than len(g).
func MaxPool2Backward(r0, r1, g, arg []float32, pos, w float32, add bool) {
	n := len(g)
	if len(r0) < 2*n || len(r1) < 2*n || len(arg) < n {
		panic(fmt.Sprintf("vec.MaxPool2Backward: %d gradients, %d positions, rows of %d and %d values", n, len(arg), len(r0), len(r1)))
	}
	done := 0
	if useAsm && n >= 4 {
		four := 0
		if n%8 >= 4 {
			four = 1
		}
		maxPool2BackwardAsm(1, n/8, four, &r0[0], &r1[0], &g[0], &arg[0], 0, pos, 0, w, add)
		done = n&^7 + 4*four
	}
	for j := done; j < n; j++ {
		var v [4]float32
		switch arg[j] - (pos + float32(2*j)) {
		case 0:
			v[0] = g[j]
		case 1:
			v[1] = g[j]
		case w:
			v[2] = g[j]
		case w + 1:
			v[3] = g[j]
		}
		if add {
			r0[2*j] += v[0]
			r0[2*j+1] += v[1]
			r1[2*j] += v[2]
			r1[2*j+1] += v[3]
			continue
		}
		r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1] = v[0], v[1], v[2], v[3]
	}
}

// MulAdd sets gx ← gx + g·y, elementwise: the gradient through eˣ, whose
// derivative is its output y.
func MulAdd(gx, g, y []float32) {
	checkLen("MulAdd", len(gx), len(g), len(y))
	n := 0
	if useAsm {
		n = len(gx) &^ 7
		if n > 0 {
			mulAddAsm(gx[:n], g[:n], y[:n])
		}
	}
	gx, g, y = gx[n:], g[n:len(gx)], y[n:len(gx)]
	for i, v := range y {
		gx[i] += g[i] * v
	}
}

// Log sets dst ← ln x, elementwise. The assembly follows Cephes's logf.c:
// x = 2ᵏ·m with m in [√½, √2), split from x's bits (a subnormal x first
// scaled by 2¹⁴⁹, exactly, through its integer bits), and
// ln x = k·ln 2 + f − f²/2 + f³·P(f), f = m − 1, P of degree 8 and ln 2 in
// two parts. It is within 1 ulp of the correctly rounded result (so found
// on every positive finite float32, subnormals included). ln ±0 = −Inf,
// ln x = NaN for x < 0 (−Inf included), ln +Inf = +Inf, and NaN stays NaN.
// The Go form rounds the float64 logarithm.
func Log(dst, x []float32) {
	checkLen("Log", len(dst), len(x))
	n := 0
	if useAsm {
		n = len(dst) &^ 7
		if n > 0 {
			logAsm(dst[:n], x[:n])
		}
	}
	x, dst = x[n:], dst[n:len(x)]
	for i, v := range x {
		dst[i] = float32(math.Log(float64(v)))
	}
}

// Softplus sets dst ← log(1 + eˣ), elementwise, without overflow, as
// max(x, 0) + log1p(t), t = e^−|x| ∈ (0, 1]. The assembly takes t from
// Exp's kernel and log1p(t) from Log's: on f = t itself where 1 + t < √2,
// and otherwise on u = 1 + t rounded, adding back its rounding error
// t − (u − 1) (exact) divided by u. So it returns x itself where e⁻ˣ is
// below half an ulp of x (x above about 15), and eˣ within Exp's 2 ulp
// where eˣ/2 is below half an ulp of eˣ (x below about −16); below −87.33
// (where eˣ is subnormal) it returns 0, as Exp. Above −87.33 it is within
// 2 ulp of the correctly rounded result (so found on every float32 of
// [−87.33, 30], beyond which it is x; 2 ulp on 0.0006% of them). +Inf
// gives +Inf, −Inf 0, and NaN stays NaN. The Go form rounds the float64
// softplus.
func Softplus(dst, x []float32) {
	checkLen("Softplus", len(dst), len(x))
	n := 0
	if useAsm {
		n = len(dst) &^ 7
		if n > 0 {
			softplusAsm(dst[:n], x[:n])
		}
	}
	x, dst = x[n:], dst[n:len(x)]
	for i, v := range x {
		dst[i] = float32(softplus64(float64(v)))
	}
}

// softplus64 is log(1 + eˣ) in float64, without overflow.
func softplus64(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// SoftplusBackward adds to gx the gradient g through a softplus of x,
// whose derivative is the sigmoid: gx ← gx + g·σ(x), σ(x) = 1/(1 + e⁻ˣ)
// as Sigmoid computes it (the assembly through Exp's kernel, the Go form
// through the float64 exponential).
func SoftplusBackward(gx, g, x []float32) {
	checkLen("SoftplusBackward", len(gx), len(g), len(x))
	n := 0
	if useAsm {
		n = len(gx) &^ 7
		if n > 0 {
			softplusBackwardAsm(gx[:n], g[:n], x[:n])
		}
	}
	gx, g, x = gx[n:], g[n:len(gx)], x[n:len(gx)]
	for i, v := range x {
		gx[i] += g[i] * float32(1/(1+math.Exp(-float64(v))))
	}
}

// SoftmaxRow sets dst ← softmax(x), dst[i] = exp(xᵢ − m)/Σⱼ exp(xⱼ − m),
// m = max x, which cannot overflow; the sum is accumulated in float64, and
// dst may be x itself. The Go form takes float64 exponentials of
// xᵢ − m (in float64), rounds them to float32 and scales those by 1/Σ. The
// assembly, for a row of any length (a short tail through masked loads),
// takes the exponentials from Exp's kernel (within 2 ulp), of xᵢ − m
// rounded to float32 and corrected by its rounding error, and scales them
// by 1/Σ in float64, rounding once; an exponential below e^−87.33
// (subnormal) is 0, as in Exp, so that probabilities below 1.2e−38 may
// be 0. Above those, both forms are within a relative 2⁻²² (4 ulp) of the
// exact result (200,000 random rows: 3.05·2⁻²⁴ for the assembly, 1.96·2⁻²⁴
// for the Go form). A row holding NaN, or whose maximum is infinite,
// gives NaN throughout (the latter through the Go form).
func SoftmaxRow(dst, x []float32) {
	checkLen("SoftmaxRow", len(dst), len(x))
	if len(x) == 0 {
		return
	}
	if useAsm {
		if m := softmaxRowAsm(dst, x); !math.IsInf(float64(m), 0) && m == m {
			return
		}
	}
	softmaxGo(dst, x)
}

func softmaxGo(dst, x []float32) {
	dst = dst[:len(x)]
	m := float64(x[0])
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var s float64
	for i, v := range x {
		e := math.Exp(float64(v) - m)
		dst[i] = float32(e)
		s += e
	}
	c := 1 / s
	for i, v := range dst {
		dst[i] = float32(float64(v) * c)
	}
}

// SoftmaxRowBackward adds to gx the gradient g through the softmax y of
// one row: gx ← gx + y ⊙ (g − s), s = Σⱼ gⱼyⱼ accumulated in float64 (of
// exact products) and rounded to float32. The assembly takes a row of any
// length (its tail through masked loads).
func SoftmaxRowBackward(gx, g, y []float32) {
	checkLen("SoftmaxRowBackward", len(gx), len(g), len(y))
	if len(gx) == 0 {
		return
	}
	if useAsm {
		softmaxRowBackwardAsm(gx, g, y)
		return
	}
	g, y = g[:len(gx)], y[:len(gx)]
	var s64 float64
	for i, v := range y {
		s64 += float64(g[i]) * float64(v)
	}
	s := float32(s64)
	for i, v := range y {
		gx[i] += v * (g[i] - s)
	}
}

// LogSoftmaxRowBackward adds to gx the gradient g through the log-softmax
// y of one row: gx ← gx + g − s·eʸ, s = Σⱼ gⱼ accumulated in float64 and
// rounded to float32. The assembly, for a row of any length (its tail
// through masked loads), takes eʸ from Exp's kernel; the Go form rounds
// the float64 exponential.
func LogSoftmaxRowBackward(gx, g, y []float32) {
	checkLen("LogSoftmaxRowBackward", len(gx), len(g), len(y))
	if len(gx) == 0 {
		return
	}
	if useAsm {
		logSoftmaxRowBackwardAsm(gx, g, y)
		return
	}
	g, y = g[:len(gx)], y[:len(gx)]
	s := float32(Sum64(g))
	for i, v := range y {
		gx[i] += g[i] - s*float32(math.Exp(float64(v)))
	}
}

// DivAdd sets gx ← gx + g/x, elementwise: the gradient through ln x. The
// division and the sum are each rounded once in both forms, so they agree
// exactly.
func DivAdd(gx, g, x []float32) {
	checkLen("DivAdd", len(gx), len(g), len(x))
	n := 0
	if useAsm {
		n = len(gx) &^ 7
		if n > 0 {
			divAddAsm(gx[:n], g[:n], x[:n])
		}
	}
	gx, g, x = gx[n:], g[n:len(gx)], x[n:len(gx)]
	for i, v := range x {
		gx[i] += g[i] / v
	}
}
