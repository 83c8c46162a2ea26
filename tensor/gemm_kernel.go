package tensor

// Register-blocked micro-kernel for Gemm, in pure Go.
//
// The kernel multiplies one MR-tall micro-panel of packed op(A) by one
// NR-wide micro-panel of packed op(B) over kc steps and returns the MR×NR
// block of products in row-major order. Packed panels are laid out step by
// step: step p of an A micro-panel holds the MR values op(A)[i][p],
// i = 0…MR-1, at a[p*MR:], step p of a B micro-panel holds the NR values
// op(B)[p][j], j = 0…NR-1, at b[p*NR:]. Both are zero padded past the edges
// of the matrices, so the kernel never sees a partial tile.
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
//
// An assembly kernel (AVX2/FMA) is expected to replace this one; the packing
// format is the usual GotoBLAS one, so only MR, NR and this file need change.

const (
	gemmMR = 4 // rows of the register block (height of an A micro-panel)
	gemmNR = 2 // columns of the register block (width of a B micro-panel)
)

// gemmKernel4x2 sets acc to the 4×2 product of the packed micro-panels a
// (kc steps of 4 values) and b (kc steps of 2 values).
func gemmKernel4x2[T Float](kc int, a, b []T, acc *[gemmMR * gemmNR]T) {
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
