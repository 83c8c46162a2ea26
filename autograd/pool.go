package autograd

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/internal/vec"
)

// PoolOptions are the hyper-parameters of 2-D max and average pooling, as
// in torch.nn.MaxPool2d and torch.nn.AvgPool2d (with ceil_mode off). Pairs
// are (height, width).
type PoolOptions struct {
	// Kernel is the window size.
	Kernel [2]int
	// Stride is the step between windows; zero entries mean the kernel
	// size (PyTorch's default).
	Stride [2]int
	// Padding is added on both sides of each spatial dimension: −∞ for max
	// pooling, zeros for average pooling. It must be at most half the
	// kernel size.
	Padding [2]int
	// Dilation is the spacing between window taps (max pooling only); zero
	// entries mean 1.
	Dilation [2]int
	// ExcludePad makes average pooling divide by the number of input
	// elements in the window instead of the full window size
	// (count_include_pad=False).
	ExcludePad bool
}

func (o PoolOptions) withDefaults() PoolOptions {
	for i := range 2 {
		if o.Stride[i] == 0 {
			o.Stride[i] = o.Kernel[i]
		}
		if o.Dilation[i] == 0 {
			o.Dilation[i] = 1
		}
	}
	return o
}

// checkPool validates a pooling call and returns its geometry.
func checkPool[T Float](op string, x *Var[T], opts PoolOptions) convGeom {
	o := opts.withDefaults()
	xs := x.Value.Shape
	if len(xs) != 4 {
		panic(fmt.Sprintf("%s: input shape %v, want batch×channels×height×width (kernel %v)", op, xs, o.Kernel))
	}
	for i := range 2 {
		if o.Kernel[i] < 1 || o.Stride[i] < 1 || o.Dilation[i] < 1 || o.Padding[i] < 0 {
			panic(fmt.Sprintf("%s: kernel %v, stride %v, padding %v, dilation %v: want kernel, stride, dilation ≥ 1 and padding ≥ 0", op, o.Kernel, o.Stride, o.Padding, o.Dilation))
		}
		if 2*o.Padding[i] > o.Kernel[i] {
			panic(fmt.Sprintf("%s: padding %v is more than half the kernel %v", op, o.Padding, o.Kernel))
		}
	}
	g := convGeom{
		n: xs[0], c: xs[1], h: xs[2], w: xs[3], o: xs[1],
		kh: o.Kernel[0], kw: o.Kernel[1],
		sh: o.Stride[0], sw: o.Stride[1],
		ph: o.Padding[0], pw: o.Padding[1],
		dh: o.Dilation[0], dw: o.Dilation[1],
		groups: xs[1],
	}
	g.oh = ConvOutputSize(g.h, g.kh, g.sh, g.ph, g.dh)
	g.ow = ConvOutputSize(g.w, g.kw, g.sw, g.pw, g.dw)
	if g.oh < 1 || g.ow < 1 {
		panic(fmt.Sprintf("%s: kernel %v (dilation %v) is larger than the padded input %d×%d (input shape %v, padding %v)",
			op, o.Kernel, o.Dilation, g.h+2*g.ph, g.w+2*g.pw, xs, o.Padding))
	}
	return g
}

// MaxPool2D returns the maxima of x (batch×C×H×W) over the windows of
// opts, one output plane per input plane:
//
//	y[n,c,i,j] = max_{p,q} x[n, c, i·s_h − pad_h + p·d_h, j·s_w − pad_w + q·d_w],
//
// padding counting as −∞. The gradient flows to the first maximum of each
// window (ties go to the earlier element in row-major order, as in
// PyTorch). The position of each maximum is recorded as a value of type T,
// which is exact for planes of up to 2²⁴ elements in float32.
func (tp *Tape[T]) MaxPool2D(x *Var[T], opts PoolOptions) *Var[T] {
	g := checkPool("autograd.MaxPool2D", x, opts)
	if g.h*g.w > 1<<24 {
		panic(fmt.Sprintf("autograd.MaxPool2D: input planes of %d×%d elements are too large (input shape %v)", g.h, g.w, x.Value.Shape))
	}
	out := tp.newVar([]int{g.n, g.c, g.oh, g.ow}, x)
	var arg []T
	if out.requiresGrad {
		arg = tp.scratch(out.Value.Shape...).Data
	}
	l := &tp.loops.maxPool
	*l = maxPoolLoop[T]{x: x.Value.Data, y: out.Value.Data, arg: arg, g: g}
	tp.parallel(g.n*g.c, max(1, (1<<14)/max(1, g.oh*g.ow*g.kh*g.kw)), l)
	if n := tp.record(opMaxPool2D, out, x); n != nil {
		n.geom, n.saved[0] = g, arg
	}
	return out
}

// maxPoolLoop is MaxPool2D's loop over the planes: it stores the maxima of
// x in y and, when arg is not nil, their positions in arg.
type maxPoolLoop[T Float] struct {
	x, y, arg []T
	g         convGeom
}

