package tensor

// Operands of Gemm that are not one strided array. The blocked algorithm
// only ever reads op(A) and op(B) through its packing routines, so any
// matrix whose blocks can be packed into micro-panels can take part in a
// product without being stored: a convolution's output gradient, which is
// one O×OH·OW matrix per image (batched), and the im2col matrix of a
// convolution, read straight from the images (patches).

// gemmSourceKind says how a gemmSource reads its matrix.
type gemmSourceKind uint8

const (
	// gemmFromSlice: the problem's a or b with its stride and transpose.
	gemmFromSlice gemmSourceKind = iota
	// gemmBatched: element (r, j) of the matrix is
	// data[r·ld + (j/batch)·stride + j%batch]; j runs along k for op(A)
	// and along n for op(B).
	gemmBatched
	// gemmPatches: op(B) is the im2col matrix of conv, one row per
	// (channel, kernel tap), one column per output position (image, row,
	// column), read from the images data, and, when ones > 0, a row of
	// ones after them (row ones), which multiplies a bias.
	gemmPatches
	// gemmPatchesT: op(B) is the transpose of gemmPatches' matrix: one
	// row per output position, one column per (channel, kernel tap), and,
	// when ones > 0, a column of ones after them (column ones).
	gemmPatchesT
	// gemmAppended: op(A) is the m×(k−1) matrix data (row stride ld)
	// with the column extra appended as its last step: a convolution's
	// filters and bias.
	gemmAppended
)

// gemmSource is an operand of Gemm that packs itself.
type gemmSource[T gemmElem] struct {
	kind                 gemmSourceKind
	data                 []T
	ld, batch, stride    int       // gemmBatched, gemmAppended (ld)
	extra                []T       // gemmAppended
	conv                 ConvShape // gemmPatches, gemmPatchesT: the convolution
	c0                   int       // and the first input channel of its group
	oh, ow, taps, chanHW int       // output size, taps per channel, H·W
	ones                 int       // gemmPatches, gemmPatchesT: the row or column of ones, if > 0
}

// packA packs op(A)[i0:i0+mc, p0:p0+kc] into mr-tall micro-panels.
func (g *gemmProblem[T]) packA(dst []T, i0, mc, p0, kc int) {
	kern := g.kern
	switch src := &g.srcA; src.kind {
	case gemmBatched:
		mr := kern.mr
		for ir := 0; ir < mc; ir += mr {
			panel := dst[ir*kc : (ir+mr)*kc]
			rows := min(mr, mc-ir)
			// Split the steps where they cross from one batch to the
			// next; within a batch op(A) is an ordinary m×k matrix.
			for s := p0; s < p0+kc; {
				e := min(p0+kc, (s/src.batch+1)*src.batch)
				gemmPackA(mr, kern.packA, panel[(s-p0)*mr:(e-p0)*mr], src.data[s/src.batch*src.stride+s%src.batch:], src.ld, false, i0+ir, rows, 0, e-s)
				s = e
			}
		}
	case gemmAppended:
		mr, k := kern.mr, g.k-1
		if p0 < k {
			gemmPackA(mr, kern.packA, dst, src.data, src.ld, false, i0, mc, p0, min(kc, k-p0))
		}
		if p0+kc <= k {
			return
		}
		// The last step of op(A) is extra. Packed with kc steps, it
		// ends every panel; the steps before it were packed as if kc
		// were one smaller, so the panels are moved into place.
		if kc > 1 {
			for ir := (mc - 1) / mr * mr; ir > 0; ir -= mr {
				copy(dst[ir*kc:ir*kc+(kc-1)*mr], dst[ir*(kc-1):ir*(kc-1)+(kc-1)*mr])
			}
		}
		for ir := 0; ir < mc; ir += mr {
			last := dst[ir*kc+(kc-1)*mr : ir*kc+kc*mr]
			for i := range last {
				last[i] = 0
				if ir+i < mc {
					last[i] = src.extra[i0+ir+i]
				}
			}
		}
	default:
		gemmPackA(kern.mr, kern.packA, dst, g.a, g.lda, g.transA, i0, mc, p0, kc)
	}
}

