package tensor

import (
	"fmt"
	"unsafe"
)

// ConvShape is the geometry of a 2-D convolution (cross-correlation, as in
// torch.nn.functional.conv2d) of a batch of images in NCHW layout with
// filters in torch.nn.Conv2d's layout, Out×(Channels/Groups)×KernelH×KernelW.
// Strides and dilations must be at least 1, paddings at least 0, and Groups
// at least 1, dividing Channels and Out.
type ConvShape struct {
	Batch, Channels, Height, Width int // the input
	Out, KernelH, KernelW          int // the filters
	StrideH, StrideW               int
	PadH, PadW                     int
	DilationH, DilationW           int
	Groups                         int
}

// OutputSize returns the height and width of the output:
// ⌊(size + 2·pad − dilation·(kernel−1) − 1)/stride⌋ + 1 in each dimension.
func (s ConvShape) OutputSize() (oh, ow int) {
	return (s.Height+2*s.PadH-s.DilationH*(s.KernelH-1)-1)/s.StrideH + 1,
		(s.Width+2*s.PadW-s.DilationW*(s.KernelW-1)-1)/s.StrideW + 1
}

// check panics, naming the geometry, unless s is valid and the slices
// are long enough for it; a negative length is not checked.
func (s ConvShape) check(op string, lx, lw, ly, lb, ldcols int) {
	oh, ow := s.OutputSize()
	if s.Batch < 0 || s.Channels < 1 || s.Height < 1 || s.Width < 1 || s.Out < 1 || s.KernelH < 1 || s.KernelW < 1 ||
		s.StrideH < 1 || s.StrideW < 1 || s.DilationH < 1 || s.DilationW < 1 || s.PadH < 0 || s.PadW < 0 ||
		s.Groups < 1 || s.Channels%s.Groups != 0 || s.Out%s.Groups != 0 ||
		s.Height+2*s.PadH < s.DilationH*(s.KernelH-1)+1 || s.Width+2*s.PadW < s.DilationW*(s.KernelW-1)+1 {
		panic(fmt.Sprintf("tensor.%s: invalid convolution %+v", op, s))
	}
	for _, c := range [...]struct {
		name       string
		have, want int
	}{
		{"x", lx, s.Batch * s.Channels * s.Height * s.Width},
		{"w", lw, s.Out * s.Channels / s.Groups * s.KernelH * s.KernelW},
		{"y", ly, s.Batch * s.Out * oh * ow},
		{"b", lb, s.Out},
		{"dcols", ldcols, s.Channels * s.KernelH * s.KernelW * s.Batch * oh * ow},
	} {
		if c.have >= 0 && c.have < c.want {
			panic(fmt.Sprintf("tensor.%s: len(%s) = %d, want %d for %+v", op, c.name, c.have, c.want, s))
		}
	}
}

// convPatches returns the im2col matrix of group gr of the convolution as a
// Gemm operand read from the images x (transposed when trans).
func convPatches[T gemmElem](s ConvShape, x []T, gr int, trans bool) gemmSource[T] {
	oh, ow := s.OutputSize()
	kind := gemmPatches
	if trans {
		kind = gemmPatchesT
	}
	return gemmSource[T]{kind: kind, data: x, conv: s, c0: gr * s.Channels / s.Groups,
		oh: oh, ow: ow, taps: s.KernelH * s.KernelW, chanHW: s.Height * s.Width}
}

// Conv2D sets y (Batch×Out×OH×OW) to the convolution of the images x
// (Batch×Channels×Height×Width) with the filters w plus the bias b (Out
// values, or nil for none):
//
//	y[n,o,i,j] = b[o] + Σ_{c,p,q} w[o,c,p,q] · x[n, g·C/G + c, i·s_h − pad_h + p·d_h, j·s_w − pad_w + q·d_w]
//
// with zeros outside x and g the group of o. It is a matrix product per
// group, W·cols, whose im2col matrix cols (one row per channel and kernel
// tap, one column per output position) is never stored: Gemm's packing
// reads its blocks from x, and the product is stored straight into y's
// NCHW layout. It runs on all cores and allocates nothing once warm. It
// panics, naming the geometry, if the shape is invalid or a slice too short.
func Conv2D[T Float](s ConvShape, y, x, w, b []T) {
	lb := -1
	if b != nil {
		lb = len(b)
	}
	s.check("Conv2D", len(x), len(w), len(y), lb, -1)
	switch unsafe.Sizeof(T(0)) {
	case 4:
		conv2D(gemmDefault.f32, s, gemmView[float32](y), gemmView[float32](x), gemmView[float32](w), gemmView[float32](b))
	default:
		conv2D(gemmDefault.f64, s, gemmView[float64](y), gemmView[float64](x), gemmView[float64](w), gemmView[float64](b))
	}
}

