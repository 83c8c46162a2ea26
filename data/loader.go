package data

import (
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"

	"github.com/descent-ml/descent/internal/parallel"
)

// pcgStream is the second PCG seed word; the loader's Seed is the first.
const pcgStream = 0x9e3779b97f4a7c15

// LoaderOptions configures a [Loader].
type LoaderOptions struct {
	// Shuffle visits the examples in a fresh random order each epoch;
	// otherwise in index order.
	Shuffle bool
	// DropLast skips the last batch of an epoch if it is smaller than the
	// batch size; otherwise it is yielded with Size < batch size.
	DropLast bool
	// Seed seeds the loader's PCG source (with a fixed stream word): loaders
	// with the same seed yield the same sequence of epochs.
	Seed uint64
}

// Batch is one mini-batch. Its slices are the loader's buffers, reused for
// the next batch: a Batch is only valid until the iteration moves on, so copy
// what must outlive it.
type Batch struct {
	Index []int     // dataset indices of the examples, len Size
	X     []float32 // features, Size×Features(ds) values, row-major
	Y     []int     // labels, len Size
	Size  int       // number of examples in this batch
}

// Loader yields the examples of a dataset in mini-batches, over a new random
// permutation each epoch when shuffling. It draws every permutation from its
// own seeded source, so runs are reproducible and epochs differ. A Loader is
// not safe for concurrent use, and one epoch must finish (or be stopped)
// before the next begins.
type Loader struct {
	ds       Dataset
	size     int // batch size
	features int
	opts     LoaderOptions
	rng      *rand.Rand
	perm     []int
	batch    Batch
	xbuf     []float32
	ybuf     []int

	// An in-memory dataset's batches are copied on all cores: dense is
	// the dataset (nil for others), fillIdx the batch being copied and
	// fillBody the method value l.fillRange, made once.
	dense    *Dense
	fillIdx  []int
	fillBody func(lo, hi int)
}

// fillParallel is the batch size, in values, from which an in-memory
// dataset's batch is copied on all cores: the examples sit at random places
// of a large array, and each core waits on its own cache misses.
const fillParallel = 1 << 15

// NewLoader returns a loader over ds with the given batch size, which must be
// positive. Its buffers are allocated here, once.
func NewLoader(ds Dataset, batchSize int, opts LoaderOptions) (*Loader, error) {
	if ds == nil {
		return nil, errors.New("data: NewLoader: nil dataset")
	}
	if batchSize <= 0 {
		return nil, fmt.Errorf("data: NewLoader: batch size %d, want at least 1", batchSize)
	}
	n, f := ds.Len(), Features(ds)
	b := min(batchSize, n)
	l := &Loader{
		ds:       ds,
		size:     batchSize,
		features: f,
		opts:     opts,
		rng:      rand.New(rand.NewPCG(opts.Seed, pcgStream)),
		perm:     make([]int, n),
		xbuf:     make([]float32, b*f),
		ybuf:     make([]int, b),
	}
	if d, ok := ds.(*Dense); ok {
		l.dense = d
		l.fillBody = l.fillRange
	}
	return l, nil
}

// BatchSize returns the batch size.
func (l *Loader) BatchSize() int { return l.size }

// Batches returns the number of batches in one epoch.
func (l *Loader) Batches() int {
	n := l.ds.Len()
	if l.opts.DropLast {
		return n / l.size
	}
	return (n + l.size - 1) / l.size
}

// Epoch returns an iterator over the batches of one new epoch:
//
//	for b := range loader.Epoch() {
//		// use b.X, b.Y, b.Size; b is overwritten by the next batch
//	}
//
// Each call draws a new permutation (when shuffling) at the start of the
// iteration. The yielded *Batch is the same value each time, refilled: it is
// only valid until the next batch. Steady-state iteration does not allocate.
func (l *Loader) Epoch() iter.Seq[*Batch] {
	return func(yield func(*Batch) bool) {
		l.permute()
		n, bs := len(l.perm), l.size
		for start := 0; start < n; start += bs {
			end := min(start+bs, n)
			if l.opts.DropLast && end-start < bs {
				return
			}
			l.fill(l.perm[start:end])
			if !yield(&l.batch) {
				return
			}
		}
	}
}

// permute resets the visiting order: identity, then shuffled if asked.
// Shuffling from the identity makes each epoch's order depend only on the
// source's state, not on the previous order.
func (l *Loader) permute() {
	for i := range l.perm {
		l.perm[i] = i
	}
	if l.opts.Shuffle {
		l.rng.Shuffle(len(l.perm), func(i, j int) { l.perm[i], l.perm[j] = l.perm[j], l.perm[i] })
	}
}

// fill copies the examples at idx into the batch buffers: an in-memory
// dataset's on all cores once the batch is large enough, others' through
// Example, in order, on the calling goroutine (a Dataset need not be safe
// for concurrent use).
func (l *Loader) fill(idx []int) {
	k, f := len(idx), l.features
	x, y := l.xbuf[:k*f], l.ybuf[:k]
	if l.dense != nil && k*f >= fillParallel {
		l.fillIdx = idx
		parallel.For(k, max(1, fillParallel/(2*max(1, f))), l.fillBody)
		l.fillIdx = nil
	} else {
		for j, i := range idx {
			feat, label := l.ds.Example(i)
			copy(x[j*f:(j+1)*f], feat)
			y[j] = label
		}
	}
	l.batch = Batch{Index: idx, X: x, Y: y, Size: k}
}

// fillRange copies the examples fillIdx[lo:hi] of the in-memory dataset
// into their rows of the batch.
func (l *Loader) fillRange(lo, hi int) {
	f, d := l.features, l.dense
	for j := lo; j < hi; j++ {
		i := l.fillIdx[j]
		copy(l.xbuf[j*f:(j+1)*f], d.X[i*f:(i+1)*f])
		l.ybuf[j] = d.Y[i]
	}
}
