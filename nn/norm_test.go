package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/tensor"
)

func randTensor[T Float](rng *rand.Rand, scale, shift float64, shape ...int) *tensor.Tensor[T] {
	t := tensor.New[T](shape...)
	for i := range t.Data {
		t.Data[i] = T(shift + scale*rng.NormFloat64())
	}
	return t
}

// forwardEval runs m on x in inference mode and returns a copy of the
// output as float64.
func forwardEval[T Float](m Module[T], x *tensor.Tensor[T]) []float64 {
	tp := autograd.NewTape[T]()
	tp.SetInference(true)
	y := m.Forward(tp, tp.Const(x)).Value.Data
	out := make([]float64, len(y))
	for i, v := range y {
		out[i] = float64(v)
	}
	return out
}

// trainedBatchNorm returns bn with random γ and β and running statistics
// moved by a few training passes of layer's outputs.
func trainBatchNorm[T Float](t *testing.T, rng *rand.Rand, layer Module[T], bn *BatchNorm[T], inShape []int) {
	t.Helper()
	for i := range bn.Weight.Value.Data {
		bn.Weight.Value.Data[i] = T(0.5 + rng.Float64())
		bn.Bias.Value.Data[i] = T(rng.NormFloat64())
	}
	tp := autograd.NewTape[T]()
	for range 5 {
		tp.Reset()
		bn.Forward(tp, layer.Forward(tp, tp.Const(randTensor[T](rng, 2, 0.5, inShape...))))
	}
	bn.SetTraining(false)
}

func testFold[T Float](t *testing.T, tol float64) {
	rng := rand.New(rand.NewPCG(21, 22))
	tests := []struct {
		name  string
		layer Module[T]
		bn    *BatchNorm[T]
		in    []int
	}{
		{"Linear", NewLinear(rng, 12, 7, HeNormal[T], true), NewBatchNorm[T](7), []int{16, 12}},
		{"Linear/nobias", NewLinear(rng, 9, 5, XavierUniform[T], false), NewBatchNorm[T](5), []int{10, 9}},
		{"Conv2D", NewConv2D(rng, Conv2DConfig{In: 3, Out: 6, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, HeNormal[T]), NewBatchNorm[T](6), []int{4, 3, 8, 8}},
		{"Conv2D/strided-groups-nobias", NewConv2D(rng, Conv2DConfig{In: 4, Out: 6, Kernel: [2]int{3, 2}, Stride: [2]int{2, 1}, Groups: 2, NoBias: true}, HeUniform[T]), NewBatchNorm[T](6), []int{3, 4, 9, 7}},
		{"WeightNorm(Linear)", NewWeightNorm(NewLinear(rng, 8, 4, HeNormal[T], true)), NewBatchNorm[T](4), []int{6, 8}},
		{"Conv2D/renorm", NewConv2D(rng, Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{2, 2}}, HeNormal[T]), NewBatchRenorm[T](3, RenormSchedule{RMax: 2, DMax: 1}), []int{4, 2, 5, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if wn, ok := tc.layer.(*WeightNorm[T]); ok {
				for i := range wn.G.Value.Data {
					wn.G.Value.Data[i] *= T(0.5 + rng.Float64())
				}
			}
			trainBatchNorm(t, rng, tc.layer, tc.bn, tc.in)
			x := randTensor[T](rng, 2, 0.5, tc.in...)
			want := forwardEval[T](NewSequential[T](tc.layer, tc.bn), x)
			f, err := FoldBatchNorm(tc.layer, tc.bn)
			if err != nil {
				t.Fatal(err)
			}
			got := forwardEval(f, x)
			if e := relErrNorm(got, want); e > tol {
				t.Fatalf("folded layer %v: relative error %.3g > %g", f, e, tol)
			}
			t.Logf("%v: relative error %.2g", f, relErrNorm(got, want))
		})
	}
}

