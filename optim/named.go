package optim

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Hyper holds the hyperparameters of the named optimizers. Defaults returns
// torch.optim's defaults for each; fields an optimizer does not use are
// ignored.
type Hyper struct {
	// LR is the learning rate α (Adadelta's multiplier of its step).
	LR float64
	// Momentum is μ of SGD's trace and of RMSProp's optional momentum.
	Momentum float64
	// Dampening damps SGD's momentum (torch.optim.SGD's dampening).
	Dampening float64
	// B1 and B2 are Adam's β₁ and β₂ (Lion's too).
	B1, B2 float64
	// Eps is ε.
	Eps float64
	// Decay is ρ, the decay of RMSProp's and Adadelta's running averages.
	Decay float64
	// WeightDecay is λ: L2 regularization added to the gradient, or
	// decoupled decay for AdamW, Lion and when Decoupled is set.
	WeightDecay float64
	// Decoupled applies WeightDecay as decoupled decay (w ← w − αλw) rather
	// than as L2 in the gradient.
	Decoupled bool
	// NoDecay, if set, marks (by flat index) parameters exempt from weight
	// decay, such as biases.
	NoDecay []bool
	// Centered selects centered RMSProp.
	Centered bool
	// AMSGrad selects AMSGrad's running maximum in Adam and AdamW.
	AMSGrad bool
	// EpsInside puts ε under the square root as the lecture's slides do
	// (Adagrad, RMSProp, Adam); PyTorch adds it outside, the default. For
	// Adadelta it is the other way round: PyTorch puts ε inside, the lecture
	// outside (set EpsInside false with LectureAdadelta).
	EpsInside bool
	// LectureAdadelta uses the lecture's (√d + ε)/(√g + ε) form of Adadelta.
	LectureAdadelta bool
	// LRDecay is Adagrad's lr_decay: α/(1 + (t−1)·LRDecay).
	LRDecay float64
	// InitialAccumulator is Adagrad's starting sum of squares.
	InitialAccumulator float64
	// MomentumDecay is NAdam's ψ.
	MomentumDecay float64
	// Torch113 reproduces PyTorch 1.13's NAdam momentum product.
	Torch113 bool
	// ClipNorm, if positive, rescales the gradient to at most this global
	// norm before the update; ClipValue, if positive, clips each component.
	ClipNorm, ClipValue float64
	// Schedule, if set, multiplies LR at each step.
	Schedule Schedule
}

// Names lists the optimizers that New builds, in the lecture's order.
var names = []string{"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adadelta",
	"adamw", "amsgrad", "adamax", "nadam", "radam", "lion"}

// Names returns the names New accepts.
func Names() []string { return append([]string(nil), names...) }

// Defaults returns the default hyperparameters of the named optimizer:
// torch.optim's where PyTorch has the method (SGD, which has no default
// rate there, gets 0.01), the paper's otherwise.
func Defaults(name string) (Hyper, error) {
	h := Hyper{B1: 0.9, B2: 0.999, Eps: 1e-8}
	switch name {
	case "sgd":
		h.LR = 0.01
	case "momentum", "nesterov":
		h.LR, h.Momentum = 0.01, 0.9
	case "adagrad":
		h.LR, h.Eps = 0.01, 1e-10
	case "rmsprop":
		h.LR, h.Decay = 0.01, 0.99
	case "adam", "amsgrad", "radam":
		h.LR = 1e-3
	case "adamw":
		h.LR, h.WeightDecay = 1e-3, 0.01
	case "adamax":
		h.LR = 2e-3
	case "nadam":
		h.LR, h.MomentumDecay = 2e-3, 4e-3
	case "adadelta":
		h.LR, h.Decay, h.Eps = 1.0, 0.9, 1e-6
	case "lion":
		h.LR, h.B1, h.B2 = 1e-4, 0.9, 0.99
	default:
		return h, unknown(name)
	}
	return h, nil
}

func unknown(name string) error {
	return fmt.Errorf("unknown optimizer %q; want one of %s", name, strings.Join(names, ", "))
}

// HyperError reports a hyperparameter outside its valid range. Field is the
// command-line name of the hyperparameter (lr, momentum, dampening, beta1,
// beta2, eps, decay, weight-decay, lr-decay, initial-accumulator,
// momentum-decay, clip-norm, clip-value).
type HyperError struct {
	Field string
	Value float64
	Want  string
}

func (e *HyperError) Error() string { return fmt.Sprintf("%s %v: want %s", e.Field, e.Value, e.Want) }

