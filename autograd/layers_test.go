package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/descent-ml/descent/tensor"
)

type gradCase struct {
	name   string
	f      func(tp *Tape[float64], x []*Var[float64]) *Var[float64]
	inputs []*tensor.Tensor[float64]
}

func runGradChecks(t *testing.T, tests []gradCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs, err := GradCheck(tc.f, tc.inputs, 1e-6)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range errs {
				if e > 1e-6 {
					t.Errorf("input %d (shape %v): relative error %.3g > 1e-6", i, tc.inputs[i].Shape, e)
				}
			}
		})
	}
}

func TestGradCheckConvPool(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var tests []gradCase
	convs := []Conv2DOptions{
		{},
		{Stride: [2]int{2, 1}},
		{Padding: [2]int{1, 2}},
		{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Dilation: [2]int{2, 1}},
		{Groups: 2},
		{Groups: 2, Stride: [2]int{1, 2}, Padding: [2]int{2, 0}, Dilation: [2]int{1, 2}},
	}
	for i, o := range convs {
		groups := max(1, o.Groups)
		n, cg, og := 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(3)
		kh, kw := 1+r.IntN(3), 1+r.IntN(3)
		h, w := 4+r.IntN(4), 4+r.IntN(4)
		shapes := fmt.Sprintf("x%v w%v %+v", []int{n, cg * groups, h, w}, []int{og * groups, cg, kh, kw}, o)
		x := rnd(r, -1, 1, n, cg*groups, h, w)
		wt := rnd(r, -1, 1, og*groups, cg, kh, kw)
		b := rnd(r, -1, 1, og*groups)
		tests = append(tests,
			gradCase{fmt.Sprintf("Conv2D/%d %s", i, shapes), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
				return project(tp, tp.Conv2D(v[0], v[1], v[2], o), 5)
			}, []*tensor.Tensor[float64]{x, wt, b}},
			gradCase{fmt.Sprintf("Conv2D/%d/nobias", i), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
				return project(tp, tp.Conv2D(v[0], v[1], nil, o), 5)
			}, []*tensor.Tensor[float64]{x.Clone(), wt.Clone()}},
		)
	}
	pools := []PoolOptions{
		{Kernel: [2]int{2, 2}},
		{Kernel: [2]int{3, 2}, Stride: [2]int{1, 2}},
		{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}},
		{Kernel: [2]int{2, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, Dilation: [2]int{2, 1}},
	}
	for i, o := range pools {
		shape := []int{1 + r.IntN(3), 1 + r.IntN(3), 5 + r.IntN(3), 5 + r.IntN(3)}
		tests = append(tests, gradCase{fmt.Sprintf("MaxPool2D/%d %v %+v", i, shape, o), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
			return project(tp, tp.MaxPool2D(v[0], o), 6)
		}, []*tensor.Tensor[float64]{rnd(r, -1, 1, shape...)}})
		if o.Dilation == [2]int{} {
			for _, ex := range []bool{false, true} {
				o := o
				o.ExcludePad = ex
				tests = append(tests, gradCase{fmt.Sprintf("AvgPool2D/%d %v %+v", i, shape, o), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
					return project(tp, tp.AvgPool2D(v[0], o), 6)
				}, []*tensor.Tensor[float64]{rnd(r, -1, 1, shape...)}})
			}
		}
	}
	runGradChecks(t, tests)
}

