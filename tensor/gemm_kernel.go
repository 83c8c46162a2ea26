package tensor

// Micro-kernels of Gemm: the descriptor that the blocked algorithm in
// gemm.go is parameterized by, and the portable kernel in pure Go. The
// assembly kernels for amd64 (AVX2 and FMA) are in gemm_kernel_amd64.go and
// gemm_kernel_amd64.s; gemm_kernel_generic.go stands in for them on other
// processors and in builds with the purego tag.

// gemmKernel is a micro-kernel with the cache blocking that suits it.
//
// Packed panels are laid out step by step: step p of an A micro-panel holds
// the mr values op(A)[i][p], i = 0…mr-1, at a[p*mr:], step p of a B
// micro-panel holds the nr values op(B)[p][j], j = 0…nr-1, at b[p*nr:]. Both
// are zero padded past the edges of the matrices, so the kernel never sees a
// partial panel.
type gemmKernel[T gemmElem] struct {
	// name says which kernel this is, in test names and benchmarks.
	name string
	// mr×nr is the register block: the tile of C one call computes.
	mr, nr int
	// mc×kc is the largest packed block of op(A) (kept in L2), kc×nc the
	// largest packed block of op(B) (kept in L3).
	mc, kc, nc int
	// maxShared is the largest panel of op(A) or op(B), in values, that
	// the bands of a parallel product share, packed once (gemmMaxShared).
	maxShared int
	// tile sets the mr×nr tile of C at c (row stride ldc) to
	// alpha·A·B + beta·C, where A and B are the packed micro-panels a
	// (kc·mr values) and b (kc·nr values), kc ≥ 1. C is not read when beta
	// is 0.
	tile func(kc int, a, b, c []T, ldc int, alpha, beta T)
	// packA, if set, packs one full mr-tall micro-panel of op(A), kc
	// steps, into panel (kc·mr values); a starts at the panel's first
	// value, op(A)[i0][p0], which is A[i0·lda+p0] as stored, or A[p0·lda+i0]
	// when trans. Without it, and for edge panels, gemmPackA packs in Go.
	packA func(panel, a []T, lda int, trans bool, kc int)
	// packB, if set, packs one full nr-wide micro-panel of op(B), kc
	// steps, into panel (kc·nr values); b starts at the panel's first
	// value, op(B)[p0][j0], which is B[p0·ldb+j0] as stored, or B[j0·ldb+p0]
	// when trans. Without it, and for edge panels, gemmPackB packs in Go.
	packB func(panel, b []T, ldb int, trans bool, kc int)
	// convWGradRow, if set, is the direct weight-gradient kernel of
	// small convolutions (sconvWGradRow gives its contract); without it
	// every weight gradient is a product.
	convWGradRow func(kw, imgs, oh, ow int, dy []T, dyNext, dySkip int, x []T, xRow, xSkip int, acc *[12][8]T)
	// convScatter and convGather, if set, are the kernels of the sparse
	// convolution backward pass (sconvSparseScatter and
	// sconvSparseGather give their contracts); without them the backward
	// pass is always a pair of products.
	convScatter func(n int, offs []int32, gs, dst, src []T, rows, vecs, dstRow int)
	convGather  func(n int, offs []int32, gs, src, dst []T, rows, vecs, srcRow int)
}

// gemmGo32 and gemmGo64 are the portable kernels: Gemm's fallback on
// processors without AVX2 and FMA, and everywhere with the purego tag.
var (
	gemmGo32 = &gemmKernel[float32]{name: "go-4x2", mr: gemmMR, nr: gemmNR, mc: 128, kc: 256, nc: 2048, maxShared: gemmMaxShared, tile: gemmTileGo[float32]}
	gemmGo64 = &gemmKernel[float64]{name: "go-4x2", mr: gemmMR, nr: gemmNR, mc: 128, kc: 256, nc: 2048, maxShared: gemmMaxShared, tile: gemmTileGo[float64]}
)

// gemmTileGo is the tile function of the portable kernel: gemmKernel4x2,
// then the store.
func gemmTileGo[T gemmElem](kc int, a, b, c []T, ldc int, alpha, beta T) {
	var acc [gemmMR * gemmNR]T
	gemmKernel4x2(kc, a, b, &acc)
	gemmStoreFull(c, ldc, &acc, alpha, beta)
}