func (l *maxPoolLoop[T]) run(lo, hi int) {
	g, y, arg := l.g, l.y, l.arg
	hw, L := g.h*g.w, g.oh*g.ow
	fast2x2 := g.fast2x2()
	for u := lo; u < hi; u++ {
		plane := l.x[u*hw : (u+1)*hw]
		if fast2x2 {
			maxPool2x2(y[u*L:(u+1)*L], arg, u*L, plane, g)
			continue
		}
		for i := 0; i < g.oh; i++ {
			for j := 0; j < g.ow; j++ {
				best, at := T(math.Inf(-1)), -1
				for p := 0; p < g.kh; p++ {
					ih := i*g.sh - g.ph + p*g.dh
					if ih < 0 || ih >= g.h {
						continue
					}
					for q := 0; q < g.kw; q++ {
						iw := j*g.sw - g.pw + q*g.dw
						if iw < 0 || iw >= g.w {
							continue
						}
						v := plane[ih*g.w+iw]
						if v > best || at < 0 || v != v { // NaN propagates, as in PyTorch
							best, at = v, ih*g.w+iw
						}
					}
				}
				y[u*L+i*g.ow+j] = best
				if arg != nil {
					arg[u*L+i*g.ow+j] = T(at)
				}
			}
		}
	}
}

// maxPool2DBackward adds each output's gradient to the input at its
// window's maximum, in parallel over the planes.
func (tp *Tape[T]) maxPool2DBackward(n *node[T]) {
	g := n.geom
	l := &tp.loops.maxPoolBack
	dx, fresh := tp.gradFresh(n.a)
	*l = maxPoolBackLoop[T]{dx: dx.Data, dy: n.out.Grad.Data, arg: n.saved[0], g: g, fresh: fresh}
	tp.parallel(g.n*g.c, max(1, (1<<15)/max(1, g.oh*g.ow)), l)
}

// maxPoolBackLoop is maxPool2DBackward's loop over the planes. A fresh
// gradient (not zeroed yet) is cleared plane by plane, in parallel and
// while the plane is in cache, before the maxima's gradients are added.
type maxPoolBackLoop[T Float] struct {
	dx, dy, arg []T
	g           convGeom
	fresh       bool
}

func (l *maxPoolBackLoop[T]) run(lo, hi int) {
	g := l.g
	hw, L := g.h*g.w, g.oh*g.ow
	if dx, ok := any(l.dx).([]float32); ok && g.fast2x2() {
		// Each window's four gradients written at once (vec), rows
		// and columns outside every window cleared when fresh.
		dy, arg := any(l.dy).([]float32), any(l.arg).([]float32)
		for u := lo; u < hi; u++ {
			plane := dx[u*hw : (u+1)*hw]
			vec.MaxPool2RowsBackward(plane, dy[u*L:(u+1)*L], arg[u*L:(u+1)*L], g.oh, g.ow, g.w, !l.fresh)
			if l.fresh && g.w > 2*g.ow {
				for i := 0; i < 2*g.oh; i++ {
					clear(plane[i*g.w+2*g.ow : (i+1)*g.w])
				}
			}
			if l.fresh {
				clear(plane[2*g.oh*g.w:])
			}
		}
		return
	}
	for u := lo; u < hi; u++ {
		plane := l.dx[u*hw : (u+1)*hw]
		if l.fresh {
			clear(plane)
		}
		for k, a := range l.arg[u*L : (u+1)*L] {
			if a >= 0 { // −1: a dilated window entirely in the padding
				plane[int(a)] += l.dy[u*L+k]
			}
		}
	}
}

// maxPool2x2 is MaxPool2D's loop for 2×2 windows with stride 2 and no
// padding (the CNN's pooling): y is one output plane, plane the input plane,
// and the positions of the maxima go to arg[off:] when arg is not nil.
func maxPool2x2[T Float](y, arg []T, off int, plane []T, g convGeom) {
	if y32, ok := any(y).([]float32); ok {
		p32 := any(plane).([]float32)
		var a32 []float32
		if arg != nil {
			a32 = any(arg).([]float32)[off:]
		}
		vec.MaxPool2Rows(y32, a32, p32, g.oh, g.ow, g.w)
		return
	}
	for i := 0; i < g.oh; i++ {
		r0, r1 := plane[2*i*g.w:(2*i+1)*g.w], plane[(2*i+1)*g.w:(2*i+2)*g.w]
		r0, r1 = r0[:2*g.ow], r1[:2*g.ow]
		yr := y[i*g.ow : (i+1)*g.ow]
		top := 2 * i * g.w
		for j := range yr {
			a, b, c, d := r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1]
			// The maximum, then the first position holding it: plain
			// conditional moves, since the branches of a running comparison
			// mispredict on data of random order.
			m := max(max(a, b), max(c, d))
			at := g.w + 1
			if c == m {
				at = g.w
			}
			if b == m {
				at = 1
			}
			if a == m {
				at = 0
			}
			if m != m {
				// NaN wins, the last one as in the general loop.
				at = 0
				if b != b {
					at = 1
				}
				if c != c {
					at = g.w
				}
				if d != d {
					at = g.w + 1
				}
			}
			yr[j] = m
			if arg != nil {
				arg[off+i*g.ow+j] = T(top + 2*j + at)
			}
		}
	}
}

