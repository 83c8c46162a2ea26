package tensor

import (
	"math"
	"sync/atomic"

	"github.com/descent-ml/descent/internal/parallel"
	"github.com/descent-ml/descent/internal/vec"
)

// The backward pass of a convolution whose output gradient is mostly
// zeros. Behind a ReLU and a max-pooling, as in most CNNs, at most one
// output in four of a 2×2 pooling gets a gradient, and the ReLU removes
// about half of those: conv2 of the CNN sees 8–13% nonzeros. The products
// dW = dY·colsᵀ and dcols = Wᵀ·dY multiply every zero all the same. This
// path lists the nonzero gradients instead, per output channel, and works
// on channels-last (NHWC) copies of the input and of the input gradient,
// where the C·KW values under a kernel row are contiguous:
//
//   - weight gradient: for each output channel o, dW[o] (KH rows of KW·C)
//     += g · the input rows under the kernel at each nonzero g of channel o
//     (sconvSparseGather, the sums held in registers over all nonzeros);
//   - input gradient: for each image and each nonzero g of it, g · W[o]
//     (in the same KH×KW·C layout) is added onto the input gradient under
//     the kernel (sconvSparseScatter).
//
// Each nonzero costs C·KH·KW multiply-adds in each direction, as it does in
// the products, so the path pays off when few are nonzero; above
// convSparseDensity the products run instead. The results are the
// products' up to the order of the additions, except that a zero gradient
// times an infinite or NaN input or weight adds nothing here where the
// product adds NaN.

// convSparseDensity is the largest fraction of nonzero output gradients for
// which Conv2DBackward takes the sparse path.
const convSparseDensity = 0.35

// convSparseJob is one sparse backward call: its operands, the lists of
// nonzeros, the channels-last buffers, and the range body handed to
// parallel.For (kept in cacheOf's cache).
type convSparseJob[T gemmElem] struct {
	kern             *gemmKernel[T]
	s                ConvShape
	dx, dw, db, x, w []T
	dy               []T
	oh, ow, hp, wp   int // the output, and the padded input
	phase            int
	offs             []int32     // the nonzeros of channel o at [o·Batch·OH·OW, …): their place in the NHWC input
	gs               []T         // and their values
	start, count     []int32     // the nonzeros of channel o, image n at offs[start[o·Batch+n]:][:count[…]]
	bias             []T         // the sum of each channel's nonzeros
	dense            atomic.Bool // a channel has more than its share of nonzeros: the products run
	xt, dxt, wt, dwt []T         // NHWC input and input gradient (padded); W and dW as Out×KH×KW×C
	body             func(lo, hi int)
}

// The phases of a sparse call, each a parallel loop.
const (
	sparseList      = iota // over output channels: list the nonzeros
	sparseImages           // over images: the NHWC input, the NHWC input gradient cleared
	sparseChannels         // over blocks of output channels: W in NHWC order, dW and db
	sparseInputGrad        // over images: the input gradient
)

