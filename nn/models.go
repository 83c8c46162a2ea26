package nn

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Norm names a normalization scheme for the model builders CNN and NormMLP.
type Norm string

// The normalization schemes.
const (
	// NormNone uses no normalization.
	NormNone Norm = "none"
	// NormBatch puts a BatchNorm after every hidden Linear and Conv2D.
	NormBatch Norm = "batch"
	// NormRenorm puts a Batch Renormalization there.
	NormRenorm Norm = "renorm"
	// NormLayer puts a LayerNorm after hidden Linear layers and a
	// GroupNorm with one group (layer normalization with per-channel γ and
	// β) after Conv2D layers.
	NormLayer Norm = "layer"
	// NormGroup puts a GroupNorm there.
	NormGroup Norm = "group"
	// NormInstance puts an InstanceNorm (with γ and β) after Conv2D layers;
	// fully connected layers stay unnormalized, since one value per
	// channel has nothing to normalize over.
	NormInstance Norm = "instance"
	// NormWeight wraps every Linear and Conv2D (the output layer included)
	// in WeightNorm.
	NormWeight Norm = "weight"
)

// Norms lists the normalization schemes.
func Norms() []Norm {
	return []Norm{NormNone, NormBatch, NormRenorm, NormLayer, NormGroup, NormInstance, NormWeight}
}

// ParseNorm returns the scheme called s ("" means none), or an error listing
// the valid names.
func ParseNorm(s string) (Norm, error) {
	if s == "" {
		return NormNone, nil
	}
	for _, n := range Norms() {
		if string(n) == s {
			return n, nil
		}
	}
	names := make([]string, len(Norms()))
	for i, n := range Norms() {
		names[i] = string(n)
	}
	return "", fmt.Errorf("unknown normalization %q; want one of %s", s, strings.Join(names, ", "))
}

// ModelConfig chooses the normalization, initialization and regularization
// of the networks that CNN and NormMLP build. The zero value is a plain
// ReLU network.
type ModelConfig[T Float] struct {
	// Norm is the normalization scheme ("" is NormNone). Layers followed
	// by a normalization with a shift β of its own have no bias.
	Norm Norm
	// Init draws the weights of the Linear and Conv2D layers (nil:
	// XavierUniform for CNN, HeNormal for NormMLP). Normalization layers
	// start at γ = 1, β = 0 and biases at 0.
	Init Init[T]
	// Activation builds the nonlinearity after each hidden layer (nil:
	// ReLU).
	Activation func() Module[T]
	// Dropout is the drop probability of a Dropout layer after each hidden
	// fully connected layer's activation (0: none).
	Dropout float64
	// DropoutRand draws the dropout masks; nil derives a source from the
	// builder's rng.
	DropoutRand *rand.Rand
	// Groups is the number of groups of NormGroup (0: 8), reduced to its
	// greatest common divisor with each layer's channel count.
	Groups int
	// Renorm is the schedule of NormRenorm; the zero value is the schedule
	// of Ioffe (2017) compressed tenfold for runs of a few thousand steps:
	// r_max = 1, d_max = 0 for 500 steps, then r_max → 3 by step 4000 and
	// d_max → 5 by step 2500.
	Renorm RenormSchedule
}

// builder holds the resolved configuration while a model is built.
type builder[T Float] struct {
	rng  *rand.Rand
	cfg  ModelConfig[T]
	drop *rand.Rand
}

func newBuilder[T Float](op string, rng *rand.Rand, cfg ModelConfig[T], defaultInit Init[T]) *builder[T] {
	if cfg.Norm == "" {
		cfg.Norm = NormNone
	}
	if _, err := ParseNorm(string(cfg.Norm)); err != nil {
		panic(op + ": " + err.Error())
	}
	if cfg.Init == nil {
		cfg.Init = defaultInit
	}
	if cfg.Activation == nil {
		cfg.Activation = ReLU[T]
	}
	if cfg.Groups == 0 {
		cfg.Groups = 8
	}
	if cfg.Groups < 0 {
		panic(fmt.Sprintf("%s: %d groups", op, cfg.Groups))
	}
	if cfg.Renorm == (RenormSchedule{}) {
		cfg.Renorm = RenormSchedule{RMax: 3, DMax: 5, Warmup: 500, RMaxAt: 4000, DMaxAt: 2500}
	}
	if !(cfg.Dropout >= 0 && cfg.Dropout < 1) {
		panic(fmt.Sprintf("%s: dropout %v outside [0, 1)", op, cfg.Dropout))
	}
	b := &builder[T]{rng: rng, cfg: cfg, drop: cfg.DropoutRand}
	if cfg.Dropout > 0 && b.drop == nil {
		b.drop = rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	}
	return b
}

// shifted reports whether the normalization after a layer has its own β,
// which makes the layer's bias redundant.
func (b *builder[T]) shifted(conv bool) bool {
	switch b.cfg.Norm {
	case NormBatch, NormRenorm, NormLayer, NormGroup:
		return true
	case NormInstance:
		return conv
	}
	return false
}

