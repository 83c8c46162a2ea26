package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/tensor"
)

// DefaultChunk is the number of examples per forward and backward pass
// when FullBatch and MiniBatch evaluate the objective.
const DefaultChunk = 2048

// FullBatch is the training objective of the lecture over a whole dataset,
//
//	E(w) = 1/N Σᵢ l(xᵢ, yᵢ, w) + λR(w),
//
// as an optim.Function of the model's flat parameter vector, for the
// full-batch methods of package optim (gradient descent, L-BFGS, conjugate
// gradients, Newton). Eval runs the model over the examples in chunks,
// accumulating the mean gradient with each chunk weighted by its size, and
// adds λR(w) and its gradient once. It evaluates the model as it is:
// models whose training-mode output is random or depends on the batch
// (dropout, batch normalization) should be put in evaluation mode, since
// the methods need a deterministic function.
//
// For linear models (a Linear layer, optionally after Flatten) with the
// softmax cross-entropy, logistic or MSE loss, FullBatch also computes exact
// Hessian-vector products (see HessVec), which Newton and NewtonCG use. A
// FullBatch is not safe for concurrent use.
type FullBatch[T Float] struct {
	ev evaluator[T]
}

// NewFullBatch returns the objective obj over all of ds, evaluated chunk
// examples at a time (0 for DefaultChunk). The model's parameters must be
// packed (obj.Params).
func NewFullBatch[T Float](obj *nn.Objective[T], ds data.Dataset, chunk int) (*FullBatch[T], error) {
	f := &FullBatch[T]{}
	if err := f.ev.init(obj, ds, chunk); err != nil {
		return nil, err
	}
	return f, nil
}

// Eval stores ∇E(x) in grad and returns E(x). x (and grad) must have the
// length of the parameter vector; x is copied into the model's parameters
// unless it is that very slice, and the parameters keep x afterwards.
func (f *FullBatch[T]) Eval(x, grad []T) (float64, error) { return f.ev.eval(x, grad, nil) }

// HessVec stores ∇²E(x)·v in hv, exactly, for linear models: with the
// outputs z = Wx + b of each example and u = Vx + c their derivative along
// v = (V, c), it is the forward-over-reverse product
//
//	∇²E·v = 1/N Σᵢ (∂²l/∂z²)ᵢ uᵢ ⊗ (xᵢ, 1) + 2λv,
//
// with ∂²l/∂z² = diag(p) − ppᵀ (softmax, p = softmax(z)), σ(z)(1 − σ(z))
// (logistic) or 2/K·I (MSE over K outputs). For other models it returns an
// error wrapping optim.ErrNoHessian, and the methods difference gradients
// instead.
func (f *FullBatch[T]) HessVec(x, v, hv []T) error { return f.ev.hessVec(x, v, hv, nil) }

// Exact reports whether HessVec is exact (the model is linear).
func (f *FullBatch[T]) Exact() bool { return f.ev.glm != nil }

// Len returns the number of examples.
func (f *FullBatch[T]) Len() int { return f.ev.ds.Len() }

// Evaluations returns the number of calls of Eval so far.
func (f *FullBatch[T]) Evaluations() int { return f.ev.evals }

// MiniBatch is the batch stochastic objective E_B(w) = 1/|B| Σ_{i∈B} l + λR(w)
// on a mini-batch B of a dataset that changes every Reuse iterations of a
// full-batch method: quasi-Newton "in batch mode", as the lecture puts it.
// Why the same batch over several iterations: a line search compares values
// of f, and L-BFGS learns the curvature from yₖ = ∇f(xₖ₊₁) − ∇f(xₖ); both
// must come from one function, or they measure the difference between two
// batches (sampling noise) instead of the curvature.
//
// MiniBatch therefore changes the batch only between iterations and says
// so: it implements optim.IterationStarter, and Minimize, told of a change,
// evaluates f and ∇f again at the current point on the new batch (one more
// evaluation per change), so that every line search and every pair (sₖ, yₖ)
// sees a single batch. Holding the batch for K iterations saves those
// evaluations and lets the method converge on one function; a small batch
// held too long is overfitted. The first batch is drawn by NewMiniBatch, the
// next ones before iterations 1+K, 1+2K, …. Batches are consecutive slices
// of seeded random permutations of the dataset (a new permutation when one
// is used up), so the same seed gives the same batches.
type MiniBatch[T Float] struct {
	ev    evaluator[T]
	size  int
	reuse int
	rng   *rand.Rand
	perm  []int
	pos   int
	batch []int
	draws int
}

