package linear

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/descent-ml/descent/internal/parallel"
	"github.com/descent-ml/descent/optim"
)

// Method is a training method.
type Method int

// The methods.
const (
	// SGD is Bottou's stochastic gradient descent: one example per step,
	// rate η_t = η₀/(1 + λη₀t), steps of O(nonzeros).
	SGD Method = iota
	// ASGD is averaged SGD (Polyak–Ruppert): rate η₀/(1 + λη₀t)^0.75 and the
	// running average of the iterates from AverageStart on, kept lazily in
	// O(nonzeros) per step, as Bottou's svmasgd.
	ASGD
	// Hogwild is SGD run by Workers goroutines at once on disjoint parts of
	// the data, updating shared weights without locks (Niu, Recht, Ré and
	// Wright 2011), by default through private replicas merged every few
	// thousand examples (see Settings.HogwildSync).
	Hogwild
	// GD is full-batch gradient descent with a backtracking line search
	// (optim.GradientDescent).
	GD
	// LBFGS is limited-memory BFGS with a strong Wolfe line search
	// (optim.LBFGS).
	LBFGS
	// CG is nonlinear conjugate gradients, Polak–Ribière+
	// (optim.ConjugateGradient).
	CG
)

var methodNames = [...]string{SGD: "sgd", ASGD: "asgd", Hogwild: "hogwild", GD: "gd", LBFGS: "lbfgs", CG: "cg"}

