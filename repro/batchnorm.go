package repro

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/nn"
)

// BatchNorm reproduces Ioffe & Szegedy (2015), §4.1 and Figure 1: on MNIST,
// a network of three fully connected hidden layers of 100 sigmoid units
// trained with mini-batches of 60, with and without batch normalization:
// test accuracy against steps, and the 15th, 50th and 85th percentiles of
// one last-layer sigmoid's input over training. Then the lecture's caveat
// about small batches: with mini-batches of 2 and 4, how far the accuracy
// in training mode (batch statistics) and in test mode (running averages)
// lie apart, and how Batch Renormalization (Ioffe 2017) and keeping the
// training-time behaviour at test time change that.
type BatchNorm struct{}

// Name returns "batchnorm".
func (*BatchNorm) Name() string { return "batchnorm" }

// Summary describes the experiment in a line.
func (*BatchNorm) Summary() string {
	return "Ioffe & Szegedy §4.1: MNIST sigmoid MLP with and without BatchNorm; small-batch train/test mismatch, Batch Renorm"
}

// bnTrace is what a run of part 1 records at each checkpoint.
type bnTrace struct {
	label string
	steps []float64
	acc   []float64
	// pct[k] holds the 15th, 50th and 85th percentiles of every unit's
	// sigmoid input at checkpoint k.
	pct [][][3]float64
}

// stepsTo returns the first checkpoint step with accuracy ≥ a, or +Inf.
func (t bnTrace) stepsTo(a float64) float64 {
	for i, v := range t.acc {
		if v >= a {
			return t.steps[i]
		}
	}
	return math.Inf(1)
}

// shift measures how much the distribution of each unit's sigmoid input
// changes between the first checkpoint and the last, in its mean and its
// scale: |median_end − median_first| / spread_end + |ln(spread_end /
// spread_first)|, with spread the 15–85 percentile range, averaged over the
// units. It is 0 for a distribution that stays put and grows both with a
// shift of the centre and with a change of the width.
func (t bnTrace) shift() float64 {
	if len(t.pct) < 2 {
		return math.NaN()
	}
	first, last := t.pct[0], t.pct[len(t.pct)-1]
	var sum float64
	for u := range first {
		s0, s1 := first[u][2]-first[u][0], last[u][2]-last[u][0]
		sum += math.Abs(last[u][1]-first[u][1])/s1 + math.Abs(math.Log(s1/s0))
	}
	return sum / float64(len(first))
}

// smallBatch is the outcome of one run of part 2.
type smallBatch struct {
	norm           string
	batch          int
	evalAcc, trAcc float64
}

func (s smallBatch) gap() float64 { return s.trAcc - s.evalAcc }