// NewMiniBatch returns the objective obj on mini-batches of batchSize
// examples of ds (at most ds.Len()), each kept for reuse ≥ 1 iterations,
// drawn from a PCG source seeded with seed.
func NewMiniBatch[T Float](obj *nn.Objective[T], ds data.Dataset, batchSize, reuse int, seed uint64) (*MiniBatch[T], error) {
	m := &MiniBatch[T]{size: batchSize, reuse: reuse}
	if err := m.ev.init(obj, ds, batchSize); err != nil {
		return nil, err
	}
	if batchSize < 1 || batchSize > ds.Len() {
		return nil, fmt.Errorf("train: mini-batch size %d, want 1 to %d (the examples)", batchSize, ds.Len())
	}
	if reuse < 1 {
		return nil, fmt.Errorf("train: reuse-batch %d, want at least 1 iteration per batch", reuse)
	}
	m.rng = rand.New(rand.NewPCG(seed, 0x6a09e667f3bcc909))
	m.perm = make([]int, ds.Len())
	for i := range m.perm {
		m.perm[i] = i
	}
	m.pos = len(m.perm)
	m.draw()
	return m, nil
}

// draw makes the next batch current.
func (m *MiniBatch[T]) draw() {
	if m.pos+m.size > len(m.perm) {
		m.rng.Shuffle(len(m.perm), func(i, j int) { m.perm[i], m.perm[j] = m.perm[j], m.perm[i] })
		m.pos = 0
	}
	m.batch = m.perm[m.pos : m.pos+m.size]
	m.pos += m.size
	m.draws++
}

// StartIteration draws a new batch before iterations 1+K, 1+2K, … (K =
// reuse) and reports whether it did.
func (m *MiniBatch[T]) StartIteration(iter int) bool {
	if iter > 1 && (iter-1)%m.reuse == 0 {
		m.draw()
		return true
	}
	return false
}

// Eval stores ∇E_B(x) in grad and returns E_B(x) on the current batch.
func (m *MiniBatch[T]) Eval(x, grad []T) (float64, error) { return m.ev.eval(x, grad, m.batch) }

// HessVec stores ∇²E_B(x)·v in hv on the current batch; see
// FullBatch.HessVec.
func (m *MiniBatch[T]) HessVec(x, v, hv []T) error { return m.ev.hessVec(x, v, hv, m.batch) }

// Batch returns the dataset indices of the current batch (a view; do not
// modify).
func (m *MiniBatch[T]) Batch() []int { return m.batch }

// Draws returns the number of batches drawn so far.
func (m *MiniBatch[T]) Draws() int { return m.draws }

// Evaluations returns the number of calls of Eval so far.
func (m *MiniBatch[T]) Evaluations() int { return m.ev.evals }

// evaluator computes the objective, its gradient and Hessian-vector
// products over a set of examples, chunk by chunk.
type evaluator[T Float] struct {
	obj     *nn.Objective[T]
	ds      data.Dataset
	dense   *data.Dense
	chunk   int
	feat    int
	example []int
	tp      *autograd.Tape[T]
	xbuf    []T
	ybuf    []int
	shape   []int
	in      tensor.Tensor[T]
	evals   int
	glm     *glm[T]
}

