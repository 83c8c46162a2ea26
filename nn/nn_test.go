package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/tensor"
)

// numericGrad returns the central finite-difference gradient of E with
// respect to the flat parameter vector.
func numericGrad(o *Objective[float64], x *tensor.Tensor[float64], labels []int, h float64) []float64 {
	tp := autograd.NewTape[float64]()
	tp.SetInference(true)
	g := make([]float64, o.Params.Len())
	for i := range o.Params.Data {
		old := o.Params.Data[i]
		o.Params.Data[i] = old + h
		fp, _ := o.Eval(tp, x, labels)
		o.Params.Data[i] = old - h
		fm, _ := o.Eval(tp, x, labels)
		o.Params.Data[i] = old
		g[i] = (fp - fm) / (2 * h)
	}
	return g
}

func relErr(a, b []float64) float64 {
	var d, na, nb float64
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	return math.Sqrt(d) / math.Max(math.Sqrt(math.Max(na, nb)), 1e-300)
}

func TestObjectiveGradCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const batch, in, classes = 5, 4, 3
	x := tensor.New[float64](batch, in)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	labels := []int{0, 2, 1, 1, 0}
	binary := []int{1, 0, 0, 1, 1}
	tests := []struct {
		name   string
		model  Module[float64]
		loss   Loss[float64]
		labels []int
		lambda float64
		skip   bool
	}{
		{"logreg/softmax", MLP(rng, []int{in, classes}, ReLU[float64], XavierUniform[float64]), SoftmaxCrossEntropy[float64]{}, labels, 0, false},
		{"mlp-relu/softmax/l2", MLP(rng, []int{in, 6, 5, classes}, ReLU[float64], HeNormal[float64]), SoftmaxCrossEntropy[float64]{}, labels, 0.01, false},
		{"mlp-sigmoid/softmax/l2-skip-bias", MLP(rng, []int{in, 6, classes}, Sigmoid[float64], XavierUniform[float64]), SoftmaxCrossEntropy[float64]{}, labels, 0.05, true},
		{"mlp-tanh/mse", MLP(rng, []int{in, 6, classes}, Tanh[float64], XavierNormal[float64]), &MSE[float64]{}, labels, 0, false},
		{"binary-logistic/l2", MLP(rng, []int{in, 1}, ReLU[float64], XavierUniform[float64]), &Logistic[float64]{}, binary, 0.1, false},
		{"binary-logistic-mlp", MLP(rng, []int{in, 3, 1}, Tanh[float64], HeUniform[float64]), &Logistic[float64]{}, binary, 0, false},
		{"flatten", NewSequential(Flatten[float64](), NewLinear(rng, in, classes, XavierUniform[float64], false)), SoftmaxCrossEntropy[float64]{}, labels, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := NewParams(tc.model)
			// Move biases off zero so their gradients are generic.
			for i := range ps.Data {
				ps.Data[i] += 0.1 * rng.NormFloat64()
			}
			o := &Objective[float64]{Model: tc.model, Params: ps, Loss: tc.loss, Lambda: tc.lambda, SkipNoDecay: tc.skip}
			tp := autograd.NewTape[float64]()
			o.Eval(tp, x, tc.labels)
			got := append([]float64(nil), ps.Grad...)
			want := numericGrad(o, x, tc.labels, 1e-6)
			if e := relErr(got, want); e > 1e-6 {
				t.Fatalf("relative error %.3g > 1e-6\nbackprop %v\nnumeric  %v", e, got, want)
			}
		})
	}
}

