package autograd

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/internal/vec"
	"github.com/descent-ml/descent/tensor"
)

// SoftmaxCrossEntropy returns the multinomial log loss averaged over the
// batch, for logits of shape batch×classes and integer labels:
//
//	l = 1/N Σᵢ [ log Σⱼ exp(xᵢⱼ) − xᵢ,yᵢ ],   dl/dxᵢⱼ = (softmax(xᵢ)ⱼ − [yᵢ = j]) / N.
//
// It is one fused, numerically stable step (log-sum-exp with the maximum
// subtracted). It panics if a label is outside [0, classes).
func (tp *Tape[T]) SoftmaxCrossEntropy(logits *Var[T], labels []int) *Var[T] {
	if logits.Value.Dims() != 2 || logits.Value.Shape[0] != len(labels) {
		panic(fmt.Sprintf("autograd.SoftmaxCrossEntropy: logits shape %v for %d labels (want %d×classes)", logits.Value.Shape, len(labels), len(labels)))
	}
	rows, cols := logits.Value.Shape[0], logits.Value.Shape[1]
	for i, y := range labels {
		if y < 0 || y >= cols {
			panic(fmt.Sprintf("autograd.SoftmaxCrossEntropy: label %d of example %d outside [0, %d)", y, i, cols))
		}
	}
	out := tp.newVar(nil, logits)
	logp := tp.scratch(logits.Value.Shape...)
	tensor.LogSoftmax(logp, logits.Value)
	var s float64
	for r, y := range labels {
		s -= float64(logp.Data[r*cols+y])
	}
	out.Value.Data[0] = T(s / float64(max(1, rows)))
	if n := tp.record(opSoftmaxCrossEntropy, out, logits); n != nil {
		n.ints, n.saved[0] = labels, logp.Data
	}
	return out
}

// softmaxCrossEntropyBackward: dx = g·(softmax(x) − onehot(y))/N, the
// softmax taken from the saved log-probabilities (for float32, all rows in
// one pass of vec.AxpyExp).
func (tp *Tape[T]) softmaxCrossEntropyBackward(n *node[T]) {
	labels, logp := n.ints, n.saved[0]
	rows := len(labels)
	cols := len(logp) / max(1, rows)
	scale := n.out.Grad.Data[0] / T(max(1, rows))
	gx := tp.grad(n.a).Data
	if g32, ok := any(gx).([]float32); ok {
		vec.AxpyExp(float32(scale), any(logp).([]float32), g32)
		for r, y := range labels {
			gx[r*cols+y] -= scale
		}
		return
	}
	for r, y := range labels {
		row := logp[r*cols : (r+1)*cols]
		g := gx[r*cols : (r+1)*cols]
		for j, lp := range row {
			g[j] += scale * T(math.Exp(float64(lp)))
		}
		g[y] -= scale
	}
}

// LogisticLoss returns the binary logistic loss averaged over the batch, for
// scores s (shape N or N×1) and labels y ∈ {−1, +1}:
//
//	l = 1/N Σᵢ log(1 + exp(−yᵢ sᵢ)),   dl/dsᵢ = −yᵢ σ(−yᵢ sᵢ) / N.
//
// It is computed without overflow. It panics if a label is not ±1.
func (tp *Tape[T]) LogisticLoss(scores *Var[T], labels []T) *Var[T] {
	n := scores.Value.Len()
	if n != len(labels) || (scores.Value.Dims() == 2 && scores.Value.Shape[1] != 1) || scores.Value.Dims() > 2 {
		panic(fmt.Sprintf("autograd.LogisticLoss: scores shape %v for %d labels (want %d or %d×1)", scores.Value.Shape, len(labels), len(labels), len(labels)))
	}
	for i, y := range labels {
		if y != 1 && y != -1 {
			panic(fmt.Sprintf("autograd.LogisticLoss: label %v of example %d is not −1 or +1", y, i))
		}
	}
	out := tp.newVar(nil, scores)
	var s float64
	for i, v := range scores.Value.Data {
		s += softplus(-float64(labels[i]) * float64(v))
	}
	out.Value.Data[0] = T(s / float64(max(1, n)))
	if nd := tp.record(opLogisticLoss, out, scores); nd != nil {
		nd.vals = labels
	}
	return out
}

// logisticLossBackward: dsᵢ = −yᵢ σ(−yᵢ sᵢ)·g/N.
func (tp *Tape[T]) logisticLossBackward(nd *node[T]) {
	scores, labels := nd.a, nd.vals
	scale := float64(nd.out.Grad.Data[0]) / float64(max(1, len(labels)))
	gs := tp.grad(scores).Data
	for i, v := range scores.Value.Data {
		y := float64(labels[i])
		gs[i] += T(-y * sigmoid(-y*float64(v)) * scale)
	}
}

// MSE returns the mean squared error 1/n Σ (pᵢ − tᵢ)² over all elements
// (torch.nn.MSELoss with reduction "mean"). pred and target must have the
// same shape; target needs no gradient.
func (tp *Tape[T]) MSE(pred *Var[T], target *tensor.Tensor[T]) *Var[T] {
	if !tensor.SameShape(pred.Value.Shape, target.Shape) {
		panic(fmt.Sprintf("autograd.MSE: prediction shape %v, target shape %v", pred.Value.Shape, target.Shape))
	}
	n := pred.Value.Len()
	out := tp.newVar(nil, pred)
	var s float64
	for i, p := range pred.Value.Data {
		d := float64(p) - float64(target.Data[i])
		s += d * d
	}
	out.Value.Data[0] = T(s / float64(max(1, n)))
	if nd := tp.record(opMSE, out, pred); nd != nil {
		nd.vals = target.Data
	}
	return out
}

// mseBackward: dp = 2g·(p − t)/n.
func (tp *Tape[T]) mseBackward(nd *node[T]) {
	pred, target := nd.a, nd.vals
	scale := 2 * nd.out.Grad.Data[0] / T(max(1, len(target)))
	gp := tp.grad(pred).Data
	for i, p := range pred.Value.Data {
		gp[i] += scale * (p - target[i])
	}
}

func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
