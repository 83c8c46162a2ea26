package autograd

import (
	"fmt"
	"math"

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
	out := tp.newVar(xs, x, gamma, beta)
	xhat := tp.scratch(xs...).Data
	// Per channel: 1/√(σ²+ε), r and d.
	st := tp.scratch(3, c).Data
	l := &tp.loops.batchNorm
	*l = batchNormLoop[T]{x: x.Value.Data, y: out.Value.Data, xhat: xhat, stats: st, n: n, c: c, s: s, opts: opts}
	if gamma != nil {
		l.gamma = gamma.Value.Data
	}
	if beta != nil {
		l.beta = beta.Value.Data
	}
	tp.parallel(c, max(1, (1<<14)/max(1, m)), l)
	if nd := tp.record(opBatchNorm, out, x, gamma, beta); nd != nil {
		nd.saved, nd.training = [2][]T{xhat, st}, opts.Training
	}
	return out
}

// batchNormLoop is BatchNorm's loop over the channels of x (n × c × s
// values): it computes each channel's statistics, normalizes x into xhat
// and stores y. stats receives 1/√(σ²+ε), r and d per channel, one row
// each.
type batchNormLoop[T Float] struct {
	x, y, xhat, stats []T
	gamma, beta       []T // nil for γ = 1, β = 0
	n, c, s           int
	opts              BatchNormOptions[T]
}