func (e *evaluator[T]) init(obj *nn.Objective[T], ds data.Dataset, chunk int) error {
	switch {
	case obj == nil || obj.Model == nil || obj.Loss == nil || obj.Params == nil:
		return errors.New("train: the objective needs a model, packed parameters and a loss")
	case ds == nil || ds.Len() == 0:
		return errors.New("train: empty dataset")
	case chunk < 0:
		return fmt.Errorf("train: chunk %d, want a positive number of examples (0 for %d)", chunk, DefaultChunk)
	case math.IsNaN(obj.Lambda) || math.IsInf(obj.Lambda, 0) || obj.Lambda < 0:
		return fmt.Errorf("train: λ = %v, want a finite value ≥ 0", obj.Lambda)
	}
	if chunk == 0 {
		chunk = DefaultChunk
	}
	e.obj, e.ds, e.chunk = obj, ds, min(chunk, ds.Len())
	e.dense, _ = ds.(*data.Dense)
	e.example = ds.Shape()
	e.feat = data.Features(ds)
	e.tp = autograd.NewTape[T]()
	e.glm = newGLM(obj, e.feat)
	return nil
}

// load copies x into the parameters unless it is their storage.
func (e *evaluator[T]) load(x []T, what string, others ...[]T) error {
	n := len(e.obj.Params.Data)
	if len(x) != n {
		return fmt.Errorf("train: %s: point of length %d for %d parameters", what, len(x), n)
	}
	for _, o := range others {
		if len(o) != n {
			return fmt.Errorf("train: %s: vector of length %d for %d parameters", what, len(o), n)
		}
	}
	if n > 0 && &x[0] != &e.obj.Params.Data[0] {
		copy(e.obj.Params.Data, x)
	}
	return nil
}

// input returns examples lo…hi−1 of idx (of the dataset if idx is nil) as
// the model's input and their labels.
func (e *evaluator[T]) input(idx []int, lo, hi int) (*tensor.Tensor[T], []int) {
	n := hi - lo
	e.shape = append(append(e.shape[:0], n), e.example...)
	e.in.Shape = e.shape
	f := e.feat
	if idx == nil && e.dense != nil {
		xs := e.dense.X[lo*f : hi*f]
		if v, ok := any(xs).([]T); ok {
			e.in.Data = v
			return &e.in, e.dense.Y[lo:hi]
		}
		e.xbuf = grow(e.xbuf, n*f)
		for i, v := range xs {
			e.xbuf[i] = T(v)
		}
		e.in.Data = e.xbuf
		return &e.in, e.dense.Y[lo:hi]
	}
	e.xbuf = grow(e.xbuf, n*f)
	if cap(e.ybuf) < n {
		e.ybuf = make([]int, n)
	}
	e.ybuf = e.ybuf[:n]
	for k := lo; k < hi; k++ {
		i := k
		if idx != nil {
			i = idx[k]
		}
		xs, y := e.ds.Example(i)
		dst := e.xbuf[(k-lo)*f : (k-lo+1)*f]
		for j, v := range xs {
			dst[j] = T(v)
		}
		e.ybuf[k-lo] = y
	}
	e.in.Data = e.xbuf
	return &e.in, e.ybuf
}

func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

// eval returns E(x) over idx (all examples if nil) and stores ∇E in grad.
func (e *evaluator[T]) eval(x, grad []T, idx []int) (float64, error) {
	if err := e.load(x, "Eval", grad); err != nil {
		return 0, err
	}
	e.evals++
	ps := e.obj.Params
	ps.ZeroGrad()
	total := e.ds.Len()
	if idx != nil {
		total = len(idx)
	}
	var sum float64
	for lo := 0; lo < total; lo += e.chunk {
		hi := min(lo+e.chunk, total)
		in, labels := e.input(idx, lo, hi)
		tp := e.tp
		tp.Reset()
		out := e.obj.Model.Forward(tp, tp.Const(in))
		l := e.obj.Loss.Forward(tp, out, labels)
		lv := float64(l.Value.Item())
		if math.IsNaN(lv) || math.IsInf(lv, 0) {
			copy(grad, ps.Grad)
			return lv, nil // the method reports it, naming the iteration
		}
		w := float64(hi-lo) / float64(total)
		sum += lv * w
		tp.Backward(tp.Scale(l, T(w)))
	}
	f := sum
	if lam := e.obj.Lambda; lam != 0 {
		f += lam * ps.SumSquares(e.obj.SkipNoDecay)
		ps.AddL2Grad(lam, e.obj.SkipNoDecay)
	}
	if len(grad) > 0 && &grad[0] != &ps.Grad[0] {
		copy(grad, ps.Grad)
	}
	return f, nil
}

