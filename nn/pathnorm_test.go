package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/tensor"
)

func TestPathScalesMatchPathEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	m := MLP(rng, []int{2, 3, 2}, ReLU[float64], XavierUniform[float64])
	ps := NewParams[float64](m)
	for i := range ps.Data {
		ps.Data[i] = rng.NormFloat64()
	}
	kfn, err := PathScales[float64](m, ps)
	if err != nil {
		t.Fatal(err)
	}
	kappa := make([]float64, ps.Len())
	kfn(ps.Data, kappa)
	W1, b1 := ps.Find("1.weight").Value, ps.Find("1.bias").Value
	W2 := ps.Find("3.weight").Value
	sq := func(x float64) float64 { return x * x }
	// Paths: input i → hidden h → output o, or bias(h) → h → o, or bias(o) → o.
	// κ of W1[h][i] = Σ_o W2[o][h]² (γ_in(i) = 1).
	for h := 0; h < 3; h++ {
		var out float64
		for o := 0; o < 2; o++ {
			out += sq(W2.At(o, h))
		}
		for i := 0; i < 2; i++ {
			if got := kappa[ps.Offsets[0]+h*2+i]; math.Abs(got-out) > 1e-12 {
				t.Errorf("κ(W1[%d][%d]) = %v, want %v", h, i, got, out)
			}
		}
		if got := kappa[ps.Offsets[1]+h]; math.Abs(got-out) > 1e-12 {
			t.Errorf("κ(b1[%d]) = %v, want %v", h, got, out)
		}
	}
	// κ of W2[o][h] = γ²_in(h) = Σ_i W1[h][i]² + b1[h]²; κ of b2 = 1.
	for o := 0; o < 2; o++ {
		for h := 0; h < 3; h++ {
			want := sq(W1.At(h, 0)) + sq(W1.At(h, 1)) + sq(b1.At(h))
			if got := kappa[ps.Offsets[2]+o*3+h]; math.Abs(got-want) > 1e-12 {
				t.Errorf("κ(W2[%d][%d]) = %v, want %v", o, h, got, want)
			}
		}
		if got := kappa[ps.Offsets[3]+o]; got != 1 {
			t.Errorf("κ(b2[%d]) = %v, want 1", o, got)
		}
	}
}

func TestPathSGDIsInvariantToUnitRescaling(t *testing.T) {
	// Two ReLU networks that compute the same function (hidden unit h's
	// incoming weights and bias scaled by α, its outgoing weights by 1/α)
	// still compute the same function after one Path-SGD step on the same
	// batch; after a plain SGD step they do not.
	rng := rand.New(rand.NewPCG(8, 1))
	build := func() (*Sequential[float64], *Params[float64]) {
		m := MLP(rand.New(rand.NewPCG(3, 3)), []int{4, 5, 3}, ReLU[float64], HeNormal[float64])
		return m, NewParams[float64](m)
	}
	x := tensor.New[float64](6, 4)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	labels := []int{0, 1, 2, 0, 1, 2}
	scale := func(ps *Params[float64]) {
		alpha := []float64{10, 0.1, 3, 1, 0.5}
		W1, b1, W2 := ps.Find("1.weight").Value, ps.Find("1.bias").Value, ps.Find("3.weight").Value
		for h, a := range alpha {
			for i := 0; i < 4; i++ {
				W1.Set(W1.At(h, i)*a, h, i)
			}
			b1.Set(b1.At(h)*a, h)
			for o := 0; o < 3; o++ {
				W2.Set(W2.At(o, h)/a, o, h)
			}
		}
	}
	outputs := func(m Module[float64]) []float64 {
		tp := autograd.NewTape[float64]()
		tp.SetInference(true)
		return append([]float64(nil), m.Forward(tp, tp.Const(x)).Value.Data...)
	}
	step := func(m *Sequential[float64], ps *Params[float64], path bool) {
		obj := &Objective[float64]{Model: m, Params: ps, Loss: SoftmaxCrossEntropy[float64]{}}
		obj.Eval(autograd.NewTape[float64](), x, labels)
		var o optim.Optimizer[float64]
		if path {
			k, err := PathScales[float64](m, ps)
			if err != nil {
				t.Fatal(err)
			}
			o, _ = optim.NewPathSGD[float64](0.1, k)
		} else {
			o, _ = optim.NewSGD[float64](0.1)
		}
		o.Step(ps.Data, ps.Grad)
	}
	for _, path := range []bool{true, false} {
		m1, p1 := build()
		m2, p2 := build()
		scale(p2)
		before1, before2 := outputs(m1), outputs(m2)
		for i := range before1 {
			if math.Abs(before1[i]-before2[i]) > 1e-12 {
				t.Fatal("rescaled network computes another function")
			}
		}
		step(m1, p1, path)
		step(m2, p2, path)
		a, b := outputs(m1), outputs(m2)
		var diff float64
		for i := range a {
			diff = math.Max(diff, math.Abs(a[i]-b[i]))
		}
		if path && diff > 1e-10 {
			t.Errorf("Path-SGD: outputs differ by %g after one step", diff)
		}
		if !path && diff < 1e-3 {
			t.Errorf("SGD: outputs differ by only %g; the test cannot tell the methods apart", diff)
		}
	}
}

func TestPathScalesRejectsOtherNetworks(t *testing.T) {
	m := MLP(rand.New(rand.NewPCG(1, 1)), []int{2, 3, 1}, Tanh[float64], XavierUniform[float64])
	if _, err := PathScales[float64](m, NewParams[float64](m)); err == nil {
		t.Fatal("tanh network accepted")
	}
}
