package data

import (
	"slices"
	"testing"
)

// epoch runs one epoch and returns the batch sizes and the visiting order,
// checking each batch's features and labels against the dataset.
func epoch(t *testing.T, l *Loader, ds Dataset) (sizes, order []int) {
	t.Helper()
	f := Features(ds)
	for b := range l.Epoch() {
		if len(b.Index) != b.Size || len(b.Y) != b.Size || len(b.X) != b.Size*f {
			t.Fatalf("batch of Size %d has %d indices, %d labels, %d features", b.Size, len(b.Index), len(b.Y), len(b.X))
		}
		for j, i := range b.Index {
			x, y := ds.Example(i)
			if !slices.Equal(b.X[j*f:(j+1)*f], x) || b.Y[j] != y {
				t.Fatalf("batch row %d does not hold example %d", j, i)
			}
		}
		sizes = append(sizes, b.Size)
		order = append(order, b.Index...)
	}
	return sizes, order
}

func TestLoaderCoversEachIndexOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n, bs     int
		opts      LoaderOptions
		wantSizes []int
		width     int // the examples' features: 2 when 0 (seqDense)
	}{
		{"even", 12, 4, LoaderOptions{Shuffle: true}, []int{4, 4, 4}, 0},
		{"keep last", 10, 4, LoaderOptions{Shuffle: true}, []int{4, 4, 2}, 0},
		{"drop last", 10, 4, LoaderOptions{Shuffle: true, DropLast: true}, []int{4, 4}, 0},
		{"drop last even", 12, 4, LoaderOptions{DropLast: true}, []int{4, 4, 4}, 0},
		{"batch larger than set", 3, 8, LoaderOptions{Shuffle: true}, []int{3}, 0},
		{"batch larger than set, drop", 3, 8, LoaderOptions{DropLast: true}, nil, 0},
		{"batch of one", 5, 1, LoaderOptions{Shuffle: true}, []int{1, 1, 1, 1, 1}, 0},
		{"empty", 0, 4, LoaderOptions{Shuffle: true}, nil, 0},
		{"ordered", 7, 3, LoaderOptions{}, []int{3, 3, 1}, 0},
		// Batches of at least fillParallel values are copied on all cores.
		{"wide, copied in parallel", 50, 20, LoaderOptions{Shuffle: true}, []int{20, 20, 10}, 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := seqDense(t, tc.n, 3)
			if tc.width > 0 {
				ds = wideDense(t, tc.n, tc.width)
			}
			l, err := NewLoader(ds, tc.bs, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if l.Batches() != len(tc.wantSizes) || l.BatchSize() != tc.bs {
				t.Errorf("Batches() = %d, BatchSize() = %d; want %d, %d", l.Batches(), l.BatchSize(), len(tc.wantSizes), tc.bs)
			}
			for e := range 3 {
				sizes, order := epoch(t, l, ds)
				if !slices.Equal(sizes, tc.wantSizes) {
					t.Fatalf("epoch %d: batch sizes %v, want %v", e, sizes, tc.wantSizes)
				}
				seen := make([]int, tc.n)
				for _, i := range order {
					seen[i]++
				}
				for i, c := range seen {
					if c > 1 {
						t.Fatalf("epoch %d: index %d seen %d times", e, i, c)
					}
				}
				if !tc.opts.DropLast && len(order) != tc.n {
					t.Fatalf("epoch %d: %d of %d examples seen", e, len(order), tc.n)
				}
				if !tc.opts.Shuffle {
					for k, i := range order {
						if i != k {
							t.Fatalf("unshuffled epoch visits %v", order)
						}
					}
				}
			}
		})
	}
}

