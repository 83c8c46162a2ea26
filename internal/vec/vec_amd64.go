//go:build !purego

package vec

import "golang.org/x/sys/cpu"

// useAsm selects the AVX2/FMA kernels of vec_amd64.s where the processor
// (and the operating system, which must save the YMM registers) supports
// them; the check is made once, at package initialization.
var useAsm = cpu.X86.HasAVX && cpu.X86.HasAVX2 && cpu.X86.HasFMA

// The assembly kernels take slices whose length is a positive multiple of
// 8 (one YMM register of float32); the exported functions run the rest in
// Go.

//go:noescape
func adamAsm(w, g, m, v, vmax []float32, p *AdamParams)

//go:noescape
func adamaxAsm(w, g, m, n []float32, p *AdamaxParams)

//go:noescape
func lionAsm(w, g, m []float32, p *LionParams)

//go:noescape
func momentumAsm(w, g, b []float32, k *[5]float32)

//go:noescape
func axpyAsm(a float32, x, y []float32)

//go:noescape
func reluAsm(dst, x []float32)

//go:noescape
func reluBackwardAsm(gx, g, y []float32)

//go:noescape
func rmsAsm(w, g, s []float32, p *RMSParams)

//go:noescape
func adadeltaAsm(w, g, s, d []float32, p *AdadeltaParams)

//go:noescape
func sumAsm(x []float32) float32

//go:noescape
func expAsm(dst, x []float32)

//go:noescape
func sigmoidAsm(dst, x []float32)

//go:noescape
func addRowsAsm(count, rows, cols int, dst *float32, ldd, dstStep int, src *float32, lds, srcStep int)

//go:noescape
func maxPool2Asm(rows, blocks, tail int, r0, r1, y, arg *float32, step int, pos, dpos, w float32) (nan bool)

//go:noescape
func tanhAsm(dst, x []float32)

//go:noescape
func sigmoidBackwardAsm(gx, g, y []float32)

//go:noescape
func tanhBackwardAsm(gx, g, y []float32)

//go:noescape
func axpyExpAsm(a float32, x, y []float32)

// logSumExpAsm returns the maximum m of x (len(x) ≥ 1, any length) and
// s = Σ exp(xᵢ − m) accumulated in float64: NaN if x holds NaN, and
// meaningless when m is infinite.
//
//go:noescape
func logSumExpAsm(x []float32) (m float32, s float64)

// shiftAsm sets dst[i] = float32(float64(x[i]) − c) for len(dst) ≥ 1,
// any length.
//
//go:noescape
func shiftAsm(dst, x []float32, c float64)

//go:noescape
func sum64Asm(x []float32) float64

//go:noescape
func maxPool2BackwardAsm(rows, blocks, four int, r0, r1, grad, arg *float32, step int, pos, dpos, w float32, add bool)

//go:noescape
func mulAddAsm(gx, g, y []float32)

//go:noescape
func logAsm(dst, x []float32)

//go:noescape
func softplusAsm(dst, x []float32)

//go:noescape
func softplusBackwardAsm(gx, g, x []float32)

// softmaxRowAsm sets dst to the softmax of x (len(x) ≥ 1, any length) and
// returns the maximum m of x, or, where m is infinite or NaN, returns it
// and leaves dst alone. With a finite m, a NaN in x makes dst NaN
// throughout.
//
//go:noescape
func softmaxRowAsm(dst, x []float32) (m float32)

// softmaxRowBackwardAsm and logSoftmaxRowBackwardAsm take rows of any
// length ≥ 1.
//
//go:noescape
func softmaxRowBackwardAsm(gx, g, y []float32)

//go:noescape
func logSoftmaxRowBackwardAsm(gx, g, y []float32)

//go:noescape
func divAddAsm(gx, grad, x []float32)

//go:noescape
func nonzerosAsm(x *float32, rows, blocks, ldx int, offs *int32, vals *float32, base, colStep, rowStep int32, limit int) (count int)
