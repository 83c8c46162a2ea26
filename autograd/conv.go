package autograd

import (
	"fmt"

	"github.com/descent-ml/descent/tensor"
)

// Conv2DOptions are the hyper-parameters of a 2-D convolution, as in
// torch.nn.functional.conv2d. Pairs are (height, width).
type Conv2DOptions struct {
	// Stride is the step between output positions; zero entries mean 1.
	Stride [2]int
	// Padding is the number of zeros added on both sides of each spatial
	// dimension.
	Padding [2]int
	// Dilation is the spacing between kernel taps; zero entries mean 1.
	Dilation [2]int
	// Groups splits the input and output channels into that many groups,
	// each convolved with its own filters; zero means 1.
	Groups int
}

// withDefaults returns o with the zero entries that mean 1 set to 1.
func (o Conv2DOptions) withDefaults() Conv2DOptions {
	for i := range 2 {
		if o.Stride[i] == 0 {
			o.Stride[i] = 1
		}
		if o.Dilation[i] == 0 {
			o.Dilation[i] = 1
		}
	}
	if o.Groups == 0 {
		o.Groups = 1
	}
	return o
}

// ConvOutputSize is the output length of a convolution or pooling window of
// size kernel along an input dimension of the given size:
// ⌊(size + 2·padding − dilation·(kernel−1) − 1) / stride⌋ + 1. It is zero or
// negative when the kernel does not fit in the padded input.
func ConvOutputSize(size, kernel, stride, padding, dilation int) int {
	span := dilation*(kernel-1) + 1
	if size+2*padding < span {
		return 0
	}
	return (size+2*padding-span)/stride + 1
}

// convGeom is the geometry of one convolution (or pooling) call.
type convGeom struct {
	n, c, h, w int // input batch, channels, height, width
	o, kh, kw  int // output channels, kernel height and width
	sh, sw     int // strides
	ph, pw     int // paddings
	dh, dw     int // dilations
	groups     int
	oh, ow     int // output height and width
}

// checkConv validates the shapes of a convolution and returns its geometry,
// panicking with a message that names op and the shapes.
func checkConv[T Float](op string, x, w, b *Var[T], opts Conv2DOptions) convGeom {
	o := opts.withDefaults()
	xs, ws := x.Value.Shape, w.Value.Shape
	if len(xs) != 4 {
		panic(fmt.Sprintf("%s: input shape %v, want batch×channels×height×width (weight shape %v)", op, xs, ws))
	}
	if len(ws) != 4 {
		panic(fmt.Sprintf("%s: weight shape %v, want out×in/groups×kh×kw", op, ws))
	}
	for i := range 2 {
		if o.Stride[i] < 1 || o.Dilation[i] < 1 || o.Padding[i] < 0 {
			panic(fmt.Sprintf("%s: stride %v, padding %v, dilation %v: want stride, dilation ≥ 1 and padding ≥ 0", op, o.Stride, o.Padding, o.Dilation))
		}
	}
	g := convGeom{
		n: xs[0], c: xs[1], h: xs[2], w: xs[3],
		o: ws[0], kh: ws[2], kw: ws[3],
		sh: o.Stride[0], sw: o.Stride[1],
		ph: o.Padding[0], pw: o.Padding[1],
		dh: o.Dilation[0], dw: o.Dilation[1],
		groups: o.Groups,
	}
	if g.groups < 1 || g.c%g.groups != 0 || g.o%g.groups != 0 {
		panic(fmt.Sprintf("%s: groups %d must divide the input channels %d and the output channels %d (input shape %v, weight shape %v)", op, g.groups, g.c, g.o, xs, ws))
	}
	if ws[1]*g.groups != g.c {
		panic(fmt.Sprintf("%s: input shape %v has %d channels, weight shape %v expects %d (%d per group × %d groups)", op, xs, g.c, ws, ws[1]*g.groups, ws[1], g.groups))
	}
	if g.kh < 1 || g.kw < 1 {
		panic(fmt.Sprintf("%s: empty kernel in weight shape %v", op, ws))
	}
	g.oh = ConvOutputSize(g.h, g.kh, g.sh, g.ph, g.dh)
	g.ow = ConvOutputSize(g.w, g.kw, g.sw, g.pw, g.dw)
	if g.oh < 1 || g.ow < 1 {
		panic(fmt.Sprintf("%s: kernel %d×%d (dilation %v, spanning %d×%d) is larger than the padded input %d×%d (input shape %v, padding %v, weight shape %v)",
			op, g.kh, g.kw, o.Dilation, g.dh*(g.kh-1)+1, g.dw*(g.kw-1)+1, g.h+2*g.ph, g.w+2*g.pw, xs, o.Padding, ws))
	}
	if b != nil && (b.Value.Len() != g.o) {
		panic(fmt.Sprintf("%s: bias shape %v for weight shape %v (want %d entries)", op, b.Value.Shape, ws, g.o))
	}
	return g
}