// Validate reports the first hyperparameter outside its valid range as a
// *HyperError naming it and the range.
func (h Hyper) Validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	unit := func(v float64) bool { return v >= 0 && v < 1 }
	checks := []struct {
		field string
		v     float64
		ok    bool
		want  string
	}{
		{"lr", h.LR, h.LR > 0 && finite(h.LR), "a positive finite number"},
		{"momentum", h.Momentum, unit(h.Momentum), "a number in [0, 1)"},
		{"dampening", h.Dampening, h.Dampening >= 0 && h.Dampening <= 1, "a number in [0, 1]"},
		{"beta1", h.B1, unit(h.B1), "a number in [0, 1)"},
		{"beta2", h.B2, unit(h.B2), "a number in [0, 1)"},
		{"eps", h.Eps, h.Eps > 0 && finite(h.Eps), "a positive finite number"},
		{"decay", h.Decay, unit(h.Decay), "a number in [0, 1)"},
		{"weight-decay", h.WeightDecay, h.WeightDecay >= 0 && finite(h.WeightDecay), "a finite number ≥ 0"},
		{"lr-decay", h.LRDecay, h.LRDecay >= 0 && finite(h.LRDecay), "a finite number ≥ 0"},
		{"initial-accumulator", h.InitialAccumulator, h.InitialAccumulator >= 0 && finite(h.InitialAccumulator), "a finite number ≥ 0"},
		{"momentum-decay", h.MomentumDecay, h.MomentumDecay >= 0 && finite(h.MomentumDecay), "a finite number ≥ 0"},
		{"clip-norm", h.ClipNorm, h.ClipNorm >= 0 && finite(h.ClipNorm), "a finite number ≥ 0 (0: no clipping)"},
		{"clip-value", h.ClipValue, h.ClipValue >= 0 && finite(h.ClipValue), "a finite number ≥ 0 (0: no clipping)"},
	}
	for _, c := range checks {
		if !c.ok {
			return &HyperError{Field: c.field, Value: c.v, Want: c.want}
		}
	}
	return nil
}

// New returns the named optimizer with hyperparameters h (start from
// Defaults(name)). The names are those of the command line: sgd, momentum,
// nesterov, adagrad, rmsprop, adam, adadelta, adamw, amsgrad, adamax, nadam,
// radam, lion.
func New[T Float](name string, h Hyper) (*Chained[T], error) {
	if _, err := Defaults(name); err != nil {
		return nil, err
	}
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var front []Transform[T]
	if h.ClipNorm > 0 {
		front = append(front, &ClipByGlobalNorm[T]{Max: h.ClipNorm})
	}
	if h.ClipValue > 0 {
		front = append(front, &ClipByValue[T]{Max: h.ClipValue})
	}
	decay := &AddDecayedWeights[T]{WeightDecay: h.WeightDecay}
	if h.NoDecay != nil {
		decay.Mask = make([]bool, len(h.NoDecay))
		for i, nd := range h.NoDecay {
			decay.Mask[i] = !nd
		}
	}
	decoupled := h.Decoupled || name == "adamw" || name == "lion"
	var scale []Transform[T]
	switch name {
	case "sgd":
		if h.Momentum > 0 {
			scale = append(scale, &Trace[T]{Momentum: h.Momentum, Dampening: h.Dampening})
		}
	case "momentum":
		scale = append(scale, &Trace[T]{Momentum: h.Momentum, Dampening: h.Dampening})
	case "nesterov":
		scale = append(scale, &Trace[T]{Momentum: h.Momentum, Nesterov: true})
	case "adagrad":
		scale = append(scale, &ScaleByAdagrad[T]{Eps: h.Eps, InitialAccumulator: h.InitialAccumulator, EpsInside: h.EpsInside})
		if h.LRDecay > 0 {
			h.Schedule = product(h.Schedule, func(t int) float64 { return 1 / (1 + float64(t-1)*h.LRDecay) })
		}
	case "rmsprop":
		scale = append(scale, &ScaleByRMS[T]{Decay: h.Decay, Eps: h.Eps, Centered: h.Centered, EpsInside: h.EpsInside})
		if h.Momentum > 0 {
			scale = append(scale, &Trace[T]{Momentum: h.Momentum})
		}
	case "adam", "adamw", "amsgrad":
		scale = append(scale, &ScaleByAdam[T]{B1: h.B1, B2: h.B2, Eps: h.Eps, AMSGrad: h.AMSGrad || name == "amsgrad", EpsInside: h.EpsInside})
	case "adamax":
		scale = append(scale, &ScaleByAdamax[T]{B1: h.B1, B2: h.B2, Eps: h.Eps})
	case "nadam":
		scale = append(scale, &ScaleByNAdam[T]{B1: h.B1, B2: h.B2, Eps: h.Eps, MomentumDecay: h.MomentumDecay, Torch113: h.Torch113})
	case "radam":
		scale = append(scale, &ScaleByRAdam[T]{B1: h.B1, B2: h.B2, Eps: h.Eps})
	case "adadelta":
		scale = append(scale, &ScaleByAdadelta[T]{Rho: h.Decay, Eps: h.Eps, EpsOutside: h.LectureAdadelta})
	case "lion":
		scale = append(scale, &ScaleByLion[T]{B1: h.B1, B2: h.B2})
	}
	stages := front
	if h.WeightDecay > 0 && !decoupled {
		stages = append(stages, decay)
	}
	stages = append(stages, scale...)
	if h.WeightDecay > 0 && decoupled {
		stages = append(stages, decay)
	}
	stages = append(stages, &ScaleByLearningRate[T]{LR: h.LR, Schedule: h.Schedule})
	return NewChained(name, Chain(stages...)), nil
}

