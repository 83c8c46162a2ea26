package autograd

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/internal/parallel"
	"github.com/descent-ml/descent/tensor"
)

// BatchNormOptions configure Tape.BatchNorm.
type BatchNormOptions[T Float] struct {
	// Eps is added to the variance before the square root.
	Eps float64
	// Training normalizes with the mean and (biased) variance of the
	// mini-batch, computed per channel over the batch and spatial
	// dimensions. Otherwise the op normalizes with Mean and Var.
	Training bool
	// Mean and Var are the running estimates of the mean and variance, one
	// entry per channel. They are read (never written) in evaluation mode
	// and, with Renorm, in training mode.
	Mean, Var []T
	// Renorm turns on Batch Renormalization (Ioffe 2017) in training mode:
	// the normalized value becomes r·x̂ + d with
	//
	//	r = clip(σ_B/σ, 1/RMax, RMax),   d = clip((μ_B − μ)/σ, −DMax, DMax),
	//
	// σ_B = √(var_B + Eps), σ = √(Var + Eps), μ = Mean; r and d are treated
	// as constants by the gradient. RMax = 1 and DMax = 0 give plain batch
	// normalization.
	Renorm     bool
	RMax, DMax float64
	// BatchMean and BatchVar, when not nil, receive the mini-batch mean and
	// biased variance per channel in training mode (for running averages).
	BatchMean, BatchVar []T
}