// colBudget is the most elements the im2col matrix of one chunk of the batch
// may hold; larger batches are processed chunk by chunk (and, in backward,
// the columns are recomputed) so that evaluation on big batches does not
// need gigabytes of scratch memory.
const colBudget = 1 << 23

// Conv2D returns the 2-D cross-correlation of x (batch×C×H×W) with the
// filters w (O×C/groups×kh×kw, torch.nn.Conv2d's layout) plus the bias b (O
// entries; b may be nil):
//
//	y[n,o,i,j] = b[o] + Σ_{c,p,q} w[o,c,p,q] · x[n, g·C/groups + c, i·s_h − pad_h + p·d_h, j·s_w − pad_w + q·d_w],
//
// with zeros outside the input and g the group of o. It lowers the
// convolution to one matrix product per group over the whole batch (im2col):
// the columns matrix has one row per (channel, kernel tap) and one column per
// output position, and y = W·cols. Backward uses the same columns:
// dW = dY·colsᵀ, dcols = Wᵀ·dY, and dx is dcols scattered back (col2im).
//
// It panics, naming the shapes, if x is not 4-D, the channels do not match,
// groups does not divide the channels, or the kernel is larger than the
// padded input.
func (tp *Tape[T]) Conv2D(x, w, b *Var[T], opts Conv2DOptions) *Var[T] {
	g := checkConv("autograd.Conv2D", x, w, b, opts)
	out := tp.newVar([]int{g.n, g.o, g.oh, g.ow}, x, w, b)
	L := g.oh * g.ow
	ckk := g.c * g.kh * g.kw
	chunk := g.chunk()
	var keep []T // the columns of the whole batch, kept for backward when it is one chunk
	var bias []T
	if b != nil {
		bias = b.Value.Data
	}
	for n0 := 0; n0 < g.n; n0 += chunk {
		nb := min(chunk, g.n-n0)
		cols := tp.scratch(ckk, nb*L).Data
		tp.im2col(cols, x.Value.Data, g, n0, nb)
		outT := tp.scratch(g.o, nb*L).Data
		convGemmForward(outT, w.Value.Data, cols, g, nb*L)
		tp.scatterOut(out.Value.Data, outT, bias, g, n0, nb)
		if nb == g.n {
			keep = cols
		}
	}
	if n := tp.record(opConv2D, out, x, w, b); n != nil {
		n.geom, n.saved[0] = g, keep
	}
	return out
}

// chunk is the number of samples whose im2col matrix Conv2D builds at once.
func (g convGeom) chunk() int {
	return max(1, min(g.n, colBudget/max(1, g.c*g.kh*g.kw*g.oh*g.ow)))
}

// conv2DBackward: db += the sums of dY over the batch and positions,
// dW += dY·colsᵀ and dx += col2im(Wᵀ·dY), chunk by chunk as in the forward
// pass (the columns recomputed unless kept).
func (tp *Tape[T]) conv2DBackward(n *node[T]) {
	x, w, b, g := n.a, n.b, n.c, n.geom
	dy := n.out.Grad.Data
	L := g.oh * g.ow
	if b != nil && b.requiresGrad {
		db := tp.grad(b).Data
		for s := 0; s < g.n; s++ {
			for o := 0; o < g.o; o++ {
				db[o] += sum(dy[(s*g.o+o)*L : (s*g.o+o+1)*L])
			}
		}
	}
	if !x.requiresGrad && !w.requiresGrad {
		return
	}
	ckk := g.c * g.kh * g.kw
	chunk := g.chunk()
	for n0 := 0; n0 < g.n; n0 += chunk {
		nb := min(chunk, g.n-n0)
		cols := n.saved[0]
		if cols == nil {
			cols = tp.scratch(ckk, nb*L).Data
			tp.im2col(cols, x.Value.Data, g, n0, nb)
		}
		dyT := tp.scratch(g.o, nb*L).Data
		tp.gatherGrad(dyT, dy, g, n0, nb)
		if w.requiresGrad {
			convGemmWeightGrad(tp.grad(w).Data, dyT, cols, g, nb*L)
		}
		if x.requiresGrad {
			dcols := tp.scratch(ckk, nb*L).Data
			convGemmColGrad(dcols, w.Value.Data, dyT, g, nb*L)
			tp.col2im(tp.grad(x).Data, dcols, g, n0, nb)
		}
	}
}

