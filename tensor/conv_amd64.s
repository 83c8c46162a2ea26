//go:build !purego

#include "textflag.h"

// convmask<>: eight all-ones lanes, then eight zero lanes. The eight lanes
// from offset 4·(8 − t) are t ones then zeros: the mask of a tail of t.
DATA convmask<>+0(SB)/4, $0xffffffff
DATA convmask<>+4(SB)/4, $0xffffffff
DATA convmask<>+8(SB)/4, $0xffffffff
DATA convmask<>+12(SB)/4, $0xffffffff
DATA convmask<>+16(SB)/4, $0xffffffff
DATA convmask<>+20(SB)/4, $0xffffffff
DATA convmask<>+24(SB)/4, $0xffffffff
DATA convmask<>+28(SB)/4, $0xffffffff
DATA convmask<>+32(SB)/4, $0
DATA convmask<>+36(SB)/4, $0
DATA convmask<>+40(SB)/4, $0
DATA convmask<>+44(SB)/4, $0
DATA convmask<>+48(SB)/4, $0
DATA convmask<>+52(SB)/4, $0
DATA convmask<>+56(SB)/4, $0
DATA convmask<>+60(SB)/4, $0
GLOBL convmask<>(SB), RODATA|NOPTR, $64

// One tap of the weight gradient: the input values under tap kx (X12,
// loaded by the caller) times the two channels' output gradients Y10 and
// Y11, into the tap's accumulators.
#define WG_TAP(a0, a1) \
	VFMADD231PS Y10, Y12, a0 \
	VFMADD231PS Y11, Y12, a1

// Eight output positions with five taps: full loads.
#define WG_FULL5 \
	VMOVUPS      (SI), Y10         \
	VMOVUPS      (SI)(DX*1), Y11   \
	VADDPS       Y10, Y13, Y13     \
	VADDPS       Y11, Y14, Y14     \
	VMOVUPS      (DI), Y12         \
	WG_TAP(Y0, Y5)                 \
	VMOVUPS      4(DI), Y12        \
	WG_TAP(Y1, Y6)                 \
	VMOVUPS      8(DI), Y12        \
	WG_TAP(Y2, Y7)                 \
	VMOVUPS      12(DI), Y12       \
	WG_TAP(Y3, Y8)                 \
	VMOVUPS      16(DI), Y12       \
	WG_TAP(Y4, Y9)

// The same with three taps.
#define WG_FULL3 \
	VMOVUPS      (SI), Y10         \
	VMOVUPS      (SI)(DX*1), Y11   \
	VADDPS       Y10, Y13, Y13     \
	VADDPS       Y11, Y14, Y14     \
	VMOVUPS      (DI), Y12         \
	WG_TAP(Y0, Y5)                 \
	VMOVUPS      4(DI), Y12        \
	WG_TAP(Y1, Y6)                 \
	VMOVUPS      8(DI), Y12        \
	WG_TAP(Y2, Y7)

// The tail of a row (fewer than eight positions, mask Y15): masked loads,
// which read nothing past the row and give 0 in the other lanes.
#define WG_TAIL5 \
	VMASKMOVPS   (SI), Y15, Y10       \
	VMASKMOVPS   (SI)(DX*1), Y15, Y11 \
	VADDPS       Y10, Y13, Y13        \
	VADDPS       Y11, Y14, Y14        \
	VMASKMOVPS   (DI), Y15, Y12       \
	WG_TAP(Y0, Y5)                    \
	VMASKMOVPS   4(DI), Y15, Y12      \
	WG_TAP(Y1, Y6)                    \
	VMASKMOVPS   8(DI), Y15, Y12      \
	WG_TAP(Y2, Y7)                    \
	VMASKMOVPS   12(DI), Y15, Y12     \
	WG_TAP(Y3, Y8)                    \
	VMASKMOVPS   16(DI), Y15, Y12     \
	WG_TAP(Y4, Y9)

#define WG_TAIL3 \
	VMASKMOVPS   (SI), Y15, Y10       \
	VMASKMOVPS   (SI)(DX*1), Y15, Y11 \
	VADDPS       Y10, Y13, Y13        \
	VADDPS       Y11, Y14, Y14        \
	VMASKMOVPS   (DI), Y15, Y12       \
	WG_TAP(Y0, Y5)                    \
	VMASKMOVPS   4(DI), Y15, Y12      \
	WG_TAP(Y1, Y6)                    \
	VMASKMOVPS   8(DI), Y15, Y12      \
	WG_TAP(Y2, Y7)

