package tensor

import (
	"sync/atomic"
	"unsafe"

	"github.com/descent-ml/descent/internal/parallel"
	"github.com/descent-ml/descent/internal/vec"
)

// The input gradient of a convolution: the column gradient Wᵀ·dY (one row
// per channel and kernel tap, one column per output position) scattered
// back onto the input positions it came from (col2im).

// convLocalCols is the most values of column gradient that one worker holds
// at a time in the batch-parallel path (1 MiB of float32, about the L2
// cache of a core), and convBigCols the most that the other path holds.
const (
	convLocalCols = 1 << 18
	convBigCols   = 1 << 23
)

// Conv2DInputGrad adds to dx (the input's shape, Batch×Channels×H×W) the
// gradient of a loss with respect to the input of Conv2D, given its
// gradient dy with respect to the output: the column gradient Wᵀ·dY of
// each group, scattered back onto the input (col2im). When one image's
// column gradient fits in a core's cache, the cores take a few images at a
// time, each computing their column gradient into a buffer of its own
// (Wᵀ packed once for all) and scattering it at once, so the column
// gradient never goes to memory; otherwise it is computed for as many
// images as convBigCols allows and scattered in parallel over channels. It
// panics, naming the geometry, if the shape is invalid or a slice too
// short.
func Conv2DInputGrad[T Float](s ConvShape, dx, w, dy []T) {
	s.check("Conv2DInputGrad", len(dx), len(w), len(dy), -1, -1)
	if s.Batch == 0 {
		return
	}
	switch unsafe.Sizeof(T(0)) {
	case 4:
		conv2DInputGrad(gemmDefault.f32, s, gemmView[float32](dx), gemmView[float32](w), gemmView[float32](dy))
	default:
		conv2DInputGrad(gemmDefault.f64, s, gemmView[float64](dx), gemmView[float64](w), gemmView[float64](dy))
	}
}

// convInput holds the state of one Conv2DInputGrad call and the buffers it
// reuses from call to call (pooled per element type, as Gemm's).
type convInput[T gemmElem] struct {
	s             ConvShape
	dx, w, dy     []T
	gr            int // the group being done
	nb, chunks    int // images per chunk, chunks
	shared        []T // Wᵀ of the group, packed
	bufs          []gemmBuffers[T]
	cols          [][]T // each worker's column gradient
	started, next atomic.Int32
	kern          *gemmKernel[T]
	body          func(lo, hi int) // c.chunk, made once
	col2imBody    func(lo, hi int) // c.col2imRange, made once
	bigCols       []T
	n0, bigNB     int // the big path's current images
}

func (c *convInput[T]) init() {
	c.body = c.chunk
	c.col2imBody = c.col2imRange
}

func conv2DInputGrad[T gemmElem](kern *gemmKernel[T], s ConvShape, dx, w, dy []T) {
	pool := cacheOf[convInput[T]]()
	c := pool.Get()
	defer pool.Put(c)
	c.s, c.dx, c.w, c.dy, c.kern = s, dx, w, dy, kern
	defer func() { c.dx, c.w, c.dy = nil, nil, nil }() // do not keep the caller's tensors alive in the pool
	oh, ow := s.OutputSize()
	l := oh * ow
	og, kg := s.Out/s.Groups, s.Channels/s.Groups*s.KernelH*s.KernelW
	workers := parallel.Workers()
	if per := kg * l; per <= convLocalCols {
		// Batch-parallel: chunks of nb images, at least two per worker
		// where the batch allows.
		c.nb = max(1, min(convLocalCols/per, (s.Batch+2*workers-1)/(2*workers)))
		c.chunks = (s.Batch + c.nb - 1) / c.nb
		for len(c.bufs) < workers {
			c.bufs = append(c.bufs, gemmBuffers[T]{})
			c.cols = append(c.cols, nil)
		}
		for c.gr = 0; c.gr < s.Groups; c.gr++ {
			c.packWeights(kg, og)
			c.started.Store(0)
			c.next.Store(0)
			parallel.For(min(workers, c.chunks), 1, c.body)
		}
		return
	}
	// Images too large for a core's cache: the column gradient of as
	// many images as convBigCols allows, from a parallel product, then
	// scattered in parallel over channels (no two channels share input).
	c.bigNB = max(1, convBigCols/(s.Channels*s.KernelH*s.KernelW*l))
	for c.n0 = 0; c.n0 < s.Batch; c.n0 += c.bigNB {
		nb := min(c.bigNB, s.Batch-c.n0)
		sub := s
		sub.Batch = nb
		c.bigCols = gemmGrow(c.bigCols, s.Channels*s.KernelH*s.KernelW*nb*l)
		conv2DColumnGrad(kern, sub, c.bigCols, w, dy[c.n0*s.Out*l:])
		parallel.For(s.Channels, 1, c.col2imBody)
	}
}

// packWeights packs Wᵀ of group c.gr (kg×og) into c.shared in the layout
// that gemmProblem.run reads a shared op(A) in.
func (c *convInput[T]) packWeights(kg, og int) {
	kern := c.kern
	mr := kern.mr
	c.shared = gemmGrow(c.shared, gemmRoundUp(kg, mr)*og)
	kcStep, mcStep := gemmStep(og, kern.kc, 8), gemmStep(kg, kern.mc, mr)
	a := c.w[c.gr*og*kg:]
	for ic := 0; ic < kg; ic += mcStep {
		mc := min(mcStep, kg-ic)
		for pc := 0; pc < og; pc += kcStep {
			kc := min(kcStep, og-pc)
			off := gemmSharedOffset(ic, mc, mr, og, pc)
			gemmPackA(mr, kern.packA, c.shared[off:off+gemmRoundUp(mc, mr)*kc], a, kg, true, ic, mc, pc, kc)
		}
	}
}

