package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// convCases are geometries for the convolution kernels: the CNN's two
// layers, odd sizes whose output rows do not fill micro-panels (positions
// per image not a multiple of 16, so tiles straddle images), padding,
// strides, dilations and groups.
var convCases = []ConvShape{
	{Batch: 3, Channels: 1, Height: 28, Width: 28, Out: 32, KernelH: 5, KernelW: 5},
	{Batch: 4, Channels: 32, Height: 12, Width: 12, Out: 64, KernelH: 5, KernelW: 5},
	{Batch: 1, Channels: 1, Height: 1, Width: 1, Out: 1, KernelH: 1, KernelW: 1},
	{Batch: 7, Channels: 3, Height: 7, Width: 9, Out: 5, KernelH: 3, KernelW: 2},
	{Batch: 5, Channels: 4, Height: 9, Width: 7, Out: 6, KernelH: 3, KernelW: 3, PadH: 1, PadW: 2},
	{Batch: 2, Channels: 3, Height: 17, Width: 13, Out: 17, KernelH: 3, KernelW: 5, StrideH: 2, StrideW: 3, PadH: 2, PadW: 1},
	{Batch: 3, Channels: 2, Height: 11, Width: 10, Out: 4, KernelH: 3, KernelW: 3, DilationH: 2, DilationW: 3, PadH: 1},
	{Batch: 2, Channels: 6, Height: 8, Width: 8, Out: 9, KernelH: 3, KernelW: 3, Groups: 3, PadH: 1, PadW: 1},
	{Batch: 3, Channels: 4, Height: 10, Width: 10, Out: 4, KernelH: 3, KernelW: 3, Groups: 4, StrideH: 2, StrideW: 2},
	{Batch: 2, Channels: 2, Height: 3, Width: 40, Out: 3, KernelH: 3, KernelW: 1, StrideW: 2},
	// The direct weight gradient (conv2DWeightGradDirect): an odd number
	// of output channels, rows of two full vectors and a tail of 5,
	// padding; and groups of three output channels, rows of a vector
	// and a tail of 2, three taps a kernel row.
	{Batch: 3, Channels: 2, Height: 15, Width: 21, Out: 5, KernelH: 5, KernelW: 5, PadH: 2, PadW: 2},
	{Batch: 2, Channels: 4, Height: 6, Width: 12, Out: 6, KernelH: 2, KernelW: 3, Groups: 2},
	// One image's column gradient is larger than a core's share
	// (convLocalCols): the input gradient takes its other path.
	{Batch: 2, Channels: 4, Height: 87, Width: 86, Out: 2, KernelH: 3, KernelW: 3, PadH: 1, PadW: 1},
}

// withDefaults sets the zero strides, dilations and groups of a test case
// to 1.
func (s ConvShape) withDefaults() ConvShape {
	for _, v := range []*int{&s.StrideH, &s.StrideW, &s.DilationH, &s.DilationW, &s.Groups} {
		if *v == 0 {
			*v = 1
		}
	}
	return s
}

