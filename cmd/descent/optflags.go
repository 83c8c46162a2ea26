package main

import (
	"errors"
	"flag"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
)

// optFlags are the optimizer flags shared by train, compare and optimize.
// Flags left unset take the optimizer's own defaults (torch.optim's).
type optFlags struct {
	name                                                  string
	lr, momentum, dampening, beta1, beta2, eps, decay, wd float64
	clipNorm, clipValue                                   float64
	schedule                                              string
	centered, amsgrad, epsInside, lectureAdadelta         bool
	decoupled, noDecayBias                                bool
	fs                                                    *flag.FlagSet
}

func (f *optFlags) register(fs *flag.FlagSet, defaultName string) {
	f.fs = fs
	fs.StringVar(&f.name, "optimizer", defaultName, "optimizer: "+strings.Join(optim.Names(), ", ")+" (and pathsgd for ReLU networks in train and compare)")
	fs.Float64Var(&f.lr, "lr", 0, "learning rate α (default: the optimizer's)")
	fs.Float64Var(&f.momentum, "momentum", 0, "momentum μ of momentum, nesterov, sgd and rmsprop (default: the optimizer's)")
	fs.Float64Var(&f.dampening, "dampening", 0, "dampening of SGD momentum")
	fs.Float64Var(&f.beta1, "beta1", 0, "β₁ of Adam-like methods (default 0.9)")
	fs.Float64Var(&f.beta2, "beta2", 0, "β₂ of Adam-like methods (default 0.999; Lion 0.99)")
	fs.Float64Var(&f.eps, "eps", 0, "ε (default: the optimizer's, e.g. 1e-8 for Adam, 1e-10 Adagrad, 1e-6 Adadelta)")
	fs.Float64Var(&f.decay, "decay", 0, "ρ, decay of RMSProp's (default 0.99) and Adadelta's (default 0.9) running averages")
	fs.Float64Var(&f.wd, "weight-decay", 0, "weight decay λ: L2 in the gradient; decoupled for adamw (default 0.01) and lion")
	fs.BoolVar(&f.decoupled, "decoupled", false, "apply --weight-decay as decoupled decay (AdamW-style) for any optimizer")
	fs.BoolVar(&f.noDecayBias, "no-decay-bias", false, "exempt biases and normalization scales from --weight-decay (a second parameter group)")
	fs.Float64Var(&f.clipNorm, "clip-norm", 0, "clip the gradient to this global L2 norm (0: off)")
	fs.Float64Var(&f.clipValue, "clip-value", 0, "clip each gradient component to ±this (0: off)")
	fs.StringVar(&f.schedule, "schedule", "constant", "learning-rate schedule over steps (in train and compare, N`ep` counts epochs): constant, step:N:GAMMA, multistep:A,B:GAMMA, harmonic:N, bottou:LAMBDA, exponential:GAMMA, cosine:N[:MIN], linear:A:B:N, warmup:N:SPEC")
	fs.BoolVar(&f.centered, "centered", false, "centered RMSProp")
	fs.BoolVar(&f.amsgrad, "amsgrad", false, "AMSGrad variant of adam and adamw")
	fs.BoolVar(&f.epsInside, "eps-inside", false, "put ε inside the square root, as the lecture's Adagrad, RMSProp and Adam slides do (PyTorch adds it outside)")
	fs.BoolVar(&f.lectureAdadelta, "lecture-adadelta", false, "the lecture's Adadelta, (√d+ε)/(√g+ε), instead of PyTorch's √(d+ε)/√(g+ε)")
}

// set reports whether the named flag was given on the command line.
func (f *optFlags) set(name string) bool {
	found := false
	f.fs.Visit(func(fl *flag.Flag) {
		if fl.Name == name {
			found = true
		}
	})
	return found
}

