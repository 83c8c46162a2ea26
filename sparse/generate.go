package sparse

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/descent-ml/descent/internal/parallel"
)

// GenOptions describe a synthetic document collection shaped like Reuters
// RCV1 as Bottou used it (781,265 training documents, 23,149 test
// documents, 47,152 words, about 76 distinct words per document, TF-IDF
// values of unit length per document, 47% positive). [RCV1Shape] returns
// those figures; zero fields of an options value take them too.
type GenOptions struct {
	Rows     int     // training documents
	TestRows int     // test documents drawn from the same distribution (may be 0)
	Cols     int     // vocabulary size
	NNZ      float64 // mean number of distinct words per document
	Seed     uint64  // every random choice derives from it

	// Zipf is the exponent s of the word frequencies p(r) ∝ 1/(r+ZipfShift)^s
	// of the word of frequency rank r (Zipf–Mandelbrot); default 1.
	Zipf float64
	// ZipfShift is the shift q of the ranks, which flattens the head like
	// the removal of stop words; default 10.
	ZipfShift float64
	// LengthSpread is σ of the log-normal number of distinct words per
	// document; default 0.6.
	LengthSpread float64
	// Informative is the fraction of words with a nonzero weight in the true
	// weight vector (drawn N(0,1)), among the InformativeTop most frequent;
	// default 0.1.
	Informative float64
	// InformativeTop is the fraction of the vocabulary, by frequency rank,
	// that holds the informative words; default 0.2 (rarer words are seen too
	// seldom to be learned, in RCV1 as here).
	InformativeTop float64
	// Positive is the fraction of positive documents before label noise;
	// default 0.47 (CCAT).
	Positive float64
	// Noise is the probability that a label is flipped; default 0.03. Set it
	// negative for no noise.
	Noise float64
}

// RCV1Shape returns the options of an RCV1-sized collection.
func RCV1Shape() GenOptions {
	return GenOptions{Rows: 781265, TestRows: 23149, Cols: 47152, NNZ: 76, Seed: 1}
}

func (o GenOptions) withDefaults() GenOptions {
	d := RCV1Shape()
	if o.Rows == 0 {
		o.Rows = d.Rows
	}
	if o.Cols == 0 {
		o.Cols = d.Cols
	}
	if o.NNZ == 0 {
		o.NNZ = d.NNZ
	}
	if o.Zipf == 0 {
		o.Zipf = 1
	}
	if o.ZipfShift == 0 {
		o.ZipfShift = 10
	}
	if o.LengthSpread == 0 {
		o.LengthSpread = 0.6
	}
	if o.Informative == 0 {
		o.Informative = 0.1
	}
	if o.InformativeTop == 0 {
		o.InformativeTop = 0.2
	}
	if o.Positive == 0 {
		o.Positive = 0.47
	}
	switch {
	case o.Noise == 0:
		o.Noise = 0.03
	case o.Noise < 0:
		o.Noise = 0
	}
	return o
}

func (o GenOptions) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("sparse: GenerateRCV1Like: "+format, args...)
	}
	switch {
	case o.Rows < 1:
		return bad("%d rows, want at least 1", o.Rows)
	case o.TestRows < 0:
		return bad("%d test rows, want at least 0", o.TestRows)
	case o.Cols < 2 || o.Cols > MaxCols:
		return bad("%d columns, want 2 to %d", o.Cols, MaxCols)
	case !(o.NNZ >= 1) || o.NNZ > float64(o.Cols)/2:
		return bad("%v nonzeros per row for %d columns, want 1 to %d", o.NNZ, o.Cols, o.Cols/2)
	case !(o.Zipf > 0) || o.Zipf > 10:
		return bad("Zipf exponent %v, want (0,10]", o.Zipf)
	case !(o.ZipfShift >= 0) || math.IsInf(o.ZipfShift, 0):
		return bad("Zipf shift %v, want a finite number ≥ 0", o.ZipfShift)
	case !(o.LengthSpread >= 0) || o.LengthSpread > 3:
		return bad("length spread %v, want [0,3]", o.LengthSpread)
	case !(o.Informative > 0) || o.Informative > 1:
		return bad("informative fraction %v, want (0,1]", o.Informative)
	case !(o.InformativeTop > 0) || o.InformativeTop > 1:
		return bad("informative top fraction %v, want (0,1]", o.InformativeTop)
	case !(o.Positive > 0) || o.Positive >= 1:
		return bad("positive fraction %v, want (0,1)", o.Positive)
	case !(o.Noise >= 0) || o.Noise >= 0.5:
		return bad("label noise %v, want [0,0.5)", o.Noise)
	}
	return nil
}

