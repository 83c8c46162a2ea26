package optim

import (
	"fmt"

	"github.com/descent-ml/descent/internal/cache"
	"github.com/descent-ml/descent/internal/parallel"
)

// Transform is one stage of a gradient transformation, in the manner of
// Optax: it turns the incoming vector u (the gradient, or the output of the
// stage before) into an update, in place, keeping state shaped like the
// parameters. A named optimizer is a chain of such stages followed by
// w ← w + u: momentum is a trace, Adam is scale-by-adam then
// scale-by-learning-rate.
//
// Stages are elementwise, so an optimizer runs the whole chain on one block
// of the flat vectors at a time while the block is in cache: each step reads
// w, g and the state once and writes w and the state once, however many
// stages there are.
type Transform[T Float] interface {
	// Init allocates state for n parameters and resets the stage.
	Init(n int)
	// Update transforms u in place, for parameters w (u and w have equal
	// length and are elements [off, off+len(u)) of the optimizer's flat
	// vector, so state is indexed from off). t counts steps from 1.
	Update(u, w []T, off, t int)
}

// Preparer is implemented by stages that need a whole-vector quantity before
// the elementwise pass, such as the global gradient norm. Prepare is called
// once per step, before any Update, with the full gradient and parameters.
type Preparer[T Float] interface {
	Prepare(g, w []T, t int)
}

// Stateful is implemented by stages with state worth saving: the slices it
// returns are the stage's live state, in a fixed order.
type Stateful[T Float] interface {
	State() [][]T
}

// chain runs stages one after another.
type chain[T Float] []Transform[T]

// Chain composes stages: each Update feeds the next.
func Chain[T Float](stages ...Transform[T]) Transform[T] { return chain[T](stages) }

func (c chain[T]) Init(n int) {
	for _, s := range c {
		s.Init(n)
	}
}

func (c chain[T]) Update(u, w []T, off, t int) {
	for _, s := range c {
		s.Update(u, w, off, t)
	}
}

func (c chain[T]) Prepare(g, w []T, t int) {
	for _, s := range c {
		if p, ok := s.(Preparer[T]); ok {
			p.Prepare(g, w, t)
		}
	}
}

func (c chain[T]) State() [][]T {
	var st [][]T
	for _, s := range c {
		if p, ok := s.(Stateful[T]); ok {
			st = append(st, p.State()...)
		}
	}
	return st
}

// blockSize is the number of parameters an optimizer processes at a time:
// small enough that a block of w, g and two state vectors stays in L1/L2
// while every stage runs over it.
const blockSize = 2048

// Chained is an Optimizer made of a Transform: each Step runs the
// transformation on the gradient and adds the result to the parameters.
type Chained[T Float] struct {
	// Name is the optimizer's name, for messages.
	Name string
	tr   Transform[T]
	n    int // parameters the state is allocated for; -1 before the first step
	t    int // steps taken
	lr   *ScaleByLearningRate[T]

	// The step in progress, for blocks, which is created once so that
	// parallel loops over it allocate nothing.
	w, g    []T
	blocks  func(lo, hi int)
	plan    []block // the blocks of the flat vectors this optimizer updates
	ranges  [][2]int
	scratch cache.Cache[[]T] // blockSize values: one update block per worker

	// fuse, if not nil, runs the whole chain as one kernel (see fusion).
	fuse    *fusion[T]
	fusedFn func(lo, hi int)
	// Unfused makes every step run the chain stage by stage, even where a
	// fused kernel exists: for comparisons and tests.
	Unfused bool
}

// block is a run of at most blockSize parameters: w[at:at+n], whose state
// starts at off.
type block struct{ at, off, n int }

// NewChained returns an optimizer applying tr. State is allocated on the
// first Step.
func NewChained[T Float](name string, tr Transform[T]) *Chained[T] {
	o := &Chained[T]{Name: name, tr: tr, n: -1}
	o.lr = findLR(tr)
	o.blocks = o.runBlocks
	o.fuse = newFusion(tr)
	o.fusedFn = o.runFused
	o.scratch.New = func() *[]T {
		b := make([]T, blockSize)
		return &b
	}
	return o
}

func findLR[T Float](tr Transform[T]) *ScaleByLearningRate[T] {
	switch s := tr.(type) {
	case *ScaleByLearningRate[T]:
		return s
	case chain[T]:
		for _, st := range s {
			if lr := findLR(st); lr != nil {
				return lr
			}
		}
	}
	return nil
}

// Steps is the number of steps taken.
func (o *Chained[T]) Steps() int { return o.t }

// LearningRate returns the rate α the next step will use (0 if the
// optimizer has no rate, like Adadelta in the lecture's form).
func (o *Chained[T]) LearningRate() float64 {
	if o.lr == nil {
		return 0
	}
	return o.lr.Rate(o.t + 1)
}