// BatchNorm returns the batch normalization of x (batch×C or batch×C×…)
// over channel axis 1 (Ioffe & Szegedy 2015):
//
//	y = γ·(x − μ)/√(σ² + ε) + β
//
// per channel, where μ and σ² are the mini-batch mean and biased variance
// over the batch and spatial positions in training mode and opts.Mean and
// opts.Var in evaluation mode (see BatchNormOptions for Batch
// Renormalization). gamma and beta have one entry per channel; either may be
// nil (γ = 1, β = 0). It is one fused op: in training mode the gradient
// includes the dependence of μ and σ² on x,
//
//	dx = γ/√(σ² + ε) · (dy − mean(dy) − x̂·mean(dy·x̂)),
//
// with the means over the channel's batch and spatial positions.
func (tp *Tape[T]) BatchNorm(x, gamma, beta *Var[T], opts BatchNormOptions[T]) *Var[T] {
	xs := x.Value.Shape
	if len(xs) < 2 {
		panic(fmt.Sprintf("autograd.BatchNorm: input shape %v, want batch×channels or batch×channels×…", xs))
	}
	n, c := xs[0], xs[1]
	s := 1
	for _, d := range xs[2:] {
		s *= d
	}
	for _, p := range []struct {
		name string
		v    *Var[T]
	}{{"gamma", gamma}, {"beta", beta}} {
		if p.v != nil && p.v.Value.Len() != c {
			panic(fmt.Sprintf("autograd.BatchNorm: %s shape %v for input shape %v (want %d channels)", p.name, p.v.Value.Shape, xs, c))
		}
	}
	m := n * s
	useRunning := !opts.Training || opts.Renorm
	if useRunning && (len(opts.Mean) != c || len(opts.Var) != c) {
		panic(fmt.Sprintf("autograd.BatchNorm: running statistics of %d and %d entries for input shape %v (want %d)", len(opts.Mean), len(opts.Var), xs, c))
	}
	if opts.Training && m < 2 {
		panic(fmt.Sprintf("autograd.BatchNorm: input shape %v has one value per channel; training mode needs more than one", xs))
	}
	if opts.Renorm && (opts.RMax < 1 || opts.DMax < 0) {
		panic(fmt.Sprintf("autograd.BatchNorm: r_max %v and d_max %v, want r_max ≥ 1 and d_max ≥ 0", opts.RMax, opts.DMax))
	}
	inputs := []*Var[T]{x}
	for _, p := range []*Var[T]{gamma, beta} {
		if p != nil {
			inputs = append(inputs, p)
		}
	}
	out := tp.newVar(xs, inputs...)
	xhat := tp.scratch(xs).Data
	// Per channel: 1/√(σ²+ε), r and d.
	st := tp.scratch([]int{3, c}).Data
	invstd, rr, dd := st[:c], st[c:2*c], st[2*c:]
	xv, y := x.Value.Data, out.Value.Data
	parallel.For(c, max(1, (1<<14)/max(1, m)), func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var mean, vr float64
			if opts.Training {
				for i := 0; i < n; i++ {
					for _, v := range xv[(i*c+ch)*s : (i*c+ch+1)*s] {
						mean += float64(v)
					}
				}
				mean /= float64(m)
				for i := 0; i < n; i++ {
					for _, v := range xv[(i*c+ch)*s : (i*c+ch+1)*s] {
						d := float64(v) - mean
						vr += d * d
					}
				}
				vr /= float64(m)
				if opts.BatchMean != nil {
					opts.BatchMean[ch] = T(mean)
				}
				if opts.BatchVar != nil {
					opts.BatchVar[ch] = T(vr)
				}
			} else {
				mean, vr = float64(opts.Mean[ch]), float64(opts.Var[ch])
			}
			is := 1 / math.Sqrt(vr+opts.Eps)
			r, d := 1.0, 0.0
			if opts.Training && opts.Renorm {
				sigma := math.Sqrt(float64(opts.Var[ch]) + opts.Eps)
				r = clip(math.Sqrt(vr+opts.Eps)/sigma, 1/opts.RMax, opts.RMax)
				d = clip((mean-float64(opts.Mean[ch]))/sigma, -opts.DMax, opts.DMax)
			}
			invstd[ch], rr[ch], dd[ch] = T(is), T(r), T(d)
			g, b := 1.0, 0.0
			if gamma != nil {
				g = float64(gamma.Value.Data[ch])
			}
			if beta != nil {
				b = float64(beta.Value.Data[ch])
			}
			// y = γ·(r·x̂ + d) + β = a·x̂ + a0.
			a, a0 := T(g*r), T(g*d+b)
			mu, ist := T(mean), T(is)
			for i := 0; i < n; i++ {
				off := (i*c + ch) * s
				for k, v := range xv[off : off+s] {
					h := (v - mu) * ist
					xhat[off+k] = h
					y[off+k] = a*h + a0
				}
			}
		}
	})
	tp.record(out, func() {
		dy := out.Grad.Data
		var dx, dg, db []T
		if x.requiresGrad {
			dx = tp.grad(x).Data
		}
		if gamma != nil && gamma.requiresGrad {
			dg = tp.grad(gamma).Data
		}
		if beta != nil && beta.requiresGrad {
			db = tp.grad(beta).Data
		}
		parallel.For(c, max(1, (1<<14)/max(1, m)), func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				var sdy, sdyx float64
				for i := 0; i < n; i++ {
					off := (i*c + ch) * s
					for k, g := range dy[off : off+s] {
						sdy += float64(g)
						sdyx += float64(g) * float64(xhat[off+k])
					}
				}
				r, d := float64(rr[ch]), float64(dd[ch])
				if db != nil {
					db[ch] += T(sdy)
				}
				if dg != nil {
					dg[ch] += T(r*sdyx + d*sdy)
				}
				if dx == nil {
					continue
				}
				g := 1.0
				if gamma != nil {
					g = float64(gamma.Value.Data[ch])
				}
				k := T(g * r * float64(invstd[ch]))
				if !opts.Training {
					for i := 0; i < n; i++ {
						off := (i*c + ch) * s
						tensor.Axpy(k, dy[off:off+s], dx[off:off+s])
					}
					continue
				}
				mdy, mdyx := T(sdy/float64(m)), T(sdyx/float64(m))
				for i := 0; i < n; i++ {
					off := (i*c + ch) * s
					gd, hd, dxr := dy[off:off+s], xhat[off:off+s], dx[off:off+s]
					for j := range gd {
						dxr[j] += k * (gd[j] - mdy - hd[j]*mdyx)
					}
				}
			}
		})
	})
	return out
}