// Random streams of the generator, one per purpose, so that each part of
// the output depends only on the seed and its own position.
const (
	streamVocab  = 1 << 62
	streamLabels = 1<<62 + 1
	streamTrain  = 0
	streamTest   = 1 << 40
	genBlock     = 1024 // documents drawn from one random stream
)

// GenerateRCV1Like draws a labelled bag-of-words collection shaped like
// RCV1: a training set of o.Rows documents and a test set of o.TestRows
// from the same distribution, over o.Cols words.
//
// Word ranks follow Zipf–Mandelbrot frequencies and are scattered over the
// columns by a random permutation. Each document draws a log-normal number
// of distinct words (mean o.NNZ) by sampling words until it has that many
// (repeats are its term counts). Values are "ltc" TF-IDF: (1+ln tf)·ln(N/df)
// with the document frequencies of the training set, then unit length per
// document. Labels are +1/−1: the sign of a sparse true weight vector's
// score, thresholded so that o.Positive of the training documents are
// positive, then flipped with probability o.Noise.
//
// The output depends only on the options, not on the number of cores.
func GenerateRCV1Like(o GenOptions) (train, test *Data, err error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, nil, err
	}
	vrng := rand.New(rand.NewPCG(o.Seed, streamVocab))
	probs := make([]float64, o.Cols)
	for r := range probs {
		probs[r] = math.Pow(float64(r+1)+o.ZipfShift, -o.Zipf)
	}
	perm := vrng.Perm(o.Cols) // rank r is column perm[r]
	table := newAlias(probs, perm)

	trainX := drawDocs(o, table, o.Rows, streamTrain)
	testX := drawDocs(o, table, o.TestRows, streamTest)
	tfidf := FitTFIDF(trainX, TFIDFOptions{Sublinear: true, Normalize: true})
	for _, m := range []*CSR{trainX, testX} {
		if err := tfidf.Transform(m); err != nil {
			return nil, nil, err
		}
		m.DropZeros()
	}

	// True weights: a random fraction of the frequent words, N(0,1).
	lrng := rand.New(rand.NewPCG(o.Seed, streamLabels))
	wTrue := make([]float64, o.Cols)
	top := max(1, int(math.Round(o.InformativeTop*float64(o.Cols))))
	for r := range top {
		if lrng.Float64() < o.Informative {
			wTrue[perm[r]] = lrng.NormFloat64()
		}
	}
	// Documents without informative words tie at score 0: a tiny jitter
	// breaks the ties at random, so the positive fraction comes out right.
	jitter := func(s []float64) {
		for i := range s {
			s[i] += 1e-12 * lrng.NormFloat64()
		}
	}
	scores := make([]float64, trainX.Rows)
	trainX.MulVec(scores, wTrue)
	jitter(scores)
	sorted := slices.Clone(scores)
	slices.Sort(sorted)
	threshold := sorted[min(len(sorted)-1, int(float64(len(sorted))*(1-o.Positive)))]
	label := func(x *CSR, scores []float64) []float64 {
		y := make([]float64, x.Rows)
		for i, s := range scores {
			y[i] = -1
			if s >= threshold {
				y[i] = 1
			}
			if lrng.Float64() < o.Noise {
				y[i] = -y[i]
			}
		}
		return y
	}
	train = &Data{X: trainX, Y: label(trainX, scores)}
	testScores := make([]float64, testX.Rows)
	testX.MulVec(testScores, wTrue)
	jitter(testScores)
	test = &Data{X: testX, Y: label(testX, testScores)}
	return train, test, nil
}