func orders(t *testing.T, ds Dataset, seed uint64, epochs int) [][]int {
	l, err := NewLoader(ds, 7, LoaderOptions{Shuffle: true, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]int
	for range epochs {
		_, o := epoch(t, l, ds)
		out = append(out, o)
	}
	return out
}

func TestLoaderPermutations(t *testing.T) {
	ds := seqDense(t, 100, 10)
	a := orders(t, ds, 42, 4)
	b := orders(t, ds, 42, 4)
	c := orders(t, ds, 43, 4)
	for e := range a {
		if !slices.Equal(a[e], b[e]) {
			t.Errorf("epoch %d differs between loaders with the same seed", e)
		}
		if slices.Equal(a[e], c[e]) {
			t.Errorf("epoch %d is the same for seeds 42 and 43", e)
		}
		if slices.IsSorted(a[e]) {
			t.Errorf("epoch %d is not shuffled", e)
		}
		for f := range e {
			if slices.Equal(a[e], a[f]) {
				t.Errorf("epochs %d and %d have the same order", f, e)
			}
		}
	}
}

func TestLoaderEarlyBreak(t *testing.T) {
	ds := seqDense(t, 20, 2)
	l, _ := NewLoader(ds, 3, LoaderOptions{Shuffle: true, Seed: 1})
	n := 0
	for range l.Epoch() {
		if n++; n == 2 {
			break
		}
	}
	// The next epoch starts afresh and is complete.
	if _, order := epoch(t, l, ds); len(order) != 20 {
		t.Errorf("epoch after a break saw %d examples", len(order))
	}
}

func TestLoaderOverSubset(t *testing.T) {
	ds := seqDense(t, 30, 5)
	_, sub := Split(ds, 10)
	l, err := NewLoader(sub, 4, LoaderOptions{Shuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, order := epoch(t, l, sub); len(order) != 20 {
		t.Errorf("saw %d examples, want 20", len(order))
	}
}

func TestNewLoaderErrors(t *testing.T) {
	ds := seqDense(t, 5, 2)
	for _, bs := range []int{0, -1} {
		if _, err := NewLoader(ds, bs, LoaderOptions{}); err == nil {
			t.Errorf("batch size %d: no error", bs)
		}
	}
	if _, err := NewLoader(nil, 4, LoaderOptions{}); err == nil {
		t.Error("nil dataset: no error")
	}
}

func TestLoaderNoAllocsPerBatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		ds   Dataset
	}{
		{"dense", seqDense(t, 1000, 10)},
		{"subset", Subset(seqDense(t, 2000, 10), func() []int {
			idx := make([]int, 1000)
			for i := range idx {
				idx[i] = 2*i + 1
			}
			return idx
		}())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLoader(tc.ds, 10, LoaderOptions{Shuffle: true, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			batches := 0
			sum := float32(0)
			allocs := testing.AllocsPerRun(5, func() {
				for b := range l.Epoch() {
					batches++
					sum += b.X[0]
				}
			})
			t.Logf("%.1f allocations per epoch of 100 batches", allocs)
			// 100 batches per epoch; the iterator itself may cost a constant
			// few allocations per epoch, never one per batch.
			if allocs > 2 {
				t.Errorf("%.1f allocations per epoch of 100 batches, want at most 2", allocs)
			}
			if batches != 600 { // AllocsPerRun adds a warm-up run
				t.Errorf("%d batches", batches)
			}
		})
	}
}

func BenchmarkLoaderEpochMNISTSize(b *testing.B) {
	n, f := 60000, 784
	ds, err := NewDense(make([]float32, n*f), make([]int, n), []int{1, 28, 28}, 10)
	if err != nil {
		b.Fatal(err)
	}
	l, err := NewLoader(ds, 128, LoaderOptions{Shuffle: true})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(n * f * 4))
	b.ReportAllocs()
	for b.Loop() {
		for range l.Epoch() {
		}
	}
}

// wideDense returns n examples of width features, example i holding
// i·width, i·width+1, …, with label i%3.
func wideDense(t testing.TB, n, width int) *Dense {
	t.Helper()
	x, y := make([]float32, n*width), make([]int, n)
	for i := range x {
		x[i] = float32(i)
	}
	for i := range y {
		y[i] = i % 3
	}
	d, err := NewDense(x, y, []int{width}, 3)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
