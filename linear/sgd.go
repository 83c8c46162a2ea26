package linear

import (
	"math"
	"sync/atomic"
)

// This file holds the inner loops of Bottou's stochastic gradient descent.
// A step on example (x, y) is
//
//	w ← (1 − ηλ)·w + η·dloss(y·(w·x + b))·y·x,   b ← b + η·BiasRate·dloss·y.
//
// The weights are kept as w = v/div (Bottou's wDivisor), so the shrink
// (1 − ηλ) is div ← div/(1 − ηλ), O(1), and the loss term touches only the
// nonzeros of x: v ← v + η·dloss·y·div·x. When div grows large, v is
// divided by it once (renormalization) and div set back to 1.
//
// Averaged SGD (Polyak–Ruppert, with Xu's lazy form as in Bottou's
// svmasgd) keeps the average ā = (A + β·v)/α: a step with averaging rate μ
// does A ← A − β·Δv (Δv the sparse change of v), α ← α/(1 − μ) and
// β ← β + μ·α/div, again O(nonzeros).

// renormAbove is the divisor at which the weights are renormalized.
const renormAbove = 1e9

// schedule is the learning rate η_t = η₀·r(t)/G(t) of step t = 0, 1, …
//
// Without annealing r = 1 and G(t) = (1 + decay·t)^power, Bottou's rate,
// with decay = λη₀ (0 for the constant rate of η₀ calibration).
//
// Annealing (annealLen L > 0, from step a) makes the rate fall linearly to
// zero over the last L steps, a … a+L−1: r(t) = 1 − (t − a + ½)/L for t ≥ a.
// For plain SGD (power 1) G then bends as
// G(t) = 1 + decay·t − decay·(t − a + 1)²/(2L), so that
// G(t) − G(t−1) = decay·r(t) and the shrink of every step stays
// 1 − λη_t = G(t−1)/G(t): the product of the shrinks still telescopes
// (divFrom), and the rate is Bottou's times r(t) to within a relative
// decay·L/2 ≤ λη₀·(annealed steps)/2.
type schedule struct {
	eta0, decay float64
	power       float64 // 1 (SGD) or 0.75 (ASGD)
	annealFrom  float64 // a: the first annealed step
	annealLen   float64 // L: annealed steps (0: no annealing)
}

// g returns G(t) for power 1.
func (s schedule) g(t float64) float64 {
	x := 1 + s.decay*t
	if s.annealLen > 0 && t >= s.annealFrom {
		u := min(t-s.annealFrom+1, s.annealLen)
		x -= s.decay * u * u / (2 * s.annealLen)
	}
	return x
}

// eta returns η_t.
func (s schedule) eta(t float64) float64 {
	r := 1.0
	if s.annealLen > 0 && t >= s.annealFrom {
		r = max(0, 1-(t-s.annealFrom+0.5)/s.annealLen)
	}
	if s.power == 1 {
		return s.eta0 * r / s.g(t)
	}
	x := math.Sqrt(1 + s.decay*t)
	return s.eta0 * r / (x * math.Sqrt(x)) // (1 + decay·t)^0.75
}

// sgdRun is the state of one SGD, ASGD or Hogwild run that every worker
// shares: the problem and the stored weights.
type sgdRun struct {
	p        *Problem
	loss     Loss
	lambda   float64
	biasRate float64
	sched    schedule
	k        int       // weight vectors
	v        []float32 // stored weights, w = v/div, Dim·K feature-major

	// Averaging (ASGD): ā = (A + β·v)/α.
	avg       bool
	a         []float32
	aZero     bool // A is all zero (not yet touched)
	alpha     float64
	beta      float64
	abias     []float64 // averaged biases
	avgStartT float64   // steps of plain SGD before averaging

	// Hogwild: the shared biases as float64 bits, summed into by workers.
	sharedBias []atomic.Uint64
}