// chunk is the body of one worker of the batch-parallel path: it takes
// chunks of images until none is left, computing each chunk's column
// gradient into its own buffer and scattering it onto dx.
func (c *convInput[T]) chunk(lo, hi int) {
	i := int(c.started.Add(1) - 1)
	var buf *gemmBuffers[T]
	var cols *[]T
	if i < len(c.bufs) {
		buf, cols = &c.bufs[i], &c.cols[i]
	} else { // more workers than buffers: GOMAXPROCS grew
		buf, cols = new(gemmBuffers[T]), new([]T)
	}
	s := &c.s
	oh, ow := s.OutputSize()
	l := oh * ow
	og, kg := s.Out/s.Groups, s.Channels/s.Groups*s.KernelH*s.KernelW
	for {
		k := int(c.next.Add(1) - 1)
		if k >= c.chunks {
			return
		}
		n0 := k * c.nb
		nb := min(c.nb, s.Batch-n0)
		*cols = gemmGrow(*cols, kg*nb*l)
		g := gemmProblem[T]{
			kern: c.kern, m: kg, n: nb * l, k: og, alpha: 1, beta: 0,
			srcB: gemmSource[T]{kind: gemmBatched, data: c.dy[(n0*s.Out+c.gr*og)*l:], ld: l, batch: l, stride: s.Out * l},
			c:    *cols, ldc: nb * l,
		}
		g.run(buf, 0, kg, 0, nb*l, c.shared, nil)
		cg := s.Channels / s.Groups
		for ch := 0; ch < cg; ch++ {
			col2im(s, c.dx, *cols, nb*l, c.gr*cg+ch, ch*s.KernelH*s.KernelW, n0, nb)
		}
	}
}

// col2imRange scatters the big path's column gradient onto the channels
// [lo, hi).
func (c *convInput[T]) col2imRange(lo, hi int) {
	s := &c.s
	oh, ow := s.OutputSize()
	nb := min(c.bigNB, s.Batch-c.n0)
	for ch := lo; ch < hi; ch++ {
		col2im(s, c.dx, c.bigCols, nb*oh*ow, ch, ch*s.KernelH*s.KernelW, c.n0, nb)
	}
}

// col2im adds the rows r0 … r0+kh·kw−1 of the column gradient cols (ncols
// columns: images n0 … n0+nb−1, output positions) onto input channel ch
// of those images: the inverse scatter of the im2col matrix. Each row is
// added image by image as a block of output rows (addRows at stride 1).
func col2im[T gemmElem](s *ConvShape, dx, cols []T, ncols, ch, r0, n0, nb int) {
	oh, ow := s.OutputSize()
	l := oh * ow
	hw := s.Height * s.Width
	for p := 0; p < s.KernelH; p++ {
		ilo, ihi := convSpan(p*s.DilationH-s.PadH, s.StrideH, s.Height, oh)
		if ilo >= ihi {
			continue
		}
		ih0 := ilo*s.StrideH - s.PadH + p*s.DilationH
		if s.StrideW == 1 && s.PadW == 0 {
			// Every kernel column covers all output columns: the
			// kernel row's blocks, one per column, DilationW apart,
			// in one call per image.
			row := cols[(r0+p*s.KernelW)*ncols:]
			for n := 0; n < nb; n++ {
				plane := dx[((n0+n)*s.Channels+ch)*hw:][:hw]
				addRowsN(s.KernelW, ihi-ilo, ow, plane[ih0*s.Width:], s.StrideH*s.Width, s.DilationW, row[n*l+ilo*ow:], ow, ncols)
			}
			continue
		}
		for q := 0; q < s.KernelW; q++ {
			off := q*s.DilationW - s.PadW
			jlo, jhi := convSpan(off, s.StrideW, s.Width, ow)
			if jlo >= jhi {
				continue
			}
			row := cols[(r0+p*s.KernelW+q)*ncols:]
			for n := 0; n < nb; n++ {
				plane := dx[((n0+n)*s.Channels+ch)*hw:][:hw]
				src := row[n*l:][:l]
				if s.StrideW == 1 {
					addRows(ihi-ilo, jhi-jlo, plane[ih0*s.Width+jlo+off:], s.StrideH*s.Width, src[ilo*ow+jlo:], ow)
					continue
				}
				for i := ilo; i < ihi; i++ {
					dst := plane[(ih0+(i-ilo)*s.StrideH)*s.Width:][:s.Width]
					iw := jlo*s.StrideW + off
					for _, v := range src[i*ow+jlo : i*ow+jhi] {
						dst[iw] += v
						iw += s.StrideW
					}
				}
			}
		}
	}
}

// convSpan returns the output indices [lo, hi) of one dimension (out of
// outputs, stride apart, the first at input index off) whose input index
// lies in [0, size).
func convSpan(off, stride, size, outputs int) (lo, hi int) {
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	if size-off > 0 {
		hi = min(outputs, (size-off-1)/stride+1)
	}
	return min(lo, hi), hi
}

// addRows adds a rows×cols block of src (row stride lds) into dst (row
// stride ldd), with the vector kernel for float32.
func addRows[T gemmElem](rows, cols int, dst []T, ldd int, src []T, lds int) {
	addRowsN(1, rows, cols, dst, ldd, 0, src, lds, 0)
}

// addRowsN is addRows for count blocks, block k at dst[k·dstStep:] and
// src[k·srcStep:] (vec.AddRowsN).
func addRowsN[T gemmElem](count, rows, cols int, dst []T, ldd, dstStep int, src []T, lds, srcStep int) {
	if d, ok := any(dst).([]float32); ok {
		vec.AddRowsN(count, rows, cols, d, ldd, dstStep, any(src).([]float32), lds, srcStep)
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
