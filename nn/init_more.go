package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// FanMode selects which fan a Kaiming initializer preserves the variance
// of: FanIn keeps the forward activations' variance, FanOut the backward
// gradients'.
type FanMode int

const (
	// FanIn scales by the number of inputs per unit (PyTorch's default).
	FanIn FanMode = iota
	// FanOut scales by the number of outputs per unit.
	FanOut
)

func (m FanMode) fan(fanIn, fanOut int) float64 {
	if m == FanOut {
		return float64(fanOut)
	}
	return float64(fanIn)
}

// Gain returns the recommended gain for a nonlinearity, as
// torch.nn.init.calculate_gain: 1 for "linear", "identity", "conv" and
// "sigmoid", 5/3 for "tanh", √2 for "relu", √(2/(1 + slope²)) for
// "leaky_relu" with negative slope param (0.01 when param is 0) and 3/4 for
// "selu". ok is false for other names.
func Gain(nonlinearity string, param float64) (gain float64, ok bool) {
	switch nonlinearity {
	case "linear", "identity", "conv", "conv1d", "conv2d", "sigmoid":
		return 1, true
	case "tanh":
		return 5.0 / 3, true
	case "relu":
		return math.Sqrt2, true
	case "leaky_relu":
		if param == 0 {
			param = 0.01
		}
		return math.Sqrt(2 / (1 + param*param)), true
	case "selu":
		return 0.75, true
	}
	return 0, false
}

// XavierUniformGain returns Glorot & Bengio's (2010) uniform initializer
// with a gain: W ~ U[±gain·√(6/(n_in + n_out))]
// (torch.nn.init.xavier_uniform_). XavierUniform is gain 1.
func XavierUniformGain[T Float](gain float64) Init[T] {
	return func(rng *rand.Rand, w []T, fanIn, fanOut int) {
		uniform(rng, w, gain*math.Sqrt(6/float64(fanIn+fanOut)))
	}
}

// XavierNormalGain returns Glorot & Bengio's normal initializer with a
// gain: W ~ N(0, gain²·2/(n_in + n_out)) (torch.nn.init.xavier_normal_).
func XavierNormalGain[T Float](gain float64) Init[T] {
	return func(rng *rand.Rand, w []T, fanIn, fanOut int) {
		normal(rng, w, gain*math.Sqrt(2/float64(fanIn+fanOut)))
	}
}

// KaimingNormal returns He et al.'s (2015) normal initializer:
// W ~ N(0, gain²/fan) with fan the fan-in or fan-out
// (torch.nn.init.kaiming_normal_). With FanIn and gain √2 (Gain("relu", 0))
// it is HeNormal.
func KaimingNormal[T Float](mode FanMode, gain float64) Init[T] {
	return func(rng *rand.Rand, w []T, fanIn, fanOut int) {
		normal(rng, w, gain/math.Sqrt(mode.fan(fanIn, fanOut)))
	}
}

// KaimingUniform returns He et al.'s uniform initializer:
// W ~ U[±gain·√(3/fan)], the uniform law with KaimingNormal's variance
// (torch.nn.init.kaiming_uniform_). With FanIn and gain √2 it is HeUniform.
func KaimingUniform[T Float](mode FanMode, gain float64) Init[T] {
	return func(rng *rand.Rand, w []T, fanIn, fanOut int) {
		uniform(rng, w, gain*math.Sqrt(3/mode.fan(fanIn, fanOut)))
	}
}

// LeCunNormal is LeCun et al.'s (1998) initialization W ~ N(0, 1/n_in),
// which keeps the variance of the pre-activations at that of the inputs
// for a linear (or SELU) network.
func LeCunNormal[T Float](rng *rand.Rand, w []T, fanIn, fanOut int) {
	normal(rng, w, 1/math.Sqrt(float64(fanIn)))
}

// LeCunUniform draws W ~ U[±√(3/n_in)], the uniform law with LeCunNormal's
// variance.
func LeCunUniform[T Float](rng *rand.Rand, w []T, fanIn, fanOut int) {
	uniform(rng, w, math.Sqrt(3/float64(fanIn)))
}

// TorchDefault is PyTorch's default initialization of Linear and Conv2d
// weights, kaiming_uniform_ with a = √5: W ~ U[±1/√n_in] (variance
// 1/(3·n_in)).
func TorchDefault[T Float](rng *rand.Rand, w []T, fanIn, fanOut int) {
	uniform(rng, w, 1/math.Sqrt(float64(fanIn)))
}