func product(a, b Schedule) Schedule {
	if a == nil {
		return b
	}
	return func(t int) float64 { return a(t) * b(t) }
}

// ScheduleByName parses a schedule specification of the command line:
//
//	constant
//	step:N:GAMMA          multiply by GAMMA every N steps
//	multistep:A,B,C:GAMMA multiply by GAMMA at steps A, B, C
//	harmonic:N            the lecture's α/(⌊k/N⌋+10)
//	bottou:LAMBDA         Bottou's α/(1+αλk)
//	exponential:GAMMA     α·γᵏ
//	cosine:N[:MIN]        cosine annealing over N steps down to MIN·α
//	linear:A:B:N          multiplier moving linearly from A to B over N steps
//	warmup:N:SPEC         linear warm-up from α/N over N steps, then SPEC
//
// lr is the base rate (Bottou's schedule needs it).
func ScheduleByName(spec string, lr float64) (Schedule, error) {
	parts := strings.Split(spec, ":")
	kind := parts[0]
	arg := func(i int) (string, error) {
		if i >= len(parts) || parts[i] == "" {
			return "", fmt.Errorf("schedule %q: missing argument %d of %s", spec, i, kind)
		}
		return parts[i], nil
	}
	num := func(i int) (float64, error) {
		s, err := arg(i)
		if err != nil {
			return 0, err
		}
		var v float64
		if _, err := fmt.Sscanf(s, "%g", &v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("schedule %q: %q is not a number", spec, s)
		}
		return v, nil
	}
	count := func(i int) (int, error) {
		v, err := num(i)
		if err != nil {
			return 0, err
		}
		if v < 1 || v != math.Trunc(v) {
			return 0, fmt.Errorf("schedule %q: %v is not a positive whole number of steps", spec, v)
		}
		return int(v), nil
	}
	switch kind {
	case "constant", "":
		return Constant(), nil
	case "step":
		n, err := count(1)
		if err != nil {
			return nil, err
		}
		g, err := num(2)
		if err != nil {
			return nil, err
		}
		return StepDecay(n, g), nil
	case "multistep":
		s, err := arg(1)
		if err != nil {
			return nil, err
		}
		var ms []int
		for _, f := range strings.Split(s, ",") {
			var m int
			if _, err := fmt.Sscanf(f, "%d", &m); err != nil || m < 1 {
				return nil, fmt.Errorf("schedule %q: milestone %q is not a positive step", spec, f)
			}
			ms = append(ms, m)
		}
		sort.Ints(ms)
		g, err := num(2)
		if err != nil {
			return nil, err
		}
		return MultiStep(ms, g), nil
	case "harmonic":
		n, err := count(1)
		if err != nil {
			return nil, err
		}
		return Harmonic(n), nil
	case "bottou":
		l, err := num(1)
		if err != nil {
			return nil, err
		}
		return Bottou(lr, l), nil
	case "exponential":
		g, err := num(1)
		if err != nil {
			return nil, err
		}
		return Exponential(g), nil
	case "cosine":
		n, err := count(1)
		if err != nil {
			return nil, err
		}
		m := 0.0
		if len(parts) > 2 {
			if m, err = num(2); err != nil {
				return nil, err
			}
		}
		return Cosine(n, m), nil
	case "linear":
		a, err := num(1)
		if err != nil {
			return nil, err
		}
		b, err := num(2)
		if err != nil {
			return nil, err
		}
		n, err := count(3)
		if err != nil {
			return nil, err
		}
		return Linear(a, b, n), nil
	case "warmup":
		n, err := count(1)
		if err != nil {
			return nil, err
		}
		rest := "constant"
		if len(parts) > 2 {
			rest = strings.Join(parts[2:], ":")
		}
		after, err := ScheduleByName(rest, lr)
		if err != nil {
			return nil, err
		}
		return Warmup(n, 1/float64(n), after), nil
	}
	return nil, fmt.Errorf("unknown schedule %q; want constant, step:N:GAMMA, multistep:A,B:GAMMA, harmonic:N, bottou:LAMBDA, exponential:GAMMA, cosine:N[:MIN], linear:A:B:N or warmup:N:SPEC", spec)
}
