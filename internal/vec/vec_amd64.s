//go:build !purego

#include "textflag.h"

// AVX2/FMA forms of the kernels in vec.go, 8 float32 lanes at a time. The
// slices' lengths are positive multiples of 8 (the Go wrappers run the
// rest). Go assembly writes operands right to left: VFMADD231PS a, b, c
// sets c = b·a + c.

// func adamAsm(w, g, m, v, vmax []float32, p *AdamParams)
//
// AdamParams: B1 0, B2 4, C1 8, C2 12, Eps 16, LR 20, WD 24, CG 28,
// EpsInside 32. vmax is nil without AMSGrad. Four loops: ε outside or
// inside the root, with or without AMSGrad, built from these steps.

// ADAM_MOMENTS: Y0 = g, Y1 = m, Y3 = v (both stored).
#define ADAM_MOMENTS \
	VMOVUPS (SI)(BX*4), Y0; \
	VMULPS (R8)(BX*4), Y8, Y1; \
	VFMADD231PS Y0, Y9, Y1; \
	VMOVUPS Y1, (R8)(BX*4); \
	VMULPS Y0, Y0, Y2; \
	VMULPS (R9)(BX*4), Y10, Y3; \
	VFMADD231PS Y2, Y11, Y3; \
	VMOVUPS Y3, (R9)(BX*4)

// ADAM_AMS: Y3 = vmax = max(vmax, v) (stored).
#define ADAM_AMS \
	VMAXPS (R10)(BX*4), Y3, Y3; \
	VMOVUPS Y3, (R10)(BX*4)

// ADAM_STEP: u = (C1·m + CG·g)/Y3, w ← w − α(u + λw).
#define ADAM_STEP \
	VMULPS Y12, Y1, Y4; \
	VFMADD231PS Y0, Y6, Y4; \
	VDIVPS Y3, Y4, Y4; \
	VMOVUPS (DI)(BX*4), Y5; \
	VFMADD231PS Y5, Y7, Y4; \
	VFNMADD231PS Y4, Y15, Y5; \
	VMOVUPS Y5, (DI)(BX*4); \
	ADDQ $8, BX; \
	CMPQ BX, CX

TEXT ·adamAsm(SB), NOSPLIT, $0-128
	MOVQ w_base+0(FP), DI
	MOVQ w_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ m_base+48(FP), R8
	MOVQ v_base+72(FP), R9
	MOVQ vmax_base+96(FP), R10
	MOVQ p+120(FP), AX
	MOVL $0x3f800000, DX
	VMOVD DX, X0
	VBROADCASTSS X0, Y0          // 1
	VBROADCASTSS 0(AX), Y8       // β₁
	VSUBPS Y8, Y0, Y9            // 1 − β₁
	VBROADCASTSS 4(AX), Y10      // β₂
	VSUBPS Y10, Y0, Y11          // 1 − β₂
	VBROADCASTSS 8(AX), Y12      // C1
	VBROADCASTSS 12(AX), Y13     // C2
	VBROADCASTSS 16(AX), Y14     // ε
	VBROADCASTSS 20(AX), Y15     // α
	VBROADCASTSS 24(AX), Y7      // λ
	VBROADCASTSS 28(AX), Y6      // CG
	XORQ BX, BX
	MOVBLZX 32(AX), DX
	TESTL DX, DX
	JNZ inside
	TESTQ R10, R10
	JNZ outams
outside:
	ADAM_MOMENTS
	VSQRTPS Y3, Y3
	VFMADD213PS Y14, Y13, Y3     // C2·√v + ε
	ADAM_STEP
	JLT outside
	VZEROUPPER
	RET
outams:
	ADAM_MOMENTS
	ADAM_AMS
	VSQRTPS Y3, Y3
	VFMADD213PS Y14, Y13, Y3
	ADAM_STEP
	JLT outams
	VZEROUPPER
	RET
inside:
	VMULPS Y13, Y13, Y13         // C2²
	TESTQ R10, R10
	JNZ inams
inloop:
	ADAM_MOMENTS
	VFMADD213PS Y14, Y13, Y3     // C2²·v + ε
	VSQRTPS Y3, Y3
	ADAM_STEP
	JLT inloop
	VZEROUPPER
	RET
inams:
	ADAM_MOMENTS
	ADAM_AMS
	VFMADD213PS Y14, Y13, Y3
	VSQRTPS Y3, Y3
	ADAM_STEP
	JLT inams
	VZEROUPPER
	RET

// func adamaxAsm(w, g, m, n []float32, p *AdamaxParams)
//
// AdamaxParams: B1 0, B2 4, C1 8, Eps 12, LR 16.
TEXT ·adamaxAsm(SB), NOSPLIT, $0-104
	MOVQ w_base+0(FP), DI
	MOVQ w_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ m_base+48(FP), R8
	MOVQ n_base+72(FP), R9
	MOVQ p+96(FP), AX
	MOVL $0x3f800000, DX
	VMOVD DX, X0
	VBROADCASTSS X0, Y0
	VBROADCASTSS 0(AX), Y8       // β₁
	VSUBPS Y8, Y0, Y9            // 1 − β₁
	VBROADCASTSS 4(AX), Y10      // β₂
	VBROADCASTSS 8(AX), Y12      // C1
	VBROADCASTSS 12(AX), Y14     // ε
	VBROADCASTSS 16(AX), Y15     // α
	MOVL $0x7fffffff, DX
	VMOVD DX, X0
	VBROADCASTSS X0, Y11         // |·| mask
	XORQ BX, BX
xloop:
	VMOVUPS (SI)(BX*4), Y0       // g
	VMULPS (R8)(BX*4), Y8, Y1
	VFMADD231PS Y0, Y9, Y1       // m = β₁m + (1−β₁)g
	VMOVUPS Y1, (R8)(BX*4)
	VANDPS Y11, Y0, Y2
	VADDPS Y14, Y2, Y2           // |g| + ε
	VMULPS (R9)(BX*4), Y10, Y3   // β₂n
	VMAXPS Y2, Y3, Y3            // n = max(β₂n, |g| + ε)
	VMOVUPS Y3, (R9)(BX*4)
	VMULPS Y12, Y1, Y4
	VDIVPS Y3, Y4, Y4            // C1·m/n
	VMOVUPS (DI)(BX*4), Y5
	VFNMADD231PS Y4, Y15, Y5
	VMOVUPS Y5, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT xloop
	VZEROUPPER
	RET

// func lionAsm(w, g, m []float32, p *LionParams)
//
// LionParams: B1 0, B2 4, LR 8, WD 12. sign(c) = [c > 0] − [c < 0], so
// that NaN gives 0 as in the Go form.
TEXT ·lionAsm(SB), NOSPLIT, $0-80
	MOVQ w_base+0(FP), DI
	MOVQ w_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ m_base+48(FP), R8
	MOVQ p+72(FP), AX
	MOVL $0x3f800000, DX
	VMOVD DX, X0
	VBROADCASTSS X0, Y13         // 1
	VBROADCASTSS 0(AX), Y8       // β₁
	VSUBPS Y8, Y13, Y9           // 1 − β₁
	VBROADCASTSS 4(AX), Y10      // β₂
	VSUBPS Y10, Y13, Y11         // 1 − β₂
	VBROADCASTSS 8(AX), Y15      // α
	VBROADCASTSS 12(AX), Y7      // λ
	VXORPS Y14, Y14, Y14         // 0
	XORQ BX, BX
lloop:
	VMOVUPS (SI)(BX*4), Y0       // g
	VMOVUPS (R8)(BX*4), Y1       // m
	VMULPS Y1, Y8, Y2
	VFMADD231PS Y0, Y9, Y2       // c = β₁m + (1−β₁)g
	VMULPS Y1, Y10, Y1
	VFMADD231PS Y0, Y11, Y1      // m = β₂m + (1−β₂)g
	VMOVUPS Y1, (R8)(BX*4)
	VCMPPS $0x1e, Y14, Y2, Y3    // c > 0
	VCMPPS $0x11, Y14, Y2, Y4    // c < 0 (LT_OQ)
	VANDPS Y13, Y3, Y3
	VANDPS Y13, Y4, Y4
	VSUBPS Y4, Y3, Y3            // sign(c)
	VMOVUPS (DI)(BX*4), Y5
	VFMADD231PS Y5, Y7, Y3       // sign(c) + λw
	VFNMADD231PS Y3, Y15, Y5
	VMOVUPS Y5, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT lloop
	VZEROUPPER
	RET

// func momentumAsm(w, g, b []float32, k *[5]float32)
//
// k: μ' 0, d' 4, cg 8, cb 12, α 16, so that b ← μ'b + d'g and
// w ← w − α(cg·g + cb·b).
TEXT ·momentumAsm(SB), NOSPLIT, $0-80
	MOVQ w_base+0(FP), DI
	MOVQ w_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ b_base+48(FP), R8
	MOVQ k+72(FP), AX
	VBROADCASTSS 0(AX), Y8
	VBROADCASTSS 4(AX), Y9
	VBROADCASTSS 8(AX), Y10
	VBROADCASTSS 12(AX), Y11
	VBROADCASTSS 16(AX), Y12
	XORQ BX, BX
mloop:
	VMOVUPS (SI)(BX*4), Y0       // g
	VMULPS (R8)(BX*4), Y8, Y1    // μ'b
	VFMADD231PS Y0, Y9, Y1       // b = μ'b + d'g
	VMOVUPS Y1, (R8)(BX*4)
	VMULPS Y0, Y10, Y2           // cg·g
	VFMADD231PS Y1, Y11, Y2      // cg·g + cb·b
	VMOVUPS (DI)(BX*4), Y3
	VFNMADD231PS Y2, Y12, Y3     // w − α(…)
	VMOVUPS Y3, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT mloop
	VZEROUPPER
	RET