// worker is the private state of one goroutine of SGD.
type worker struct {
	v      []float32 // the stored weights it updates: sgdRun.v, or its own replica (Hogwild)
	snap   []float32 // the shared weights when the replica last merged (Hogwild with replicas)
	div    float64   // divisor of v as this worker sees it
	b      []float64 // biases as this worker sees them
	synced []float64 // b at the last synchronization (Hogwild)
	s      []float64 // scratch: scores of one example
	renorm bool      // renormalize in the loop (when v is this goroutine's alone)
	sync   int       // steps between bias synchronizations (Hogwild; 0: none)
}

func newWorker(v []float32, k int) *worker {
	return &worker{v: v, div: 1, b: make([]float64, k), synced: make([]float64, k), s: make([]float64, k)}
}

// rowAt returns the row at position n of order, or n when order is nil.
func rowAt(order []int32, n int) int {
	if order != nil {
		return int(order[n])
	}
	return n
}

// divFrom returns the divisor that the plain SGD steps τ = from … to−1
// build up, Π 1/(1 − η_τλ). Since 1 − η_τλ = G(τ−1)/G(τ) (see schedule)
// the product telescopes to G(to−1)/G(from−1), whatever the steps in
// between.
func (r *sgdRun) divFrom(from, to float64) float64 {
	return r.sched.g(to-1) / r.sched.g(from-1)
}

// binarySteps runs plain SGD for a binary loss over the rows order[lo:hi]
// (lo..hi−1 if order is nil), the first at global step t. It returns the
// global step after the last.
func (r *sgdRun) binarySteps(wk *worker, order []int32, lo, hi int, t float64) float64 {
	X, Y, v := r.p.X, r.p.Y, wk.v
	loss, lambda, biasRate := r.loss, r.lambda, r.biasRate
	div, b := wk.div, wk.b[0]
	for n := lo; n < hi; n++ {
		i := rowAt(order, n)
		p0, p1 := X.RowPtr[i], X.RowPtr[i+1]
		idx, val := X.ColIdx[p0:p1], X.Val[p0:p1]
		y := float64(2*Y[i] - 1)
		eta := r.sched.eta(t)
		z := y * (dot32(v, idx, val)/div + b)
		div /= 1 - eta*lambda
		if d := loss.dloss(z); d != 0 {
			axpy32(v, eta*d*y*div, idx, val)
			b += eta * biasRate * d * y
		}
		t++
		if wk.renorm && div > renormAbove {
			scale32(v, 1/div)
			div = 1
		}
		if wk.sync > 0 && (n-lo+1)%wk.sync == 0 {
			wk.b[0] = b
			r.syncBias(wk)
			b = wk.b[0]
		}
	}
	wk.div, wk.b[0] = div, b
	return t
}

// binaryAvgSteps runs averaged SGD for a binary loss over the rows
// order[lo:hi] (single goroutine), from global step t.
func (r *sgdRun) binaryAvgSteps(wk *worker, order []int32, lo, hi int, t float64) float64 {
	X, Y, v, a := r.p.X, r.p.Y, wk.v, r.a
	loss, lambda, biasRate := r.loss, r.lambda, r.biasRate
	div, b := wk.div, wk.b[0]
	for n := lo; n < hi; n++ {
		i := rowAt(order, n)
		p0, p1 := X.RowPtr[i], X.RowPtr[i+1]
		idx, val := X.ColIdx[p0:p1], X.Val[p0:p1]
		y := float64(2*Y[i] - 1)
		eta := r.sched.eta(t)
		mu := 1.0
		if t > r.avgStartT {
			mu = 1 / (1 + t - r.avgStartT)
		}
		if div > renormAbove || r.alpha > renormAbove {
			wk.div = div
			r.renormAvg(wk)
			div = 1
		}
		z := y * (dot32(v, idx, val)/div + b)
		div /= 1 - eta*lambda
		d := loss.dloss(z)
		etd := eta * d * y * div
		if etd != 0 {
			axpy32(v, etd, idx, val)
			b += eta * biasRate * d * y
		}
		if mu >= 1 {
			r.aZero = true
			r.alpha, r.beta = div, 1
		} else {
			if r.aZero {
				clear(a)
				r.aZero = false
			}
			if etd != 0 {
				axpy32(a, -r.beta*etd, idx, val)
			}
			r.alpha /= 1 - mu
			r.beta += mu * r.alpha / div
		}
		r.abias[0] += mu * (b - r.abias[0])
		t++
	}
	wk.div, wk.b[0] = div, b
	return t
}