// SetLearningRate changes the base rate for the following steps (a schedule,
// if set, is scaled by it). It returns false if the optimizer has no rate.
func (o *Chained[T]) SetLearningRate(lr float64) bool {
	if o.lr == nil {
		return false
	}
	o.lr.LR = lr
	return true
}

// Transform returns the optimizer's transformation, whose stages' exported
// hyperparameters may be changed between steps.
func (o *Chained[T]) Transform() Transform[T] { return o.tr }

// Step applies one update to w from the gradient g, which it does not
// modify.
func (o *Chained[T]) Step(w, g []T) {
	if len(w) != len(g) {
		panic(fmt.Sprintf("optim.%s: %d parameters, %d gradients", o.Name, len(w), len(g)))
	}
	if o.plan == nil {
		o.setRanges([][2]int{{0, len(w)}})
	}
	o.step(w, g)
}

// StepRanges applies one update to the parameters w[lo:hi] of the given
// ranges only, from the gradient g (same length as w); the optimizer's state
// covers the ranges end to end. It is how Groups gives each parameter group
// its own optimizer. The ranges must be the same at every step.
func (o *Chained[T]) StepRanges(w, g []T, ranges [][2]int) {
	if len(w) != len(g) {
		panic(fmt.Sprintf("optim.%s: %d parameters, %d gradients", o.Name, len(w), len(g)))
	}
	if o.plan == nil {
		o.setRanges(ranges)
	} else if !sameRanges(o.ranges, ranges) {
		panic(fmt.Sprintf("optim.%s: parameter ranges changed from %v to %v", o.Name, o.ranges, ranges))
	}
	o.step(w, g)
}

func sameRanges(a, b [][2]int) bool {
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

// setRanges plans the blocks for the given ranges and allocates the state.
func (o *Chained[T]) setRanges(ranges [][2]int) {
	n := 0
	o.plan = o.plan[:0]
	for _, r := range ranges {
		if r[0] < 0 || r[1] < r[0] {
			panic(fmt.Sprintf("optim.%s: bad parameter range %v", o.Name, r))
		}
		for at := r[0]; at < r[1]; at += blockSize {
			l := min(blockSize, r[1]-at)
			o.plan = append(o.plan, block{at: at, off: n, n: l})
			n += l
		}
	}
	o.ranges = append([][2]int(nil), ranges...)
	if o.n != n {
		if o.n >= 0 {
			panic(fmt.Sprintf("optim.%s: state is for %d parameters, got %d", o.Name, o.n, n))
		}
		o.tr.Init(n)
		o.n = n
	}
}

func (o *Chained[T]) step(w, g []T) {
	if last := o.ranges[len(o.ranges)-1][1]; last > len(w) {
		panic(fmt.Sprintf("optim.%s: parameter range ends at %d, vector has %d", o.Name, last, len(w)))
	}
	o.t++
	if p, ok := o.tr.(Preparer[T]); ok {
		p.Prepare(g, w, o.t)
	}
	o.w, o.g = w, g
	if o.fuse != nil && !o.Unfused && o.fuse.ready(o.t) {
		parallel.For(len(o.plan), 64, o.fusedFn)
	} else {
		parallel.For(len(o.plan), 64, o.blocks)
	}
	o.w, o.g = nil, nil
}

// runFused runs the fused kernel on blocks [lo, hi) of the step in
// progress.
func (o *Chained[T]) runFused(lo, hi int) {
	for _, b := range o.plan[lo:hi] {
		o.fuse.run(o.w, o.g, b)
	}
}

// runBlocks runs the chain on blocks [lo, hi) of the step in progress and
// adds the updates to the parameters while the block is in cache. The
// update is built in a block-sized scratch buffer, so the gradient is only
// read: per step, memory sees one read of w, g and the state and one write
// of w and the state.
func (o *Chained[T]) runBlocks(lo, hi int) {
	w, g, t := o.w, o.g, o.t
	sp := o.scratch.Get()
	for _, b := range o.plan[lo:hi] {
		u, ww := (*sp)[:b.n], w[b.at:b.at+b.n]
		copy(u, g[b.at:b.at+b.n])
		o.tr.Update(u, ww, b.off, t)
		for i := range ww {
			ww[i] += u[i]
		}
	}
	o.scratch.Put(sp)
}

// Group is a set of parameters, given as ranges of the flat vector, with
// the optimizer that updates them.
type Group[T Float] struct {
	Ranges    [][2]int
	Optimizer *Chained[T]
}

// Groups gives each parameter group its own optimizer and hyperparameters,
// like torch.optim's parameter groups or Optax's multi_transform: for
// instance AdamW with weight decay on weights and without on biases and
// normalization scales. Parameters in no group are left alone.
type Groups[T Float] []Group[T]

// Step updates every group from the gradient g.
func (gs Groups[T]) Step(w, g []T) {
	for _, gr := range gs {
		gr.Optimizer.StepRanges(w, g, gr.Ranges)
	}
}
