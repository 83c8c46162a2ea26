//go:build !purego

#include "textflag.h"

// func sgemmGather8(kc int, src *float32, offs *int, dst *float32, ldd int)
//
// For p < kc: dst[p·ldd : p·ldd+8] = src[offs[p] : offs[p]+8].
TEXT ·sgemmGather8(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ offs+16(FP), BX
	MOVQ dst+24(FP), DI
	MOVQ ldd+32(FP), DX
	SHLQ $2, DX
	TESTQ CX, CX
	JLE  g8done

g8loop:
	MOVQ    (BX), AX
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS Y0, (DI)
	ADDQ    $8, BX
	ADDQ    DX, DI
	DECQ    CX
	JNZ     g8loop

g8done:
	VZEROUPPER
	RET

// func sgemmGather16(kc int, src *float32, offs *int, dst *float32, ldd int)
//
// For p < kc: dst[p·ldd : p·ldd+16] = src[offs[p] : offs[p]+16].
TEXT ·sgemmGather16(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ offs+16(FP), BX
	MOVQ dst+24(FP), DI
	MOVQ ldd+32(FP), DX
	SHLQ $2, DX
	TESTQ CX, CX
	JLE  g16done

g16loop:
	MOVQ    (BX), AX
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $8, BX
	ADDQ    DX, DI
	DECQ    CX
	JNZ     g16loop

g16done:
	VZEROUPPER
	RET

// func sgemmTranspose8Runs(nruns int, runs *int, src *float32, delta *[8]int, dst *float32, ldd int)
//
// sgemmTranspose8 over nruns runs, given as triples (s, d, blocks) at runs:
// for each, b < blocks, r < 8, i < 8:
// dst[d + (8b+r)·ldd + i] = src[s + delta[i] + 8b + r].
TEXT ·sgemmTranspose8Runs(SB), NOSPLIT, $0-48
	MOVQ nruns+0(FP), R13
	MOVQ runs+8(FP), AX
	MOVQ src+16(FP), R12
	MOVQ delta+24(FP), BX
	MOVQ dst+32(FP), R11
	MOVQ ldd+40(FP), DX
	SHLQ $2, DX                // row stride of dst in bytes
	LEAQ (DX)(DX*2), R14       // 3 rows
	TESTQ R13, R13
	JLE  rdone

rrun:
	MOVQ  0(AX), SI
	LEAQ  (R12)(SI*4), SI
	MOVQ  8(AX), DI
	LEAQ  (R11)(DI*4), DI
	MOVQ  16(AX), CX
	TESTQ CX, CX
	JLE   rnext

rblock:
	MOVQ    0(BX), R8
	MOVQ    8(BX), R9
	MOVQ    16(BX), R10
	MOVQ    24(BX), R15
	VMOVUPS (SI)(R8*4), Y0
	VMOVUPS (SI)(R9*4), Y1
	VMOVUPS (SI)(R10*4), Y2
	VMOVUPS (SI)(R15*4), Y3
	MOVQ    32(BX), R8
	MOVQ    40(BX), R9
	MOVQ    48(BX), R10
	MOVQ    56(BX), R15
	VMOVUPS (SI)(R8*4), Y4
	VMOVUPS (SI)(R9*4), Y5
	VMOVUPS (SI)(R10*4), Y6
	VMOVUPS (SI)(R15*4), Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(DX*1)
	VMOVUPS Y10, (DI)(DX*2)
	VMOVUPS Y11, (DI)(R14*1)
	LEAQ    (DI)(DX*4), DI
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, (DI)(DX*1)
	VMOVUPS Y14, (DI)(DX*2)
	VMOVUPS Y15, (DI)(R14*1)
	LEAQ    (DI)(DX*4), DI

	ADDQ $32, SI
	DECQ CX
	JNZ  rblock

rnext:
	ADDQ $24, AX
	DECQ R13
	JNZ  rrun

rdone:
	VZEROUPPER
	RET
