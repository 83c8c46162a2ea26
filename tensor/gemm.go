package tensor

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"unsafe"

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
// On amd64 processors with AVX2 and FMA the products run on assembly
// micro-kernels (6×16 for float32, 6×8 for float64); elsewhere, and in
// builds with the purego tag, on a portable Go kernel. Both share the
// blocking and packing below and differ only in rounding (the order of the
// sums). Large products are split across the cores (see internal/parallel);
// small ones run on the calling goroutine. Packing buffers come from a pool,
// so repeated calls do not allocate once it is warm, beyond what
// parallel.For itself allocates for a parallel call.
func Gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	gemm(gemmDefault, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmKernels is one micro-kernel per element type: the set Gemm uses
// (gemmDefault), or one that a test picks.
type gemmKernels struct {
	f32 *gemmKernel[float32]
	f64 *gemmKernel[float64]
}

// gemm is Gemm with the kernels of ks. Element types whose underlying type
// is float32 or float64 but that are not float32 or float64 themselves
// (type f32 float32) are viewed as float32 or float64 slices: they have the
// same size and layout, so the kernels cannot tell them apart.
func gemm[T Float](ks gemmKernels, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	gemmCheck(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		gemmScale(m, n, beta, c, ldc)
		return
	}
	switch x := any(a).(type) {
	case []float32:
		gemmRun(ks.f32, transA, transB, m, n, k, float32(alpha), x, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		gemmRun(ks.f64, transA, transB, m, n, k, float64(alpha), x, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	default:
		if unsafe.Sizeof(alpha) == 4 {
			gemmRun(ks.f32, transA, transB, m, n, k, float32(alpha), gemmView[float32](a), lda, gemmView[float32](b), ldb, float32(beta), gemmView[float32](c), ldc)
		} else {
			gemmRun(ks.f64, transA, transB, m, n, k, float64(alpha), gemmView[float64](a), lda, gemmView[float64](b), ldb, float64(beta), gemmView[float64](c), ldc)
		}
	}
}

// gemmView returns s viewed as a []U; T's underlying type must be U.
func gemmView[U gemmElem, T Float](s []T) []U {
	return unsafe.Slice((*U)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// gemmElem is an element type that the blocked algorithm is compiled for.
type gemmElem interface{ float32 | float64 }

// gemmRun is Gemm for m, n, k > 0 and alpha ≠ 0 with the micro-kernel kern.
func gemmRun[T gemmElem](kern *gemmKernel[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	// A row or column of C: packing would cost as much as the product and
	// the micro-kernel would mostly multiply padding.
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
		kern:   kern,
		transA: transA, transB: transB,
		m: m, n: n, k: k,
		alpha: alpha, beta: beta,
		a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
	}
	g.solve()
}

// solve runs the blocked algorithm on g (m, n, k > 0 and alpha ≠ 0), in
// parallel when it is large enough.
func (g *gemmProblem[T]) solve() {
	kern, m, n, k := g.kern, g.m, g.n, g.k

	// Split C into row bands (or column bands when n > m) made of whole
	// micro-tiles, each worker running the whole blocked algorithm on the
	// bands it takes (see runParallel). Every band needs all of op(B) when
	// splitting rows, all of op(A) when splitting columns; splitting the
	// larger of m and n makes that shared panel the smaller of the two.
	// Each band gets at least gemmMinFlops of work so that small products
	// stay on the calling goroutine.
	mr, nr := kern.mr, kern.nr
	splitRows := m >= n
	units, unitFlops := (n+nr-1)/nr, 2*float64(nr)*float64(m)*float64(k)
	if splitRows {
		units, unitFlops = (m+mr-1)/mr, 2*float64(mr)*float64(n)*float64(k)
	}
	grain := units
	if f := gemmMinFlops / unitFlops; f < float64(units) {
		grain = max(1, int(f)+1)
	}
	pool := cacheOf[gemmScratch[T]]()
	s := pool.Get()
	defer pool.Put(s)
	if workers := parallel.Workers(); workers > 1 && units >= 2*grain {
		s.runParallel(g, workers, units, grain, splitRows)
	} else {
		g.run(&s.buffers(1)[0], 0, m, 0, n, nil, nil)
	}
}

// Cache blocking, GotoBLAS/BLIS style. For its band of C each worker runs
//
//	for jc in steps of ≤NC over the band's columns
//	  for pc in steps of ≤KC over k
//	    pack op(B)[pc:pc+kc, jc:jc+nc] into NR-wide micro-panels   (L3)
//	    for ic in steps of ≤MC over the band's rows
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
// multiple of 8 where possible, so the kernels' one-step tail loops rarely
// run. MR, NR, MC, KC and NC belong to the micro-kernel (gemmKernel).

// gemmMinFlops is the least work (2·m·n·k) worth a worker of its own: about
// 0.02 ms of compute for the assembly kernels (0.2 ms for the Go one),
// against a few µs to hand a band to another core and wait for it.
const gemmMinFlops = 2 << 20

// gemmProblem holds the arguments of one Gemm call.
type gemmProblem[T gemmElem] struct {
	kern           *gemmKernel[T]
	transA, transB bool
	m, n, k        int
	alpha, beta    T
	a              []T
	lda            int
	b              []T
	ldb            int
	c              []T
	ldc            int

	// srcA and srcB, when their kind is not gemmFromSlice, supply op(A)
	// or op(B) in place of a and b: matrices that are not stored as one
	// strided array (see gemmSource).
	srcA, srcB gemmSource[T]
	// cBatch > 0 says C's columns come in batches of cBatch, cStride
	// apart: element (i, j) is c[i·ldc + (j/cBatch)·cStride + j%cBatch].
	// A convolution's output, one O×OH·OW matrix per image, is such a C.
	cBatch, cStride int
	// cExtra, when set, is C's last column (element (i, n−1) is
	// cExtra[i]), the others being in c: a convolution's bias gradient
	// beside its weight gradient.
	cExtra []T
}

// gemmScratch holds the packing buffers of one Gemm call, one set per
// worker, and the state of a parallel call. A call takes a single
// gemmScratch from the pool, whichever goroutines its workers run on, so the
// pool's per-P caches stay warm.
type gemmScratch[T gemmElem] struct {
	w []gemmBuffers[T]

	// shared holds, in a parallel call, the panel that all bands need,
	// packed once: op(B) for row bands, op(A) for column bands (see
	// runParallel).
	shared []T

	// Parallel calls: the problem, how it is split (units micro-tile rows
	// or columns in nbands bands), the packing tasks of the shared panel
	// (none when it is not shared), and counters updated atomically: the
	// next packing task, the packing tasks done, the workers started and
	// the next band. body is s.band as a func value made once, so that
	// handing it to parallel.For allocates nothing.
	p                  gemmProblem[T]
	splitRows          bool
	units, nbands      int
	packTasks          int
	packNext, packDone int32
	started, next      int32
	body               func(lo, hi int)
}

// gemmBuffers holds one worker's packed blocks of op(A) and op(B), a tile
// that edge tiles of C are computed into before their in-range part is
// stored, and the runs that packing the im2col matrix works with (see
// gemmSource).
type gemmBuffers[T gemmElem] struct {
	a, b, tile []T
	runs       []convRun
	blockRuns  [][3]int
}

// buffers returns n buffer sets, adding empty ones if there are fewer.
func (s *gemmScratch[T]) buffers(n int) []gemmBuffers[T] {
	for len(s.w) < n {
		s.w = append(s.w, gemmBuffers[T]{})
	}
	return s.w[:n]
}

func (s *gemmScratch[T]) init() { s.body = s.band }

// gemmGrow returns buf resliced to n elements, reallocated if too small.
func gemmGrow[T gemmElem](buf []T, n int) []T {
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
// algorithm described above, packing into s. sharedA, if not nil, holds all
// of op(A) already packed (gemmSharedOffset gives the layout), and then
// [i0, i1) must be all of C's rows; likewise sharedB for op(B) and the
// columns.
func (g *gemmProblem[T]) run(s *gemmBuffers[T], i0, i1, j0, j1 int, sharedA, sharedB []T) {
	kern := g.kern
	mr, nr := kern.mr, kern.nr
	kcStep := gemmStep(g.k, kern.kc, 8)
	mcStep := gemmStep(i1-i0, kern.mc, mr)
	ncStep := gemmStep(j1-j0, kern.nc, nr)
	if sharedA == nil {
		s.a = gemmGrow(s.a, gemmRoundUp(mcStep, mr)*kcStep)
	}
	if sharedB == nil {
		s.b = gemmGrow(s.b, gemmRoundUp(ncStep, nr)*kcStep)
	}
	s.tile = gemmGrow(s.tile, mr*nr)

	for jc := j0; jc < j1; jc += ncStep {
		nc := min(ncStep, j1-jc)
		for pc := 0; pc < g.k; pc += kcStep {
			kc := min(kcStep, g.k-pc)
			beta := g.beta
			if pc > 0 {
				beta = 1
			}
			size := gemmRoundUp(nc, nr) * kc
			var bp []T
			if sharedB != nil {
				off := gemmSharedOffset(jc, nc, nr, g.k, pc)
				bp = sharedB[off : off+size]
			} else {
				bp = s.b[:size]
				g.packB(s, bp, pc, kc, jc, nc)
			}
			for ic := i0; ic < i1; ic += mcStep {
				mc := min(mcStep, i1-ic)
				size := gemmRoundUp(mc, mr) * kc
				var ap []T
				if sharedA != nil {
					off := gemmSharedOffset(ic, mc, mr, g.k, pc)
					ap = sharedA[off : off+size]
				} else {
					ap = s.a[:size]
					g.packA(ap, ic, mc, pc, kc)
				}
				g.macro(mc, nc, kc, ap, bp, ic, jc, beta, s.tile)
			}
		}
	}
}

// A shared panel is all of op(B) (or op(A)) packed at once, in the order
// that run reads it: blocks of NC columns (MC rows) from the first, each
// block in steps of KC over k, each (block, step) a run of NR-wide
// (MR-tall) micro-panels. gemmSharedOffset returns where the packed block
// of columns (rows) [blk, blk+size) and steps [pc, pc+kc) starts, w being
// NR (MR). Every block before blk is full and a multiple of w wide, so
// blk·k values precede it.
func gemmSharedOffset(blk, size, w, k, pc int) int {
	return blk*k + gemmRoundUp(size, w)*pc
}

// gemmPackTaskValues is about how many values one task of packing a shared
// panel packs: enough to make a task's overhead small, few enough that two
// workers split even a small panel.
const gemmPackTaskValues = 16 << 10

// gemmPackTask locates packing task t of a shared panel of total columns
// (or rows), packed in blocks of blockStep, each in steps of kcStep over k,
// each (block, step) in tasks of group micro-panels of width w. It returns
// the block, its size, the step pc and its kc, and the columns (rows)
// [r0, r0+extent) of the block that the task packs; ok is false when t is
// past the last task. With t < 0 it returns the number of tasks as r0.
func gemmPackTask(t, total, blockStep, w, k, kcStep, group int) (blk, size, pc, kc, r0, extent int, ok bool) {
	steps := (k + kcStep - 1) / kcStep
	count := 0
	for blk = 0; blk < total; blk += blockStep {
		size = min(blockStep, total-blk)
		groups := ((size+w-1)/w + group - 1) / group
		if t < 0 || t >= groups*steps {
			count += groups * steps
			t -= groups * steps
			continue
		}
		pc = t / groups * kcStep
		kc = min(kcStep, k-pc)
		r0 = t % groups * group * w
		return blk, size, pc, kc, r0, min(group*w, size-r0), true
	}
	return 0, 0, 0, 0, count, 0, false
}

// gemmBandsPerWorker is how many bands a parallel Gemm makes per worker,
// work permitting, when the panel that all bands need is shared. Workers
// take bands as they come free, so a worker that starts late (its goroutine
// waiting for a thread, as on a loaded machine, where that takes 0.1 ms or
// more) leaves its bands to the others instead of holding up the call.
const gemmBandsPerWorker = 4

// gemmMaxShared is the largest shared panel, in values (16 MiB of
// float32), of the kernels' maxShared. Beyond it each band packs the blocks
// it needs itself, one band per worker; a product that large runs long
// enough for the re-packing (1–2%) and a worker's late start not to matter.
const gemmMaxShared = 4 << 20

// runParallel splits C into bands of micro-tile rows (splitRows) or columns,
// units of them in all, at least grain units a band, and runs them on up to
// workers goroutines, each with its own buffers. The panel that every band
// needs, op(B) for row bands and op(A) for column bands, is packed once, in
// tasks that the workers share before they start on the bands, when it
// holds at most kern.maxShared values.
func (s *gemmScratch[T]) runParallel(g *gemmProblem[T], workers, units, grain int, splitRows bool) {
	s.buffers(workers)
	s.p, s.splitRows = *g, splitRows
	kern := g.kern
	kcStep := gemmStep(g.k, kern.kc, 8)
	total, blockStep, w := g.m, gemmStep(g.m, kern.mc, kern.mr), kern.mr
	if splitRows {
		total, blockStep, w = g.n, gemmStep(g.n, kern.nc, kern.nr), kern.nr
	}
	bands := workers
	s.packTasks = 0
	if size := gemmRoundUp(total, w) * g.k; size <= kern.maxShared {
		s.shared = gemmGrow(s.shared, size)
		_, _, _, _, s.packTasks, _, _ = gemmPackTask(-1, total, blockStep, w, g.k, kcStep, gemmPackGroup(w, kcStep))
		bands = gemmBandsPerWorker * workers
	}
	s.units, s.nbands = units, max(1, min(units/grain, bands))
	atomic.StoreInt32(&s.packNext, 0)
	atomic.StoreInt32(&s.packDone, 0)
	atomic.StoreInt32(&s.started, 0)
	atomic.StoreInt32(&s.next, 0)
	parallel.For(workers, 1, s.body)
	s.p = gemmProblem[T]{} // do not keep the caller's matrices alive in the pool
}

// gemmPackGroup is the number of micro-panels of width w in one packing
// task of a shared panel.
func gemmPackGroup(w, kcStep int) int { return max(1, gemmPackTaskValues/(w*kcStep)) }

// band is the body of one worker of runParallel (parallel.For calls it once
// per worker; lo and hi only count the workers). It packs tasks of the
// shared panel until none is left, waits for the tasks that other workers
// hold, then runs bands until none is left.
func (s *gemmScratch[T]) band(lo, hi int) {
	var buf *gemmBuffers[T]
	if i := int(atomic.AddInt32(&s.started, 1) - 1); i < len(s.w) {
		buf = &s.w[i]
	} else {
		// More workers than buffers: GOMAXPROCS grew since Workers().
		buf = new(gemmBuffers[T])
	}
	g := &s.p
	kern := g.kern
	mr, nr := kern.mr, kern.nr
	var sharedA, sharedB []T
	if s.packTasks > 0 {
		for {
			t := int(atomic.AddInt32(&s.packNext, 1) - 1)
			if t >= s.packTasks {
				break
			}
			s.packTask(buf, t)
			atomic.AddInt32(&s.packDone, 1)
		}
		// The other workers' tasks are a few µs each.
		for atomic.LoadInt32(&s.packDone) < int32(s.packTasks) {
			runtime.Gosched()
		}
		if s.splitRows {
			sharedB = s.shared
		} else {
			sharedA = s.shared
		}
	}
	for {
		b := int(atomic.AddInt32(&s.next, 1) - 1)
		if b >= s.nbands {
			return
		}
		lo, hi := b*s.units/s.nbands, (b+1)*s.units/s.nbands
		if s.splitRows {
			g.run(buf, lo*mr, min(hi*mr, g.m), 0, g.n, nil, sharedB)
		} else {
			g.run(buf, 0, g.m, lo*nr, min(hi*nr, g.n), sharedA, nil)
		}
	}
}

// packTask packs task t of the shared panel (see gemmPackTask).
func (s *gemmScratch[T]) packTask(buf *gemmBuffers[T], t int) {
	g := &s.p
	kern := g.kern
	kcStep := gemmStep(g.k, kern.kc, 8)
	if s.splitRows {
		nr := kern.nr
		jc, nc, pc, kc, j0, cols, _ := gemmPackTask(t, g.n, gemmStep(g.n, kern.nc, nr), nr, g.k, kcStep, gemmPackGroup(nr, kcStep))
		off := gemmSharedOffset(jc, nc, nr, g.k, pc) + j0*kc
		g.packB(buf, s.shared[off:off+gemmRoundUp(cols, nr)*kc], pc, kc, jc+j0, cols)
		return
	}
	mr := kern.mr
	ic, mc, pc, kc, i0, rows, _ := gemmPackTask(t, g.m, gemmStep(g.m, kern.mc, mr), mr, g.k, kcStep, gemmPackGroup(mr, kcStep))
	off := gemmSharedOffset(ic, mc, mr, g.k, pc) + i0*kc
	g.packA(s.shared[off:off+gemmRoundUp(rows, mr)*kc], ic+i0, rows, pc, kc)
}

// gemmRoundUp rounds n up to a multiple of unit.
func gemmRoundUp(n, unit int) int { return (n + unit - 1) / unit * unit }

// macro multiplies a packed mc×kc block of op(A) by a packed kc×nc block
// of op(B) into the mc×nc block of C at row ic and column jc:
// C = alpha·AB + beta·C. The jr loop is outside so that each B micro-panel
// is reused from L1 by all the A micro-panels. Tiles that stick out of C, or
// that straddle two batches of a batched C, are computed into tile and
// stored element by element.
func (g *gemmProblem[T]) macro(mc, nc, kc int, ap, bp []T, ic, jc int, beta T, tile []T) {
	kern := g.kern
	mr, nr := kern.mr, kern.nr
	c, ldc, alpha := g.c, g.ldc, g.alpha
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		bpan := bp[jr*kc : (jr+nr)*kc]
		j := jc + jr
		col, split := j, false
		if cb := g.cBatch; cb > 0 {
			col, split = j/cb*g.cStride+j%cb, j%cb+cols > cb
		}
		extra := g.cExtra != nil && j+cols == g.n // the tile holds the last column
		for ir := 0; ir < mc; ir += mr {
			rows := min(mr, mc-ir)
			apan := ap[ir*kc : (ir+mr)*kc]
			off := (ic+ir)*ldc + col
			switch {
			case extra:
				kern.tile(kc, apan, bpan, tile, nr, 1, 0)
				if cols > 1 {
					gemmStoreEdge(c[off:], ldc, rows, cols-1, tile, nr, alpha, beta)
				}
				gemmStoreEdge(g.cExtra[ic+ir:], 1, rows, 1, tile[cols-1:], nr, alpha, beta)
			case rows == mr && cols == nr && !split:
				kern.tile(kc, apan, bpan, c[off:], ldc, alpha, beta)
			case !split:
				kern.tile(kc, apan, bpan, tile, nr, 1, 0)
				gemmStoreEdge(c[off:], ldc, rows, cols, tile, nr, alpha, beta)
			default:
				kern.tile(kc, apan, bpan, tile, nr, 1, 0)
				for jj := 0; jj < cols; jj++ {
					cj := (j+jj)/g.cBatch*g.cStride + (j+jj)%g.cBatch
					gemmStoreEdge(c[(ic+ir)*ldc+cj:], ldc, rows, 1, tile[jj:], nr, alpha, beta)
				}
			}
		}
	}
}

// gemmStoreEdge sets the rows×cols block of C at the start of c to
// alpha·t + beta·C, where t holds the block with row stride ldt; C is not
// read when beta is 0.
func gemmStoreEdge[T gemmElem](c []T, ldc, rows, cols int, t []T, ldt int, alpha, beta T) {
	for i := 0; i < rows; i++ {
		row := c[i*ldc : i*ldc+cols]
		ti := t[i*ldt : i*ldt+cols]
		if beta == 0 {
			for j := range row {
				row[j] = alpha * ti[j]
			}
			continue
		}
		for j := range row {
			row[j] = beta*row[j] + alpha*ti[j]
		}
	}
}

// gemmPackA packs op(A)[i0:i0+mc, p0:p0+kc] into dst as mr-tall
// micro-panels: panel r holds rows i0+r·mr … i0+r·mr+mr-1, step by step
// (mr values per step), rows past mc filled with zeros. trans says A is
// stored transposed (k×m). mr is the micro-kernel's MR; full panels go to
// the kernel's packFull where it has one, the usual others have unrolled
// paths here.
func gemmPackA[T gemmElem](mr int, packFull func(panel, a []T, lda int, trans bool, kc int), dst, a []T, lda int, trans bool, i0, mc, p0, kc int) {
	for ir := 0; ir < mc; ir += mr {
		panel := dst[ir*kc : (ir+mr)*kc]
		rows := min(mr, mc-ir)
		switch {
		case rows == mr && packFull != nil:
			off := (i0+ir)*lda + p0
			if trans {
				off = p0*lda + i0 + ir
			}
			packFull(panel, a[off:], lda, trans, kc)
		case !trans && rows == 6 && mr == 6:
			// Six rows of A, read along k.
			off := (i0+ir)*lda + p0
			a0 := a[off : off+kc]
			a1 := a[off+lda : off+lda+kc]
			a2 := a[off+2*lda : off+2*lda+kc]
			a3 := a[off+3*lda : off+3*lda+kc]
			a4 := a[off+4*lda : off+4*lda+kc]
			a5 := a[off+5*lda : off+5*lda+kc]
			for p := range a0 {
				d := (*[6]T)(panel[p*6:])
				d[0], d[1], d[2], d[3], d[4], d[5] = a0[p], a1[p], a2[p], a3[p], a4[p], a5[p]
			}
		case !trans && rows == 4 && mr == 4:
			off := (i0+ir)*lda + p0
			a0 := a[off : off+kc]
			a1 := a[off+lda : off+lda+kc]
			a2 := a[off+2*lda : off+2*lda+kc]
			a3 := a[off+3*lda : off+3*lda+kc]
			for p := range a0 {
				d := (*[4]T)(panel[p*4:])
				d[0], d[1], d[2], d[3] = a0[p], a1[p], a2[p], a3[p]
			}
		case trans && rows == 6 && mr == 6:
			// Rows of the stored k×m matrix hold mr consecutive values of
			// a column of op(A).
			for p := 0; p < kc; p++ {
				off := (p0+p)*lda + i0 + ir
				*(*[6]T)(panel[p*6:]) = *(*[6]T)(a[off:])
			}
		case trans && rows == 4 && mr == 4:
			for p := 0; p < kc; p++ {
				off := (p0+p)*lda + i0 + ir
				*(*[4]T)(panel[p*4:]) = *(*[4]T)(a[off:])
			}
		default:
			// Any other mr, or an edge panel: pad with zeros.
			if rows < mr {
				clear(panel)
			}
			for i := 0; i < rows; i++ {
				if trans {
					for p := 0; p < kc; p++ {
						panel[p*mr+i] = a[(p0+p)*lda+i0+ir+i]
					}
				} else {
					row := a[(i0+ir+i)*lda+p0 : (i0+ir+i)*lda+p0+kc]
					for p, v := range row {
						panel[p*mr+i] = v
					}
				}
			}
		}
	}
}

// gemmPackB packs op(B)[p0:p0+kc, j0:j0+nc] into dst as nr-wide
// micro-panels: panel r holds columns j0+r·nr … j0+r·nr+nr-1, step by step
// (nr values per step), columns past nc filled with zeros. trans says B is
// stored transposed (n×k). nr is the micro-kernel's NR; full panels go to
// the kernel's packFull where it has one, the usual others have unrolled
// paths here.
func gemmPackB[T gemmElem](nr int, packFull func(panel, b []T, ldb int, trans bool, kc int), dst, b []T, ldb int, trans bool, p0, kc, j0, nc int) {
	for jr := 0; jr < nc; jr += nr {
		panel := dst[jr*kc : (jr+nr)*kc]
		cols := min(nr, nc-jr)
		switch {
		case cols == nr && packFull != nil:
			off := p0*ldb + j0 + jr
			if trans {
				off = (j0+jr)*ldb + p0
			}
			packFull(panel, b[off:], ldb, trans, kc)
		case !trans && cols == 16 && nr == 16:
			// Rows of B hold nr consecutive values of a row of op(B).
			for p := 0; p < kc; p++ {
				off := (p0+p)*ldb + j0 + jr
				*(*[16]T)(panel[p*16:]) = *(*[16]T)(b[off:])
			}
		case !trans && cols == 8 && nr == 8:
			for p := 0; p < kc; p++ {
				off := (p0+p)*ldb + j0 + jr
				*(*[8]T)(panel[p*8:]) = *(*[8]T)(b[off:])
			}
		case !trans && cols == 2 && nr == 2:
			for p := 0; p < kc; p++ {
				off := (p0+p)*ldb + j0 + jr
				*(*[2]T)(panel[p*2:]) = *(*[2]T)(b[off:])
			}
		case trans && cols == 2 && nr == 2:
			// Two rows of the stored n×k matrix, read along k.
			off := (j0+jr)*ldb + p0
			b0 := b[off : off+kc]
			b1 := b[off+ldb : off+ldb+kc]
			for p := range b0 {
				d := (*[2]T)(panel[p*2:])
				d[0], d[1] = b0[p], b1[p]
			}
		default:
			// A transposed B with a wide panel, any other nr, or an edge
			// panel. Each row of the stored n×k matrix (trans) is read
			// along k and scattered down one column of the panel; the
			// panel (kc·nr values) stays in L1 meanwhile.
			if cols < nr {
				clear(panel)
			}
			for j := 0; j < cols; j++ {
				if trans {
					row := b[(j0+jr+j)*ldb+p0 : (j0+jr+j)*ldb+p0+kc]
					for p, v := range row {
						panel[p*nr+j] = v
					}
				} else {
					for p := 0; p < kc; p++ {
						panel[p*nr+j] = b[(p0+p)*ldb+j0+jr+j]
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

// GemmKernel names the float32 micro-kernel that Gemm runs on this machine:
// "avx2-6x16" (assembly, AVX2 and FMA) or "go-4x2" (portable Go, on other
// processors and with the purego build tag).
func GemmKernel() string { return gemmDefault.f32.name }