func TestParamsAreViewsIntoFlatBuffers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	m := MLP(rng, []int{3, 4, 2}, ReLU[float32], HeNormal[float32])
	before := make([][]float32, 0)
	for _, p := range m.Parameters() {
		before = append(before, append([]float32(nil), p.Value.Data...))
	}
	ps := NewParams[float32](m)
	if ps.Len() != 3*4+4+4*2+2 {
		t.Fatalf("Len = %d, want %d", ps.Len(), 3*4+4+4*2+2)
	}
	names := []string{"1.weight", "1.bias", "3.weight", "3.bias"}
	for i, p := range ps.List {
		if p.Name != names[i] {
			t.Errorf("parameter %d named %q, want %q", i, p.Name, names[i])
		}
		for j, v := range before[i] {
			if p.Value.Data[j] != v {
				t.Fatalf("%s changed value when packed", p.Name)
			}
		}
	}
	ps.Data[ps.Offsets[2]] = 42
	ps.Grad[ps.Offsets[3]+1] = 7
	if m.Layers[3].(*Linear[float32]).Weight.Value.Data[0] != 42 {
		t.Error("writing the flat vector did not change the layer's weight")
	}
	if m.Layers[3].(*Linear[float32]).Bias.Grad.Data[1] != 7 {
		t.Error("writing the flat gradient did not change the layer's gradient")
	}
	if ps.Find("1.bias") == nil || !ps.Find("1.bias").NoDecay || ps.Find("1.weight").NoDecay {
		t.Error("biases should be marked NoDecay and weights not")
	}
}

func TestInitializerMoments(t *testing.T) {
	const fanIn, fanOut, n = 300, 100, 200000
	tests := []struct {
		name string
		init Init[float64]
		std  float64
	}{
		{"xavier-uniform", XavierUniform[float64], math.Sqrt(6.0/(fanIn+fanOut)) / math.Sqrt(3)},
		{"xavier-normal", XavierNormal[float64], math.Sqrt(2.0 / (fanIn + fanOut))},
		{"he-normal", HeNormal[float64], math.Sqrt(2.0 / fanIn)},
		{"he-uniform", HeUniform[float64], math.Sqrt(2.0 / fanIn)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := make([]float64, n)
			tc.init(rand.New(rand.NewPCG(9, 9)), w, fanIn, fanOut)
			var m, v float64
			for _, x := range w {
				m += x
			}
			m /= n
			for _, x := range w {
				v += (x - m) * (x - m)
			}
			std := math.Sqrt(v / n)
			if math.Abs(m) > 4*tc.std/math.Sqrt(n) || math.Abs(std/tc.std-1) > 0.01 {
				t.Fatalf("mean %.4g std %.4g, want 0 and %.4g", m, std, tc.std)
			}
			w2 := make([]float64, n)
			tc.init(rand.New(rand.NewPCG(9, 9)), w2, fanIn, fanOut)
			if w2[12345] != w[12345] {
				t.Fatal("same seed gave different weights")
			}
		})
	}
	if _, ok := InitByName[float32]("he-normal"); !ok {
		t.Error("InitByName(he-normal) not found")
	}
	if _, ok := InitByName[float32]("nope"); ok {
		t.Error("InitByName(nope) found")
	}
}

func TestLinearRejectsWrongInput(t *testing.T) {
	l := NewLinear(rand.New(rand.NewPCG(1, 1)), 4, 3, Zeros[float32], true)
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "[2 5]") || !strings.Contains(msg, "4") {
			t.Fatalf("panic %q should name the input shape [2 5] and the expected width 4", msg)
		}
	}()
	tp := autograd.NewTape[float32]()
	l.Forward(tp, tp.Const(tensor.New[float32](2, 5)))
}

func TestLogisticAcceptsZeroOneAndPlusMinusOne(t *testing.T) {
	tp := autograd.NewTape[float64]()
	s := tp.Const(tensor.FromSlice([]float64{2, -1}, 2))
	var l Logistic[float64]
	a := l.Forward(tp, s, []int{1, 0}).Value.Item()
	b := l.Forward(tp, s, []int{1, -1}).Value.Item()
	want := (math.Log1p(math.Exp(-2)) + math.Log1p(math.Exp(-1))) / 2
	if math.Abs(a-want) > 1e-12 || math.Abs(b-want) > 1e-12 {
		t.Fatalf("loss %v and %v, want %v", a, b, want)
	}
}