// gemmStoreFull sets the full MR×NR tile of C at the start of c to
// alpha·acc + beta·C, not reading C when beta is 0.
func gemmStoreFull[T gemmElem](c []T, ldc int, acc *[gemmMR * gemmNR]T, alpha, beta T) {
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

// The portable kernel: a register-blocked 4×2 micro-kernel in pure Go. It
// multiplies one 4-tall micro-panel of packed op(A) by one 2-wide
// micro-panel of packed op(B) over kc steps and returns the 4×2 block of
// products in row-major order.
//
// Why 4×2, and why the code looks the way it does (amd64, GOAMD64=v1, Go 1.26;
// measured on a Zen 4 core, about 3.3 GHz):
//
//   - Scalar SSE code has 15 usable XMM registers. The 8 accumulators, the two
//     b values of a step and the products in flight fit in them; 4×3, 3×4 and
//     4×4 blocks do not, and the register allocator then spills on every step
//     (4–7 GFLOP/s in a kernel-only benchmark, against 10–12 for 4×2, 2×4 and
//     3×3; 4×2 was the most consistent of those).
//   - With two-operand SSE each multiply-add costs three instructions (copy
//     or load, MULSS, ADDSS), so the kernel tops out near 2 multiply-adds per
//     cycle on a 6-wide core; 4×2 reaches about 11–12 GFLOP/s, 85–90% of that.
//   - The SSA scheduler places values that have uses in their own block ahead
//     of those that do not. An accumulator update that only feeds the loop's
//     phi has none, so in a one-step loop body every product is computed
//     before any is added and the 8 extra temporaries spill. Unrolling the k
//     loop gives every update but the last step's an in-block use, which keeps
//     multiplies and adds interleaved: the 16-step body spills 3 values once.
//   - The panels are viewed as fixed-size arrays, so the loads carry no bounds
//     checks (go build -gcflags=-d=ssa/check_bce shows none in the loops). The
//     16-step loop runs while more than 16 steps remain, so the compiler knows
//     the resliced panels are not empty and skips the pointer masking that
//     a = a[n:] otherwise costs; an 8-step and a 1-step loop finish the rest.

const (
	gemmMR = 4 // rows of the portable kernel's register block
	gemmNR = 2 // columns of the portable kernel's register block
)

// gemmKernel4x2 sets acc to the 4×2 product of the packed micro-panels a
// (kc steps of 4 values) and b (kc steps of 2 values).
func gemmKernel4x2[T gemmElem](kc int, a, b []T, acc *[gemmMR * gemmNR]T) {
	var c00, c01, c10, c11, c20, c21, c30, c31 T
	a = a[:kc*gemmMR]
	b = b[:kc*gemmNR]
	// Sixteen steps at a time while more than sixteen remain.
	for len(a) > 16*gemmMR && len(b) > 16*gemmNR {
		aa := (*[16 * gemmMR]T)(a)
		bb := (*[16 * gemmNR]T)(b)
		b0, b1 := bb[0], bb[1]
		c00, c01 = c00+aa[0]*b0, c01+aa[0]*b1
		c10, c11 = c10+aa[1]*b0, c11+aa[1]*b1
		c20, c21 = c20+aa[2]*b0, c21+aa[2]*b1
		c30, c31 = c30+aa[3]*b0, c31+aa[3]*b1
		b0, b1 = bb[2], bb[3]
		c00, c01 = c00+aa[4]*b0, c01+aa[4]*b1
		c10, c11 = c10+aa[5]*b0, c11+aa[5]*b1
		c20, c21 = c20+aa[6]*b0, c21+aa[6]*b1
		c30, c31 = c30+aa[7]*b0, c31+aa[7]*b1
		b0, b1 = bb[4], bb[5]
		c00, c01 = c00+aa[8]*b0, c01+aa[8]*b1
		c10, c11 = c10+aa[9]*b0, c11+aa[9]*b1
		c20, c21 = c20+aa[10]*b0, c21+aa[10]*b1
		c30, c31 = c30+aa[11]*b0, c31+aa[11]*b1
		b0, b1 = bb[6], bb[7]
		c00, c01 = c00+aa[12]*b0, c01+aa[12]*b1
		c10, c11 = c10+aa[13]*b0, c11+aa[13]*b1
		c20, c21 = c20+aa[14]*b0, c21+aa[14]*b1
		c30, c31 = c30+aa[15]*b0, c31+aa[15]*b1
		b0, b1 = bb[8], bb[9]
		c00, c01 = c00+aa[16]*b0, c01+aa[16]*b1
		c10, c11 = c10+aa[17]*b0, c11+aa[17]*b1
		c20, c21 = c20+aa[18]*b0, c21+aa[18]*b1
		c30, c31 = c30+aa[19]*b0, c31+aa[19]*b1
		b0, b1 = bb[10], bb[11]
		c00, c01 = c00+aa[20]*b0, c01+aa[20]*b1
		c10, c11 = c10+aa[21]*b0, c11+aa[21]*b1
		c20, c21 = c20+aa[22]*b0, c21+aa[22]*b1
		c30, c31 = c30+aa[23]*b0, c31+aa[23]*b1
		b0, b1 = bb[12], bb[13]
		c00, c01 = c00+aa[24]*b0, c01+aa[24]*b1
		c10, c11 = c10+aa[25]*b0, c11+aa[25]*b1
		c20, c21 = c20+aa[26]*b0, c21+aa[26]*b1
		c30, c31 = c30+aa[27]*b0, c31+aa[27]*b1
		b0, b1 = bb[14], bb[15]
		c00, c01 = c00+aa[28]*b0, c01+aa[28]*b1
		c10, c11 = c10+aa[29]*b0, c11+aa[29]*b1
		c20, c21 = c20+aa[30]*b0, c21+aa[30]*b1
		c30, c31 = c30+aa[31]*b0, c31+aa[31]*b1
		b0, b1 = bb[16], bb[17]
		c00, c01 = c00+aa[32]*b0, c01+aa[32]*b1
		c10, c11 = c10+aa[33]*b0, c11+aa[33]*b1
		c20, c21 = c20+aa[34]*b0, c21+aa[34]*b1
		c30, c31 = c30+aa[35]*b0, c31+aa[35]*b1
		b0, b1 = bb[18], bb[19]
		c00, c01 = c00+aa[36]*b0, c01+aa[36]*b1
		c10, c11 = c10+aa[37]*b0, c11+aa[37]*b1
		c20, c21 = c20+aa[38]*b0, c21+aa[38]*b1
		c30, c31 = c30+aa[39]*b0, c31+aa[39]*b1
		b0, b1 = bb[20], bb[21]
		c00, c01 = c00+aa[40]*b0, c01+aa[40]*b1
		c10, c11 = c10+aa[41]*b0, c11+aa[41]*b1
		c20, c21 = c20+aa[42]*b0, c21+aa[42]*b1
		c30, c31 = c30+aa[43]*b0, c31+aa[43]*b1
		b0, b1 = bb[22], bb[23]
		c00, c01 = c00+aa[44]*b0, c01+aa[44]*b1
		c10, c11 = c10+aa[45]*b0, c11+aa[45]*b1
		c20, c21 = c20+aa[46]*b0, c21+aa[46]*b1
		c30, c31 = c30+aa[47]*b0, c31+aa[47]*b1
		b0, b1 = bb[24], bb[25]
		c00, c01 = c00+aa[48]*b0, c01+aa[48]*b1
		c10, c11 = c10+aa[49]*b0, c11+aa[49]*b1
		c20, c21 = c20+aa[50]*b0, c21+aa[50]*b1
		c30, c31 = c30+aa[51]*b0, c31+aa[51]*b1
		b0, b1 = bb[26], bb[27]
		c00, c01 = c00+aa[52]*b0, c01+aa[52]*b1
		c10, c11 = c10+aa[53]*b0, c11+aa[53]*b1
		c20, c21 = c20+aa[54]*b0, c21+aa[54]*b1
		c30, c31 = c30+aa[55]*b0, c31+aa[55]*b1
		b0, b1 = bb[28], bb[29]
		c00, c01 = c00+aa[56]*b0, c01+aa[56]*b1
		c10, c11 = c10+aa[57]*b0, c11+aa[57]*b1
		c20, c21 = c20+aa[58]*b0, c21+aa[58]*b1
		c30, c31 = c30+aa[59]*b0, c31+aa[59]*b1
		b0, b1 = bb[30], bb[31]
		c00, c01 = c00+aa[60]*b0, c01+aa[60]*b1
		c10, c11 = c10+aa[61]*b0, c11+aa[61]*b1
		c20, c21 = c20+aa[62]*b0, c21+aa[62]*b1
		c30, c31 = c30+aa[63]*b0, c31+aa[63]*b1
		a = a[16*gemmMR:]
		b = b[16*gemmNR:]
	}
	// Eight steps at a time, then one.
	for len(a) >= 8*gemmMR && len(b) >= 8*gemmNR {
		aa := (*[8 * gemmMR]T)(a)
		bb := (*[8 * gemmNR]T)(b)
		b0, b1 := bb[0], bb[1]
		c00, c01 = c00+aa[0]*b0, c01+aa[0]*b1
		c10, c11 = c10+aa[1]*b0, c11+aa[1]*b1
		c20, c21 = c20+aa[2]*b0, c21+aa[2]*b1
		c30, c31 = c30+aa[3]*b0, c31+aa[3]*b1
		b0, b1 = bb[2], bb[3]
		c00, c01 = c00+aa[4]*b0, c01+aa[4]*b1
		c10, c11 = c10+aa[5]*b0, c11+aa[5]*b1
		c20, c21 = c20+aa[6]*b0, c21+aa[6]*b1
		c30, c31 = c30+aa[7]*b0, c31+aa[7]*b1
		b0, b1 = bb[4], bb[5]
		c00, c01 = c00+aa[8]*b0, c01+aa[8]*b1
		c10, c11 = c10+aa[9]*b0, c11+aa[9]*b1
		c20, c21 = c20+aa[10]*b0, c21+aa[10]*b1
		c30, c31 = c30+aa[11]*b0, c31+aa[11]*b1
		b0, b1 = bb[6], bb[7]
		c00, c01 = c00+aa[12]*b0, c01+aa[12]*b1
		c10, c11 = c10+aa[13]*b0, c11+aa[13]*b1
		c20, c21 = c20+aa[14]*b0, c21+aa[14]*b1
		c30, c31 = c30+aa[15]*b0, c31+aa[15]*b1
		b0, b1 = bb[8], bb[9]
		c00, c01 = c00+aa[16]*b0, c01+aa[16]*b1
		c10, c11 = c10+aa[17]*b0, c11+aa[17]*b1
		c20, c21 = c20+aa[18]*b0, c21+aa[18]*b1
		c30, c31 = c30+aa[19]*b0, c31+aa[19]*b1
		b0, b1 = bb[10], bb[11]
		c00, c01 = c00+aa[20]*b0, c01+aa[20]*b1
		c10, c11 = c10+aa[21]*b0, c11+aa[21]*b1
		c20, c21 = c20+aa[22]*b0, c21+aa[22]*b1
		c30, c31 = c30+aa[23]*b0, c31+aa[23]*b1
		b0, b1 = bb[12], bb[13]
		c00, c01 = c00+aa[24]*b0, c01+aa[24]*b1
		c10, c11 = c10+aa[25]*b0, c11+aa[25]*b1
		c20, c21 = c20+aa[26]*b0, c21+aa[26]*b1
		c30, c31 = c30+aa[27]*b0, c31+aa[27]*b1
		b0, b1 = bb[14], bb[15]
		c00, c01 = c00+aa[28]*b0, c01+aa[28]*b1
		c10, c11 = c10+aa[29]*b0, c11+aa[29]*b1
		c20, c21 = c20+aa[30]*b0, c21+aa[30]*b1
		c30, c31 = c30+aa[31]*b0, c31+aa[31]*b1
		a = a[8*gemmMR:]
		b = b[8*gemmNR:]
	}
	// Remaining kc%8 steps.
	for len(a) >= gemmMR && len(b) >= gemmNR {
		aa := (*[gemmMR]T)(a)
		bb := (*[gemmNR]T)(b)
		b0, b1 := bb[0], bb[1]
		c00, c01 = c00+aa[0]*b0, c01+aa[0]*b1
		c10, c11 = c10+aa[1]*b0, c11+aa[1]*b1
		c20, c21 = c20+aa[2]*b0, c21+aa[2]*b1
		c30, c31 = c30+aa[3]*b0, c31+aa[3]*b1
		a = a[gemmMR:]
		b = b[gemmNR:]
	}
	*acc = [gemmMR * gemmNR]T{c00, c01, c10, c11, c20, c21, c30, c31}
}
