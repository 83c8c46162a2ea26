package autograd

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/descent-ml/descent/tensor"
)

// rnd returns a tensor of the given shape with values uniform in [lo, hi),
// each at least 1e-2 away from 0 when lo < 0 < hi (away from ReLU's kink).
func rnd(r *rand.Rand, lo, hi float64, shape ...int) *tensor.Tensor[float64] {
	t := tensor.New[float64](shape...)
	for i := range t.Data {
		for {
			v := lo + (hi-lo)*r.Float64()
			if v > 1e-2 || v < -1e-2 {
				t.Data[i] = v
				break
			}
		}
	}
	return t
}

// project reduces y to a scalar Σ yᵢ·rᵢ with fixed random weights rᵢ, so that
// every component of y's gradient is exercised.
func project(tp *Tape[float64], y *Var[float64], seed uint64) *Var[float64] {
	r := rand.New(rand.NewPCG(seed, 7))
	w := rnd(r, -1, 1, y.Shape()...)
	return tp.Sum(tp.Mul(y, tp.Const(w)))
}

func TestGradCheck(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	dim := func() int { return 1 + r.IntN(5) }
	a, b, c := dim(), dim(), dim()
	labels := func(n, classes int) []int {
		l := make([]int, n)
		for i := range l {
			l[i] = r.IntN(classes)
		}
		return l
	}
	pm := func(n int) []float64 {
		l := make([]float64, n)
		for i := range l {
			l[i] = float64(2*r.IntN(2) - 1)
		}
		return l
	}
	lab, ypm := labels(a, b), pm(a)
	target := rnd(r, -1, 1, a, b)
	type fn = func(tp *Tape[float64], x []*Var[float64]) *Var[float64]
	un := func(op func(tp *Tape[float64], x *Var[float64]) *Var[float64]) fn {
		return func(tp *Tape[float64], x []*Var[float64]) *Var[float64] { return project(tp, op(tp, x[0]), 3) }
	}
	bin := func(op func(tp *Tape[float64], x, y *Var[float64]) *Var[float64]) fn {
		return func(tp *Tape[float64], x []*Var[float64]) *Var[float64] { return project(tp, op(tp, x[0], x[1]), 3) }
	}
	tests := []struct {
		name   string
		f      fn
		inputs []*tensor.Tensor[float64]
	}{
		{"Add", bin((*Tape[float64]).Add), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b), rnd(r, -2, 2, a, b)}},
		{"Add/broadcast-row", bin((*Tape[float64]).Add), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b, c), rnd(r, -2, 2, c)}},
		{"Add/broadcast-middle", bin((*Tape[float64]).Add), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b, c), rnd(r, -2, 2, b, 1)}},
		{"Add/outer", bin((*Tape[float64]).Add), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, 1), rnd(r, -2, 2, 1, b)}},
		{"Sub/broadcast", bin((*Tape[float64]).Sub), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, 1), rnd(r, -2, 2, b)}},
		{"Mul/broadcast", bin((*Tape[float64]).Mul), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b), rnd(r, -2, 2, 1, b)}},
		{"Div/broadcast", bin((*Tape[float64]).Div), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b), rnd(r, 0.5, 2, a, 1)}},
		{"Scale", un(func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.Scale(x, -1.7) }), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b)}},
		{"AddScalar", un(func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.AddScalar(x, 0.3) }), []*tensor.Tensor[float64]{rnd(r, -2, 2, a)}},
		{"Neg", un((*Tape[float64]).Neg), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b)}},
		{"MatMul", bin((*Tape[float64]).MatMul), []*tensor.Tensor[float64]{rnd(r, -1, 1, a, b), rnd(r, -1, 1, b, c)}},
		{"MatMul/transA", bin(func(tp *Tape[float64], x, y *Var[float64]) *Var[float64] { return tp.MatMulT(x, y, true, false) }), []*tensor.Tensor[float64]{rnd(r, -1, 1, b, a), rnd(r, -1, 1, b, c)}},
		{"MatMul/transB", bin(func(tp *Tape[float64], x, y *Var[float64]) *Var[float64] { return tp.MatMulT(x, y, false, true) }), []*tensor.Tensor[float64]{rnd(r, -1, 1, a, b), rnd(r, -1, 1, c, b)}},
		{"MatMul/transAB", bin(func(tp *Tape[float64], x, y *Var[float64]) *Var[float64] { return tp.MatMulT(x, y, true, true) }), []*tensor.Tensor[float64]{rnd(r, -1, 1, b, a), rnd(r, -1, 1, c, b)}},
		{"Linear", func(tp *Tape[float64], x []*Var[float64]) *Var[float64] {
			return project(tp, tp.Linear(x[0], x[1], x[2]), 4)
		}, []*tensor.Tensor[float64]{rnd(r, -1, 1, a, b), rnd(r, -1, 1, c, b), rnd(r, -1, 1, c)}},
		{"Linear/nobias", func(tp *Tape[float64], x []*Var[float64]) *Var[float64] {
			return project(tp, tp.Linear(x[0], x[1], nil), 4)
		}, []*tensor.Tensor[float64]{rnd(r, -1, 1, a, b), rnd(r, -1, 1, c, b)}},
		{"ReLU", un((*Tape[float64]).ReLU), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b, c)}},
		{"Sigmoid", un((*Tape[float64]).Sigmoid), []*tensor.Tensor[float64]{rnd(r, -4, 4, a, b)}},
		{"Tanh", un((*Tape[float64]).Tanh), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b)}},
		{"Exp", un((*Tape[float64]).Exp), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b)}},
		{"Log", un((*Tape[float64]).Log), []*tensor.Tensor[float64]{rnd(r, 0.2, 3, a, b)}},
		{"Softplus", un((*Tape[float64]).Softplus), []*tensor.Tensor[float64]{rnd(r, -5, 5, a, b)}},
		{"Square", un((*Tape[float64]).Square), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b)}},
		{"Sum", func(tp *Tape[float64], x []*Var[float64]) *Var[float64] { return tp.Scale(tp.Sum(x[0]), 1.3) }, []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b)}},
		{"Mean", func(tp *Tape[float64], x []*Var[float64]) *Var[float64] { return tp.Scale(tp.Mean(x[0]), 1.3) }, []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b)}},
		{"SumSquares", func(tp *Tape[float64], x []*Var[float64]) *Var[float64] { return tp.SumSquares(x[0]) }, []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b)}},
		{"SumAxis/0", un(func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.SumAxis(x, 0) }), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b, c)}},
		{"SumAxis/1", un(func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.SumAxis(x, 1) }), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b, c)}},
		{"SumAxis/-1", un(func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.SumAxis(x, -1) }), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b, c)}},
		{"MeanAxis/1", un(func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.MeanAxis(x, 1) }), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b, c)}},
		{"Reshape", un(func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.Tanh(tp.Reshape(x, -1)) }), []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b, c)}},
		{"LogSoftmax", un((*Tape[float64]).LogSoftmax), []*tensor.Tensor[float64]{rnd(r, -3, 3, a, b)}},
		{"Softmax", un((*Tape[float64]).Softmax), []*tensor.Tensor[float64]{rnd(r, -3, 3, a, b, c)}},
		{"Gather", un(func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.Gather(x, lab) }), []*tensor.Tensor[float64]{rnd(r, -3, 3, a, b)}},
		{"SoftmaxCrossEntropy", func(tp *Tape[float64], x []*Var[float64]) *Var[float64] {
			return tp.SoftmaxCrossEntropy(x[0], lab)
		}, []*tensor.Tensor[float64]{rnd(r, -3, 3, a, b)}},
		{"LogisticLoss", func(tp *Tape[float64], x []*Var[float64]) *Var[float64] {
			return tp.LogisticLoss(x[0], ypm)
		}, []*tensor.Tensor[float64]{rnd(r, -4, 4, a)}},
		{"MSE", func(tp *Tape[float64], x []*Var[float64]) *Var[float64] {
			return tp.MSE(x[0], target)
		}, []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b)}},
		{"reuse", func(tp *Tape[float64], x []*Var[float64]) *Var[float64] {
			// x used three times: gradients from every use must add up.
			y := tp.Mul(x[0], tp.Sigmoid(x[0]))
			return project(tp, tp.Add(y, tp.Exp(x[0])), 5)
		}, []*tensor.Tensor[float64]{rnd(r, -2, 2, a, b)}},
	}
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

