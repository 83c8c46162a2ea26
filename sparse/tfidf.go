package sparse

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/internal/parallel"
)

// TFIDF is the term frequency–inverse document frequency weighting of a
// bag-of-words matrix (rows documents, columns words, values term counts):
// the value of word j in a document becomes tf·IDF[j], where tf is the
// count itself or, with Sublinear, 1+ln(count); then, with Normalize, each
// document is scaled to unit Euclidean length (the "ltc" weighting of
// Lewis et al.'s RCV1 with Sublinear and Normalize set).
//
// Fit it on the training documents and apply the same weights to the test
// documents with Transform.
type TFIDF struct {
	// IDF[j] = ln(N/df_j) for the N training documents of which df_j hold
	// word j (0 for words no document holds); with Smooth,
	// ln((1+N)/(1+df_j)) + 1, scikit-learn's default.
	IDF       []float64
	Sublinear bool // use 1+ln(tf) for the term frequency
	Normalize bool // scale each document to unit L2 norm
}

// TFIDFOptions choose the variant that FitTFIDF builds.
type TFIDFOptions struct {
	Smooth    bool // idf = ln((1+N)/(1+df)) + 1 instead of ln(N/df)
	Sublinear bool // tf = 1+ln(count)
	Normalize bool // unit-length rows after weighting
}

// FitTFIDF computes the inverse document frequencies of the columns of m.
func FitTFIDF(m *CSR, opt TFIDFOptions) *TFIDF {
	df := m.ColCounts()
	idf := make([]float64, m.Cols)
	n := float64(m.Rows)
	for j, d := range df {
		switch {
		case opt.Smooth:
			idf[j] = math.Log((1+n)/(1+float64(d))) + 1
		case d > 0:
			idf[j] = math.Log(n / float64(d))
		}
	}
	return &TFIDF{IDF: idf, Sublinear: opt.Sublinear, Normalize: opt.Normalize}
}

// Transform applies the weighting to m in place. Values must be
// non-negative term counts when Sublinear is set. Columns beyond len(IDF)
// (words unseen in training) get weight zero. Entries that become zero stay
// stored; call [CSR.DropZeros] to remove them.
func (t *TFIDF) Transform(m *CSR) error {
	if t.Sublinear {
		for k, v := range m.Val {
			if v < 0 || math.IsNaN(float64(v)) {
				return fmt.Errorf("sparse: TF-IDF: entry %d holds %v, want a non-negative term count", k, v)
			}
		}
	}
	parallel.For(m.NNZ(), 1<<16, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			tf := float64(m.Val[k])
			if t.Sublinear && tf > 0 {
				tf = 1 + math.Log(tf)
			}
			w := 0.0
			if j := int(m.ColIdx[k]); j < len(t.IDF) {
				w = t.IDF[j]
			}
			m.Val[k] = float32(tf * w)
		}
	})
	if t.Normalize {
		m.NormalizeRows()
	}
	return nil
}
