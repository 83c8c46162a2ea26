package repro

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/descent-ml/descent/linear"
	"github.com/descent-ml/descent/sparse"
)

// Bottou reproduces the lecture's slide "The efficiency of SGD" (L. Bottou,
// document classification, 781,265 samples, 47,152-dim bag of words, after
// Bottou & Bousquet, "The Tradeoffs of Large Scale Learning", NIPS 2007):
// on RCV1-shaped sparse data, test error and objective against training
// time for SGD, averaged SGD and L-BFGS. SGD is a poor optimizer but a fast
// learner: it reaches the test error of the batch optimum long before the
// batch method does, while its objective is still far from the optimum.
type Bottou struct{}

// Name returns "bottou".
func (*Bottou) Name() string { return "bottou" }

// Summary describes the experiment in a line.
func (*Bottou) Summary() string {
	return "Bottou: SGD, ASGD and L-BFGS on RCV1-shaped sparse data, test error and objective against time"
}

// bottouRun is the trace of one method.
type bottouRun struct {
	method          linear.Method
	label           string
	seconds         []float64
	objective, test []float64 // per epoch (iteration)
	eta0            float64
	total           time.Duration // wall time including evaluation
}

// reach returns the training time at which the test error first falls to
// target, or +Inf.
func (r bottouRun) reach(target float64) float64 {
	for i, e := range r.test {
		if e <= target {
			return r.seconds[i]
		}
	}
	return math.Inf(1)
}

func (r bottouRun) last(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	return v[len(v)-1]
}