// AvgPool2D returns the means of x (batch×C×H×W) over the windows of opts:
//
//	y[n,c,i,j] = 1/D Σ_{p,q} x[n, c, i·s_h − pad_h + p, j·s_w − pad_w + q],
//
// zero padding included, with D = kh·kw, or, when opts.ExcludePad is set, D
// the number of window elements inside the input. Dilation must be 1.
func (tp *Tape[T]) AvgPool2D(x *Var[T], opts PoolOptions) *Var[T] {
	g := checkPool("autograd.AvgPool2D", x, opts)
	if g.dh != 1 || g.dw != 1 {
		panic(fmt.Sprintf("autograd.AvgPool2D: dilation %v, want 1 (input shape %v)", opts.Dilation, x.Value.Shape))
	}
	out := tp.newVar([]int{g.n, g.c, g.oh, g.ow}, x)
	win := avgWindows{g, opts.ExcludePad}
	l := &tp.loops.avgPool
	*l = avgPoolLoop[T]{avgWindows: win, x: x.Value.Data, y: out.Value.Data}
	tp.parallel(g.n*g.c, win.grain(), l)
	if n := tp.record(opAvgPool2D, out, x); n != nil {
		n.geom, n.excludePad = g, opts.ExcludePad
	}
	return out
}

// avgPool2DBackward spreads each output's gradient, divided by its
// window's divisor, over the window.
func (tp *Tape[T]) avgPool2DBackward(n *node[T]) {
	win := avgWindows{n.geom, n.excludePad}
	l := &tp.loops.avgPoolBack
	*l = avgPoolBackLoop[T]{avgWindows: win, dx: tp.grad(n.a).Data, dy: n.out.Grad.Data}
	tp.parallel(win.g.n*win.g.c, win.grain(), l)
}

// avgWindows are the windows of average pooling.
type avgWindows struct {
	g          convGeom
	excludePad bool
}

// window returns the window of output (i, j) clipped to the input, and its
// divisor.
func (a avgWindows) window(i, j int) (h0, h1, w0, w1, div int) {
	g := a.g
	h0, w0 = i*g.sh-g.ph, j*g.sw-g.pw
	h1, w1 = h0+g.kh, w0+g.kw
	h0, w0 = max(h0, 0), max(w0, 0)
	h1, w1 = min(h1, g.h), min(w1, g.w)
	div = g.kh * g.kw
	if a.excludePad {
		div = (h1 - h0) * (w1 - w0)
	}
	return h0, h1, w0, w1, div
}

// grain is the least number of planes per parallel range.
func (a avgWindows) grain() int {
	return max(1, (1<<14)/max(1, a.g.oh*a.g.ow*a.g.kh*a.g.kw))
}

// avgPoolLoop is AvgPool2D's loop over the planes: it stores the window
// means of x in y.
type avgPoolLoop[T Float] struct {
	avgWindows
	x, y []T
}

func (l *avgPoolLoop[T]) run(lo, hi int) {
	g := l.g
	hw, L := g.h*g.w, g.oh*g.ow
	for u := lo; u < hi; u++ {
		plane := l.x[u*hw : (u+1)*hw]
		for i := 0; i < g.oh; i++ {
			for j := 0; j < g.ow; j++ {
				h0, h1, w0, w1, div := l.window(i, j)
				var s T
				for ih := h0; ih < h1; ih++ {
					for _, v := range plane[ih*g.w+w0 : ih*g.w+w1] {
						s += v
					}
				}
				l.y[u*L+i*g.ow+j] = s / T(div)
			}
		}
	}
}

// avgPoolBackLoop is avgPool2DBackward's loop over the planes.
type avgPoolBackLoop[T Float] struct {
	avgWindows
	dx, dy []T
}

func (l *avgPoolBackLoop[T]) run(lo, hi int) {
	g := l.g
	hw, L := g.h*g.w, g.oh*g.ow
	for u := lo; u < hi; u++ {
		plane := l.dx[u*hw : (u+1)*hw]
		for i := 0; i < g.oh; i++ {
			for j := 0; j < g.ow; j++ {
				h0, h1, w0, w1, div := l.window(i, j)
				d := l.dy[u*L+i*g.ow+j] / T(div)
				for ih := h0; ih < h1; ih++ {
					row := plane[ih*g.w+w0 : ih*g.w+w1]
					for k := range row {
						row[k] += d
					}
				}
			}
		}
	}
}

// fast2x2 reports whether the pooling is 2×2 with stride 2 and neither
// padding nor dilation (the CNN's), which has loops of its own.
func (g convGeom) fast2x2() bool {
	return g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1
}