func clip(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// LayerNorm returns the layer normalization of x over its last dims
// dimensions (Ba, Kiros & Hinton 2016), as torch.nn.LayerNorm with
// normalized_shape the last dims dimensions of x:
//
//	y = γ ⊙ (x − μ)/√(σ² + ε) + β,
//
// with μ and σ² the mean and biased variance of each example's last dims
// dimensions. gamma and beta (either may be nil) have the shape of those
// dimensions and apply elementwise.
func (tp *Tape[T]) LayerNorm(x, gamma, beta *Var[T], dims int, eps float64) *Var[T] {
	xs := x.Value.Shape
	if dims < 1 || dims > len(xs) {
		panic(fmt.Sprintf("autograd.LayerNorm: cannot normalize over the last %d dimensions of shape %v", dims, xs))
	}
	m := tensor.Numel(xs[len(xs)-dims:])
	for _, p := range []*Var[T]{gamma, beta} {
		if p != nil && p.Value.Len() != m {
			panic(fmt.Sprintf("autograd.LayerNorm: parameter shape %v for input shape %v normalized over %v", p.Value.Shape, xs, xs[len(xs)-dims:]))
		}
	}
	return tp.normRows("autograd.LayerNorm", x, gamma, beta, rowLayout{rows: x.Value.Len() / max(1, m), m: m, p: 1, q: 0, s: 1}, eps)
}

// GroupNorm returns the group normalization of x (batch×C×…) with the C
// channels split into groups consecutive groups (Wu & He 2018), as
// torch.nn.GroupNorm:
//
//	y = γ_c·(x − μ)/√(σ² + ε) + β_c,
//
// with μ and σ² the mean and biased variance of each example's group of
// channels over all their positions. gamma and beta (either may be nil) have
// one entry per channel. groups = 1 normalizes each example over all its
// values (layer normalization with per-channel affine), groups = C each
// channel of each example by itself (instance normalization, Ulyanov et
// al. 2016).
func (tp *Tape[T]) GroupNorm(x, gamma, beta *Var[T], groups int, eps float64) *Var[T] {
	xs := x.Value.Shape
	if len(xs) < 2 {
		panic(fmt.Sprintf("autograd.GroupNorm: input shape %v, want batch×channels or batch×channels×…", xs))
	}
	c := xs[1]
	if groups < 1 || c%groups != 0 {
		panic(fmt.Sprintf("autograd.GroupNorm: %d groups do not divide the %d channels of input shape %v", groups, c, xs))
	}
	for _, p := range []*Var[T]{gamma, beta} {
		if p != nil && p.Value.Len() != c {
			panic(fmt.Sprintf("autograd.GroupNorm: parameter shape %v for input shape %v (want %d channels)", p.Value.Shape, xs, c))
		}
	}
	s := tensor.Numel(xs[2:])
	return tp.normRows("autograd.GroupNorm", x, gamma, beta, rowLayout{rows: xs[0] * groups, m: c / groups * s, p: groups, q: c / groups, s: s}, eps)
}

// rowLayout describes x as rows × m values normalized row by row. Each row
// is a sequence of m/s blocks of s values; block b of row r uses the affine
// parameters at index (r mod p)·q + b.
type rowLayout struct {
	rows, m, p, q, s int
}

// normRows normalizes each row of x to zero mean and unit variance and
// applies the affine map of the layout.
func (tp *Tape[T]) normRows(op string, x, gamma, beta *Var[T], lay rowLayout, eps float64) *Var[T] {
	xs := x.Value.Shape
	if lay.m == 0 || lay.rows == 0 {
		panic(fmt.Sprintf("%s: empty input shape %v", op, xs))
	}
	inputs := []*Var[T]{x}
	for _, p := range []*Var[T]{gamma, beta} {
		if p != nil {
			inputs = append(inputs, p)
		}
	}
	out := tp.newVar(xs, inputs...)
	xhat := tp.scratch(xs).Data
	invstd := tp.scratch([]int{lay.rows}).Data
	xv, y := x.Value.Data, out.Value.Data
	blocks := lay.m / lay.s
	param := func(p *Var[T], r, b int, def T) T {
		if p == nil {
			return def
		}
		return p.Value.Data[(r%lay.p)*lay.q+b]
	}
	parallel.For(lay.rows, max(1, (1<<14)/lay.m), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := xv[r*lay.m : (r+1)*lay.m]
			var mean, vr float64
			for _, v := range row {
				mean += float64(v)
			}
			mean /= float64(lay.m)
			for _, v := range row {
				d := float64(v) - mean
				vr += d * d
			}
			vr /= float64(lay.m)
			is := T(1 / math.Sqrt(vr+eps))
			invstd[r] = is
			mu := T(mean)
			h, yr := xhat[r*lay.m:(r+1)*lay.m], y[r*lay.m:(r+1)*lay.m]
			for b := 0; b < blocks; b++ {
				g, bb := param(gamma, r, b, 1), param(beta, r, b, 0)
				for k := b * lay.s; k < (b+1)*lay.s; k++ {
					h[k] = (row[k] - mu) * is
					yr[k] = g*h[k] + bb
				}
			}
		}
	})
	tp.record(out, func() {
		dy := out.Grad.Data
		if x.requiresGrad {
			dx := tp.grad(x).Data
			parallel.For(lay.rows, max(1, (1<<14)/lay.m), func(lo, hi int) {
				for r := lo; r < hi; r++ {
					gr, h, dr := dy[r*lay.m:(r+1)*lay.m], xhat[r*lay.m:(r+1)*lay.m], dx[r*lay.m:(r+1)*lay.m]
					var a, bsum float64
					for b := 0; b < blocks; b++ {
						g := float64(param(gamma, r, b, 1))
						for k := b * lay.s; k < (b+1)*lay.s; k++ {
							v := g * float64(gr[k])
							a += v
							bsum += v * float64(h[k])
						}
					}
					ma, mb := T(a/float64(lay.m)), T(bsum/float64(lay.m))
					is := invstd[r]
					for b := 0; b < blocks; b++ {
						g := param(gamma, r, b, 1)
						for k := b * lay.s; k < (b+1)*lay.s; k++ {
							dr[k] += is * (g*gr[k] - ma - h[k]*mb)
						}
					}
				}
			})
		}
		var dg, db []T
		if gamma != nil && gamma.requiresGrad {
			dg = tp.grad(gamma).Data
		}
		if beta != nil && beta.requiresGrad {
			db = tp.grad(beta).Data
		}
		if dg == nil && db == nil {
			return
		}
		for r := 0; r < lay.rows; r++ {
			gr, h := dy[r*lay.m:(r+1)*lay.m], xhat[r*lay.m:(r+1)*lay.m]
			for b := 0; b < blocks; b++ {
				idx := (r%lay.p)*lay.q + b
				var sg, sgh T
				for k := b * lay.s; k < (b+1)*lay.s; k++ {
					sg += gr[k]
					sgh += gr[k] * h[k]
				}
				if dg != nil {
					dg[idx] += sgh
				}
				if db != nil {
					db[idx] += sg
				}
			}
		}
	})
	return out
}

