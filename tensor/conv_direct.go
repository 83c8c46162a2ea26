package tensor

import (
	"sync/atomic"

	"github.com/descent-ml/descent/internal/parallel"
)

// The direct weight gradient: for convolutions with few kernel taps per
// output channel (the first layer of a CNN, 1 or 3 input channels), the
// product dW = dY·colsᵀ is a long sum (Batch·OH·OW terms) into a small
// matrix (Out × C·KH·KW). Gemm then spends its time packing both operands,
// each value used by a few dozen multiply-adds only, and its 6×16 tiles
// are partly empty (conv1 of the CNN: 25 taps, 3.5 ms a batch on one core,
// 17 GFLOP/s). The direct kernel reads dY and x in place instead: eight
// output positions of a row at a time, it multiplies two output channels'
// gradients by the input under each tap of one kernel row, keeping the
// 2×KW sums in registers over the whole batch (sconvWGradRow).

// convDirectMaxTaps is the most kernel taps per output channel (C/G·KH·KW)
// for which the weight gradient takes the direct kernel; above it the
// product is long enough in every dimension for Gemm.
const convDirectMaxTaps = 64

// convWGradJob is one direct weight-gradient call: its operands and the
// range body handed to parallel.For (kept in cacheOf's cache).
type convWGradJob[T gemmElem] struct {
	kern          *gemmKernel[T]
	s             ConvShape // without padding: x is padded when s was not
	dw, db, x, dy []T
	pairs         int          // pairs of output channels in a group
	padded        []T          // the padded copy of x, reused
	accs          [][12][8]T   // each range's accumulators, reused
	started       atomic.Int32 // ranges started: the index of a range's accs
	body          func(lo, hi int)
}

// conv2DWeightGradDirect adds the weight (and, when db is not nil, bias)
// gradient of the convolution s to dw and db with the direct kernel and
// reports true, or reports false without doing anything when the kernel
// set has no direct kernel or s does not suit it: strides and dilations 1,
// kernel rows of 3 or 5 taps, at most convDirectMaxTaps taps per output
// channel, output rows of at least 8 positions.
func conv2DWeightGradDirect[T gemmElem](kern *gemmKernel[T], s ConvShape, dw, db, x, dy []T) bool {
	_, ow := s.OutputSize()
	if kern.convWGradRow == nil || s.StrideH != 1 || s.StrideW != 1 || s.DilationH != 1 || s.DilationW != 1 ||
		(s.KernelW != 3 && s.KernelW != 5) || ow < 8 || s.Channels/s.Groups*s.KernelH*s.KernelW > convDirectMaxTaps {
		return false
	}
	jobs := cacheOf[convWGradJob[T]]()
	j := jobs.Get()
	defer jobs.Put(j)
	j.kern, j.s, j.dw, j.db, j.x, j.dy = kern, s, dw, db, x, dy
	defer func() { j.dw, j.db, j.x, j.dy = nil, nil, nil, nil }() // do not keep the caller's tensors alive in the pool
	if s.PadH > 0 || s.PadW > 0 {
		j.x = j.pad(s, x)
		j.s.Height += 2 * s.PadH
		j.s.Width += 2 * s.PadW
		j.s.PadH, j.s.PadW = 0, 0
	}
	j.pairs = (s.Out/s.Groups + 1) / 2
	items := s.Groups * j.pairs * (s.Channels / s.Groups) * s.KernelH
	for len(j.accs) < parallel.Workers() {
		j.accs = append(j.accs, [12][8]T{})
	}
	j.started.Store(0)
	parallel.For(items, 1, j.body)
	return true
}

// pad returns x with PadH zero rows above and below each plane and PadW
// zero columns on each side, in j.padded.
func (j *convWGradJob[T]) pad(s ConvShape, x []T) []T {
	h, w := s.Height+2*s.PadH, s.Width+2*s.PadW
	j.padded = gemmGrow(j.padded, s.Batch*s.Channels*h*w)
	clear(j.padded)
	for plane := 0; plane < s.Batch*s.Channels; plane++ {
		src := x[plane*s.Height*s.Width:]
		dst := j.padded[(plane*h+s.PadH)*w+s.PadW:]
		for i := 0; i < s.Height; i++ {
			copy(dst[i*w:i*w+s.Width], src[i*s.Width:(i+1)*s.Width])
		}
	}
	return j.padded
}

func (j *convWGradJob[T]) init() { j.body = j.run }

// run does the items [lo, hi): item (group, pair of output channels, input
// channel, kernel row), the kernel row varying fastest, then the channel,
// so that consecutive items of a core read the same output gradients.
func (j *convWGradJob[T]) run(lo, hi int) {
	s := &j.s
	oh, ow := s.OutputSize()
	l := oh * ow
	og, cg := s.Out/s.Groups, s.Channels/s.Groups
	kh, kw := s.KernelH, s.KernelW
	hw := s.Height * s.Width
	var acc *[12][8]T
	if i := int(j.started.Add(1) - 1); i < len(j.accs) {
		acc = &j.accs[i]
	} else { // more ranges than accumulators: GOMAXPROCS grew
		acc = new([12][8]T)
	}
	for it := lo; it < hi; it++ {
		ky, r := it%kh, it/kh
		ch, r := r%cg, r/cg
		pair, gr := r%j.pairs, r/j.pairs
		o := gr*og + 2*pair
		next := l // the second channel's gradient, after the first's
		if 2*pair+1 == og {
			next = 0 // an odd channel out: computed twice, kept once
		}
		c := gr*cg + ch
		j.kern.convWGradRow(kw, s.Batch, oh, ow, j.dy[o*l:], next, (s.Out-1)*l,
			j.x[c*hw+ky*s.Width:], s.Width, s.Channels*hw-oh*s.Width, acc)
		w0 := j.dw[((o*cg+ch)*kh+ky)*kw:][:kw]
		for q := range w0 {
			w0[q] += sum8(&acc[q])
		}
		if next != 0 {
			w1 := j.dw[(((o+1)*cg+ch)*kh+ky)*kw:][:kw]
			for q := range w1 {
				w1[q] += sum8(&acc[5+q])
			}
		}
		if j.db != nil && ch == 0 && ky == 0 {
			j.db[o] += sum8(&acc[10])
			if next != 0 {
				j.db[o+1] += sum8(&acc[11])
			}
		}
	}
}

// sum8 returns the sum of the eight lanes of an accumulator, pairwise.
func sum8[T gemmElem](a *[8]T) T {
	return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]))
}
