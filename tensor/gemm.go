package tensor

import (
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/descent-ml/descent/internal/parallel"
)

// Gemm computes C = alpha·op(A)·op(B) + beta·C where op(X) is X or Xᵀ.
// op(A) is m×k, op(B) is k×n and C is m×n; lda, ldb and ldc are the row
// strides (elements between consecutive rows) of A, B and C as stored.
//
// A is stored as m×k (k×m when transA), B as k×n (n×k when transB). When beta
// is 0, C is overwritten without being read, so it may hold anything (NaN
// included). When k or alpha is 0, A and B are not read and C = beta·C, as in
// the reference BLAS. Elements of c outside the m×n matrix (the padding of a
// row stride ldc > n) are never touched. C must not overlap A or B.
//
// Gemm panics, naming the dimensions, if a dimension is negative, a stride is
// smaller than the row length it steps over, or a slice is too short for the
// given dimensions and strides.
//
// Large products are split across the cores (see internal/parallel); small
// ones run on the calling goroutine. Packing buffers come from a pool, so
// repeated calls do not allocate once it is warm, beyond what parallel.For
// itself allocates for a parallel call.
func Gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	gemmCheck(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		gemmScale(m, n, beta, c, ldc)
		return
	}
	// A row or column of C: packing would cost as much as the product and
	// the 4×2 kernel would mostly multiply padding.
	if m == 1 {
		incx := 1
		if transA {
			incx = lda
		}
		gemmVector(n, k, alpha, a, incx, b, ldb, transB, beta, c, 1)
		return
	}
	if n == 1 { // Cᵀ = op(B)ᵀ·op(A)ᵀ
		incx := ldb
		if transB {
			incx = 1
		}
		gemmVector(m, k, alpha, b, incx, a, lda, !transA, beta, c, ldc)
		return
	}
	g := gemmProblem[T]{
		transA: transA, transB: transB,
		m: m, n: n, k: k,
		alpha: alpha, beta: beta,
		a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
	}

	// Split C into row bands (or column bands when n > m) made of whole
	// micro-tiles, one band per worker, each worker running the whole blocked
	// algorithm on its band with its own packing buffers. Splitting the
	// larger of m and n makes the duplicated packing (every band packs all of
	// op(B) when splitting rows, all of op(A) when splitting columns) the
	// smaller of the two panels. Each band gets at least gemmMinFlops of work
	// so that small products stay on the calling goroutine.
	splitRows := m >= n
	units, unitFlops := (n+gemmNR-1)/gemmNR, 2*float64(gemmNR)*float64(m)*float64(k)
	if splitRows {
		units, unitFlops = (m+gemmMR-1)/gemmMR, 2*float64(gemmMR)*float64(n)*float64(k)
	}
	grain := units
	if f := gemmMinFlops / unitFlops; f < float64(units) {
		grain = max(1, int(f)+1)
	}
	pool, s := gemmGetScratch[T]()
	defer pool.Put(s)
	if workers := parallel.Workers(); workers > 1 && units >= 2*grain {
		s.runParallel(&g, workers, units, grain, splitRows)
	} else {
		g.run(&s.buffers(1)[0], 0, m, 0, n)
	}
}

// Cache blocking, GotoBLAS/BLIS style. For its band of C each worker runs
//
//	for jc in steps of ≤gemmNC over the band's columns
//	  for pc in steps of ≤gemmKC over k
//	    pack op(B)[pc:pc+kc, jc:jc+nc] into NR-wide micro-panels   (L2/L3)
//	    for ic in steps of ≤gemmMC over the band's rows
//	      pack op(A)[ic:ic+mc, pc:pc+kc] into MR-tall micro-panels (L2)
//	      for jr over the B micro-panels      (kc×NR, stays in L1)
//	        for ir over the A micro-panels    (MR×kc, streamed from L2)
//	          micro-kernel: MR×NR tile of op(A)·op(B) over kc steps
//	          C tile = alpha·tile + beta'·C tile
//
// where beta' is beta for the first pc block and 1 for the others. Packing
// handles the transposes and the zero padding of edge tiles, so the kernel
// only ever sees contiguous, full micro-panels. The step sizes are balanced
// (k = 300 gives two blocks of 152 and 148, not 256 and 44) and kc is kept a
// multiple of 8 where possible, so the kernel's one-step tail loop rarely runs.
const (
	gemmKC = 256  // depth of a packed block: A micro-panel 4 KiB (float32)
	gemmMC = 128  // rows of a packed A block: 128 KiB (float32) in L2
	gemmNC = 2048 // columns of a packed B block: 2 MiB (float32)

	// gemmMinFlops is the least work (2·m·n·k) worth a worker of its own:
	// about 0.2 ms of compute, against a few µs to hand a band to another
	// core and wait for it.
	gemmMinFlops = 2 << 20
)