// Run performs the experiment.
func (b *BatchNorm) Run(ctx context.Context, cfg Config) (*Report, error) {
	rep := NewReport(cfg, b.Name(), "Batch normalization: faster training, stable activations, and the small-batch mismatch")
	rep.Intro = `The lecture's batch-normalization slides follow Ioffe & Szegedy, *Batch Normalization: Accelerating Deep
Network Training by Reducing Internal Covariate Shift*, ICML 2015. Their §4.1 trains a network with three fully
connected hidden layers of 100 sigmoid units on MNIST with mini-batches of 60: with batch normalization it reaches a
higher test accuracy sooner (Figure 1a), and the distribution of a sigmoid's input stays put during training, while
without it "changes significantly, both in its mean and the variance" (Figure 1b, c). The lecture adds a caveat:
mini-batch statistics at training time and running averages at test time make "for small batches, a big test ↔ train
mismatch", with two remedies, keeping the training-time behaviour and Batch Renormalization (Ioffe, NIPS 2017),
which "gradually switches between train and test time behaviour".`
	seed := cfg.seed()
	const lr = 0.5
	steps, every, smallExamples, testN := 50000, 500, 60000, 0
	if cfg.Quick {
		steps, every, smallExamples, testN = 3000, 100, 12000, 2000
	}
	dir, err := data.MNISTDir(cfg.MNISTDir)
	if err != nil {
		return nil, err
	}
	trainSet, testAll, err := data.LoadMNIST(dir)
	if err != nil {
		return nil, err
	}
	if _, _, err := data.Standardize(trainSet, testAll); err != nil {
		return nil, err
	}
	var testSet data.Dataset = testAll
	if testN > 0 {
		testSet = data.Subset(testAll, rand.New(rand.NewPCG(seed, 0xda7a)).Perm(testAll.Len())[:testN])
	}
	probe := probeTensor(testSet, 1000)
	// Ioffe's schedule compressed tenfold, as nn.ModelConfig's default.
	renorm := nn.RenormSchedule{RMax: 3, DMax: 5, Warmup: 500, RMaxAt: 4000, DMaxAt: 2500}
	rep.Set("Data", "MNIST (%s), %d training examples, %d test examples, inputs standardized with the training set's mean and standard deviation", dir, trainSet.Len(), testSet.Len())
	rep.Set("Model", "784 → 100 → 100 → 100 → 10, sigmoid hidden units, softmax cross-entropy; weights drawn from N(0, %s²) (the paper's \"small random Gaussian values\"), biases 0; with batch normalization each hidden Linear (without bias) is followed by nn.BatchNorm (γ = 1, β = 0, ε = 10⁻⁵, running-average momentum 0.1) before its sigmoid", num(bnInitSigma))
	rep.Set("Training (part 1)", "plain SGD, rate %s, mini-batches of 60 in a fresh random order each epoch, %d steps (the paper: 50,000); test accuracy (running statistics) and the sigmoid inputs of the last hidden layer on %d test examples every %d steps", num(lr), steps, probe.Shape[0], every)
	rep.Set("Training (part 2)", "the same network with BatchNorm or Batch Renorm (r_max 1 → 3 over steps 500…4000, d_max 0 → 5 over steps 500…2500: Ioffe's schedule compressed tenfold, nn's default), mini-batches of 2, 4 and 60, %d examples each (a rate of %s·m/60, scaled with the batch size m)", smallExamples, num(lr))
	rep.Set("Seed", "%d (initial weights, batch order, test subset)", seed)
	rep.Set("Mode", "%s", cfg.mode())

	// Part 1: with and without batch normalization.
	var traces []bnTrace
	for _, v := range []struct{ norm, label string }{{bnPlain, "without BatchNorm"}, {bnBatch, "with BatchNorm"}} {
		cfg.logf("batchnorm: %s, %d steps", v.label, steps)
		net := newBNNet(seed, v.norm, renorm)
		tr := bnTrace{label: v.label}
		record := func(step int) error {
			if step%every != 0 {
				return nil
			}
			acc, err := net.accuracy(testSet)
			if err != nil {
				return err
			}
			in := net.sigmoidInputs(probe)
			ps := make([][3]float64, in.Shape[1])
			for u := range ps {
				ps[u] = percentiles(in, u)
			}
			tr.steps, tr.acc, tr.pct = append(tr.steps, float64(step)), append(tr.acc, acc), append(tr.pct, ps)
			return nil
		}
		if err := net.train(ctx, trainSet, 60, lr, steps, seed, record); err != nil {
			return nil, fmt.Errorf("%s: %w", v.label, err)
		}
		traces = append(traces, tr)
	}
	plain, bn := traces[0], traces[1]
	sp, sb := plain.stepsTo(0.95), bn.stepsTo(0.95)
	c := Below("faster-95", "With batch normalization the network reaches 95% test accuracy in fewer steps", sb, sp, "steps", fmt.Sprintf("%s steps without", stepsNum(sp)))
	rep.Check(c)
	ap, ab := plain.acc[len(plain.acc)-1], bn.acc[len(bn.acc)-1]
	c = Below("higher-accuracy", "With batch normalization the network ends with a higher test accuracy (lower test error)", 100*(1-ab), 100*(1-ap), "%", fmt.Sprintf("%.2f%% without", 100*(1-ap)))
	c.Detail = "test error with BatchNorm"
	rep.Check(c)
	dp, db := plain.shift(), bn.shift()
	c = Below("stable-inputs", "With batch normalization the distribution of the sigmoids' inputs is much more stable over training; without it, it changes in both mean and variance: the shift of the distribution is less than half as large", db, dp/2, "", fmt.Sprintf("half of %.3f, the shift without", dp))
	c.Detail = "shift with BatchNorm, mean over the 100 units of the last hidden layer"
	rep.Check(c)

	// Part 2: small batches.
	var small []smallBatch
	for _, m := range []int{2, 4, 60} {
		for _, norm := range []string{bnBatch, bnRenorm} {
			if m == 60 && norm == bnRenorm {
				continue
			}
			cfg.logf("batchnorm: %s, mini-batches of %d", norm, m)
			net := newBNNet(seed, norm, renorm)
			if err := net.train(ctx, trainSet, m, lr*float64(m)/60, smallExamples/m, seed, nil); err != nil {
				return nil, fmt.Errorf("%s, batch %d: %w", norm, m, err)
			}
			r := smallBatch{norm: norm, batch: m}
			if r.evalAcc, err = net.accuracy(testSet); err != nil {
				return nil, err
			}
			if r.trAcc, err = net.trainModeAccuracy(testSet, m); err != nil {
				return nil, err
			}
			small = append(small, r)
		}
	}
	find := func(norm string, m int) smallBatch {
		for _, r := range small {
			if r.norm == norm && r.batch == m {
				return r
			}
		}
		return smallBatch{evalAcc: math.NaN(), trAcc: math.NaN()}
	}
	minSmall := math.Min(math.Abs(find(bnBatch, 2).gap()), math.Abs(find(bnBatch, 4).gap()))
	c = AtLeast("mismatch-small", "For small batches the test ↔ train mismatch is big: with mini-batches of 2 and 4, BatchNorm's test accuracy in training mode and in test mode differ by at least 1 percentage point", 100*minSmall, 1, "pp")
	c.Detail = "the smaller of the two gaps"
	rep.Check(c)
	g60 := math.Abs(find(bnBatch, 60).gap())
	c = Below("mismatch-60", "The mismatch is a small-batch effect: with mini-batches of 60 the gap is under a quarter of the smaller gap at 2 and 4", 100*g60, 100*minSmall/4, "pp", fmt.Sprintf("%s pp", num(100*minSmall/4)))
	c.Detail = "gap at m = 60"
	rep.Check(c)
	worst := 0.0
	for _, m := range []int{2, 4} {
		worst = math.Max(worst, math.Abs(find(bnRenorm, m).gap())/math.Abs(find(bnBatch, m).gap()))
	}
	c = Below("renorm", "Batch Renormalization shrinks the mismatch at mini-batches of 2 and 4", worst, 1, "", "1, BatchNorm's gap")
	c.Detail = "the larger ratio of Renorm's gap to BatchNorm's"
	rep.Check(c)

	// Body.
	rep.Heading("Training with and without batch normalization")
	var t Table
	t.Header = []string{"network", "steps to 95% test accuracy", "final test accuracy", "shift of the sigmoid inputs"}
	for _, tr := range traces {
		t.AddRow(tr.label, stepsNum(tr.stepsTo(0.95)), fmt.Sprintf("%.2f%%", 100*tr.acc[len(tr.acc)-1]), fmt.Sprintf("%.3f", tr.shift()))
	}
	rep.Table(t)
	rep.Text(`The shift compares, for each of the 100 units of the last hidden layer, the distribution of its sigmoid's input at
the first checkpoint (step %d) and at the end: |median_end − median_first| / spread_end + |ln(spread_end / spread_first)|,
with spread the 15–85 percentile range; the table gives the mean over the units. The initial weights matter: with
σ = %s the upper layers of the plain network start with nearly constant inputs, and most of their change comes as
the network starts to learn, which batch normalization makes unnecessary by rescaling them from the first step.`, every, num(bnInitSigma))
	acc := Chart{Title: "MNIST, 3×100 sigmoid units, batch 60: test accuracy", XLabel: "training steps", YLabel: "test accuracy", LegendBottom: true,
		YRange: [2]float64{0.8, 1}}
	for i, tr := range traces {
		acc.Lines = append(acc.Lines, Line{Name: tr.label, X: tr.steps, Y: tr.acc, Hue: i + 1})
	}
	acc.Lines = append(acc.Lines, Line{Name: "95%", X: []float64{0, float64(steps)}, Y: []float64{0.95, 0.95}, Gray: true, Dashed: true})
	if err := rep.Figure("accuracy", "Test accuracy against training steps (Ioffe & Szegedy, Figure 1a).", acc); err != nil {
		return nil, err
	}
	ylo, yhi := math.Inf(1), math.Inf(-1)
	for _, tr := range traces {
		for _, p := range tr.pct {
			ylo, yhi = math.Min(ylo, p[0][0]), math.Max(yhi, p[0][2])
		}
	}
	for i, tr := range traces {
		ch := Chart{Title: fmt.Sprintf("Input of one last-layer sigmoid, %s", tr.label), XLabel: "training steps", YLabel: "sigmoid input",
			LegendOutside: true, YRange: [2]float64{math.Floor(ylo), math.Ceil(yhi)}}
		for k, name := range []string{"15th percentile", "median", "85th percentile"} {
			var y []float64
			for _, p := range tr.pct {
				y = append(y, p[0][k])
			}
			ch.Lines = append(ch.Lines, Line{Name: name, X: tr.steps, Y: y, Hue: i + 1, Dashed: k != 1})
		}
		fig := map[int]string{0: "1c", 1: "1b"}[i]
		if err := rep.Figure("sigmoid-input-"+[]string{"plain", "batchnorm"}[i], fmt.Sprintf("The 15th, 50th and 85th percentiles of the input of unit 0 of the last hidden layer over %d test examples, %s (Figure %s).", probe.Shape[0], tr.label, fig), ch); err != nil {
			return nil, err
		}
	}

	rep.Heading("Small mini-batches: training mode against test mode")
	rep.Text(`Test accuracy of the same network after training on %d examples, computed two ways: in test mode, with the
running averages of the batch statistics ("switch to test behaviour"), and in training mode, normalizing each
mini-batch of m test examples by its own statistics ("keep training-time behaviour"). The gap is training mode minus
test mode.`, smallExamples)
	var st Table
	st.Header = []string{"normalization", "mini-batch m", "test mode (running averages)", "training mode (batch statistics)", "gap"}
	for _, r := range small {
		name := "BatchNorm"
		if r.norm == bnRenorm {
			name = "Batch Renorm"
		}
		st.AddRow(name, fmt.Sprint(r.batch), fmt.Sprintf("%.2f%%", 100*r.evalAcc), fmt.Sprintf("%.2f%%", 100*r.trAcc), fmt.Sprintf("%+.2f pp", 100*r.gap()))
	}
	rep.Table(st)
	keepWorse := find(bnBatch, 2).trAcc < find(bnBatch, 2).evalAcc
	if keepWorse {
		rep.Text(`Keeping the training-time behaviour removes the mismatch by construction (the network computes at test time
what it computed in training), but here it is the less accurate of the two: with m = 2 every normalized value is
±1 whatever the input, and the prediction for an example depends on the other example of its batch. The running
averages are the better test-time normalization in this run; Batch Renorm trains the network to work with them.`)
	}
	mc := Chart{Title: "BatchNorm and Batch Renorm: test accuracy in the two modes", XLabel: "mini-batch size m (log scale)", YLabel: "test accuracy", LogX: true, LegendOutside: true, Width: 9 * 72}
	for i, norm := range []string{bnBatch, bnRenorm} {
		var x, ye, yt []float64
		for _, r := range small {
			if r.norm == norm {
				x, ye, yt = append(x, float64(r.batch)), append(ye, r.evalAcc), append(yt, r.trAcc)
			}
		}
		name := map[string]string{bnBatch: "BatchNorm", bnRenorm: "Batch Renorm"}[norm]
		mc.Lines = append(mc.Lines,
			Line{Name: name + ", test mode", X: x, Y: ye, Hue: i + 1, Marks: true},
			Line{Name: name + ", training mode", X: x, Y: yt, Hue: i + 1, Marks: true, Dashed: true, Glyph: 2})
	}
	if err := rep.Figure("small-batches", "Test accuracy in test mode (running averages) and in training mode (statistics of each test mini-batch) against the mini-batch size.", mc); err != nil {
		return nil, err
	}
	return rep, nil
}

// stepsNum formats a step count, +Inf as "never".
func stepsNum(v float64) string {
	if math.IsInf(v, 1) {
		return "never"
	}
	return num(v)
}
