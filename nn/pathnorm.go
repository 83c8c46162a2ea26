package nn

import (
	"fmt"
)

// PathScales returns the function that computes Path-SGD's per-weight scale
// κ_e(w) = γ²_in(u)·γ²_out(v) for every parameter of a ReLU network (see
// optim.NewPathSGD), for the flat vector layout of params. The network must
// be a Sequential (possibly nested) of Linear, ReLU and Flatten layers.
//
// γ²_in(v) = Σ_u W_vu² γ²_in(u) + b_v² (a bias is an edge from a unit whose
// γ_in is 1), γ²_in(input) = 1; γ²_out(u) = Σ_v W_vu² γ²_out(v),
// γ²_out(output) = 1. For a weight W_vu, κ = γ²_in(u)·γ²_out(v); for a bias
// b_v, κ = γ²_out(v). The cost is two passes over the weights.
func PathScales[T Float](m Module[T], params *Params[T]) (func(w, kappa []T), error) {
	var layers []*Linear[T]
	var walk func(m Module[T]) error
	walk = func(m Module[T]) error {
		switch l := m.(type) {
		case *Sequential[T]:
			for _, x := range l.Layers {
				if err := walk(x); err != nil {
					return err
				}
			}
		case *Linear[T]:
			layers = append(layers, l)
		case activation[T]:
			if l.name != "ReLU" && l.name != "Flatten" {
				return fmt.Errorf("path-SGD needs a ReLU network; layer %s is not positively homogeneous", l.name)
			}
		default:
			return fmt.Errorf("path-SGD needs a network of Linear and ReLU layers; got %v", m)
		}
		return nil
	}
	if err := walk(m); err != nil {
		return nil, err
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("path-SGD: the model has no Linear layer")
	}
	index := make(map[*Parameter[T]]int, len(params.List))
	for i, p := range params.List {
		index[p] = i
	}
	type span struct{ lo, hi int }
	at := func(p *Parameter[T]) (span, error) {
		i, ok := index[p]
		if !ok {
			return span{}, fmt.Errorf("path-SGD: parameter %q is not in the packed parameters", p.Name)
		}
		return span{params.Offsets[i], params.Offsets[i+1]}, nil
	}
	ws := make([]span, len(layers))
	bs := make([]span, len(layers))
	for i, l := range layers {
		var err error
		if ws[i], err = at(l.Weight); err != nil {
			return nil, err
		}
		if l.Bias != nil {
			if bs[i], err = at(l.Bias); err != nil {
				return nil, err
			}
		}
		if i > 0 && layers[i-1].Out != l.In {
			return nil, fmt.Errorf("path-SGD: layer %v follows %v", l, layers[i-1])
		}
	}
	// gin[i] is γ²_in of layer i's inputs; gin[len] of the outputs.
	gin := make([][]float64, len(layers)+1)
	gout := make([][]float64, len(layers)+1)
	for i, l := range layers {
		gin[i] = make([]float64, l.In)
		gout[i] = make([]float64, l.In)
	}
	last := layers[len(layers)-1].Out
	gin[len(layers)] = make([]float64, last)
	gout[len(layers)] = make([]float64, last)
	return func(w, kappa []T) {
		for j := range gin[0] {
			gin[0][j] = 1
		}
		for i, l := range layers {
			W := w[ws[i].lo:ws[i].hi]
			next := gin[i+1]
			for v := 0; v < l.Out; v++ {
				var s float64
				row := W[v*l.In : (v+1)*l.In]
				for u, x := range row {
					s += float64(x) * float64(x) * gin[i][u]
				}
				if l.Bias != nil {
					b := float64(w[bs[i].lo+v])
					s += b * b
				}
				next[v] = s
			}
		}
		for j := range gout[len(layers)] {
			gout[len(layers)][j] = 1
		}
		for i := len(layers) - 1; i >= 0; i-- {
			l := layers[i]
			W := w[ws[i].lo:ws[i].hi]
			prev := gout[i]
			clear(prev)
			for v := 0; v < l.Out; v++ {
				gv := gout[i+1][v]
				row := W[v*l.In : (v+1)*l.In]
				k := kappa[ws[i].lo+v*l.In : ws[i].lo+(v+1)*l.In]
				for u, x := range row {
					prev[u] += float64(x) * float64(x) * gv
					k[u] = T(gin[i][u] * gv)
				}
				if l.Bias != nil {
					kappa[bs[i].lo+v] = T(gv)
				}
			}
		}
	}, nil
}