// gemmProblem holds the arguments of one Gemm call.
type gemmProblem[T Float] struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    T
	a              []T
	lda            int
	b              []T
	ldb            int
	c              []T
	ldc            int
}

// gemmScratch holds the packing buffers of one Gemm call, one pair per
// worker, and the state of a parallel call. A call takes a single
// gemmScratch from the pool, whichever goroutines its workers run on, so the
// pool's per-P caches stay warm.
type gemmScratch[T Float] struct {
	w []gemmBuffers[T]

	// Parallel calls: the problem, how it is split, how many bands have
	// started (updated atomically), and s.band as a func value made once,
	// so that handing it to parallel.For allocates nothing.
	p         gemmProblem[T]
	splitRows bool
	bands     int32
	body      func(lo, hi int)
}

// gemmBuffers holds one worker's packed blocks of op(A) and op(B).
type gemmBuffers[T Float] struct {
	a, b []T
}

// buffers returns n buffer pairs, adding empty ones if there are fewer.
func (s *gemmScratch[T]) buffers(n int) []gemmBuffers[T] {
	for len(s.w) < n {
		s.w = append(s.w, gemmBuffers[T]{})
	}
	return s.w[:n]
}

// gemmPools caches packing buffers between calls: reflect.Type of the
// element type → *sync.Pool of *gemmScratch[T]. It is a cache, not state:
// any buffer may be dropped at any time.
var gemmPools sync.Map

// gemmGetScratch takes a scratch buffer for element type T from the pool.
func gemmGetScratch[T Float]() (*sync.Pool, *gemmScratch[T]) {
	key := reflect.TypeFor[T]()
	p, ok := gemmPools.Load(key)
	if !ok {
		p, _ = gemmPools.LoadOrStore(key, &sync.Pool{New: func() any {
			s := new(gemmScratch[T])
			s.body = s.band
			return s
		}})
	}
	pool := p.(*sync.Pool)
	return pool, pool.Get().(*gemmScratch[T])
}

