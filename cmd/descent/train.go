package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/train"
)

// trainFlags are the flags of descent train.
type trainFlags struct {
	modelFlags
	opt              optFlags
	batchOpt         batchFlags
	iterations       int
	reuseBatch       int
	evalEvery        int
	dataset, dataDir string
	epochs, batch    int
	l2               float64
	seed             uint64
	json             bool
	standardize      bool
}

// defaultSGDRate is train's rate for plain SGD when --lr is not given:
// torch.optim.SGD has no default, and 0.1 trains the default MLP to ≈ 98%.
const defaultSGDRate = 0.1

func (f *trainFlags) register(fs *flag.FlagSet) {
	f.modelFlags.register(fs)
	f.opt.register(fs, "sgd")
	fs.Lookup("optimizer").Usage = "optimizer: " + methodList() + ", and pathsgd for ReLU networks"
	f.batchOpt.register(fs)
	fs.IntVar(&f.iterations, "iterations", 100, "iterations of the full-batch methods (gd, lbfgs, cg, newton, newton-cg)")
	fs.IntVar(&f.reuseBatch, "reuse-batch", 1, "with a full-batch method and --batch: iterations each mini-batch is held for")
	fs.IntVar(&f.evalEvery, "eval-every", 10, "with a full-batch method: evaluate on the test set every this many iterations")
	fs.Lookup("schedule").DefValue = "cosine"
	f.opt.schedule = "cosine"
	fs.StringVar(&f.dataset, "dataset", "mnist", "data set: mnist or fashion-mnist")
	fs.IntVar(&f.epochs, "epochs", 5, "passes over the training set")
	fs.IntVar(&f.batch, "batch", 32, "mini-batch size (1 for per-sample SGD)")
	fs.Float64Var(&f.l2, "l2", 0, "λ of the regularizer λ‖w‖² in the objective")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the initial weights and the batch order")
	fs.StringVar(&f.dataDir, "data-dir", "", "folder with the IDX files (default: $"+data.EnvDataDir+", then the GoMNIST module)")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per epoch on stdout")
	fs.BoolVar(&f.standardize, "standardize", true, "scale the inputs to mean 0 and variance 1 with the training set's statistics (as torchvision's Normalize)")
}

// validate checks the flag values, returning a usage error that names the
// flag and its valid range.
func (f *trainFlags) validate() error {
	switch {
	case f.dataset != "mnist" && f.dataset != "fashion-mnist":
		return usagef("--dataset %q: want mnist or fashion-mnist", f.dataset)
	case f.epochs < 1:
		return usagef("--epochs %d: want at least 1", f.epochs)
	case f.batch < 1:
		return usagef("--batch %d: want at least 1", f.batch)
	case !(f.l2 >= 0) || math.IsInf(f.l2, 0):
		return usagef("--l2 %v: want a finite number ≥ 0", f.l2)
	case f.iterations < 1:
		return usagef("--iterations %d: want at least 1", f.iterations)
	case f.reuseBatch < 1:
		return usagef("--reuse-batch %d: want at least 1", f.reuseBatch)
	case f.evalEvery < 0:
		return usagef("--eval-every %d: want at least 0", f.evalEvery)
	}
	if isBatchMethod(f.opt.name) {
		if _, _, err := f.batchOpt.method(f.opt.name, 0); err != nil {
			return err
		}
	}
	return f.modelFlags.validate()
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f trainFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	trainSet, testSet, err := loadDataset(f.dataset, f.dataDir, f.standardize)
	if err != nil {
		return err
	}

	rng := rand.New(rand.NewPCG(f.seed, 0x5eed))
	model, err := f.modelFlags.build(rng, trainSet.Shape(), trainSet.Classes())
	if err != nil {
		return err
	}
	params := nn.NewParams[float32](model)
	obj := &nn.Objective[float32]{Model: model, Params: params, Loss: nn.SoftmaxCrossEntropy[float32]{}, Lambda: f.l2}
	if isBatchMethod(f.opt.name) {
		return f.trainBatch(ctx, fs, obj, trainSet, testSet, stdout, stderr)
	}
	stepsPerEpoch := (trainSet.Len() + f.batch - 1) / f.batch
	opt, h, err := f.opt.build(model, params, stepsPerEpoch, f.epochs)
	if err != nil {
		return err
	}
	if !f.json {
		fmt.Fprintf(stdout, "descent: %s on %s (%d train, %d test), %d parameters, %s lr=%g batch=%d\n",
			model, f.dataset, trainSet.Len(), testSet.Len(), params.Len(), f.opt.name, h.LR, f.batch)
	}

	bars := newProgress(stderr, f.epochs)
	tr := &train.Trainer[float32]{
		Objective: obj,
		Optimizer: opt,
		Epochs:    f.epochs,
		BatchSize: f.batch,
		Seed:      f.seed,
		OnBatch:   bars.batch,
		OnEpoch: func(s train.EpochStats) {
			bars.done()
			if f.json {
				_ = json.NewEncoder(stdout).Encode(s)
				return
			}
			fmt.Fprintf(stdout, "epoch %d  train loss %.4f  test loss %.4f  test accuracy %.2f%%  %.1fs  %.0f examples/s\n",
				s.Epoch, s.TrainLoss, s.TestLoss, 100*s.TestAccuracy, s.Seconds, s.ExamplesPerSecond)
		},
	}
	_, err = tr.Fit(ctx, trainSet, testSet)
	return err
}