// String returns the command-line name: sgd, asgd, hogwild, gd, lbfgs or
// cg.
func (m Method) String() string {
	if m >= 0 && int(m) < len(methodNames) {
		return methodNames[m]
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// ParseMethod returns the method of the given command-line name.
func ParseMethod(name string) (Method, error) {
	for m, n := range methodNames {
		if n == name {
			return Method(m), nil
		}
	}
	return 0, fmt.Errorf("linear: unknown method %q: want sgd, asgd, hogwild, gd, lbfgs or cg", name)
}

// Stochastic reports whether the method visits one example per step (SGD,
// ASGD, Hogwild) rather than all of them per iteration.
func (m Method) Stochastic() bool { return m == SGD || m == ASGD || m == Hogwild }

// Settings configure Train. A zero field takes the default given with it.
type Settings struct {
	Method Method
	Loss   Loss
	// Lambda is λ ≥ 0 of the regularizer λ/2 ‖w‖².
	Lambda float64
	// Epochs is the number of passes over the data of the stochastic
	// methods, or of iterations of the batch methods (default 5).
	Epochs int
	// Eta0 is the initial rate η₀ of the stochastic methods; 0 calibrates
	// it as Bottou does: starting from 1, it doubles or halves η while one
	// pass of SGD at constant rate η over a sample of the data lowers the
	// objective on the sample more, and keeps the best. η₀λ must be below 1.
	Eta0 float64
	// Calibration is the size of that sample (default 1000 examples, the
	// first of the first epoch's order).
	Calibration int
	// BiasRate multiplies the rate of the bias (default 0.01, Bottou's
	// choice, for data normalized like TF-IDF vectors).
	BiasRate float64
	// NoBias fixes the bias at 0.
	NoBias bool
	// AverageStart is the number of epochs of plain SGD before ASGD starts
	// averaging (default 1, as svmasgd; negative for 0).
	AverageStart float64
	// Workers is the number of Hogwild goroutines (default
	// runtime.GOMAXPROCS). More goroutines than cores take turns in time
	// slices, so that a descheduled one's changes arrive thousands of
	// steps late: with replicas, about one run in a few hundred then ends
	// a few points worse (measured with 4 goroutines on 2 busy cores).
	// Keep it at most the number of cores.
	Workers int
	// HogwildSync sets how the Hogwild goroutines share the weights.
	// Positive: every goroutine keeps a private replica of the weights and
	// adds its changes to the shared weights every HogwildSync examples,
	// without locks (in the manner of Zhang, Hsieh and Akella's HOGWILD!++,
	// 2016). Negative: no replicas; every step updates the shared weights,
	// as Niu et al. On this project's two-core machine the shared weights
	// then pass between the cores' caches at almost every access, which
	// costs as much time as the second core brings (see BENCHMARKS.md).
	// Zero (the default) chooses: replicas merged every 16·Dim/(nonzeros
	// per example) examples when the examples are nearly orthogonal, as
	// bags of words are, and numerous enough for several merges per epoch;
	// shared weights otherwise (dense data, on which the delayed steps of
	// replicas would overshoot, and small sets).
	HogwildSync int
	// Shuffle visits the examples in a fresh random order every epoch;
	// otherwise in the order of the data, as Bottou's programs do (the data
	// should then be in random order already). Hogwild splits that order
	// into one contiguous part per goroutine.
	Shuffle bool
	// Seed seeds the shuffling.
	Seed uint64
	// Anneal is the fraction of the stochastic methods' steps, at the end
	// of training, over which their rate falls linearly to zero (0, the
	// default: none; 1: the whole run). The last iterate of plain SGD then
	// settles instead of wandering at the size of the final rate: on a9a
	// with λ = 1/N, 5 epochs of SGD land between 81.9% and 84.6% test
	// accuracy over seeds without it and within 0.2 points of the optimum's
	// 84.95% with Anneal = 0.5. The rate is Bottou's η₀/(1 + λη₀t) times the
	// linear ramp (for SGD and Hogwild to first order in λη₀·steps, so that
	// the lazy L2 shrink stays exact; see schedule).
	Anneal float64
	// GradTol stops the batch methods once the gradient norm is at most
	// GradTol (default optim.DefaultGradTol; negative: run all Epochs
	// iterations). A line search that fails after the gradient has shrunk
	// a millionfold counts as convergence, not as an error.
	GradTol float64
	// OnEpoch, if not nil, is called after every epoch (every iteration of
	// the batch methods). Its time is not counted as training time. An
	// error stops training: Train returns the model so far and the error,
	// or no error for ErrStop.
	OnEpoch func(Progress) error
}

// ErrStop may be returned by Settings.OnEpoch to stop training early
// without an error.
var ErrStop = errors.New("stop training")

// Progress is what Train reports after every epoch.
type Progress struct {
	// Epoch counts the passes (iterations of the batch methods) from 1.
	Epoch int
	// Seconds is the training time so far, η₀ calibration included,
	// callbacks excluded.
	Seconds float64
	// Model is the current model (for ASGD, the average). Train updates
	// this same value in place after every epoch and returns it at the end.
	Model *Model
	// Eta0 is the initial rate of the stochastic methods.
	Eta0 float64
	// Evaluations counts the objective evaluations of the batch methods.
	Evaluations int
}

// resolve fills in the defaults and checks the settings.
func (s Settings) resolve(p *Problem) (Settings, error) {
	bad := func(format string, args ...any) (Settings, error) {
		return s, fmt.Errorf("linear: "+format, args...)
	}
	if s.Epochs == 0 {
		s.Epochs = 5
	}
	if s.Calibration == 0 {
		s.Calibration = 1000
	}
	if s.BiasRate == 0 {
		s.BiasRate = 0.01
	}
	if s.NoBias {
		s.BiasRate = 0
	}
	if s.AverageStart == 0 {
		s.AverageStart = 1
	}
	if s.AverageStart < 0 {
		s.AverageStart = 0
	}
	if s.Workers == 0 {
		s.Workers = parallel.Workers()
	}
	switch {
	case s.Method < SGD || s.Method > CG:
		return bad("invalid method %v", s.Method)
	case !s.Loss.valid():
		return bad("invalid loss %v", s.Loss)
	case !(s.Lambda >= 0) || math.IsInf(s.Lambda, 0):
		return bad("λ = %v, want a finite number ≥ 0", s.Lambda)
	case s.Epochs < 1:
		return bad("%d epochs, want at least 1", s.Epochs)
	case !(s.Eta0 >= 0) || math.IsInf(s.Eta0, 0):
		return bad("η₀ = %v, want a positive finite rate, or 0 to calibrate it", s.Eta0)
	case s.Eta0*s.Lambda >= 1:
		return bad("η₀λ = %v, want below 1 (the shrink 1 − ηλ must stay positive)", s.Eta0*s.Lambda)
	case s.Calibration < 1:
		return bad("calibration sample of %d examples, want at least 1", s.Calibration)
	case !(s.BiasRate >= 0) || math.IsInf(s.BiasRate, 0):
		return bad("bias rate %v, want a finite number ≥ 0", s.BiasRate)
	case !(s.Anneal >= 0 && s.Anneal <= 1):
		return bad("anneal %v, want a fraction of the run in [0,1]", s.Anneal)
	case math.IsNaN(s.AverageStart) || math.IsInf(s.AverageStart, 0):
		return bad("averaging start %v epochs, want a finite number", s.AverageStart)
	case s.Workers < 1:
		return bad("%d workers, want at least 1", s.Workers)
	case p.Len() == 0:
		return bad("no training examples")
	case p.Len() > math.MaxInt32:
		return bad("%d training examples, at most %d", p.Len(), math.MaxInt32)
	case len(p.Y) != p.Len():
		return bad("%d labels for %d examples", len(p.Y), p.Len())
	}
	for i, y := range p.Y {
		if y < 0 || int(y) >= len(p.Classes) {
			return bad("%w: example %d is of class %d, want [0,%d)", ErrLabels, i, y, len(p.Classes))
		}
	}
	return s, nil
}

// Train fits a model to p with the settings s and returns it. It checks ctx
// between epochs. On an error after training started it returns the model
// so far with the error.
func Train(ctx context.Context, p *Problem, s Settings) (*Model, error) {
	s, err := s.resolve(p)
	if err != nil {
		return nil, err
	}
	m, err := NewModel(s.Loss, p.Classes, p.X.Cols)
	if err != nil {
		return nil, err
	}
	if !s.Method.Stochastic() {
		return trainBatch(ctx, p, s, m)
	}
	return trainSGD(ctx, p, s, m)
}

// clock measures training time with pauses for callbacks.
type clock struct {
	total time.Duration
	start time.Time
}

func (c *clock) run()  { c.start = time.Now() }
func (c *clock) stop() { c.total += time.Since(c.start) }

// seconds returns the time counted so far (while stopped).
func (c *clock) seconds() float64 { return c.total.Seconds() }

// callback calls OnEpoch with the clock stopped.
func callback(s Settings, c *clock, pr Progress) (stop bool, err error) {
	if s.OnEpoch == nil {
		return false, nil
	}
	pr.Seconds = c.seconds()
	if err := s.OnEpoch(pr); err != nil {
		if errors.Is(err, ErrStop) {
			return true, nil
		}
		return true, err
	}
	return false, nil
}

func trainSGD(ctx context.Context, p *Problem, s Settings, m *Model) (*Model, error) {
	var c clock
	c.run()
	N := p.Len()
	var order []int32
	var rng *rand.Rand
	if s.Shuffle {
		rng = rand.New(rand.NewPCG(s.Seed, 0x5eed))
		order = make([]int32, N)
		for i := range order {
			order[i] = int32(i)
		}
		rng.Shuffle(N, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	eta0 := s.Eta0
	if eta0 == 0 {
		eta0 = calibrate(p, s, order)
	}
	r := &sgdRun{
		p: p, loss: s.Loss, lambda: s.Lambda, biasRate: s.BiasRate, k: m.K,
		sched: schedule{eta0: eta0, decay: s.Lambda * eta0, power: 1},
		v:     make([]float32, len(m.W)),
	}
	if s.Anneal > 0 {
		steps := float64(N) * float64(s.Epochs)
		r.sched.annealFrom = math.Floor(steps * (1 - s.Anneal))
		r.sched.annealLen = steps - r.sched.annealFrom
	}
	if s.Method == ASGD {
		r.avg = true
		r.sched.power = 0.75
		r.a = make([]float32, len(m.W))
		r.aZero, r.alpha, r.beta = true, 1, 1
		r.abias = make([]float64, m.K)
		r.avgStartT = s.AverageStart * float64(N)
	}
	var h *hogwild
	if s.Method == Hogwild {
		sync := s.HogwildSync
		if sync == 0 {
			sync = hogwildSync(p, s.Workers, s.Seed)
		}
		h = newHogwild(r, s.Workers, sync)
	}
	wk := newWorker(r.v, m.K)
	wk.renorm = true
	t := 0.0
	for epoch := 1; epoch <= s.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			c.stop()
			return m, err
		}
		if s.Shuffle && epoch > 1 {
			rng.Shuffle(N, func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		switch {
		case h != nil:
			t = h.epoch(order, t)
		case r.avg && m.K == 1:
			t = r.binaryAvgSteps(wk, order, 0, N, t)
		case r.avg || m.K > 1:
			t = r.generalSteps(wk, order, 0, N, t)
		default:
			t = r.binarySteps(wk, order, 0, N, t)
		}
		// Materialize the model.
		switch {
		case h != nil:
			widen(m.W, r.v, 1) // the rounds leave v renormalized
			for k := range m.B {
				m.B[k] = math.Float64frombits(r.sharedBias[k].Load())
			}
		case r.avg:
			r.renormAvg(wk)
			widen(m.W, r.a, 1)
			copy(m.B, r.abias)
		default:
			widen(m.W, r.v, 1/wk.div)
			copy(m.B, wk.b)
		}
		c.stop()
		if !finite(m.W) || !finite(m.B) {
			return m, fmt.Errorf("linear: %v diverged in epoch %d (η₀ = %g): non-finite weights", s.Method, epoch, eta0)
		}
		if stop, err := callback(s, &c, Progress{Epoch: epoch, Model: m, Eta0: eta0}); stop {
			return m, err
		}
		c.run()
	}
	c.stop()
	return m, nil
}

// calibrate chooses η₀ as Bottou's determineEta0: on a sample of the
// data, one pass of SGD at the constant rate η, from zero weights, is
// scored by the regularized objective on the sample; η doubles or halves
// from 1 while that improves.
func calibrate(p *Problem, s Settings, order []int32) float64 {
	n := min(s.Calibration, p.Len())
	rows := make([]int, n)
	for i := range rows {
		rows[i] = rowAt(order, i)
	}
	sample := &Problem{X: p.X.SelectRows(rows), Y: make([]int32, n), Classes: p.Classes}
	for i, r := range rows {
		sample.Y[i] = p.Y[r]
	}
	k := 1
	if !s.Loss.Binary() {
		k = len(p.Classes)
	}
	r := &sgdRun{p: sample, loss: s.Loss, lambda: s.Lambda, biasRate: s.BiasRate, k: k,
		v: make([]float32, sample.X.Cols*k)}
	scratch := make([]float64, k)
	w := make([]float64, len(r.v))
	maxEta := math.Inf(1)
	if s.Lambda > 0 {
		maxEta = 0.5 / s.Lambda
	}
	cost := func(eta float64) float64 {
		if eta > maxEta {
			return math.Inf(1)
		}
		clear(r.v)
		wk := newWorker(r.v, k)
		wk.renorm = true
		r.sched = schedule{eta0: eta, power: 1}
		if k == 1 {
			r.binarySteps(wk, nil, 0, n, 0)
		} else {
			r.generalSteps(wk, nil, 0, n, 0)
		}
		widen(w, r.v, 1/wk.div)
		f := lossRows(s.Loss, w, wk.b, 1, sample.X.Cols, sample, 0, n, nil, nil, 1, scratch)/float64(n) +
			s.Lambda/2*sqNorm(w)
		if math.IsNaN(f) {
			return math.Inf(1)
		}
		return f
	}
	const factor = 2
	loEta := 1.0
	if loEta > maxEta {
		loEta = maxEta
	}
	loCost := cost(loEta)
	hiEta := loEta * factor
	hiCost := cost(hiEta)
	if hiCost < loCost {
		// Larger rates are better: double while that improves.
		for range 64 {
			loEta, loCost = hiEta, hiCost
			hiEta = loEta * factor
			if hiCost = cost(hiEta); !(hiCost < loCost) {
				break
			}
		}
		return loEta
	}
	// Smaller rates are better, or both diverge: halve while that improves
	// (and until the cost is finite).
	for range 64 {
		hiEta, hiCost = loEta, loCost
		loEta = hiEta / factor
		if loCost = cost(loEta); !(loCost < hiCost) && !math.IsInf(hiCost, 1) {
			break
		}
	}
	return hiEta
}

// hogwild runs the epochs of Hogwild SGD. The goroutines take blocks of
// hogwildBlock consecutive examples of the epoch's order from a shared
// counter, so that a goroutine slowed down (by other work on its core) does
// not hold the others back. The example at position p of the order is
// global step t+p, whichever goroutine takes it, and gets the rate η_(t+p).
//
// With shared weights (sync ≤ 0, Niu et al.'s scheme) every step reads and
// writes r.v, the divisor of the weights after the steps before position p
// coming from the telescoping product of divFrom, as in sequential SGD; the
// goroutines meet after every round to renormalize v.
//
// With replicas (sync > 0) every goroutine runs SGD on its own copy of the
// weights, with its own divisor, and every sync examples merges into the
// shared weights, without locks, the change of its copy since its last
// merge, then continues from the shared weights. The shrink and the loss
// steps of the goroutines add up as Hogwild's updates do, delayed by at
// most sync steps; the cores' caches stay private instead of passing every
// weight back and forth.
type hogwild struct {
	r       *sgdRun
	workers []*worker
	sync    int
}

// hogwildBlock is the number of consecutive examples a Hogwild goroutine
// takes at a time (fewer when its replica merges more often).
const hogwildBlock = 1024

func newHogwild(r *sgdRun, n, sync int) *hogwild {
	r.sharedBias = make([]atomic.Uint64, r.k)
	h := &hogwild{r: r, workers: make([]*worker, n), sync: sync}
	for w := range h.workers {
		v := r.v
		if sync > 0 {
			v = make([]float32, len(r.v))
		}
		wk := newWorker(v, r.k)
		wk.sync = 64
		if sync > 0 {
			wk.snap = make([]float32, len(r.v))
			wk.renorm = true
		}
		h.workers[w] = wk
	}
	return h
}

// hogwildMaxDiv bounds the growth of the weights' divisor within one
// round of Hogwild with shared weights, between two renormalizations.
const hogwildMaxDiv = 1e12

// roundLen returns how many global steps from t keep the divisor at most
// hogwildMaxDiv (at least 1, at most rest).
func (h *hogwild) roundLen(t float64, rest int) int {
	d := h.r.sched.decay
	if d == 0 || h.sync > 0 {
		return rest
	}
	// G grows by at most d a step, so divFrom(t, t+R) ≤ 1 + dR/G(t−1)
	// ≤ M when R ≤ (M − 1)·G(t−1)/d.
	n := (hogwildMaxDiv - 1) * h.r.sched.g(t-1) / d
	if n >= float64(rest) {
		return rest
	}
	return max(1, int(n))
}

// epoch runs one pass over order (or the rows in order when nil) from
// global step t, in rounds after each of which the goroutines meet. It
// returns the global step after the pass, with the shared weights r.v
// renormalized.
func (h *hogwild) epoch(order []int32, t float64) float64 {
	r := h.r
	N := r.p.Len()
	for pos := 0; pos < N; {
		R := h.roundLen(t, N-pos)
		size := hogwildBlock
		if h.sync > 0 {
			size = min(size, h.sync)
		}
		blocks := (R + size - 1) / size
		var next atomic.Int64
		var wg sync.WaitGroup
		wg.Add(len(h.workers))
		for w, wk := range h.workers {
			for k := range wk.b {
				wk.b[k] = math.Float64frombits(r.sharedBias[k].Load())
				wk.synced[k] = wk.b[k]
			}
			if h.sync > 0 {
				copy(wk.v, r.v)
				copy(wk.snap, r.v)
				wk.div = 1
			}
			go func() {
				defer wg.Done()
				since := 0
				for {
					blk := int(next.Add(1) - 1)
					if blk >= blocks {
						break
					}
					lo := pos + blk*size
					hi := min(lo+size, pos+R)
					tb := t + float64(lo-pos)
					if h.sync <= 0 {
						wk.div = r.divFrom(t, tb)
					}
					if r.k == 1 {
						r.binarySteps(wk, order, lo, hi, tb)
					} else {
						r.generalSteps(wk, order, lo, hi, tb)
					}
					if since += hi - lo; h.sync > 0 && since >= h.sync {
						h.merge(w, wk)
						since = 0
					}
				}
				if h.sync > 0 {
					h.merge(w, wk)
				}
				r.syncBias(wk)
			}()
		}
		wg.Wait()
		if h.sync <= 0 {
			inv := 1 / r.divFrom(t, t+float64(R))
			parallel.For(len(r.v), 1<<14, func(lo, hi int) { scale32(r.v[lo:hi], inv) })
		}
		t += float64(R)
		pos += R
	}
	return t
}

// merge adds the change of goroutine w's replica since its last merge to
// the shared weights and restarts the replica from them: the steps of the
// goroutines add up, as Hogwild's, delayed by up to sync examples. The
// shared weights are read and written without a lock, as Hogwild's: a
// change that another goroutine's merge overwrites at the same instant is
// lost. Goroutines sweep the weights from different offsets, so that two
// merges at once rarely meet.
func (h *hogwild) merge(w int, wk *worker) {
	m, v, snap := h.r.v, wk.v, wk.snap
	inv := 1 / wk.div
	n := len(m)
	start := w * n / len(h.workers)
	for _, part := range [2][2]int{{start, n}, {0, start}} {
		lo, hi := part[0], part[1]
		m, v, snap := m[lo:hi], v[lo:hi:hi], snap[lo:hi:hi]
		for j := range m {
			x := float32(float64(m[j]) + float64(v[j])*inv - float64(snap[j]))
			m[j], v[j], snap[j] = x, x, x
		}
	}
	wk.div = 1
}

// trainBatch runs a full-batch method of package optim on the objective.
func trainBatch(ctx context.Context, p *Problem, s Settings, m *Model) (*Model, error) {
	var c clock
	c.run()
	obj, err := NewObjective(p, s.Loss, s.Lambda)
	if err != nil {
		return nil, err
	}
	f := &counted{f: obj}
	var method optim.Method[float64]
	switch s.Method {
	case GD:
		method = &optim.GradientDescent[float64]{LineSearch: &optim.Backtracking{}}
	case LBFGS:
		method = &optim.LBFGS[float64]{}
	case CG:
		method = &optim.ConjugateGradient[float64]{}
	}
	var cbErr error
	var g0 float64
	cb := func(iter int, x []float64, fx, gnorm float64) bool {
		if iter == 0 {
			g0 = gnorm
			cbErr = ctx.Err()
			return cbErr == nil
		}
		c.stop()
		defer c.run()
		copy(m.W, x[:len(m.W)])
		copy(m.B, x[len(m.W):])
		if s.NoBias {
			clear(m.B)
		}
		stop, err := callback(s, &c, Progress{Epoch: iter, Model: m, Evaluations: f.n})
		if stop {
			cbErr = err
			return false
		}
		if err := ctx.Err(); err != nil {
			cbErr = err
			return false
		}
		return true
	}
	var fn optim.Function[float64] = f
	if s.NoBias {
		fn = &noBias{f: f, nw: len(m.W)}
	}
	res, err := optim.Minimize(fn, make([]float64, obj.Len()), method, optim.Settings{MaxIter: s.Epochs, GradTol: s.GradTol}, cb)
	c.stop()
	if res.X != nil {
		copy(m.W, res.X[:len(m.W)])
		copy(m.B, res.X[len(m.W):])
	}
	if cbErr != nil {
		return m, cbErr
	}
	if errors.Is(err, optim.ErrLineSearchFailed) && res.GradNorm <= 1e-6*g0 {
		// Converged to the precision of the objective: no step can lower
		// it any more.
		err = nil
	}
	if err != nil {
		return m, fmt.Errorf("linear: %v: %w", s.Method, err)
	}
	return m, nil
}

// widen stores c·v in w.
func widen(w []float64, v []float32, c float64) {
	for j, x := range v {
		w[j] = float64(x) * c
	}
}

// counted counts the evaluations of a function.
type counted struct {
	f optim.Function[float64]
	n int
}

// Eval counts the call and evaluates the function.
func (c *counted) Eval(x, grad []float64) (float64, error) {
	c.n++
	return c.f.Eval(x, grad)
}

// noBias keeps the biases (the last entries of x) at their starting value
// zero by hiding their gradient.
type noBias struct {
	f  optim.Function[float64]
	nw int
}

// Eval evaluates the function with the biases' gradient set to zero.
func (b *noBias) Eval(x, grad []float64) (float64, error) {
	v, err := b.f.Eval(x, grad)
	clear(grad[b.nw:])
	return v, err
}

// hogwildSync chooses how often the replicas of Hogwild's goroutines
// merge, or −1 for no replicas. Merging costs O(Dim), so it
// should come every 16·Dim/(nonzeros per example) examples or less often,
// for a few percent of the time of the steps. But a replica's steps reach
// the others only at its merges, which is harmless only while the examples
// barely interfere (with c the mean squared cosine between two random
// examples, for at most about 2/c of them) and while that delay stays a
// small part of an epoch (at least 8 merges per goroutine). Text (TF-IDF
// bags of words: c ≈ 2e-4 for RCV1-shaped data) allows both at RCV1's
// size; dense data (c ≈ 0.2 for a9a) and small sets get the shared weights
// of Niu et al.
func hogwildSync(p *Problem, workers int, seed uint64) int {
	perRow := max(1, float64(p.X.NNZ())/float64(p.Len()))
	cheap := max(64, 16*float64(p.X.Cols)/perRow)
	c := meanCos2(p, rand.New(rand.NewPCG(seed, 0xc05)), 2000)
	safe := float64(p.Len()) / float64(8*workers)
	if c > 0 {
		safe = min(safe, 2/c)
	}
	switch {
	case safe >= cheap:
		return int(math.Ceil(cheap))
	case safe >= cheap/4:
		return int(safe)
	}
	return -1
}

// meanCos2 estimates, over n random pairs of examples, the mean squared
// cosine between them.
func meanCos2(p *Problem, rng *rand.Rand, n int) float64 {
	X := p.X
	w := make([]float64, X.Cols)
	var sum float64
	for range n {
		i, k := rng.IntN(X.Rows), rng.IntN(X.Rows)
		ii, iv := X.Row(i)
		ki, kv := X.Row(k)
		var ni, nk, dot float64
		for t, j := range ii {
			w[j] = float64(iv[t])
			ni += w[j] * w[j]
		}
		for t, j := range ki {
			dot += w[j] * float64(kv[t])
			nk += float64(kv[t]) * float64(kv[t])
		}
		for _, j := range ii {
			w[j] = 0
		}
		if ni > 0 && nk > 0 {
			sum += dot * dot / (ni * nk)
		}
	}
	return sum / float64(n)
}
