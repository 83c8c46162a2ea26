package sparse

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
)

// dense returns m as a dense row-major matrix.
func dense(m *CSR) [][]float64 {
	out := make([][]float64, m.Rows)
	for i := range out {
		out[i] = make([]float64, m.Cols)
		idx, val := m.Row(i)
		for k, j := range idx {
			out[i][j] = float64(val[k])
		}
	}
	return out
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		m    CSR
	}{
		{"short row pointers", CSR{Rows: 2, Cols: 2, RowPtr: []int{0, 1}, ColIdx: []int32{0}, Val: []float32{1}}},
		{"first pointer", CSR{Rows: 1, Cols: 2, RowPtr: []int{1, 1}, ColIdx: []int32{0}, Val: []float32{1}}},
		{"last pointer", CSR{Rows: 1, Cols: 2, RowPtr: []int{0, 2}, ColIdx: []int32{0}, Val: []float32{1}}},
		{"values", CSR{Rows: 1, Cols: 2, RowPtr: []int{0, 1}, ColIdx: []int32{0}, Val: []float32{1, 2}}},
		{"decreasing pointers", CSR{Rows: 2, Cols: 2, RowPtr: []int{0, 2, 1}, ColIdx: []int32{0}, Val: []float32{1}}},
		{"unsorted columns", CSR{Rows: 1, Cols: 3, RowPtr: []int{0, 2}, ColIdx: []int32{2, 1}, Val: []float32{1, 2}}},
		{"column out of range", CSR{Rows: 1, Cols: 2, RowPtr: []int{0, 1}, ColIdx: []int32{2}, Val: []float32{1}}},
		{"negative shape", CSR{Rows: -1, Cols: 2, RowPtr: []int{0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.m.Validate(); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := NewCSR(2, 3, []int{0, 2, 3}, []int32{0, 2, 1}, []float32{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
}

func TestKernelsMatchDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	d := randomData(rng, 57, 23)
	m := d.X
	w := make([]float64, m.Cols)
	for j := range w {
		w[j] = rng.NormFloat64()
	}
	ref := dense(m)
	y := make([]float64, m.Rows)
	m.MulVec(y, w)
	for i, row := range ref {
		var s float64
		for j, v := range row {
			s += v * w[j]
		}
		idx, val := m.Row(i)
		if math.Abs(y[i]-s) > 1e-9*(1+math.Abs(s)) || math.Abs(Dot(w, idx, val)-s) > 1e-9*(1+math.Abs(s)) {
			t.Fatalf("row %d: MulVec %v, Dot %v, want %v", i, y[i], Dot(w, idx, val), s)
		}
		// A shorter w counts the missing features as zero.
		var short float64
		for j, v := range row[:10] {
			short += v * w[j]
		}
		if got := DotMasked(w[:10], idx, val); math.Abs(got-short) > 1e-9*(1+math.Abs(short)) {
			t.Fatalf("row %d: DotMasked %v, want %v", i, got, short)
		}
		z := append([]float64(nil), w...)
		Axpy(z, 0.5, idx, val)
		for j := range z {
			if want := w[j] + 0.5*row[j]; math.Abs(z[j]-want) > 1e-12*(1+math.Abs(want)) {
				t.Fatalf("row %d: Axpy[%d] = %v, want %v", i, j, z[j], want)
			}
		}
	}

	sel := m.SelectRows([]int{5, 0, 5, 56})
	if err := sel.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := dense(sel); !reflect.DeepEqual(got, [][]float64{ref[5], ref[0], ref[5], ref[56]}) {
		t.Fatal("SelectRows picked the wrong rows")
	}

	counts := m.ColCounts()
	for j := range m.Cols {
		n := 0
		for i := range ref {
			if ref[i][j] != 0 || hasEntry(m, i, j) {
				n++
			}
		}
		if counts[j] != n {
			t.Fatalf("ColCounts[%d] = %d, want %d", j, counts[j], n)
		}
	}

	c := m.Clone()
	c.NormalizeRows()
	for i, n := range c.RowNorms() {
		if want := m.RowNorms()[i]; want != 0 && math.Abs(n-1) > 1e-6 || want == 0 && n != 0 {
			t.Fatalf("row %d has norm %v after NormalizeRows", i, n)
		}
	}
	c = m.Clone()
	c.DropZeros()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, v := range c.Val {
		if v == 0 {
			t.Fatal("DropZeros left a zero")
		}
	}
	if !reflect.DeepEqual(dense(c), ref) {
		t.Fatal("DropZeros changed the matrix")
	}
}

func hasEntry(m *CSR, i, j int) bool {
	idx, _ := m.Row(i)
	for _, k := range idx {
		if int(k) == j {
			return true
		}
	}
	return false
}

func TestTFIDF(t *testing.T) {
	// Three documents over four words; word 3 is in no document.
	m := mustCSR(t, 3, 4, []int{0, 2, 3, 5}, []int32{0, 1, 0, 0, 2}, []float32{2, 1, 1, 1, 3})
	tf := FitTFIDF(m, TFIDFOptions{Sublinear: true, Normalize: true})
	wantIDF := []float64{0, math.Log(3), math.Log(3), 0}
	for j := range wantIDF {
		if math.Abs(tf.IDF[j]-wantIDF[j]) > 1e-15 {
			t.Fatalf("IDF = %v, want %v", tf.IDF, wantIDF)
		}
	}
	test := mustCSR(t, 1, 5, []int{0, 3}, []int32{1, 2, 4}, []float32{math.E, 1, 7}) // word 4 unseen in training
	if err := tf.Transform(test); err != nil {
		t.Fatal(err)
	}
	// tf-idf (2·ln3, ln3, 0), normalized.
	want := []float32{float32(2 / math.Sqrt(5)), float32(1 / math.Sqrt(5)), 0}
	for k, v := range test.Val {
		if math.Abs(float64(v-want[k])) > 1e-7 {
			t.Fatalf("transformed values %v, want %v", test.Val, want)
		}
	}
	smooth := FitTFIDF(m, TFIDFOptions{Smooth: true})
	if got, want := smooth.IDF[3], math.Log(4)+1; math.Abs(got-want) > 1e-15 {
		t.Fatalf("smooth idf of an unseen word = %v, want %v", got, want)
	}
	neg := mustCSR(t, 1, 1, []int{0, 1}, []int32{0}, []float32{-1})
	if err := tf.Transform(neg); err == nil {
		t.Fatal("sublinear TF-IDF accepted a negative count")
	}
}

func TestGenerateRCV1Like(t *testing.T) {
	o := GenOptions{Rows: 3000, TestRows: 500, Cols: 5000, NNZ: 40, Seed: 9}
	prev := runtime.GOMAXPROCS(1)
	tr1, te1, err := GenerateRCV1Like(o)
	runtime.GOMAXPROCS(max(2, prev))
	defer runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	tr2, te2, err := GenerateRCV1Like(o)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tr1, tr2) || !reflect.DeepEqual(te1, te2) {
		t.Fatal("the same options gave different data on 1 and 2 cores")
	}
	o.Seed = 10
	if tr3, _, _ := GenerateRCV1Like(o); reflect.DeepEqual(tr3.Y, tr1.Y) {
		t.Fatal("another seed gave the same labels")
	}
	for _, d := range []*Data{tr1, te1} {
		if err := d.X.Validate(); err != nil {
			t.Fatal(err)
		}
		if perRow := float64(d.X.NNZ()) / float64(d.X.Rows); perRow < 36 || perRow > 44 {
			t.Errorf("%.1f nonzeros per row, want about 40", perRow)
		}
		pos := 0
		for _, y := range d.Y {
			if y != 1 && y != -1 {
				t.Fatalf("label %v, want ±1", y)
			}
			if y == 1 {
				pos++
			}
		}
		if f := float64(pos) / float64(len(d.Y)); f < 0.4 || f > 0.55 {
			t.Errorf("positive fraction %.3f, want about 0.47", f)
		}
		for i, n := range d.X.RowNorms() {
			if n != 0 && math.Abs(n-1) > 1e-6 {
				t.Fatalf("row %d has norm %v, want 1", i, n)
			}
		}
	}
	// Zipf: the most frequent word is in far more documents than the median one.
	df := tr1.X.ColCounts()
	top := 0
	for _, c := range df {
		top = max(top, c)
	}
	if top < tr1.X.Rows/4 {
		t.Errorf("the most frequent word is in %d of %d documents; want a Zipf head", top, tr1.X.Rows)
	}
}

func TestGenerateRejectsBadOptions(t *testing.T) {
	for _, o := range []GenOptions{
		{Rows: -1}, {Cols: 1}, {NNZ: 100, Cols: 50}, {Noise: 0.5}, {Positive: 1}, {Zipf: -1}, {TestRows: -2},
		{Informative: 2}, {InformativeTop: -1}, {LengthSpread: -1},
	} {
		if o.Rows == 0 {
			o.Rows = 10
		}
		if _, _, err := GenerateRCV1Like(o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}