func TestGradCheckNormalization(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	var tests []gradCase
	for _, shape := range [][]int{{2 + r.IntN(4), 1 + r.IntN(4)}, {1 + r.IntN(3), 1 + r.IntN(3), 2 + r.IntN(3), 2 + r.IntN(3)}, {2, 3, 4}} {
		c := shape[1]
		mean, vr := rnd(r, -1, 1, c), rnd(r, 0.5, 2, c)
		for _, mode := range []string{"train", "eval", "renorm-clipped"} {
			opts := BatchNormOptions[float64]{Eps: 1e-5, Training: mode != "eval", Mean: mean.Data, Var: vr.Data}
			if mode == "renorm-clipped" {
				// Running statistics far from the batch's, so that r and d are
				// clipped and hence locally constant: the stop-gradient then
				// agrees with finite differences.
				small, far := tensor.New[float64](c), tensor.New[float64](c)
				small.Fill(1e-4)
				far.Fill(50)
				opts.Renorm, opts.RMax, opts.DMax, opts.Mean, opts.Var = true, 2, 0.5, far.Data, small.Data
			}
			tests = append(tests,
				gradCase{fmt.Sprintf("BatchNorm/%s/%v", mode, shape), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
					return project(tp, tp.BatchNorm(v[0], v[1], v[2], opts), 7)
				}, []*tensor.Tensor[float64]{rnd(r, -2, 2, shape...), rnd(r, 0.5, 2, c), rnd(r, -1, 1, c)}},
				gradCase{fmt.Sprintf("BatchNorm/%s/noaffine/%v", mode, shape), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
					return project(tp, tp.BatchNorm(v[0], nil, nil, opts), 7)
				}, []*tensor.Tensor[float64]{rnd(r, -2, 2, shape...)}},
			)
		}
	}
	for _, tc := range []struct {
		shape []int
		dims  int
	}{{[]int{3, 1 + r.IntN(5)}, 1}, {[]int{2, 3, 4}, 2}, {[]int{2, 2, 3, 3}, 3}, {[]int{4, 5}, 2}} {
		ps := tc.shape[len(tc.shape)-tc.dims:]
		tests = append(tests,
			gradCase{fmt.Sprintf("LayerNorm/%v/%d", tc.shape, tc.dims), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
				return project(tp, tp.LayerNorm(v[0], v[1], v[2], tc.dims, 1e-5), 8)
			}, []*tensor.Tensor[float64]{rnd(r, -2, 2, tc.shape...), rnd(r, 0.5, 2, ps...), rnd(r, -1, 1, ps...)}},
			gradCase{fmt.Sprintf("LayerNorm/noaffine/%v/%d", tc.shape, tc.dims), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
				return project(tp, tp.LayerNorm(v[0], nil, nil, tc.dims, 1e-5), 8)
			}, []*tensor.Tensor[float64]{rnd(r, -2, 2, tc.shape...)}},
		)
	}
	for _, tc := range []struct {
		shape  []int
		groups int
	}{{[]int{2, 4, 3, 3}, 2}, {[]int{3, 6}, 2}, {[]int{2, 3, 5}, 1}, {[]int{2, 3, 2, 2}, 3}} {
		c := tc.shape[1]
		tests = append(tests,
			gradCase{fmt.Sprintf("GroupNorm/%v/%d", tc.shape, tc.groups), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
				return project(tp, tp.GroupNorm(v[0], v[1], v[2], tc.groups, 1e-5), 9)
			}, []*tensor.Tensor[float64]{rnd(r, -2, 2, tc.shape...), rnd(r, 0.5, 2, c), rnd(r, -1, 1, c)}},
			gradCase{fmt.Sprintf("GroupNorm/noaffine/%v/%d", tc.shape, tc.groups), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
				return project(tp, tp.GroupNorm(v[0], nil, nil, tc.groups, 1e-5), 9)
			}, []*tensor.Tensor[float64]{rnd(r, -2, 2, tc.shape...)}},
		)
	}
	for _, shape := range [][]int{{1 + r.IntN(4), 2 + r.IntN(5)}, {3, 2, 2, 3}} {
		tests = append(tests, gradCase{fmt.Sprintf("WeightNorm/%v", shape), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
			return project(tp, tp.WeightNorm(v[0], v[1]), 10)
		}, []*tensor.Tensor[float64]{rnd(r, -1, 1, shape...), rnd(r, 0.5, 2, shape[0])}})
	}
	for _, p := range []float64{0, 0.3, 0.7} {
		tests = append(tests, gradCase{fmt.Sprintf("Dropout/%v", p), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
			// The same seed on every call gives the same mask.
			return project(tp, tp.Tanh(tp.Dropout(v[0], p, rand.New(rand.NewPCG(5, 6)))), 11)
		}, []*tensor.Tensor[float64]{rnd(r, -1, 1, 3+r.IntN(3), 4)}})
	}
	runGradChecks(t, tests)
}