// convNaive returns the output, weight gradient and column gradient of the
// convolution s by direct loops in float64, with the sums of absolute
// terms of each (for the tolerance).
func convNaive(s ConvShape, x, w, b, dy []float64) (y, dw, dcols, dx, yAbs, dwAbs, dcAbs, dxAbs []float64) {
	oh, ow := s.OutputSize()
	l := oh * ow
	cg, og := s.Channels/s.Groups, s.Out/s.Groups
	taps := s.KernelH * s.KernelW
	y, yAbs = make([]float64, s.Batch*s.Out*l), make([]float64, s.Batch*s.Out*l)
	dw, dwAbs = make([]float64, len(w)), make([]float64, len(w))
	dcols, dcAbs = make([]float64, s.Channels*taps*s.Batch*l), make([]float64, s.Channels*taps*s.Batch*l)
	dx, dxAbs = make([]float64, len(x)), make([]float64, len(x))
	for n := 0; n < s.Batch; n++ {
		for o := 0; o < s.Out; o++ {
			gr := o / og
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					yi := ((n*s.Out+o)*oh+i)*ow + j
					if b != nil {
						y[yi], yAbs[yi] = b[o], math.Abs(b[o])
					}
					for c := 0; c < cg; c++ {
						for p := 0; p < s.KernelH; p++ {
							for q := 0; q < s.KernelW; q++ {
								iy, ix := i*s.StrideH-s.PadH+p*s.DilationH, j*s.StrideW-s.PadW+q*s.DilationW
								if iy < 0 || iy >= s.Height || ix < 0 || ix >= s.Width {
									continue
								}
								xi := ((n*s.Channels+gr*cg+c)*s.Height+iy)*s.Width + ix
								xv := x[xi]
								wi := ((o*cg+c)*s.KernelH+p)*s.KernelW + q
								y[yi] += w[wi] * xv
								yAbs[yi] += math.Abs(w[wi] * xv)
								dw[wi] += dy[yi] * xv
								dwAbs[wi] += math.Abs(dy[yi] * xv)
								dx[xi] += w[wi] * dy[yi]
								dxAbs[xi] += math.Abs(w[wi] * dy[yi])
								ci := ((gr*cg+c)*taps+p*s.KernelW+q)*s.Batch*l + n*l + i*ow + j
								dcols[ci] += w[wi] * dy[yi]
								dcAbs[ci] += math.Abs(w[wi] * dy[yi])
							}
						}
					}
				}
			}
		}
	}
	// Column entries at padding positions still get Wᵀ·dY: the product
	// does not know which entries were zeros.
	for n := 0; n < s.Batch; n++ {
		for o := 0; o < s.Out; o++ {
			gr := o / og
			for c := 0; c < cg; c++ {
				for t := 0; t < taps; t++ {
					for pos := 0; pos < l; pos++ {
						i, j := pos/ow, pos%ow
						iy, ix := i*s.StrideH-s.PadH+t/s.KernelW*s.DilationH, j*s.StrideW-s.PadW+t%s.KernelW*s.DilationW
						if iy >= 0 && iy < s.Height && ix >= 0 && ix < s.Width {
							continue
						}
						wv := w[(o*cg+c)*taps+t]
						ci := ((gr*cg+c)*taps+t)*s.Batch*l + n*l + pos
						dcols[ci] += wv * dy[(n*s.Out+o)*l+pos]
						dcAbs[ci] += math.Abs(wv * dy[(n*s.Out+o)*l+pos])
					}
				}
			}
		}
	}
	return
}

// convNaiveBias returns the bias gradient of the convolution s, Σ dY over
// the batch and positions per output channel, and the sums of absolute
// terms.
func convNaiveBias(s ConvShape, dy []float64) (db, dbAbs []float64) {
	oh, ow := s.OutputSize()
	l := oh * ow
	db, dbAbs = make([]float64, s.Out), make([]float64, s.Out)
	for i, v := range dy {
		o := i / l % s.Out
		db[o] += v
		dbAbs[o] += math.Abs(v)
	}
	return db, dbAbs
}

// convOperands are random operands of a convolution test, in T and, the
// same values, in float64 for convNaive.
type convOperands[T gemmElem] struct {
	x, w, b, dy     []T
	xf, wf, bf, dyf []float64
}

// newConvOperands draws the input, filters, bias and output gradient of
// the convolution s from r, uniform in [−1, 1).
func newConvOperands[T gemmElem](r *rand.Rand, s ConvShape) convOperands[T] {
	oh, ow := s.OutputSize()
	rnd := func(n int) ([]T, []float64) {
		v, f := make([]T, n), make([]float64, n)
		for i := range v {
			v[i] = T(r.Float64()*2 - 1)
			f[i] = float64(v[i])
		}
		return v, f
	}
	var o convOperands[T]
	o.x, o.xf = rnd(s.Batch * s.Channels * s.Height * s.Width)
	o.w, o.wf = rnd(s.Out * s.Channels / s.Groups * s.KernelH * s.KernelW)
	o.b, o.bf = rnd(s.Out)
	o.dy, o.dyf = rnd(s.Batch * s.Out * oh * ow)
	return o
}

// convComparer returns the check of a kernel's result got against convNaive's
// want: within T's rounding (3e-6 for float32, 1e-12 for float64) of the
// sum of absolute terms abs, and not NaN.
func convComparer[T gemmElem](t *testing.T, s ConvShape, name string) func(what string, got []T, want, abs []float64) {
	eps := 1e-12
	if _, ok := any(T(0)).(float32); ok {
		eps = 3e-6
	}
	return func(what string, got []T, want, abs []float64) {
		t.Helper()
		for i := range want {
			if d := math.Abs(float64(got[i]) - want[i]); d > eps*(abs[i]+1e-30) && d > 1e-300 || math.IsNaN(float64(got[i])) {
				t.Fatalf("%s %s[%d] = %v, want %v (|terms| %g) for %+v", name, what, i, got[i], want[i], abs[i], s)
			}
		}
	}
}