// conv2DBackwardSparse computes Conv2DBackward's gradients on the sparse
// path and reports true, or reports false having changed nothing when the
// kernel set has no sparse kernels, s does not suit them (one group,
// strides and dilations 1, channels a multiple of 8) or more than
// convSparseDensity of an output channel's gradient is nonzero (the
// listing stops at the first such channel).
func conv2DBackwardSparse[T gemmElem](kern *gemmKernel[T], s ConvShape, dx, dw, db, x, w, dy []T) bool {
	if kern.convScatter == nil || s.Groups != 1 || s.StrideH != 1 || s.StrideW != 1 || s.DilationH != 1 || s.DilationW != 1 ||
		s.Channels%8 != 0 || (dx == nil && dw == nil) {
		return false
	}
	oh, ow := s.OutputSize()
	hp, wp := s.Height+2*s.PadH, s.Width+2*s.PadW
	if int64(s.Batch)*int64(hp*wp*s.Channels) > math.MaxInt32 || int64(s.Batch)*int64(s.Out*oh*ow) > math.MaxInt32 {
		return false
	}
	jobs := cacheOf[convSparseJob[T]]()
	j := jobs.Get()
	defer jobs.Put(j)
	j.kern, j.s, j.dx, j.dw, j.db, j.x, j.w, j.dy = kern, s, dx, dw, db, x, w, dy
	defer func() { j.dx, j.dw, j.db, j.x, j.w, j.dy = nil, nil, nil, nil, nil, nil }() // do not keep the caller's tensors alive in the cache
	j.oh, j.ow, j.hp, j.wp = oh, ow, hp, wp
	l := s.Batch * oh * ow
	j.offs = gemmGrowInt32(j.offs, s.Out*l)
	j.gs = gemmGrow(j.gs, s.Out*l)
	j.start = gemmGrowInt32(j.start, s.Out*s.Batch)
	j.count = gemmGrowInt32(j.count, s.Out*s.Batch)
	j.bias = gemmGrow(j.bias, s.Out)
	j.dense.Store(false)
	j.runPhase(sparseList, s.Out)
	if j.dense.Load() {
		return false
	}
	taps := s.KernelH * s.KernelW * s.Channels
	if dw != nil {
		j.xt = gemmGrow(j.xt, s.Batch*hp*wp*s.Channels)
		j.dwt = gemmGrow(j.dwt, s.Out*taps)
	}
	if dx != nil {
		j.dxt = gemmGrow(j.dxt, s.Batch*hp*wp*s.Channels)
		j.wt = gemmGrow(j.wt, s.Out*taps)
	}
	j.runPhase(sparseImages, s.Batch)
	j.runPhase(sparseChannels, s.Out)
	if dx != nil {
		j.runPhase(sparseInputGrad, s.Batch)
	}
	return true
}

// runPhase runs one phase over n items on all cores.
func (j *convSparseJob[T]) runPhase(phase, n int) {
	j.phase = phase
	parallel.For(n, 1, j.body)
}

func (j *convSparseJob[T]) init() { j.body = j.run }

// run is the range body of every phase.
func (j *convSparseJob[T]) run(lo, hi int) {
	if j.phase == sparseChannels {
		j.channels(lo, hi)
		return
	}
	for i := lo; i < hi; i++ {
		switch j.phase {
		case sparseList:
			j.list(i)
		case sparseImages:
			j.image(i)
		case sparseInputGrad:
			j.inputGrad(i)
		}
	}
}

// list lists the nonzero output gradients of channel o, image by image,
// each as its place in the NHWC input (the first input value under the
// kernel) and its value, and sums them for the bias gradient.
func (j *convSparseJob[T]) list(o int) {
	s := &j.s
	l := j.oh * j.ow
	img := j.hp * j.wp * s.Channels
	k := o * s.Batch * l
	top := k + int(convSparseDensity*float64(s.Batch*l)) // the channel's room
	var sum T
	for n := 0; n < s.Batch; n++ {
		if j.dense.Load() {
			return
		}
		j.start[o*s.Batch+n] = int32(k)
		plane := j.dy[(n*s.Out+o)*l:][:l]
		m, ok := listNonzeros(j.offs[k:top], j.gs[k:top], plane, j.oh, j.ow, int32(n*img), int32(s.Channels), int32(j.wp*s.Channels))
		if !ok {
			j.dense.Store(true) // the products will run: stop listing
			return
		}
		for _, v := range j.gs[k : k+m] {
			sum += v
		}
		k += m
		j.count[o*s.Batch+n] = int32(k) - j.start[o*s.Batch+n]
	}
	j.bias[o] = sum
}

// image writes image n of the input in NHWC order into xt (with its zero
// padding) when the weight gradient is wanted, and starts its input
// gradient in dxt when that is: dx in NHWC order, or zeros when padded.
func (j *convSparseJob[T]) image(n int) {
	s := &j.s
	c := s.Channels
	size := j.hp * j.wp * c
	hw := s.Height * s.Width
	padded := s.PadH > 0 || s.PadW > 0
	if j.dx != nil {
		// Unpadded, the NHWC gradient starts as dx itself, and goes back
		// whole: transposes, no additions.
		if padded {
			clear(j.dxt[n*size:][:size])
		} else {
			transposeInto(j.dxt[n*size:], c, j.dx[n*c*hw:], hw, c, hw)
		}
	}
	if j.dw == nil {
		return
	}
	xt := j.xt[n*size:][:size]
	if !padded {
		transposeInto(xt, c, j.x[n*c*hw:], hw, c, hw)
		return
	}
	clear(xt)
	for ch := 0; ch < c; ch++ {
		plane := j.x[(n*c+ch)*hw:][:hw]
		for i := 0; i < s.Height; i++ {
			dst := xt[((i+s.PadH)*j.wp+s.PadW)*c+ch:]
			for jj, v := range plane[i*s.Width : (i+1)*s.Width] {
				dst[jj*c] = v
			}
		}
	}
}

