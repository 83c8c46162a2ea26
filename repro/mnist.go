package repro

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/train"
)

// MNISTComparison is the comparison of Kingma & Ba (2015, §6) that the
// lecture shows for logistic regression: training cost against epochs on
// MNIST for SGD with Nesterov momentum, Adagrad, RMSProp, Adadelta and
// Adam, each with its learning rate chosen by a small grid search, all from
// the same initial weights and the same batch order. NewLogReg and NewMLP
// configure it for the paper's two models.
type MNISTComparison struct {
	name, title, summary, intro string
	// figTitle names the model in figure titles; costNote qualifies the
	// training cost (dropout).
	figTitle, costNote string
	// modelText describes the model; build makes it.
	modelText string
	build     func(rng *rand.Rand) nn.Module[float32]
	// full and quick are the sizes at full size and with --quick.
	full, quick mnistSizes
	// invSqrt decays every rate as α/√t over the steps t, as §6.1 does for
	// logistic regression.
	invSqrt bool
	// grid gives the rates tried for each optimizer.
	grid map[string][]float64
	// checks adds the experiment's claims.
	checks func(rep *Report, runs []mnistRun)
}

// mnistOptimizers are the methods of Kingma & Ba's comparison, in the
// paper's legend order.
func mnistOptimizers() [][2]string {
	return [][2]string{
		{"nesterov", "SGD Nesterov"}, {"adagrad", "Adagrad"}, {"rmsprop", "RMSProp"},
		{"adadelta", "Adadelta"}, {"adam", "Adam"},
	}
}

// mnistRun is the full run of one optimizer.
type mnistRun struct {
	name, label string
	lr          float64
	// gridCost[i] is the training cost of the last epoch of the tuning run
	// with grid[i] (+Inf: diverged).
	grid, gridCost []float64
	// epochs and cost trace the mean mini-batch loss, sampled about ten
	// times per epoch, at fractional epochs.
	epochs, cost []float64
	// testAcc is the test accuracy after each epoch.
	testAcc []float64
	// finalCost is the training cost of the last epoch as the paper plots
	// it: the mean mini-batch cross-entropy, each batch measured before its
	// step (with dropout active). evalCost is the cross-entropy on the whole
	// training set after the run, in evaluation mode.
	finalCost, evalCost float64
	seconds             float64
	failed              string
}

// NewLogReg returns the logistic-regression experiment (Kingma & Ba §6.1,
// the lecture's "Comparison: logistic regression").
func NewLogReg() *MNISTComparison {
	return &MNISTComparison{
		name: "logreg", title: "Logistic regression on MNIST: SGD Nesterov, Adagrad, RMSProp, Adadelta, Adam",
		summary: "Kingma & Ba §6.1: multinomial logistic regression on MNIST, training cost against epochs",
		intro: `The lecture's "Comparison: logistic regression" follows Kingma & Ba, *Adam: A Method for Stochastic
Optimization*, ICLR 2015, §6.1 and Figure 1: multinomial logistic regression on MNIST with mini-batches of 128 and
the step size decayed as α/√t, where "Adam yields similar convergence as SGD with momentum and both converge faster
than Adagrad".`,
		figTitle:  "logistic regression",
		modelText: "multinomial logistic regression 784 → 10 (nn.Linear with bias, softmax cross-entropy), Xavier-uniform initial weights",
		build: func(rng *rand.Rand) nn.Module[float32] {
			return nn.MLP(rng, []int{784, 10}, nn.ReLU[float32], nn.XavierUniform[float32])
		},
		full:    mnistSizes{gridEpochs: 3, epochs: 45},
		quick:   mnistSizes{train: 10000, test: 2000, gridEpochs: 1, epochs: 5},
		invSqrt: true,
		grid: map[string][]float64{
			"nesterov": {0.03, 0.1, 0.3, 1},
			"adagrad":  {0.01, 0.03, 0.1, 0.3},
			"rmsprop":  {1e-3, 3e-3, 0.01, 0.03},
			"adadelta": {1, 3, 10, 30},
			"adam":     {3e-3, 0.01, 0.03, 0.1},
		},
		checks: logRegChecks,
	}
}