func convTestType[T gemmElem](t *testing.T, kern func(gemmKernels) *gemmKernel[T]) {
	for _, set := range gemmKernelSets(t) {
		k := kern(set.ks)
		for ci, s := range convCases {
			s := s.withDefaults()
			t.Run(fmt.Sprintf("%s/%d", set.name, ci), func(t *testing.T) {
				op := newConvOperands[T](rand.New(rand.NewPCG(uint64(ci), 7)), s)
				x, w, b, dy, dyf := op.x, op.w, op.b, op.dy, op.dyf
				y, dw, dc, dx, yAbs, dwAbs, dcAbs, dxAbs := convNaive(s, op.xf, op.wf, op.bf, dyf)
				yNoBias, _, _, _, yAbs0, _, _, _ := convNaive(s, op.xf, op.wf, nil, dyf)
				compare := convComparer[T](t, s, "")

				gotY := make([]T, len(y))
				for i := range gotY {
					gotY[i] = T(math.NaN()) // must be overwritten
				}
				conv2D(k, s, gotY, x, w, b)
				compare("y", gotY, y, yAbs)
				conv2D(k, s, gotY, x, w, nil)
				compare("y without bias", gotY, yNoBias, yAbs0)

				gotDW := make([]T, len(dw))
				for i := range gotDW {
					gotDW[i] = 1 // it adds
				}
				conv2DWeightGrad(k, s, gotDW, nil, x, dy)
				for i := range dw {
					dw[i]++
					dwAbs[i]++
				}
				compare("dw", gotDW, dw, dwAbs)

				// With the bias gradient: one more column of the
				// product, and dW the same.
				gotDW2, gotDB := make([]T, len(dw)), make([]T, s.Out)
				for i := range gotDW2 {
					gotDW2[i] = 1
				}
				for i := range gotDB {
					gotDB[i] = 1
				}
				conv2DWeightGrad(k, s, gotDW2, gotDB, x, dy)
				compare("dw beside db", gotDW2, dw, dwAbs)
				db, dbAbs := convNaiveBias(s, dyf)
				for i := range db {
					db[i]++
					dbAbs[i]++
				}
				compare("db", gotDB, db, dbAbs)

				gotDC := make([]T, len(dc))
				for i := range gotDC {
					gotDC[i] = T(math.NaN())
				}
				conv2DColumnGrad(k, s, gotDC, w, dy)
				compare("dcols", gotDC, dc, dcAbs)

				gotDX := make([]T, len(dx))
				for i := range gotDX {
					gotDX[i] = -1 // it adds
				}
				conv2DInputGrad(k, s, gotDX, w, dy)
				for i := range dx {
					dx[i]--
					dxAbs[i]++
				}
				compare("dx", gotDX, dx, dxAbs)
			})
		}
	}
}

// TestConvMatchesDirectLoops checks Conv2D, Conv2DWeightGrad,
// Conv2DColumnGrad and Conv2DInputGrad, with the assembly and the Go kernels, against direct
// loops in float64.
func TestConvMatchesDirectLoops(t *testing.T) {
	t.Run("float32", func(t *testing.T) { convTestType(t, func(ks gemmKernels) *gemmKernel[float32] { return ks.f32 }) })
	t.Run("float64", func(t *testing.T) { convTestType(t, func(ks gemmKernels) *gemmKernel[float64] { return ks.f64 }) })
}

// convSparseCases are geometries that the sparse backward pass takes
// (channels a multiple of 8, one group, strides and dilations 1): the
// CNN's conv2, padding, a non-square kernel, kernel rows of a single vector.
var convSparseCases = []ConvShape{
	{Batch: 4, Channels: 32, Height: 12, Width: 12, Out: 64, KernelH: 5, KernelW: 5},
	{Batch: 3, Channels: 8, Height: 7, Width: 9, Out: 5, KernelH: 3, KernelW: 2, PadH: 1, PadW: 2},
	{Batch: 2, Channels: 16, Height: 6, Width: 5, Out: 3, KernelH: 1, KernelW: 1},
	{Batch: 2, Channels: 24, Height: 9, Width: 11, Out: 7, KernelH: 3, KernelW: 3, PadH: 1, PadW: 1},
}

