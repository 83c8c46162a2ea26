package tensor

import (
	"math"
	"strings"
	"testing"
)

func TestBroadcastShape(t *testing.T) {
	tests := []struct {
		a, b, want []int
		ok         bool
	}{
		{[]int{2, 3}, []int{2, 3}, []int{2, 3}, true},
		{[]int{2, 3}, []int{3}, []int{2, 3}, true},
		{[]int{2, 1, 4}, []int{3, 1}, []int{2, 3, 4}, true},
		{[]int{}, []int{5}, []int{5}, true},
		{[]int{2, 3}, []int{2}, nil, false},
	}
	for _, tc := range tests {
		got, err := BroadcastShape(tc.a, tc.b)
		if (err == nil) != tc.ok || (tc.ok && !SameShape(got, tc.want)) {
			t.Errorf("BroadcastShape(%v, %v) = %v, %v; want %v", tc.a, tc.b, got, err, tc.want)
		}
		if err != nil && (!strings.Contains(err.Error(), "[2 3]") || !strings.Contains(err.Error(), "[2]")) {
			t.Errorf("error %q should name both shapes", err)
		}
	}
}

// naiveBinary computes a op b by explicit multi-index broadcasting.
func naiveBinary(op binop, a, b *Tensor[float64]) *Tensor[float64] {
	out, _ := BroadcastShape(a.Shape, b.Shape)
	dst := New[float64](out...)
	idx := make([]int, len(out))
	at := func(t *Tensor[float64]) float64 {
		off := 0
		for i, d := range t.Shape {
			k := idx[len(out)-len(t.Shape)+i]
			if d == 1 {
				k = 0
			}
			off = off*d + k
		}
		return t.Data[off]
	}
	for o := range dst.Data {
		r := o
		for d := len(out) - 1; d >= 0; d-- {
			idx[d] = r % out[d]
			r /= out[d]
		}
		dst.Data[o] = apply(op, at(a), at(b))
	}
	return dst
}

func seq(shape ...int) *Tensor[float64] {
	t := New[float64](shape...)
	for i := range t.Data {
		t.Data[i] = float64(i%7) - 2.5
	}
	return t
}