// channels does the output channels [lo, hi): W in KH×KW×C order for the
// input gradient, and dW and db. dW's sums go image by image, each image's
// nonzeros of every channel in turn, so that the image's input (NHWC, a
// few kilobytes) stays in L1 and the channels' dW in L2; channel by
// channel, every channel would read the whole batch's input again.
func (j *convSparseJob[T]) channels(lo, hi int) {
	s := &j.s
	c, t := s.Channels, s.KernelH*s.KernelW
	taps := t * c
	for o := lo; o < hi; o++ {
		if j.dx != nil {
			transposeInto(j.wt[o*taps:], c, j.w[o*taps:], t, c, t)
		}
		if j.db != nil {
			j.db[o] += j.bias[o]
		}
		if j.dw != nil {
			transposeInto(j.dwt[o*taps:], c, j.dw[o*taps:], t, c, t) // dW in NHWC order, added to
		}
	}
	if j.dw == nil {
		return
	}
	for n := 0; n < s.Batch; n++ {
		for o := lo; o < hi; o++ {
			st, m := int(j.start[o*s.Batch+n]), int(j.count[o*s.Batch+n])
			if m > 0 {
				j.kern.convGather(m, j.offs[st:][:m], j.gs[st:][:m], j.xt, j.dwt[o*taps:][:taps], s.KernelH, s.KernelW*c/8, j.wp*c)
			}
		}
	}
	for o := lo; o < hi; o++ {
		transposeInto(j.dw[o*taps:], t, j.dwt[o*taps:], c, t, c)
	}
}

// inputGrad adds image n's input gradient: each output channel's nonzeros
// of the image scattered onto its NHWC input gradient, which then goes
// back to dx in NCHW order (or is added to it, padded).
func (j *convSparseJob[T]) inputGrad(n int) {
	s := &j.s
	c := s.Channels
	taps := s.KernelH * s.KernelW * c
	for o := 0; o < s.Out; o++ {
		st, m := int(j.start[o*s.Batch+n]), int(j.count[o*s.Batch+n])
		if m > 0 {
			j.kern.convScatter(m, j.offs[st:][:m], j.gs[st:][:m], j.dxt, j.wt[o*taps:][:taps], s.KernelH, s.KernelW*c/8, j.wp*c)
		}
	}
	size := j.hp * j.wp * c
	dxt := j.dxt[n*size:][:size]
	hw := s.Height * s.Width
	if s.PadH == 0 && s.PadW == 0 {
		transposeInto(j.dx[n*c*hw:], hw, dxt, c, hw, c)
		return
	}
	for ch := 0; ch < c; ch++ {
		plane := j.dx[(n*c+ch)*hw:][:hw]
		for i := 0; i < s.Height; i++ {
			src := dxt[((i+s.PadH)*j.wp+s.PadW)*c+ch:]
			row := plane[i*s.Width : (i+1)*s.Width]
			for jj := range row {
				row[jj] += src[jj*c]
			}
		}
	}
}

// gemmGrowInt32 is gemmGrow for int32.
func gemmGrowInt32(buf []int32, n int) []int32 {
	if cap(buf) < n {
		return make([]int32, n)
	}
	return buf[:n]
}

// listNonzeros lists the nonzeros of the rows×cols matrix x (row-major) as
// vec.Nonzeros does, into offs and vals, and returns their number and
// whether they all fitted: the offset of the value in row i, column j is
// base + i·rowStep + j·colStep.
func listNonzeros[T gemmElem](offs []int32, vals, x []T, rows, cols int, base, colStep, rowStep int32) (int, bool) {
	if v32, ok := any(vals).([]float32); ok {
		return vec.Nonzeros(offs, v32, any(x).([]float32), rows, cols, cols, base, colStep, rowStep)
	}
	n := 0
	for i := 0; i < rows; i++ {
		off := base + int32(i)*rowStep
		for _, v := range x[i*cols : (i+1)*cols] {
			if v != 0 {
				if n == len(offs) {
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