// TestFoldBatchNorm checks that merging a trained BatchNorm into the layer
// before it leaves the evaluation outputs unchanged to 1e-5 relative.
func TestFoldBatchNorm(t *testing.T) {
	t.Run("float64", func(t *testing.T) { testFold[float64](t, 1e-12) })
	t.Run("float32", func(t *testing.T) { testFold[float32](t, 1e-5) })
}

func TestFoldBatchNormsCNN(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	m := CNN(rng, []int{1, 16, 16}, 10, ModelConfig[float32]{Norm: NormBatch})
	for _, l := range m.Layers {
		if bn, ok := l.(*BatchNorm[float32]); ok {
			for i := range bn.Weight.Value.Data {
				bn.Weight.Value.Data[i] = float32(0.5 + rng.Float64())
				bn.Bias.Value.Data[i] = float32(rng.NormFloat64())
			}
		}
	}
	tp := autograd.NewTape[float32]()
	for range 3 {
		tp.Reset()
		m.Forward(tp, tp.Const(randTensor[float32](rng, 1, 0.3, 8, 1, 16, 16)))
	}
	SetTraining[float32](m, false)
	folded, err := FoldBatchNorms(m)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(folded.Layers); n != len(m.Layers)-3 {
		t.Fatalf("folded model has %d layers, want %d: %v", n, len(m.Layers)-3, folded)
	}
	if strings.Contains(folded.String(), "BatchNorm") {
		t.Fatalf("BatchNorm left in %v", folded)
	}
	x := randTensor[float32](rng, 1, 0.3, 5, 1, 16, 16)
	if e := relErrNorm(forwardEval[float32](folded, x), forwardEval[float32](m, x)); e > 1e-5 {
		t.Fatalf("relative error %.3g", e)
	}
	if _, err := FoldBatchNorm[float32](ReLU[float32](), NewBatchNorm[float32](3)); err == nil {
		t.Fatal("folding into ReLU did not fail")
	}
	if _, err := FoldBatchNorm[float32](NewLinear(rng, 3, 4, HeNormal[float32], true), NewBatchNorm[float32](5)); err == nil || !strings.Contains(err.Error(), "4 outputs") {
		t.Fatalf("mismatched channels: error %v", err)
	}
}

// TestBatchNormGaugeInvariance is the lecture's re-parameterization
// invariance: scaling the weights of the layer before a BatchNorm by α > 0
// leaves the outputs and the gradients of every later layer unchanged and
// divides the gradient with respect to the scaled weights by α. (ε = 0, so
// that the invariance is exact.)
func TestBatchNormGaugeInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	build := map[string]func() (*Sequential[float64], []int){
		"Linear": func() (*Sequential[float64], []int) {
			bn := NewBatchNorm[float64](6)
			bn.Eps = 0
			return NewSequential[float64](NewLinear(rng, 5, 6, HeNormal[float64], false), bn, ReLU[float64](),
				NewLinear(rng, 6, 3, HeNormal[float64], true)), []int{8, 5}
		},
		"Conv2D": func() (*Sequential[float64], []int) {
			bn := NewBatchNorm[float64](4)
			bn.Eps = 0
			return NewSequential[float64](NewConv2D(rng, Conv2DConfig{In: 2, Out: 4, Kernel: [2]int{3, 3}, NoBias: true}, HeNormal[float64]),
				bn, ReLU[float64](), NewMaxPool2D[float64](PoolOptions{Kernel: [2]int{2, 2}}), Flatten[float64](),
				NewLinear(rng, 4*2*2, 3, HeNormal[float64], true)), []int{5, 2, 6, 6}
		},
	}
	for name, b := range build {
		t.Run(name, func(t *testing.T) {
			m, in := b()
			ps := NewParams[float64](m)
			for i := range ps.Data { // move γ and β off 1 and 0
				ps.Data[i] += 0.2 * rng.NormFloat64()
			}
			x := randTensor[float64](rng, 1, 0, in...)
			labels := make([]int, in[0])
			for i := range labels {
				labels[i] = rng.IntN(3)
			}
			o := &Objective[float64]{Model: m, Params: ps, Loss: SoftmaxCrossEntropy[float64]{}}
			tp := autograd.NewTape[float64]()
			run := func() (logits, grad []float64) {
				o.Eval(tp, x, labels)
				grad = append([]float64(nil), ps.Grad...)
				tp.Reset()
				return append([]float64(nil), m.Forward(tp, tp.Const(x)).Value.Data...), grad
			}
			first := ps.List[0] // the weights before the BatchNorm
			n0 := ps.Offsets[1]
			y0, g0 := run()
			w0 := append([]float64(nil), first.Value.Data...)
			for _, alpha := range []float64{1e-3, 0.37, 5, 1e4} {
				for i, v := range w0 {
					first.Value.Data[i] = alpha * v
				}
				y, g := run()
				if e := relErrNorm(y, y0); e > 1e-10 {
					t.Errorf("α = %g: outputs changed by %.3g", alpha, e)
				}
				if e := relErrNorm(g[n0:], g0[n0:]); e > 1e-10 {
					t.Errorf("α = %g: gradients of the later layers changed by %.3g", alpha, e)
				}
				scaled := make([]float64, n0)
				for i := range scaled {
					scaled[i] = g0[i] / alpha
				}
				if e := relErrNorm(g[:n0], scaled); e > 1e-9 {
					t.Errorf("α = %g: gradient of the scaled weights is not 1/α times the original (error %.3g)", alpha, e)
				}
			}
		})
	}
}

