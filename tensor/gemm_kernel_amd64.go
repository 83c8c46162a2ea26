//go:build !purego

package tensor

import (
	"math"

	"golang.org/x/sys/cpu"
)

//go:generate go run ./internal/asmgen -out gemm_kernel_amd64.s

// The assembly micro-kernels (gemm_kernel_amd64.s, written by
// internal/asmgen; its header comment gives the register plan).
//
// Blocking, for the caches of a Zen 4 core (32 KiB L1d, 1 MiB L2, L3 shared)
// and sound on Intel cores since Haswell (32 KiB L1d, 256 KiB–2 MiB L2):
//
//   - KC = 256: a B micro-panel is KC·NR values, 16 KiB in both precisions,
//     half of L1, so it stays there while A micro-panels stream past it; an
//     A micro-panel is 6 KiB (float32) or 12 KiB (float64).
//   - MC = 144 (float32) or 72 (float64) rows: the packed A block is 144 KiB,
//     small enough for any of those L2s beside the B panel and C tiles.
//   - NC = 4080 columns: the packed B block is 4 MiB (float32) or 8 MiB,
//     in L3; NC matters little once KC and MC fit, since every column block
//     re-packs only A.
//
// The kernels run only where the processor (and the operating system, which
// must save the YMM registers) supports AVX2 and FMA; the check is made
// once, at package initialization.
var (
	gemmAVX2F32 = &gemmKernel[float32]{name: "avx2-6x16", mr: 6, nr: 16, mc: 144, kc: 256, nc: 4080, maxShared: gemmMaxShared, tile: sgemmTile, packA: sgemmPackA, packB: sgemmPackB, convWGradRow: sconvWGradRowChecked, convScatter: sconvSparseScatterChecked, convGather: sconvSparseGatherChecked}
	gemmAVX2F64 = &gemmKernel[float64]{name: "avx2-6x8", mr: 6, nr: 8, mc: 72, kc: 256, nc: 4080, maxShared: gemmMaxShared, tile: dgemmTile, packA: dgemmPackA, packB: dgemmPackB}
)

// gemmHasAVX2 reports whether the assembly kernels can run here.
var gemmHasAVX2 = cpu.X86.HasAVX && cpu.X86.HasAVX2 && cpu.X86.HasFMA

// gemmDefault is the kernel set Gemm uses: assembly where it can run.
var gemmDefault = func() gemmKernels {
	if gemmHasAVX2 {
		return gemmKernels{gemmAVX2F32, gemmAVX2F64}
	}
	return gemmKernels{gemmGo32, gemmGo64}
}()

// gemmAsm returns the assembly kernels and whether this processor can run
// them (it has AVX2 and FMA).
func gemmAsm() (gemmKernels, bool) {
	return gemmKernels{gemmAVX2F32, gemmAVX2F64}, gemmHasAVX2
}