// Ones sets every weight to 1.
func Ones[T Float](rng *rand.Rand, w []T, fanIn, fanOut int) {
	for i := range w {
		w[i] = 1
	}
}

// Constant returns the initializer that sets every weight to c.
func Constant[T Float](c float64) Init[T] {
	return func(rng *rand.Rand, w []T, fanIn, fanOut int) {
		for i := range w {
			w[i] = T(c)
		}
	}
}

// Orthogonal returns Saxe et al.'s (2014) orthogonal initializer
// (torch.nn.init.orthogonal_): the weight, viewed as a matrix with fanIn
// columns (rows = outputs, or filters of a convolution), is gain times a
// random matrix with orthonormal rows (if rows ≤ columns) or columns,
// uniformly distributed: the Q of the QR factorization of a Gaussian matrix,
// with the signs fixed so that R has a positive diagonal.
func Orthogonal[T Float](gain float64) Init[T] {
	return func(rng *rand.Rand, w []T, fanIn, fanOut int) {
		if len(w) == 0 {
			return
		}
		cols := fanIn
		if cols <= 0 || len(w)%cols != 0 {
			panic(fmt.Sprintf("nn.Orthogonal: %d weights do not form rows of %d inputs", len(w), fanIn))
		}
		rows := len(w) / cols
		// Orthonormalize the columns of a tall m×k Gaussian matrix (m ≥ k)
		// by modified Gram–Schmidt, which yields Q with R's diagonal
		// positive.
		m, k := rows, cols
		if rows < cols {
			m, k = cols, rows
		}
		a := make([]float64, m*k) // column-major: column j at a[j*m:]
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for j := 0; j < k; j++ {
			cj := a[j*m : (j+1)*m]
			for i := 0; i < j; i++ {
				ci := a[i*m : (i+1)*m]
				var d float64
				for t := range cj {
					d += ci[t] * cj[t]
				}
				for t := range cj {
					cj[t] -= d * ci[t]
				}
			}
			var n float64
			for _, v := range cj {
				n += v * v
			}
			n = math.Sqrt(n)
			for t := range cj {
				cj[t] /= n
			}
		}
		// Q is m×k; the weight is Q (rows ≥ cols) or Qᵀ.
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				var v float64
				if rows >= cols {
					v = a[c*m+r]
				} else {
					v = a[r*m+c]
				}
				w[r*cols+c] = T(gain * v)
			}
		}
	}
}

func uniform[T Float](rng *rand.Rand, w []T, bound float64) {
	for i := range w {
		w[i] = T(bound * (2*rng.Float64() - 1))
	}
}

func normal[T Float](rng *rand.Rand, w []T, std float64) {
	for i := range w {
		w[i] = T(std * rng.NormFloat64())
	}
}

// initNames lists the names InitByName accepts (besides "constant:C").
var initNames = []string{
	"xavier-uniform", "xavier-normal", "he-normal", "he-uniform", "he-normal-fan-out", "he-uniform-fan-out",
	"lecun-normal", "lecun-uniform", "orthogonal", "torch", "zeros", "ones",
}

// InitNames returns the names of the initializers InitByName knows, for
// usage messages; "constant:C" (every weight C) is accepted too.
func InitNames() []string { return append([]string(nil), initNames...) }

// moreInitByName resolves the initializer names that this file adds to
// InitByName: "lecun-normal", "lecun-uniform", "orthogonal" (gain 1),
// "he-normal-fan-out", "he-uniform-fan-out" (ReLU gain), "torch"
// (PyTorch's default), "ones" and "constant:C".
func moreInitByName[T Float](name string) (Init[T], bool) {
	switch name {
	case "lecun-normal", "lecun":
		return LeCunNormal[T], true
	case "lecun-uniform":
		return LeCunUniform[T], true
	case "orthogonal":
		return Orthogonal[T](1), true
	case "he-normal-fan-out":
		return KaimingNormal[T](FanOut, math.Sqrt2), true
	case "he-uniform-fan-out":
		return KaimingUniform[T](FanOut, math.Sqrt2), true
	case "torch", "pytorch":
		return TorchDefault[T], true
	case "ones":
		return Ones[T], true
	}
	if v, ok := strings.CutPrefix(name, "constant:"); ok {
		c, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(c) || math.IsInf(c, 0) {
			return nil, false
		}
		return Constant[T](c), true
	}
	return nil, false
}
