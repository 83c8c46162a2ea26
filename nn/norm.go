package nn

import (
	"fmt"
	"math"
	"strconv"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/tensor"
)

// Bufferer is implemented by modules with state that is not trained by
// gradient descent but belongs in a checkpoint, such as BatchNorm's running
// statistics. The map's keys are the buffers' names within the module
// ("running_mean", …), as in a PyTorch state_dict.
type Bufferer[T Float] interface {
	Buffers() map[string]*tensor.Tensor[T]
}

// Buffers collects the buffers of m and of the modules inside it
// (Sequential, WeightNorm), with names prefixed by the position of each
// layer in its Sequential ("1.running_mean"), as in a PyTorch state_dict.
func Buffers[T Float](m Module[T]) map[string]*tensor.Tensor[T] {
	out := map[string]*tensor.Tensor[T]{}
	collectBuffers(m, "", out)
	return out
}

func collectBuffers[T Float](m Module[T], prefix string, out map[string]*tensor.Tensor[T]) {
	switch v := m.(type) {
	case *Sequential[T]:
		for i, l := range v.Layers {
			collectBuffers(l, prefix+strconv.Itoa(i)+".", out)
		}
		return
	case *WeightNorm[T]:
		collectBuffers(v.Layer, prefix, out)
		return
	}
	if b, ok := m.(Bufferer[T]); ok {
		for k, t := range b.Buffers() {
			out[prefix+k] = t
		}
	}
}

// walk calls f on m and on every module inside it (the layers of a
// Sequential, the layer a WeightNorm wraps), depth first.
func walk[T Float](m Module[T], f func(Module[T])) {
	f(m)
	switch v := m.(type) {
	case *Sequential[T]:
		for _, l := range v.Layers {
			walk(l, f)
		}
	case *WeightNorm[T]:
		walk(v.Layer, f)
	}
}

// State is a copy of the state of a model that is neither a parameter nor
// configuration: the running statistics and step counts of its BatchNorm
// layers. Restoring it (and the parameters) restarts training from the same
// point, as when comparing optimizers from the same initial model.
// Dropout's random sources are not part of it.
type State[T Float] struct {
	saved []func()
}

// SaveState copies the state of m and of the modules inside it.
func SaveState[T Float](m Module[T]) *State[T] {
	s := &State[T]{}
	walk(m, func(l Module[T]) {
		if bn, ok := l.(*BatchNorm[T]); ok {
			mean, vr, steps := bn.RunningMean.Clone(), bn.RunningVar.Clone(), bn.BatchesTracked
			s.saved = append(s.saved, func() {
				bn.RunningMean.CopyFrom(mean)
				bn.RunningVar.CopyFrom(vr)
				bn.BatchesTracked = steps
			})
		}
	})
	return s
}

// Restore puts the saved state back.
func (s *State[T]) Restore() {
	for _, f := range s.saved {
		f()
	}
}

// BatchNorm is batch normalization (Ioffe & Szegedy 2015) over the features
// of a batch×C input (after Linear, torch.nn.BatchNorm1d) or over the
// channels of a batch×C×H×W input (after Conv2D, torch.nn.BatchNorm2d):
//
//	y = γ·(x − μ_B)/√(σ²_B + ε) + β
//
// per channel, with μ_B and σ²_B the mean and biased variance of the
// channel over the mini-batch (and spatial positions) in training mode. Each
// training forward pass also updates the running estimates
//
//	μ ← (1 − m)·μ + m·μ_B,   σ² ← (1 − m)·σ² + m·σ²_B·k/(k − 1)
//
// (k values per channel: the unbiased variance, as PyTorch), which replace
// μ_B and σ²_B in evaluation mode. The normalization removes the gauge
// freedom of the layer before it: scaling that layer's weights by α > 0
// changes neither the output nor the gradients of later layers, and scales
// the gradient of the scaled weights by 1/α.
//
// With Renorm set it is Batch Renormalization (Ioffe 2017): in training
// mode the normalized value is r·x̂ + d with r = clip(σ_B/σ, 1/r_max, r_max)
// and d = clip((μ_B − μ)/σ, −d_max, d_max) computed from the running
// statistics and treated as constants, so that training and evaluation
// outputs agree when r and d are not clipped; r_max and d_max follow the
// schedule. Evaluation mode is the same as BatchNorm's.
//
// Defaults (PyTorch's): γ = 1, β = 0, ε = 1e-5, momentum m = 0.1, running
// mean 0 and variance 1. Momentum ≤ 0 uses the cumulative average of all
// batches so far (PyTorch's momentum=None). γ and β are marked NoDecay.
// The module starts in training mode.
type BatchNorm[T Float] struct {
	// Features is the number of channels C.
	Features int
	// Eps is ε, added to the variance.
	Eps float64
	// Momentum is m, the weight of the newest batch in the running
	// averages.
	Momentum float64
	// Weight is γ and Bias is β, one entry per channel; both nil for a
	// BatchNorm without affine parameters.
	Weight, Bias *Parameter[T]
	// RunningMean and RunningVar are the running estimates of μ and σ²,
	// buffers (not trained parameters).
	RunningMean, RunningVar *tensor.Tensor[T]
	// BatchesTracked counts the training forward passes so far; it drives
	// the cumulative average and the renormalization schedule.
	BatchesTracked int
	// Renorm, when not nil, makes this Batch Renormalization with the
	// given schedule of r_max and d_max.
	Renorm *RenormSchedule

	eval     bool
	mean, vr []T // mini-batch statistics of the last training pass
}

