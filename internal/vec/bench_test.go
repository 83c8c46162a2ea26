package vec

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkAdam times the fused Adam step on 1M parameters, one core,
// reporting the bytes of w, g, m and v moved per second (4 read, 3
// written).
func BenchmarkAdam(b *testing.B) {
	const n = 1 << 20
	w, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	p := AdamParams{B1: 0.9, B2: 0.999, C1: 1, C2: 1, Eps: 1e-8, LR: 1e-3}
	for range b.N {
		Adam(w, g, m, v, nil, &p)
	}
	b.ReportMetric(float64(7*4*n)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GB/s")
}

// BenchmarkExp times Exp on 64K values (in L2), in ns per value.
func BenchmarkExp(b *testing.B) {
	x, y := make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(i%200) - 100
	}
	for range b.N {
		Exp(y, x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(x)), "ns/value")
}

// benchValues times f on 64K values (in L2) with the assembly and with the
// Go forms, in ns per value.
func benchValues(b *testing.B, f func()) {
	for _, asm := range []bool{true, false} {
		name := "go"
		if asm {
			if !useAsm {
				continue
			}
			name = "avx2"
		}
		b.Run(name, func(b *testing.B) {
			saved := useAsm
			useAsm = asm
			defer func() { useAsm = saved }()
			for range b.N {
				f()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(1<<16), "ns/value")
		})
	}
}

// BenchmarkTanh times Tanh on values of [−5, 5).
func BenchmarkTanh(b *testing.B) {
	x, y := make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(i%1000)/100 - 5
	}
	benchValues(b, func() { Tanh(y, x) })
}

// BenchmarkSigmoidBackward and BenchmarkTanhBackward time the backward
// steps of the activations.
func BenchmarkSigmoidBackward(b *testing.B) {
	gx, g, y := make([]float32, 1<<16), make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range y {
		g[i], y[i] = float32(i%7)-3, float32(i%100)/100
	}
	benchValues(b, func() { SigmoidBackward(gx, g, y) })
}

func BenchmarkTanhBackward(b *testing.B) {
	gx, g, y := make([]float32, 1<<16), make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range y {
		g[i], y[i] = float32(i%7)-3, float32(i%200)/100-1
	}
	benchValues(b, func() { TanhBackward(gx, g, y) })
}

// BenchmarkAxpyExp times the softmax term of the cross-entropy's gradient
// on log-probabilities of [−20, 0).
func BenchmarkAxpyExp(b *testing.B) {
	x, y := make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range x {
		x[i] = -float32(i%2000) / 100
	}
	benchValues(b, func() { AxpyExp(1e-3, x, y) })
}

// benchRows times f on 64K logits in rows of 10 (MNIST's classes) and of
// 1000.
func benchRows(b *testing.B, f func(dst, x []float32)) {
	x, y := make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(i%37)/4 - 4
	}
	for _, cols := range []int{10, 1000} {
		b.Run(fmt.Sprintf("cols=%d", cols), func(b *testing.B) {
			rows := len(x) / cols
			benchValues(b, func() {
				for r := range rows {
					f(y[r*cols:(r+1)*cols], x[r*cols:(r+1)*cols])
				}
			})
		})
	}
}

// BenchmarkLogSoftmaxRow times LogSoftmaxRow (benchRows).
func BenchmarkLogSoftmaxRow(b *testing.B) {
	benchRows(b, func(dst, x []float32) { LogSoftmaxRow(dst, x) })
}

// BenchmarkSum64 times the float64-accumulating sum of 64K values.
func BenchmarkSum64(b *testing.B) {
	x := make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(i%100) / 7
	}
	var s float64
	benchValues(b, func() { s += Sum64(x) })
	_ = s
}

// BenchmarkAddRows times AddRows on the blocks that the CNN's col2im adds:
// 8 rows of 8 values (conv2's 8×8 outputs), row strides 12 and 8; ns per
// value added, 64K in all.
func BenchmarkAddRows(b *testing.B) {
	const rows, cols, blocks = 8, 8, 1 << 10
	dst, src := make([]float32, blocks*12*rows), make([]float32, blocks*cols*rows)
	benchValues(b, func() {
		for k := 0; k < blocks; k++ {
			AddRows(rows, cols, dst[k*12*rows:], 12, src[k*cols*rows:], cols)
		}
	})
}