// generalSteps runs SGD, averaged when r.avg, for any loss and number of
// weight vectors, over the rows order[lo:hi] from global step t.
func (r *sgdRun) generalSteps(wk *worker, order []int32, lo, hi int, t float64) float64 {
	X, Y, v, a, K := r.p.X, r.p.Y, wk.v, r.a, r.k
	dim := X.Cols
	s := wk.s
	for n := lo; n < hi; n++ {
		i := rowAt(order, n)
		idx, val := X.Row(i)
		eta := r.sched.eta(t)
		mu := 0.0
		if r.avg {
			mu = 1
			if t > r.avgStartT {
				mu = 1 / (1 + t - r.avgStartT)
			}
			if wk.div > renormAbove || r.alpha > renormAbove {
				r.renormAvg(wk)
			}
		}
		// s becomes −∂ℓ/∂score for each class.
		if K == 1 {
			y := float64(2*Y[i] - 1)
			z := y * (dot32(v, idx, val)/wk.div + wk.b[0])
			s[0] = r.loss.dloss(z) * y
		} else {
			scoresK(s, v, wk.b, 1/wk.div, dim, idx, val)
			softmaxLoss(s, int(Y[i]))
			for k := range s {
				s[k] = -s[k]
			}
			s[Y[i]]++
		}
		wk.div /= 1 - eta*r.lambda
		c := eta * wk.div
		for k, g := range s {
			wk.b[k] += eta * r.biasRate * g
			s[k] = g * c // the change of v per unit of x
		}
		addOuter(v, s, 1, idx, val)
		if r.avg {
			if mu >= 1 {
				r.aZero = true
				r.alpha, r.beta = wk.div, 1
			} else {
				if r.aZero {
					clear(a)
					r.aZero = false
				}
				addOuter(a, s, -r.beta, idx, val)
				r.alpha /= 1 - mu
				r.beta += mu * r.alpha / wk.div
			}
			for k := range r.abias {
				r.abias[k] += mu * (wk.b[k] - r.abias[k])
			}
		}
		t++
		if !r.avg && wk.renorm && wk.div > renormAbove {
			scale32(v, 1/wk.div)
			wk.div = 1
		}
		if wk.sync > 0 && (n-lo+1)%wk.sync == 0 {
			r.syncBias(wk)
		}
	}
	return t
}

// addOuter adds c·g⊗x to the feature-major weights v: v[j·K+k] +=
// c·g[k]·x[j] for the nonzeros x[j] = val at idx.
func addOuter(v []float32, g []float64, c float64, idx []int32, val []float32) {
	K := len(g)
	if K == 1 {
		if g[0] != 0 {
			axpy32(v, c*g[0], idx, val)
		}
		return
	}
	val = val[:len(idx)]
	for t, j := range idx {
		x := c * float64(val[t])
		row := v[int(j)*K : int(j)*K+K]
		for k := range row {
			row[k] += float32(g[k] * x)
		}
	}
}

// renormAvg folds the divisors into the stored vectors: A ← ā, v ← w.
func (r *sgdRun) renormAvg(wk *worker) {
	if r.aZero {
		clear(r.a)
		r.aZero = false
	}
	ca, cv := 1/r.alpha, r.beta/r.alpha
	cw := 1 / wk.div
	for j, x := range r.v {
		r.a[j] = float32(float64(r.a[j])*ca + float64(x)*cv)
		r.v[j] = float32(float64(x) * cw)
	}
	wk.div, r.alpha, r.beta = 1, 1, 0
}

// syncBias publishes the bias change of a Hogwild worker since its last
// synchronization and reads back the sum of all workers' changes.
func (r *sgdRun) syncBias(wk *worker) {
	for k := range wk.b {
		delta := wk.b[k] - wk.synced[k]
		for {
			old := r.sharedBias[k].Load()
			nv := math.Float64frombits(old) + delta
			if r.sharedBias[k].CompareAndSwap(old, math.Float64bits(nv)) {
				wk.b[k], wk.synced[k] = nv, nv
				break
			}
		}
	}
}