func conv2D[T gemmElem](kern *gemmKernel[T], s ConvShape, y, x, w, b []T) {
	oh, ow := s.OutputSize()
	l := oh * ow
	og, kg := s.Out/s.Groups, s.Channels/s.Groups*s.KernelH*s.KernelW
	if s.Batch == 0 {
		return
	}
	for gr := 0; gr < s.Groups; gr++ {
		g := gemmProblem[T]{
			kern: kern, m: og, n: s.Batch * l, k: kg, alpha: 1,
			a: w[gr*og*kg:], lda: kg,
			srcB: convPatches(s, x, gr, false),
			c:    y[gr*og*l:], ldc: l, cBatch: l, cStride: s.Out * l,
		}
		if b != nil {
			// The bias is one more step of the product: a column of W
			// times a row of ones.
			g.k++
			g.srcA = gemmSource[T]{kind: gemmAppended, data: w[gr*og*kg:], ld: kg, extra: b[gr*og:]}
			g.srcB.ones = kg
		}
		g.solve()
	}
}

// Conv2DWeightGrad adds to dw (the filters' shape) the gradient of a loss
// with respect to the filters of Conv2D, and to db (Out values; nil for
// none) the gradient with respect to the bias, given the loss's gradient dy
// with respect to the output (Batch×Out×OH×OW) and the input x: for each
// group, dW += dY·colsᵀ, with dY read in place from its NCHW layout and
// cols read from x as in Conv2D, and db += dY·1, one more column of the same
// product.
func Conv2DWeightGrad[T Float](s ConvShape, dw, db, x, dy []T) {
	lb := -1
	if db != nil {
		lb = len(db)
	}
	s.check("Conv2DWeightGrad", len(x), len(dw), len(dy), lb, -1)
	if s.Batch == 0 {
		return
	}
	switch unsafe.Sizeof(T(0)) {
	case 4:
		conv2DWeightGrad(gemmDefault.f32, s, gemmView[float32](dw), gemmView[float32](db), gemmView[float32](x), gemmView[float32](dy))
	default:
		conv2DWeightGrad(gemmDefault.f64, s, gemmView[float64](dw), gemmView[float64](db), gemmView[float64](x), gemmView[float64](dy))
	}
}

func conv2DWeightGrad[T gemmElem](kern *gemmKernel[T], s ConvShape, dw, db, x, dy []T) {
	if conv2DWeightGradDirect(kern, s, dw, db, x, dy) {
		return
	}
	oh, ow := s.OutputSize()
	l := oh * ow
	og, kg := s.Out/s.Groups, s.Channels/s.Groups*s.KernelH*s.KernelW
	for gr := 0; gr < s.Groups; gr++ {
		g := gemmProblem[T]{
			kern: kern, m: og, n: kg, k: s.Batch * l, alpha: 1, beta: 1,
			srcA: gemmSource[T]{kind: gemmBatched, data: dy[gr*og*l:], ld: l, batch: l, stride: s.Out * l},
			srcB: convPatches(s, x, gr, true),
			c:    dw[gr*og*kg:], ldc: kg,
		}
		if db != nil {
			g.n++
			g.srcB.ones = kg
			g.cExtra = db[gr*og:]
		}
		g.solve()
	}
}