// trainBatch trains with a full-batch method (gd, lbfgs, cg, newton,
// newton-cg): on the whole training set, or on mini-batches of --batch
// examples held for --reuse-batch iterations when --batch is given.
func (f *trainFlags) trainBatch(ctx context.Context, fs *flag.FlagSet, obj *nn.Objective[float32], trainSet, testSet data.Dataset, stdout, stderr io.Writer) error {
	batch := 0
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "batch" {
			batch = f.batch
		}
	})
	lr, err := fixedStep(&f.opt)
	if err != nil {
		return err
	}
	m, _, err := f.batchOpt.method(f.opt.name, lr)
	if err != nil {
		return err
	}
	if !f.json {
		what := "full batch"
		if batch > 0 {
			what = fmt.Sprintf("batches of %d held for %d iterations", batch, f.reuseBatch)
		}
		fmt.Fprintf(stdout, "descent: %s on %s (%d train, %d test), %d parameters, %s on the %s, %d iterations\n",
			obj.Model, f.dataset, trainSet.Len(), testSet.Len(), obj.Params.Len(), f.opt.name, what, f.iterations)
	}
	bt := &train.BatchTrainer[float32]{
		Objective: obj, Method: m,
		Settings:  optim.Settings{MaxIter: f.iterations},
		BatchSize: batch, ReuseBatch: f.reuseBatch, Seed: f.seed, EvalEvery: f.evalEvery,
		OnIteration: func(s train.IterationStats) {
			if f.json {
				_ = json.NewEncoder(stdout).Encode(s)
				return
			}
			line := fmt.Sprintf("iteration %d  objective %.6f  ‖∇E‖ %.3g  %d evaluations  %.1fs", s.Iteration, s.Objective, s.GradNorm, s.Evaluations, s.Seconds)
			if s.Tested {
				line += fmt.Sprintf("  test loss %.4f  test accuracy %.2f%%", s.TestLoss, 100*s.TestAccuracy)
			}
			fmt.Fprintln(stdout, line)
		},
	}
	res, err := bt.Fit(ctx, trainSet, testSet)
	if err != nil && errors.Is(err, optim.ErrLineSearchFailed) {
		// In float32 near a minimizer the decrease of E falls below its
		// rounding: report it, keep the result.
		fmt.Fprintf(stderr, "descent train: %s stopped early: %v\n", f.opt.name, err)
		return nil
	}
	if err == nil {
		fmt.Fprintf(stderr, "descent train: %s stopped after %d iterations (%s)\n", f.opt.name, res.Iterations, res.Reason)
	}
	return err
}

// loadDataset finds and reads the named data set; with standardize, the
// features are scaled with the training set's mean and standard deviation.
func loadDataset(name, dir string, standardize bool) (trainSet, testSet data.Dataset, err error) {
	var tr, te *data.Dense
	switch name {
	case "fashion-mnist":
		if dir == "" {
			dir = os.Getenv(data.EnvDataDir)
		}
		if dir == "" {
			dir = data.FashionMNISTDir
		}
		tr, te, err = data.LoadFashionMNIST(dir)
	default:
		dir, err = data.MNISTDir(dir)
		if err != nil {
			return nil, nil, err
		}
		tr, te, err = data.LoadMNIST(dir)
	}
	if err != nil {
		return nil, nil, err
	}
	if standardize {
		if _, _, err := data.Standardize(tr, te); err != nil {
			return nil, nil, err
		}
	}
	return tr, te, nil
}

// progress draws one progress bar per epoch on a terminal, and nothing
// otherwise.
type progress struct {
	w      io.Writer
	epochs int
	label  string
	bar    *progressbar.ProgressBar
	on     bool
}

func newProgress(w io.Writer, epochs int) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, epochs: epochs, on: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *progress) batch(epoch, done, total int) {
	if !p.on {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(strings.TrimSpace(fmt.Sprintf("%s epoch %d/%d", p.label, epoch, p.epochs))),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("batches"),
			progressbar.OptionShowIts(),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100_000_000),
		)
	}
	_ = p.bar.Set(done)
}

func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
		p.bar = nil
	}
}
