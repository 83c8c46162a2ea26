//go:build !purego

#include "textflag.h"

// func sgemmTranspose8(blocks int, src *float32, offs *[8]int, dst *float32, ldd int)
//
// For b < blocks, r < 8, i < 8: dst[(8b+r)·ldd + i] = src[offs[i] + 8b + r].
// Eight rows of eight values, each read from its own offset, are
// transposed in registers (unpack, shuffle, permute lanes) and stored as
// eight rows of dst, ldd values apart; then src moves on by 8 values and
// dst by 8 rows.
TEXT ·sgemmTranspose8(SB), NOSPLIT, $0-40
	MOVQ blocks+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ offs+16(FP), BX
	MOVQ dst+24(FP), DI
	MOVQ ldd+32(FP), DX
	SHLQ $2, DX                // row stride of dst in bytes
	LEAQ (DX)(DX*2), R14       // 3 rows
	MOVQ 0(BX), R8
	MOVQ 8(BX), R9
	MOVQ 16(BX), R10
	MOVQ 24(BX), R11
	MOVQ 32(BX), R12
	MOVQ 40(BX), R13
	MOVQ 48(BX), R15
	MOVQ 56(BX), BX
	TESTQ CX, CX
	JLE  done

loop:
	VMOVUPS (SI)(R8*4), Y0
	VMOVUPS (SI)(R9*4), Y1
	VMOVUPS (SI)(R10*4), Y2
	VMOVUPS (SI)(R11*4), Y3
	VMOVUPS (SI)(R12*4), Y4
	VMOVUPS (SI)(R13*4), Y5
	VMOVUPS (SI)(R15*4), Y6
	VMOVUPS (SI)(BX*4), Y7

	VUNPCKLPS Y1, Y0, Y8   // a0 b0 a1 b1 | a4 b4 a5 b5
	VUNPCKHPS Y1, Y0, Y9   // a2 b2 a3 b3 | a6 b6 a7 b7
	VUNPCKLPS Y3, Y2, Y10  // c0 d0 c1 d1 | c4 d4 c5 d5
	VUNPCKHPS Y3, Y2, Y11  // c2 d2 c3 d3 | c6 d6 c7 d7
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0  // a0 b0 c0 d0 | a4 b4 c4 d4
	VSHUFPS $0xEE, Y10, Y8, Y1  // a1 b1 c1 d1 | a5 b5 c5 d5
	VSHUFPS $0x44, Y11, Y9, Y2  // a2 b2 c2 d2 | a6 b6 c6 d6
	VSHUFPS $0xEE, Y11, Y9, Y3  // a3 b3 c3 d3 | a7 b7 c7 d7
	VSHUFPS $0x44, Y14, Y12, Y4 // e0 f0 g0 h0 | e4 f4 g4 h4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8  // row 0: a0 … h0
	VPERM2F128 $0x20, Y5, Y1, Y9  // row 1
	VPERM2F128 $0x20, Y6, Y2, Y10 // row 2
	VPERM2F128 $0x20, Y7, Y3, Y11 // row 3
	VPERM2F128 $0x31, Y4, Y0, Y12 // row 4
	VPERM2F128 $0x31, Y5, Y1, Y13 // row 5
	VPERM2F128 $0x31, Y6, Y2, Y14 // row 6
	VPERM2F128 $0x31, Y7, Y3, Y15 // row 7

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
	JNZ  loop

done:
	VZEROUPPER
	RET

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