// Conv2DBackward adds to dx, dw and db the gradients of a loss with
// respect to the input, the filters and the bias of Conv2D (any of them
// nil when not wanted), given the loss's gradient dy with respect to the
// output: Conv2DInputGrad, Conv2DWeightGrad and the bias gradient Σ dY
// together. When few of dy's values are nonzero (a convolution followed by
// a ReLU and a max-pooling, in training), it works from the list of
// nonzeros, on all cores, instead of the products; the results agree up to
// float32 rounding. It panics, naming the geometry, if the shape is invalid
// or a slice too short.
func Conv2DBackward[T Float](s ConvShape, dx, dw, db, x, w, dy []T) {
	lx, ldx, ldw, lb := len(x), -1, len(w), -1
	if dx != nil {
		ldx = len(dx)
	}
	if dw != nil {
		ldw = min(ldw, len(dw))
	}
	if db != nil {
		lb = len(db)
	}
	s.check("Conv2DBackward", lx, ldw, len(dy), lb, -1)
	s.check("Conv2DBackward", ldx, -1, -1, -1, -1)
	if s.Batch == 0 {
		return
	}
	switch unsafe.Sizeof(T(0)) {
	case 4:
		conv2DBackward(gemmDefault.f32, s, gemmView[float32](dx), gemmView[float32](dw), gemmView[float32](db), gemmView[float32](x), gemmView[float32](w), gemmView[float32](dy))
	default:
		conv2DBackward(gemmDefault.f64, s, gemmView[float64](dx), gemmView[float64](dw), gemmView[float64](db), gemmView[float64](x), gemmView[float64](w), gemmView[float64](dy))
	}
}

func conv2DBackward[T gemmElem](kern *gemmKernel[T], s ConvShape, dx, dw, db, x, w, dy []T) {
	if conv2DBackwardSparse(kern, s, dx, dw, db, x, w, dy) {
		return
	}
	switch {
	case dw != nil:
		conv2DWeightGrad(kern, s, dw, db, x, dy)
	case db != nil:
		conv2DBiasGrad(s, db, dy)
	}
	if dx != nil {
		conv2DInputGrad(kern, s, dx, w, dy)
	}
}

// conv2DBiasGrad adds Σ dY over the batch and the positions to each
// output channel's db (the bias gradient when the filters need none).
func conv2DBiasGrad[T gemmElem](s ConvShape, db, dy []T) {
	oh, ow := s.OutputSize()
	l := oh * ow
	for o := 0; o < s.Out; o++ {
		var sum T
		for n := 0; n < s.Batch; n++ {
			for _, v := range dy[(n*s.Out+o)*l:][:l] {
				sum += v
			}
		}
		db[o] += sum
	}
}

// Conv2DColumnGrad sets dcols, the im2col layout of Conv2D (Channels·KH·KW
// rows, one per channel and kernel tap, of Batch·OH·OW columns, one per
// image and output position), to the gradient with respect to the im2col
// matrix: for each group, dcols = Wᵀ·dY, with dY read in place from its
// NCHW layout. Scattering dcols back onto the input positions (col2im)
// gives the input gradient.
func Conv2DColumnGrad[T Float](s ConvShape, dcols, w, dy []T) {
	s.check("Conv2DColumnGrad", -1, len(w), len(dy), -1, len(dcols))
	if s.Batch == 0 {
		return
	}
	switch unsafe.Sizeof(T(0)) {
	case 4:
		conv2DColumnGrad(gemmDefault.f32, s, gemmView[float32](dcols), gemmView[float32](w), gemmView[float32](dy))
	default:
		conv2DColumnGrad(gemmDefault.f64, s, gemmView[float64](dcols), gemmView[float64](w), gemmView[float64](dy))
	}
}

func conv2DColumnGrad[T gemmElem](kern *gemmKernel[T], s ConvShape, dcols, w, dy []T) {
	oh, ow := s.OutputSize()
	l := oh * ow
	og, kg := s.Out/s.Groups, s.Channels/s.Groups*s.KernelH*s.KernelW
	ncols := s.Batch * l
	for gr := 0; gr < s.Groups; gr++ {
		g := gemmProblem[T]{
			kern: kern, m: kg, n: ncols, k: og, alpha: 1, beta: 0,
			a: w[gr*og*kg:], lda: kg, transA: true,
			srcB: gemmSource[T]{kind: gemmBatched, data: dy[gr*og*l:], ld: l, batch: l, stride: s.Out * l},
			c:    dcols[gr*kg*ncols:], ldc: ncols,
		}
		g.solve()
	}
}

// fill sets every element of x to v.
func fill[T gemmElem](x []T, v T) {
	for i := range x {
		x[i] = v
	}
}