// convGemmForward computes outT = W_g·cols_g for every group g, outT being
// O × cols columns.
func convGemmForward[T Float](outT, w, cols []T, g convGeom, ncols int) {
	og, kg := g.o/g.groups, g.c/g.groups*g.kh*g.kw
	for gr := 0; gr < g.groups; gr++ {
		tensor.Gemm(false, false, og, ncols, kg, 1,
			w[gr*og*kg:], kg, cols[gr*kg*ncols:], ncols, 0, outT[gr*og*ncols:], ncols)
	}
}

// convGemmWeightGrad adds dY_g·cols_gᵀ to the weight gradient of each group.
func convGemmWeightGrad[T Float](dw, dyT, cols []T, g convGeom, ncols int) {
	og, kg := g.o/g.groups, g.c/g.groups*g.kh*g.kw
	for gr := 0; gr < g.groups; gr++ {
		tensor.Gemm(false, true, og, kg, ncols, 1,
			dyT[gr*og*ncols:], ncols, cols[gr*kg*ncols:], ncols, 1, dw[gr*og*kg:], kg)
	}
}

// convGemmColGrad sets dcols_g = W_gᵀ·dY_g for each group.
func convGemmColGrad[T Float](dcols, w, dyT []T, g convGeom, ncols int) {
	og, kg := g.o/g.groups, g.c/g.groups*g.kh*g.kw
	for gr := 0; gr < g.groups; gr++ {
		tensor.Gemm(true, false, kg, ncols, og, 1,
			w[gr*og*kg:], kg, dyT[gr*og*ncols:], ncols, 0, dcols[gr*kg*ncols:], ncols)
	}
}

// im2col fills cols (C·kh·kw rows × nb·OH·OW columns) for the samples
// n0 … n0+nb−1 of x: row (c, p, q), column (n, i, j) holds
// x[n, c, i·s_h − pad_h + p·d_h, j·s_w − pad_w + q·d_w], or 0 outside x.
func (tp *Tape[T]) im2col(cols, x []T, g convGeom, n0, nb int) {
	l := &tp.loops.im2col
	*l = im2colLoop[T]{cols: cols, x: x, g: g, n0: n0, nb: nb}
	tp.parallel(g.c*g.kh*g.kw, max(1, (1<<14)/max(1, nb*g.oh*g.ow)), l)
}

// im2colLoop is im2col's loop over the rows of cols.
type im2colLoop[T Float] struct {
	cols, x []T
	g       convGeom
	n0, nb  int
}

func (l *im2colLoop[T]) run(lo, hi int) {
	g, cols, x, n0, nb := l.g, l.cols, l.x, l.n0, l.nb
	L := g.oh * g.ow
	ncols := nb * L
	for r := lo; r < hi; r++ {
		c, p, q := r/(g.kh*g.kw), r/g.kw%g.kh, r%g.kw
		// Output columns j whose input column j·sw − pw + q·dw lies in
		// [0, w): jlo ≤ j < jhi.
		off := q*g.dw - g.pw
		jlo := 0
		if off < 0 {
			jlo = (-off + g.sw - 1) / g.sw
		}
		jhi := 0
		if g.w-off > 0 {
			jhi = min(g.ow, (g.w-off-1)/g.sw+1)
		}
		jlo = min(jlo, jhi)
		for n := 0; n < nb; n++ {
			plane := x[((n0+n)*g.c+c)*g.h*g.w:][:g.h*g.w]
			dst := cols[r*ncols+n*L:][:L]
			for i := 0; i < g.oh; i++ {
				d := dst[i*g.ow : (i+1)*g.ow]
				ih := i*g.sh - g.ph + p*g.dh
				if ih < 0 || ih >= g.h {
					clear(d)
					continue
				}
				src := plane[ih*g.w : (ih+1)*g.w]
				clear(d[:jlo])
				if g.sw == 1 && jlo < jhi {
					// Rows are a few dozen values: a loop beats copy's call.
					s := src[jlo+off : jhi+off]
					dd := d[jlo:][:len(s)]
					for j, v := range s {
						dd[j] = v
					}
				} else {
					iw := jlo*g.sw + off
					for j := jlo; j < jhi; j++ {
						d[j] = src[iw]
						iw += g.sw
					}
				}
				clear(d[jhi:])
			}
		}
	}
}

