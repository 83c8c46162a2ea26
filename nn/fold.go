package nn

import (
	"fmt"
	"strconv"
)

// FoldBatchNorm merges a trained BatchNorm into the Linear or Conv2D layer
// before it ("merged in at test time"): in evaluation mode BatchNorm is the
// per-channel affine map y = a·z + c with a = γ/√(σ² + ε) and c = β − a·μ
// (running statistics), so layer-then-BatchNorm equals one layer with
//
//	W'[o,…] = a_o·W[o,…],   b'_o = a_o·b_o + c_o
//
// (b = 0 for a layer without bias). The result is a new *Linear or *Conv2D,
// always with a bias, with its own parameter storage; it matches the pair's
// evaluation-mode outputs (not its training-mode ones, which use batch
// statistics). A *WeightNorm layer is folded through its effective weight
// g·v/‖v‖ into a plain layer. It returns an error when the layer has another
// type or its outputs do not match bn's channels.
func FoldBatchNorm[T Float](layer Module[T], bn *BatchNorm[T]) (Module[T], error) {
	var weight []T
	if wn, ok := layer.(*WeightNorm[T]); ok {
		weight = wn.Weight()
		layer = wn.Layer
	}
	a, c := bn.scaleShift()
	fold := func(w []T, b *Parameter[T], out int, dstW, dstB []T) error {
		if out != bn.Features {
			return fmt.Errorf("nn.FoldBatchNorm: %v has %d outputs, %v normalizes %d", layer, out, bn, bn.Features)
		}
		if weight != nil {
			w = weight
		}
		k := len(w) / out
		for o := 0; o < out; o++ {
			for i := o * k; i < (o+1)*k; i++ {
				dstW[i] = T(a[o] * float64(w[i]))
			}
			bo := 0.0
			if b != nil {
				bo = float64(b.Value.Data[o])
			}
			dstB[o] = T(a[o]*bo + c[o])
		}
		return nil
	}
	switch l := layer.(type) {
	case *Linear[T]:
		f := &Linear[T]{In: l.In, Out: l.Out, Weight: newParameter[T]("weight", l.Out, l.In), Bias: newParameter[T]("bias", l.Out)}
		f.Bias.NoDecay = true
		if err := fold(l.Weight.Value.Data, l.Bias, l.Out, f.Weight.Value.Data, f.Bias.Value.Data); err != nil {
			return nil, err
		}
		return f, nil
	case *Conv2D[T]:
		cfg := l.Config
		cfg.NoBias = false
		f := &Conv2D[T]{Config: cfg, Weight: newParameter[T]("weight", l.Weight.Value.Shape...), Bias: newParameter[T]("bias", cfg.Out)}
		f.Bias.NoDecay = true
		if err := fold(l.Weight.Value.Data, l.Bias, cfg.Out, f.Weight.Value.Data, f.Bias.Value.Data); err != nil {
			return nil, err
		}
		return f, nil
	}
	return nil, fmt.Errorf("nn.FoldBatchNorm: cannot fold %v into %v (%T); want a Linear or Conv2D layer", bn, layer, layer)
}

// FoldBatchNorms returns a model for inference in which every Linear,
// Conv2D or WeightNorm layer of s that is directly followed by a BatchNorm
// is replaced by the folded layer (see FoldBatchNorm) and the BatchNorm is
// dropped. The other layers are shared with s, parameters included, so the
// result is meant for evaluation with s's current weights: do not pack it
// with NewParams. Folded parameters are named after the layer they replace
// ("0.weight", "0.bias").
func FoldBatchNorms[T Float](s *Sequential[T]) (*Sequential[T], error) {
	out := &Sequential[T]{}
	for i := 0; i < len(s.Layers); i++ {
		l := s.Layers[i]
		if i+1 < len(s.Layers) {
			if bn, ok := s.Layers[i+1].(*BatchNorm[T]); ok {
				switch l.(type) {
				case *Linear[T], *Conv2D[T], *WeightNorm[T]:
					f, err := FoldBatchNorm(l, bn)
					if err != nil {
						return nil, fmt.Errorf("layer %d: %w", i, err)
					}
					for _, p := range f.Parameters() {
						p.Name = strconv.Itoa(i) + "." + p.Name
					}
					out.Layers = append(out.Layers, f)
					i++
					continue
				}
			}
		}
		out.Layers = append(out.Layers, l)
	}
	return out, nil
}
