package optim

import (
	"fmt"
	"math"
	"sort"
)

// Schedule gives the learning-rate multiplier for step t, counted from 1:
// the rate of step t is α(t) = LR·Schedule(t). Schedules are pure functions
// of t, so a run restarted from saved state at step t continues exactly.
// Below, k = t − 1 is the number of steps already taken, the counter of
// torch.optim.lr_scheduler when it is stepped once per optimizer step.
type Schedule func(t int) float64

// Constant is α(t) = α.
func Constant() Schedule { return func(int) float64 { return 1 } }

// StepDecay multiplies the rate by gamma every size steps, α·γ^⌊k/size⌋: the
// lecture's "decrease tenfold every N epochs" with gamma 0.1 and size N
// epochs' worth of steps (torch.optim.lr_scheduler.StepLR).
func StepDecay(size int, gamma float64) Schedule {
	if size < 1 {
		panic(fmt.Sprintf("optim.StepDecay: size %d, want ≥ 1", size))
	}
	return func(t int) float64 { return math.Pow(gamma, float64((t-1)/size)) }
}

// MultiStep multiplies the rate by gamma at each milestone step,
// α·γ^(milestones ≤ k) (torch.optim.lr_scheduler.MultiStepLR).
func MultiStep(milestones []int, gamma float64) Schedule {
	ms := append([]int(nil), milestones...)
	sort.Ints(ms)
	return func(t int) float64 {
		n := sort.SearchInts(ms, t) // milestones < t, i.e. ≤ k
		return math.Pow(gamma, float64(n))
	}
}

// Piecewise is piecewise constant: multiplier values[i] while k is below
// boundaries[i] (len(values) = len(boundaries)+1), values[last] after.
func Piecewise(boundaries []int, values []float64) Schedule {
	if len(values) != len(boundaries)+1 {
		panic(fmt.Sprintf("optim.Piecewise: %d boundaries need %d values, got %d", len(boundaries), len(boundaries)+1, len(values)))
	}
	return func(t int) float64 {
		i := sort.Search(len(boundaries), func(i int) bool { return t-1 < boundaries[i] })
		return values[i]
	}
}

// Harmonic is the lecture's harmonic schedule α[t] = α/(⌊k/n⌋ + 10)
// (with α = 0.001 on the slide): the rate decays like 1/t, in steps of n.
func Harmonic(n int) Schedule {
	if n < 1 {
		panic(fmt.Sprintf("optim.Harmonic: n %d, want ≥ 1", n))
	}
	return func(t int) float64 { return 1 / float64((t-1)/n+10) }
}

// Bottou is the rate of Bottou's SGD, α(t) = α₀/(1 + α₀λk) (Bottou 2012,
// "Stochastic Gradient Descent Tricks"), optimal for a λ-strongly convex
// objective. Set LR to α₀.
func Bottou(lr0, lambda float64) Schedule {
	return func(t int) float64 { return 1 / (1 + lr0*lambda*float64(t-1)) }
}

// Exponential decays the rate by gamma every step, α·γᵏ
// (torch.optim.lr_scheduler.ExponentialLR).
func Exponential(gamma float64) Schedule {
	return func(t int) float64 { return math.Pow(gamma, float64(t-1)) }
}

// Cosine anneals the rate from α to minFactor·α over steps steps along half
// a cosine, α(m + (1−m)(1 + cos(πk/steps))/2), and stays there
// (torch.optim.lr_scheduler.CosineAnnealingLR with eta_min = m·α, for
// k ≤ steps; Loshchilov & Hutter 2017 without restarts).
func Cosine(steps int, minFactor float64) Schedule {
	if steps < 1 {
		panic(fmt.Sprintf("optim.Cosine: steps %d, want ≥ 1", steps))
	}
	return func(t int) float64 {
		k := min(t-1, steps)
		return minFactor + (1-minFactor)*(1+math.Cos(math.Pi*float64(k)/float64(steps)))/2
	}
}

// Linear moves the multiplier linearly from start to end over steps steps and
// keeps end afterwards (torch.optim.lr_scheduler.LinearLR).
func Linear(start, end float64, steps int) Schedule {
	if steps < 1 {
		panic(fmt.Sprintf("optim.Linear: steps %d, want ≥ 1", steps))
	}
	return func(t int) float64 {
		k := min(t-1, steps)
		return start + (end-start)*float64(k)/float64(steps)
	}
}

// Warmup prepends a linear warm-up of steps steps, rising from start·α to α,
// to the schedule after, which then runs as if starting at step 1
// (Goyal et al. 2017).
func Warmup(steps int, start float64, after Schedule) Schedule {
	if after == nil {
		after = Constant()
	}
	if steps <= 0 {
		return after
	}
	return func(t int) float64 {
		if t <= steps {
			return start + (1-start)*float64(t-1)/float64(steps)
		}
		return after(t - steps)
	}
}