// NewMLP returns the multilayer-network experiment (Kingma & Ba §6.2).
func NewMLP() *MNISTComparison {
	return &MNISTComparison{
		name: "mlp", title: "Multilayer network on MNIST: SGD Nesterov, Adagrad, RMSProp, Adadelta, Adam",
		summary: "Kingma & Ba §6.2: a two-hidden-layer ReLU network on MNIST, training cost against epochs",
		intro: `Kingma & Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015, §6.2 and Figure 2: a network with
two fully connected hidden layers of ReLU units with dropout, trained on MNIST with mini-batches of 128, where the
training cost of Adam falls faster than that of SGD with Nesterov momentum, Adagrad, RMSProp and AdaDelta ("Adam
shows better convergence than other methods").`,
		figTitle:  "multilayer network",
		costNote:  " with dropout active, as in the paper's Figure 2a",
		modelText: "MLP 784 → 256 → 256 → 10 with ReLU and dropout 0.5 after each hidden layer (the paper's Figure 2a: two hidden layers of 1000 units with dropout; 256 keeps the run within minutes, 1000 costs about 7× more), He-normal initial weights, softmax cross-entropy",
		build: func(rng *rand.Rand) nn.Module[float32] {
			return nn.NormMLP(rng, []int{784, 256, 256, 10}, nn.ModelConfig[float32]{Init: nn.HeNormal[float32], Dropout: 0.5})
		},
		full:  mnistSizes{gridEpochs: 2, epochs: 8},
		quick: mnistSizes{train: 3000, test: 1000, gridEpochs: 1, epochs: 2},
		grid: map[string][]float64{
			"nesterov": {3e-3, 0.01, 0.03, 0.1},
			"adagrad":  {3e-3, 0.01, 0.03, 0.1},
			"rmsprop":  {1e-4, 3e-4, 1e-3, 3e-3},
			"adadelta": {0.1, 0.3, 1, 3},
			"adam":     {1e-4, 3e-4, 1e-3, 3e-3},
		},
		checks: mlpChecks,
	}
}

// Name returns "logreg" or "mlp".
func (e *MNISTComparison) Name() string { return e.name }

// Summary describes the experiment in a line.
func (e *MNISTComparison) Summary() string { return e.summary }

// mnistSizes are the sizes of a run.
type mnistSizes struct {
	train, test, grid int // examples (0: all; grid: the training examples)
	gridEpochs        int
	epochs            int
}

func (e *MNISTComparison) sizes(quick bool) mnistSizes {
	if quick {
		return e.quick
	}
	return e.full
}

const mnistBatch = 128