// WeightNorm returns the weight-normalized tensor w = g·v/‖v‖ (Salimans &
// Kingma 2016), the norm taken over each slice v[o, …] of the first axis, as
// torch.nn.utils.weight_norm with dim 0. g has one entry per slice. With
// v̂ = v/‖v‖ the gradients are dg = dw·v̂ and dv = g/‖v‖ · (dw − (dw·v̂)·v̂):
// the gradient of v is orthogonal to v.
func (tp *Tape[T]) WeightNorm(v, g *Var[T]) *Var[T] {
	vs := v.Value.Shape
	if len(vs) < 1 || vs[0] == 0 || g.Value.Len() != vs[0] {
		panic(fmt.Sprintf("autograd.WeightNorm: g shape %v for v shape %v (want one entry per slice of the first axis)", g.Value.Shape, vs))
	}
	rows := vs[0]
	k := v.Value.Len() / rows
	out := tp.newVar(vs, v, g)
	norms := tp.scratch([]int{rows}).Data
	vv, w := v.Value.Data, out.Value.Data
	for o := 0; o < rows; o++ {
		row := vv[o*k : (o+1)*k]
		nrm := math.Sqrt(tensor.Dot(row, row))
		norms[o] = T(nrm)
		sc := T(float64(g.Value.Data[o]) / nrm)
		for i, x := range row {
			w[o*k+i] = sc * x
		}
	}
	tp.record(out, func() {
		dw := out.Grad.Data
		for o := 0; o < rows; o++ {
			row, dr := vv[o*k:(o+1)*k], dw[o*k:(o+1)*k]
			nrm := float64(norms[o])
			s := tensor.Dot(dr, row) / nrm // dw·v̂
			if g.requiresGrad {
				tp.grad(g).Data[o] += T(s)
			}
			if v.requiresGrad {
				sc := float64(g.Value.Data[o]) / nrm
				a, b := T(sc), T(sc*s/nrm)
				dv := tp.grad(v).Data[o*k : (o+1)*k]
				for i := range dv {
					dv[i] += a*dr[i] - b*row[i]
				}
			}
		}
	})
	return out
}