// naiveConv computes the convolution and its gradients with direct loops,
// as the definition reads.
func naiveConv(x, w, b, dy *tensor.Tensor[float64], o Conv2DOptions) (y, dx, dw, db *tensor.Tensor[float64]) {
	o = o.withDefaults()
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	oc, cg, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	og := oc / o.Groups
	oh := ConvOutputSize(h, kh, o.Stride[0], o.Padding[0], o.Dilation[0])
	ow := ConvOutputSize(wd, kw, o.Stride[1], o.Padding[1], o.Dilation[1])
	y = tensor.New[float64](n, oc, oh, ow)
	dx, dw, db = tensor.New[float64](x.Shape...), tensor.New[float64](w.Shape...), tensor.New[float64](oc)
	for in := 0; in < n; in++ {
		for oo := 0; oo < oc; oo++ {
			gr := oo / og
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					s := 0.0
					if b != nil {
						s = b.Data[oo]
					}
					g := 0.0
					if dy != nil {
						g = dy.At(in, oo, i, j)
						db.Data[oo] += g
					}
					for cc := 0; cc < cg; cc++ {
						for p := 0; p < kh; p++ {
							for q := 0; q < kw; q++ {
								ih := i*o.Stride[0] - o.Padding[0] + p*o.Dilation[0]
								iw := j*o.Stride[1] - o.Padding[1] + q*o.Dilation[1]
								if ih < 0 || ih >= h || iw < 0 || iw >= wd {
									continue
								}
								ci := gr*cg + cc
								s += w.At(oo, cc, p, q) * x.At(in, ci, ih, iw)
								if dy != nil {
									dw.Data[((oo*cg+cc)*kh+p)*kw+q] += g * x.At(in, ci, ih, iw)
									dx.Data[((in*c+ci)*h+ih)*wd+iw] += g * w.At(oo, cc, p, q)
								}
							}
						}
					}
					y.Set(s, in, oo, i, j)
				}
			}
		}
	}
	return y, dx, dw, db
}

func maxRelDiff(a, b []float64) float64 {
	var d, m float64
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
		m = math.Max(m, math.Max(math.Abs(a[i]), math.Abs(b[i])))
	}
	return d / math.Max(m, 1e-300)
}

// TestConv2DMatchesDirectLoops checks the convolution against the
// definition, including images large enough that the input gradient takes
// its path for column gradients larger than a core's cache ("big").
func TestConv2DMatchesDirectLoops(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	tests := []struct {
		name   string
		x, w   []int
		opts   Conv2DOptions
		noBias bool
	}{
		{"plain", []int{2, 3, 7, 6}, []int{4, 3, 3, 2}, Conv2DOptions{}, false},
		{"strided-padded-dilated", []int{3, 2, 9, 8}, []int{3, 2, 3, 3}, Conv2DOptions{Stride: [2]int{2, 3}, Padding: [2]int{2, 1}, Dilation: [2]int{2, 2}}, false},
		{"groups", []int{2, 6, 5, 5}, []int{9, 2, 2, 3}, Conv2DOptions{Groups: 3, Padding: [2]int{1, 0}}, true},
		{"kernel-equals-padded-input", []int{2, 1, 3, 3}, []int{2, 1, 5, 5}, Conv2DOptions{Padding: [2]int{1, 1}}, false},
		{"padding-wider-than-reach", []int{1, 1, 2, 2}, []int{1, 1, 1, 1}, Conv2DOptions{Padding: [2]int{3, 3}, Stride: [2]int{2, 2}}, false},
		{"big", []int{9, 16, 48, 48}, []int{2, 16, 3, 3}, Conv2DOptions{Padding: [2]int{1, 1}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, w := rnd(r, -1, 1, tc.x...), rnd(r, -1, 1, tc.w...)
			var b *tensor.Tensor[float64]
			if !tc.noBias {
				b = rnd(r, -1, 1, tc.w[0])
			}
			tp := NewTape[float64]()
			xv, wv := tp.Leaf(x), tp.Leaf(w)
			var bv *Var[float64]
			if b != nil {
				bv = tp.Leaf(b)
			}
			y := tp.Conv2D(xv, wv, bv, tc.opts)
			dy := rnd(r, -1, 1, y.Shape()...)
			tp.Backward(tp.Sum(tp.Mul(y, tp.Const(dy))))
			wantY, wantDx, wantDw, wantDb := naiveConv(x, w, b, dy, tc.opts)
			if !tensor.SameShape(y.Shape(), wantY.Shape) {
				t.Fatalf("output shape %v, want %v", y.Shape(), wantY.Shape)
			}
			check := func(what string, got, want []float64) {
				if e := maxRelDiff(got, want); e > 1e-12 {
					t.Errorf("%s: relative difference %.3g", what, e)
				}
			}
			check("output", y.Value.Data, wantY.Data)
			check("dx", xv.Grad.Data, wantDx.Data)
			check("dw", wv.Grad.Data, wantDw.Data)
			if b != nil {
				check("db", bv.Grad.Data, wantDb.Data)
			}
		})
	}
}