func TestBinaryBroadcastMatchesNaive(t *testing.T) {
	pairs := [][2][]int{
		{{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{3, 4}, {1, 4}}, {{3, 4}, {3, 1}},
		{{2, 3, 4}, {3, 1}}, {{2, 1, 4}, {1, 3, 1}}, {{5}, {}}, {{}, {5}}, {{1}, {2, 2}},
		{{300, 200}, {200}}, {{300, 200}, {300, 200}},
	}
	for _, p := range pairs {
		for op := opAdd; op <= opDiv; op++ {
			a, b := seq(p[0]...), seq(p[1]...)
			for i := range b.Data {
				b.Data[i] += 0.25 // keep Div finite
			}
			want := naiveBinary(op, a, b)
			got := New[float64](want.Shape...)
			binary(op, got, a, b)
			for i := range got.Data {
				if got.Data[i] != want.Data[i] {
					t.Fatalf("%v %v %v: element %d = %v, want %v", p[0], op, p[1], i, got.Data[i], want.Data[i])
				}
			}
		}
	}
}

func TestSumToInvertsBroadcast(t *testing.T) {
	src := seq(2, 3, 4)
	tests := [][]int{{4}, {3, 1}, {1, 3, 4}, {2, 1, 1}, {}, {2, 3, 4}}
	for _, shape := range tests {
		dst := New[float64](shape...)
		SumTo(dst, src)
		// Reference: every source element adds to the destination element
		// it broadcasts from.
		want := New[float64](shape...)
		for o := range src.Data {
			idx := []int{o / 12, o / 4 % 3, o % 4}
			off := 0
			for i, d := range shape {
				k := idx[3-len(shape)+i]
				if d == 1 {
					k = 0
				}
				off = off*d + k
			}
			want.Data[off] += src.Data[o]
		}
		for i := range want.Data {
			if math.Abs(dst.Data[i]-want.Data[i]) > 1e-12 {
				t.Fatalf("SumTo %v: %v, want %v", shape, dst.Data, want.Data)
			}
		}
	}
}

func TestReductions(t *testing.T) {
	a := FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	s0, s1 := New[float64](1, 3), New[float64](2, 1)
	SumAxis(s0, a, 0)
	SumAxis(s1, a, -1)
	if s0.Data[0] != 5 || s0.Data[2] != 9 || s1.Data[0] != 6 || s1.Data[1] != 15 {
		t.Fatalf("SumAxis: %v %v", s0.Data, s1.Data)
	}
	m := New[float64](2)
	MaxAxis(m, a, 1)
	if m.Data[0] != 3 || m.Data[1] != 6 {
		t.Fatalf("MaxAxis: %v", m.Data)
	}
	idx := make([]int, 2)
	ArgMaxRows(idx, FromSlice([]float64{1, 9, 9, 4, 2, 0}, 2, 3))
	if idx[0] != 1 || idx[1] != 0 {
		t.Fatalf("ArgMaxRows: %v", idx)
	}
	if Sum(a) != 21 {
		t.Fatalf("Sum = %v", Sum(a))
	}
}

func TestSoftmaxIsStable(t *testing.T) {
	a := FromSlice([]float32{1000, 1001, 1002, -1000, 0, 1000}, 2, 3)
	s, l := New[float32](2, 3), New[float32](2, 3)
	Softmax(s, a)
	LogSoftmax(l, a)
	want := []float64{0.09003057, 0.24472847, 0.66524096}
	for i, w := range want {
		if math.Abs(float64(s.Data[i])-w) > 1e-6 || math.Abs(float64(l.Data[i])-math.Log(w)) > 1e-5 {
			t.Fatalf("row 0: softmax %v log-softmax %v", s.Data[:3], l.Data[:3])
		}
	}
	for _, v := range append(s.Data, l.Data...) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) && v > 0 {
			t.Fatalf("non-finite output: %v %v", s.Data, l.Data)
		}
	}
	if math.Abs(float64(s.Data[5])-1) > 1e-6 || s.Data[3] != 0 {
		t.Fatalf("row 1 softmax %v", s.Data[3:])
	}
}

func TestGatherAndPanics(t *testing.T) {
	a := FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	dst := make([]float64, 2)
	Gather(dst, a, []int{2, 0})
	if dst[0] != 3 || dst[1] != 4 {
		t.Fatalf("Gather = %v", dst)
	}
	mustPanic(t, "outside [0, 3)", func() { Gather(dst, a, []int{3, 0}) })
	mustPanic(t, "[2 3]", func() { MatMul(New[float64](2, 2), a, a, false, false) })
	mustPanic(t, "[4]", func() { Add(New[float64](2, 3), a, New[float64](4)) })
	mustPanic(t, "[5]", func() { a.Reshape(5) })
}

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		msg, _ := r.(string)
		if r == nil || !strings.Contains(msg, want) {
			t.Errorf("panic %v, want one mentioning %q", r, want)
		}
	}()
	f()
}

func TestMatMulTransposes(t *testing.T) {
	a := FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3) // 2×3
	b := FromSlice([]float64{1, 0, 2, 1, 0, 3}, 3, 2) // 3×2
	want := []float64{1 + 4 + 0, 0 + 2 + 9, 4 + 10 + 0, 0 + 5 + 18}
	for _, tc := range []struct {
		a, b   *Tensor[float64]
		ta, tb bool
	}{
		{a, b, false, false},
		{transpose(a), b, true, false},
		{a, transpose(b), false, true},
		{transpose(a), transpose(b), true, true},
	} {
		c := New[float64](2, 2)
		MatMul(c, tc.a, tc.b, tc.ta, tc.tb)
		for i := range want {
			if c.Data[i] != want[i] {
				t.Fatalf("transA=%v transB=%v: %v, want %v", tc.ta, tc.tb, c.Data, want)
			}
		}
	}
}