func TestGradCheckDetectsWrongGradient(t *testing.T) {
	// A deliberately wrong backward (gradient doubled) must be caught: the
	// output is x, but the recorded step is that of 2x.
	wrong := func(tp *Tape[float64], x []*Var[float64]) *Var[float64] {
		out := tp.newVar(x[0].Value.Shape, x[0])
		copy(out.Value.Data, x[0].Value.Data)
		if n := tp.record(opScale, out, x[0]); n != nil {
			n.k = 2
		}
		return tp.SumSquares(out)
	}
	errs, err := GradCheck(wrong, []*tensor.Tensor[float64]{tensor.FromSlice([]float64{1, 2, 3}, 3)}, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] < 0.1 {
		t.Fatalf("relative error %g: a doubled gradient went unnoticed", errs[0])
	}
}

func TestGradientsAccumulateAcrossBackward(t *testing.T) {
	w := tensor.FromSlice([]float64{1, -2}, 2)
	g := tensor.New[float64](2)
	for step := 0; step < 2; step++ {
		tp := NewTape[float64]()
		tp.Backward(tp.SumSquares(tp.Param(w, g)))
	}
	if g.Data[0] != 4 || g.Data[1] != -8 {
		t.Fatalf("after two backward passes grad = %v, want [4 -8] (2·2w)", g.Data)
	}
}