// func axpyAsm(a float32, x, y []float32)
TEXT ·axpyAsm(SB), NOSPLIT, $0-56
	VBROADCASTSS a+0(FP), Y8
	MOVQ x_base+8(FP), SI
	MOVQ y_base+32(FP), DI
	MOVQ y_len+40(FP), CX
	XORQ BX, BX
	CMPQ CX, $32
	JLT aloop8
aloop32:
	VMOVUPS (DI)(BX*4), Y0
	VMOVUPS 32(DI)(BX*4), Y1
	VMOVUPS 64(DI)(BX*4), Y2
	VMOVUPS 96(DI)(BX*4), Y3
	VFMADD231PS (SI)(BX*4), Y8, Y0
	VFMADD231PS 32(SI)(BX*4), Y8, Y1
	VFMADD231PS 64(SI)(BX*4), Y8, Y2
	VFMADD231PS 96(SI)(BX*4), Y8, Y3
	VMOVUPS Y0, (DI)(BX*4)
	VMOVUPS Y1, 32(DI)(BX*4)
	VMOVUPS Y2, 64(DI)(BX*4)
	VMOVUPS Y3, 96(DI)(BX*4)
	ADDQ $32, BX
	LEAQ 32(BX), DX
	CMPQ DX, CX
	JLE aloop32
	CMPQ BX, CX
	JGE adone
aloop8:
	VMOVUPS (DI)(BX*4), Y0
	VFMADD231PS (SI)(BX*4), Y8, Y0
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT aloop8
adone:
	VZEROUPPER
	RET