// hessVec stores ∇²E(x)·v over idx in hv.
func (e *evaluator[T]) hessVec(x, v, hv []T, idx []int) error {
	if e.glm == nil {
		return fmt.Errorf("train: %w: the model is not a single linear layer with a softmax, logistic or MSE loss", optim.ErrNoHessian)
	}
	if err := e.load(x, "HessVec", v, hv); err != nil {
		return err
	}
	total := e.ds.Len()
	if idx != nil {
		total = len(idx)
	}
	clear(hv)
	for lo := 0; lo < total; lo += e.chunk {
		hi := min(lo+e.chunk, total)
		in, labels := e.input(idx, lo, hi)
		e.glm.accumulate(in, labels, v, hv, 1/float64(total))
	}
	if lam := e.obj.Lambda; lam != 0 {
		ps := e.obj.Params
		c := T(2 * lam)
		for i, p := range ps.List {
			if e.obj.SkipNoDecay && p.NoDecay {
				continue
			}
			for j := ps.Offsets[i]; j < ps.Offsets[i+1]; j++ {
				hv[j] += c * v[j]
			}
		}
	}
	return nil
}

// glm computes exact Hessian-vector products of a linear model z = Wx + b
// under a softmax, logistic or MSE loss.
type glm[T Float] struct {
	lin        *nn.Linear[T]
	loss       int // glmSoftmax, glmLogistic or glmMSE
	wOff, bOff int // offsets of W and b in the flat vector (bOff < 0: no bias)
	z, u       tensor.Tensor[T]
}

const (
	glmSoftmax = iota
	glmLogistic
	glmMSE
)

// newGLM recognizes a linear model (a Linear layer, alone or after
// Flatten) with a loss whose Hessian in the outputs it knows.
func newGLM[T Float](obj *nn.Objective[T], features int) *glm[T] {
	lin := linearOnly(obj.Model)
	if lin == nil || lin.In != features {
		return nil
	}
	g := &glm[T]{lin: lin, wOff: -1, bOff: -1}
	switch obj.Loss.(type) {
	case nn.SoftmaxCrossEntropy[T], *nn.SoftmaxCrossEntropy[T]:
		g.loss = glmSoftmax
	case *nn.Logistic[T]:
		if lin.Out != 1 {
			return nil
		}
		g.loss = glmLogistic
	case *nn.MSE[T]:
		g.loss = glmMSE
	default:
		return nil
	}
	ps := obj.Params
	for i, p := range ps.List {
		switch p {
		case lin.Weight:
			g.wOff = ps.Offsets[i]
		case lin.Bias:
			g.bOff = ps.Offsets[i]
		}
	}
	if g.wOff < 0 || (lin.Bias != nil && g.bOff < 0) || len(ps.List) != len(lin.Parameters()) {
		return nil
	}
	return g
}

// linearOnly returns the model's Linear layer if the model is one, alone
// or after parameter-free Flatten layers.
func linearOnly[T Float](m nn.Module[T]) *nn.Linear[T] {
	switch m := m.(type) {
	case *nn.Linear[T]:
		return m
	case *nn.Sequential[T]:
		var lin *nn.Linear[T]
		for _, l := range m.Layers {
			if ll, ok := l.(*nn.Linear[T]); ok && lin == nil {
				lin = ll
				continue
			}
			if s, ok := l.(fmt.Stringer); ok && lin == nil && s.String() == "Flatten" && len(l.Parameters()) == 0 {
				continue
			}
			return nil
		}
		return lin
	}
	return nil
}