// NewBatchNorm returns a batch normalization layer over features channels
// with learnable γ and β and PyTorch's defaults.
func NewBatchNorm[T Float](features int) *BatchNorm[T] {
	return newBatchNorm[T](features, true)
}

// NewBatchNormNoAffine returns a batch normalization layer without γ and β
// (PyTorch's affine=False).
func NewBatchNormNoAffine[T Float](features int) *BatchNorm[T] {
	return newBatchNorm[T](features, false)
}

// NewBatchRenorm returns a Batch Renormalization layer (Ioffe 2017) over
// features channels with the given schedule of r_max and d_max (see
// DefaultRenormSchedule) and otherwise BatchNorm's defaults.
func NewBatchRenorm[T Float](features int, schedule RenormSchedule) *BatchNorm[T] {
	if schedule.RMax < 1 || schedule.DMax < 0 || schedule.Warmup < 0 || schedule.RMaxAt < 0 || schedule.DMaxAt < 0 {
		panic(fmt.Sprintf("nn.NewBatchRenorm: schedule %+v: want RMax ≥ 1, DMax ≥ 0 and steps ≥ 0", schedule))
	}
	b := newBatchNorm[T](features, true)
	b.Renorm = &schedule
	return b
}

func newBatchNorm[T Float](features int, affine bool) *BatchNorm[T] {
	if features <= 0 {
		panic(fmt.Sprintf("nn.NewBatchNorm: %d features, want at least 1", features))
	}
	b := &BatchNorm[T]{
		Features: features, Eps: 1e-5, Momentum: 0.1,
		RunningMean: tensor.New[T](features), RunningVar: tensor.New[T](features),
	}
	b.RunningVar.Fill(1)
	if affine {
		b.Weight, b.Bias = newParameter[T]("weight", features), newParameter[T]("bias", features)
		b.Weight.Value.Fill(1)
		b.Weight.NoDecay, b.Bias.NoDecay = true, true
	}
	return b
}

// RenormSchedule is the schedule of Batch Renormalization's clipping
// bounds: r_max = 1 and d_max = 0 (plain batch normalization) for the first
// Warmup training steps, then growing linearly to RMax at step RMaxAt and to
// DMax at step DMaxAt, and constant afterwards.
type RenormSchedule struct {
	RMax, DMax     float64
	Warmup         int
	RMaxAt, DMaxAt int
}

// DefaultRenormSchedule is the schedule of Ioffe (2017): r_max = 1 and
// d_max = 0 for 5000 steps, then relaxed to r_max = 3 by step 40000 and
// d_max = 5 by step 25000.
func DefaultRenormSchedule() RenormSchedule {
	return RenormSchedule{RMax: 3, DMax: 5, Warmup: 5000, RMaxAt: 40000, DMaxAt: 25000}
}

// At returns r_max and d_max at the given training step (counting from 0).
func (s RenormSchedule) At(step int) (rmax, dmax float64) {
	ramp := func(end int, final, start float64) float64 {
		switch {
		case step < s.Warmup:
			return start
		case step >= end:
			return final
		}
		return start + (final-start)*float64(step-s.Warmup)/float64(end-s.Warmup)
	}
	return ramp(s.RMaxAt, s.RMax, 1), ramp(s.DMaxAt, s.DMax, 0)
}

// SetTraining switches between mini-batch statistics (training) and the
// running estimates (evaluation).
func (b *BatchNorm[T]) SetTraining(on bool) { b.eval = !on }

// Training reports whether the layer is in training mode.
func (b *BatchNorm[T]) Training() bool { return !b.eval }

