package data

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestNewDense(t *testing.T) {
	for _, tc := range []struct {
		name    string
		x       []float32
		y       []int
		shape   []int
		classes int
		wantErr string
	}{
		{"ok", make([]float32, 6), []int{0, 2}, []int{3}, 3, ""},
		{"ok empty", nil, nil, []int{1, 2, 2}, 10, ""},
		{"no shape", nil, nil, nil, 3, "empty example shape"},
		{"zero dim", nil, nil, []int{2, 0}, 3, "non-positive dimension"},
		{"no classes", nil, nil, []int{1}, 0, "0 classes"},
		{"size", make([]float32, 5), []int{0, 1}, []int{3}, 3, "5 features for 2 labels"},
		{"label high", make([]float32, 6), []int{0, 3}, []int{3}, 3, "label 3 of example 1 is out of range [0,3)"},
		{"label negative", make([]float32, 3), []int{-1}, []int{3}, 3, "label -1 of example 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDense(tc.x, tc.y, tc.shape, tc.classes)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if d.Len() != len(tc.y) || d.Classes() != tc.classes || !slices.Equal(d.Shape(), tc.shape) {
					t.Fatalf("got Len %d Classes %d Shape %v", d.Len(), d.Classes(), d.Shape())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
	_, err := NewDense(make([]float32, 1), []int{5}, []int{1}, 2)
	if !errors.Is(err, ErrLabelRange) {
		t.Errorf("err = %v, want ErrLabelRange", err)
	}
}

// seqDense returns n examples of shape [2] where example i is {i, -i} with
// label i%classes.
func seqDense(t testing.TB, n, classes int) *Dense {
	t.Helper()
	x := make([]float32, 2*n)
	y := make([]int, n)
	for i := range n {
		x[2*i], x[2*i+1] = float32(i), -float32(i)
		y[i] = i % classes
	}
	d, err := NewDense(x, y, []int{2}, classes)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDenseExampleAndShapeCopy(t *testing.T) {
	d := seqDense(t, 5, 3)
	f, y := d.Example(4)
	if !slices.Equal(f, []float32{4, -4}) || y != 1 {
		t.Fatalf("Example(4) = %v, %d", f, y)
	}
	if cap(f) != 2 {
		t.Errorf("Example's view has cap %d, want 2 (no access past the example)", cap(f))
	}
	s := d.Shape()
	s[0] = 99
	if d.Shape()[0] != 2 {
		t.Error("Shape returned the internal slice")
	}
	if Features(d) != 2 {
		t.Errorf("Features = %d", Features(d))
	}
	big, _ := NewDense(make([]float32, 2*784), []int{0, 1}, []int{1, 28, 28}, 10)
	if Features(big) != 784 {
		t.Errorf("Features = %d, want 784", Features(big))
	}
}

func TestSubsetAndSplit(t *testing.T) {
	d := seqDense(t, 10, 4)
	s := Subset(d, []int{7, 2, 2})
	if s.Len() != 3 || s.Classes() != 4 || !slices.Equal(s.Shape(), []int{2}) {
		t.Fatalf("subset Len %d Classes %d Shape %v", s.Len(), s.Classes(), s.Shape())
	}
	for k, want := range []int{7, 2, 2} {
		f, y := s.Example(k)
		if f[0] != float32(want) || y != want%4 {
			t.Errorf("subset Example(%d) = %v, %d; want example %d", k, f, y, want)
		}
	}
	// A subset of a subset composes indices.
	ss := Subset(s, []int{2, 0})
	if f, _ := ss.Example(1); f[0] != 7 {
		t.Errorf("nested subset Example(1) = %v, want example 7", f)
	}
	if inner, ok := ss.(*subset); !ok || inner.ds != Dataset(d) {
		t.Error("nested subset is not flattened onto the base dataset")
	}
	// Subset copies idx.
	idx := []int{1, 2}
	s2 := Subset(d, idx)
	idx[0] = 9
	if f, _ := s2.Example(0); f[0] != 1 {
		t.Error("Subset did not copy its indices")
	}

	for _, n := range []int{0, 3, 10} {
		a, b := Split(d, n)
		if a.Len() != n || b.Len() != 10-n {
			t.Fatalf("Split(%d) lengths %d, %d", n, a.Len(), b.Len())
		}
		for i := range b.Len() {
			if f, _ := b.Example(i); f[0] != float32(n+i) {
				t.Errorf("Split(%d) rest Example(%d) = %v", n, i, f)
			}
		}
	}
	a, b := Split(s, 1)
	if f, _ := a.Example(0); f[0] != 7 {
		t.Errorf("Split of subset first = %v", f)
	}
	if f, _ := b.Example(1); f[0] != 2 {
		t.Errorf("Split of subset rest = %v", f)
	}
}

func TestSubsetSplitPanics(t *testing.T) {
	d := seqDense(t, 3, 2)
	for name, f := range map[string]func(){
		"subset high":     func() { Subset(d, []int{3}) },
		"subset negative": func() { Subset(d, []int{-1}) },
		"split high":      func() { Split(d, 4) },
		"split negative":  func() { Split(d, -1) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

func TestStandardize(t *testing.T) {
	train, _ := NewDense([]float32{0, 2, 4, 6}, []int{0, 1}, []int{2}, 2)
	test, _ := NewDense([]float32{3, 3}, []int{0}, []int{2}, 2)
	mean, std, err := Standardize(train, test)
	if err != nil {
		t.Fatal(err)
	}
	if mean != 3 || math.Abs(std-math.Sqrt(5)) > 1e-12 {
		t.Fatalf("mean %v std %v, want 3 and √5", mean, std)
	}
	var s, ss float64
	for _, v := range train.X {
		s += float64(v)
		ss += float64(v) * float64(v)
	}
	if math.Abs(s) > 1e-6 || math.Abs(ss/4-1) > 1e-6 {
		t.Fatalf("standardized train has mean %v and mean square %v", s/4, ss/4)
	}
	if test.X[0] != 0 || test.X[1] != 0 {
		t.Fatalf("test set not scaled with the training statistics: %v", test.X)
	}
	flat, _ := NewDense([]float32{1, 1}, []int{0}, []int{2}, 1)
	if _, _, err := Standardize(flat); err == nil {
		t.Fatal("constant features accepted")
	}
}