// packB packs op(B)[p0:p0+kc, j0:j0+nc] into nr-wide micro-panels; buf is
// the packing worker's, for the runs of the im2col matrix.
func (g *gemmProblem[T]) packB(buf *gemmBuffers[T], dst []T, p0, kc, j0, nc int) {
	kern := g.kern
	nr := kern.nr
	switch src := &g.srcB; src.kind {
	case gemmBatched:
		for jr := 0; jr < nc; jr += nr {
			panel := dst[jr*kc : (jr+nr)*kc]
			cols := min(nr, nc-jr)
			j := j0 + jr
			if j%src.batch+cols <= src.batch {
				gemmPackB(nr, kern.packB, panel, src.data[j/src.batch*src.stride+j%src.batch:], src.ld, false, p0, kc, 0, cols)
				continue
			}
			clear(panel)
			for jj := 0; jj < cols; jj++ {
				col := src.data[(j+jj)/src.batch*src.stride+(j+jj)%src.batch:]
				for p := 0; p < kc; p++ {
					panel[p*nr+jj] = col[(p0+p)*src.ld]
				}
			}
		}
	case gemmPatches:
		src.packPatches(nr, dst, p0, kc, j0, nc)
	case gemmPatchesT:
		src.packPatchesT(buf, nr, dst, p0, kc, j0, nc)
	default:
		gemmPackB(nr, kern.packB, dst, g.b, g.ldb, g.transB, p0, kc, j0, nc)
	}
}

// gemmMaxNR is the widest B micro-panel of any kernel.
const gemmMaxNR = 16

// A run is a stretch of consecutive output positions along one output row
// of one image: their input values under any one kernel tap are evenly
// spaced (StrideW apart) along one input row.
type convRun struct {
	at, n  int // first position, relative to the block, and count
	base   int // offset in the images of position at's value under tap (0, 0) of channel 0
	iy, ix int // that value's row and column (negative or past the input in the padding)
}

// runs splits the output positions [j0, j0+count) into runs, appending to
// buf.
func (src *gemmSource[T]) runs(buf []convRun, j0, count int) []convRun {
	s := &src.conv
	l := src.oh * src.ow
	for at := 0; at < count; {
		j := j0 + at
		n, oy, ox := j/l, j%l/src.ow, j%src.ow
		r := convRun{at: at, n: min(count-at, src.ow-ox), iy: oy*s.StrideH - s.PadH, ix: ox*s.StrideW - s.PadW}
		r.base = n*s.Channels*src.chanHW + r.iy*s.Width + r.ix
		buf = append(buf, r)
		at += r.n
	}
	return buf
}

// span returns the positions [lo, hi) of run r whose input value under the
// tap (dy, dx) lies inside the input; the others read padding (zeros).
func (src *gemmSource[T]) span(r *convRun, dy, dx int) (lo, hi int) {
	s := &src.conv
	if s.PadH == 0 && s.PadW == 0 {
		return 0, r.n // every tap of every position lies inside
	}
	if y := r.iy + dy; y < 0 || y >= s.Height {
		return 0, 0
	}
	a, sw := r.ix+dx, s.StrideW
	if sw == 1 {
		return min(max(0, -a), r.n, max(0, s.Width-a)), min(r.n, max(0, s.Width-a))
	}
	if a < 0 {
		lo = (-a + sw - 1) / sw
	}
	if a <= s.Width-1 {
		hi = (s.Width-1-a)/sw + 1
	}
	hi = min(hi, r.n)
	return min(lo, hi), hi
}

// tapper steps through the rows of the im2col matrix (channel of the
// group, kernel row, kernel column) in order.
type tapper struct {
	c, p, q   int // the tap
	kh, kw    int
	dh, dw, w int
	chanHW    int
}