// norm returns the normalization layer for c channels (conv) or features,
// or nil.
func (b *builder[T]) norm(c int, conv bool) Module[T] {
	switch b.cfg.Norm {
	case NormBatch:
		return NewBatchNorm[T](c)
	case NormRenorm:
		return NewBatchRenorm[T](c, b.cfg.Renorm)
	case NormLayer:
		if conv {
			return NewGroupNorm[T](1, c)
		}
		return NewLayerNorm[T](c)
	case NormGroup:
		return NewGroupNorm[T](gcd(b.cfg.Groups, c), c)
	case NormInstance:
		if conv {
			return NewInstanceNorm[T](c, true)
		}
	}
	return nil
}

// wrap applies weight normalization when configured.
func (b *builder[T]) wrap(l Module[T]) Module[T] {
	if b.cfg.Norm == NormWeight {
		return NewWeightNorm(l)
	}
	return l
}

// hidden appends layer, its normalization and the activation.
func (b *builder[T]) hidden(layers []Module[T], l Module[T], c int, conv bool) []Module[T] {
	layers = append(layers, b.wrap(l))
	if n := b.norm(c, conv); n != nil {
		layers = append(layers, n)
	}
	return append(layers, b.cfg.Activation())
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// CNN returns the LeNet-style convolutional network (LeCun et al. 1998) for
// images of the given shape (channels×height×width, e.g. [1 28 28]) and
// number of classes:
//
//	Conv2D(C→32, 5×5) → [norm] → act → MaxPool2D(2×2)
//	Conv2D(32→64, 5×5) → [norm] → act → MaxPool2D(2×2)
//	Flatten → Linear(64·h·w → 128) → [norm] → act → [Dropout] → Linear(128 → classes)
//
// with no padding (28×28 inputs give 24, 12, 8 and 4 pixels a side, so the
// fully connected layer has 1024 inputs). Its weights default to Glorot &
// Bengio's XavierUniform (Keras's default for this network): with plain SGD
// at learning rate 0.1, He-normal weights make the first steps of this
// network blow up for some seeds. It panics if the shape is not 3-D or too
// small (16×16 at least) or the configuration is invalid.
func CNN[T Float](rng *rand.Rand, shape []int, classes int, cfg ModelConfig[T]) *Sequential[T] {
	b := newBuilder("nn.CNN", rng, cfg, XavierUniform[T])
	if len(shape) != 3 || shape[0] < 1 || classes < 1 {
		panic(fmt.Sprintf("nn.CNN: example shape %v and %d classes; want channels×height×width images and at least one class", shape, classes))
	}
	h, w := (shape[1]-4)/2, (shape[2]-4)/2
	h, w = (h-4)/2, (w-4)/2
	if shape[1] < 16 || shape[2] < 16 || h < 1 || w < 1 {
		panic(fmt.Sprintf("nn.CNN: images of shape %v are too small for two 5×5 convolutions and 2×2 poolings (16×16 at least)", shape))
	}
	const c1, c2, fc = 32, 64, 128
	init := b.cfg.Init
	pool := PoolOptions{Kernel: [2]int{2, 2}}
	var layers []Module[T]
	layers = b.hidden(layers, NewConv2D(rng, Conv2DConfig{In: shape[0], Out: c1, Kernel: [2]int{5, 5}, NoBias: b.shifted(true)}, init), c1, true)
	layers = append(layers, NewMaxPool2D[T](pool))
	layers = b.hidden(layers, NewConv2D(rng, Conv2DConfig{In: c1, Out: c2, Kernel: [2]int{5, 5}, NoBias: b.shifted(true)}, init), c2, true)
	layers = append(layers, NewMaxPool2D[T](pool), Flatten[T]())
	layers = b.hidden(layers, NewLinear(rng, c2*h*w, fc, init, !b.shifted(false)), fc, false)
	if b.cfg.Dropout > 0 {
		layers = append(layers, NewDropout[T](b.cfg.Dropout, b.drop))
	}
	layers = append(layers, b.wrap(NewLinear(rng, fc, classes, init, true)))
	return NewSequential(layers...)
}

// NormMLP returns a multi-layer perceptron like MLP (Flatten, then Linear
// layers of the given sizes with the activation between them) with the
// normalization of cfg after each hidden Linear layer (before its
// activation, as in Ioffe & Szegedy 2015) and optional dropout after each
// hidden activation. NormInstance is not available: a fully connected layer
// has no positions to normalize over.
func NormMLP[T Float](rng *rand.Rand, sizes []int, cfg ModelConfig[T]) *Sequential[T] {
	b := newBuilder("nn.NormMLP", rng, cfg, HeNormal[T])
	if len(sizes) < 2 {
		panic(fmt.Sprintf("nn.NormMLP: need at least input and output sizes, got %v", sizes))
	}
	if b.cfg.Norm == NormInstance {
		panic("nn.NormMLP: instance normalization needs spatial dimensions; a fully connected layer has none")
	}
	layers := []Module[T]{Flatten[T]()}
	for i := 0; i+2 < len(sizes); i++ {
		layers = b.hidden(layers, NewLinear(rng, sizes[i], sizes[i+1], b.cfg.Init, !b.shifted(false)), sizes[i+1], false)
		if b.cfg.Dropout > 0 {
			layers = append(layers, NewDropout[T](b.cfg.Dropout, b.drop))
		}
	}
	n := len(sizes)
	layers = append(layers, b.wrap(NewLinear(rng, sizes[n-2], sizes[n-1], b.cfg.Init, true)))
	return NewSequential(layers...)
}