// col2im adds the column gradients dcols back into dx, the inverse scatter
// of im2col. It runs in parallel over channels, whose rows of dcols no two
// channels share, and reads each row from start to end: for a channel the
// kh·kw rows are added, sample by sample, into that channel's planes, which
// (nb planes of h·w) stay in cache while the rows stream from memory.
func (tp *Tape[T]) col2im(dx, dcols []T, g convGeom, n0, nb int) {
	l := &tp.loops.col2im
	*l = col2imLoop[T]{dx: dx, dcols: dcols, g: g, n0: n0, nb: nb}
	tp.parallel(g.c, max(1, (1<<14)/max(1, nb*g.kh*g.kw*g.oh*g.ow)), l)
}

// col2imLoop is col2im's loop over channels.
type col2imLoop[T Float] struct {
	dx, dcols []T
	g         convGeom
	n0, nb    int
}

func (l *col2imLoop[T]) run(lo, hi int) {
	g, dx, dcols, n0, nb := l.g, l.dx, l.dcols, l.n0, l.nb
	L := g.oh * g.ow
	ncols := nb * L
	kk := g.kh * g.kw
	for c := lo; c < hi; c++ {
		for pq := 0; pq < kk; pq++ {
			p, q := pq/g.kw, pq%g.kw
			r := c*kk + pq
			off := q*g.dw - g.pw
			jlo := 0
			if off < 0 {
				jlo = (-off + g.sw - 1) / g.sw
			}
			jhi := 0
			if g.w-off > 0 {
				jhi = min(g.ow, (g.w-off-1)/g.sw+1)
			}
			if jlo >= jhi {
				continue
			}
			for n := 0; n < nb; n++ {
				plane := dx[((n0+n)*g.c+c)*g.h*g.w:][:g.h*g.w]
				src := dcols[r*ncols+n*L:][:L]
				for i := 0; i < g.oh; i++ {
					ih := i*g.sh - g.ph + p*g.dh
					if ih < 0 || ih >= g.h {
						continue
					}
					s := src[i*g.ow+jlo : i*g.ow+jhi]
					if g.sw == 1 {
						row := plane[ih*g.w+jlo+off:][:len(s)]
						for j, v := range s {
							row[j] += v
						}
						continue
					}
					row := plane[ih*g.w : (ih+1)*g.w]
					iw := jlo*g.sw + off
					for _, v := range s {
						row[iw] += v
						iw += g.sw
					}
				}
			}
		}
	}
}

// scatterOut writes outT (O × nb·L) into the NCHW output for samples
// n0 … n0+nb−1, adding the bias (none if nil).
func (tp *Tape[T]) scatterOut(out, outT, bias []T, g convGeom, n0, nb int) {
	l := &tp.loops.scatter
	*l = scatterOutLoop[T]{out: out, outT: outT, bias: bias, g: g, n0: n0, nb: nb}
	tp.parallel(nb*g.o, max(1, (1<<15)/(g.oh*g.ow)), l)
}

// scatterOutLoop is scatterOut's loop over (sample, output channel) planes.
type scatterOutLoop[T Float] struct {
	out, outT, bias []T
	g               convGeom
	n0, nb          int
}

func (l *scatterOutLoop[T]) run(lo, hi int) {
	g := l.g
	L := g.oh * g.ow
	ncols := l.nb * L
	for u := lo; u < hi; u++ {
		n, o := u/g.o, u%g.o
		dst := l.out[((l.n0+n)*g.o+o)*L:][:L]
		src := l.outT[o*ncols+n*L:][:L]
		if l.bias == nil {
			copy(dst, src)
			continue
		}
		bv := l.bias[o]
		for i, v := range src {
			dst[i] = v + bv
		}
	}
}

// gatherGrad copies the NCHW output gradient of samples n0 … n0+nb−1 into
// dyT (O × nb·L), the layout of the forward matrix product.
func (tp *Tape[T]) gatherGrad(dyT, dy []T, g convGeom, n0, nb int) {
	l := &tp.loops.gather
	*l = gatherGradLoop[T]{dyT: dyT, dy: dy, g: g, n0: n0, nb: nb}
	tp.parallel(nb*g.o, max(1, (1<<15)/(g.oh*g.ow)), l)
}

// gatherGradLoop is gatherGrad's loop over (sample, output channel) planes.
type gatherGradLoop[T Float] struct {
	dyT, dy []T
	g       convGeom
	n0, nb  int
}

func (l *gatherGradLoop[T]) run(lo, hi int) {
	g := l.g
	L := g.oh * g.ow
	ncols := l.nb * L
	for u := lo; u < hi; u++ {
		n, o := u/g.o, u%g.o
		copy(l.dyT[o*ncols+n*L:][:L], l.dy[((l.n0+n)*g.o+o)*L:][:L])
	}
}