// accumulate adds scale·Σ (∂²l/∂z²) u ⊗ (x, 1) over the chunk x to hv,
// for the direction v.
func (g *glm[T]) accumulate(x *tensor.Tensor[T], labels []int, v, hv []T, scale float64) {
	lin := g.lin
	rows, in, out := len(labels), lin.In, lin.Out
	x2 := tensor.Tensor[T]{Shape: []int{rows, in}, Data: x.Data[:rows*in]}
	for _, t := range []*tensor.Tensor[T]{&g.z, &g.u} {
		t.Shape = append(t.Shape[:0], rows, out)
		t.Data = grow(t.Data, rows*out)
	}
	w := tensor.Tensor[T]{Shape: []int{out, in}, Data: lin.Weight.Value.Data}
	vw := tensor.Tensor[T]{Shape: []int{out, in}, Data: v[g.wOff : g.wOff+out*in]}
	tensor.MatMul(&g.u, &x2, &vw, false, true)
	if g.loss != glmMSE {
		tensor.MatMul(&g.z, &x2, &w, false, true)
	}
	if g.bOff >= 0 {
		b := lin.Bias.Value.Data
		vb := v[g.bOff : g.bOff+out]
		for r := 0; r < rows; r++ {
			zr, ur := g.z.Data[r*out:(r+1)*out], g.u.Data[r*out:(r+1)*out]
			for j := range ur {
				ur[j] += vb[j]
				if g.loss != glmMSE {
					zr[j] += b[j]
				}
			}
		}
	}
	// u ← (∂²l/∂z²)·u, row by row, times scale.
	switch g.loss {
	case glmSoftmax:
		for r := 0; r < rows; r++ {
			zr, ur := g.z.Data[r*out:(r+1)*out], g.u.Data[r*out:(r+1)*out]
			m := math.Inf(-1)
			for _, z := range zr {
				m = max(m, float64(z))
			}
			var s float64
			for j, z := range zr {
				p := math.Exp(float64(z) - m)
				zr[j] = T(p)
				s += p
			}
			var pu float64
			for j := range zr {
				zr[j] = T(float64(zr[j]) / s)
				pu += float64(zr[j]) * float64(ur[j])
			}
			for j, p := range zr {
				ur[j] = T(scale * float64(p) * (float64(ur[j]) - pu))
			}
		}
	case glmLogistic:
		for r := 0; r < rows; r++ {
			s := 1 / (1 + math.Exp(-float64(g.z.Data[r])))
			g.u.Data[r] = T(scale * s * (1 - s) * float64(g.u.Data[r]))
		}
	case glmMSE:
		c := T(scale * 2 / float64(out))
		for i := range g.u.Data {
			g.u.Data[i] *= c
		}
	}
	hw := tensor.Tensor[T]{Shape: []int{out, in}, Data: hv[g.wOff : g.wOff+out*in]}
	tensor.MatMulAcc(&hw, &g.u, &x2, true, false, 1)
	if g.bOff >= 0 {
		hb := hv[g.bOff : g.bOff+out]
		for r := 0; r < rows; r++ {
			tensor.Axpy(1, g.u.Data[r*out:(r+1)*out], hb)
		}
	}
}

// IterationStats describes one iteration of a BatchTrainer. The JSON names
// are those of `descent train --json` for full-batch methods.
type IterationStats struct {
	// Iteration counts from 0 (the starting point).
	Iteration int `json:"iteration"`
	// Objective is E(w) on the training set (on the current batch with
	// BatchSize set) and GradNorm is ‖∇E(w)‖.
	Objective float64 `json:"objective"`
	GradNorm  float64 `json:"grad_norm"`
	// Evaluations counts the evaluations of E and ∇E so far.
	Evaluations int `json:"evaluations"`
	// Tested reports whether the test set was evaluated at this iteration;
	// TestLoss and TestAccuracy (a fraction) are set only then.
	Tested       bool    `json:"tested"`
	TestLoss     float64 `json:"test_loss"`
	TestAccuracy float64 `json:"test_accuracy"`
	// Seconds is the training time so far, test evaluations excluded.
	Seconds float64 `json:"seconds"`
}