func TestInferenceRecordsNothing(t *testing.T) {
	tp := NewTape[float32]()
	tp.SetInference(true)
	w := tp.Param(tensor.FromSlice([]float32{1, 2}, 1, 2), tensor.New[float32](1, 2))
	x := tp.Const(tensor.FromSlice([]float32{3, 4}, 1, 2))
	y := tp.Sum(tp.ReLU(tp.Linear(x, w, nil)))
	if tp.Len() != 0 || y.RequiresGrad() {
		t.Fatalf("inference mode recorded %d steps (requires grad %v)", tp.Len(), y.RequiresGrad())
	}
	if y.Value.Item() != 11 {
		t.Fatalf("value %v, want 11", y.Value.Item())
	}
}

func TestArenaReusesMemory(t *testing.T) {
	tp := NewTape[float32]()
	w := tensor.New[float32](8, 16)
	gw := tensor.New[float32](8, 16)
	x := tensor.New[float32](4, 16)
	step := func() {
		tp.Reset()
		h := tp.ReLU(tp.Linear(tp.Const(x), tp.Param(w, gw), nil))
		tp.Backward(tp.Mean(h))
	}
	step()
	before := len(tp.arena.bufs)
	step()
	if len(tp.arena.bufs) != before {
		t.Fatalf("arena grew from %d to %d buffers on an identical step", before, len(tp.arena.bufs))
	}
}