// Run performs the experiment.
func (e *MNISTComparison) Run(ctx context.Context, cfg Config) (*Report, error) {
	rep := NewReport(cfg, e.name, e.title)
	rep.Intro = e.intro
	sz := e.sizes(cfg.Quick)
	seed := cfg.seed()

	dir, err := data.MNISTDir(cfg.MNISTDir)
	if err != nil {
		return nil, err
	}
	trainAll, testAll, err := data.LoadMNIST(dir)
	if err != nil {
		return nil, err
	}
	if _, _, err := data.Standardize(trainAll, testAll); err != nil {
		return nil, err
	}
	pick := rand.New(rand.NewPCG(seed, 0xda7a))
	subset := func(ds data.Dataset, n int) data.Dataset {
		if n <= 0 || n >= ds.Len() {
			return ds
		}
		return data.Subset(ds, pick.Perm(ds.Len())[:n])
	}
	trainSet, testSet := subset(trainAll, sz.train), subset(testAll, sz.test)
	gridSet := subset(trainSet, sz.grid)

	// Every run rebuilds the model from the same seed, which gives the same
	// weights and, with dropout, the same stream of masks; the flat
	// parameter vector of the first build is copied into each so that the
	// initial weights are identical by construction.
	newModel := func() (nn.Module[float32], *nn.Params[float32]) {
		m := e.build(rand.New(rand.NewPCG(seed, 0x5eed)))
		return m, nn.NewParams[float32](m)
	}
	_, params0 := newModel()
	initial := append([]float32(nil), params0.Data...)

	decay := "constant rates"
	if e.invSqrt {
		decay = "every rate decayed as α/√t over the steps t = 1, 2, … (Kingma & Ba §6.1)"
	}
	rep.Set("Data", "MNIST (%s), inputs standardized with the training set's mean and standard deviation; %d training and %d test examples", dir, trainSet.Len(), testSet.Len())
	rep.Set("Model", "%s; %d parameters", e.modelText, params0.Len())
	rep.Set("Training", "mini-batches of %d over a fresh random permutation each epoch, %d epochs, %s; every optimizer starts from the same initial weights (one flat parameter vector, copied) and sees the same batch order", mnistBatch, sz.epochs, decay)
	rep.Set("Optimizers", "optim.New with torch.optim's defaults except the rate: SGD Nesterov μ = 0.9; Adagrad ε = 10⁻¹⁰; RMSProp ρ = 0.99, ε = 10⁻⁸; Adadelta ρ = 0.9, ε = 10⁻⁶ (its rate multiplies the update); Adam β = (0.9, 0.999), ε = 10⁻⁸")
	rep.Set("Rate search", "for each optimizer, every rate of its grid trains %d epoch(s) on %d training examples from the same initial weights and batch order; the rate with the lowest training cost over the last of those epochs is used for the full run (a shorter horizon than the full run's %d epochs, which favours larger rates)", sz.gridEpochs, gridSet.Len(), sz.epochs)
	rep.Set("Training cost", "as the paper plots it: the mean mini-batch cross-entropy, each batch measured before its step%s; the curves average it over stretches of about 1/120 of the run, the checks over the last epoch; the table also gives the cross-entropy of the whole training set after the run in evaluation mode", e.costNote)
	rep.Set("Seed", "%d (initial weights, batch order, subsets)", seed)
	rep.Set("Mode", "%s", cfg.mode())

	// fit trains from the initial weights with one optimizer, recording
	// the curves into run. It returns the training cost of the last epoch
	// (+Inf and a note if the loss became non-finite) and an error for
	// failures to run; with evaluate set it also stores the cross-entropy of
	// ds in evaluation mode afterwards in run.evalCost.
	fit := func(name string, lr float64, ds, test data.Dataset, epochs int, run *mnistRun, evaluate bool) (float64, string, error) {
		model, params := newModel()
		copy(params.Data, initial)
		obj := &nn.Objective[float32]{Model: model, Params: params, Loss: nn.SoftmaxCrossEntropy[float32]{}}
		h, err := optim.Defaults(name)
		if err != nil {
			return 0, "", err
		}
		h.LR = lr
		if e.invSqrt {
			h.Schedule = func(t int) float64 { return 1 / math.Sqrt(float64(t)) }
		}
		opt, err := optim.New[float32](name, h)
		if err != nil {
			return 0, "", err
		}
		perEpoch := (ds.Len() + mnistBatch - 1) / mnistBatch
		every := max(1, perEpoch*epochs/120) // about 120 points per curve
		var sum float64
		var n int
		tr := &train.Trainer[float32]{Objective: obj, Optimizer: opt, Epochs: epochs, BatchSize: mnistBatch, Seed: seed}
		tr.OnStep = func(examples int, loss float64) {
			sum += loss
			n++
			if n == every {
				run.epochs = append(run.epochs, float64(examples)/float64(ds.Len()))
				run.cost = append(run.cost, sum/float64(n))
				sum, n = 0, 0
			}
		}
		tr.OnEpoch = func(s train.EpochStats) { run.testAcc = append(run.testAcc, s.TestAccuracy) }
		stats, err := tr.Fit(ctx, ds, test)
		if err != nil {
			if ctx.Err() != nil {
				return 0, "", ctx.Err()
			}
			return math.Inf(1), err.Error(), nil // the loss became NaN or infinite
		}
		cost := stats[len(stats)-1].TrainLoss
		if math.IsNaN(cost) || math.IsInf(cost, 0) {
			return math.Inf(1), "the training cost is not finite", nil
		}
		if evaluate {
			if run.evalCost, _, err = train.Evaluate[float32](model, obj.Loss, ds, 1000); err != nil {
				return 0, "", err
			}
		}
		return cost, "", nil
	}

	var runs []mnistRun
	for _, o := range mnistOptimizers() {
		r := mnistRun{name: o[0], label: o[1], grid: e.grid[o[0]]}
		best := math.Inf(1)
		for _, lr := range r.grid {
			c, _, err := fit(r.name, lr, gridSet, nil, sz.gridEpochs, &mnistRun{}, false)
			if err != nil {
				return nil, fmt.Errorf("%s, rate %g: %w", r.name, lr, err)
			}
			r.gridCost = append(r.gridCost, c)
			if c < best {
				best, r.lr = c, lr
			}
		}
		if r.lr == 0 {
			r.lr = r.grid[0]
			r.failed = "every rate of the grid diverged"
		}
		cfg.logf("%s: %s, rate %g (grid: %s)", e.name, r.label, r.lr, joinNums(r.gridCost))
		start := time.Now()
		c, note, err := fit(r.name, r.lr, trainSet, testSet, sz.epochs, &r, true)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.name, err)
		}
		r.finalCost, r.seconds, r.failed = c, time.Since(start).Seconds(), note
		cfg.logf("%s: %s: training cost %.4f after %d epochs (%.1fs)", e.name, r.label, r.finalCost, sz.epochs, r.seconds)
		runs = append(runs, r)
	}
	e.checks(rep, runs)

	rep.Heading("Rate search")
	var gt Table
	gt.Header = []string{"optimizer", "rates tried: training cost of the tuning run's last epoch", "chosen"}
	for _, r := range runs {
		var cells []string
		for i, lr := range r.grid {
			cells = append(cells, num(lr)+": "+fmt.Sprintf("%.4f", r.gridCost[i]))
		}
		gt.AddRow(r.label, strings.Join(cells, ", "), num(r.lr))
	}
	rep.Table(gt)
	rep.Text("A rate at the edge of its grid means the search would have liked to go further; the grids are the usual ranges of each method.")

	rep.Heading("Training cost")
	var rt Table
	rt.Header = []string{"optimizer", "rate", "training cost, last epoch (mean mini-batch cost)", "training set cross-entropy after the run (evaluation mode)", "test accuracy", "time"}
	fig := Chart{Title: "MNIST " + e.figTitle + ": training cost", XLabel: "epochs", YLabel: "training cost (cross-entropy)", LogY: true}
	acc := Chart{Title: "MNIST " + e.figTitle + ": test error", XLabel: "epochs", YLabel: "test error (%)", LogY: true}
	for i, r := range runs {
		testAcc := math.NaN()
		if len(r.testAcc) > 0 {
			testAcc = r.testAcc[len(r.testAcc)-1]
		}
		status := fmt.Sprintf("%.1fs", r.seconds)
		if r.failed != "" {
			status = "failed: " + r.failed
		}
		rt.AddRow(r.label, num(r.lr), fmt.Sprintf("%.4f", r.finalCost), fmt.Sprintf("%.4f", r.evalCost), fmt.Sprintf("%.2f%%", 100*testAcc), status)
		name := fmt.Sprintf("%s (lr %s)", r.label, num(r.lr))
		fig.Lines = append(fig.Lines, Line{Name: name, X: r.epochs, Y: r.cost, Hue: i + 1})
		var ex, ey []float64
		for k, a := range r.testAcc {
			ex, ey = append(ex, float64(k+1)), append(ey, 100*(1-a))
		}
		acc.Lines = append(acc.Lines, Line{Name: name, X: ex, Y: ey, Hue: i + 1, Marks: true})
	}
	rep.Table(rt)
	if err := rep.Figure("training-cost", fmt.Sprintf("Training cost against epochs: the mean mini-batch cross-entropy over stretches of 1/120 of the run (log scale); %d training examples, mini-batches of %d.", trainSet.Len(), mnistBatch), fig); err != nil {
		return nil, err
	}
	if err := rep.Figure("test-error", fmt.Sprintf("Test error after each epoch (%d test examples, log scale).", testSet.Len()), acc); err != nil {
		return nil, err
	}
	return rep, nil
}

