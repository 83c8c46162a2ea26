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

// Conv2D returns the 2-D cross-correlation of x (batch×C×H×W) with the
// filters w (O×C/groups×kh×kw, torch.nn.Conv2d's layout) plus the bias b (O
// entries; b may be nil):
//
//	y[n,o,i,j] = b[o] + Σ_{c,p,q} w[o,c,p,q] · x[n, g·C/groups + c, i·s_h − pad_h + p·d_h, j·s_w − pad_w + q·d_w],
//
// with zeros outside the input and g the group of o. It lowers the
// convolution to one matrix product per group over the whole batch,
// y = W·cols, whose im2col matrix cols (one row per channel and kernel tap,
// one column per output position) tensor.Conv2D reads from x as it packs,
// never storing it. Backward computes dW = dY·colsᵀ the same way, and dx by
// scattering the column gradient Wᵀ·dY back onto the input (col2im).
//
// It panics, naming the shapes, if x is not 4-D, the channels do not match,
// groups does not divide the channels, or the kernel is larger than the
// padded input.
func (tp *Tape[T]) Conv2D(x, w, b *Var[T], opts Conv2DOptions) *Var[T] {
	g := checkConv("autograd.Conv2D", x, w, b, opts)
	out := tp.newVar([]int{g.n, g.o, g.oh, g.ow}, x, w, b)
	var bias []T
	if b != nil {
		bias = b.Value.Data
	}
	tensor.Conv2D(g.shape(g.n), out.Value.Data, x.Value.Data, w.Value.Data, bias)
	if n := tp.record(opConv2D, out, x, w, b); n != nil {
		n.geom = g
	}
	return out
}

// shape returns the geometry as tensor's kernels take it, for a batch of n.
func (g convGeom) shape(n int) tensor.ConvShape {
	return tensor.ConvShape{
		Batch: n, Channels: g.c, Height: g.h, Width: g.w,
		Out: g.o, KernelH: g.kh, KernelW: g.kw,
		StrideH: g.sh, StrideW: g.sw, PadH: g.ph, PadW: g.pw,
		DilationH: g.dh, DilationW: g.dw, Groups: g.groups,
	}
}

// conv2DBackward: dW += dY·colsᵀ, db += the sums of dY over the batch and
// positions, and dx += col2im(Wᵀ·dY), for those of x, W and b that need a
// gradient (tensor.Conv2DBackward).
func (tp *Tape[T]) conv2DBackward(n *node[T]) {
	x, w, b, g := n.a, n.b, n.c, n.geom
	var dx, dw, db []T
	if b != nil && b.requiresGrad {
		db = tp.grad(b).Data
	}
	if w.requiresGrad {
		dw = tp.grad(w).Data
	}
	if x.requiresGrad {
		dx = tp.grad(x).Data
	}
	tensor.Conv2DBackward(g.shape(g.n), dx, dw, db, x.Value.Data, w.Value.Data, n.out.Grad.Data)
}
