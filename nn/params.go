package nn

import (
	"fmt"
	"math"
)

// Params is a model's parameters packed into one contiguous vector, with the
// gradients in a second vector of the same layout. Every Parameter's Value
// and Grad are views into Data and Grad, in the order of List.
type Params[T Float] struct {
	// Data holds every parameter value, parameter after parameter.
	Data []T
	// Grad holds the gradients in the same layout.
	Grad []T
	// List is the parameters in order; List[i] occupies
	// Data[Offsets[i]:Offsets[i+1]].
	List []*Parameter[T]
	// Offsets has len(List)+1 entries.
	Offsets []int
}

// NewParams packs the parameters of m into one value vector and one gradient
// vector, copying their current values, and repoints each parameter's Value
// and Grad at its slice of the two. Call it once, after building the model
// and before training. It panics if a parameter appears twice.
func NewParams[T Float](m Module[T]) *Params[T] {
	list := m.Parameters()
	seen := make(map[*Parameter[T]]bool, len(list))
	offsets := make([]int, len(list)+1)
	for i, p := range list {
		if seen[p] {
			panic(fmt.Sprintf("nn.NewParams: parameter %q listed twice", p.Name))
		}
		seen[p] = true
		offsets[i+1] = offsets[i] + p.Value.Len()
	}
	n := offsets[len(list)]
	ps := &Params[T]{Data: make([]T, n), Grad: make([]T, n), List: list, Offsets: offsets}
	for i, p := range list {
		lo, hi := offsets[i], offsets[i+1]
		copy(ps.Data[lo:hi], p.Value.Data)
		copy(ps.Grad[lo:hi], p.Grad.Data)
		p.Value.Data = ps.Data[lo:hi:hi]
		p.Grad.Data = ps.Grad[lo:hi:hi]
	}
	return ps
}

// Len is the total number of scalar parameters.
func (p *Params[T]) Len() int { return len(p.Data) }

// ZeroGrad sets every gradient to zero.
func (p *Params[T]) ZeroGrad() { clear(p.Grad) }

// SumSquares returns ‖w‖² over the parameters, skipping those marked
// NoDecay when skipNoDecay is set.
func (p *Params[T]) SumSquares(skipNoDecay bool) float64 {
	var s float64
	for i, q := range p.List {
		if skipNoDecay && q.NoDecay {
			continue
		}
		for _, v := range p.Data[p.Offsets[i]:p.Offsets[i+1]] {
			s += float64(v) * float64(v)
		}
	}
	return s
}

// AddL2Grad adds the gradient of λ‖w‖², that is 2λw, to the gradient
// vector, skipping parameters marked NoDecay when skipNoDecay is set.
func (p *Params[T]) AddL2Grad(lambda float64, skipNoDecay bool) {
	if lambda == 0 {
		return
	}
	c := T(2 * lambda)
	for i, q := range p.List {
		if skipNoDecay && q.NoDecay {
			continue
		}
		lo, hi := p.Offsets[i], p.Offsets[i+1]
		g, w := p.Grad[lo:hi], p.Data[lo:hi]
		for j := range g {
			g[j] += c * w[j]
		}
	}
}

// GradNorm returns the Euclidean norm of the gradient vector.
func (p *Params[T]) GradNorm() float64 {
	var s float64
	for _, g := range p.Grad {
		s += float64(g) * float64(g)
	}
	return math.Sqrt(s)
}

// Find returns the parameter with the given name, or nil.
func (p *Params[T]) Find(name string) *Parameter[T] {
	for _, q := range p.List {
		if q.Name == name {
			return q
		}
	}
	return nil
}

// CheckFinite returns an error naming the first parameter that holds a NaN
// or an infinity, with the index inside it.
func (p *Params[T]) CheckFinite() error {
	for i, q := range p.List {
		for j, v := range p.Data[p.Offsets[i]:p.Offsets[i+1]] {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("parameter %q (shape %v) holds %v at flat index %d", q.Name, q.Value.Shape, v, j)
			}
		}
	}
	return nil
}

// Ranges returns the ranges [lo, hi) of the flat vectors held by the
// parameters for which keep returns true, merging neighbours: the parameter
// groups of an optimizer (optim.Groups), such as "weights" and "biases and
// normalization scales".
func (p *Params[T]) Ranges(keep func(*Parameter[T]) bool) [][2]int {
	var r [][2]int
	for i, q := range p.List {
		if !keep(q) {
			continue
		}
		lo, hi := p.Offsets[i], p.Offsets[i+1]
		if n := len(r); n > 0 && r[n-1][1] == lo {
			r[n-1][1] = hi
			continue
		}
		r = append(r, [2]int{lo, hi})
	}
	return r
}

// NoDecayMask returns, for each flat index, whether its parameter is marked
// NoDecay (the mask of optim.Hyper.NoDecay).
func (p *Params[T]) NoDecayMask() []bool {
	m := make([]bool, len(p.Data))
	for i, q := range p.List {
		if q.NoDecay {
			for j := p.Offsets[i]; j < p.Offsets[i+1]; j++ {
				m[j] = true
			}
		}
	}
	return m
}