// BenchmarkMaxPool2 times 2×2 max-pooling on the CNN's two pooling shapes:
// rows of 12 outputs (conv1's 24×24 planes) and of 4 (conv2's 8×8), with
// the positions of the maxima; ns per output, 64K outputs in all. "rows"
// calls MaxPool2 once per output row, "planes" MaxPool2Rows once per plane
// (as the pooling layer does).
func BenchmarkMaxPool2(b *testing.B) {
	for _, ow := range []int{12, 4} {
		rows := (1 << 16) / ow
		x, y, arg := make([]float32, 4*ow*rows), make([]float32, ow*rows), make([]float32, ow*rows)
		for i := range x {
			x[i] = float32(i*7919%1000) / 10
		}
		b.Run(fmt.Sprintf("ow=%d/rows", ow), func(b *testing.B) {
			benchValues(b, func() {
				for r := 0; r < rows; r++ {
					in := x[4*ow*r:]
					MaxPool2(y[r*ow:(r+1)*ow], arg[r*ow:(r+1)*ow], in[:2*ow], in[2*ow:4*ow], 0, float32(2*ow))
				}
			})
		})
		b.Run(fmt.Sprintf("ow=%d/planes", ow), func(b *testing.B) {
			plane := ow * ow // outputs of a square plane
			benchValues(b, func() {
				for p := 0; p+plane <= len(y); p += plane {
					MaxPool2Rows(y[p:p+plane], arg[p:p+plane], x[4*p:4*(p+plane)], ow, ow, 2*ow)
				}
			})
		})
	}
}

// BenchmarkMulAdd times gx += g·y (the backward of Exp).
func BenchmarkMulAdd(b *testing.B) {
	gx, g, y := make([]float32, 1<<16), make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range y {
		g[i], y[i] = float32(i%7)-3, float32(i%100)/10
	}
	benchValues(b, func() { MulAdd(gx, g, y) })
}

// BenchmarkLog times Log on values of (0, 100].
func BenchmarkLog(b *testing.B) {
	x, y := make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(i%1000+1) / 10
	}
	benchValues(b, func() { Log(y, x) })
}

// BenchmarkSoftplus times Softplus on values of [−20, 20), and its
// backward step, gx += g·σ(x).
func BenchmarkSoftplus(b *testing.B) {
	x, y := make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(i%4000)/100 - 20
	}
	benchValues(b, func() { Softplus(y, x) })
}

func BenchmarkSoftplusBackward(b *testing.B) {
	gx, g, x := make([]float32, 1<<16), make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range x {
		g[i], x[i] = float32(i%7)-3, float32(i%4000)/100-20
	}
	benchValues(b, func() { SoftplusBackward(gx, g, x) })
}

// BenchmarkSoftmaxRow times SoftmaxRow (benchRows).
func BenchmarkSoftmaxRow(b *testing.B) { benchRows(b, SoftmaxRow) }

// BenchmarkSoftmaxRowBackward and BenchmarkLogSoftmaxRowBackward time the
// backward steps of the softmax and the log-softmax on 64K values in rows
// of 10 and of 1000.
func BenchmarkSoftmaxRowBackward(b *testing.B) {
	benchRowBackward(b, SoftmaxRowBackward, 0.1)
}

func BenchmarkLogSoftmaxRowBackward(b *testing.B) {
	benchRowBackward(b, LogSoftmaxRowBackward, -2.3)
}

func benchRowBackward(b *testing.B, f func(gx, g, y []float32), y0 float32) {
	gx, g, y := make([]float32, 1<<16), make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range y {
		g[i], y[i] = float32(i%7)/7-0.5, y0+float32(i%5)/100
	}
	for _, cols := range []int{10, 1000} {
		b.Run(fmt.Sprintf("cols=%d", cols), func(b *testing.B) {
			rows := len(y) / cols
			benchValues(b, func() {
				for r := range rows {
					f(gx[r*cols:(r+1)*cols], g[r*cols:(r+1)*cols], y[r*cols:(r+1)*cols])
				}
			})
		})
	}
}

// BenchmarkDivAdd times the gradient through ln x, gx += g/x.
func BenchmarkDivAdd(b *testing.B) {
	gx, g, x := make([]float32, 1<<16), make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range x {
		g[i], x[i] = float32(i%7)-3, float32(i%100)/10+0.5
	}
	benchValues(b, func() { DivAdd(gx, g, x) })
}

// BenchmarkNonzeros times Nonzeros on conv2's output gradients after a 2×2
// max-pooling and a ReLU (8×8 planes, one value in eight nonzero), plane by
// plane as the sparse convolution lists them, both forms in one process.
func BenchmarkNonzeros(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const planes, l = 4096, 64
	x := make([]float32, planes*l)
	for i := range x {
		if rng.IntN(8) == 0 {
			x[i] = rng.Float32() - 0.5
		}
	}
	offs, vals := make([]int32, len(x)), make([]float32, len(x))
	for _, asm := range []bool{true, false} {
		if asm && !useAsm {
			continue
		}
		name := "go"
		if asm {
			name = "avx2"
		}
		b.Run(name, func(b *testing.B) {
			saved := useAsm
			useAsm = asm
			defer func() { useAsm = saved }()
			b.SetBytes(int64(4 * len(x)))
			for range b.N {
				k := 0
				for p := 0; p < planes; p++ {
					n, _ := Nonzeros(offs[k:], vals[k:], x[p*l:(p+1)*l], 8, 8, 8, int32(p*4608), 32, 384)
					k += n
				}
			}
		})
	}
}