// TestConvBackwardSparse checks Conv2DBackward against direct loops with
// output gradients of a few nonzeros (the sparse path where the kernels
// have it) and of many (the products), asking for every combination of
// the three gradients, with the assembly and the Go kernels.
func TestConvBackwardSparse(t *testing.T) {
	for _, set := range gemmKernelSets(t) {
		k := set.ks.f32
		for ci, s := range append(append([]ConvShape(nil), convSparseCases...), convCases...) {
			s := s.withDefaults()
			for _, density := range []float64{0, 0.1, 0.3, 0.6} {
				t.Run(fmt.Sprintf("%s/%d/%v", set.name, ci, density), func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(ci), 9))
					op := newConvOperands[float32](r, s)
					for i := range op.dy {
						if r.Float64() >= density {
							op.dy[i], op.dyf[i] = 0, 0
						}
					}
					_, dw, _, dx, _, dwAbs, _, dxAbs := convNaive(s, op.xf, op.wf, op.bf, op.dyf)
					db, dbAbs := convNaiveBias(s, op.dyf)
					for i := range dw {
						dw[i]++
						dwAbs[i]++
					}
					for i := range db {
						db[i]++
						dbAbs[i]++
					}
					for i := range dx {
						dx[i]--
						dxAbs[i]++
					}
					compare := convComparer[float32](t, s, "")
					for _, want := range []struct{ dx, dw, db bool }{{true, true, true}, {true, false, false}, {false, true, false}, {false, false, true}, {true, false, true}} {
						var gotDX, gotDW, gotDB []float32
						if want.dx {
							gotDX = make([]float32, len(dx))
							fill(gotDX, -1)
						}
						if want.dw {
							gotDW = make([]float32, len(dw))
							fill(gotDW, 1)
						}
						if want.db {
							gotDB = make([]float32, len(db))
							fill(gotDB, 1)
						}
						conv2DBackward(k, s, gotDX, gotDW, gotDB, op.x, op.w, op.dy)
						if want.dx {
							compare(fmt.Sprintf("dx %+v", want), gotDX, dx, dxAbs)
						}
						if want.dw {
							compare(fmt.Sprintf("dw %+v", want), gotDW, dw, dwAbs)
						}
						if want.db {
							compare(fmt.Sprintf("db %+v", want), gotDB, db, dbAbs)
						}
					}
				})
			}
		}
	}
}

// TestConvPanics checks that bad geometries and short slices panic with a
// message naming the geometry.
func TestConvPanics(t *testing.T) {
	s := ConvShape{Batch: 2, Channels: 3, Height: 5, Width: 5, Out: 4, KernelH: 3, KernelW: 3, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, Groups: 1}
	x, w, y := make([]float32, 2*3*25), make([]float32, 4*3*9), make([]float32, 2*4*9)
	bad := s
	bad.Groups = 2
	big := s
	big.KernelH = 6
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"groups", func() { Conv2D(bad, y, x, w, nil) }},
		{"kernel", func() { Conv2D(big, y, x, w, nil) }},
		{"short y", func() { Conv2D(s, y[1:], x, w, nil) }},
		{"short bias", func() { Conv2D(s, y, x, w, make([]float32, 3)) }},
		{"short dw", func() { Conv2DWeightGrad(s, w[1:], nil, x, y) }},
		{"short db", func() { Conv2DWeightGrad(s, w, make([]float32, 3), x, y) }},
		{"short dcols", func() { Conv2DColumnGrad(s, make([]float32, 10), w, y) }},
		{"short dx", func() { Conv2DInputGrad(s, x[1:], w, y) }},
		{"backward: short dx", func() { Conv2DBackward(s, x[1:], w, nil, x, w, y) }},
		{"backward: short dw", func() { Conv2DBackward(s, x, w[1:], nil, x, w, y) }},
		{"backward: short dy", func() { Conv2DBackward(s, x, w, nil, x, w, y[1:]) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Fatal("no panic")
				} else if msg := fmt.Sprint(r); !strings.Contains(msg, "Channels:3") {
					t.Fatalf("panic %q does not name the geometry", msg)
				}
			}()
			tc.f()
		})
	}
}

