// Package sparse holds sparse matrices in compressed sparse row (CSR) form
// and the tools that make them from text: a fast, parallel reader and a
// writer of the svmlight/libsvm format, TF-IDF weighting, L2 row
// normalization, and a seeded generator of synthetic document collections
// shaped like Reuters RCV1 (Zipf word frequencies, about 76 words per
// document, TF-IDF values normalized to unit length).
//
// Rows are examples and columns features, the layout of the linear models in
// package linear: a stochastic gradient step touches one row, so its cost is
// the number of nonzeros of that row, not the dimension.
//
// The package holds no global mutable state; every random choice comes from
// an explicit seed.
package sparse

import (
	"errors"
	"fmt"
	"math"

	"github.com/descent-ml/descent/internal/parallel"
)

// CSR is a sparse matrix in compressed sparse row form. Row i holds the
// nonzeros Val[RowPtr[i]:RowPtr[i+1]] in the columns
// ColIdx[RowPtr[i]:RowPtr[i+1]], which strictly increase within the row.
// RowPtr has Rows+1 entries, starts at 0 and never decreases; every column
// index is in [0, Cols). [NewCSR] checks these invariants; a CSR built by
// hand must keep them (see [CSR.Validate]).
type CSR struct {
	Rows, Cols int
	RowPtr     []int
	ColIdx     []int32
	Val        []float32
}

// ErrInvalid means that a matrix breaks the CSR invariants.
var ErrInvalid = errors.New("invalid CSR matrix")

// MaxCols is the largest number of columns a CSR may have: column indices
// are int32.
const MaxCols = math.MaxInt32

// NewCSR wraps rowPtr, colIdx and val (not copied) as a rows×cols matrix
// after checking the CSR invariants.
func NewCSR(rows, cols int, rowPtr []int, colIdx []int32, val []float32) (*CSR, error) {
	m := &CSR{Rows: rows, Cols: cols, RowPtr: rowPtr, ColIdx: colIdx, Val: val}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Validate checks the CSR invariants and returns an error wrapping
// [ErrInvalid] that names the first broken one.
func (m *CSR) Validate() error {
	switch {
	case m.Rows < 0 || m.Cols < 0 || m.Cols > MaxCols:
		return fmt.Errorf("sparse: %w: shape %d×%d", ErrInvalid, m.Rows, m.Cols)
	case len(m.RowPtr) != m.Rows+1:
		return fmt.Errorf("sparse: %w: %d row pointers for %d rows, want %d", ErrInvalid, len(m.RowPtr), m.Rows, m.Rows+1)
	case m.RowPtr[0] != 0:
		return fmt.Errorf("sparse: %w: first row pointer is %d, want 0", ErrInvalid, m.RowPtr[0])
	case m.RowPtr[m.Rows] != len(m.ColIdx) || len(m.ColIdx) != len(m.Val):
		return fmt.Errorf("sparse: %w: last row pointer %d, %d column indices and %d values should agree",
			ErrInvalid, m.RowPtr[m.Rows], len(m.ColIdx), len(m.Val))
	}
	for i := range m.Rows {
		if lo, hi := m.RowPtr[i], m.RowPtr[i+1]; hi < lo || hi > len(m.ColIdx) {
			return fmt.Errorf("sparse: %w: row %d spans entries [%d,%d) of %d", ErrInvalid, i, lo, hi, len(m.ColIdx))
		}
	}
	for i := range m.Rows {
		lo, hi := m.RowPtr[i], m.RowPtr[i+1]
		prev := int32(-1)
		for _, j := range m.ColIdx[lo:hi] {
			if j <= prev || int(j) >= m.Cols {
				return fmt.Errorf("sparse: %w: row %d: column %d after %d (columns must increase within a row and lie in [0,%d))",
					ErrInvalid, i, j, prev, m.Cols)
			}
			prev = j
		}
	}
	return nil
}

// NNZ is the number of stored entries.
func (m *CSR) NNZ() int { return len(m.ColIdx) }

// Row returns the column indices and values of row i (views, not copies).
func (m *CSR) Row(i int) (idx []int32, val []float32) {
	lo, hi := m.RowPtr[i], m.RowPtr[i+1]
	return m.ColIdx[lo:hi:hi], m.Val[lo:hi:hi]
}

// Clone returns a deep copy of m.
func (m *CSR) Clone() *CSR {
	return &CSR{
		Rows: m.Rows, Cols: m.Cols,
		RowPtr: append([]int(nil), m.RowPtr...),
		ColIdx: append([]int32(nil), m.ColIdx...),
		Val:    append([]float32(nil), m.Val...),
	}
}

// SelectRows returns a new matrix made of the rows rows[0], rows[1], … of
// m, in that order (rows may repeat). It panics if an index is out of range.
func (m *CSR) SelectRows(rows []int) *CSR {
	ptr := make([]int, len(rows)+1)
	for k, i := range rows {
		ptr[k+1] = ptr[k] + m.RowPtr[i+1] - m.RowPtr[i]
	}
	out := &CSR{Rows: len(rows), Cols: m.Cols, RowPtr: ptr, ColIdx: make([]int32, ptr[len(rows)]), Val: make([]float32, ptr[len(rows)])}
	parallel.For(len(rows), 4096, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			i := rows[k]
			copy(out.ColIdx[ptr[k]:ptr[k+1]], m.ColIdx[m.RowPtr[i]:m.RowPtr[i+1]])
			copy(out.Val[ptr[k]:ptr[k+1]], m.Val[m.RowPtr[i]:m.RowPtr[i+1]])
		}
	})
	return out
}