func TestShapeErrorsNameBothShapes(t *testing.T) {
	tests := []struct {
		name string
		f    func(tp *Tape[float32])
		want []string
	}{
		{"MatMul", func(tp *Tape[float32]) {
			tp.MatMul(tp.Const(tensor.New[float32](2, 3)), tp.Const(tensor.New[float32](4, 5)))
		}, []string{"[2 3]", "[4 5]"}},
		{"Add", func(tp *Tape[float32]) {
			tp.Add(tp.Const(tensor.New[float32](2, 3)), tp.Const(tensor.New[float32](4)))
		}, []string{"[2 3]", "[4]"}},
		{"Linear", func(tp *Tape[float32]) {
			tp.Linear(tp.Const(tensor.New[float32](2, 3)), tp.Const(tensor.New[float32](4, 5)), nil)
		}, []string{"[2 3]", "[4 5]"}},
		{"SoftmaxCrossEntropy", func(tp *Tape[float32]) {
			tp.SoftmaxCrossEntropy(tp.Const(tensor.New[float32](2, 3)), []int{0, 1, 2})
		}, []string{"[2 3]", "3 labels"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
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

// TestFloat32MatchesFloat64 checks the float32 forms of the softmax
// cross-entropy and of the sigmoid and tanh, whose forward and backward
// steps go through the vector kernels, against float64, on shapes whose
// sizes leave the kernels a tail.
func TestFloat32MatchesFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, shape := range [][2]int{{1, 3}, {5, 10}, {3, 17}, {7, 33}} {
		rows, cols := shape[0], shape[1]
		x64 := rnd(r, -6, 6, rows, cols)
		x32 := tensor.New[float32](rows, cols)
		for i, v := range x64.Data {
			x32.Data[i] = float32(v)
			x64.Data[i] = float64(x32.Data[i])
		}
		labels := make([]int, rows)
		for i := range labels {
			labels[i] = r.IntN(cols)
		}
		w := rnd(r, -1, 1, rows, cols)
		w32 := tensor.New[float32](rows, cols)
		for i, v := range w.Data {
			w32.Data[i] = float32(v)
			w.Data[i] = float64(w32.Data[i])
		}
		for _, c := range []struct {
			name string
			f64  func(tp *Tape[float64], x *Var[float64]) *Var[float64]
			f32  func(tp *Tape[float32], x *Var[float32]) *Var[float32]
		}{
			{"SoftmaxCrossEntropy",
				func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.SoftmaxCrossEntropy(x, labels) },
				func(tp *Tape[float32], x *Var[float32]) *Var[float32] { return tp.SoftmaxCrossEntropy(x, labels) }},
			{"Sigmoid",
				func(tp *Tape[float64], x *Var[float64]) *Var[float64] {
					return tp.Sum(tp.Mul(tp.Sigmoid(x), tp.Const(w)))
				},
				func(tp *Tape[float32], x *Var[float32]) *Var[float32] {
					return tp.Sum(tp.Mul(tp.Sigmoid(x), tp.Const(w32)))
				}},
			{"Tanh",
				func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.Sum(tp.Mul(tp.Tanh(x), tp.Const(w))) },
				func(tp *Tape[float32], x *Var[float32]) *Var[float32] {
					return tp.Sum(tp.Mul(tp.Tanh(x), tp.Const(w32)))
				}},
		} {
			tp64, tp32 := NewTape[float64](), NewTape[float32]()
			v64, v32 := tp64.Leaf(x64.Clone()), tp32.Leaf(x32.Clone())
			l64, l32 := c.f64(tp64, v64), c.f32(tp32, v32)
			tp64.Backward(l64)
			tp32.Backward(l32)
			if got, want := float64(l32.Value.Data[0]), l64.Value.Data[0]; math.Abs(got-want) > 1e-6*(1+math.Abs(want)) {
				t.Errorf("%d×%d %s: float32 loss %g, float64 %g", rows, cols, c.name, got, want)
			}
			// Gradients of the size of their terms (|w| ≤ 1, or 1/rows),
			// which the float32 differences 1 − y² and p − 1 cancel.
			scale := 1.0
			if c.name == "SoftmaxCrossEntropy" {
				scale = 1 / float64(rows)
			}
			for i, want := range v64.Grad.Data {
				if got := float64(v32.Grad.Data[i]); math.Abs(got-want) > 4e-7*scale {
					t.Errorf("%d×%d %s: gradient %d: float32 %g, float64 %g", rows, cols, c.name, i, got, want)
					break
				}
			}
		}
	}
}

// TestFloat32ActivationsAndSoftmaxMatchFloat64 checks the float32
// gradients of Exp, Softplus, LogSoftmax and Softmax, whose forward and
// backward steps go through the vector kernels, against float64, on
// shapes whose rows leave the kernels a tail. The loss is Σ w ⊙ f(x), so
// that the gradient reaching f is w (|w| ≤ 1) exactly; the bounds follow
// from the kernels' (a few float32 roundings of each factor): for Exp and
// Softplus, relative to the gradient; for the log-softmax, of the size of
// its terms |w| and |Σw|·softmax; for the softmax, relative to y, since
// |w − Σ w⊙y| ≤ 2.
func TestFloat32ActivationsAndSoftmaxMatchFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, shape := range [][2]int{{1, 3}, {5, 10}, {3, 17}, {7, 33}, {2, 1000}} {
		rows, cols := shape[0], shape[1]
		x64, w64 := rnd(r, -6, 6, rows, cols), rnd(r, -1, 1, rows, cols)
		x32, w32 := tensor.New[float32](rows, cols), tensor.New[float32](rows, cols)
		for i := range x64.Data {
			x32.Data[i], w32.Data[i] = float32(x64.Data[i]), float32(w64.Data[i])
			x64.Data[i], w64.Data[i] = float64(x32.Data[i]), float64(w32.Data[i])
		}
		for _, c := range []struct {
			name string
			f64  func(tp *Tape[float64], x *Var[float64]) *Var[float64]
			f32  func(tp *Tape[float32], x *Var[float32]) *Var[float32]
			tol  func(i int, want float64) float64
		}{
			{"Exp", (*Tape[float64]).Exp, (*Tape[float32]).Exp,
				func(i int, want float64) float64 { return 5e-7 * math.Abs(want) }},
			{"Softplus", (*Tape[float64]).Softplus, (*Tape[float32]).Softplus,
				func(i int, want float64) float64 { return 5e-7 * math.Abs(want) }},
			{"Log(x²+1)", func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.Log(tp.AddScalar(tp.Square(x), 1)) },
				func(tp *Tape[float32], x *Var[float32]) *Var[float32] { return tp.Log(tp.AddScalar(tp.Square(x), 1)) },
				func(i int, want float64) float64 { return 1e-6*math.Abs(want) + 1e-7 }},
			{"LogSoftmax", (*Tape[float64]).LogSoftmax, (*Tape[float32]).LogSoftmax,
				func(i int, want float64) float64 {
					var s float64
					for _, v := range w64.Data[i/cols*cols : (i/cols+1)*cols] {
						s += v
					}
					return 3e-7 * (math.Abs(w64.Data[i]) + math.Abs(s))
				}},
			{"Softmax", (*Tape[float64]).Softmax, (*Tape[float32]).Softmax,
				func(i int, want float64) float64 {
					// y of float64, the gradient's factor.
					row := x64.Data[i/cols*cols : (i/cols+1)*cols]
					m := row[0]
					for _, v := range row {
						m = math.Max(m, v)
					}
					var s float64
					for _, v := range row {
						s += math.Exp(v - m)
					}
					return 1e-6 * math.Exp(x64.Data[i]-m) / s
				}},
		} {
			tp64, tp32 := NewTape[float64](), NewTape[float32]()
			v64, v32 := tp64.Leaf(x64.Clone()), tp32.Leaf(x32.Clone())
			tp64.Backward(tp64.Sum(tp64.Mul(c.f64(tp64, v64), tp64.Const(w64))))
			tp32.Backward(tp32.Sum(tp32.Mul(c.f32(tp32, v32), tp32.Const(w32))))
			for i, want := range v64.Grad.Data {
				if got := float64(v32.Grad.Data[i]); math.Abs(got-want) > c.tol(i, want) {
					t.Errorf("%d×%d %s: gradient %d: float32 %g, float64 %g", rows, cols, c.name, i, got, want)
					break
				}
			}
		}
	}
}

