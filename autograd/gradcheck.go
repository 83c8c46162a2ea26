package autograd

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/tensor"
)

// GradCheck compares the gradients that Backward computes for the scalar
// function f of the given inputs against central finite differences
//
//	∂f/∂xₖ ≈ (f(x + h·eₖ) − f(x − h·eₖ)) / 2h,
//
// in float64. It returns, for each input, the relative error
// ‖g_backprop − g_numeric‖₂ / max(‖g_backprop‖₂, ‖g_numeric‖₂, 1e-300).
// f builds its computation on the tape it is given from the variables it is
// given (one per input, in order). The inputs are restored before GradCheck
// returns.
func GradCheck(f func(tp *Tape[float64], x []*Var[float64]) *Var[float64], inputs []*tensor.Tensor[float64], h float64) ([]float64, error) {
	tp := NewTape[float64]()
	vars := make([]*Var[float64], len(inputs))
	for i, in := range inputs {
		vars[i] = tp.Leaf(in)
	}
	z := f(tp, vars)
	if len(z.Value.Data) != 1 {
		return nil, fmt.Errorf("gradcheck: f returned shape %v, want a scalar", z.Value.Shape)
	}
	tp.Backward(z)
	eval := func() float64 {
		t := NewTape[float64]()
		t.SetInference(true)
		xs := make([]*Var[float64], len(inputs))
		for i, in := range inputs {
			xs[i] = t.Const(in)
		}
		return f(t, xs).Value.Data[0]
	}
	errs := make([]float64, len(inputs))
	for i, in := range inputs {
		var diff, na, nn float64
		for k := range in.Data {
			old := in.Data[k]
			in.Data[k] = old + h
			fp := eval()
			in.Data[k] = old - h
			fm := eval()
			in.Data[k] = old
			num := (fp - fm) / (2 * h)
			got := vars[i].Grad.Data[k]
			if math.IsNaN(got) || math.IsNaN(num) {
				return nil, fmt.Errorf("gradcheck: input %d element %d: backprop %v, numeric %v", i, k, got, num)
			}
			diff += (got - num) * (got - num)
			na += got * got
			nn += num * num
		}
		errs[i] = math.Sqrt(diff) / math.Max(math.Sqrt(math.Max(na, nn)), 1e-300)
	}
	return errs, nil
}