// Run performs the experiment.
func (b *Bottou) Run(ctx context.Context, cfg Config) (*Report, error) {
	rep := NewReport(cfg, b.Name(), "The efficiency of SGD: test error and objective against training time")
	rep.Intro = `The lecture's slide "The efficiency of SGD" shows L. Bottou's document-classification benchmark
(RCV1: 781,265 training documents, 47,152-dimensional bag of words): stochastic gradient descent reaches the test
error of the batch optimizers in a fraction of their time, although as an optimizer of the training objective it is
far less accurate (Bottou & Bousquet, *The Tradeoffs of Large Scale Learning*, NIPS 2007). Here the data are a
synthetic collection with RCV1's shape (sparse.GenerateRCV1Like: Zipf word frequencies, TF-IDF rows of unit
length, labels from a sparse linear rule with 3% label noise), so that the experiment needs no download.`
	const (
		lambda = 1e-5
		delta  = 0.0025 // test-error tolerance around the batch optimum
	)
	opts := sparse.RCV1Shape()
	sgdEpochs, lbfgsIters := 10, 100
	if cfg.Quick {
		// The claim is about large data: with 20,000 documents L-BFGS is
		// as fast as SGD (the lecture's small-scale setting).
		opts.Rows, opts.TestRows = 100000, 10000
		sgdEpochs, lbfgsIters = 5, 60
	}
	opts.Seed = cfg.seed()
	cfg.logf("bottou: generating %d training and %d test documents", opts.Rows, opts.TestRows)
	trainData, testData, err := sparse.GenerateRCV1Like(opts)
	if err != nil {
		return nil, err
	}
	trainP, err := linear.NewProblem(trainData)
	if err != nil {
		return nil, err
	}
	testP, err := linear.NewProblemClasses(testData, trainP.Classes)
	if err != nil {
		return nil, err
	}
	rep.Set("Data", "sparse.GenerateRCV1Like: %d training and %d test documents, %d words, %.0f distinct words per document on average, %d nonzeros; TF-IDF rows of unit length; labels ±1 from a sparse true weight vector, 3%% flipped", trainP.Len(), testP.Len(), trainP.X.Cols, opts.NNZ, trainP.X.NNZ())
	rep.Set("Model", "binary logistic regression with a bias, objective 1/N Σ ln(1 + exp(−y(w·x + b))) + λ/2 ‖w‖², λ = %s", num(lambda))
	rep.Set("Methods", "linear.Train: SGD (Bottou's rate η₀/(1 + λη₀t), η₀ calibrated on 1000 examples, bias rate ×0.01) and ASGD (rate η₀/(1 + λη₀t)^0.75, averaging from the second epoch), %d epochs each in the data's order; L-BFGS (memory 10, strong Wolfe line search, full gradient per iteration) for %d iterations", sgdEpochs, lbfgsIters)
	rep.Set("Time", "training time as linear.Train reports it: η₀ calibration included, the evaluation of the objective and the test error after every epoch or iteration excluded")
	rep.Set("Reference", "f* is the lowest objective any run reaches (L-BFGS's last iterate); e* is the test error of L-BFGS's last iterate; a method has reached the batch optimum's test error when its own is within %s percentage points of e*", num(100*delta))
	rep.Set("Seed", "%d (data)", opts.Seed)
	rep.Set("Mode", "%s", cfg.mode())

	var runs []bottouRun
	for _, m := range []struct {
		method linear.Method
		label  string
		epochs int
	}{{linear.SGD, "SGD", sgdEpochs}, {linear.ASGD, "ASGD", sgdEpochs}, {linear.LBFGS, "L-BFGS", lbfgsIters}} {
		cfg.logf("bottou: %s", m.label)
		r := bottouRun{method: m.method, label: m.label}
		start := time.Now()
		_, err := linear.Train(ctx, trainP, linear.Settings{
			Method: m.method, Loss: linear.Log, Lambda: lambda, Epochs: m.epochs, Seed: opts.Seed, GradTol: -1,
			OnEpoch: func(p linear.Progress) error {
				r.seconds = append(r.seconds, p.Seconds)
				r.objective = append(r.objective, p.Model.Objective(trainP, lambda))
				r.test = append(r.test, p.Model.ErrorRate(testP))
				r.eta0 = p.Eta0
				return ctx.Err()
			},
		})
		if err != nil && !errors.Is(err, linear.ErrStop) {
			return nil, fmt.Errorf("%s: %w", m.label, err)
		}
		r.total = time.Since(start)
		runs = append(runs, r)
	}
	sgd, asgd, lb := runs[0], runs[1], runs[2]
	fstar := math.Inf(1)
	for _, r := range runs {
		for _, f := range r.objective {
			fstar = math.Min(fstar, f)
		}
	}
	estar := lb.last(lb.test)
	target := estar + delta

	tS, tA, tL := sgd.reach(target), asgd.reach(target), lb.reach(target)
	c := AtLeast("sgd-speed", fmt.Sprintf("SGD reaches the batch optimum's test error (≤ e* + %s pp) at least 10× sooner than L-BFGS", num(100*delta)), tL/tS, 10, "×")
	c.Detail = fmt.Sprintf("L-BFGS %ss / SGD %ss", num(tL), num(tS))
	rep.Check(c)
	c = AtLeast("asgd-speed", fmt.Sprintf("Averaged SGD, too, reaches it (≤ e* + %s pp) at least 10× sooner than L-BFGS", num(100*delta)), tL/tA, 10, "×")
	c.Detail = fmt.Sprintf("L-BFGS %ss / ASGD %ss", num(tL), num(tA))
	rep.Check(c)
	// The optimization accuracy at which each method first reaches the
	// batch optimum's test error.
	gapAt := func(r bottouRun) float64 {
		for i, e := range r.test {
			if e <= target {
				return r.objective[i] - fstar
			}
		}
		return math.NaN()
	}
	gS, gL := gapAt(sgd), gapAt(lb)
	rep.Heading("Results")
	var t Table
	t.Header = []string{"method", "epochs / iterations", "training time", "objective f", "f − f*", "test error", "time to e* + " + num(100*delta) + " pp", "η₀"}
	for _, r := range runs {
		eta := "—"
		if r.eta0 > 0 {
			eta = num(r.eta0)
		}
		t.AddRow(r.label, fmt.Sprint(len(r.seconds)), num(r.last(r.seconds))+" s", fmt.Sprintf("%.6f", r.last(r.objective)), num(r.last(r.objective)-fstar),
			fmt.Sprintf("%.2f%%", 100*r.last(r.test)), num(r.reach(target))+" s", eta)
	}
	rep.Table(t)
	rep.Text(`f* = %.6f; e* = %.2f%%. With %d training documents a pass of SGD costs about as much as one gradient of the
batch method, and one or two passes of SGD already reach the batch optimum's test error; L-BFGS needs tens of
iterations. When each method first reaches e* + %s pp, SGD's objective is %s above f* and L-BFGS's %s: on these data
SGD is not the less accurate optimizer at that moment, so the checks test the speed claim only, not Bottou and
Bousquet's remark that SGD's optimization accuracy is poor.`, fstar, 100*estar, trainP.Len(), num(100*delta), num(gS), num(gL))

	errFig := Chart{Title: "Test error against training time", XLabel: "training time (s, log scale)", YLabel: "test error (%)", LogX: true}
	objFig := Chart{Title: "Objective against training time", XLabel: "training time (s, log scale)", YLabel: "f − f*", LogX: true, LogY: true, LegendBottom: true, LegendLeft: true}
	for i, r := range runs {
		var e, g []float64
		for k := range r.test {
			e = append(e, 100*r.test[k])
			g = append(g, r.objective[k]-fstar)
		}
		errFig.Lines = append(errFig.Lines, Line{Name: r.label, X: r.seconds, Y: e, Hue: i + 1, Marks: r.method != linear.LBFGS})
		objFig.Lines = append(objFig.Lines, Line{Name: r.label, X: r.seconds, Y: g, Hue: i + 1, Marks: r.method != linear.LBFGS})
	}
	lo := 100 * estar
	errFig.Lines = append(errFig.Lines, Line{Name: fmt.Sprintf("e* + %s pp", num(100*delta)), X: []float64{sgd.seconds[0] / 2, lb.last(lb.seconds)}, Y: []float64{lo + 100*delta, lo + 100*delta}, Gray: true, Dashed: true})
	errFig.YRange = [2]float64{lo - 1, lo + 8}
	if err := rep.Figure("test-error", "Test error against training time: each mark is one epoch of SGD or ASGD; L-BFGS draws one point per iteration.", errFig); err != nil {
		return nil, err
	}
	if err := rep.Figure("objective", "Distance of the training objective to the best value reached, f*, against training time (log-log).", objFig); err != nil {
		return nil, err
	}
	return rep, nil
}
