package tensor

import (
	"testing"
)

// TestKernelsAllocateNothing checks that the kernels a training step calls
// allocate nothing: their parallel bodies come from recycled jobs, and
// their shape bookkeeping stays on the stack.
func TestKernelsAllocateNothing(t *testing.T) {
	a, b, d := seq(64, 600), seq(64, 600), New[float64](64, 600)
	row, col := seq(600), seq(64, 1)
	a3, d3, mid := seq(4, 6, 8), New[float64](4, 6, 8), seq(6, 1)
	red, red3 := New[float64](1, 600), New[float64](4, 1, 8)
	pos := seq(64, 600)
	for i := range pos.Data {
		pos.Data[i] = 1 + pos.Data[i]*pos.Data[i]
	}
	square := func(v float64) float64 { return v * v }
	var view Tensor[float64]
	var shape [4]int
	idx := make([]int, 64)
	gathered := make([]float64, 64)
	w, mm := seq(600, 32), New[float64](64, 32)
	tests := []struct {
		name string
		f    func()
	}{
		{"Add", func() { Add(d, a, b) }},
		{"Sub/row", func() { Sub(d, a, row) }},
		{"Mul/column", func() { Mul(d, a, col) }},
		{"Div/general", func() { Div(d3, a3, mid) }},
		{"SumTo/suffix", func() { SumTo(red, a) }},
		{"SumTo/general", func() { SumTo(red3, a3) }},
		{"Scale", func() { Scale(d, a, 2) }},
		{"Map", func() { Map(d, a, square) }},
		{"ReLU", func() { ReLU(d, a) }},
		{"Sigmoid", func() { Sigmoid(d, a) }},
		{"Tanh", func() { Tanh(d, a) }},
		{"Exp", func() { Exp(d, a) }},
		{"Log", func() { Log(d, pos) }},
		{"Softplus", func() { Softplus(d, a) }},
		{"SumAxis", func() { SumAxis(red3, a3, 1) }},
		{"MaxAxis", func() { MaxAxis(red3, a3, 1) }},
		{"Softmax", func() { Softmax(d, a) }},
		{"LogSoftmax", func() { LogSoftmax(d, a) }},
		{"ArgMaxRows/Gather", func() { ArgMaxRows(idx, a); Gather(gathered, a, idx) }},
		{"MatMul", func() { MatMul(mm, a, w, false, false) }},
		{"ReshapeInto", func() { view.Shape = shape[:0]; a3.ReshapeInto(&view, -1, 8) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.f()
			if n := testing.AllocsPerRun(10, tc.f); n != 0 {
				t.Errorf("%v allocations per call, want 0", n)
			}
		})
	}
	if view.Dims() != 2 || view.Dim(0) != 24 || &view.Data[0] != &a3.Data[0] {
		t.Errorf("ReshapeInto gave shape %v (want [24 8]) or copied the data", view.Shape)
	}
}
