// Package tensor holds dense, row-major N-dimensional tensors of float32 or
// float64 and the CPU kernels that work on them: matrix multiply, broadcasting
// elementwise arithmetic, reductions along an axis, softmax and log-softmax,
// and gather by label. Kernels split their work across all cores where it
// pays (see internal/parallel).
//
// Kernels write into a destination tensor that the caller provides, so a
// training step can reuse its buffers; they panic with both shapes when the
// shapes do not fit, since a shape mismatch is a programming error.
package tensor

import (
	"fmt"
	"slices"
	"strings"
)

// Float is the element type of a tensor: float32 (the training default) or
// float64 (gradient checks, small problems, full-batch methods).
type Float interface {
	~float32 | ~float64
}

// Tensor is a dense row-major array. Data holds exactly Numel(Shape) elements;
// it may alias a larger buffer (a parameter's view into a model's flat
// parameter vector, for instance).
type Tensor[T Float] struct {
	Shape []int
	Data  []T
}

// New returns a zero tensor of the given shape.
func New[T Float](shape ...int) *Tensor[T] {
	n := Numel(shape)
	return &Tensor[T]{Shape: append([]int(nil), shape...), Data: make([]T, n)}
}

// FromSlice wraps data (not copied) as a tensor of the given shape.
// It panics if len(data) does not equal the number of elements of shape.
func FromSlice[T Float](data []T, shape ...int) *Tensor[T] {
	if n := Numel(shape); n != len(data) {
		panic(fmt.Sprintf("tensor.FromSlice: %d values for shape %v (%d elements)", len(data), shape, n))
	}
	return &Tensor[T]{Shape: append([]int(nil), shape...), Data: data}
}

// Scalar returns a 0-dimensional tensor holding v.
func Scalar[T Float](v T) *Tensor[T] { return &Tensor[T]{Shape: []int{}, Data: []T{v}} }

// Numel is the number of elements of a tensor of the given shape.
// It panics on a negative dimension.
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			// The shape is copied so that it does not escape: callers
			// pass shapes built on their stacks.
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", slices.Clone(shape)))
		}
		n *= d
	}
	return n
}

// Len is the number of elements.
func (t *Tensor[T]) Len() int { return len(t.Data) }

// Dims is the number of dimensions.
func (t *Tensor[T]) Dims() int { return len(t.Shape) }

// Dim returns the size of dimension i; negative i counts from the end.
func (t *Tensor[T]) Dim(i int) int {
	if i < 0 {
		i += len(t.Shape)
	}
	return t.Shape[i]
}

// Item returns the single value of a one-element tensor.
func (t *Tensor[T]) Item() T {
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("tensor.Item: tensor of shape %v has %d elements, want 1", t.Shape, len(t.Data)))
	}
	return t.Data[0]
}

// At returns the element at the given index.
func (t *Tensor[T]) At(idx ...int) T { return t.Data[t.offset(idx)] }

// Set stores v at the given index.
func (t *Tensor[T]) Set(v T, idx ...int) { t.Data[t.offset(idx)] = v }

func (t *Tensor[T]) offset(idx []int) int {
	if len(idx) != len(t.Shape) {
		panic(fmt.Sprintf("tensor: index %v for shape %v", idx, t.Shape))
	}
	off := 0
	for i, k := range idx {
		if k < 0 || k >= t.Shape[i] {
			panic(fmt.Sprintf("tensor: index %v out of range for shape %v", idx, t.Shape))
		}
		off = off*t.Shape[i] + k
	}
	return off
}

// Clone returns a deep copy.
func (t *Tensor[T]) Clone() *Tensor[T] {
	return &Tensor[T]{Shape: append([]int(nil), t.Shape...), Data: append([]T(nil), t.Data...)}
}

// Reshape returns a tensor sharing t's data with a new shape of the same
// number of elements. One dimension may be -1 and is then inferred.
func (t *Tensor[T]) Reshape(shape ...int) *Tensor[T] {
	dst := new(Tensor[T])
	t.ReshapeInto(dst, shape...)
	return dst
}

// ReshapeInto is Reshape into an existing header: it points dst at t's data
// with the new shape, which it writes into dst.Shape's memory when that has
// room, so that reshaping into a reused header allocates nothing.
func (t *Tensor[T]) ReshapeInto(dst *Tensor[T], shape ...int) {
	n := len(t.Data)
	s := append(dst.Shape[:0], shape...)
	infer, known := -1, 1
	for i, d := range s {
		if d == -1 {
			if infer >= 0 {
				panic(fmt.Sprintf("tensor.Reshape: two -1 dimensions in %v", slices.Clone(shape)))
			}
			infer = i
			continue
		}
		known *= d
	}
	if infer >= 0 && known > 0 {
		s[infer] = n / known
	}
	if Numel(s) != n {
		panic(fmt.Sprintf("tensor.Reshape: cannot view shape %v as %v", t.Shape, slices.Clone(shape)))
	}
	dst.Shape, dst.Data = s, t.Data
}

// Zero sets every element to 0.
func (t *Tensor[T]) Zero() { clear(t.Data) }

// Fill sets every element to v.
func (t *Tensor[T]) Fill(v T) {
	for i := range t.Data {
		t.Data[i] = v
	}
}

// CopyFrom copies src's values into t; the shapes must have the same number
// of elements.
func (t *Tensor[T]) CopyFrom(src *Tensor[T]) {
	if len(src.Data) != len(t.Data) {
		panic(fmt.Sprintf("tensor.CopyFrom: shapes %v and %v differ in size", t.Shape, src.Shape))
	}
	copy(t.Data, src.Data)
}

// String formats the shape and, for small tensors, the values.
func (t *Tensor[T]) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v", t.Shape)
	if len(t.Data) <= 16 {
		fmt.Fprintf(&b, "%v", t.Data)
	}
	return b.String()
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Convert returns a copy of src with elements converted to type U.
func Convert[U, T Float](src *Tensor[T]) *Tensor[U] {
	dst := New[U](src.Shape...)
	for i, v := range src.Data {
		dst.Data[i] = U(v)
	}
	return dst
}