func TestPoolValues(t *testing.T) {
	x := tensor.FromSlice([]float64{
		1, 2, 3, 4,
		5, 6, 7, 8,
		9, 10, 11, 12,
		13, 14, 15, 16,
	}, 1, 1, 4, 4)
	tests := []struct {
		name string
		max  bool
		opts PoolOptions
		want []float64
	}{
		{"max2", true, PoolOptions{Kernel: [2]int{2, 2}}, []float64{6, 8, 14, 16}},
		{"max3-pad", true, PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, []float64{6, 8, 14, 16}},
		{"avg2", false, PoolOptions{Kernel: [2]int{2, 2}}, []float64{3.5, 5.5, 11.5, 13.5}},
		{"avg3-pad-include", false, PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, []float64{14.0 / 9, 30.0 / 9, 57.0 / 9, 99.0 / 9}},
		{"avg3-pad-exclude", false, PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, ExcludePad: true}, []float64{14.0 / 4, 30.0 / 6, 57.0 / 6, 99.0 / 9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tp := NewTape[float64]()
			var y *Var[float64]
			if tc.max {
				y = tp.MaxPool2D(tp.Const(x), tc.opts)
			} else {
				y = tp.AvgPool2D(tp.Const(x), tc.opts)
			}
			if e := maxRelDiff(y.Value.Data, tc.want); e > 1e-15 {
				t.Fatalf("got %v, want %v", y.Value.Data, tc.want)
			}
		})
	}
}

func TestDropoutMask(t *testing.T) {
	tp := NewTape[float64]()
	x := tensor.New[float64](100, 100)
	x.Fill(1)
	y := tp.Dropout(tp.Const(x), 0.25, rand.New(rand.NewPCG(1, 1)))
	zeros := 0
	for _, v := range y.Value.Data {
		switch v {
		case 0:
			zeros++
		case 1 / 0.75:
		default:
			t.Fatalf("output %v is neither 0 nor 1/(1−p)", v)
		}
	}
	if f := float64(zeros) / 1e4; math.Abs(f-0.25) > 0.02 {
		t.Fatalf("dropped fraction %.3f, want about 0.25", f)
	}
	if tp.Dropout(tp.Const(x), 0, nil).Value != x {
		t.Fatal("p = 0 should return the input itself")
	}
}