// func sconvWGradRow(kw, imgs, oh, ow int, dy *float32, dyNext, dySkip int, x *float32, xRow, xSkip int, acc *[12][8]float32)
//
// The weight gradient of one row of kernel taps (kw of them, 3 or 5) of
// one input channel, for two output channels at once, summed over imgs
// images of a stride-1 convolution: for tap q,
//
//	acc[q][·]   = Σ_{n,i,j} dy[n][i][j]          · x[n][i][j+q]
//	acc[5+q][·] = Σ_{n,i,j} dy[n][i][j + dyNext] · x[n][i][j+q]
//
// spread over the eight lanes, and acc[10], acc[11] the sums of the two
// channels' dy (their bias gradients). dy points at the first channel's
// output gradient of the first image, oh·ow values a plane, the second
// channel's dyNext values after it and the next image's dySkip values after
// the plane's end; x points at the input row under the kernel row, of
// ow+kw−1 values read, the next output row's xRow values after it, the
// next image's xSkip values after the row under the last output row.
TEXT ·sconvWGradRow(SB), NOSPLIT, $0-88
	MOVQ dy+32(FP), SI
	MOVQ dyNext+40(FP), DX
	SHLQ $2, DX
	MOVQ dySkip+48(FP), R10
	SHLQ $2, R10
	MOVQ x+56(FP), AX
	MOVQ xRow+64(FP), R12
	SHLQ $2, R12
	MOVQ xSkip+72(FP), R11
	SHLQ $2, R11
	MOVQ imgs+8(FP), R8
	MOVQ oh+16(FP), R13
	MOVQ ow+24(FP), BX
	MOVQ BX, R14
	ANDQ $7, R14 // the tail's positions
	SHRQ $3, BX  // full vectors a row
	MOVQ $8, CX
	SUBQ R14, CX
	LEAQ convmask<>(SB), DI
	VMOVDQU (DI)(CX*4), Y15
	SHLQ $2, R14 // the tail's bytes
	MOVQ kw+0(FP), R15

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14

	TESTQ R8, R8
	JLE   wgstore

wgimage:
	MOVQ R13, R9

wgrow:
	MOVQ  AX, DI
	MOVQ  BX, CX
	TESTQ CX, CX
	JZ    wgtail
	CMPQ  R15, $5
	JNE   wgfull3

wgfull5:
	WG_FULL5
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  wgfull5
	JMP  wgtail

wgfull3:
	WG_FULL3
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  wgfull3

wgtail:
	TESTQ R14, R14
	JZ    wgnextrow
	CMPQ  R15, $5
	JNE   wgtail3
	WG_TAIL5
	JMP   wgtaildone

wgtail3:
	WG_TAIL3

wgtaildone:
	ADDQ R14, SI

wgnextrow:
	ADDQ R12, AX
	DECQ R9
	JNZ  wgrow

	ADDQ R10, SI
	ADDQ R11, AX
	DECQ R8
	JNZ  wgimage

wgstore:
	MOVQ    acc+80(FP), DI
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VMOVUPS Y8, 256(DI)
	VMOVUPS Y9, 288(DI)
	VMOVUPS Y13, 320(DI)
	VMOVUPS Y14, 352(DI)
	VZEROUPPER
	RET

// func sconvSparseScatter(n int, offs *int32, gs *float32, dst, src *float32, rows, vecs, dstRow int)
//
// For each of the n entries e: dst[offs[e] + r·dstRow + i] += gs[e] ·
// src[r·8·vecs + i] for r < rows, i < 8·vecs: the scaled kernel rows of
// src added at the entry's place in dst (dstRow values between rows), four
// vectors at a time, then one.
TEXT ·sconvSparseScatter(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), AX
	MOVQ offs+8(FP), BX
	MOVQ gs+16(FP), CX
	MOVQ dst+24(FP), DX
	MOVQ rows+40(FP), R13
	MOVQ vecs+48(FP), R12
	MOVQ dstRow+56(FP), R10
	SHLQ $2, R10
	TESTQ AX, AX
	JLE   ssdone

ssentry:
	MOVLQSX      (BX), R11
	LEAQ         (DX)(R11*4), R11 // the entry's first row in dst
	VBROADCASTSS (CX), Y15
	MOVQ         src+32(FP), SI
	MOVQ         R13, R8

ssrow:
	MOVQ R11, DI
	MOVQ R12, R9
	CMPQ R9, $4
	JLT  ssone

ssfour:
	VMOVUPS     (DI), Y0
	VMOVUPS     32(DI), Y1
	VMOVUPS     64(DI), Y2
	VMOVUPS     96(DI), Y3
	VFMADD231PS (SI), Y15, Y0
	VFMADD231PS 32(SI), Y15, Y1
	VFMADD231PS 64(SI), Y15, Y2
	VFMADD231PS 96(SI), Y15, Y3
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y1, 32(DI)
	VMOVUPS     Y2, 64(DI)
	VMOVUPS     Y3, 96(DI)
	ADDQ        $128, DI
	ADDQ        $128, SI
	SUBQ        $4, R9
	CMPQ        R9, $4
	JGE         ssfour

ssone:
	TESTQ R9, R9
	JZ    ssnextrow