func TestTrainEvalSwitch(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	bn := NewBatchNorm[float64](4)
	drop := NewDropout[float64](0.5, rng)
	m := NewSequential[float64](NewLinear(rng, 3, 4, HeNormal[float64], true), bn, drop)
	x := randTensor[float64](rng, 1, 2, 10, 3)
	tp := autograd.NewTape[float64]()
	m.Forward(tp, tp.Const(x))
	if bn.BatchesTracked != 1 || bn.RunningMean.Data[0] == 0 {
		t.Fatalf("training pass did not update the running statistics: %v", bn.RunningMean.Data)
	}
	SetTraining[float64](m, false)
	mean := append([]float64(nil), bn.RunningMean.Data...)
	a, b := forwardEval[float64](m, x), forwardEval[float64](m, x)
	if relErrNorm(a, b) != 0 {
		t.Fatal("evaluation mode is not deterministic (dropout still on?)")
	}
	if relErrNorm(mean, bn.RunningMean.Data) != 0 || bn.BatchesTracked != 1 {
		t.Fatal("evaluation pass changed the running statistics")
	}
	// Evaluation uses running statistics: one example gives the same output
	// alone as in the batch.
	one := tensor.FromSlice(append([]float64(nil), x.Data[:3]...), 1, 3)
	if e := relErrNorm(forwardEval[float64](m, one), a[:4]); e > 1e-14 {
		t.Fatalf("eval output depends on the batch: %.3g", e)
	}
	SetTraining[float64](m, true)
	if !bn.Training() {
		t.Fatal("SetTraining(true) did not reach the BatchNorm")
	}
	bufs := Buffers[float64](m)
	if bufs["1.running_mean"] != bn.RunningMean || bufs["1.running_var"] != bn.RunningVar || len(bufs) != 2 {
		t.Fatalf("buffers %v", bufs)
	}
}

func TestRenormSchedule(t *testing.T) {
	s := DefaultRenormSchedule()
	for _, tc := range []struct {
		step       int
		rmax, dmax float64
	}{{0, 1, 0}, {4999, 1, 0}, {5000, 1, 0}, {15000, 1 + 2*10000.0/35000, 5 * 10000.0 / 20000}, {25000, 1 + 2*20000.0/35000, 5}, {40000, 3, 5}, {1e6, 3, 5}} {
		r, d := s.At(tc.step)
		if math.Abs(r-tc.rmax) > 1e-12 || math.Abs(d-tc.dmax) > 1e-12 {
			t.Errorf("step %d: r_max %v d_max %v, want %v %v", tc.step, r, d, tc.rmax, tc.dmax)
		}
	}
}