func (src *gemmSource[T]) tapper(t int) tapper {
	s := &src.conv
	return tapper{c: src.c0 + t/src.taps, p: t % src.taps / s.KernelW, q: t % s.KernelW,
		kh: s.KernelH, kw: s.KernelW, dh: s.DilationH, dw: s.DilationW, w: s.Width, chanHW: src.chanHW}
}

// offsets returns the tap's offset from a position's base, and the row and
// column it adds to the position's.
func (t *tapper) offsets() (delta, dy, dx int) {
	dy, dx = t.p*t.dh, t.q*t.dw
	return t.c*t.chanHW + dy*t.w + dx, dy, dx
}

// next steps to the following tap.
func (t *tapper) next() {
	if t.q++; t.q < t.kw {
		return
	}
	t.q = 0
	if t.p++; t.p < t.kh {
		return
	}
	t.p = 0
	t.c++
}

// packPatches packs rows [p0, p0+kc) (taps) and columns [j0, j0+nc)
// (output positions) of the im2col matrix into nr-wide micro-panels. The
// columns of a panel are split into runs along output rows; under each tap
// a run's values are read along one input row (contiguous at stride 1).
func (src *gemmSource[T]) packPatches(nr int, dst []T, p0, kc, j0, nc int) {
	x, sw := src.data, src.conv.StrideW
	// The taps' offsets, for all panels (kc ≤ 256 for every kernel).
	var delta, dy, dx [256]int
	tp := src.tapper(p0)
	ones := -1
	for p := 0; p < kc; p++ {
		if src.ones > 0 && p0+p == src.ones {
			ones = p // its offsets stay 0: a valid read, overwritten below
			continue
		}
		delta[p], dy[p], dx[p] = tp.offsets()
		tp.next()
	}
	contiguous := sw == 1 && !src.padded()
	x32, _ := any(x).([]float32)
	lo, hi := 0, 0
	if contiguous && x32 != nil {
		lo, hi = delta[0], delta[0]
		for _, o := range delta[:kc] {
			lo, hi = min(lo, o), max(hi, o)
		}
	}
	var buf [gemmMaxNR]convRun
	for jr := 0; jr < nc; jr += nr {
		panel := dst[jr*kc : (jr+nr)*kc]
		cols := min(nr, nc-jr)
		if cols < nr {
			clear(panel)
		}
		for _, r := range src.runs(buf[:0], j0+jr, cols) {
			if contiguous && x32 != nil && r.base+lo >= 0 &&
				gemmGather(r.n, x32[r.base:], delta[:kc], lo, hi, any(panel).([]float32)[r.at:], nr) {
				continue
			}
			switch {
			case contiguous && r.n == 16:
				for p, o := range delta[:kc] {
					*(*[16]T)(panel[p*nr+r.at:]) = *(*[16]T)(x[r.base+o:])
				}
			case contiguous && r.n == 8:
				for p, o := range delta[:kc] {
					*(*[8]T)(panel[p*nr+r.at:]) = *(*[8]T)(x[r.base+o:])
				}
			case contiguous:
				for p, o := range delta[:kc] {
					copy(panel[p*nr+r.at:p*nr+r.at+r.n], x[r.base+o:])
				}
			default:
				for p, o := range delta[:kc] {
					out := panel[p*nr+r.at : p*nr+r.at+r.n]
					lo, hi := src.span(&r, dy[p], dx[p])
					clear(out[:lo])
					clear(out[hi:])
					if lo < hi {
						from := x[r.base+o+lo*sw:]
						for k := range out[lo:hi] {
							out[lo+k] = from[k*sw]
						}
					}
				}
			}
		}
		if ones >= 0 {
			fill(panel[ones*nr:ones*nr+cols], 1)
		}
	}
}