// TestFreshGradientsAccumulate checks the backward steps that write a
// fresh gradient instead of adding to a zeroed one (Sum, MaxPool2D) when
// their input h (an intermediate, whose gradient the tape allocates) also
// feeds other steps, recorded before and after them: the contributions
// must add up. Each case runs three steps on one tape, so that the later
// steps' fresh buffers are recycled ones still holding the first step's
// gradients.
func TestFreshGradientsAccumulate(t *testing.T) {
	x := tensor.New[float64](1, 2, 4, 4)
	for i := range x.Data {
		x.Data[i] = float64((i*7)%11) - 5
	}
	pool := PoolOptions{Kernel: [2]int{2, 2}}
	for _, order := range []string{"sum first", "pool first", "pool alone"} {
		tp := NewTape[float64]()
		for step := 0; step < 3; step++ {
			tp.Reset()
			xv := tp.Leaf(x)
			h := tp.Scale(xv, 2)
			var loss *Var[float64]
			switch order {
			case "sum first":
				a := tp.Sum(h)
				b := tp.Sum(tp.MaxPool2D(h, pool))
				loss = tp.Add(tp.Add(a, b), tp.Sum(tp.Mul(h, h)))
			case "pool first":
				b := tp.Sum(tp.MaxPool2D(h, pool))
				a := tp.Sum(h)
				loss = tp.Add(tp.Add(tp.Sum(tp.Mul(h, h)), b), a)
			case "pool alone":
				loss = tp.Sum(tp.MaxPool2D(h, pool))
			}
			tp.Backward(loss)
			// dL/dh = 1 (Sum) + 1 at each window's maximum (pooling) +
			// 2h, and dx = 2·dL/dh.
			for i, g := range xv.Grad.Data {
				want := 1 + 2*2*x.Data[i]
				if order == "pool alone" {
					want = 0
				}
				n, r, col := i/16, i%16/4, i%4
				r0, c0 := r/2*2, col/2*2
				best, at := math.Inf(-1), -1
				for p := 0; p < 2; p++ {
					for q := 0; q < 2; q++ {
						if v := x.Data[n*16+(r0+p)*4+c0+q]; v > best {
							best, at = v, (r0+p)*4+c0+q
						}
					}
				}
				if at == i%16 {
					want++
				}
				if g != 2*want {
					t.Fatalf("%s, step %d: dx[%d] = %v, want %v", order, step, i, g, 2*want)
				}
			}
		}
	}
}