// BatchTrainer trains a model with a full-batch method of package optim
// (optim.GradientDescent, LBFGS, ConjugateGradient, Newton, NewtonCG): on
// the whole training set (FullBatch) or, with BatchSize set, on mini-batches
// kept for ReuseBatch iterations each (MiniBatch).
type BatchTrainer[T Float] struct {
	// Objective is the model, its packed parameters, the loss and λ.
	Objective *nn.Objective[T]
	// Method is the optimization method.
	Method optim.Method[T]
	// Settings are the stopping rules (iterations, evaluations,
	// tolerances).
	Settings optim.Settings
	// BatchSize, if positive, trains on mini-batches of that size instead
	// of the full training set.
	BatchSize int
	// ReuseBatch is K, the iterations per mini-batch (default 1).
	ReuseBatch int
	// Seed seeds the mini-batches.
	Seed uint64
	// Chunk is the number of examples per forward/backward pass (default
	// DefaultChunk).
	Chunk int
	// EvalEvery evaluates on the test set every that many iterations (0:
	// only after the last one).
	EvalEvery int
	// EvalBatch is the batch size of test evaluations (default 1000).
	EvalBatch int
	// OnIteration, if set, is called at the start (iteration 0) and after
	// every iteration; if the test set was not evaluated after the last
	// iteration, it is called once more for that iteration with Tested set.
	OnIteration func(IterationStats)
}

// Fit minimizes the objective on trainSet from the model's current
// parameters, evaluating on testSet (which may be nil) as EvalEvery says
// and at the end, and leaves the result in the model's parameters. It
// returns the method's result (which says why it stopped) and, for failed
// runs (line search failure, NaN or Inf, with the iteration named), an
// error wrapping optim's; the parameters then hold the last good point,
// already evaluated on testSet. It stops with ctx's error when ctx is
// cancelled.
func (t *BatchTrainer[T]) Fit(ctx context.Context, trainSet, testSet data.Dataset) (optim.Result[T], error) {
	var res optim.Result[T]
	if t.Objective == nil || t.Method == nil {
		return res, errors.New("train: BatchTrainer needs an objective and a method")
	}
	if t.EvalEvery < 0 {
		return res, fmt.Errorf("train: EvalEvery %d, want ≥ 0", t.EvalEvery)
	}
	var f optim.Function[T]
	var evals func() int
	if t.BatchSize > 0 {
		k := t.ReuseBatch
		if k == 0 {
			k = 1
		}
		mb, err := NewMiniBatch(t.Objective, trainSet, t.BatchSize, k, t.Seed)
		if err != nil {
			return res, err
		}
		f, evals = mb, mb.Evaluations
	} else {
		fb, err := NewFullBatch(t.Objective, trainSet, t.Chunk)
		if err != nil {
			return res, err
		}
		f, evals = fb, fb.Evaluations
	}
	params := t.Objective.Params
	start := time.Now()
	var tested time.Duration
	var testErr error
	lastTested := false
	report := func(iter int, x []T, fx, gnorm float64, final bool) {
		st := IterationStats{Iteration: iter, Objective: fx, GradNorm: gnorm, Evaluations: evals()}
		st.Seconds = (time.Since(start) - tested).Seconds()
		if testSet != nil && (final || (t.EvalEvery > 0 && iter%t.EvalEvery == 0)) {
			t0 := time.Now()
			copy(params.Data, x)
			st.TestLoss, st.TestAccuracy, testErr = Evaluate(t.Objective.Model, t.Objective.Loss, testSet, t.EvalBatch)
			st.Tested = testErr == nil
			tested += time.Since(t0)
		}
		lastTested = st.Tested
		if t.OnIteration != nil {
			t.OnIteration(st)
		}
	}
	res, err := optim.Minimize(f, params.Data, t.Method, t.Settings, func(iter int, x []T, fx, gnorm float64) bool {
		if ctx.Err() != nil {
			return false
		}
		report(iter, x, fx, gnorm, false)
		return testErr == nil && ctx.Err() == nil
	})
	if len(res.X) != len(params.Data) { // the run did not start
		return res, fmt.Errorf("train: %w", err)
	}
	copy(params.Data, res.X)
	if cerr := ctx.Err(); cerr != nil {
		return res, cerr
	}
	if testErr != nil {
		return res, testErr
	}
	// The last good point is evaluated on the test set even when the
	// method failed (e.g. a line search at the limit of precision).
	if testSet != nil && !lastTested {
		report(res.Iterations, res.X, res.F, res.GradNorm, true)
	}
	if err != nil {
		return res, fmt.Errorf("train: %w", err)
	}
	return res, testErr
}