// Forward normalizes x (batch×Features or batch×Features×…), updating the
// running statistics in training mode.
func (b *BatchNorm[T]) Forward(tp *autograd.Tape[T], x *autograd.Var[T]) *autograd.Var[T] {
	s := x.Shape()
	if len(s) < 2 || s[1] != b.Features {
		panic(fmt.Sprintf("nn.%v: input shape %v, want batch×%d or batch×%d×…", b, s, b.Features, b.Features))
	}
	training := !b.eval
	if training && len(s) > 0 && tensor.Numel(s)/b.Features < 2 {
		panic(fmt.Sprintf("nn.%v: input shape %v has one value per channel; training mode needs more than one", b, s))
	}
	opts := autograd.BatchNormOptions[T]{Eps: b.Eps, Training: training, Mean: b.RunningMean.Data, Var: b.RunningVar.Data}
	if training {
		if len(b.mean) != b.Features {
			b.mean, b.vr = make([]T, b.Features), make([]T, b.Features)
		}
		opts.BatchMean, opts.BatchVar = b.mean, b.vr
		if b.Renorm != nil {
			opts.Renorm = true
			opts.RMax, opts.DMax = b.Renorm.At(b.BatchesTracked)
		}
	}
	var gamma, beta *autograd.Var[T]
	if b.Weight != nil {
		gamma, beta = b.Weight.Var(tp), b.Bias.Var(tp)
	}
	y := tp.BatchNorm(x, gamma, beta, opts)
	if training {
		b.BatchesTracked++
		m := b.Momentum
		if m <= 0 {
			m = 1 / float64(b.BatchesTracked)
		}
		k := float64(tensor.Numel(s) / b.Features)
		unbias := k / (k - 1)
		rm, rv := b.RunningMean.Data, b.RunningVar.Data
		for c := range rm {
			rm[c] = T((1-m)*float64(rm[c]) + m*float64(b.mean[c]))
			rv[c] = T((1-m)*float64(rv[c]) + m*float64(b.vr[c])*unbias)
		}
	}
	return y
}

// Parameters returns γ and β (none without affine parameters).
func (b *BatchNorm[T]) Parameters() []*Parameter[T] {
	if b.Weight == nil {
		return nil
	}
	return []*Parameter[T]{b.Weight, b.Bias}
}

// Buffers returns the running mean and variance.
func (b *BatchNorm[T]) Buffers() map[string]*tensor.Tensor[T] {
	return map[string]*tensor.Tensor[T]{"running_mean": b.RunningMean, "running_var": b.RunningVar}
}

// String describes the layer, e.g. "BatchNorm(32)".
func (b *BatchNorm[T]) String() string {
	if b.Renorm != nil {
		return fmt.Sprintf("BatchRenorm(%d)", b.Features)
	}
	return fmt.Sprintf("BatchNorm(%d)", b.Features)
}

// scaleShift returns the per-channel a and c with eval-mode output
// y = a·x + c: a = γ/√(σ² + ε), c = β − a·μ, from the running statistics.
func (b *BatchNorm[T]) scaleShift() (a, c []float64) {
	a, c = make([]float64, b.Features), make([]float64, b.Features)
	for i := range a {
		g, be := 1.0, 0.0
		if b.Weight != nil {
			g, be = float64(b.Weight.Value.Data[i]), float64(b.Bias.Value.Data[i])
		}
		a[i] = g / math.Sqrt(float64(b.RunningVar.Data[i])+b.Eps)
		c[i] = be - a[i]*float64(b.RunningMean.Data[i])
	}
	return a, c
}

// LayerNorm is layer normalization (Ba, Kiros & Hinton 2016,
// torch.nn.LayerNorm): each example is normalized over its last
// len(Shape) dimensions, which must equal Shape,
//
//	y = γ ⊙ (x − μ)/√(σ² + ε) + β,
//
// μ and σ² being the mean and biased variance of those values. It uses no
// batch statistics, so training and evaluation agree. Defaults (PyTorch's):
// elementwise γ = 1 and β = 0 of shape Shape, ε = 1e-5; γ and β are marked
// NoDecay.
type LayerNorm[T Float] struct {
	// Shape is the normalized shape: the trailing dimensions of the input.
	Shape []int
	// Eps is ε.
	Eps float64
	// Weight is γ and Bias is β, of shape Shape.
	Weight, Bias *Parameter[T]
}

// NewLayerNorm returns a layer normalization over trailing dimensions of the
// given shape, with elementwise affine parameters.
func NewLayerNorm[T Float](shape ...int) *LayerNorm[T] {
	if len(shape) == 0 || tensor.Numel(shape) == 0 {
		panic(fmt.Sprintf("nn.NewLayerNorm: normalized shape %v, want at least one positive dimension", shape))
	}
	l := &LayerNorm[T]{Shape: append([]int(nil), shape...), Eps: 1e-5,
		Weight: newParameter[T]("weight", shape...), Bias: newParameter[T]("bias", shape...)}
	l.Weight.Value.Fill(1)
	l.Weight.NoDecay, l.Bias.NoDecay = true, true
	return l
}

