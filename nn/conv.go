package nn

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/descent-ml/descent/autograd"
)

// Conv2DConfig describes a Conv2D layer. Pairs are (height, width).
type Conv2DConfig struct {
	// In and Out are the input and output channels.
	In, Out int
	// Kernel is the kernel size.
	Kernel [2]int
	// Stride is the step between output positions; zero entries mean 1.
	Stride [2]int
	// Padding adds that many zeros on both sides of each spatial dimension.
	Padding [2]int
	// Dilation is the spacing between kernel taps; zero entries mean 1.
	Dilation [2]int
	// Groups splits the channels into groups convolved separately (zero
	// means 1); it must divide In and Out.
	Groups int
	// NoBias leaves out the bias (for a layer followed by a normalization
	// with a shift of its own).
	NoBias bool
}

// options returns the autograd options of the configuration.
func (c Conv2DConfig) options() autograd.Conv2DOptions {
	return autograd.Conv2DOptions{Stride: c.Stride, Padding: c.Padding, Dilation: c.Dilation, Groups: c.Groups}
}

func (c Conv2DConfig) groups() int { return max(1, c.Groups) }

// Conv2D is the 2-D convolution layer (torch.nn.Conv2d, LeCun et al. 1989):
// for inputs of shape batch×In×H×W,
//
//	y[n,o,i,j] = b[o] + Σ_{c,p,q} W[o,c,p,q] · x[n, c', i·s_h − pad_h + p·d_h, j·s_w − pad_w + q·d_w],
//
// summing over the In/Groups channels c' of o's group, with zeros outside
// the input. The output has shape batch×Out×H'×W' with
// H' = ⌊(H + 2·pad_h − d_h·(k_h − 1) − 1)/s_h⌋ + 1 and likewise W'. It is
// computed as one matrix product per group over the whole batch whose
// im2col matrix is read from the images as it is packed, never stored
// (see autograd.Tape.Conv2D and tensor.Conv2D).
//
// Weight has shape Out×In/Groups×k_h×k_w (PyTorch's layout). Defaults: the
// weights are drawn by the initializer given to NewConv2D with fan-in
// In/Groups·k_h·k_w and fan-out Out·k_h·k_w (PyTorch's convention), and the
// bias starts at zero (PyTorch draws it from U(±1/√fan-in)).
type Conv2D[T Float] struct {
	Config Conv2DConfig
	// Weight is Out×In/Groups×k_h×k_w.
	Weight *Parameter[T]
	// Bias has Out entries; nil when Config.NoBias.
	Bias *Parameter[T]
}

// NewConv2D returns a Conv2D layer with weights drawn by init from rng. It
// panics, naming the configuration, if a size is not positive or Groups
// does not divide the channels.
func NewConv2D[T Float](rng *rand.Rand, cfg Conv2DConfig, init Init[T]) *Conv2D[T] {
	g := cfg.groups()
	switch {
	case cfg.In <= 0 || cfg.Out <= 0 || cfg.Kernel[0] <= 0 || cfg.Kernel[1] <= 0:
		panic(fmt.Sprintf("nn.NewConv2D: channels %d→%d and kernel %v must be positive", cfg.In, cfg.Out, cfg.Kernel))
	case g < 1 || cfg.In%g != 0 || cfg.Out%g != 0:
		panic(fmt.Sprintf("nn.NewConv2D: groups %d must divide the input channels %d and the output channels %d", cfg.Groups, cfg.In, cfg.Out))
	case cfg.Stride[0] < 0 || cfg.Stride[1] < 0 || cfg.Dilation[0] < 0 || cfg.Dilation[1] < 0 || cfg.Padding[0] < 0 || cfg.Padding[1] < 0:
		panic(fmt.Sprintf("nn.NewConv2D: stride %v, padding %v and dilation %v must not be negative", cfg.Stride, cfg.Padding, cfg.Dilation))
	}
	kk := cfg.Kernel[0] * cfg.Kernel[1]
	c := &Conv2D[T]{Config: cfg, Weight: newParameter[T]("weight", cfg.Out, cfg.In/g, cfg.Kernel[0], cfg.Kernel[1])}
	init(rng, c.Weight.Value.Data, cfg.In/g*kk, cfg.Out*kk)
	if !cfg.NoBias {
		c.Bias = newParameter[T]("bias", cfg.Out)
		c.Bias.NoDecay = true
	}
	return c
}