func transpose(a *Tensor[float64]) *Tensor[float64] {
	r, c := a.Shape[0], a.Shape[1]
	t := New[float64](c, r)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			t.Data[j*r+i] = a.Data[i*c+j]
		}
	}
	return t
}

func TestActivations(t *testing.T) {
	a := FromSlice([]float64{-800, -1, 0, 1, 800}, 5)
	d := New[float64](5)
	Sigmoid(d, a)
	if d.Data[0] != 0 || d.Data[2] != 0.5 || d.Data[4] != 1 || math.Abs(d.Data[3]-0.7310585786300049) > 1e-15 {
		t.Fatalf("Sigmoid = %v", d.Data)
	}
	Softplus(d, a)
	if d.Data[0] != 0 || d.Data[4] != 800 || math.Abs(d.Data[2]-math.Ln2) > 1e-15 {
		t.Fatalf("Softplus = %v", d.Data)
	}
	ReLU(d, a)
	if d.Data[1] != 0 || d.Data[3] != 1 {
		t.Fatalf("ReLU = %v", d.Data)
	}
}

// TestFloat32KernelsMatchFloat64 checks the float32 LogSoftmax, Softmax,
// Tanh, Log and Softplus, which go through the vector kernels, against
// float64 on rows of odd lengths (the kernels' tails).
func TestFloat32KernelsMatchFloat64(t *testing.T) {
	for _, shape := range [][2]int{{3, 1}, {4, 7}, {5, 10}, {2, 17}, {3, 1000}, {1, 1027}} {
		rows, cols := shape[0], shape[1]
		a32, a64 := New[float32](rows, cols), New[float64](rows, cols)
		for i := range a32.Data {
			v := float32(math.Sin(float64(i)*1.7)*4 + float64(i%3)*10)
			a32.Data[i], a64.Data[i] = v, float64(v)
		}
		d32, d64 := New[float32](rows, cols), New[float64](rows, cols)
		LogSoftmax(d32, a32)
		LogSoftmax(d64, a64)
		for i, w := range d64.Data {
			if math.Abs(float64(d32.Data[i])-w) > 1e-6*(1+math.Abs(w)) {
				t.Fatalf("%d×%d: LogSoftmax element %d: float32 %g, float64 %g", rows, cols, i, d32.Data[i], w)
			}
		}
		Tanh(d32, a32)
		Tanh(d64, a64)
		for i, w := range d64.Data {
			if math.Abs(float64(d32.Data[i])-w) > 1.5e-7*math.Abs(w) {
				t.Fatalf("%d×%d: Tanh element %d: float32 %g, float64 %g", rows, cols, i, d32.Data[i], w)
			}
		}
		// The kernels' bounds: Softmax within a relative 2⁻²² of the
		// exact result; Softplus and Log within 2 and 1 ulp of it rounded,
		// 2.5 and 1.5 ulp of it, an ulp being at most 2⁻²³ relatively.
		Softmax(d32, a32)
		Softmax(d64, a64)
		for i, w := range d64.Data {
			if math.Abs(float64(d32.Data[i])-w) > 0x1p-22*w {
				t.Fatalf("%d×%d: Softmax element %d: float32 %g, float64 %g", rows, cols, i, d32.Data[i], w)
			}
		}
		Softplus(d32, a32)
		Softplus(d64, a64)
		for i, w := range d64.Data {
			if math.Abs(float64(d32.Data[i])-w) > 2.5*0x1p-23*w {
				t.Fatalf("%d×%d: Softplus element %d: float32 %g, float64 %g", rows, cols, i, d32.Data[i], w)
			}
		}
		for i, v := range a32.Data {
			a32.Data[i] = v*v + 1e-3 // positive, for Log
			a64.Data[i] = float64(a32.Data[i])
		}
		Log(d32, a32)
		Log(d64, a64)
		for i, w := range d64.Data {
			if math.Abs(float64(d32.Data[i])-w) > 1.5*0x1p-23*math.Abs(w) {
				t.Fatalf("%d×%d: Log element %d: float32 %g, float64 %g", rows, cols, i, d32.Data[i], w)
			}
		}
	}
}