// TestBatchRenormMatchesBatchNormInWarmup: with r_max = 1 and d_max = 0
// Batch Renormalization is batch normalization.
func TestBatchRenormMatchesBatchNormInWarmup(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	bn, rn := NewBatchNorm[float64](3), NewBatchRenorm[float64](3, DefaultRenormSchedule())
	tp := autograd.NewTape[float64]()
	for range 3 {
		x := randTensor[float64](rng, 2, 1, 6, 3, 2, 2)
		tp.Reset()
		a := bn.Forward(tp, tp.Const(x)).Value.Data
		b := rn.Forward(tp, tp.Const(x)).Value.Data
		if e := relErrNorm(a, b); e > 1e-15 {
			t.Fatalf("outputs differ by %.3g", e)
		}
	}
	if relErrNorm(bn.RunningVar.Data, rn.RunningVar.Data) != 0 {
		t.Fatal("running statistics differ")
	}
}

func TestWeightNormStartsAsWrappedLayer(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, l := range []Module[float64]{
		NewLinear(rng, 5, 3, HeNormal[float64], true),
		NewConv2D(rng, Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{2, 2}}, HeNormal[float64]),
	} {
		in := []int{4, 5}
		if _, ok := l.(*Conv2D[float64]); ok {
			in = []int{4, 2, 5, 5}
		}
		x := randTensor[float64](rng, 1, 0, in...)
		want := forwardEval(l, x)
		wn := NewWeightNorm(l)
		if e := relErrNorm(forwardEval[float64](wn, x), want); e > 1e-14 {
			t.Errorf("%v: relative error %.3g", wn, e)
		}
		names := []string{}
		for _, p := range wn.Parameters() {
			names = append(names, p.Name)
		}
		if strings.Join(names, ",") != "weight_g,weight_v,bias" {
			t.Errorf("%v: parameters %v", wn, names)
		}
	}
}