ssoneloop:
	VMOVUPS     (DI), Y0
	VFMADD231PS (SI), Y15, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, DI
	ADDQ        $32, SI
	DECQ        R9
	JNZ         ssoneloop

ssnextrow:
	ADDQ R10, R11
	DECQ R8
	JNZ  ssrow

	ADDQ $4, BX
	ADDQ $4, CX
	DECQ AX
	JNZ  ssentry

ssdone:
	VZEROUPPER
	RET

// func sconvSparseGather(n int, offs *int32, gs *float32, src, dst *float32, rows, vecs, srcRow int)
//
// dst[r·8·vecs + i] += Σ_e gs[e] · src[offs[e] + r·srcRow + i] for r < rows,
// i < 8·vecs: the entries' input rows under the kernel, scaled and summed
// into the kernel rows of dst, eight vectors at a time (their sums held in
// registers over all entries: eight independent chains of additions keep
// both FMA units busy), then four, then one.
TEXT ·sconvSparseGather(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), AX
	MOVQ src+24(FP), DX
	MOVQ dst+32(FP), DI
	MOVQ rows+40(FP), R13
	MOVQ vecs+48(FP), R12
	MOVQ srcRow+56(FP), R10
	SHLQ $2, R10
	TESTQ AX, AX
	JLE   sgdone
	XORQ  R11, R11 // the row's offset in src, bytes

sgrow:
	MOVQ R12, R9
	XORQ R14, R14 // the block's offset in the row, bytes
	CMPQ R9, $8
	JLT  sgfourcheck

sgeight:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   offs+8(FP), BX
	MOVQ   gs+16(FP), CX
	MOVQ   AX, R8
	LEAQ   (DX)(R11*1), SI
	ADDQ   R14, SI

sgeightentry:
	MOVLQSX      (BX), R15
	LEAQ         (SI)(R15*4), R15
	VBROADCASTSS (CX), Y15
	VFMADD231PS  (R15), Y15, Y0
	VFMADD231PS  32(R15), Y15, Y1
	VFMADD231PS  64(R15), Y15, Y2
	VFMADD231PS  96(R15), Y15, Y3
	VFMADD231PS  128(R15), Y15, Y4
	VFMADD231PS  160(R15), Y15, Y5
	VFMADD231PS  192(R15), Y15, Y6
	VFMADD231PS  224(R15), Y15, Y7
	ADDQ         $4, BX
	ADDQ         $4, CX
	DECQ         R8
	JNZ          sgeightentry

	VADDPS  (DI), Y0, Y0
	VADDPS  32(DI), Y1, Y1
	VADDPS  64(DI), Y2, Y2
	VADDPS  96(DI), Y3, Y3
	VADDPS  128(DI), Y4, Y4
	VADDPS  160(DI), Y5, Y5
	VADDPS  192(DI), Y6, Y6
	VADDPS  224(DI), Y7, Y7
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ    $256, DI
	ADDQ    $256, R14
	SUBQ    $8, R9
	CMPQ    R9, $8
	JGE     sgeight

sgfourcheck:
	CMPQ R9, $4
	JLT  sgone

sgfour:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   offs+8(FP), BX
	MOVQ   gs+16(FP), CX
	MOVQ   AX, R8
	LEAQ   (DX)(R11*1), SI
	ADDQ   R14, SI

sgfourentry:
	MOVLQSX      (BX), R15
	LEAQ         (SI)(R15*4), R15
	VBROADCASTSS (CX), Y15
	VFMADD231PS  (R15), Y15, Y0
	VFMADD231PS  32(R15), Y15, Y1
	VFMADD231PS  64(R15), Y15, Y2
	VFMADD231PS  96(R15), Y15, Y3
	ADDQ         $4, BX
	ADDQ         $4, CX
	DECQ         R8
	JNZ          sgfourentry

	VADDPS  (DI), Y0, Y0
	VADDPS  32(DI), Y1, Y1
	VADDPS  64(DI), Y2, Y2
	VADDPS  96(DI), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, R14
	SUBQ    $4, R9
	CMPQ    R9, $4
	JGE     sgfour

sgone:
	TESTQ R9, R9
	JZ    sgnextrow

sgoneblock:
	VXORPS Y0, Y0, Y0
	MOVQ   offs+8(FP), BX
	MOVQ   gs+16(FP), CX
	MOVQ   AX, R8
	LEAQ   (DX)(R11*1), SI
	ADDQ   R14, SI

sgoneentry:
	MOVLQSX      (BX), R15
	VBROADCASTSS (CX), Y15
	VFMADD231PS  (SI)(R15*4), Y15, Y0
	ADDQ         $4, BX
	ADDQ         $4, CX
	DECQ         R8
	JNZ          sgoneentry

	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, R14
	DECQ    R9
	JNZ     sgoneblock

sgnextrow:
	ADDQ R10, R11
	DECQ R13
	JNZ  sgrow

sgdone:
	VZEROUPPER
	RET