// gemmGrow returns buf resliced to n elements, reallocated if too small.
func gemmGrow[T Float](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// gemmStep returns the block size for covering n in blocks of at most
// limit: the blocks are made as even as possible and rounded up to a
// multiple of unit.
func gemmStep(n, limit, unit int) int {
	blocks := (n + limit - 1) / limit
	step := (n + blocks - 1) / blocks
	step = (step + unit - 1) / unit * unit
	return min(step, limit)
}

// run computes rows [i0, i1) and columns [j0, j1) of C with the blocked
// algorithm described above, packing into s.
func (g *gemmProblem[T]) run(s *gemmBuffers[T], i0, i1, j0, j1 int) {
	kcStep := gemmStep(g.k, gemmKC, 8)
	mcStep := gemmStep(i1-i0, gemmMC, gemmMR)
	ncStep := gemmStep(j1-j0, gemmNC, gemmNR)
	s.a = gemmGrow(s.a, gemmRoundUp(mcStep, gemmMR)*kcStep)
	s.b = gemmGrow(s.b, gemmRoundUp(ncStep, gemmNR)*kcStep)

	for jc := j0; jc < j1; jc += ncStep {
		nc := min(ncStep, j1-jc)
		for pc := 0; pc < g.k; pc += kcStep {
			kc := min(kcStep, g.k-pc)
			beta := g.beta
			if pc > 0 {
				beta = 1
			}
			bp := s.b[:gemmRoundUp(nc, gemmNR)*kc]
			gemmPackB(bp, g.b, g.ldb, g.transB, pc, kc, jc, nc)
			for ic := i0; ic < i1; ic += mcStep {
				mc := min(mcStep, i1-ic)
				ap := s.a[:gemmRoundUp(mc, gemmMR)*kc]
				gemmPackA(ap, g.a, g.lda, g.transA, ic, mc, pc, kc)
				gemmMacro(mc, nc, kc, ap, bp, g.c[ic*g.ldc+jc:], g.ldc, g.alpha, beta)
			}
		}
	}
}

// runParallel splits C into units bands of micro-tile rows (splitRows) or
// columns and runs them on parallel.For with the given grain, each band with
// its own buffers (workers pairs of them).
func (s *gemmScratch[T]) runParallel(g *gemmProblem[T], workers, units, grain int, splitRows bool) {
	s.buffers(workers)
	s.p, s.splitRows = *g, splitRows
	atomic.StoreInt32(&s.bands, 0)
	parallel.For(units, grain, s.body)
	s.p = gemmProblem[T]{} // do not keep the caller's matrices alive in the pool
}

// band runs bands [lo, hi) of the problem set up by runParallel.
func (s *gemmScratch[T]) band(lo, hi int) {
	var buf *gemmBuffers[T]
	if i := int(atomic.AddInt32(&s.bands, 1) - 1); i < len(s.w) {
		buf = &s.w[i]
	} else {
		// More bands than workers: GOMAXPROCS grew since Workers().
		buf = new(gemmBuffers[T])
	}
	if s.splitRows {
		s.p.run(buf, lo*gemmMR, min(hi*gemmMR, s.p.m), 0, s.p.n)
	} else {
		s.p.run(buf, 0, s.p.m, lo*gemmNR, min(hi*gemmNR, s.p.n))
	}
}

// gemmRoundUp rounds n up to a multiple of unit.
func gemmRoundUp(n, unit int) int { return (n + unit - 1) / unit * unit }

// gemmMacro multiplies a packed mc×kc block of op(A) by a packed kc×nc block
// of op(B) into the mc×nc block of C at the start of c: C = alpha·AB + beta·C.
// The jr loop is outside so that each B micro-panel is reused from L1 by all
// the A micro-panels.
func gemmMacro[T Float](mc, nc, kc int, ap, bp, c []T, ldc int, alpha, beta T) {
	var acc [gemmMR * gemmNR]T
	for jr := 0; jr < nc; jr += gemmNR {
		nr := min(gemmNR, nc-jr)
		bpan := bp[jr*kc : (jr+gemmNR)*kc]
		for ir := 0; ir < mc; ir += gemmMR {
			mr := min(gemmMR, mc-ir)
			gemmKernel4x2(kc, ap[ir*kc:(ir+gemmMR)*kc], bpan, &acc)
			if mr == gemmMR && nr == gemmNR {
				gemmStoreFull(c[ir*ldc+jr:], ldc, &acc, alpha, beta)
			} else {
				gemmStoreEdge(c[ir*ldc+jr:], ldc, mr, nr, &acc, alpha, beta)
			}
		}
	}
}

// gemmStoreFull sets the full MR×NR tile of C at the start of c to
// alpha·acc + beta·C, not reading C when beta is 0.
func gemmStoreFull[T Float](c []T, ldc int, acc *[gemmMR * gemmNR]T, alpha, beta T) {
	r0 := c[:gemmNR:gemmNR]
	r1 := c[ldc : ldc+gemmNR : ldc+gemmNR]
	r2 := c[2*ldc : 2*ldc+gemmNR : 2*ldc+gemmNR]
	r3 := c[3*ldc : 3*ldc+gemmNR : 3*ldc+gemmNR]
	switch beta {
	case 0:
		r0[0], r0[1] = alpha*acc[0], alpha*acc[1]
		r1[0], r1[1] = alpha*acc[2], alpha*acc[3]
		r2[0], r2[1] = alpha*acc[4], alpha*acc[5]
		r3[0], r3[1] = alpha*acc[6], alpha*acc[7]
	case 1:
		r0[0], r0[1] = r0[0]+alpha*acc[0], r0[1]+alpha*acc[1]
		r1[0], r1[1] = r1[0]+alpha*acc[2], r1[1]+alpha*acc[3]
		r2[0], r2[1] = r2[0]+alpha*acc[4], r2[1]+alpha*acc[5]
		r3[0], r3[1] = r3[0]+alpha*acc[6], r3[1]+alpha*acc[7]
	default:
		r0[0], r0[1] = beta*r0[0]+alpha*acc[0], beta*r0[1]+alpha*acc[1]
		r1[0], r1[1] = beta*r1[0]+alpha*acc[2], beta*r1[1]+alpha*acc[3]
		r2[0], r2[1] = beta*r2[0]+alpha*acc[4], beta*r2[1]+alpha*acc[5]
		r3[0], r3[1] = beta*r3[0]+alpha*acc[6], beta*r3[1]+alpha*acc[7]
	}
}

// gemmStoreEdge is gemmStoreFull for the mr×nr corner of a tile that sticks
// out of C; the rest of acc is padding and is dropped.
func gemmStoreEdge[T Float](c []T, ldc, mr, nr int, acc *[gemmMR * gemmNR]T, alpha, beta T) {
	for i := 0; i < mr; i++ {
		row := c[i*ldc : i*ldc+nr]
		t := acc[i*gemmNR : i*gemmNR+nr]
		for j := range row {
			if beta == 0 {
				row[j] = alpha * t[j]
			} else {
				row[j] = beta*row[j] + alpha*t[j]
			}
		}
	}
}

// gemmPackA packs op(A)[i0:i0+mc, p0:p0+kc] into dst as MR-tall
// micro-panels: panel r holds rows i0+r·MR … i0+r·MR+MR-1, step by step
// (MR values per step), rows past mc filled with zeros. trans says A is
// stored transposed (k×m).
func gemmPackA[T Float](dst, a []T, lda int, trans bool, i0, mc, p0, kc int) {
	for ir := 0; ir < mc; ir += gemmMR {
		panel := dst[ir*kc : (ir+gemmMR)*kc]
		rows := min(gemmMR, mc-ir)
		switch {
		case !trans && rows == gemmMR:
			// Four rows of A, read along k.
			off := (i0+ir)*lda + p0
			a0 := a[off : off+kc]
			a1 := a[off+lda : off+lda+kc]
			a2 := a[off+2*lda : off+2*lda+kc]
			a3 := a[off+3*lda : off+3*lda+kc]
			for p := range a0 {
				d := (*[gemmMR]T)(panel[p*gemmMR:])
				d[0], d[1], d[2], d[3] = a0[p], a1[p], a2[p], a3[p]
			}
		case trans && rows == gemmMR:
			// Rows of the stored k×m matrix hold MR consecutive values of
			// a column of op(A).
			for p := 0; p < kc; p++ {
				off := (p0+p)*lda + i0 + ir
				s := (*[gemmMR]T)(a[off : off+gemmMR])
				d := (*[gemmMR]T)(panel[p*gemmMR:])
				*d = *s
			}
		default:
			// Edge panel: pad with zeros.
			clear(panel)
			for i := 0; i < rows; i++ {
				for p := 0; p < kc; p++ {
					if trans {
						panel[p*gemmMR+i] = a[(p0+p)*lda+i0+ir+i]
					} else {
						panel[p*gemmMR+i] = a[(i0+ir+i)*lda+p0+p]
					}
				}
			}
		}
	}
}

// gemmPackB packs op(B)[p0:p0+kc, j0:j0+nc] into dst as NR-wide
// micro-panels: panel r holds columns j0+r·NR … j0+r·NR+NR-1, step by step
// (NR values per step), columns past nc filled with zeros. trans says B is
// stored transposed (n×k).
func gemmPackB[T Float](dst, b []T, ldb int, trans bool, p0, kc, j0, nc int) {
	for jr := 0; jr < nc; jr += gemmNR {
		panel := dst[jr*kc : (jr+gemmNR)*kc]
		cols := min(gemmNR, nc-jr)
		switch {
		case !trans && cols == gemmNR:
			// Rows of B hold NR consecutive values of a row of op(B).
			for p := 0; p < kc; p++ {
				off := (p0+p)*ldb + j0 + jr
				s := (*[gemmNR]T)(b[off : off+gemmNR])
				d := (*[gemmNR]T)(panel[p*gemmNR:])
				*d = *s
			}
		case trans && cols == gemmNR:
			// Two rows of the stored n×k matrix, read along k.
			off := (j0+jr)*ldb + p0
			b0 := b[off : off+kc]
			b1 := b[off+ldb : off+ldb+kc]
			for p := range b0 {
				d := (*[gemmNR]T)(panel[p*gemmNR:])
				d[0], d[1] = b0[p], b1[p]
			}
		default:
			// Edge panel: pad with zeros.
			clear(panel)
			for j := 0; j < cols; j++ {
				for p := 0; p < kc; p++ {
					if trans {
						panel[p*gemmNR+j] = b[(j0+jr+j)*ldb+p0+p]
					} else {
						panel[p*gemmNR+j] = b[(p0+p)*ldb+j0+jr+j]
					}
				}
			}
		}
	}
}

// gemmVector computes y = alpha·x·M + beta·y for a 1×k row vector x and a
// k×n matrix M, without packing: Gemm's m = 1 case, and its n = 1 case as
// Cᵀ = op(B)ᵀ·op(A)ᵀ. x_p is x[p*incx], y_j is y[j*incy] and M(p, j) is
// mat[p*ldm+j], or mat[j*ldm+p] when mTrans. y is not read when beta is 0.
func gemmVector[T Float](n, k int, alpha T, x []T, incx int, mat []T, ldm int, mTrans bool, beta T, y []T, incy int) {
	if mTrans {
		// y_j is the dot product of x with row j of the stored n×k matrix.
		for j := 0; j < n; j++ {
			row := mat[j*ldm : j*ldm+k]
			var s T
			if incx == 1 {
				s = gemmDot(x[:k], row)
			} else {
				for p, v := range row {
					s += x[p*incx] * v
				}
			}
			if yj := &y[j*incy]; beta == 0 {
				*yj = alpha * s
			} else {
				*yj = alpha*s + beta**yj
			}
		}
		return
	}
	// y = beta·y, then y += (alpha·x_p)·(row p of the stored k×n matrix).
	for j := 0; j < n; j++ {
		if beta == 0 {
			y[j*incy] = 0
		} else {
			y[j*incy] *= beta
		}
	}
	for p := 0; p < k; p++ {
		s := alpha * x[p*incx]
		row := mat[p*ldm : p*ldm+n]
		if incy == 1 {
			yr := y[:len(row)]
			for j, v := range row {
				yr[j] += s * v
			}
		} else {
			for j, v := range row {
				y[j*incy] += s * v
			}
		}
	}
}

// gemmDot returns the dot product of x and y[:len(x)], summed in four
// interleaved partial sums.
func gemmDot[T Float](x, y []T) T {
	y = y[:len(x)]
	var s0, s1, s2, s3 T
	for len(x) >= 4 && len(y) >= 4 {
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
		x, y = x[4:], y[4:]
	}
	for i := range x {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// gemmScale sets C = beta·C for the m×n matrix C, without reading C when
// beta is 0.
func gemmScale[T Float](m, n int, beta T, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// gemmCheck panics unless the slices and strides hold the matrices that the
// dimensions describe.
func gemmCheck(transA, transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("tensor.Gemm: negative dimension: m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	gemmCheckMatrix("a", "lda", transA, ar, ac, la, lda, m, n, k)
	gemmCheckMatrix("b", "ldb", transB, br, bc, lb, ldb, m, n, k)
	gemmCheckMatrix("c", "ldc", false, m, n, lc, ldc, m, n, k)
}

// gemmCheckMatrix panics unless a slice of length length with row stride ld
// holds a rows×cols matrix. The stride only matters with two rows or more.
func gemmCheckMatrix(name, ldName string, trans bool, rows, cols, length, ld, m, n, k int) {
	if rows == 0 || cols == 0 {
		return
	}
	if rows > 1 && ld < cols {
		panic(fmt.Sprintf("tensor.Gemm: %s=%d is less than the %d columns of %s stored as %d×%d (m=%d n=%d k=%d, trans=%v)",
			ldName, ld, cols, name, rows, cols, m, n, k, trans))
	}
	if need := (rows-1)*ld + cols; length < need {
		panic(fmt.Sprintf("tensor.Gemm: len(%s)=%d, need %d for %s stored as %d×%d with %s=%d (m=%d n=%d k=%d, trans=%v)",
			name, length, need, name, rows, cols, ldName, ld, m, n, k, trans))
	}
}