// func reluAsm(dst, x []float32)
//
// VMAXPS returns its second source (Go's first operand) when either is
// NaN, so max(0, x) is written with x there: NaN passes through.
TEXT ·reluAsm(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VXORPS Y8, Y8, Y8
	XORQ BX, BX
	CMPQ CX, $32
	JLT rloop8
rloop32:
	VMOVUPS (SI)(BX*4), Y0
	VMOVUPS 32(SI)(BX*4), Y1
	VMOVUPS 64(SI)(BX*4), Y2
	VMOVUPS 96(SI)(BX*4), Y3
	VMAXPS Y0, Y8, Y0
	VMAXPS Y1, Y8, Y1
	VMAXPS Y2, Y8, Y2
	VMAXPS Y3, Y8, Y3
	VMOVUPS Y0, (DI)(BX*4)
	VMOVUPS Y1, 32(DI)(BX*4)
	VMOVUPS Y2, 64(DI)(BX*4)
	VMOVUPS Y3, 96(DI)(BX*4)
	ADDQ $32, BX
	LEAQ 32(BX), DX
	CMPQ DX, CX
	JLE rloop32
	CMPQ BX, CX
	JGE rdone
rloop8:
	VMOVUPS (SI)(BX*4), Y0
	VMAXPS Y0, Y8, Y0
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT rloop8
rdone:
	VZEROUPPER
	RET

// func reluBackwardAsm(gx, g, y []float32)
//
// The mask y > 0 (ordered, so NaN gives false) selects g.
TEXT ·reluBackwardAsm(SB), NOSPLIT, $0-72
	MOVQ gx_base+0(FP), DI
	MOVQ gx_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ y_base+48(FP), R8
	VXORPS Y8, Y8, Y8
	XORQ BX, BX
bloop:
	VMOVUPS (R8)(BX*4), Y0
	VCMPPS $0x1e, Y8, Y0, Y0     // y > 0 (GT_OQ)
	VANDPS (SI)(BX*4), Y0, Y0
	VADDPS (DI)(BX*4), Y0, Y0
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT bloop
	VZEROUPPER
	RET

// func rmsAsm(w, g, s []float32, p *RMSParams)
//
// RMSParams: A 0, B 4, Eps 8, LR 12, EpsInside 16. Two loops, ε outside or
// inside the root, built from these steps.

// RMS_ACC: Y0 = g, Y1 = s = A·s + B·g² (stored).
#define RMS_ACC \
	VMOVUPS (SI)(BX*4), Y0; \
	VMULPS Y0, Y0, Y1; \
	VMULPS Y1, Y9, Y1; \
	VFMADD231PS (R8)(BX*4), Y8, Y1; \
	VMOVUPS Y1, (R8)(BX*4)

// RMS_STEP: w ← w − α·g/Y1; next 8.
#define RMS_STEP \
	VDIVPS Y1, Y0, Y0; \
	VMOVUPS (DI)(BX*4), Y2; \
	VFNMADD231PS Y0, Y11, Y2; \
	VMOVUPS Y2, (DI)(BX*4); \
	ADDQ $8, BX; \
	CMPQ BX, CX

TEXT ·rmsAsm(SB), NOSPLIT, $0-80
	MOVQ w_base+0(FP), DI
	MOVQ w_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ s_base+48(FP), R8
	MOVQ p+72(FP), AX
	VBROADCASTSS 0(AX), Y8       // A
	VBROADCASTSS 4(AX), Y9       // B
	VBROADCASTSS 8(AX), Y10      // ε
	VBROADCASTSS 12(AX), Y11     // α
	XORQ BX, BX
	MOVBLZX 16(AX), DX
	TESTL DX, DX
	JNZ sinside
soutside:
	RMS_ACC
	VSQRTPS Y1, Y1
	VADDPS Y10, Y1, Y1           // √s + ε
	RMS_STEP
	JLT soutside
	VZEROUPPER
	RET
sinside:
	RMS_ACC
	VADDPS Y10, Y1, Y1           // s + ε
	VSQRTPS Y1, Y1
	RMS_STEP
	JLT sinside
	VZEROUPPER
	RET

// func adadeltaAsm(w, g, s, d []float32, p *AdadeltaParams)
//
// AdadeltaParams: Rho 0, Eps 4, LR 8, EpsOutside 12. Two loops, PyTorch's
// √(d + ε)/√(s + ε) or the lecture's (√d + ε)/(√s + ε), built from these
// steps.

// DELTA_ACC: Y0 = g, Y1 = s = ρs + (1−ρ)g² (stored), Y2 = d.
#define DELTA_ACC \
	VMOVUPS (SI)(BX*4), Y0; \
	VMULPS Y0, Y0, Y1; \
	VMULPS Y1, Y9, Y1; \
	VFMADD231PS (R8)(BX*4), Y8, Y1; \
	VMOVUPS Y1, (R8)(BX*4); \
	VMOVUPS (R9)(BX*4), Y2

// DELTA_STEP: u = Y3/Y1·g, d ← ρd + (1−ρ)u² (stored), w ← w − α·u; next 8.
#define DELTA_STEP \
	VDIVPS Y1, Y3, Y3; \
	VMULPS Y0, Y3, Y3; \
	VMULPS Y3, Y3, Y4; \
	VMULPS Y4, Y9, Y4; \
	VFMADD231PS Y2, Y8, Y4; \
	VMOVUPS Y4, (R9)(BX*4); \
	VMOVUPS (DI)(BX*4), Y5; \
	VFNMADD231PS Y3, Y11, Y5; \
	VMOVUPS Y5, (DI)(BX*4); \
	ADDQ $8, BX; \
	CMPQ BX, CX

TEXT ·adadeltaAsm(SB), NOSPLIT, $0-104
	MOVQ w_base+0(FP), DI
	MOVQ w_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ s_base+48(FP), R8
	MOVQ d_base+72(FP), R9
	MOVQ p+96(FP), AX
	MOVL $0x3f800000, DX
	VMOVD DX, X0
	VBROADCASTSS X0, Y0          // 1
	VBROADCASTSS 0(AX), Y8       // ρ
	VSUBPS Y8, Y0, Y9            // 1 − ρ
	VBROADCASTSS 4(AX), Y10      // ε
	VBROADCASTSS 8(AX), Y11      // α
	XORQ BX, BX
	MOVBLZX 12(AX), DX
	TESTL DX, DX
	JNZ eoutside
einside:
	DELTA_ACC
	VADDPS Y10, Y1, Y1
	VSQRTPS Y1, Y1               // √(s + ε)
	VADDPS Y10, Y2, Y3
	VSQRTPS Y3, Y3               // √(d + ε)
	DELTA_STEP
	JLT einside
	VZEROUPPER
	RET
eoutside:
	DELTA_ACC
	VSQRTPS Y1, Y1
	VADDPS Y10, Y1, Y1           // √s + ε
	VSQRTPS Y2, Y3
	VADDPS Y10, Y3, Y3           // √d + ε
	DELTA_STEP
	JLT eoutside
	VZEROUPPER
	RET

// func sumAsm(x []float32) float32
//
// len(x) is a positive multiple of 32: four accumulators of 8 lanes.
TEXT ·sumAsm(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ BX, BX
sloop:
	VADDPS (SI)(BX*4), Y0, Y0
	VADDPS 32(SI)(BX*4), Y1, Y1
	VADDPS 64(SI)(BX*4), Y2, Y2
	VADDPS 96(SI)(BX*4), Y3, Y3
	ADDQ $32, BX
	CMPQ BX, CX
	JLT sloop
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// The constants of expAsm, broadcast from memory.
DATA expc<>+0(SB)/4, $0x42b17218   // 88.72284: above, +Inf
DATA expc<>+4(SB)/4, $0xc2aeac50   // −87.33654: below, 0
DATA expc<>+8(SB)/4, $0x3fb8aa3b   // log₂e
DATA expc<>+12(SB)/4, $0x3f318000  // ln 2, high part (0.693359375)
DATA expc<>+16(SB)/4, $0xb95e8083  // ln 2, low part (−2.12194440e−4)
DATA expc<>+20(SB)/4, $0x39506967  // p0 1.9875691500e−4
DATA expc<>+24(SB)/4, $0x3ab743ce  // p1 1.3981999507e−3
DATA expc<>+28(SB)/4, $0x3c088908  // p2 8.3334519073e−3
DATA expc<>+32(SB)/4, $0x3d2aa9c1  // p3 4.1665795894e−2
DATA expc<>+36(SB)/4, $0x3e2aaaaa  // p4 1.6666665459e−1
DATA expc<>+40(SB)/4, $0x3f000000  // p5 0.5
DATA expc<>+44(SB)/4, $0x3f800000  // 1
DATA expc<>+48(SB)/4, $0x7f800000  // +Inf
DATA expc<>+52(SB)/4, $0x0000007f  // exponent bias 127
GLOBL expc<>(SB), RODATA|NOPTR, $56

// EXP8 sets Y0 = e^Y0 (8 lanes), using Y1–Y7 and the constants in Y8–Y15
// (EXPCONST: Y8 hi, Y9 lo, Y10 log₂e, Y11 ln 2 high, Y12 ln 2 low, Y13 1,
// Y14 +Inf, Y15 the exponent bias) and expc<>. Its steps: masks for x > hi,
// x < lo and NaN; x clamped to hi above, set to 0 below lo (clamped to lo,
// it would give e^lo, subnormal: such results cost a microcode assist, 4
// times the whole kernel's time on Zen 4); EXP8_CORE; then +Inf above hi,
// 0 below lo, NaN kept.
#define EXP8 \
	VCMPPS $0x1e, Y8, Y0, Y6; \
	VCMPPS $0x11, Y9, Y0, Y7; \
	VCMPPS $0x03, Y0, Y0, Y5; \
	VMINPS Y8, Y0, Y1; \
	VANDNPS Y1, Y7, Y1; \
	EXP8_CORE; \
	VBLENDVPS Y6, Y14, Y3, Y3; \
	VANDNPS Y3, Y7, Y3; \
	VBLENDVPS Y5, Y0, Y3, Y0

// EXPNEG8 is EXP8 for Y0 ≤ 0 or NaN (x − max x in a softmax): without the
// steps for x > hi it leaves Y6, Y8 and Y14 alone.
#define EXPNEG8 \
	VCMPPS $0x11, Y9, Y0, Y7; \
	VCMPPS $0x03, Y0, Y0, Y5; \
	VANDNPS Y0, Y7, Y1; \
	EXP8_CORE; \
	VANDNPS Y3, Y7, Y3; \
	VBLENDVPS Y5, Y0, Y3, Y0

// EXP8_CORE sets Y3 = e^Y1 for Y1 in [lo, hi], using Y2, Y4 and the
// constants Y10–Y13, Y15: n = round(x·log₂e); r = x − n·ln 2 in two parts;
// p(r) by Horner; e^r = p·r² + r + 1; times 2ⁿ as 2^⌊n/2⌋·2^⌈n/2⌉, each
// built in the exponent bits (2ⁿ alone leaves the normal range at both
// ends).
#define EXP8_CORE \
	VMULPS Y10, Y1, Y2; \
	VROUNDPS $0, Y2, Y2; \
	VFNMADD231PS Y11, Y2, Y1; \
	VFNMADD231PS Y12, Y2, Y1; \
	VBROADCASTSS expc<>+20(SB), Y3; \
	VBROADCASTSS expc<>+24(SB), Y4; \
	VFMADD213PS Y4, Y1, Y3; \
	VBROADCASTSS expc<>+28(SB), Y4; \
	VFMADD213PS Y4, Y1, Y3; \
	VBROADCASTSS expc<>+32(SB), Y4; \
	VFMADD213PS Y4, Y1, Y3; \
	VBROADCASTSS expc<>+36(SB), Y4; \
	VFMADD213PS Y4, Y1, Y3; \
	VBROADCASTSS expc<>+40(SB), Y4; \
	VFMADD213PS Y4, Y1, Y3; \
	VMULPS Y1, Y1, Y4; \
	VFMADD213PS Y1, Y4, Y3; \
	VADDPS Y13, Y3, Y3; \
	VCVTPS2DQ Y2, Y2; \
	VPSRAD $1, Y2, Y4; \
	VPSUBD Y4, Y2, Y2; \
	VPADDD Y15, Y4, Y4; \
	VPSLLD $23, Y4, Y4; \
	VMULPS Y4, Y3, Y3; \
	VPADDD Y15, Y2, Y2; \
	VPSLLD $23, Y2, Y2; \
	VMULPS Y2, Y3, Y3

#define EXPCONST \
	VBROADCASTSS expc<>+0(SB), Y8; \
	VBROADCASTSS expc<>+4(SB), Y9; \
	VBROADCASTSS expc<>+8(SB), Y10; \
	VBROADCASTSS expc<>+12(SB), Y11; \
	VBROADCASTSS expc<>+16(SB), Y12; \
	VBROADCASTSS expc<>+44(SB), Y13; \
	VBROADCASTSS expc<>+48(SB), Y14; \
	VPBROADCASTD expc<>+52(SB), Y15

// func expAsm(dst, x []float32)
TEXT ·expAsm(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	EXPCONST
	XORQ BX, BX
xploop:
	VMOVUPS (SI)(BX*4), Y0
	EXP8
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT xploop
	VZEROUPPER
	RET

// func sigmoidAsm(dst, x []float32)
//
// 1/(1 + e⁻ˣ): e⁻ˣ = +Inf gives 0, NaN stays NaN.
TEXT ·sigmoidAsm(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	EXPCONST
	XORQ BX, BX
sgloop:
	VMOVUPS (SI)(BX*4), Y0
	VXORPS Y1, Y1, Y1
	VSUBPS Y0, Y1, Y0            // −x
	EXP8
	VADDPS Y13, Y0, Y0           // 1 + e⁻ˣ
	VDIVPS Y0, Y13, Y0           // 1/(1 + e⁻ˣ)
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT sgloop
	VZEROUPPER
	RET

// The constants of tanhAsm, broadcast from memory: Cephes's tanhf.c.
DATA tanhc<>+0(SB)/4, $0x7fffffff  // |·| mask
DATA tanhc<>+4(SB)/4, $0x40000000  // 2
DATA tanhc<>+8(SB)/4, $0x3f200000  // 0.625: below, the polynomial
DATA tanhc<>+12(SB)/4, $0xbbbaf0ea // p0 −5.70498872745e−3
DATA tanhc<>+16(SB)/4, $0x3ca9134e // p1 2.06390887954e−2
DATA tanhc<>+20(SB)/4, $0xbd5c1e2d // p2 −5.37397155531e−2
DATA tanhc<>+24(SB)/4, $0x3e088393 // p3 1.33314422036e−1
DATA tanhc<>+28(SB)/4, $0xbeaaaa99 // p4 −3.33332819422e−1
DATA tanhc<>+32(SB)/4, $0xff800000 // −Inf (logSumExpAsm)
GLOBL tanhc<>(SB), RODATA|NOPTR, $36

// func tanhAsm(dst, x []float32)
//
// Both forms of Cephes's tanhf on a = |x|, the result taking the sign of
// x: t = 1 − 2/(e^2a + 1), through EXP8 (e^2a = +Inf gives 1), and
// a + a·z·P(z), z = a², chosen where a < 0.625 (an ordered comparison, so
// NaN takes the first form, which keeps it). x is loaded again after EXP8,
// which leaves no register free.
TEXT ·tanhAsm(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	EXPCONST
	XORQ BX, BX
thloop:
	VBROADCASTSS tanhc<>+0(SB), Y1
	VANDPS (SI)(BX*4), Y1, Y0    // a = |x|
	VADDPS Y0, Y0, Y0            // 2a
	EXP8
	VADDPS Y13, Y0, Y0           // e^2a + 1
	VBROADCASTSS tanhc<>+4(SB), Y1
	VDIVPS Y0, Y1, Y0            // 2/(e^2a + 1)
	VSUBPS Y0, Y13, Y0           // 1 − 2/(e^2a + 1)
	VMOVUPS (SI)(BX*4), Y2       // x
	VBROADCASTSS tanhc<>+0(SB), Y1
	VANDPS Y1, Y2, Y3            // a
	VXORPS Y3, Y2, Y2            // the sign bit of x
	VMULPS Y3, Y3, Y4            // z = a²
	VBROADCASTSS tanhc<>+12(SB), Y5
	VBROADCASTSS tanhc<>+16(SB), Y6
	VFMADD213PS Y6, Y4, Y5
	VBROADCASTSS tanhc<>+20(SB), Y6
	VFMADD213PS Y6, Y4, Y5
	VBROADCASTSS tanhc<>+24(SB), Y6
	VFMADD213PS Y6, Y4, Y5
	VBROADCASTSS tanhc<>+28(SB), Y6
	VFMADD213PS Y6, Y4, Y5       // P(z)
	VMULPS Y4, Y5, Y5            // z·P(z)
	VFMADD213PS Y3, Y3, Y5       // a + a·z·P(z)
	VBROADCASTSS tanhc<>+8(SB), Y6
	VCMPPS $0x11, Y6, Y3, Y6     // a < 0.625 (LT_OQ)
	VBLENDVPS Y6, Y5, Y0, Y0
	VORPS Y2, Y0, Y0             // the sign of x
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT thloop
	VZEROUPPER
	RET

// func sigmoidBackwardAsm(gx, g, y []float32)
TEXT ·sigmoidBackwardAsm(SB), NOSPLIT, $0-72
	MOVQ gx_base+0(FP), DI
	MOVQ gx_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ y_base+48(FP), R8
	VBROADCASTSS expc<>+44(SB), Y8 // 1
	XORQ BX, BX
sbloop:
	VMOVUPS (R8)(BX*4), Y0       // y
	VSUBPS Y0, Y8, Y1            // 1 − y
	VMULPS Y1, Y0, Y1            // y(1 − y)
	VMOVUPS (DI)(BX*4), Y2
	VFMADD231PS (SI)(BX*4), Y1, Y2
	VMOVUPS Y2, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT sbloop
	VZEROUPPER
	RET

// func tanhBackwardAsm(gx, g, y []float32)
TEXT ·tanhBackwardAsm(SB), NOSPLIT, $0-72
	MOVQ gx_base+0(FP), DI
	MOVQ gx_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ y_base+48(FP), R8
	VBROADCASTSS expc<>+44(SB), Y8 // 1
	XORQ BX, BX
tbloop:
	VMOVUPS (R8)(BX*4), Y0       // y
	VMOVAPS Y8, Y1
	VFNMADD231PS Y0, Y0, Y1      // 1 − y²
	VMOVUPS (DI)(BX*4), Y2
	VFMADD231PS (SI)(BX*4), Y1, Y2
	VMOVUPS Y2, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT tbloop
	VZEROUPPER
	RET

// func axpyExpAsm(a float32, x, y []float32)
TEXT ·axpyExpAsm(SB), NOSPLIT, $0-56
	MOVQ x_base+8(FP), SI
	MOVQ y_base+32(FP), DI
	MOVQ y_len+40(FP), CX
	EXPCONST
	XORQ BX, BX
aeloop:
	VMOVUPS (SI)(BX*4), Y0
	EXP8
	VBROADCASTSS a+0(FP), Y1
	VFMADD213PS (DI)(BX*4), Y1, Y0 // y + a·eˣ
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT aeloop
	VZEROUPPER
	RET

// TAILMASK sets Y to the mask of the first R lanes (R < 8, in a
// general register), using Y0. VMOVQ, not MOVQ: the legacy SSE move keeps
// Y0's upper half, so it waits for Y0's last writer (an EXP8 chain in
// logSumExpAsm, which made a row of 10 cost twice as much).
#define TAILMASK(R, Y) \
	VMOVQ R, X0; \
	VPBROADCASTD X0, Y0; \
	VPCMPGTD poolidx<>+0(SB), Y0, Y

// ACCPD adds the eight float32 lanes of Y0, converted to float64, to the
// sums in Y14 (lanes 0–3) and Y6 (4–7), using Y1 and Y2.
#define ACCPD \
	VCVTPS2PD X0, Y1; \
	VEXTRACTF128 $1, Y0, X2; \
	VCVTPS2PD X2, Y2; \
	VADDPD Y1, Y14, Y14; \
	VADDPD Y2, Y6, Y6

// func logSumExpAsm(x []float32) (m float32, s float64)
//
// len(x) ≥ 1, any length: blocks of eight, then the tail through masked
// loads, its other lanes set to −Inf (which changes no maximum and adds
// e^−Inf = 0). Two passes: m = max x (into m, then broadcast), then
// s = Σ e^(x − m) through EXPNEG8, in float64.
TEXT ·logSumExpAsm(SB), NOSPLIT, $0-40
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ CX, DX
	ANDQ $7, DX                  // the tail
	ANDQ $-8, CX                 // the blocks
	VBROADCASTSS tanhc<>+32(SB), Y8 // −Inf
	XORQ BX, BX
	CMPQ BX, CX
	JGE lmtail
lmloop:
	VMAXPS (SI)(BX*4), Y8, Y8
	ADDQ $8, BX
	CMPQ BX, CX
	JLT lmloop
lmtail:
	TESTQ DX, DX
	JZ lmdone
	TAILMASK(DX, Y3)
	VMASKMOVPS (SI)(BX*4), Y3, Y1
	VBROADCASTSS tanhc<>+32(SB), Y2
	VBLENDVPS Y3, Y1, Y2, Y1
	VMAXPS Y1, Y8, Y8
lmdone:
	VEXTRACTF128 $1, Y8, X0
	VMAXPS X0, X8, X8
	VPERMILPS $0x4e, X8, X0
	VMAXPS X0, X8, X8
	VPERMILPS $0xb1, X8, X0
	VMAXPS X0, X8, X8
	VMOVSS X8, m+24(FP)
	EXPCONST
	VBROADCASTSS m+24(FP), Y8    // m
	VXORPD Y14, Y14, Y14
	VXORPD Y6, Y6, Y6
	XORQ BX, BX
	CMPQ BX, CX
	JGE lstail
lsloop:
	VMOVUPS (SI)(BX*4), Y0
	VSUBPS Y8, Y0, Y0            // x − m
	EXPNEG8
	ACCPD
	ADDQ $8, BX
	CMPQ BX, CX
	JLT lsloop
lstail:
	TESTQ DX, DX
	JZ lsdone
	TAILMASK(DX, Y3)
	VMASKMOVPS (SI)(BX*4), Y3, Y0
	VBROADCASTSS tanhc<>+32(SB), Y2
	VBLENDVPS Y3, Y0, Y2, Y0
	VSUBPS Y8, Y0, Y0
	EXPNEG8
	ACCPD
lsdone:
	VADDPD Y6, Y14, Y14
	VEXTRACTF128 $1, Y14, X0
	VADDPD X0, X14, X14
	VPERMILPD $1, X14, X0
	VADDSD X0, X14, X14
	VMOVSD X14, s+32(FP)
	VZEROUPPER
	RET

// func shiftAsm(dst, x []float32, c float64)
//
// dst = x − c in float64, rounded once to float32. len(dst) ≥ 1, any
// length: blocks of eight, then the tail through masked loads and stores.
TEXT ·shiftAsm(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSD c+48(FP), Y8
	MOVQ CX, DX
	ANDQ $7, DX
	ANDQ $-8, CX
	XORQ BX, BX
	CMPQ BX, CX
	JGE shtail
shloop:
	VCVTPS2PD (SI)(BX*4), Y1
	VCVTPS2PD 16(SI)(BX*4), Y2
	VSUBPD Y8, Y1, Y1
	VSUBPD Y8, Y2, Y2
	VCVTPD2PSY Y1, X1
	VCVTPD2PSY Y2, X2
	VINSERTF128 $1, X2, Y1, Y1
	VMOVUPS Y1, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT shloop
shtail:
	TESTQ DX, DX
	JZ shdone
	TAILMASK(DX, Y3)
	VMASKMOVPS (SI)(BX*4), Y3, Y0
	VCVTPS2PD X0, Y1
	VEXTRACTF128 $1, Y0, X2
	VCVTPS2PD X2, Y2
	VSUBPD Y8, Y1, Y1
	VSUBPD Y8, Y2, Y2
	VCVTPD2PSY Y1, X1
	VCVTPD2PSY Y2, X2
	VINSERTF128 $1, X2, Y1, Y1
	VMASKMOVPS Y1, Y3, (DI)(BX*4)
shdone:
	VZEROUPPER
	RET

// func addRowsAsm(count, rows, cols int, dst *float32, ldd, dstStep int, src *float32, lds, srcStep int)
//
// For k < count, i < rows, j < cols:
// dst[k·dstStep + i·ldd + j] += src[k·srcStep + i·lds + j]; count, rows,
// cols ≥ 1. Eight columns at a time, then one at a time.
TEXT ·addRowsAsm(SB), NOSPLIT, $0-72
	MOVQ count+0(FP), R12
	MOVQ cols+16(FP), R8
	MOVQ dst+24(FP), R10
	MOVQ ldd+32(FP), DX
	SHLQ $2, DX
	MOVQ dstStep+40(FP), R13
	SHLQ $2, R13
	MOVQ src+48(FP), R11
	MOVQ lds+56(FP), BX
	SHLQ $2, BX
	MOVQ srcStep+64(FP), R14
	SHLQ $2, R14
	MOVQ R8, R9
	SUBQ $8, R9 // the last column where eight still fit
ablock:
	MOVQ rows+8(FP), CX
	MOVQ R10, DI
	MOVQ R11, SI
arow:
	XORQ AX, AX
arow8:
	CMPQ AX, R9
	JGT  arow1
	VMOVUPS (SI)(AX*4), Y0
	VADDPS  (DI)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     arow8
arow1:
	CMPQ AX, R8
	JGE  anext
	VMOVSS (SI)(AX*4), X0
	VADDSS (DI)(AX*4), X0, X0
	VMOVSS X0, (DI)(AX*4)
	INCQ   AX
	JMP    arow1
anext:
	ADDQ DX, DI
	ADDQ BX, SI
	DECQ CX
	JNZ  arow
	ADDQ R13, R10
	ADDQ R14, R11
	DECQ R12
	JNZ  ablock
	VZEROUPPER
	RET

DATA poolsteps<>+0(SB)/4, $0x00000000  // 0
DATA poolsteps<>+4(SB)/4, $0x40000000  // 2
DATA poolsteps<>+8(SB)/4, $0x40800000  // 4
DATA poolsteps<>+12(SB)/4, $0x40c00000 // 6
DATA poolsteps<>+16(SB)/4, $0x41000000 // 8
DATA poolsteps<>+20(SB)/4, $0x41200000 // 10
DATA poolsteps<>+24(SB)/4, $0x41400000 // 12
DATA poolsteps<>+28(SB)/4, $0x41600000 // 14
GLOBL poolsteps<>(SB), RODATA|NOPTR, $32

DATA poolconst<>+0(SB)/4, $0x3f800000 // 1
DATA poolconst<>+4(SB)/4, $0x41800000 // 16
GLOBL poolconst<>(SB), RODATA|NOPTR, $8

DATA poolidx<>+0(SB)/4, $0
DATA poolidx<>+4(SB)/4, $1
DATA poolidx<>+8(SB)/4, $2
DATA poolidx<>+12(SB)/4, $3
DATA poolidx<>+16(SB)/4, $4
DATA poolidx<>+20(SB)/4, $5
DATA poolidx<>+24(SB)/4, $6
DATA poolidx<>+28(SB)/4, $7
DATA poolidx<>+32(SB)/4, $8
DATA poolidx<>+36(SB)/4, $9
DATA poolidx<>+40(SB)/4, $10
DATA poolidx<>+44(SB)/4, $11
DATA poolidx<>+48(SB)/4, $12
DATA poolidx<>+52(SB)/4, $13
DATA poolidx<>+56(SB)/4, $14
DATA poolidx<>+60(SB)/4, $15
GLOBL poolidx<>(SB), RODATA|NOPTR, $64

// POOL_BLOCK computes eight outputs from the two input rows in Y0, Y1
// (r0) and Y2, Y3 (r1): the maxima, in order, in Y9, and their offsets in
// the window (0, 1, w, w+1), in order, in Y1; it ORs into R9 the mask of
// windows holding NaN. The pairs are split into even and odd elements with
// shuffles, which leave the outputs in the order 0 1 4 5 2 3 6 7; a
// permutation of 64-bit pairs restores it.
#define POOL_BLOCK \
	VSHUFPS $0x88, Y1, Y0, Y4 \ // a: r0 even
	VSHUFPS $0xDD, Y1, Y0, Y5 \ // b: r0 odd
	VSHUFPS $0x88, Y3, Y2, Y6 \ // c: r1 even
	VSHUFPS $0xDD, Y3, Y2, Y7 \ // d: r1 odd
	VMAXPS  Y5, Y4, Y8 \
	VMAXPS  Y7, Y6, Y9 \
	VMAXPS  Y9, Y8, Y8 \ // m
	VCMPPS  $3, Y5, Y4, Y0 \ // unordered: a NaN among a, b
	VCMPPS  $3, Y7, Y6, Y1 \
	VORPS   Y1, Y0, Y0 \
	VMOVMSKPS Y0, AX \
	ORQ     AX, R9 \
	VPERMPD $0xD8, Y8, Y9 \
	VMOVAPS   Y13, Y1 \ // w + 1, unless
	VCMPPS    $0, Y8, Y6, Y0 \
	VBLENDVPS Y0, Y11, Y1, Y1 \ // c is the maximum: w
	VCMPPS    $0, Y8, Y5, Y0 \
	VBLENDVPS Y0, Y12, Y1, Y1 \ // b: 1
	VCMPPS    $0, Y8, Y4, Y0 \
	VBLENDVPS Y0, Y14, Y1, Y1 \ // a: 0
	VPERMPD   $0xD8, Y1, Y1

// func maxPool2Asm(rows, blocks, tail int, r0, r1, y, arg *float32, step int, pos, dpos, w float32) (nan bool)
//
// For each of rows output rows, y[j] = max of the window r0[2j], r0[2j+1],
// r1[2j], r1[2j+1] and, unless arg is nil, arg[j] = pos + 2j + the offset
// of its first maximum (0, 1, w or w+1), for j < 8·blocks + tail, tail < 8:
// blocks of eight outputs, then the tail: four outputs from eight values of
// each row with 128-bit stores, or any other count with masked loads, the
// outputs going through the stack (masked stores are slow on AMD's cores).
// The next row's outputs follow in y and arg; its input rows are step
// values after r0 and r1, and its pos dpos (step) more. nan reports a window
// holding NaN, whose results are then not to be used.
TEXT ·maxPool2Asm(SB), NOSPLIT, $72-81
	MOVQ rows+0(FP), R12
	MOVQ r0+24(FP), R13
	MOVQ r1+32(FP), R15
	MOVQ y+40(FP), DI
	MOVQ arg+48(FP), R8
	MOVQ step+56(FP), R14
	SHLQ $2, R14
	MOVL pos+64(FP), AX
	MOVL AX, posrow-72(SP)
	VBROADCASTSS w+72(FP), Y11          // w
	VBROADCASTSS poolconst<>+0(SB), Y12 // 1
	VADDPS       Y12, Y11, Y13          // w + 1
	VXORPS       Y14, Y14, Y14          // 0
	VBROADCASTSS poolconst<>+4(SB), Y15 // 16
	XORQ  R9, R9
	TESTQ R12, R12
	JLE   pdone

prow:
	MOVQ         R13, SI
	MOVQ         R15, DX
	VBROADCASTSS posrow-72(SP), Y10
	VADDPS       poolsteps<>(SB), Y10, Y10 // pos + 2j
	MOVQ         blocks+8(FP), CX
	TESTQ        CX, CX
	JLE          ptail

ploop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS (DX), Y2
	VMOVUPS 32(DX), Y3
	POOL_BLOCK
	VMOVUPS Y9, (DI)
	TESTQ   R8, R8
	JZ      pnext
	VADDPS  Y10, Y1, Y1
	VMOVUPS Y1, (R8)
	ADDQ    $32, R8

pnext:
	VADDPS Y15, Y10, Y10
	ADDQ   $64, SI
	ADDQ   $64, DX
	ADDQ   $32, DI
	DECQ   CX
	JNZ    ploop

ptail:
	MOVQ  tail+16(FP), BX
	TESTQ BX, BX
	JLE   prownext
	CMPQ  BX, $4
	JNE   pmasked

	// Four outputs: eight values of each row, the other halves 0.
	VMOVUPS (SI), Y0
	VXORPS  Y1, Y1, Y1
	VMOVUPS (DX), Y2
	VXORPS  Y3, Y3, Y3
	POOL_BLOCK
	VMOVUPS X9, (DI)
	ADDQ    $16, DI
	TESTQ   R8, R8
	JZ      prownext
	VADDPS  Y10, Y1, Y1
	VMOVUPS X1, (R8)
	ADDQ    $16, R8
	JMP     prownext

pmasked:
	// Masks: the first 2·tail input values (over two registers).
	// Masked-off lanes load as 0.
	LEAQ         (BX)(BX*1), AX
	MOVQ         AX, X0
	VPBROADCASTD X0, Y0
	VMOVDQU      poolidx<>+0(SB), Y1
	VMOVDQU      poolidx<>+32(SB), Y2
	VPCMPGTD     Y1, Y0, Y5            // 2·tail > i
	VPCMPGTD     Y2, Y0, Y6            // 2·tail > 8 + i
	VMASKMOVPS   (SI), Y5, Y0
	VMASKMOVPS   32(SI), Y6, Y1
	VMASKMOVPS   (DX), Y5, Y2
	VMASKMOVPS   32(DX), Y6, Y3
	POOL_BLOCK
	LEAQ         buf-64(SP), R11
	VMOVUPS      Y9, (R11)
	VADDPS       Y10, Y1, Y1
	VMOVUPS      Y1, 32(R11)
	XORQ         R10, R10

pcopy:
	MOVL  (R11)(R10*4), AX
	MOVL  AX, (DI)(R10*4)
	TESTQ R8, R8
	JZ    pcopied
	MOVL  32(R11)(R10*4), AX
	MOVL  AX, (R8)(R10*4)

pcopied:
	INCQ R10
	CMPQ R10, BX
	JLT  pcopy
	LEAQ (DI)(BX*4), DI
	TESTQ R8, R8
	JZ    prownext
	LEAQ  (R8)(BX*4), R8

prownext:
	ADDQ   R14, R13
	ADDQ   R14, R15
	VMOVSS posrow-72(SP), X0
	VADDSS dpos+68(FP), X0, X0
	VMOVSS X0, posrow-72(SP)
	DECQ   R12
	JNZ    prow

pdone:
	VZEROUPPER
	TESTQ R9, R9
	SETNE nan+80(FP)
	RET

// func sum64Asm(x []float32) float64
//
// Σ x for len(x) a positive multiple of 16, each value widened to float64
// and added into four float64 accumulators of four lanes.
TEXT ·sum64Asm(SB), NOSPLIT, $0-32
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ   AX, AX
s64loop:
	VCVTPS2PD (SI)(AX*4), Y4
	VCVTPS2PD 16(SI)(AX*4), Y5
	VCVTPS2PD 32(SI)(AX*4), Y6
	VCVTPS2PD 48(SI)(AX*4), Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VADDPD    Y6, Y2, Y2
	VADDPD    Y7, Y3, Y3
	ADDQ      $16, AX
	CMPQ      AX, CX
	JLT       s64loop
	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0
	VMOVSD       X0, ret+24(FP)
	VZEROUPPER
	RET

// POOL_BACK spreads the gradients in Y0 of eight windows whose maxima's
// positions are in Y1 (as MaxPool2 records them, pos + 2j + offset, with
// pos + 2j in Y10) over the windows: r0's sixteen values in Y2, Y3, r1's in
// Y4, Y5.
#define POOL_BACK \
	VSUBPS  Y10, Y1, Y1 \ // the offset in the window
	VCMPPS  $0, Y14, Y1, Y2 \
	VANDPS  Y0, Y2, Y2 \ // a: r0[2j]
	VCMPPS  $0, Y12, Y1, Y3 \
	VANDPS  Y0, Y3, Y3 \ // b: r0[2j+1]
	VCMPPS  $0, Y11, Y1, Y4 \
	VANDPS  Y0, Y4, Y4 \ // c: r1[2j]
	VCMPPS  $0, Y13, Y1, Y5 \
	VANDPS  Y0, Y5, Y5 \ // d: r1[2j+1]
	VUNPCKLPS  Y3, Y2, Y6 \ // a0 b0 a1 b1 | a4 b4 a5 b5
	VUNPCKHPS  Y3, Y2, Y7 \ // a2 b2 a3 b3 | a6 b6 a7 b7
	VPERM2F128 $0x20, Y7, Y6, Y2 \ // r0[0:8]
	VPERM2F128 $0x31, Y7, Y6, Y3 \ // r0[8:16]
	VUNPCKLPS  Y5, Y4, Y6 \
	VUNPCKHPS  Y5, Y4, Y7 \
	VPERM2F128 $0x20, Y7, Y6, Y4 \ // r1[0:8]
	VPERM2F128 $0x31, Y7, Y6, Y5 // r1[8:16]

// func maxPool2BackwardAsm(rows, blocks, four int, r0, r1, grad, arg *float32, step int, pos, dpos, w float32, add bool)
//
// For each of rows rows of windows: eight windows a block, then, if four
// is 1, four more: the window j of rows r0, r1 gets grad[j] at its
// maximum, arg[j] − (pos + 2j) ∈ {0, 1, w, w+1}, and 0 elsewhere; these
// four values are stored (add false) or added (add true). The four
// per-window vectors are interleaved into the rows with unpacks and lane
// permutations. The next row's gradients and positions follow in grad and
// arg; its input rows are step values after r0 and r1, and its pos dpos
// (step) more.
TEXT ·maxPool2BackwardAsm(SB), NOSPLIT, $0-77
	MOVQ rows+0(FP), R10
	MOVQ r0+24(FP), R11
	MOVQ r1+32(FP), R12
	MOVQ grad+40(FP), SI
	MOVQ arg+48(FP), R8
	MOVQ step+56(FP), R13
	SHLQ $2, R13
	MOVBLZX add+76(FP), R9
	VBROADCASTSS pos+64(FP), Y8
	VADDPS       poolsteps<>(SB), Y8, Y8 // the first row's pos + 2j
	VBROADCASTSS dpos+68(FP), Y9         // the next row's pos: dpos more
	VBROADCASTSS w+72(FP), Y11           // w
	VBROADCASTSS poolconst<>+0(SB), Y12  // 1
	VADDPS       Y12, Y11, Y13           // w + 1
	VXORPS       Y14, Y14, Y14           // 0
	VBROADCASTSS poolconst<>+4(SB), Y15  // 16
	TESTQ R10, R10
	JLE   bdone

brow:
	MOVQ   R11, DI
	MOVQ   R12, DX
	VMOVAPS Y8, Y10
	VADDPS Y9, Y8, Y8
	MOVQ   blocks+8(FP), CX
	TESTQ  CX, CX
	JLE    btail

bloop:
	VMOVUPS (SI), Y0
	VMOVUPS (R8), Y1
	POOL_BACK
	TESTQ R9, R9
	JZ    bstore
	VADDPS (DI), Y2, Y2
	VADDPS 32(DI), Y3, Y3
	VADDPS (DX), Y4, Y4
	VADDPS 32(DX), Y5, Y5

bstore:
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, 32(DI)
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	VADDPS  Y15, Y10, Y10
	ADDQ    $64, DI
	ADDQ    $64, DX
	ADDQ    $32, SI
	ADDQ    $32, R8
	DECQ    CX
	JNZ     bloop

btail:
	MOVQ  four+16(FP), CX
	TESTQ CX, CX
	JZ    brownext
	// Four windows: 128-bit loads (the upper lanes zeroed), and the
	// first eight values of each row.
	VMOVUPS (SI), X0
	VMOVUPS (R8), X1
	POOL_BACK
	TESTQ R9, R9
	JZ    bstore4
	VADDPS (DI), Y2, Y2
	VADDPS (DX), Y4, Y4

bstore4:
	VMOVUPS Y2, (DI)
	VMOVUPS Y4, (DX)
	ADDQ    $16, SI
	ADDQ    $16, R8

brownext:
	ADDQ R13, R11
	ADDQ R13, R12
	DECQ R10
	JNZ  brow

bdone:
	VZEROUPPER
	RET

// func mulAddAsm(gx, g, y []float32)
//
// gx += g·y, 32 values a step while they last, then 8.
TEXT ·mulAddAsm(SB), NOSPLIT, $0-72
	MOVQ gx_base+0(FP), DI
	MOVQ gx_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ y_base+48(FP), R8
	XORQ BX, BX
	CMPQ CX, $32
	JLT maloop8
maloop32:
	VMOVUPS (SI)(BX*4), Y4
	VMOVUPS 32(SI)(BX*4), Y5
	VMOVUPS 64(SI)(BX*4), Y6
	VMOVUPS 96(SI)(BX*4), Y7
	VMOVUPS (DI)(BX*4), Y0
	VMOVUPS 32(DI)(BX*4), Y1
	VMOVUPS 64(DI)(BX*4), Y2
	VMOVUPS 96(DI)(BX*4), Y3
	VFMADD231PS (R8)(BX*4), Y4, Y0
	VFMADD231PS 32(R8)(BX*4), Y5, Y1
	VFMADD231PS 64(R8)(BX*4), Y6, Y2
	VFMADD231PS 96(R8)(BX*4), Y7, Y3
	VMOVUPS Y0, (DI)(BX*4)
	VMOVUPS Y1, 32(DI)(BX*4)
	VMOVUPS Y2, 64(DI)(BX*4)
	VMOVUPS Y3, 96(DI)(BX*4)
	ADDQ $32, BX
	LEAQ 32(BX), DX
	CMPQ DX, CX
	JLE maloop32
	CMPQ BX, CX
	JGE madone
maloop8:
	VMOVUPS (SI)(BX*4), Y4
	VMOVUPS (DI)(BX*4), Y0
	VFMADD231PS (R8)(BX*4), Y4, Y0
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT maloop8
madone:
	VZEROUPPER
	RET

// The constants of logAsm and softplusAsm, broadcast from memory: Cephes's
// logf.c.
DATA logc<>+0(SB)/4, $0x3f3504f3   // √½, its bits
DATA logc<>+4(SB)/4, $0x007fffff   // the significand's bits
DATA logc<>+8(SB)/4, $0x00800000   // the least normal number's bits
DATA logc<>+12(SB)/4, $149         // a subnormal's bits, as a number, are x·2¹⁴⁹
DATA logc<>+16(SB)/4, $0x3d9021bb  // p0 7.0376836292e−2
DATA logc<>+20(SB)/4, $0xbdebd1b8  // p1 −1.1514610310e−1
DATA logc<>+24(SB)/4, $0x3def251a  // p2 1.1676998740e−1
DATA logc<>+28(SB)/4, $0xbdfe5d4f  // p3 −1.2420140846e−1
DATA logc<>+32(SB)/4, $0x3e11e9bf  // p4 1.4249322787e−1
DATA logc<>+36(SB)/4, $0xbe2aae50  // p5 −1.6668057665e−1
DATA logc<>+40(SB)/4, $0x3e4cceac  // p6 2.0000714765e−1
DATA logc<>+44(SB)/4, $0xbe7ffffc  // p7 −2.4999993993e−1
DATA logc<>+48(SB)/4, $0x3eaaaaaa  // p8 3.3333331174e−1
DATA logc<>+52(SB)/4, $0xb95e8083  // ln 2, low part (−2.12194440e−4)
DATA logc<>+56(SB)/4, $0xbf000000  // −0.5
DATA logc<>+60(SB)/4, $0x3f318000  // ln 2, high part (0.693359375)
DATA logc<>+64(SB)/4, $0x80000000  // the sign bit
GLOBL logc<>(SB), RODATA|NOPTR, $68

// LOG8_Y sets Y0 = y = f·z·P(f) + k·(ln 2)low − z/2, the low-order part of
// ln(1 + f) + k·ln 2, from f in Y1 and k (as a float) in Y3; z = f² in Y2;
// it uses Y5. P by Horner, coefficients from logc<>.
#define LOG8_Y \
	VMULPS Y1, Y1, Y2; \
	VBROADCASTSS logc<>+16(SB), Y0; \
	VBROADCASTSS logc<>+20(SB), Y5; \
	VFMADD213PS Y5, Y1, Y0; \
	VBROADCASTSS logc<>+24(SB), Y5; \
	VFMADD213PS Y5, Y1, Y0; \
	VBROADCASTSS logc<>+28(SB), Y5; \
	VFMADD213PS Y5, Y1, Y0; \
	VBROADCASTSS logc<>+32(SB), Y5; \
	VFMADD213PS Y5, Y1, Y0; \
	VBROADCASTSS logc<>+36(SB), Y5; \
	VFMADD213PS Y5, Y1, Y0; \
	VBROADCASTSS logc<>+40(SB), Y5; \
	VFMADD213PS Y5, Y1, Y0; \
	VBROADCASTSS logc<>+44(SB), Y5; \
	VFMADD213PS Y5, Y1, Y0; \
	VBROADCASTSS logc<>+48(SB), Y5; \
	VFMADD213PS Y5, Y1, Y0; \
	VMULPS Y1, Y0, Y0; \
	VMULPS Y2, Y0, Y0; \
	VBROADCASTSS logc<>+52(SB), Y5; \
	VFMADD231PS Y5, Y3, Y0; \
	VBROADCASTSS logc<>+56(SB), Y5; \
	VFMADD231PS Y5, Y2, Y0

// LOG8_R finishes LOG8_Y: Y0 = f + y + k·(ln 2)high, using Y5.
#define LOG8_R \
	VADDPS Y1, Y0, Y0; \
	VBROADCASTSS logc<>+60(SB), Y5; \
	VFMADD231PS Y5, Y3, Y0

// func logAsm(dst, x []float32)
//
// x = 2ᵏ·m, m in [√½, √2): with i = bits(x) − bits(√½), k = i >> 23
// (arithmetic) and bits(m) = (i & 0x7fffff) + bits(√½). A subnormal x
// (bits below the least normal's, as signed integers: also ±0 and
// negative x, fixed below) is replaced by its bits converted to a float,
// x·2¹⁴⁹ exactly, and k lowered by 149. Then LOG8_Y and LOG8_R, and the
// special values: −Inf at ±0, +Inf at +Inf, NaN where x < 0 or NaN
// (!(x ≥ 0), all ones ORed in).
TEXT ·logAsm(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VPBROADCASTD logc<>+0(SB), Y8    // bits(√½)
	VPBROADCASTD logc<>+4(SB), Y9    // significand mask
	VBROADCASTSS expc<>+44(SB), Y10  // 1
	VPBROADCASTD logc<>+8(SB), Y11   // bits of the least normal number
	VPBROADCASTD logc<>+12(SB), Y12  // 149
	VBROADCASTSS expc<>+48(SB), Y13  // +Inf
	VBROADCASTSS tanhc<>+32(SB), Y14 // −Inf
	VXORPS Y15, Y15, Y15             // 0
	XORQ BX, BX
lgloop:
	VMOVUPS (SI)(BX*4), Y6           // x
	VPCMPGTD Y6, Y11, Y7             // subnormal (or ≤ 0)
	VCVTDQ2PS Y6, Y1                 // x·2¹⁴⁹ for those
	VBLENDVPS Y7, Y1, Y6, Y1
	VPAND Y12, Y7, Y7                // 149 for those
	VPSUBD Y8, Y1, Y1                // i
	VPSRAD $23, Y1, Y3               // k
	VPSUBD Y7, Y3, Y3
	VPAND Y9, Y1, Y1
	VPADDD Y8, Y1, Y1                // m
	VSUBPS Y10, Y1, Y1               // f = m − 1
	VCVTDQ2PS Y3, Y3
	LOG8_Y
	LOG8_R
	VCMPPS $0x00, Y15, Y6, Y2        // x = ±0 (EQ_OQ)
	VBLENDVPS Y2, Y14, Y0, Y0
	VCMPPS $0x00, Y13, Y6, Y2        // x = +Inf
	VBLENDVPS Y2, Y13, Y0, Y0
	VCMPPS $0x19, Y15, Y6, Y2        // !(x ≥ 0) (NGE_UQ)
	VORPS Y2, Y0, Y0
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT lgloop
	VZEROUPPER
	RET

// func softplusAsm(dst, x []float32)
//
// max(x, 0) + log1p(t), t = e^−|x| through EXPNEG8 (which leaves Y6, Y8
// and Y14 free for the constants of the logarithm). With u = 1 + t and k,
// m as in logAsm (k is 0 or 1, u in [1, 2]): where k = 0, f = t exactly;
// where k = 1, f = m − 1 and the correction (t − (u − 1))/u, the rounding
// error of u (exact) over u, through VRCPPS (its 12 bits are plenty for a
// correction below 2⁻²⁴), is added to y. NaN: t is NaN, so is the
// correction (k is not 0), and max(x, 0) keeps it.
TEXT ·softplusAsm(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	EXPCONST
	VPBROADCASTD logc<>+0(SB), Y8    // bits(√½)
	VPBROADCASTD logc<>+4(SB), Y14   // significand mask
	VPBROADCASTD logc<>+64(SB), Y6   // sign bit
	XORQ BX, BX
sploop:
	VORPS (SI)(BX*4), Y6, Y0         // −|x|
	EXPNEG8                          // t
	VADDPS Y13, Y0, Y1               // u = 1 + t
	VPSUBD Y8, Y1, Y2
	VPSRAD $23, Y2, Y3               // k
	VPAND Y14, Y2, Y2
	VPADDD Y8, Y2, Y2                // m
	VSUBPS Y13, Y2, Y2               // m − 1
	VSUBPS Y13, Y1, Y4               // u − 1
	VSUBPS Y4, Y0, Y4                // t − (u − 1)
	VRCPPS Y1, Y5
	VMULPS Y5, Y4, Y4                // the correction
	VPXOR Y5, Y5, Y5
	VPCMPEQD Y5, Y3, Y5              // k = 0
	VBLENDVPS Y5, Y0, Y2, Y1         // f
	VANDNPS Y4, Y5, Y4               // the correction where k = 1
	VCVTDQ2PS Y3, Y3
	LOG8_Y
	VADDPS Y4, Y0, Y0
	LOG8_R                           // log1p(t)
	VXORPS Y2, Y2, Y2
	VMAXPS (SI)(BX*4), Y2, Y2        // max(x, 0), NaN kept
	VADDPS Y2, Y0, Y0
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT sploop
	VZEROUPPER
	RET

// func softplusBackwardAsm(gx, g, x []float32)
//
// gx += g·σ(x), σ(x) = 1/(1 + e⁻ˣ) as in sigmoidAsm.
TEXT ·softplusBackwardAsm(SB), NOSPLIT, $0-72
	MOVQ gx_base+0(FP), DI
	MOVQ gx_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ x_base+48(FP), R8
	EXPCONST
	XORQ BX, BX
spbloop:
	VMOVUPS (R8)(BX*4), Y0
	VXORPS Y1, Y1, Y1
	VSUBPS Y0, Y1, Y0                // −x
	EXP8
	VADDPS Y13, Y0, Y0               // 1 + e⁻ˣ
	VDIVPS Y0, Y13, Y0               // σ(x)
	VMOVUPS (DI)(BX*4), Y1
	VFMADD231PS (SI)(BX*4), Y0, Y1   // gx + g·σ(x)
	VMOVUPS Y1, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT spbloop
	VZEROUPPER
	RET

// SOFTMAX_EXP sets Y0 = e^(x − m) for x in Y2 and m at (R9), using
// Y1–Y5, Y7 and Y8 and EXPNEG8's constants. x − m = d + t exactly, d the
// float32 difference and t its rounding error (Knuth's TwoSum), so that
// e^(x − m) = e^d·(1 + t) to far below an ulp: the rounding of d alone
// would cost a relative error up to 2⁻²⁴|d|, dozens of ulp at d = −80
// (the Go form subtracts in float64). t is NaN where d is
// −Inf (x − m overflowed, or x = −Inf) or x is NaN: VMINPS sets it to 1
// there, which keeps e^d, 0 or NaN. Y8 holds t through EXPNEG8, which
// leaves it alone.
#define SOFTMAX_EXP \
	VBROADCASTSS (R9), Y1; \
	VSUBPS Y1, Y2, Y0; \
	VADDPS Y1, Y0, Y3; \
	VSUBPS Y3, Y0, Y4; \
	VSUBPS Y3, Y2, Y2; \
	VADDPS Y1, Y4, Y4; \
	VSUBPS Y4, Y2, Y8; \
	VMINPS Y13, Y8, Y8; \
	EXPNEG8; \
	VFMADD231PS Y8, Y0, Y0

// func softmaxRowAsm(dst, x []float32) (m float32)
//
// len(x) ≥ 1, any length: blocks of eight, then the tail through masked
// loads, its other lanes −Inf, stored through the frame as in
// softmaxRowBackwardAsm. Three passes: m = max x, as in
// logSumExpAsm (returned; if it is infinite or NaN, nothing more is done);
// e = e^(x − m) through SOFTMAX_EXP, stored in dst (the tail's kept in Y4,
// not stored) and summed in float64 (ACCPD); then dst = e·(1/Σ) in float64,
// rounded once.
TEXT ·softmaxRowAsm(SB), NOSPLIT, $32-52
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	MOVQ CX, DX
	ANDQ $7, DX                  // the tail
	ANDQ $-8, CX                 // the blocks
	VBROADCASTSS tanhc<>+32(SB), Y8 // −Inf
	XORQ BX, BX
	CMPQ BX, CX
	JGE smtail
smloop:
	VMAXPS (SI)(BX*4), Y8, Y8
	ADDQ $8, BX
	CMPQ BX, CX
	JLT smloop
smtail:
	TESTQ DX, DX
	JZ smdone
	TAILMASK(DX, Y3)
	VMASKMOVPS (SI)(BX*4), Y3, Y1
	VBROADCASTSS tanhc<>+32(SB), Y2
	VBLENDVPS Y3, Y1, Y2, Y1
	VMAXPS Y1, Y8, Y8
smdone:
	VEXTRACTF128 $1, Y8, X0
	VMAXPS X0, X8, X8
	VPERMILPS $0x4e, X8, X0
	VMAXPS X0, X8, X8
	VPERMILPS $0xb1, X8, X0
	VMAXPS X0, X8, X8
	VMOVSS X8, m+48(FP)
	VMOVD X8, AX
	ANDL $0x7f800000, AX
	CMPL AX, $0x7f800000
	JEQ sfdone                   // m infinite or NaN
	EXPCONST
	LEAQ m+48(FP), R9
	VXORPD Y14, Y14, Y14
	VXORPD Y6, Y6, Y6
	XORQ BX, BX
	CMPQ BX, CX
	JGE setail
seloop:
	VMOVUPS (SI)(BX*4), Y2
	SOFTMAX_EXP
	VMOVUPS Y0, (DI)(BX*4)
	ACCPD
	ADDQ $8, BX
	CMPQ BX, CX
	JLT seloop
setail:
	TESTQ DX, DX
	JZ sesum
	TAILMASK(DX, Y3)
	VMASKMOVPS (SI)(BX*4), Y3, Y0
	VBROADCASTSS tanhc<>+32(SB), Y2
	VBLENDVPS Y3, Y0, Y2, Y2
	SOFTMAX_EXP
	VMOVAPS Y0, Y4               // the tail's e, kept
	ACCPD
sesum:
	VADDPD Y6, Y14, Y14
	VEXTRACTF128 $1, Y14, X0
	VADDPD X0, X14, X14
	VPERMILPD $1, X14, X0
	VADDSD X0, X14, X14          // Σ
	MOVQ $0x3ff0000000000000, AX
	VMOVQ AX, X0                 // 1
	VDIVSD X14, X0, X0
	VBROADCASTSD X0, Y8          // 1/Σ
	XORQ BX, BX
	CMPQ BX, CX
	JGE sctail
scloop:
	VCVTPS2PD (DI)(BX*4), Y1
	VCVTPS2PD 16(DI)(BX*4), Y2
	VMULPD Y8, Y1, Y1
	VMULPD Y8, Y2, Y2
	VCVTPD2PSY Y1, X1
	VCVTPD2PSY Y2, X2
	VINSERTF128 $1, X2, Y1, Y1
	VMOVUPS Y1, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT scloop
sctail:
	TESTQ DX, DX
	JZ sfdone
	VCVTPS2PD X4, Y1
	VEXTRACTF128 $1, Y4, X2
	VCVTPS2PD X2, Y2
	VMULPD Y8, Y1, Y1
	VMULPD Y8, Y2, Y2
	VCVTPD2PSY Y1, X1
	VCVTPD2PSY Y2, X2
	VINSERTF128 $1, X2, Y1, Y1
	VMOVUPS Y1, buf-32(SP)
	LEAQ (DI)(BX*4), DI
	XORQ AX, AX
sfcopy:
	MOVL buf-32(SP)(AX*4), R9
	MOVL R9, (DI)(AX*4)
	INCQ AX
	CMPQ AX, DX
	JLT sfcopy
sfdone:
	VZEROUPPER
	RET

// func softmaxRowBackwardAsm(gx, g, y []float32)
//
// len(gx) ≥ 1, any length: blocks of eight, then the tail through masked
// loads (the other lanes 0), stored through the frame four bytes at a time
// (a masked store costs more on AMD's cores: 2 ns a row of ten). Two
// passes:
// s = Σ gᵢyᵢ, the values widened to float64 (exact products) and fused
// into two accumulators of four lanes, rounded to float32; then
// gx += y·(g − s).
TEXT ·softmaxRowBackwardAsm(SB), NOSPLIT, $32-72
	MOVQ gx_base+0(FP), DI
	MOVQ gx_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ y_base+48(FP), R8
	MOVQ CX, DX
	ANDQ $7, DX                  // the tail
	ANDQ $-8, CX                 // the blocks
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	XORQ BX, BX
	CMPQ BX, CX
	JGE sdtail
sdloop:
	VCVTPS2PD (SI)(BX*4), Y1
	VCVTPS2PD 16(SI)(BX*4), Y2
	VCVTPS2PD (R8)(BX*4), Y3
	VCVTPS2PD 16(R8)(BX*4), Y4
	VFMADD231PD Y3, Y1, Y6
	VFMADD231PD Y4, Y2, Y7
	ADDQ $8, BX
	CMPQ BX, CX
	JLT sdloop
sdtail:
	TESTQ DX, DX
	JZ sdsum
	TAILMASK(DX, Y5)
	VMASKMOVPS (SI)(BX*4), Y5, Y1
	VMASKMOVPS (R8)(BX*4), Y5, Y3
	VCVTPS2PD X1, Y2
	VCVTPS2PD X3, Y4
	VFMADD231PD Y4, Y2, Y6
	VEXTRACTF128 $1, Y1, X1
	VEXTRACTF128 $1, Y3, X3
	VCVTPS2PD X1, Y1
	VCVTPS2PD X3, Y3
	VFMADD231PD Y3, Y1, Y7
sdsum:
	VADDPD Y7, Y6, Y6
	VEXTRACTF128 $1, Y6, X0
	VADDPD X0, X6, X6
	VPERMILPD $1, X6, X0
	VADDSD X0, X6, X6
	VCVTSD2SS X6, X6, X6
	VBROADCASTSS X6, Y8          // s
	XORQ BX, BX
	CMPQ BX, CX
	JGE sutail
suloop:
	VMOVUPS (SI)(BX*4), Y0
	VSUBPS Y8, Y0, Y0            // g − s
	VMOVUPS (DI)(BX*4), Y1
	VFMADD231PS (R8)(BX*4), Y0, Y1
	VMOVUPS Y1, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT suloop
sutail:
	TESTQ DX, DX
	JZ sudone
	TAILMASK(DX, Y5)
	VMASKMOVPS (SI)(BX*4), Y5, Y0
	VSUBPS Y8, Y0, Y0
	VMASKMOVPS (R8)(BX*4), Y5, Y2
	VMASKMOVPS (DI)(BX*4), Y5, Y1
	VFMADD231PS Y2, Y0, Y1
	VMOVUPS Y1, buf-32(SP)
	LEAQ (DI)(BX*4), DI
	XORQ AX, AX
sucopy:
	MOVL buf-32(SP)(AX*4), R9
	MOVL R9, (DI)(AX*4)
	INCQ AX
	CMPQ AX, DX
	JLT sucopy
sudone:
	VZEROUPPER
	RET

// func logSoftmaxRowBackwardAsm(gx, g, y []float32)
//
// len(gx) ≥ 1, any length, as softmaxRowBackwardAsm. Two passes:
// s = Σ gᵢ in float64, rounded to float32 (kept in the frame: EXP8 leaves
// no register free); then gx += g − s·eʸ, eʸ through EXP8 (a masked-off
// lane's y is 0).
TEXT ·logSoftmaxRowBackwardAsm(SB), NOSPLIT, $40-72
	MOVQ gx_base+0(FP), DI
	MOVQ gx_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ y_base+48(FP), R8
	MOVQ CX, DX
	ANDQ $7, DX                  // the tail
	ANDQ $-8, CX                 // the blocks
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	XORQ BX, BX
	CMPQ BX, CX
	JGE lgtail
lgsloop:
	VCVTPS2PD (SI)(BX*4), Y1
	VCVTPS2PD 16(SI)(BX*4), Y2
	VADDPD Y1, Y6, Y6
	VADDPD Y2, Y7, Y7
	ADDQ $8, BX
	CMPQ BX, CX
	JLT lgsloop
lgtail:
	TESTQ DX, DX
	JZ lgsum
	TAILMASK(DX, Y5)
	VMASKMOVPS (SI)(BX*4), Y5, Y1
	VCVTPS2PD X1, Y2
	VADDPD Y2, Y6, Y6
	VEXTRACTF128 $1, Y1, X1
	VCVTPS2PD X1, Y1
	VADDPD Y1, Y7, Y7
lgsum:
	VADDPD Y7, Y6, Y6
	VEXTRACTF128 $1, Y6, X0
	VADDPD X0, X6, X6
	VPERMILPD $1, X6, X0
	VADDSD X0, X6, X6
	VCVTSD2SS X6, X6, X6
	VMOVSS X6, s-40(SP)           // s
	EXPCONST
	XORQ BX, BX
	CMPQ BX, CX
	JGE lbtail
lbloop:
	VMOVUPS (R8)(BX*4), Y0
	EXP8
	VBROADCASTSS s-40(SP), Y1
	VMOVUPS (SI)(BX*4), Y2
	VFNMADD231PS Y1, Y0, Y2      // g − s·eʸ
	VADDPS (DI)(BX*4), Y2, Y2
	VMOVUPS Y2, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT lbloop
lbtail:
	TESTQ DX, DX
	JZ lbdone
	TAILMASK(DX, Y3)
	VMASKMOVPS (R8)(BX*4), Y3, Y0
	EXP8
	VMOVAPS Y0, Y4               // eʸ (TAILMASK takes Y0)
	TAILMASK(DX, Y3)
	VBROADCASTSS s-40(SP), Y1
	VMASKMOVPS (SI)(BX*4), Y3, Y2
	VFNMADD231PS Y1, Y4, Y2
	VMASKMOVPS (DI)(BX*4), Y3, Y5
	VADDPS Y5, Y2, Y2
	VMOVUPS Y2, buf-32(SP)
	LEAQ (DI)(BX*4), DI
	XORQ AX, AX
lbcopy:
	MOVL buf-32(SP)(AX*4), R9
	MOVL R9, (DI)(AX*4)
	INCQ AX
	CMPQ AX, DX
	JLT lbcopy
lbdone:
	VZEROUPPER
	RET

// func divAddAsm(gx, grad, x []float32)
//
// gx += grad/x, 8 values a step: the division and the sum each rounded
// once, as in the Go form.
TEXT ·divAddAsm(SB), NOSPLIT, $0-72
	MOVQ gx_base+0(FP), DI
	MOVQ gx_len+8(FP), CX
	MOVQ grad_base+24(FP), SI
	MOVQ x_base+48(FP), R8
	XORQ BX, BX
daloop:
	VMOVUPS (SI)(BX*4), Y0
	VDIVPS  (R8)(BX*4), Y0, Y0
	VADDPS  (DI)(BX*4), Y0, Y0
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ    $8, BX
	CMPQ    BX, CX
	JLT     daloop
	VZEROUPPER
	RET

// func nonzerosAsm(x *float32, rows, blocks, ldx int, offs *int32, vals *float32, base, colStep, rowStep int32, limit int) (count int)
//
// Lists the nonzero values (NaN included) of rows rows of 8·blocks values
// of x, ldx values apart: for the value in row i, column j, offs[k] = base
// + i·rowStep + j·colStep and vals[k] = the value, k counting up from 0.
// It returns the count, or −1 when a value finds no room: offs and vals
// hold limit values. Eight values are compared at a time, and
// the lanes of the nonzero ones are read off the comparison's mask.
TEXT ·nonzerosAsm(SB), NOSPLIT, $16-80
	MOVQ x+0(FP), SI
	MOVQ rows+8(FP), R14
	MOVQ ldx+24(FP), R15
	SHLQ $2, R15
	MOVQ offs+32(FP), DI
	MOVQ vals+40(FP), R8
	MOVL base+48(FP), R9
	MOVL colStep+52(FP), R10
	MOVQ limit+64(FP), R11
	MOVL R10, R12
	SHLL $3, R12 // eight columns' offset
	XORQ BX, BX
	VXORPS Y1, Y1, Y1
	TESTQ R14, R14
	JLE   nzdone

nzrow:
	MOVQ SI, rowptr-8(SP)
	MOVL R9, rowoff-16(SP)
	MOVQ blocks+16(FP), CX
	TESTQ CX, CX
	JLE   nznextrow

nzblock:
	VMOVUPS   (SI), Y0
	VCMPPS    $4, Y1, Y0, Y2 // not equal, or unordered
	VMOVMSKPS Y2, AX
	TESTL     AX, AX
	JZ        nznext

nzbit:
	CMPQ  BX, R11
	JAE   nzfull
	BSFL  AX, DX
	MOVL  DX, R13
	IMULL R10, R13
	ADDL  R9, R13
	MOVL  R13, (DI)(BX*4)
	MOVL  (SI)(DX*4), R13
	MOVL  R13, (R8)(BX*4)
	INCQ  BX
	LEAL  -1(AX), DX
	ANDL  DX, AX
	JNZ   nzbit

nznext:
	ADDQ $32, SI
	ADDL R12, R9
	DECQ CX
	JNZ  nzblock

nznextrow:
	MOVQ rowptr-8(SP), SI
	ADDQ R15, SI
	MOVL rowoff-16(SP), R9
	ADDL rowStep+56(FP), R9
	DECQ R14
	JNZ  nzrow

nzdone:
	MOVQ BX, count+72(FP)
	VZEROUPPER
	RET

nzfull:
	MOVQ $-1, count+72(FP)
	VZEROUPPER
	RET