// runByName returns the run of the named optimizer.
func runByName(runs []mnistRun, name string) mnistRun {
	for _, r := range runs {
		if r.name == name {
			return r
		}
	}
	return mnistRun{finalCost: math.Inf(1)}
}

// logRegChecks are the claims of §6.1.
func logRegChecks(rep *Report, runs []mnistRun) {
	adam, nest, ada := runByName(runs, "adam"), runByName(runs, "nesterov"), runByName(runs, "adagrad")
	worse := math.Max(adam.finalCost, nest.finalCost)
	lead := ada.finalCost - worse
	c := Check{ID: "adam-like-nesterov", Claim: "Adam yields similar convergence as SGD with Nesterov momentum: their final training costs differ by less than Adagrad trails the slower of them",
		Measured: math.Abs(adam.finalCost - nest.finalCost), Detail: fmt.Sprintf("|Adam − SGD Nesterov|, %.4f vs %.4f", adam.finalCost, nest.finalCost),
		Threshold: fmt.Sprintf("< %.4f, Adagrad's cost minus the higher of the two", lead), Pass: math.Abs(adam.finalCost-nest.finalCost) < lead}
	rep.Check(c)
	c = Check{ID: "adagrad-slower", Claim: "Adam and SGD Nesterov both converge faster than Adagrad: Adagrad's final training cost is the highest of the three",
		Measured: ada.finalCost, Threshold: fmt.Sprintf("> %.4f, the higher of Adam's and SGD Nesterov's", worse),
		Detail: "Adagrad's training cost", Pass: ada.finalCost > worse}
	rep.Check(c)
}

// mlpChecks are the claims of §6.2.
func mlpChecks(rep *Report, runs []mnistRun) {
	adam, nest := runByName(runs, "adam"), runByName(runs, "nesterov")
	c := Below("adam-vs-nesterov", "Adam's training cost falls faster than SGD Nesterov's: lower after the last epoch", adam.finalCost, nest.finalCost, "", fmt.Sprintf("SGD Nesterov's %.4f", nest.finalCost))
	c.Detail = "Adam's training cost"
	rep.Check(c)
	best, bestName := math.Inf(1), ""
	for _, r := range runs {
		if r.name != "adam" && r.finalCost < best {
			best, bestName = r.finalCost, r.label
		}
	}
	c = Below("adam-best", "Adam shows better convergence than the other methods: the lowest training cost after the last epoch", adam.finalCost, best, "", fmt.Sprintf("%s's %.4f, the lowest of the others", bestName, best))
	c.Detail = "Adam's training cost"
	rep.Check(c)
}