// TestBackwardSkipsStepsNotLeadingToTheLoss checks that steps recorded on
// the tape but not used by the loss pass no gradient on (and do not fail).
func TestBackwardSkipsStepsNotLeadingToTheLoss(t *testing.T) {
	x := tensor.New[float64](1, 1, 4, 4)
	for i := range x.Data {
		x.Data[i] = float64(i)
	}
	tp := NewTape[float64]()
	xv := tp.Leaf(x)
	tp.MaxPool2D(xv, PoolOptions{Kernel: [2]int{2, 2}}) // unused
	tp.Sum(tp.ReLU(xv))                                 // unused
	tp.Backward(tp.Sum(tp.Scale(xv, 3)))
	for i, g := range xv.Grad.Data {
		if g != 3 {
			t.Fatalf("dx[%d] = %v, want 3", i, g)
		}
	}
}

// TestMaxPool2x2Float32Backward checks the float32 2×2 pooling's backward
// (vector kernels, fresh gradients written window by window) against the
// float64 one (the generic loops) on planes of odd and even sizes, for a
// gradient that is fresh and for one that other steps add to, over several
// steps on one tape.
func TestMaxPool2x2Float32Backward(t *testing.T) {
	pool := PoolOptions{Kernel: [2]int{2, 2}}
	for _, hw := range [][2]int{{4, 4}, {5, 7}, {6, 33}, {3, 2}} {
		x32 := tensor.New[float32](2, 3, hw[0], hw[1])
		x64 := tensor.New[float64](2, 3, hw[0], hw[1])
		for i := range x32.Data {
			x32.Data[i] = float32((i*37)%23) - 11
			x64.Data[i] = float64(x32.Data[i])
		}
		for _, shared := range []bool{false, true} {
			tp64 := NewTape[float64]()
			xv64 := tp64.Leaf(x64)
			h64 := tp64.Scale(xv64, 2)
			loss64 := tp64.Sum(tp64.Mul(tp64.MaxPool2D(h64, pool), tp64.MaxPool2D(h64, pool)))
			if shared {
				loss64 = tp64.Add(loss64, tp64.Sum(h64))
			}
			tp64.Backward(loss64)
			tp32 := NewTape[float32]()
			for step := 0; step < 3; step++ {
				tp32.Reset()
				xv32 := tp32.Leaf(x32)
				h32 := tp32.Scale(xv32, 2)
				loss32 := tp32.Sum(tp32.Mul(tp32.MaxPool2D(h32, pool), tp32.MaxPool2D(h32, pool)))
				if shared {
					loss32 = tp32.Add(loss32, tp32.Sum(h32))
				}
				tp32.Backward(loss32)
				for i, g := range xv32.Grad.Data {
					if float64(g) != xv64.Grad.Data[i] {
						t.Fatalf("%v shared=%v step %d: dx[%d] = %v, float64 %v", hw, shared, step, i, g, xv64.Grad.Data[i])
					}
				}
			}
		}
	}
}