func TestLayerShapeErrors(t *testing.T) {
	tests := []struct {
		name string
		f    func(tp *Tape[float32])
		want []string
	}{
		{"Conv2D/2-D input", func(tp *Tape[float32]) {
			tp.Conv2D(tp.Const(tensor.New[float32](8, 784)), tp.Const(tensor.New[float32](4, 1, 3, 3)), nil, Conv2DOptions{})
		}, []string{"autograd.Conv2D", "[8 784]", "[4 1 3 3]"}},
		{"Conv2D/channels", func(tp *Tape[float32]) {
			tp.Conv2D(tp.Const(tensor.New[float32](2, 3, 8, 8)), tp.Const(tensor.New[float32](4, 2, 3, 3)), nil, Conv2DOptions{})
		}, []string{"[2 3 8 8]", "[4 2 3 3]", "3 channels"}},
		{"Conv2D/groups", func(tp *Tape[float32]) {
			tp.Conv2D(tp.Const(tensor.New[float32](2, 4, 8, 8)), tp.Const(tensor.New[float32](6, 2, 3, 3)), nil, Conv2DOptions{Groups: 4})
		}, []string{"groups 4", "[2 4 8 8]", "[6 2 3 3]"}},
		{"Conv2D/kernel", func(tp *Tape[float32]) {
			tp.Conv2D(tp.Const(tensor.New[float32](2, 1, 4, 4)), tp.Const(tensor.New[float32](1, 1, 5, 5)), nil, Conv2DOptions{})
		}, []string{"larger than the padded input 4×4", "[2 1 4 4]", "[1 1 5 5]"}},
		{"MaxPool2D/kernel", func(tp *Tape[float32]) {
			tp.MaxPool2D(tp.Const(tensor.New[float32](2, 1, 1, 4)), PoolOptions{Kernel: [2]int{2, 2}})
		}, []string{"autograd.MaxPool2D", "[2 1 1 4]"}},
		{"BatchNorm/gamma", func(tp *Tape[float32]) {
			tp.BatchNorm(tp.Const(tensor.New[float32](2, 3)), tp.Const(tensor.New[float32](4)), nil, BatchNormOptions[float32]{Training: true})
		}, []string{"autograd.BatchNorm", "[2 3]", "[4]"}},
		{"GroupNorm/groups", func(tp *Tape[float32]) {
			tp.GroupNorm(tp.Const(tensor.New[float32](2, 6, 2, 2)), nil, nil, 4, 1e-5)
		}, []string{"autograd.GroupNorm", "4 groups", "[2 6 2 2]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if msg == "" {
					t.Fatal("no panic")
				}
				for _, w := range tc.want {
					if !strings.Contains(msg, w) {
						t.Errorf("panic %q does not mention %q", msg, w)
					}
				}
			}()
			tc.f(NewTape[float32]())
		})
	}
}

func TestConvArenaReusesMemory(t *testing.T) {
	tp := NewTape[float32]()
	w, gw := tensor.New[float32](4, 2, 3, 3), tensor.New[float32](4, 2, 3, 3)
	x := tensor.New[float32](3, 2, 8, 8)
	step := func() {
		tp.Reset()
		h := tp.MaxPool2D(tp.ReLU(tp.Conv2D(tp.Const(x), tp.Param(w, gw), nil, Conv2DOptions{Padding: [2]int{1, 1}})), PoolOptions{Kernel: [2]int{2, 2}})
		tp.Backward(tp.Mean(h))
	}
	step()
	before := len(tp.arena.bufs)
	step()
	if len(tp.arena.bufs) != before {
		t.Fatalf("arena grew from %d to %d buffers on an identical step", before, len(tp.arena.bufs))
	}
}

// TestMaxPool2x2MatchesGeneralLoop checks the 2×2 fast path against the
// rule of the general loop (the first maximum in row-major order, the last
// NaN winning) on windows with ties, NaNs, infinities and signed zeros.
func TestMaxPool2x2MatchesGeneralLoop(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	vals := []float64{1, 2, 2, -1, nan, -inf, inf, 0, math.Copysign(0, -1), 3}
	rng := rand.New(rand.NewPCG(3, 4))
	const h, w = 6, 8
	x := make([]float64, 2*h*w)
	for i := range x {
		x[i] = vals[rng.IntN(len(vals))]
	}
	g := convGeom{n: 1, c: 2, h: h, w: w, kh: 2, kw: 2, sh: 2, sw: 2, dh: 1, dw: 1, oh: h / 2, ow: w / 2}
	L := g.oh * g.ow
	y, arg := make([]float64, 2*L), make([]float64, 2*L)
	l := maxPoolLoop[float64]{x: x, y: y, arg: arg, g: g}
	l.run(0, 2)
	for u := range 2 {
		plane := x[u*h*w:][:h*w]
		for i := range g.oh {
			for j := range g.ow {
				best, at := math.Inf(-1), -1
				for p := range 2 {
					for q := range 2 {
						k := (2*i+p)*w + 2*j + q
						if v := plane[k]; v > best || at < 0 || v != v {
							best, at = v, k
						}
					}
				}
				o := u*L + i*g.ow + j
				if int(arg[o]) != at || !(y[o] == best || y[o] != y[o] && best != best) {
					t.Errorf("plane %d window (%d,%d): max %g at %g, want %g at %d", u, i, j, y[o], arg[o], best, at)
				}
			}
		}
	}
}
