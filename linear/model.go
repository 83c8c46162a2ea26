package linear

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/internal/parallel"
	"github.com/descent-ml/descent/sparse"
)

// Model is a linear model on Dim sparse features. The binary losses keep
// one weight vector (K = 1) and predict the positive class Classes[1] when
// the score w·x + b is positive; Softmax keeps one per class (K =
// len(Classes)) and predicts the class of the largest score. W holds the
// weights feature-major, W[j·K + k] for feature j and class k, so the
// weights of one feature are adjacent; B holds the K biases.
type Model struct {
	Loss    Loss
	Classes []float64
	Dim, K  int
	W, B    []float64
}

// NewModel returns the zero model of the given loss for the given class
// label values on dim features.
func NewModel(loss Loss, classes []float64, dim int) (*Model, error) {
	if !loss.valid() {
		return nil, fmt.Errorf("linear: invalid loss %v", loss)
	}
	if len(classes) < 2 {
		return nil, fmt.Errorf("linear: %w: %d classes, want at least two", ErrLabels, len(classes))
	}
	if loss.Binary() && len(classes) != 2 {
		return nil, fmt.Errorf("linear: %w: the %v loss separates two classes, the data have %d; use softmax", ErrLabels, loss, len(classes))
	}
	if dim < 0 {
		return nil, fmt.Errorf("linear: %d features", dim)
	}
	k := 1
	if !loss.Binary() {
		k = len(classes)
	}
	return &Model{Loss: loss, Classes: append([]float64(nil), classes...), Dim: dim, K: k,
		W: make([]float64, dim*k), B: make([]float64, k)}, nil
}

// Scores stores the K scores of the example (idx, val) in dst. Features
// beyond Dim count as zero.
func (m *Model) Scores(dst []float64, idx []int32, val []float32) {
	if m.K == 1 {
		dst[0] = sparse.DotMasked(m.W, idx, val) + m.B[0]
		return
	}
	scoresK(dst, m.W, m.B, 1, m.Dim, idx, val)
}

// scoresK stores scale·W·x + b in dst for K = len(dst) classes, skipping
// features at or beyond dim.
func scoresK[W float32 | float64](dst []float64, w []W, b []float64, scale float64, dim int, idx []int32, val []float32) {
	K := len(dst)
	for k := range dst {
		dst[k] = 0
	}
	val = val[:len(idx)]
	for t, j := range idx {
		if int(j) >= dim {
			continue
		}
		v := float64(val[t])
		row := w[int(j)*K : int(j)*K+K]
		for k, wk := range row {
			dst[k] += float64(wk) * v
		}
	}
	for k := range dst {
		dst[k] = dst[k]*scale + b[k]
	}
}

// classOf returns the predicted class of the scores.
func (m *Model) classOf(s []float64) int {
	if m.K == 1 {
		if s[0] > 0 {
			return 1
		}
		return 0
	}
	best := 0
	for k, v := range s {
		if v > s[best] {
			best = k
		}
	}
	return best
}

// Predict returns the predicted label value of every row of x.
func (m *Model) Predict(x *sparse.CSR) []float64 {
	out := make([]float64, x.Rows)
	parallel.For(x.Rows, 2048, func(lo, hi int) {
		s := make([]float64, m.K)
		for i := lo; i < hi; i++ {
			idx, val := x.Row(i)
			m.Scores(s, idx, val)
			out[i] = m.Classes[m.classOf(s)]
		}
	})
	return out
}

// ErrorRate returns the fraction of the examples of p that m misclassifies
// (0 for no examples). p's classes must be m's.
func (m *Model) ErrorRate(p *Problem) float64 {
	if p.Len() == 0 {
		return 0
	}
	wrong := sumBlocks(p.Len(), func(lo, hi int) float64 {
		s := make([]float64, m.K)
		n := 0
		for i := lo; i < hi; i++ {
			idx, val := p.X.Row(i)
			m.Scores(s, idx, val)
			if m.classOf(s) != int(p.Y[i]) {
				n++
			}
		}
		return float64(n)
	})
	return wrong / float64(p.Len())
}

// Objective returns the regularized objective
// 1/N Σᵢ ℓ(yᵢ, w·xᵢ + b) + λ/2 ‖w‖² of m on p (the average loss alone for
// no examples).
func (m *Model) Objective(p *Problem, lambda float64) float64 {
	var loss float64
	if p.Len() > 0 {
		loss = sumBlocks(p.Len(), func(lo, hi int) float64 {
			return lossRows(m.Loss, m.W, m.B, 1, m.Dim, p, lo, hi, nil, nil, 1, make([]float64, m.K))
		}) / float64(p.Len())
	}
	return loss + lambda/2*sqNorm(m.W)
}

// sqNorm returns ‖w‖².
func sqNorm(w []float64) float64 {
	var s0, s1 float64
	k := 0
	for ; k+2 <= len(w); k += 2 {
		s0 += w[k] * w[k]
		s1 += w[k+1] * w[k+1]
	}
	if k < len(w) {
		s0 += w[k] * w[k]
	}
	return s0 + s1
}

// sumBlocks splits [0, n) into one block per core, calls f on each in
// parallel and returns the sum of the results in block order, so that the
// result does not depend on scheduling.
func sumBlocks(n int, f func(lo, hi int) float64) float64 {
	workers := min(parallel.Workers(), max(1, n/1024))
	parts := make([]float64, workers)
	parallel.For(workers, 1, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			parts[b] = f(b*n/workers, (b+1)*n/workers)
		}
	})
	var s float64
	for _, v := range parts {
		s += v
	}
	return s
}

// lossRows returns Σ ℓ over the rows [lo, hi) of p for the model with
// weights scale·w and biases b (len(b) = K) on dim features. When gw is
// not nil it also adds c·∂ℓ/∂w to gw and c·∂ℓ/∂b to gb for every row. s
// is scratch of length K.
func lossRows(loss Loss, w, b []float64, scale float64, dim int, p *Problem, lo, hi int, gw, gb []float64, c float64, s []float64) float64 {
	var sum float64
	K := len(b)
	masked := p.X.Cols > dim
	if K == 1 {
		for i := lo; i < hi; i++ {
			idx, val := p.X.Row(i)
			var s float64
			if masked {
				s = sparse.DotMasked(w, idx, val)
			} else {
				s = sparse.Dot(w, idx, val)
			}
			s = s*scale + b[0]
			y := p.sign(i)
			sum += loss.value(y * s)
			if gw != nil {
				d := -c * y * loss.dloss(y*s)
				if d != 0 {
					axpyMasked(gw, d, idx, val, masked)
					gb[0] += d
				}
			}
		}
		return sum
	}
	for i := lo; i < hi; i++ {
		idx, val := p.X.Row(i)
		scoresK(s, w, b, scale, dim, idx, val)
		y := int(p.Y[i])
		sum += softmaxLoss(s, y)
		if gw != nil {
			s[y]--
			for k := range s {
				s[k] *= c
				gb[k] += s[k]
			}
			for t, j := range idx {
				if int(j) >= dim {
					continue
				}
				v := float64(val[t])
				row := gw[int(j)*K : int(j)*K+K]
				for k := range row {
					row[k] += s[k] * v
				}
			}
		}
	}
	return sum
}

func axpyMasked(w []float64, a float64, idx []int32, val []float32, masked bool) {
	if !masked {
		sparse.Axpy(w, a, idx, val)
		return
	}
	for k, j := range idx {
		if int(j) < len(w) {
			w[j] += a * float64(val[k])
		}
	}
}

// finite reports whether every value of v is finite.
func finite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
