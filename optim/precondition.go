package optim

import "fmt"

// ScaleByPreconditioner divides the update by a positive diagonal
// preconditioner d(w), recomputed from the parameters at every step:
// u ← u / max(d(w), Floor). Path-SGD is this stage with d the path-norm
// scale κ(w) of nn.PathScales, followed by a learning rate. It works on the
// whole parameter vector, not inside Groups.
type ScaleByPreconditioner[T Float] struct {
	// Compute writes d(w) for the full parameter vector w into d.
	Compute func(w, d []T)
	// Floor keeps the division finite where d(w) vanishes (default 1e-12).
	Floor float64
	d     []T
}

// Init allocates the preconditioner.
func (s *ScaleByPreconditioner[T]) Init(n int) { s.d = make([]T, n) }

// Prepare recomputes d(w) for this step.
func (s *ScaleByPreconditioner[T]) Prepare(g, w []T, t int) {
	if len(s.d) != len(w) {
		panic(fmt.Sprintf("optim.ScaleByPreconditioner: state for %d parameters, vector of %d: use it on the whole vector, not in Groups", len(s.d), len(w)))
	}
	s.Compute(w, s.d)
}

// Update divides u by d.
func (s *ScaleByPreconditioner[T]) Update(u, w []T, off, t int) {
	floor := T(s.Floor)
	if floor == 0 {
		floor = T(1e-12)
	}
	d := s.d[off : off+len(u)]
	for i := range u {
		u[i] /= max(d[i], floor)
	}
}

// NewPathSGD returns Path-SGD (Neyshabur, Salakhutdinov & Srebro 2015,
// "Path-SGD: Path-Normalized Optimization in Deep Neural Networks"):
//
//	w_e ← w_e − α · (∂E/∂w_e) / κ_e(w),   κ_e(w) = γ²_in(u) · γ²_out(v)
//
// for an edge e from unit u to unit v, where γ²_in(u) sums the products of
// squared weights over all paths from the inputs to u and γ²_out(v) over all
// paths from v to the outputs. Dividing by κ makes the step approximately
// steepest descent with respect to the path regularizer, and invariant to
// the rescalings of ReLU units that leave the network's function unchanged
// (the gauge freedom of the lecture's last slides). kappa computes κ for the
// model's flat parameter vector; nn.PathScales builds it for ReLU networks.
func NewPathSGD[T Float](lr float64, kappa func(w, k []T)) (*Chained[T], error) {
	h := Hyper{LR: lr, B1: 0.9, B2: 0.999, Eps: 1e-8}
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("pathsgd: %w", err)
	}
	return NewChained("pathsgd", Chain[T](
		&ScaleByPreconditioner[T]{Compute: kappa},
		&ScaleByLearningRate[T]{LR: lr},
	)), nil
}