// convCheckKernel runs the four convolution kernels with the micro-kernel
// k on the geometry s and compares them with convNaive.
func convCheckKernel[T gemmElem](t *testing.T, k *gemmKernel[T], s ConvShape, name string) {
	s = s.withDefaults()
	op := newConvOperands[T](rand.New(rand.NewPCG(uint64(s.Channels), 7)), s)
	x, w, b, dy, dyf := op.x, op.w, op.b, op.dy, op.dyf
	y, dw, dc, dx, yAbs, dwAbs, dcAbs, dxAbs := convNaive(s, op.xf, op.wf, op.bf, dyf)
	compare := convComparer[T](t, s, name)
	gotY := make([]T, len(y))
	for i := range gotY {
		gotY[i] = T(math.NaN())
	}
	conv2D(k, s, gotY, x, w, b)
	compare("y", gotY, y, yAbs)
	gotDW, gotDB := make([]T, len(dw)), make([]T, s.Out)
	conv2DWeightGrad(k, s, gotDW, gotDB, x, dy)
	compare("dw", gotDW, dw, dwAbs)
	db, dbAbs := convNaiveBias(s, dyf)
	compare("db", gotDB, db, dbAbs)
	gotDC := make([]T, len(dc))
	conv2DColumnGrad(k, s, gotDC, w, dy)
	compare("dcols", gotDC, dc, dcAbs)
	gotDX := make([]T, len(dx))
	conv2DInputGrad(k, s, gotDX, w, dy)
	compare("dx", gotDX, dx, dxAbs)
}

// smallKernels returns copies of base with small cache blocks (kc down to
// 1, so that the bias step lands alone in a block, and mc, nc of one or a
// few micro-panels), so that every blocking edge is crossed on small
// problems.
func smallKernels[T gemmElem](base *gemmKernel[T]) []*gemmKernel[T] {
	var out []*gemmKernel[T]
	for _, kc := range []int{1, 3, 9} {
		for _, mc := range []int{base.mr, 2 * base.mr} {
			for _, nc := range []int{base.nr, 3 * base.nr} {
				k := *base
				k.kc, k.mc, k.nc = kc, mc, nc
				k.name = fmt.Sprintf("%s-kc%d-mc%d-nc%d", base.name, kc, mc, nc)
				out = append(out, &k)
			}
		}
	}
	return out
}

// convBlockCases are small geometries for the small-block kernels.
var convBlockCases = []ConvShape{
	{Batch: 3, Channels: 2, Height: 5, Width: 7, Out: 7, KernelH: 2, KernelW: 2},
	{Batch: 2, Channels: 3, Height: 6, Width: 5, Out: 13, KernelH: 3, KernelW: 3, PadH: 1, PadW: 1},
	{Batch: 2, Channels: 2, Height: 9, Width: 11, Out: 5, KernelH: 3, KernelW: 2, StrideH: 2, StrideW: 3, PadH: 2, PadW: 1, DilationW: 2},
	{Batch: 1, Channels: 4, Height: 4, Width: 4, Out: 4, KernelH: 1, KernelW: 1, Groups: 2},
	{Batch: 2, Channels: 2, Height: 3, Width: 20, Out: 3, KernelH: 1, KernelW: 2, PadW: 4},
	{Batch: 2, Channels: 1, Height: 19, Width: 19, Out: 7, KernelH: 2, KernelW: 2},
	{Batch: 1, Channels: 1, Height: 3, Width: 3, Out: 1, KernelH: 3, KernelW: 3, PadH: 5, PadW: 5},
}

// TestConvSmallBlocks checks the convolution kernels with small cache
// blocks against the direct loops.
func TestConvSmallBlocks(t *testing.T) {
	for _, set := range gemmKernelSets(t) {
		for _, k := range smallKernels(set.ks.f32) {
			for ci, s := range append(convBlockCases, convCases[2:len(convCases)-1]...) {
				convCheckKernel(t, k, s, fmt.Sprintf("%s/%d", k.name, ci))
			}
		}
		for _, k := range smallKernels(set.ks.f64) {
			for ci, s := range append(convBlockCases, convCases[2:len(convCases)-1]...) {
				convCheckKernel(t, k, s, fmt.Sprintf("%s/%d", k.name, ci))
			}
		}
	}
}

