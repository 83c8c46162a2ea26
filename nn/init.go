package nn

import (
	"math"
	"math/rand/v2"
)

// Init fills a weight tensor w of a layer with fanIn inputs and fanOut
// outputs per unit, drawing from rng. Initializers never use a global
// source: the same seed gives the same weights.
type Init[T Float] func(rng *rand.Rand, w []T, fanIn, fanOut int)

// XavierUniform is Glorot & Bengio's (2010) initialization, the lecture's
// W ~ U[−√6/√(n_in+n_out), +√6/√(n_in+n_out)] (torch.nn.init.xavier_uniform_
// with gain 1). It keeps activation and gradient variance roughly constant
// across layers with symmetric activations such as tanh.
func XavierUniform[T Float](rng *rand.Rand, w []T, fanIn, fanOut int) {
	a := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = T(a * (2*rng.Float64() - 1))
	}
}

// XavierNormal draws W ~ N(0, 2/(n_in+n_out)) (torch.nn.init.xavier_normal_).
func XavierNormal[T Float](rng *rand.Rand, w []T, fanIn, fanOut int) {
	std := math.Sqrt(2 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = T(std * rng.NormFloat64())
	}
}

// HeNormal is He et al.'s (2015) initialization for ReLU networks,
// W ~ N(0, 2/n_in): standard deviation √(2/n_in)
// (torch.nn.init.kaiming_normal_ with mode fan_in and nonlinearity relu).
// The factor 2 makes up for ReLU zeroing half of its inputs.
func HeNormal[T Float](rng *rand.Rand, w []T, fanIn, fanOut int) {
	std := math.Sqrt(2 / float64(fanIn))
	for i := range w {
		w[i] = T(std * rng.NormFloat64())
	}
}

// HeUniform draws W ~ U[±√(6/n_in)], the uniform distribution with He
// normal's variance (torch.nn.init.kaiming_uniform_, relu, fan_in).
func HeUniform[T Float](rng *rand.Rand, w []T, fanIn, fanOut int) {
	a := math.Sqrt(6 / float64(fanIn))
	for i := range w {
		w[i] = T(a * (2*rng.Float64() - 1))
	}
}

// Zeros sets every weight to 0 (fine for biases and for logistic
// regression, whose objective is convex).
func Zeros[T Float](rng *rand.Rand, w []T, fanIn, fanOut int) { clear(w) }

// InitByName returns the initializer called name: "xavier-uniform",
// "xavier-normal", "he-normal", "he-uniform" or "zeros", or one of the
// further names that InitNames lists.
func InitByName[T Float](name string) (Init[T], bool) {
	switch name {
	case "xavier-uniform", "xavier", "glorot":
		return XavierUniform[T], true
	case "xavier-normal":
		return XavierNormal[T], true
	case "he-normal", "he", "kaiming":
		return HeNormal[T], true
	case "he-uniform":
		return HeUniform[T], true
	case "zeros":
		return Zeros[T], true
	}
	return moreInitByName[T](name)
}