func (l *batchNormLoop[T]) run(lo, hi int) {
	opts, n, c, s := &l.opts, l.n, l.c, l.s
	m := n * s
	xv, y, xhat := l.x, l.y, l.xhat
	invstd, rr, dd := l.stats[:c], l.stats[c:2*c], l.stats[2*c:]
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
		if l.gamma != nil {
			g = float64(l.gamma[ch])
		}
		if l.beta != nil {
			b = float64(l.beta[ch])
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
}

// batchNormBackward computes, per channel, dβ += Σdy, dγ += r·Σdy·x̂ + d·Σdy
// and dx, in parallel over the channels.
func (tp *Tape[T]) batchNormBackward(nd *node[T]) {
	x, gamma, beta := nd.a, nd.b, nd.c
	xs := x.Value.Shape
	l := &tp.loops.bnBack
	*l = batchNormBackLoop[T]{dy: nd.out.Grad.Data, xhat: nd.saved[0], stats: nd.saved[1], n: xs[0], c: xs[1], training: nd.training}
	l.s = x.Value.Len() / max(1, l.n*l.c)
	if x.requiresGrad {
		l.dx = tp.grad(x).Data
	}
	if gamma != nil {
		l.gamma = gamma.Value.Data
		if gamma.requiresGrad {
			l.dg = tp.grad(gamma).Data
		}
	}
	if beta != nil && beta.requiresGrad {
		l.db = tp.grad(beta).Data
	}
	tp.parallel(l.c, max(1, (1<<14)/max(1, l.n*l.s)), l)
}

// batchNormBackLoop is batchNormBackward's loop over the channels. dx, dg
// and db are nil where no gradient is wanted.
type batchNormBackLoop[T Float] struct {
	dy, xhat, stats []T
	dx, dg, db      []T
	gamma           []T // nil for γ = 1
	n, c, s         int
	training        bool
}

func (l *batchNormBackLoop[T]) run(lo, hi int) {
	n, c, s := l.n, l.c, l.s
	m := n * s
	dy, xhat, dx := l.dy, l.xhat, l.dx
	invstd, rr, dd := l.stats[:c], l.stats[c:2*c], l.stats[2*c:]
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
		if l.db != nil {
			l.db[ch] += T(sdy)
		}
		if l.dg != nil {
			l.dg[ch] += T(r*sdyx + d*sdy)
		}
		if dx == nil {
			continue
		}
		g := 1.0
		if l.gamma != nil {
			g = float64(l.gamma[ch])
		}
		k := T(g * r * float64(invstd[ch]))
		if !l.training {
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
	out := tp.newVar(xs, x, gamma, beta)
	xhat := tp.scratch(xs...).Data
	invstd := tp.scratch(lay.rows).Data
	l := &tp.loops.normRows
	*l = normRowsLoop[T]{x: x.Value.Data, y: out.Value.Data, xhat: xhat, invstd: invstd, affine: newAffine(gamma, beta, lay), eps: eps}
	tp.parallel(lay.rows, max(1, (1<<14)/lay.m), l)
	if n := tp.record(opNormRows, out, x, gamma, beta); n != nil {
		n.rows, n.saved = lay, [2][]T{xhat, invstd}
	}
	return out
}

// affine holds the affine parameters of normRows and their layout.
type affine[T Float] struct {
	gamma, beta []T // nil for γ = 1, β = 0
	rowLayout
}

func newAffine[T Float](gamma, beta *Var[T], lay rowLayout) affine[T] {
	a := affine[T]{rowLayout: lay}
	if gamma != nil {
		a.gamma = gamma.Value.Data
	}
	if beta != nil {
		a.beta = beta.Value.Data
	}
	return a
}

// at returns γ and β for block b of row r.
func (a *affine[T]) at(r, b int) (g, bb T) {
	g, bb = 1, 0
	i := (r%a.p)*a.q + b
	if a.gamma != nil {
		g = a.gamma[i]
	}
	if a.beta != nil {
		bb = a.beta[i]
	}
	return g, bb
}

// normRowsLoop is normRows's loop over the rows of x: it normalizes each
// row into xhat, stores 1/√(σ²+ε) in invstd and the affine map in y.
type normRowsLoop[T Float] struct {
	x, y, xhat, invstd []T
	affine[T]
	eps float64
}

func (l *normRowsLoop[T]) run(lo, hi int) {
	m := l.m
	blocks := m / l.s
	for r := lo; r < hi; r++ {
		row := l.x[r*m : (r+1)*m]
		var mean, vr float64
		for _, v := range row {
			mean += float64(v)
		}
		mean /= float64(m)
		for _, v := range row {
			d := float64(v) - mean
			vr += d * d
		}
		vr /= float64(m)
		is := T(1 / math.Sqrt(vr+l.eps))
		l.invstd[r] = is
		mu := T(mean)
		h, yr := l.xhat[r*m:(r+1)*m], l.y[r*m:(r+1)*m]
		for b := 0; b < blocks; b++ {
			g, bb := l.at(r, b)
			for k := b * l.s; k < (b+1)*l.s; k++ {
				h[k] = (row[k] - mu) * is
				yr[k] = g*h[k] + bb
			}
		}
	}
}

// normRowsBackward computes dx row by row, in parallel, then dγ and dβ.
func (tp *Tape[T]) normRowsBackward(n *node[T]) {
	x, gamma, beta, lay := n.a, n.b, n.c, n.rows
	dy, xhat := n.out.Grad.Data, n.saved[0]
	if x.requiresGrad {
		l := &tp.loops.normBack
		*l = normRowsBackLoop[T]{dx: tp.grad(x).Data, dy: dy, xhat: xhat, invstd: n.saved[1], affine: newAffine(gamma, nil, lay)}
		tp.parallel(lay.rows, max(1, (1<<14)/lay.m), l)
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
	blocks := lay.m / lay.s
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
}

// normRowsBackLoop is normRowsBackward's loop over the rows: with
// ĝ = γ ⊙ dy, dx += 1/σ · (ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)) per row.
type normRowsBackLoop[T Float] struct {
	dx, dy, xhat, invstd []T
	affine[T]
}

func (l *normRowsBackLoop[T]) run(lo, hi int) {
	m := l.m
	blocks := m / l.s
	for r := lo; r < hi; r++ {
		gr, h, dr := l.dy[r*m:(r+1)*m], l.xhat[r*m:(r+1)*m], l.dx[r*m:(r+1)*m]
		var a, bsum float64
		for b := 0; b < blocks; b++ {
			g, _ := l.at(r, b)
			for k := b * l.s; k < (b+1)*l.s; k++ {
				v := float64(g) * float64(gr[k])
				a += v
				bsum += v * float64(h[k])
			}
		}
		ma, mb := T(a/float64(m)), T(bsum/float64(m))
		is := l.invstd[r]
		for b := 0; b < blocks; b++ {
			g, _ := l.at(r, b)
			for k := b * l.s; k < (b+1)*l.s; k++ {
				dr[k] += is * (g*gr[k] - ma - h[k]*mb)
			}
		}
	}
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
	norms := tp.scratch(rows).Data
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
	if n := tp.record(opWeightNorm, out, v, g); n != nil {
		n.saved[0] = norms
	}
	return out
}

// weightNormBackward: per slice, dg += dw·v̂ and
// dv += g/‖v‖ · (dw − (dw·v̂)·v̂).
func (tp *Tape[T]) weightNormBackward(n *node[T]) {
	v, g, norms := n.a, n.b, n.saved[0]
	rows := len(norms)
	k := v.Value.Len() / rows
	vv, dw := v.Value.Data, n.out.Grad.Data
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
}