// hyper returns the optimizer's hyperparameters: defaults (the optimizer's
// own unless the caller passes others) overridden by the flags that were
// set, validated, with usage errors naming the flag and its range.
func (f *optFlags) hyper(defaults *optim.Hyper) (optim.Hyper, error) {
	h, err := optim.Defaults(f.name)
	if err != nil {
		return h, usagef("--optimizer: %v", err)
	}
	if defaults != nil {
		h = *defaults
	}
	for _, o := range []struct {
		flag string
		dst  *float64
		v    float64
	}{
		{"lr", &h.LR, f.lr}, {"momentum", &h.Momentum, f.momentum}, {"dampening", &h.Dampening, f.dampening},
		{"beta1", &h.B1, f.beta1}, {"beta2", &h.B2, f.beta2}, {"eps", &h.Eps, f.eps}, {"decay", &h.Decay, f.decay},
		{"weight-decay", &h.WeightDecay, f.wd}, {"clip-norm", &h.ClipNorm, f.clipNorm}, {"clip-value", &h.ClipValue, f.clipValue},
	} {
		if f.set(o.flag) {
			*o.dst = o.v
		}
	}
	h.Centered = h.Centered || f.centered
	h.AMSGrad = h.AMSGrad || f.amsgrad
	h.EpsInside = h.EpsInside || f.epsInside
	h.LectureAdadelta = h.LectureAdadelta || f.lectureAdadelta
	h.Decoupled = h.Decoupled || f.decoupled
	if err := h.Validate(); err != nil {
		var he *optim.HyperError
		if errors.As(err, &he) {
			return h, usagef("--%s %v: want %s", he.Field, he.Value, he.Want)
		}
		return h, usageError{err}
	}
	if f.schedule != "" && f.schedule != "constant" {
		s, err := optim.ScheduleByName(f.schedule, h.LR)
		if err != nil {
			return h, usagef("--schedule: %v", err)
		}
		h.Schedule = s
	}
	return h, nil
}

// build returns the optimizer for a model's packed parameters, for a run of
// epochs epochs of stepsPerEpoch steps. Schedule arguments written with the
// suffix "ep" count epochs (step:2ep:0.1 is the lecture's "decrease tenfold
// every 2 epochs"), and "cosine" alone anneals over the whole run. Plain SGD
// without --lr uses train's defaultSGDRate.
func (f *optFlags) build(model nn.Module[float32], params *nn.Params[float32], stepsPerEpoch, epochs int) (optim.Optimizer[float32], optim.Hyper, error) {
	if f.name == "pathsgd" {
		lr := defaultPathSGDRate
		if f.set("lr") {
			lr = f.lr
		}
		o, err := newPathSGD(model, params, lr)
		return o, optim.Hyper{LR: lr}, err
	}
	defaults, err := optim.Defaults(f.name)
	if err != nil {
		return nil, defaults, usagef("--optimizer: %v", err)
	}
	if f.name == "sgd" {
		defaults.LR = defaultSGDRate
	}
	spec := f.schedule
	f.schedule = epochsToSteps(spec, stepsPerEpoch)
	if f.schedule == "cosine" {
		f.schedule = "cosine:" + strconv.Itoa(stepsPerEpoch*epochs)
	}
	h, err := f.hyper(&defaults)
	f.schedule = spec
	if err != nil {
		return nil, h, err
	}
	if f.noDecayBias {
		h.NoDecay = params.NoDecayMask()
	}
	o, err := optim.New[float32](f.name, h)
	if err != nil {
		return nil, h, usageError{err}
	}
	return o, h, nil
}

// defaultPathSGDRate is the rate of Path-SGD on the MNIST networks.
const defaultPathSGDRate = 0.03

// newPathSGD returns Path-SGD for a ReLU network.
func newPathSGD(model nn.Module[float32], params *nn.Params[float32], lr float64) (optim.Optimizer[float32], error) {
	kappa, err := nn.PathScales(model, params)
	if err != nil {
		return nil, usagef("--optimizer pathsgd: %v", err)
	}
	o, err := optim.NewPathSGD(lr, kappa)
	if err != nil {
		return nil, usagef("--lr: %v", err)
	}
	return o, nil
}

// epochsToSteps rewrites the numbers of a schedule specification that end
// in "ep" (epochs) into steps.
func epochsToSteps(spec string, stepsPerEpoch int) string {
	fields := strings.FieldsFunc(spec, func(r rune) bool { return r == ':' || r == ',' })
	for _, fl := range fields {
		if n, err := strconv.Atoi(strings.TrimSuffix(fl, "ep")); err == nil && strings.HasSuffix(fl, "ep") {
			spec = strings.Replace(spec, fl, strconv.Itoa(n*stepsPerEpoch), 1)
		}
	}
	return spec
}