// MulVec stores m·x in y: y[i] = Σⱼ m[i,j]·x[j]. Entries of m in columns
// beyond len(x) count as zero, so a model trained on fewer features can
// score a matrix with more. It panics if len(y) != m.Rows.
func (m *CSR) MulVec(y, x []float64) {
	if len(y) != m.Rows {
		panic(fmt.Sprintf("sparse: MulVec: len(y) = %d for %d rows", len(y), m.Rows))
	}
	parallel.For(m.Rows, 2048, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			idx, val := m.Row(i)
			y[i] = DotMasked(x, idx, val)
		}
	})
}

// Dot returns Σₖ w[idx[k]]·val[k], the inner product of a dense vector and
// a sparse row. It panics if an index is beyond len(w).
func Dot(w []float64, idx []int32, val []float32) float64 {
	val = val[:len(idx)]
	// Four accumulators break the chain of dependent additions; slicing
	// four entries at a time leaves one bounds check per group on idx and
	// val.
	var s0, s1, s2, s3 float64
	for len(idx) >= 4 {
		i, v := idx[:4:4], val[:4:4]
		s0 += w[i[0]] * float64(v[0])
		s1 += w[i[1]] * float64(v[1])
		s2 += w[i[2]] * float64(v[2])
		s3 += w[i[3]] * float64(v[3])
		idx, val = idx[4:], val[4:]
	}
	for k, j := range idx {
		s0 += w[j] * float64(val[k])
	}
	return (s0 + s1) + (s2 + s3)
}

// DotMasked is [Dot] with entries whose index is beyond len(w) counted as
// zero.
func DotMasked(w []float64, idx []int32, val []float32) float64 {
	val = val[:len(idx)]
	var s float64
	for k, j := range idx {
		if int(j) < len(w) {
			s += w[j] * float64(val[k])
		}
	}
	return s
}

// Axpy adds a·row to w: w[idx[k]] += a·val[k]. It panics if an index is
// beyond len(w).
func Axpy(w []float64, a float64, idx []int32, val []float32) {
	val = val[:len(idx)]
	for len(idx) >= 4 {
		i, v := idx[:4:4], val[:4:4]
		w[i[0]] += a * float64(v[0])
		w[i[1]] += a * float64(v[1])
		w[i[2]] += a * float64(v[2])
		w[i[3]] += a * float64(v[3])
		idx, val = idx[4:], val[4:]
	}
	for k, j := range idx {
		w[j] += a * float64(val[k])
	}
}

// RowNorms returns the Euclidean norm of every row.
func (m *CSR) RowNorms() []float64 {
	n := make([]float64, m.Rows)
	parallel.For(m.Rows, 4096, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			_, val := m.Row(i)
			var s float64
			for _, v := range val {
				s += float64(v) * float64(v)
			}
			n[i] = math.Sqrt(s)
		}
	})
	return n
}

// NormalizeRows scales every row of m in place to unit Euclidean norm;
// rows of norm zero stay as they are.
func (m *CSR) NormalizeRows() {
	parallel.For(m.Rows, 4096, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			_, val := m.Row(i)
			var s float64
			for _, v := range val {
				s += float64(v) * float64(v)
			}
			if s == 0 {
				continue
			}
			inv := 1 / math.Sqrt(s)
			for k, v := range val {
				val[k] = float32(float64(v) * inv)
			}
		}
	})
}

// ScaleCols multiplies column j of m by s[j], in place. It panics if
// len(s) < m.Cols.
func (m *CSR) ScaleCols(s []float64) {
	if len(s) < m.Cols {
		panic(fmt.Sprintf("sparse: ScaleCols: %d scales for %d columns", len(s), m.Cols))
	}
	parallel.For(m.NNZ(), 1<<16, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			m.Val[k] = float32(float64(m.Val[k]) * s[m.ColIdx[k]])
		}
	})
}

// ColCounts returns, for every column, the number of rows with an entry in
// it (the document frequency of a word).
func (m *CSR) ColCounts() []int {
	w := parallel.Workers()
	parts := make([][]int, w)
	parallel.For(w, 1, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			c := make([]int, m.Cols)
			for _, j := range m.ColIdx[m.RowPtr[p*m.Rows/w]:m.RowPtr[(p+1)*m.Rows/w]] {
				c[j]++
			}
			parts[p] = c
		}
	})
	out := parts[0]
	for _, c := range parts[1:] {
		for j, v := range c {
			out[j] += v
		}
	}
	return out
}

// DropZeros removes stored entries equal to zero, in place.
func (m *CSR) DropZeros() {
	out := 0
	start := 0
	for i := range m.Rows {
		for k := start; k < m.RowPtr[i+1]; k++ {
			if m.Val[k] != 0 {
				m.ColIdx[out], m.Val[out] = m.ColIdx[k], m.Val[k]
				out++
			}
		}
		start = m.RowPtr[i+1]
		m.RowPtr[i+1] = out
	}
	m.ColIdx, m.Val = m.ColIdx[:out], m.Val[:out]
}
