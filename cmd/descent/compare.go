package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/internal/atomicfile"
	"github.com/descent-ml/descent/internal/figure"
	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/train"
)

// compareRates are descent compare's learning rates for the MNIST models:
// torch.optim's defaults where they train an MLP well, and otherwise the
// rate of the usual recipes (plain SGD has no PyTorch default; RMSProp's
// 0.01 is too large for these networks and Adadelta's 1.0 is its default).
var compareRates = map[string]float64{
	"sgd": 0.1, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.01, "rmsprop": 1e-3,
	"adam": 1e-3, "adamw": 1e-3, "amsgrad": 1e-3, "adamax": 2e-3, "nadam": 2e-3,
	"radam": 1e-3, "adadelta": 1.0, "lion": 1e-4, "pathsgd": defaultPathSGDRate,
}

const defaultCompare = "sgd,momentum,nesterov,adagrad,rmsprop,adam,adadelta"

// compareRun is the result of one optimizer in descent compare.
type compareRun struct {
	Optimizer    string    `json:"optimizer"`
	LR           float64   `json:"lr"`
	TrainLoss    float64   `json:"train_loss"`
	TestLoss     float64   `json:"test_loss"`
	TestAccuracy float64   `json:"test_accuracy"`
	Seconds      float64   `json:"seconds"`
	Examples     []float64 `json:"examples"`
	Loss         []float64 `json:"loss"`
}

func runCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var mf modelFlags
	mf.register(fs)
	var (
		list, dataset, dataDir, out string
		epochs, batch, every        int
		l2                          float64
		seed                        uint64
		standardize                 bool
	)
	fs.StringVar(&list, "optimizers", defaultCompare, "optimizers to compare, comma-separated; NAME=LR sets a rate (e.g. adam=0.003)")
	fs.StringVar(&dataset, "dataset", "mnist", "data set: mnist or fashion-mnist")
	fs.StringVar(&dataDir, "data-dir", "", "folder with the IDX files (default: $"+data.EnvDataDir+", then the GoMNIST module)")
	fs.IntVar(&epochs, "epochs", 1, "passes over the training set for each optimizer")
	fs.IntVar(&batch, "batch", 64, "mini-batch size")
	fs.IntVar(&every, "every", 50, "record the mean training loss every this many steps")
	fs.Float64Var(&l2, "l2", 0, "λ of the regularizer λ‖w‖²")
	fs.Uint64Var(&seed, "seed", 1, "seed of the initial weights and the batch order, shared by all optimizers")
	fs.BoolVar(&standardize, "standardize", true, "scale the inputs to mean 0 and variance 1 with the training set's statistics")
	fs.StringVar(&out, "out", "compare-out", "folder for compare.png, compare.svg and compare.json")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: descent compare [flags]\n\nTrains one model with several optimizers from the same initial weights and the\nsame batch order, prints a table and draws training loss against examples seen.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	runs, err := parseOptimizerList(list)
	if err != nil {
		return usagef("--optimizers %q: %v", list, err)
	}
	switch {
	case dataset != "mnist" && dataset != "fashion-mnist":
		return usagef("--dataset %q: want mnist or fashion-mnist", dataset)
	case epochs < 1:
		return usagef("--epochs %d: want at least 1", epochs)
	case batch < 1:
		return usagef("--batch %d: want at least 1", batch)
	case every < 1:
		return usagef("--every %d: want at least 1", every)
	case !(l2 >= 0) || math.IsInf(l2, 0):
		return usagef("--l2 %v: want a finite number ≥ 0", l2)
	}
	if err := mf.validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	trainSet, testSet, err := loadDataset(dataset, dataDir, standardize)
	if err != nil {
		return err
	}
	model, err := mf.build(rand.New(rand.NewPCG(seed, 0x5eed)), trainSet.Shape(), trainSet.Classes())
	if err != nil {
		return err
	}
	params := nn.NewParams[float32](model)
	initial := append([]float32(nil), params.Data...)
	state := nn.SaveState[float32](model) // batch-norm statistics

	fmt.Fprintf(stdout, "descent compare: %s on %s, %d epochs, batch %d, seed %d\n", model, dataset, epochs, batch, seed)

	for i := range runs {
		r := &runs[i]
		copy(params.Data, initial)
		state.Restore()
		nn.SetTraining(model, true)
		var opt optim.Optimizer[float32]
		if r.Optimizer == "pathsgd" {
			if opt, err = newPathSGD(model, params, r.LR); err != nil {
				return err
			}
		} else {
			h, _ := optim.Defaults(r.Optimizer)
			h.LR = r.LR
			if opt, err = optim.New[float32](r.Optimizer, h); err != nil {
				return usagef("--optimizers: %v", err)
			}
		}
		bar := newProgress(stderr, epochs)
		bar.label = r.Optimizer
		var sum float64
		var n int
		start := time.Now()
		tr := &train.Trainer[float32]{
			Objective: &nn.Objective[float32]{Model: model, Params: params, Loss: nn.SoftmaxCrossEntropy[float32]{}, Lambda: l2},
			Optimizer: opt, Epochs: epochs, BatchSize: batch, Seed: seed,
			OnBatch: bar.batch,
			OnStep: func(examples int, loss float64) {
				sum += loss
				n++
				if n == every {
					r.Examples = append(r.Examples, float64(examples))
					r.Loss = append(r.Loss, sum/float64(n))
					sum, n = 0, 0
				}
			},
			OnEpoch: func(train.EpochStats) { bar.done() },
		}
		stats, err := tr.Fit(ctx, trainSet, testSet)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Optimizer, err)
		}
		last := stats[len(stats)-1]
		r.TrainLoss, r.TestLoss, r.TestAccuracy = last.TrainLoss, last.TestLoss, last.TestAccuracy
		r.Seconds = time.Since(start).Seconds()
		fmt.Fprintf(stdout, "  %-9s lr=%-7g train loss %.4f  test accuracy %.2f%%  %.1fs\n", r.Optimizer, r.LR, r.TrainLoss, 100*r.TestAccuracy, r.Seconds)
	}

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "optimizer\tlr\tfinal train loss\ttest accuracy\twall time\t")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%g\t%.4f\t%.2f%%\t%.1fs\t\n", r.Optimizer, r.LR, r.TrainLoss, 100*r.TestAccuracy, r.Seconds)
	}
	tw.Flush()

	fig := figure.Plot{
		Title:  fmt.Sprintf("%s on %s, batch %d: training loss (mean over %d steps)", mf.describe(), dataset, batch, every),
		XLabel: "training examples seen", YLabel: "training loss (cross-entropy)", LogY: true,
	}
	for _, r := range runs {
		fig.Series = append(fig.Series, figure.Series{Name: fmt.Sprintf("%s (lr %g)", r.Optimizer, r.LR), X: r.Examples, Y: r.Loss})
	}
	png, svg := filepath.Join(out, "compare.png"), filepath.Join(out, "compare.svg")
	if err := fig.Save(png, svg); err != nil {
		return err
	}
	js, _ := json.MarshalIndent(runs, "", " ")
	if err := atomicfile.WriteBytes(filepath.Join(out, "compare.json"), js); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s, %s and %s\n", png, svg, filepath.Join(out, "compare.json"))
	return nil
}

// parseOptimizerList parses "a,b=0.1,c" into runs with their rates.
func parseOptimizerList(s string) ([]compareRun, error) {
	var runs []compareRun
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		name, rate, hasRate := strings.Cut(strings.TrimSpace(item), "=")
		if _, err := optim.Defaults(name); err != nil && name != "pathsgd" {
			return nil, err
		}
		lr := compareRates[name]
		if hasRate {
			v, err := strconv.ParseFloat(rate, 64)
			if err != nil || !(v > 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("rate %q of %s is not a positive number", rate, name)
			}
			lr = v
		}
		key := fmt.Sprintf("%s=%g", name, lr)
		if seen[key] {
			return nil, fmt.Errorf("%s listed twice", key)
		}
		seen[key] = true
		runs = append(runs, compareRun{Optimizer: name, LR: lr})
	}
	return runs, nil
}