// packPatchesT packs rows [p0, p0+kc) (output positions) and columns
// [j0, j0+nc) (taps) of the transposed im2col matrix into nr-wide
// micro-panels. The rows are split into runs along output rows; each tap
// of the panel reads a run's values along one input row and writes them
// down its column of the panel. At stride 1 without padding, the float32
// assembly kernels transpose eight taps by eight positions at a time.
func (src *gemmSource[T]) packPatchesT(buf *gemmBuffers[T], nr int, dst []T, p0, kc, j0, nc int) {
	runs := src.runs(buf.runs[:0], p0, kc)
	buf.runs = runs
	x32, _ := any(src.data).([]float32)
	fast := x32 != nil && nr == 16 && src.conv.StrideW == 1 && !src.padded()
	// The runs' whole blocks of eight positions, for the assembly: the
	// first value (under tap 0 of channel 0), the panel offset, the count.
	blockRuns := buf.blockRuns[:0]
	if fast {
		for _, r := range runs {
			if r.n >= 8 {
				blockRuns = append(blockRuns, [3]int{r.base, r.at * nr, r.n / 8})
			}
		}
		buf.blockRuns = blockRuns
	}
	var delta, dy, dx [gemmMaxNR]int
	for jr := 0; jr < nc; jr += nr {
		panel := dst[jr*kc : (jr+nr)*kc]
		cols := min(nr, nc-jr)
		if cols < nr {
			clear(panel)
		}
		if src.ones > 0 && j0+jr+cols > src.ones {
			// The last column, past the taps, is ones (it multiplies
			// into a bias's gradient).
			cols = src.ones - (j0 + jr)
			for p := 0; p < kc; p++ {
				panel[p*nr+cols] = 1
			}
		}
		tp := src.tapper(j0 + jr)
		for jj := 0; jj < cols; jj++ {
			delta[jj], dy[jj], dx[jj] = tp.offsets()
			tp.next()
		}
		jj := 0
		if fast {
			p32 := any(panel).([]float32)
			for ; jj+8 <= cols; jj += 8 {
				if !gemmTranspose8Runs(blockRuns, x32, (*[8]int)(delta[jj:jj+8]), p32[jj:], nr) {
					break
				}
				for i := range runs {
					r := &runs[i]
					if rest := r.n % 8; rest > 0 {
						for t := jj; t < jj+8; t++ {
							src.packRun(panel, nr, t, r, r.n-rest, r.n, delta[t], dy[t], dx[t])
						}
					}
				}
			}
		}
		for ; jj < cols; jj++ {
			for i := range runs {
				src.packRun(panel, nr, jj, &runs[i], 0, runs[i].n, delta[jj], dy[jj], dx[jj])
			}
		}
	}
}

// packRun writes the values of positions [from, to) of run r under one tap
// (offset delta, adding (dy, dx) to a position's row and column) down
// column jj of panel, zeros where they lie in the padding.
func (src *gemmSource[T]) packRun(panel []T, nr, jj int, r *convRun, from, to, delta, dy, dx int) {
	if from >= to {
		return
	}
	sw := src.conv.StrideW
	lo, hi := src.span(r, dy, dx)
	lo, hi = max(lo, from), min(hi, to)
	col := panel[r.at*nr+jj:]
	for k := from; k < min(lo, to); k++ {
		col[k*nr] = 0
	}
	for k := max(hi, from); k < to; k++ {
		col[k*nr] = 0
	}
	if lo >= hi {
		return
	}
	x := src.data[r.base+delta+lo*sw : r.base+delta+(hi-1)*sw+1]
	col = col[lo*nr:]
	if sw == 1 {
		for k, v := range x {
			col[k*nr] = v
		}
		return
	}
	for k := 0; k < hi-lo; k++ {
		col[k*nr] = x[k*sw]
	}
}

// padded reports whether the convolution reads past the input anywhere.
func (src *gemmSource[T]) padded() bool { return src.conv.PadH > 0 || src.conv.PadW > 0 }
