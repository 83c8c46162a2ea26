package linear

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/descent-ml/descent/sparse"
)

// Problem is a labelled sparse data set ready for training or evaluation:
// example i is row i of X, of class Y[i] in [0, len(Classes)), whose label
// value in the file was Classes[Y[i]]. Classes ascend, so for two classes
// the larger label value (+1, or 1 of 0/1) is the positive class 1, y = +1
// for the binary losses.
type Problem struct {
	X       *sparse.CSR
	Y       []int32
	Classes []float64
}

// ErrLabels means that the labels do not fit the problem: fewer than two
// classes to train on, or a test label that the training set does not have.
var ErrLabels = errors.New("labels do not fit")

// NewProblem makes a training problem of d, with one class per distinct
// label value (at least two).
func NewProblem(d *sparse.Data) (*Problem, error) {
	if err := checkData(d); err != nil {
		return nil, err
	}
	set := map[float64]bool{}
	var classes []float64
	for _, y := range d.Y {
		if !set[y] {
			set[y] = true
			classes = append(classes, y)
		}
	}
	if len(classes) < 2 {
		return nil, fmt.Errorf("linear: %w: %d distinct label values %v, want at least two classes", ErrLabels, len(classes), classes)
	}
	slices.Sort(classes)
	return NewProblemClasses(d, classes)
}

// NewProblemClasses makes a problem of d whose labels must be among the
// given class label values (those of the training problem, for a test
// set).
func NewProblemClasses(d *sparse.Data, classes []float64) (*Problem, error) {
	if err := checkData(d); err != nil {
		return nil, err
	}
	index := make(map[float64]int32, len(classes))
	for k, c := range classes {
		index[c] = int32(k)
	}
	y := make([]int32, len(d.Y))
	for i, v := range d.Y {
		k, ok := index[v]
		if !ok {
			return nil, fmt.Errorf("linear: %w: example %d has label %v, which is not among the classes %v", ErrLabels, i, v, classes)
		}
		y[i] = k
	}
	return &Problem{X: d.X, Y: y, Classes: slices.Clone(classes)}, nil
}

func checkData(d *sparse.Data) error {
	if d == nil || d.X == nil {
		return errors.New("linear: no data")
	}
	if len(d.Y) != d.X.Rows {
		return fmt.Errorf("linear: %d labels for %d examples", len(d.Y), d.X.Rows)
	}
	for i, v := range d.Y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("linear: %w: example %d has label %v", ErrLabels, i, v)
		}
	}
	return nil
}

// Len is the number of examples.
func (p *Problem) Len() int { return p.X.Rows }

// sign returns y = ±1 of example i for the binary losses.
func (p *Problem) sign(i int) float64 { return float64(2*p.Y[i] - 1) }