// drawDocs draws n documents of raw term counts.
func drawDocs(o GenOptions, table *alias, n int, stream uint64) *CSR {
	blocks := (n + genBlock - 1) / genBlock
	type part struct {
		rowEnd []int
		idx    []int32
		val    []float32
	}
	parts := make([]part, blocks)
	mu := math.Log(o.NNZ) - o.LengthSpread*o.LengthSpread/2
	maxLen := o.Cols / 2
	parallel.For(blocks, 1, func(lo, hi int) {
		seen := make([]int32, o.Cols) // 1 + position of the column in the current document, 0 if absent
		var words []int32
		var counts []float32
		for b := lo; b < hi; b++ {
			rng := rand.New(rand.NewPCG(o.Seed, stream+uint64(b)))
			rows := min(genBlock, n-b*genBlock)
			p := part{rowEnd: make([]int, rows), idx: make([]int32, 0, int(o.NNZ*1.2)*rows), val: make([]float32, 0, int(o.NNZ*1.2)*rows)}
			for i := range rows {
				k := int(math.Round(math.Exp(mu + o.LengthSpread*rng.NormFloat64())))
				k = max(1, min(k, maxLen))
				words, counts = words[:0], counts[:0]
				for draws := 0; len(words) < k && draws < 50*k+100; draws++ {
					j := table.sample(rng.Uint64())
					if s := seen[j]; s > 0 {
						counts[s-1]++
						continue
					}
					words = append(words, j)
					counts = append(counts, 1)
					seen[j] = int32(len(words))
				}
				start := len(p.idx)
				for t, j := range words {
					seen[j] = 0
					p.idx = append(p.idx, j)
					p.val = append(p.val, counts[t])
				}
				sortRow(p.idx[start:], p.val[start:])
				p.rowEnd[i] = len(p.idx)
			}
			parts[b] = p
		}
	})
	m := &CSR{Rows: n, Cols: o.Cols, RowPtr: make([]int, n+1)}
	nnz := 0
	for _, p := range parts {
		nnz += len(p.idx)
	}
	m.ColIdx, m.Val = make([]int32, 0, nnz), make([]float32, 0, nnz)
	r := 0
	for _, p := range parts {
		base := len(m.ColIdx)
		m.ColIdx = append(m.ColIdx, p.idx...)
		m.Val = append(m.Val, p.val...)
		for _, e := range p.rowEnd {
			r++
			m.RowPtr[r] = base + e
		}
	}
	return m
}

// sortRow sorts the entries of one row by column.
func sortRow(idx []int32, val []float32) {
	if slices.IsSorted(idx) {
		return
	}
	type entry struct {
		j int32
		v float32
	}
	e := make([]entry, len(idx))
	for k := range idx {
		e[k] = entry{idx[k], val[k]}
	}
	slices.SortFunc(e, func(a, b entry) int { return int(a.j) - int(b.j) })
	for k := range e {
		idx[k], val[k] = e[k].j, e[k].v
	}
}

// alias is Walker's alias table: O(1) sampling from a discrete
// distribution, here over columns.
type alias struct {
	cut   []uint32 // keep slot k with probability cut[k]/2³²
	other []int32  // column of the alias of slot k
	col   []int32  // column of slot k
}

// newAlias builds the table for probabilities proportional to w[r] of
// column cols[r].
func newAlias(w []float64, cols []int) *alias {
	n := len(w)
	var sum float64
	for _, v := range w {
		sum += v
	}
	scaled := make([]float64, n)
	var small, large []int
	for r, v := range w {
		scaled[r] = v * float64(n) / sum
		if scaled[r] < 1 {
			small = append(small, r)
		} else {
			large = append(large, r)
		}
	}
	a := &alias{cut: make([]uint32, n), other: make([]int32, n), col: make([]int32, n)}
	for r := range n {
		a.col[r] = int32(cols[r])
		a.other[r] = int32(cols[r])
		a.cut[r] = math.MaxUint32
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.cut[s] = uint32(math.Min(scaled[s]*(1<<32), math.MaxUint32))
		a.other[s] = int32(cols[l])
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	return a
}

// sample maps 64 random bits to a column: the high half picks a slot, the
// low half decides between the slot and its alias.
func (a *alias) sample(r uint64) int32 {
	k := (r >> 32) * uint64(len(a.cut)) >> 32
	if uint32(r) < a.cut[k] {
		return a.col[k]
	}
	return a.other[k]
}
