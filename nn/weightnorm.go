package nn

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/autograd"
)

// WeightNorm re-parameterizes the weight of a Linear or Conv2D layer as
// (Salimans & Kingma 2016, torch.nn.utils.weight_norm with dim 0)
//
//	w = g · v/‖v‖,
//
// one norm and one g per output unit (row of a Linear weight, filter of a
// Conv2D), decoupling the length of each weight vector from its direction:
// the gradient of v is orthogonal to v and scaled by g/‖v‖. The trained
// parameters are G ("weight_g", one entry per output), V ("weight_v", the
// weight's shape) and the layer's bias; the layer's own Weight is no longer
// used. At construction V is the layer's current weight and G its norm, so
// the wrapped layer starts out computing the same function. G is marked
// NoDecay.
type WeightNorm[T Float] struct {
	// Layer is the wrapped *Linear or *Conv2D.
	Layer Module[T]
	// G holds g and V holds v.
	G, V *Parameter[T]
}

// NewWeightNorm wraps layer, which must be a *Linear or a *Conv2D.
func NewWeightNorm[T Float](layer Module[T]) *WeightNorm[T] {
	var w *Parameter[T]
	switch l := layer.(type) {
	case *Linear[T]:
		w = l.Weight
	case *Conv2D[T]:
		w = l.Weight
	default:
		panic(fmt.Sprintf("nn.NewWeightNorm: cannot re-parameterize %v (%T); want a Linear or Conv2D layer", layer, layer))
	}
	rows := w.Value.Shape[0]
	k := w.Value.Len() / rows
	wn := &WeightNorm[T]{Layer: layer, G: newParameter[T]("weight_g", rows), V: newParameter[T]("weight_v", w.Value.Shape...)}
	wn.G.NoDecay = true
	copy(wn.V.Value.Data, w.Value.Data)
	for o := range rows {
		var s float64
		for _, v := range w.Value.Data[o*k : (o+1)*k] {
			s += float64(v) * float64(v)
		}
		wn.G.Value.Data[o] = T(math.Sqrt(s))
	}
	return wn
}

// Forward computes w = g·v/‖v‖ and applies the wrapped layer with it.
func (wn *WeightNorm[T]) Forward(tp *autograd.Tape[T], x *autograd.Var[T]) *autograd.Var[T] {
	switch l := wn.Layer.(type) {
	case *Linear[T]:
		if s := x.Shape(); len(s) != 2 || s[1] != l.In {
			panic(fmt.Sprintf("nn.%v: input shape %v, want batch×%d", wn, s, l.In))
		}
		var b *autograd.Var[T]
		if l.Bias != nil {
			b = l.Bias.Var(tp)
		}
		return tp.Linear(x, wn.weight(tp), b)
	case *Conv2D[T]:
		l.checkInput(x.Shape())
		return l.forward(tp, x, wn.weight(tp))
	}
	panic(fmt.Sprintf("nn.WeightNorm: wrapped layer %T is not a Linear or Conv2D", wn.Layer))
}

// weight records w = g·v/‖v‖ on tp.
func (wn *WeightNorm[T]) weight(tp *autograd.Tape[T]) *autograd.Var[T] {
	return tp.WeightNorm(wn.V.Var(tp), wn.G.Var(tp))
}

// Weight returns the current effective weight g·v/‖v‖ as a new tensor.
func (wn *WeightNorm[T]) Weight() []T {
	tp := autograd.NewTape[T]()
	tp.SetInference(true)
	return append([]T(nil), wn.weight(tp).Value.Data...)
}

// Parameters returns g, v and the wrapped layer's bias, if any.
func (wn *WeightNorm[T]) Parameters() []*Parameter[T] {
	ps := []*Parameter[T]{wn.G, wn.V}
	switch l := wn.Layer.(type) {
	case *Linear[T]:
		if l.Bias != nil {
			ps = append(ps, l.Bias)
		}
	case *Conv2D[T]:
		if l.Bias != nil {
			ps = append(ps, l.Bias)
		}
	}
	return ps
}

// SetTraining forwards the mode to the wrapped layer.
func (wn *WeightNorm[T]) SetTraining(on bool) { SetTraining(wn.Layer, on) }

// String describes the layer, e.g. "WeightNorm(Linear(784→128))".
func (wn *WeightNorm[T]) String() string { return fmt.Sprintf("WeightNorm(%v)", wn.Layer) }