// TestMaxPoolBackwardFreshOverwritesEverything runs the 2×2 pooling's
// backward loop on a fresh gradient buffer full of NaN (as a recycled
// buffer may hold anything): every element must be written, the rows and
// columns outside all windows (odd sizes) included.
func TestMaxPoolBackwardFreshOverwritesEverything(t *testing.T) {
	for _, hw := range [][2]int{{4, 4}, {5, 7}, {3, 2}} {
		x := tensor.New[float32](1, 2, hw[0], hw[1])
		for i := range x.Data {
			x.Data[i] = float32((i * 7) % 5)
		}
		tp := NewTape[float32]()
		y := tp.MaxPool2D(tp.Leaf(x), PoolOptions{Kernel: [2]int{2, 2}})
		n := tp.steps[len(tp.steps)-1]
		dx := make([]float32, len(x.Data))
		for i := range dx {
			dx[i] = float32(math.NaN())
		}
		dy := make([]float32, len(y.Value.Data))
		for i := range dy {
			dy[i] = 1
		}
		l := maxPoolBackLoop[float32]{dx: dx, dy: dy, arg: n.saved[0], g: n.geom, fresh: true}
		l.run(0, 2)
		ones := 0
		for i, v := range dx {
			if v != 0 && v != 1 {
				t.Fatalf("%v: dx[%d] = %v after a fresh backward", hw, i, v)
			}
			if v == 1 {
				ones++
			}
		}
		if ones != len(dy) {
			t.Fatalf("%v: %d gradients reached the input, want %d", hw, ones, len(dy))
		}
	}
}

// TestSoftmaxBackwardRowsInParallel checks the Softmax and LogSoftmax
// backward on a batch large enough to be split across the cores against the
// same rows taken one at a time: each row's gradient must be bitwise equal.
func TestSoftmaxBackwardRowsInParallel(t *testing.T) {
	const rows, cols = 3000, 10
	x := tensor.New[float64](rows, cols)
	w := tensor.New[float64](rows, cols)
	for i := range x.Data {
		x.Data[i] = float64((i*37)%23)/5 - 2
		w.Data[i] = float64((i*11)%7) - 3
	}
	for _, log := range []bool{false, true} {
		f := func(tp *Tape[float64], v *Var[float64]) *Var[float64] {
			if log {
				return tp.LogSoftmax(v)
			}
			return tp.Softmax(v)
		}
		tp := NewTape[float64]()
		xv := tp.Leaf(x)
		tp.Backward(tp.Sum(tp.Mul(f(tp, xv), tp.Const(w))))
		for r := 0; r < rows; r += 499 {
			row := tensor.New[float64](1, cols)
			copy(row.Data, x.Data[r*cols:(r+1)*cols])
			wr := tensor.New[float64](1, cols)
			copy(wr.Data, w.Data[r*cols:(r+1)*cols])
			tp1 := NewTape[float64]()
			rv := tp1.Leaf(row)
			tp1.Backward(tp1.Sum(tp1.Mul(f(tp1, rv), tp1.Const(wr))))
			for j, g := range rv.Grad.Data {
				if got := xv.Grad.Data[r*cols+j]; got != g {
					t.Fatalf("log=%v row %d: dx[%d] = %v in the batch, %v alone", log, r, j, got, g)
				}
			}
		}
	}
}