// Forward normalizes each example of x over its trailing dimensions.
func (l *LayerNorm[T]) Forward(tp *autograd.Tape[T], x *autograd.Var[T]) *autograd.Var[T] {
	s := x.Shape()
	if len(s) <= len(l.Shape) || !tensor.SameShape(s[len(s)-len(l.Shape):], l.Shape) {
		panic(fmt.Sprintf("nn.%v: input shape %v, want batch×%v", l, s, l.Shape))
	}
	return tp.LayerNorm(x, l.Weight.Var(tp), l.Bias.Var(tp), len(l.Shape), l.Eps)
}

// Parameters returns γ and β.
func (l *LayerNorm[T]) Parameters() []*Parameter[T] { return []*Parameter[T]{l.Weight, l.Bias} }

// String describes the layer, e.g. "LayerNorm([128])".
func (l *LayerNorm[T]) String() string { return fmt.Sprintf("LayerNorm(%v)", l.Shape) }

// GroupNorm is group normalization (Wu & He 2018, torch.nn.GroupNorm): the
// Channels channels of each example (input batch×C or batch×C×…) are split
// into Groups consecutive groups, each normalized over its channels and
// positions,
//
//	y = γ_c·(x − μ_g)/√(σ²_g + ε) + β_c.
//
// Groups = 1 is layer normalization with per-channel γ and β; Groups =
// Channels is instance normalization. No batch statistics: training and
// evaluation agree, at any batch size. Defaults (PyTorch's): γ = 1, β = 0
// per channel, ε = 1e-5; γ and β are marked NoDecay.
type GroupNorm[T Float] struct {
	Groups, Channels int
	// Eps is ε.
	Eps float64
	// Weight is γ and Bias is β, one entry per channel; nil without affine
	// parameters.
	Weight, Bias *Parameter[T]
	name         string
}

// NewGroupNorm returns a group normalization of channels channels in groups
// groups, with per-channel affine parameters. groups must divide channels.
func NewGroupNorm[T Float](groups, channels int) *GroupNorm[T] {
	if groups < 1 || channels < 1 || channels%groups != 0 {
		panic(fmt.Sprintf("nn.NewGroupNorm: %d groups must divide the %d channels", groups, channels))
	}
	return newGroupNorm[T](groups, channels, true, "GroupNorm")
}

func newGroupNorm[T Float](groups, channels int, affine bool, name string) *GroupNorm[T] {
	g := &GroupNorm[T]{Groups: groups, Channels: channels, Eps: 1e-5, name: name}
	if affine {
		g.Weight, g.Bias = newParameter[T]("weight", channels), newParameter[T]("bias", channels)
		g.Weight.Value.Fill(1)
		g.Weight.NoDecay, g.Bias.NoDecay = true, true
	}
	return g
}

// NewInstanceNorm returns instance normalization (Ulyanov, Vedaldi &
// Lempitsky 2016, torch.nn.InstanceNorm2d with track_running_stats off):
// each channel of each example of a batch×C×… input is normalized over its
// positions. It is a GroupNorm with one group per channel; affine adds
// per-channel γ and β (PyTorch's default is affine=False). The input must
// have at least one spatial dimension.
func NewInstanceNorm[T Float](channels int, affine bool) *GroupNorm[T] {
	if channels < 1 {
		panic(fmt.Sprintf("nn.NewInstanceNorm: %d channels, want at least 1", channels))
	}
	return newGroupNorm[T](channels, channels, affine, "InstanceNorm")
}

// Forward normalizes x (batch×Channels or batch×Channels×…).
func (g *GroupNorm[T]) Forward(tp *autograd.Tape[T], x *autograd.Var[T]) *autograd.Var[T] {
	s := x.Shape()
	if len(s) < 2 || s[1] != g.Channels {
		panic(fmt.Sprintf("nn.%v: input shape %v, want batch×%d or batch×%d×…", g, s, g.Channels, g.Channels))
	}
	if g.name == "InstanceNorm" && len(s) < 3 {
		panic(fmt.Sprintf("nn.%v: input shape %v has no spatial dimension to normalize over", g, s))
	}
	var gamma, beta *autograd.Var[T]
	if g.Weight != nil {
		gamma, beta = g.Weight.Var(tp), g.Bias.Var(tp)
	}
	return tp.GroupNorm(x, gamma, beta, g.Groups, g.Eps)
}

// Parameters returns γ and β (none without affine parameters).
func (g *GroupNorm[T]) Parameters() []*Parameter[T] {
	if g.Weight == nil {
		return nil
	}
	return []*Parameter[T]{g.Weight, g.Bias}
}

// String describes the layer, e.g. "GroupNorm(8, 32)" or "InstanceNorm(32)".
func (g *GroupNorm[T]) String() string {
	if g.name == "InstanceNorm" {
		return fmt.Sprintf("InstanceNorm(%d)", g.Channels)
	}
	return fmt.Sprintf("GroupNorm(%d, %d)", g.Groups, g.Channels)
}
