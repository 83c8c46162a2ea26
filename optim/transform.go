package optim

import (
	"fmt"

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
}

// NewChained returns an optimizer applying tr. State is allocated on the
// first Step.
func NewChained[T Float](name string, tr Transform[T]) *Chained[T] {
	o := &Chained[T]{Name: name, tr: tr, n: -1}
	o.lr = findLR(tr)
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

// Step applies one update to w from the gradient g. g is used as scratch and
// holds the applied update u (w_new − w_old) afterwards.
func (o *Chained[T]) Step(w, g []T) {
	if len(w) != len(g) {
		panic(fmt.Sprintf("optim.%s: %d parameters, %d gradients", o.Name, len(w), len(g)))
	}
	if o.n != len(w) {
		if o.n >= 0 {
			panic(fmt.Sprintf("optim.%s: state is for %d parameters, got %d", o.Name, o.n, len(w)))
		}
		o.tr.Init(len(w))
		o.n = len(w)
	}
	o.t++
	t := o.t
	if p, ok := o.tr.(Preparer[T]); ok {
		p.Prepare(g, w, t)
	}
	blocks := (len(w) + blockSize - 1) / blockSize
	parallel.For(blocks, 64, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			off := b * blockSize
			end := min(off+blockSize, len(w))
			u, ww := g[off:end], w[off:end]
			o.tr.Update(u, ww, off, t)
			for i := range ww {
				ww[i] += u[i]
			}
		}
	})
}