// sgemmKernel6x16 sets the 6×16 tile of C at c (row stride ldc) to
// alpha·A·B + beta·C for the packed micro-panels at a (kc·6 values) and b
// (kc·16 values), kc ≥ 1, not reading C when beta is 0.
//
//go:noescape
func sgemmKernel6x16(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// dgemmKernel6x8 is sgemmKernel6x16 for float64 and a 6×8 tile.
//
//go:noescape
func dgemmKernel6x8(kc int, a, b, c *float64, ldc int, alpha, beta float64)

// sgemmTile checks the bounds that the assembly kernel relies on and calls
// it.
func sgemmTile(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	if kc < 1 || len(a) < 6*kc || len(b) < 16*kc || ldc < 16 || len(c) < 5*ldc+16 {
		panic("tensor: sgemmTile: panels or tile out of range")
	}
	sgemmKernel6x16(kc, &a[0], &b[0], &c[0], ldc, alpha, beta)
}

// dgemmTile is sgemmTile for float64.
func dgemmTile(kc int, a, b, c []float64, ldc int, alpha, beta float64) {
	if kc < 1 || len(a) < 6*kc || len(b) < 8*kc || ldc < 8 || len(c) < 5*ldc+8 {
		panic("tensor: dgemmTile: panels or tile out of range")
	}
	dgemmKernel6x8(kc, &a[0], &b[0], &c[0], ldc, alpha, beta)
}

// sgemmPackB16 copies kc steps of 16 values, src[p·ldb:p·ldb+16] to
// dst[16p:16p+16]: a full B micro-panel when B is stored k×n.
//
//go:noescape
func sgemmPackB16(kc int, src *float32, ldb int, dst *float32)

// sgemmPackB16T packs kb blocks of 8 steps of a full B micro-panel when B is
// stored n×k: dst[16p+j] = src[j·ldb+p] for j < 16, p < 8·kb.
//
//go:noescape
func sgemmPackB16T(kb int, src *float32, ldb int, dst *float32)

// dgemmPackB8 is sgemmPackB16 for float64 and 8 values a step.
//
//go:noescape
func dgemmPackB8(kc int, src *float64, ldb int, dst *float64)

// dgemmPackB8T is sgemmPackB16T for float64: kb blocks of 4 steps of 8
// values.
//
//go:noescape
func dgemmPackB8T(kb int, src *float64, ldb int, dst *float64)

// sgemmPackB is the packB of the float32 assembly kernel: it checks the
// bounds that the assembly relies on, packs with it, and packs the last
// kc mod 8 steps of a transposed panel in Go.
func sgemmPackB(panel, b []float32, ldb int, trans bool, kc int) {
	const nr = 16
	if kc < 1 || len(panel) < nr*kc {
		panic("tensor: sgemmPackB: panel out of range")
	}
	if !trans {
		if len(b) < (kc-1)*ldb+nr {
			panic("tensor: sgemmPackB: B out of range")
		}
		sgemmPackB16(kc, &b[0], ldb, &panel[0])
		return
	}
	if len(b) < (nr-1)*ldb+kc {
		panic("tensor: sgemmPackB: B out of range")
	}
	kb := kc / 8
	if kb > 0 {
		sgemmPackB16T(kb, &b[0], ldb, &panel[0])
	}
	for j := 0; j < nr; j++ {
		row := b[j*ldb : j*ldb+kc]
		for p := 8 * kb; p < kc; p++ {
			panel[p*nr+j] = row[p]
		}
	}
}

// dgemmPackB is sgemmPackB for float64: 8 values a step, transposed panels
// in blocks of 4 steps.
func dgemmPackB(panel, b []float64, ldb int, trans bool, kc int) {
	const nr = 8
	if kc < 1 || len(panel) < nr*kc {
		panic("tensor: dgemmPackB: panel out of range")
	}
	if !trans {
		if len(b) < (kc-1)*ldb+nr {
			panic("tensor: dgemmPackB: B out of range")
		}
		dgemmPackB8(kc, &b[0], ldb, &panel[0])
		return
	}
	if len(b) < (nr-1)*ldb+kc {
		panic("tensor: dgemmPackB: B out of range")
	}
	kb := kc / 4
	if kb > 0 {
		dgemmPackB8T(kb, &b[0], ldb, &panel[0])
	}
	for j := 0; j < nr; j++ {
		row := b[j*ldb : j*ldb+kc]
		for p := 4 * kb; p < kc; p++ {
			panel[p*nr+j] = row[p]
		}
	}
}

// sgemmPackA6 packs kb blocks of 4 steps of a full A micro-panel when A is
// stored m×k: dst[6p+i] = src[i·lda+p] for i < 6, p < 4·kb.
//
//go:noescape
func sgemmPackA6(kb int, src *float32, lda int, dst *float32)

// dgemmPackA6 is sgemmPackA6 for float64.
//
//go:noescape
func dgemmPackA6(kb int, src *float64, lda int, dst *float64)

// sgemmPackA6T copies kc steps of 6 values, src[p·lda:p·lda+6] to
// dst[6p:6p+6]: a full A micro-panel when A is stored k×m.
//
//go:noescape
func sgemmPackA6T(kc int, src *float32, lda int, dst *float32)

// dgemmPackA6T is sgemmPackA6T for float64.
//
//go:noescape
func dgemmPackA6T(kc int, src *float64, lda int, dst *float64)

// sgemmPackA is the packA of the float32 assembly kernel: it checks the
// bounds that the assembly relies on and packs with it, A stored m×k in
// blocks of 4 steps and the last kc mod 4 steps in Go.
func sgemmPackA(panel, a []float32, lda int, trans bool, kc int) {
	gemmPackA6(sgemmPackA6, sgemmPackA6T, panel, a, lda, trans, kc)
}

// dgemmPackA is sgemmPackA for float64.
func dgemmPackA(panel, a []float64, lda int, trans bool, kc int) {
	gemmPackA6(dgemmPackA6, dgemmPackA6T, panel, a, lda, trans, kc)
}

// gemmPackA6 packs a full 6-tall A micro-panel with the assembly routines
// asm (A stored m×k, blocks of 4 steps) and asmT (A stored k×m).
func gemmPackA6[T gemmElem](asm, asmT func(k int, src *T, lda int, dst *T), panel, a []T, lda int, trans bool, kc int) {
	const mr = 6
	if kc < 1 || len(panel) < mr*kc {
		panic("tensor: gemmPackA6: panel out of range")
	}
	if trans {
		if len(a) < (kc-1)*lda+mr {
			panic("tensor: gemmPackA6: A out of range")
		}
		asmT(kc, &a[0], lda, &panel[0])
		return
	}
	if len(a) < (mr-1)*lda+kc {
		panic("tensor: gemmPackA6: A out of range")
	}
	kb := kc / 4
	if kb > 0 {
		asm(kb, &a[0], lda, &panel[0])
	}
	for i := 0; i < mr; i++ {
		row := a[i*lda : i*lda+kc]
		for p := 4 * kb; p < kc; p++ {
			panel[p*mr+i] = row[p]
		}
	}
}

// sgemmTranspose8Runs transposes 8×8 blocks along runs: runs holds nruns
// triples (s, d, blocks), and for each, for b < blocks, r < 8, i < 8,
// dst[d + (8b+r)·ldd + i] = src[s + delta[i] + 8b + r]. It packs eight
// columns of the transposed im2col matrix at a time (packPatchesT).
//
//go:noescape
func sgemmTranspose8Runs(nruns int, runs *int, src *float32, delta *[8]int, dst *float32, ldd int)

// gemmTranspose8Runs checks the bounds that sgemmTranspose8Runs relies on
// and calls it; it reports false, doing nothing, where the assembly cannot
// run.
func gemmTranspose8Runs(runs [][3]int, src []float32, delta *[8]int, dst []float32, ldd int) bool {
	if !gemmHasAVX2 {
		return false
	}
	if len(runs) == 0 {
		return true
	}
	lo, hi := delta[0], delta[0]
	for _, o := range delta {
		lo, hi = min(lo, o), max(hi, o)
	}
	if ldd < 8 {
		panic("tensor: gemmTranspose8Runs: row stride out of range")
	}
	for _, r := range runs {
		if r[2] < 0 || r[0]+lo < 0 || r[0]+hi+8*r[2] > len(src) || r[1] < 0 || r[2] > 0 && r[1]+(8*r[2]-1)*ldd+8 > len(dst) {
			panic("tensor: gemmTranspose8Runs: out of range")
		}
	}
	sgemmTranspose8Runs(len(runs), &runs[0][0], &src[0], delta, &dst[0], ldd)
	return true
}

// sgemmGather8 copies, for p < kc, src[offs[p]:offs[p]+8] to
// dst[p·ldd:p·ldd+8]: one run of eight output positions of the im2col
// matrix under kc taps (packPatches).
//
//go:noescape
func sgemmGather8(kc int, src *float32, offs *int, dst *float32, ldd int)

// sgemmGather16 is sgemmGather8 for runs of sixteen.
//
//go:noescape
func sgemmGather16(kc int, src *float32, offs *int, dst *float32, ldd int)

// gemmGather checks the bounds that sgemmGather8 and sgemmGather16 rely on
// and calls the one for n (8 or 16); lo and hi are the least and the
// greatest of offs. It reports false, doing nothing, where the assembly
// cannot run.
func gemmGather(n int, src []float32, offs []int, lo, hi int, dst []float32, ldd int) bool {
	if !gemmHasAVX2 || len(offs) == 0 || (n != 8 && n != 16) {
		return false
	}
	if lo < 0 || hi+n > len(src) || ldd < n || len(dst) < (len(offs)-1)*ldd+n {
		panic("tensor: gemmGather: out of range")
	}
	if n == 8 {
		sgemmGather8(len(offs), &src[0], &offs[0], &dst[0], ldd)
	} else {
		sgemmGather16(len(offs), &src[0], &offs[0], &dst[0], ldd)
	}
	return true
}

// sconvWGradRow is the direct weight-gradient kernel of one kernel row
// (conv_amd64.s; conv2DWeightGradDirect calls it through
// sconvWGradRowChecked).
//
//go:noescape
func sconvWGradRow(kw, imgs, oh, ow int, dy *float32, dyNext, dySkip int, x *float32, xRow, xSkip int, acc *[12][8]float32)

// sconvWGradRowChecked checks the bounds that sconvWGradRow relies on and
// calls it: kw is 3 or 5, and the last values it reads, of the second
// channel's gradient and of the input row under the last image's last
// output row, lie in dy and x.
func sconvWGradRowChecked(kw, imgs, oh, ow int, dy []float32, dyNext, dySkip int, x []float32, xRow, xSkip int, acc *[12][8]float32) {
	if imgs < 1 || oh < 1 || ow < 1 {
		*acc = [12][8]float32{}
		return
	}
	// Each factor is bounded by a slice length first, so that the
	// products below cannot overflow.
	if imgs > len(dy) || oh > len(dy) || ow > len(dy) || dyNext > len(dy) || dySkip > len(dy) || xRow > len(x) || xSkip > len(x) {
		panic("tensor: sconvWGradRow: operands out of range")
	}
	lastDY := (imgs-1)*(oh*ow+dySkip) + dyNext + oh*ow - 1
	lastX := (imgs-1)*(oh*xRow+xSkip) + (oh-1)*xRow + ow + kw - 2
	if (kw != 3 && kw != 5) || dyNext < 0 || dySkip < 0 || xRow < ow+kw-1 || xSkip < 0 || lastDY >= len(dy) || lastX >= len(x) {
		panic("tensor: sconvWGradRow: operands out of range")
	}
	sconvWGradRow(kw, imgs, oh, ow, &dy[0], dyNext, dySkip, &x[0], xRow, xSkip, acc)
}

// sconvSparseScatter and sconvSparseGather are the kernels of the sparse
// convolution backward pass (conv_amd64.s; conv2DBackwardSparse calls them
// through the checked forms below).
//
//go:noescape
func sconvSparseScatter(n int, offs *int32, gs *float32, dst, src *float32, rows, vecs, dstRow int)

//go:noescape
func sconvSparseGather(n int, offs *int32, gs *float32, src, dst *float32, rows, vecs, srcRow int)

// sconvSparseCheck panics unless the n entries' blocks of rows rows of
// 8·vecs values, row values apart from offs[e], lie in a slice of length
// size, and the kernel's block, rows·8·vecs values, in one of length kernel.
// The factors are bounded by the lengths before they are multiplied, so
// that no product overflows.
func sconvSparseCheck(name string, n int, offs []int32, gs []float32, size, kernel, rows, vecs, row int) {
	if n < 0 || len(offs) < n || len(gs) < n || rows < 1 || vecs < 1 || vecs > kernel/8 || row < 8*vecs ||
		rows > kernel/(8*vecs) || rows > 1 && (row > size || rows-1 > size/row) {
		panic("tensor: " + name + ": operands out of range")
	}
	lo, hi := int32(math.MaxInt32), int32(-1)
	for _, o := range offs[:n] {
		lo, hi = min(lo, o), max(hi, o)
	}
	if n > 0 && (lo < 0 || int(hi)+(rows-1)*row+8*vecs > size) {
		panic("tensor: " + name + ": an entry out of range")
	}
}

// sconvSparseScatterChecked checks the bounds that sconvSparseScatter
// relies on and calls it.
func sconvSparseScatterChecked(n int, offs []int32, gs, dst, src []float32, rows, vecs, dstRow int) {
	sconvSparseCheck("sconvSparseScatter", n, offs, gs, len(dst), len(src), rows, vecs, dstRow)
	if n > 0 {
		sconvSparseScatter(n, &offs[0], &gs[0], &dst[0], &src[0], rows, vecs, dstRow)
	}
}

// sconvSparseGatherChecked checks the bounds that sconvSparseGather relies
// on and calls it.
func sconvSparseGatherChecked(n int, offs []int32, gs, src, dst []float32, rows, vecs, srcRow int) {
	sconvSparseCheck("sconvSparseGather", n, offs, gs, len(src), len(dst), rows, vecs, srcRow)
	if n > 0 {
		sconvSparseGather(n, &offs[0], &gs[0], &src[0], &dst[0], rows, vecs, srcRow)
	}
}
