package nn

import (
	"fmt"

	"github.com/descent-ml/descent/autograd"
)

// PoolOptions are the window, stride, padding and dilation of the pooling
// layers (see autograd.PoolOptions): a zero stride means the kernel size.
type PoolOptions = autograd.PoolOptions

// MaxPool2D is 2-D max pooling (torch.nn.MaxPool2d, ceil_mode off): each
// output is the largest input of its window in its channel,
//
//	y[n,c,i,j] = max_{p,q} x[n, c, i·s_h − pad_h + p·d_h, j·s_w − pad_w + q·d_w],
//
// padding counting as −∞; the gradient goes to the (first) maximum of each
// window. Defaults: stride = kernel size, no padding, dilation 1.
type MaxPool2D[T Float] struct {
	Options PoolOptions
}

// NewMaxPool2D returns a max-pooling layer.
func NewMaxPool2D[T Float](opts PoolOptions) *MaxPool2D[T] {
	checkPoolOptions("nn.NewMaxPool2D", opts)
	return &MaxPool2D[T]{Options: opts}
}

// Forward pools x, which must have shape batch×C×H×W.
func (m *MaxPool2D[T]) Forward(tp *autograd.Tape[T], x *autograd.Var[T]) *autograd.Var[T] {
	checkPoolInput(m, m.Options, x.Shape())
	return tp.MaxPool2D(x, m.Options)
}

// Parameters returns nil: pooling has no parameters.
func (m *MaxPool2D[T]) Parameters() []*Parameter[T] { return nil }

// commutesWithReLU reports whether every window of the pooling holds an
// input element, so that pooling and then the ReLU equals the ReLU and then
// pooling: true without padding, or without dilation (padding is at most
// half the window).
func (m *MaxPool2D[T]) commutesWithReLU() bool {
	o := m.Options
	return o.Padding == [2]int{} || (o.Dilation[0] <= 1 && o.Dilation[1] <= 1)
}

// String describes the layer, e.g. "MaxPool2D(2×2)".
func (m *MaxPool2D[T]) String() string { return "MaxPool2D(" + poolString(m.Options) + ")" }

// AvgPool2D is 2-D average pooling (torch.nn.AvgPool2d, ceil_mode off):
//
//	y[n,c,i,j] = 1/D Σ_{p,q} x[n, c, i·s_h − pad_h + p, j·s_w − pad_w + q],
//
// with zero padding and D the window size (count_include_pad, PyTorch's
// default) or, with Options.ExcludePad, the number of window elements inside
// the input. Defaults: stride = kernel size, no padding.
type AvgPool2D[T Float] struct {
	Options PoolOptions
}

// NewAvgPool2D returns an average-pooling layer. Dilation must be 1.
func NewAvgPool2D[T Float](opts PoolOptions) *AvgPool2D[T] {
	checkPoolOptions("nn.NewAvgPool2D", opts)
	if opts.Dilation != [2]int{} && opts.Dilation != [2]int{1, 1} {
		panic(fmt.Sprintf("nn.NewAvgPool2D: dilation %v, want 1", opts.Dilation))
	}
	return &AvgPool2D[T]{Options: opts}
}

// Forward pools x, which must have shape batch×C×H×W.
func (a *AvgPool2D[T]) Forward(tp *autograd.Tape[T], x *autograd.Var[T]) *autograd.Var[T] {
	checkPoolInput(a, a.Options, x.Shape())
	return tp.AvgPool2D(x, a.Options)
}

// Parameters returns nil: pooling has no parameters.
func (a *AvgPool2D[T]) Parameters() []*Parameter[T] { return nil }

// String describes the layer, e.g. "AvgPool2D(2×2)".
func (a *AvgPool2D[T]) String() string { return "AvgPool2D(" + poolString(a.Options) + ")" }

func checkPoolOptions(op string, o PoolOptions) {
	for i := range 2 {
		if o.Kernel[i] < 1 || o.Stride[i] < 0 || o.Dilation[i] < 0 || o.Padding[i] < 0 || 2*o.Padding[i] > o.Kernel[i] {
			panic(fmt.Sprintf("%s: kernel %v, stride %v, padding %v, dilation %v: want a positive kernel and padding at most half of it", op, o.Kernel, o.Stride, o.Padding, o.Dilation))
		}
	}
}

// checkPoolInput panics, naming the layer and the shapes, unless a pooling
// layer with options o can pool an input of shape s.
func checkPoolInput(layer fmt.Stringer, o PoolOptions, s []int) {
	if len(s) != 4 {
		panic(fmt.Sprintf("nn.%v: input shape %v, want batch×channels×height×width", layer, s))
	}
	for i, name := range []string{"height", "width"} {
		st, d := o.Stride[i], max(1, o.Dilation[i])
		if st == 0 {
			st = o.Kernel[i]
		}
		if autograd.ConvOutputSize(s[2+i], o.Kernel[i], st, o.Padding[i], d) < 1 {
			panic(fmt.Sprintf("nn.%v: input shape %v: the window spans %d in %s, more than the padded input's %d",
				layer, s, d*(o.Kernel[i]-1)+1, name, s[2+i]+2*o.Padding[i]))
		}
	}
}

func poolString(o PoolOptions) string {
	s := fmt.Sprintf("%d×%d", o.Kernel[0], o.Kernel[1])
	if o.Stride != [2]int{} && o.Stride != o.Kernel {
		s += fmt.Sprintf(", stride %v", o.Stride)
	}
	if o.Padding != [2]int{} {
		s += fmt.Sprintf(", padding %v", o.Padding)
	}
	if o.Dilation != [2]int{} && o.Dilation != [2]int{1, 1} {
		s += fmt.Sprintf(", dilation %v", o.Dilation)
	}
	if o.ExcludePad {
		s += ", exclude padding"
	}
	return s
}