// Forward convolves x, which must have shape batch×In×H×W with H and W at
// least the dilated kernel size minus twice the padding.
func (c *Conv2D[T]) Forward(tp *autograd.Tape[T], x *autograd.Var[T]) *autograd.Var[T] {
	return c.forward(tp, x, c.Weight.Var(tp))
}

// forward convolves x with the weight w (c.Weight, or a re-parameterization
// of it such as WeightNorm's).
func (c *Conv2D[T]) forward(tp *autograd.Tape[T], x, w *autograd.Var[T]) *autograd.Var[T] {
	c.checkInput(x.Shape())
	var b *autograd.Var[T]
	if c.Bias != nil {
		b = c.Bias.Var(tp)
	}
	return tp.Conv2D(x, w, b, c.Config.options())
}

// checkInput panics with a message naming the layer and the shapes unless
// the layer can convolve an input of shape s.
func (c *Conv2D[T]) checkInput(s []int) {
	cfg := c.Config
	if len(s) != 4 || s[1] != cfg.In {
		panic(fmt.Sprintf("nn.%v: input shape %v, want batch×%d×height×width", c, s, cfg.In))
	}
	o := cfg.options()
	for i, name := range []string{"height", "width"} {
		st, d := max(1, o.Stride[i]), max(1, o.Dilation[i])
		if autograd.ConvOutputSize(s[2+i], cfg.Kernel[i], st, o.Padding[i], d) < 1 {
			panic(fmt.Sprintf("nn.%v: input shape %v: the kernel spans %d in %s, more than the padded input's %d",
				c, s, d*(cfg.Kernel[i]-1)+1, name, s[2+i]+2*o.Padding[i]))
		}
	}
}

// OutputShape returns the shape of the output for an input of shape
// batch×In×H×W.
func (c *Conv2D[T]) OutputShape(in []int) []int {
	c.checkInput(in)
	o := c.Config.options()
	h := autograd.ConvOutputSize(in[2], c.Config.Kernel[0], max(1, o.Stride[0]), o.Padding[0], max(1, o.Dilation[0]))
	w := autograd.ConvOutputSize(in[3], c.Config.Kernel[1], max(1, o.Stride[1]), o.Padding[1], max(1, o.Dilation[1]))
	return []int{in[0], c.Config.Out, h, w}
}

// Parameters returns the weight and, if present, the bias.
func (c *Conv2D[T]) Parameters() []*Parameter[T] {
	if c.Bias == nil {
		return []*Parameter[T]{c.Weight}
	}
	return []*Parameter[T]{c.Weight, c.Bias}
}

// String describes the layer, e.g. "Conv2D(1→32, 5×5)".
func (c *Conv2D[T]) String() string {
	cfg := c.Config
	var b strings.Builder
	fmt.Fprintf(&b, "Conv2D(%d→%d, %d×%d", cfg.In, cfg.Out, cfg.Kernel[0], cfg.Kernel[1])
	if cfg.Stride != [2]int{} && cfg.Stride != [2]int{1, 1} {
		fmt.Fprintf(&b, ", stride %v", cfg.Stride)
	}
	if cfg.Padding != [2]int{} {
		fmt.Fprintf(&b, ", padding %v", cfg.Padding)
	}
	if cfg.Dilation != [2]int{} && cfg.Dilation != [2]int{1, 1} {
		fmt.Fprintf(&b, ", dilation %v", cfg.Dilation)
	}
	if cfg.groups() > 1 {
		fmt.Fprintf(&b, ", groups %d", cfg.groups())
	}
	if cfg.NoBias {
		b.WriteString(", no bias")
	}
	b.WriteString(")")
	return b.String()
}
