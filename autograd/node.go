package autograd

import (
	"fmt"

	"github.com/descent-ml/descent/internal/parallel"
)

// A node records one operation for its backward step: which operation ran,
// its output and operands, and the values of the forward pass the step
// reads. Nodes come from the tape's arena and are reused after Reset, so
// recording allocates nothing (a closure per operation would). Each field
// below the operands serves the operations named in its comment.
type node[T Float] struct {
	op      op
	out     *Var[T]
	a, b, c *Var[T] // the operands, in the order of the op's arguments; nil where absent

	k              T         // Scale: the constant (1 for AddScalar and Reshape)
	axis           int       // SumAxis
	transA, transB bool      // MatMulT
	training       bool      // BatchNorm: normalized with the batch statistics
	excludePad     bool      // AvgPool2D
	ints           []int     // Gather: the indices; SoftmaxCrossEntropy: the labels
	vals           []T       // LogisticLoss: the labels; MSE: the target
	saved          [2][]T    // values of the forward pass, in arena memory (see each op)
	geom           convGeom  // Conv2D, MaxPool2D, AvgPool2D
	rows           rowLayout // LayerNorm, GroupNorm
}

// op names an operation.
type op uint8

const (
	opAdd op = iota + 1
	opSub
	opMul
	opDiv
	opScale
	opAddScalar
	opMatMul
	opLinear
	opReLU
	opSigmoid
	opTanh
	opExp
	opLog
	opSoftplus
	opSquare
	opSum
	opSumSquares
	opSumAxis
	opReshape
	opLogSoftmax
	opSoftmax
	opGather
	opSoftmaxCrossEntropy
	opLogisticLoss
	opMSE
	opDropout
	opConv2D
	opMaxPool2D
	opAvgPool2D
	opBatchNorm
	opNormRows
	opWeightNorm
)

// record appends a backward step of operation op, whose output is out and
// whose operands are given in order, if out requires a gradient. It returns
// the node, for the op to add what its backward step needs, or nil when
// nothing was recorded.
func (tp *Tape[T]) record(op op, out *Var[T], operands ...*Var[T]) *node[T] {
	if !out.requiresGrad {
		return nil
	}
	n := tp.arena.nodes.next()
	n.op, n.out = op, out
	for i, v := range operands {
		switch i {
		case 0:
			n.a = v
		case 1:
			n.b = v
		case 2:
			n.c = v
		}
	}
	tp.steps = append(tp.steps, n)
	return n
}

// backward runs the backward step of n: it adds n.out.Grad's contribution
// to the gradients of n's operands.
func (tp *Tape[T]) backward(n *node[T]) {
	switch n.op {
	case opAdd, opSub:
		tp.addBackward(n)
	case opMul:
		tp.mulBackward(n)
	case opDiv:
		tp.divBackward(n)
	case opScale, opAddScalar, opReshape:
		tp.scaleBackward(n)
	case opMatMul:
		tp.matMulBackward(n)
	case opLinear:
		tp.linearBackward(n)
	case opReLU, opSigmoid, opTanh, opExp, opLog, opSoftplus, opSquare:
		tp.elementwiseBackward(n)
	case opSum:
		tp.sumBackward(n)
	case opSumSquares:
		tp.sumSquaresBackward(n)
	case opSumAxis:
		tp.sumAxisBackward(n)
	case opLogSoftmax:
		tp.logSoftmaxBackward(n)
	case opSoftmax:
		tp.softmaxBackward(n)
	case opGather:
		tp.gatherBackward(n)
	case opSoftmaxCrossEntropy:
		tp.softmaxCrossEntropyBackward(n)
	case opLogisticLoss:
		tp.logisticLossBackward(n)
	case opMSE:
		tp.mseBackward(n)
	case opDropout:
		tp.dropoutBackward(n)
	case opConv2D:
		tp.conv2DBackward(n)
	case opMaxPool2D:
		tp.maxPool2DBackward(n)
	case opAvgPool2D:
		tp.avgPool2DBackward(n)
	case opBatchNorm:
		tp.batchNormBackward(n)
	case opNormRows:
		tp.normRowsBackward(n)
	case opWeightNorm:
		tp.weightNormBackward(n)
	default:
		panic(fmt.Sprintf("autograd: no backward step for op %d", n.op))
	}
}

// A ranger is the body of a parallel loop: run does iterations [lo, hi).
// The ops' loops are structs that hold the loop's operands, kept in the
// tape's loops and reused from call to call.
type ranger interface{ run(lo, hi int) }

// loops holds the parallel loops of the ops, one of each kind (a tape runs
// one loop at a time), and hands them to parallel.For without allocating:
// parallel.For gets the method value l.run, made once per tape, which runs
// the current loop. A closure over the operands, made at each call, would
// cost an allocation.
type loops[T Float] struct {
	body func(lo, hi int) // l.run
	cur  ranger

	elementwise elementwiseBackLoop[T]
	addConst    addConstLoop[T]
	softmaxBack softmaxBackLoop[T]
	maxPool     maxPoolLoop[T]
	maxPoolBack maxPoolBackLoop[T]
	avgPool     avgPoolLoop[T]
	avgPoolBack avgPoolBackLoop[T]
	batchNorm   batchNormLoop[T]
	bnBack      batchNormBackLoop[T]
	normRows    normRowsLoop[T]
	normBack    normRowsBackLoop[T]
}

// parallel runs r over [0, n) in ranges of at least grain iterations
// (parallel.For).
func (tp *Tape[T]) parallel(n, grain int, r ranger) {
	l := &tp.loops
	if l.body == nil {
		l.body = l.run
	}
	l.cur = r
	parallel.For(n, grain, l.body)
	l.cur = nil
}

func (l *loops[T]) run(lo, hi int) { l.cur.run(lo, hi) }