// TestLayerShapeErrors checks that wrong shapes panic with a message that
// names the layer and the shapes.
func TestLayerShapeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	conv := NewConv2D(rng, Conv2DConfig{In: 1, Out: 32, Kernel: [2]int{5, 5}}, HeNormal[float32])
	tests := []struct {
		name string
		f    func(tp *autograd.Tape[float32])
		want []string
	}{
		{"Conv2D/2-D input", func(tp *autograd.Tape[float32]) {
			conv.Forward(tp, tp.Const(tensor.New[float32](8, 784)))
		}, []string{"nn.Conv2D(1→32, 5×5)", "[8 784]", "batch×1×height×width"}},
		{"Conv2D/channels", func(tp *autograd.Tape[float32]) {
			conv.Forward(tp, tp.Const(tensor.New[float32](2, 3, 28, 28)))
		}, []string{"nn.Conv2D(1→32, 5×5)", "[2 3 28 28]", "batch×1×height×width"}},
		{"Conv2D/groups", func(tp *autograd.Tape[float32]) {
			NewConv2D(rng, Conv2DConfig{In: 6, Out: 4, Kernel: [2]int{3, 3}, Groups: 4}, HeNormal[float32])
		}, []string{"nn.NewConv2D", "groups 4", "input channels 6", "output channels 4"}},
		{"Conv2D/kernel larger than padded input", func(tp *autograd.Tape[float32]) {
			conv.Forward(tp, tp.Const(tensor.New[float32](2, 1, 3, 4)))
		}, []string{"nn.Conv2D(1→32, 5×5)", "[2 1 3 4]", "spans 5 in height", "padded input's 3"}},
		{"WeightNorm(Conv2D)/2-D input", func(tp *autograd.Tape[float32]) {
			NewWeightNorm[float32](NewConv2D(rng, Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{3, 3}}, HeNormal[float32])).Forward(tp, tp.Const(tensor.New[float32](4, 18)))
		}, []string{"nn.Conv2D(2→3, 3×3)", "[4 18]"}},
		{"MaxPool2D/2-D input", func(tp *autograd.Tape[float32]) {
			NewMaxPool2D[float32](PoolOptions{Kernel: [2]int{2, 2}}).Forward(tp, tp.Const(tensor.New[float32](4, 18)))
		}, []string{"nn.MaxPool2D(2×2)", "[4 18]"}},
		{"MaxPool2D/window too large", func(tp *autograd.Tape[float32]) {
			NewMaxPool2D[float32](PoolOptions{Kernel: [2]int{3, 3}}).Forward(tp, tp.Const(tensor.New[float32](4, 2, 2, 5)))
		}, []string{"nn.MaxPool2D(3×3)", "[4 2 2 5]", "spans 3 in height"}},
		{"BatchNorm/features", func(tp *autograd.Tape[float32]) {
			NewBatchNorm[float32](32).Forward(tp, tp.Const(tensor.New[float32](4, 16, 5, 5)))
		}, []string{"nn.BatchNorm(32)", "[4 16 5 5]"}},
		{"BatchNorm/one value per channel", func(tp *autograd.Tape[float32]) {
			NewBatchNorm[float32](3).Forward(tp, tp.Const(tensor.New[float32](1, 3)))
		}, []string{"nn.BatchNorm(3)", "[1 3]", "more than one"}},
		{"LayerNorm/shape", func(tp *autograd.Tape[float32]) {
			NewLayerNorm[float32](4, 4).Forward(tp, tp.Const(tensor.New[float32](2, 4, 5)))
		}, []string{"nn.LayerNorm([4 4])", "[2 4 5]"}},
		{"GroupNorm/channels", func(tp *autograd.Tape[float32]) {
			NewGroupNorm[float32](2, 8).Forward(tp, tp.Const(tensor.New[float32](2, 6, 3, 3)))
		}, []string{"nn.GroupNorm(2, 8)", "[2 6 3 3]"}},
		{"GroupNorm/groups", func(tp *autograd.Tape[float32]) { NewGroupNorm[float32](3, 8) }, []string{"nn.NewGroupNorm", "3 groups", "8 channels"}},
		{"InstanceNorm/no spatial", func(tp *autograd.Tape[float32]) {
			NewInstanceNorm[float32](4, false).Forward(tp, tp.Const(tensor.New[float32](2, 4)))
		}, []string{"nn.InstanceNorm(4)", "[2 4]"}},
		{"WeightNorm/ReLU", func(tp *autograd.Tape[float32]) { NewWeightNorm(ReLU[float32]()) }, []string{"nn.NewWeightNorm", "ReLU"}},
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
			tc.f(autograd.NewTape[float32]())
		})
	}
}

// TestNormModelsGradCheck checks whole networks with every normalization
// (in training mode) against finite differences of the objective.
func TestNormModelsGradCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	x := randTensor[float64](rng, 1, 0, 6, 1, 16, 16)
	labels := []int{0, 2, 1, 1, 0, 2}
	for _, norm := range []Norm{NormNone, NormBatch, NormLayer, NormGroup, NormInstance, NormWeight} {
		t.Run("CNN/"+string(norm), func(t *testing.T) {
			if testing.Short() && norm != NormBatch {
				t.Skip("short")
			}
			// Tanh rather than ReLU: fewer kinks for the finite differences to straddle.
			m := CNN(rng, []int{1, 16, 16}, 3, ModelConfig[float64]{Norm: norm, Init: XavierNormal[float64], Activation: Tanh[float64]})
			checkModelGrad(t, rng, m, x, labels, 1e-6)
		})
	}
	for _, norm := range []Norm{NormBatch, NormLayer, NormGroup, NormWeight} {
		t.Run("MLP/"+string(norm), func(t *testing.T) {
			m := NormMLP(rng, []int{256, 6, 8, 3}, ModelConfig[float64]{Norm: norm, Activation: Tanh[float64], Groups: 2})
			checkModelGrad(t, rng, m, x, labels, 1e-6)
		})
	}
}