// TestConvManyWorkers checks the kernels with more workers than cores
// (GOMAXPROCS 9), which splits even small products.
func TestConvManyWorkers(t *testing.T) {
	old := runtime.GOMAXPROCS(9)
	defer runtime.GOMAXPROCS(old)
	for _, set := range gemmKernelSets(t) {
		for ci, s := range append(convBlockCases, convCases...) {
			convCheckKernel(t, set.ks.f32, s, fmt.Sprintf("%s/%d", set.name, ci))
			convCheckKernel(t, set.ks.f64, s, fmt.Sprintf("%s/%d", set.name, ci))
		}
	}
}

// TestConvWideProducts checks geometries whose products are split
// differently: so many channels that the bias step is alone in the last
// block of 256 steps (8192·1·1 + 1 steps), and weight gradients split by
// rows, so that the transposed im2col matrix is packed once as a panel
// that the workers share.
func TestConvWideProducts(t *testing.T) {
	old := runtime.GOMAXPROCS(9)
	defer runtime.GOMAXPROCS(old)
	cases := []ConvShape{
		{Batch: 1, Channels: 8192, Height: 2, Width: 2, Out: 7, KernelH: 1, KernelW: 1},   // kg+1 = 8193: bias alone
		{Batch: 1, Channels: 2048, Height: 3, Width: 3, Out: 256, KernelH: 2, KernelW: 2}, // bias alone, splitRows shared B
		{Batch: 1, Channels: 512, Height: 5, Width: 5, Out: 100, KernelH: 4, KernelW: 4, PadH: 1, PadW: 1},
		{Batch: 9, Channels: 3, Height: 30, Width: 31, Out: 20, KernelH: 3, KernelW: 3, StrideH: 1, StrideW: 1},
	}
	for _, set := range gemmKernelSets(t) {
		for ci, s := range cases {
			convCheckKernel(t, set.ks.f32, s, fmt.Sprintf("%s/%d", set.name, ci))
			convCheckKernel(t, set.ks.f64, s, fmt.Sprintf("%s/%d", set.name, ci))
		}
	}
}

// TestConvWeightGradRowSplit checks weight gradients with more output
// channels than kernel taps (the product split by rows) at 2 and 9
// workers.
func TestConvWeightGradRowSplit(t *testing.T) {
	for _, p := range []int{2, 9} {
		old := runtime.GOMAXPROCS(p)
		cases := []ConvShape{
			{Batch: 16, Channels: 1, Height: 28, Width: 28, Out: 64, KernelH: 3, KernelW: 3},
			{Batch: 16, Channels: 1, Height: 28, Width: 27, Out: 64, KernelH: 3, KernelW: 3, PadH: 1, PadW: 1},
			{Batch: 5, Channels: 2, Height: 30, Width: 29, Out: 64, KernelH: 2, KernelW: 2, StrideW: 2},
		}
		for _, set := range gemmKernelSets(t) {
			for ci, s := range cases {
				convCheckKernel(t, set.ks.f32, s, fmt.Sprintf("%s/%d", set.name, ci))
				convCheckKernel(t, set.ks.f64, s, fmt.Sprintf("%s/%d", set.name, ci))
			}
		}
		runtime.GOMAXPROCS(old)
	}
}

// BenchmarkConv2DBackward times conv2's backward pass of the CNN (batch 64,
// 32×12×12 → 64×8×8, 5×5; weight, bias and input gradients) on output
// gradients as a 2×2 max-pooling and a ReLU leave them, one nonzero in
// each pooling window, half of them zeroed ("pooled": the sparse path),
// and on dense ones (the products).
func BenchmarkConv2DBackward(b *testing.B) {
	s := ConvShape{Batch: 64, Channels: 32, Height: 12, Width: 12, Out: 64, KernelH: 5, KernelW: 5}.withDefaults()
	r := rand.New(rand.NewPCG(3, 4))
	op := newConvOperands[float32](r, s)
	pooled := make([]float32, len(op.dy))
	for i := 0; i < len(pooled); i += 64 { // an 8×8 plane: sixteen 2×2 windows
		for w := 0; w < 16; w++ {
			if r.IntN(2) == 0 {
				pooled[i+(w/4*2+r.IntN(2))*8+w%4*2+r.IntN(2)] = op.dy[i+w]
			}
		}
	}
	dx, dw, db := make([]float32, len(op.x)), make([]float32, len(op.w)), make([]float32, s.Out)
	for _, c := range []struct {
		name string
		dy   []float32
	}{{"pooled", pooled}, {"dense", op.dy}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				Conv2DBackward(s, dx, dw, db, op.x, op.w, c.dy)
			}
		})
	}
}