// checkModelGrad compares the backpropagated gradient of the objective with
// central differences on a sample of coordinates: up to 12 of every
// parameter tensor (a full check of a CNN would take minutes).
func checkModelGrad(t *testing.T, rng *rand.Rand, m Module[float64], x *tensor.Tensor[float64], labels []int, tol float64) {
	t.Helper()
	ps := NewParams(m)
	for i := range ps.Data {
		ps.Data[i] += 0.05 * rng.NormFloat64()
	}
	o := &Objective[float64]{Model: m, Params: ps, Loss: SoftmaxCrossEntropy[float64]{}}
	tp := autograd.NewTape[float64]()
	o.Eval(tp, x, labels)
	grad := append([]float64(nil), ps.Grad...)
	tp.SetInference(true)
	const h = 1e-6
	var got, want []float64
	for i := range ps.List {
		lo, hi := ps.Offsets[i], ps.Offsets[i+1]
		for range min(12, hi-lo) {
			k := lo + rng.IntN(hi-lo)
			old := ps.Data[k]
			ps.Data[k] = old + h
			fp, _ := o.Eval(tp, x, labels)
			ps.Data[k] = old - h
			fm, _ := o.Eval(tp, x, labels)
			ps.Data[k] = old
			got = append(got, grad[k])
			want = append(want, (fp-fm)/(2*h))
		}
	}
	if e := relErr(got, want); e > tol {
		t.Fatalf("relative error %.3g > %g\nbackprop %v\nnumeric  %v", e, tol, got, want)
	}
}

func TestInitializers(t *testing.T) {
	const fanIn, fanOut, n = 200, 300, 60000
	tests := []struct {
		name    string
		init    Init[float64]
		std     float64
		uniform bool
	}{
		{"xavier-uniform-gain", XavierUniformGain[float64](2), 2 * math.Sqrt(2.0/(fanIn+fanOut)), true},
		{"xavier-normal-gain", XavierNormalGain[float64](5.0 / 3), 5.0 / 3 * math.Sqrt(2.0/(fanIn+fanOut)), false},
		{"kaiming-normal-fan-in", KaimingNormal[float64](FanIn, math.Sqrt2), math.Sqrt(2.0 / fanIn), false},
		{"kaiming-normal-fan-out", KaimingNormal[float64](FanOut, 1), math.Sqrt(1.0 / fanOut), false},
		{"kaiming-uniform-fan-out", KaimingUniform[float64](FanOut, math.Sqrt2), math.Sqrt(2.0 / fanOut), true},
		{"lecun-normal", LeCunNormal[float64], math.Sqrt(1.0 / fanIn), false},
		{"lecun-uniform", LeCunUniform[float64], math.Sqrt(1.0 / fanIn), true},
		{"torch", TorchDefault[float64], math.Sqrt(1.0 / (3 * fanIn)), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := make([]float64, n)
			tc.init(rand.New(rand.NewPCG(1, 2)), w, fanIn, fanOut)
			var s, s2, mx float64
			for _, v := range w {
				s += v
				s2 += v * v
				mx = math.Max(mx, math.Abs(v))
			}
			mean, std := s/n, math.Sqrt(s2/n)
			if math.Abs(mean) > 4*tc.std/math.Sqrt(n) || math.Abs(std/tc.std-1) > 0.02 {
				t.Errorf("mean %.3g std %.4g, want 0 and %.4g", mean, std, tc.std)
			}
			if bound := tc.std * math.Sqrt(3); tc.uniform && (mx > bound || mx < 0.99*bound) {
				t.Errorf("largest |w| %.4g, want just under %.4g", mx, bound)
			}
		})
	}
	for _, shape := range [][2]int{{8, 20}, {20, 8}, {6, 6}} {
		rows, cols := shape[0], shape[1]
		w := make([]float64, rows*cols)
		Orthogonal[float64](1.5)(rand.New(rand.NewPCG(3, 4)), w, cols, rows)
		// W·Wᵀ = 2.25·I (rows ≤ cols) or Wᵀ·W = 2.25·I.
		k, m := rows, cols
		at := func(i, j int) float64 { return w[i*cols+j] }
		if rows > cols {
			k, m = cols, rows
			at = func(i, j int) float64 { return w[j*cols+i] }
		}
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				var d float64
				for l := 0; l < m; l++ {
					d += at(i, l) * at(j, l)
				}
				want := 0.0
				if i == j {
					want = 2.25
				}
				if math.Abs(d-want) > 1e-12 {
					t.Fatalf("orthogonal %dx%d: entry (%d,%d) of the Gram matrix is %v, want %v", rows, cols, i, j, d, want)
				}
			}
		}
	}
	for _, tc := range []struct {
		name  string
		param float64
		want  float64
	}{{"linear", 0, 1}, {"sigmoid", 0, 1}, {"tanh", 0, 5.0 / 3}, {"relu", 0, math.Sqrt2}, {"leaky_relu", 0, math.Sqrt(2 / 1.0001)}, {"leaky_relu", 0.2, math.Sqrt(2 / 1.04)}, {"selu", 0, 0.75}} {
		if g, ok := Gain(tc.name, tc.param); !ok || math.Abs(g-tc.want) > 1e-15 {
			t.Errorf("Gain(%q, %v) = %v, %v; want %v", tc.name, tc.param, g, ok, tc.want)
		}
	}
	if _, ok := Gain("swish", 0); ok {
		t.Error("Gain accepted an unknown nonlinearity")
	}
	for _, name := range append(InitNames(), "constant:0.25", "xavier", "he", "lecun") {
		init, ok := InitByName[float32](name)
		if !ok {
			t.Errorf("InitByName(%q) failed", name)
			continue
		}
		w := make([]float32, 12)
		init(rand.New(rand.NewPCG(5, 6)), w, 4, 3)
		if name == "constant:0.25" && w[7] != 0.25 {
			t.Errorf("constant:0.25 gave %v", w)
		}
	}
	for _, bad := range []string{"", "gaussian", "constant:", "constant:x", "constant:NaN"} {
		if _, ok := InitByName[float32](bad); ok {
			t.Errorf("InitByName(%q) succeeded", bad)
		}
	}
}

func TestCNNShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	x := randTensor[float32](rng, 1, 0, 3, 1, 28, 28)
	for _, norm := range Norms() {
		m := CNN(rng, []int{1, 28, 28}, 10, ModelConfig[float32]{Norm: norm, Dropout: 0.5})
		ps := NewParams[float32](m)
		if norm == NormNone && ps.Len() != 832+51264+131200+1290 {
			t.Errorf("%d parameters, want 184586", ps.Len())
		}
		tp := autograd.NewTape[float32]()
		y := m.Forward(tp, tp.Const(x))
		if !tensor.SameShape(y.Shape(), []int{3, 10}) {
			t.Errorf("%s: output shape %v", norm, y.Shape())
		}
	}
	if _, err := ParseNorm("batchnorm"); err == nil || !strings.Contains(err.Error(), "batch, renorm") {
		t.Errorf("ParseNorm error %v", err)
	}
}

func TestSaveStateRestoresRunningStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(39, 40))
	bn := NewBatchRenorm[float32](3, RenormSchedule{RMax: 2, DMax: 1})
	m := NewSequential[float32](NewWeightNorm[float32](NewConv2D(rng, Conv2DConfig{In: 1, Out: 3, Kernel: [2]int{3, 3}}, HeNormal[float32])), bn)
	st := SaveState[float32](m)
	tp := autograd.NewTape[float32]()
	m.Forward(tp, tp.Const(randTensor[float32](rng, 1, 1, 4, 1, 5, 5)))
	if bn.BatchesTracked != 1 || bn.RunningMean.Data[0] == 0 {
		t.Fatal("no update")
	}
	st.Restore()
	if bn.BatchesTracked != 0 || bn.RunningMean.Data[0] != 0 || bn.RunningVar.Data[2] != 1 {
		t.Fatalf("restored %d steps, mean %v, var %v", bn.BatchesTracked, bn.RunningMean.Data, bn.RunningVar.Data)
	}
}
