package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/descent-ml/descent/internal/atomicfile"
	"github.com/descent-ml/descent/linear"
	"github.com/descent-ml/descent/sparse"
)

// linearFlags are the flags of descent linear.
type linearFlags struct {
	train, test, loss, optimizers, plot string
	lambda, eta0, biasRate, avgStart    float64
	anneal                              float64
	epochs, iters, workers, hogwildSync int
	seed                                uint64
	shuffle, noBias, zeroBased, json    bool

	lossV   linear.Loss
	methods []linear.Method
}

func (f *linearFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.train, "train", "", "training set in svmlight/libsvm format (required)")
	fs.StringVar(&f.test, "test", "", "test set in svmlight/libsvm format, for the test error")
	fs.StringVar(&f.loss, "loss", "log", "loss: log, hinge, squared-hinge or softmax (several classes)")
	fs.StringVar(&f.optimizers, "optimizer", "sgd", "method, or several separated by commas run one after the other: sgd, asgd, hogwild, gd, lbfgs, cg")
	fs.Float64Var(&f.lambda, "lambda", 1e-5, "λ of the regularizer λ/2 ‖w‖² (LIBLINEAR's C is 1/(λN))")
	fs.IntVar(&f.epochs, "epochs", 5, "passes over the data of sgd, asgd and hogwild")
	fs.IntVar(&f.iters, "iters", 0, "iterations of gd, lbfgs and cg (0: as many as --epochs)")
	fs.Float64Var(&f.eta0, "eta0", 0, "initial rate η₀ of sgd, asgd and hogwild (0: calibrate on 1000 examples, as Bottou)")
	fs.Float64Var(&f.biasRate, "bias-rate", 0.01, "factor of the bias's rate (Bottou's 0.01)")
	fs.BoolVar(&f.noBias, "no-bias", false, "fix the bias at 0")
	fs.Float64Var(&f.avgStart, "avg-start", 1, "epochs of plain SGD before asgd starts averaging")
	fs.Float64Var(&f.anneal, "anneal", 0, "fraction of the run of sgd, asgd and hogwild over which the rate falls linearly to 0 at the end (0: none, as Bottou; 0.5 settles the last iterate of sgd)")
	fs.IntVar(&f.workers, "workers", 0, "goroutines of hogwild (0: all cores)")
	fs.IntVar(&f.hogwildSync, "hogwild-sync", 0, "examples between the merges of hogwild's private replicas (0: automatic; -1: no replicas, shared weights as Niu et al.)")
	fs.BoolVar(&f.shuffle, "shuffle", false, "visit the examples in a fresh random order every epoch (default: file order, as Bottou)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the shuffling")
	fs.BoolVar(&f.zeroBased, "zero-based", false, "read 0-based feature indices (svmlight files are 1-based)")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per epoch on stdout")
	fs.StringVar(&f.plot, "plot", "", "draw objective and test error against training time to FILE (.png or .svg)")
}

// validate checks the flag values, returning usage errors that name the
// flag and its valid range.
func (f *linearFlags) validate() error {
	var err error
	if f.train == "" {
		return usagef("--train is required: the training set in svmlight format")
	}
	if f.lossV, err = linear.ParseLoss(f.loss); err != nil {
		return usagef("--loss %q: want log, hinge, squared-hinge or softmax", f.loss)
	}
	f.methods = nil
	for _, name := range strings.Split(f.optimizers, ",") {
		m, err := linear.ParseMethod(strings.TrimSpace(name))
		if err != nil {
			return usagef("--optimizer %q: want sgd, asgd, hogwild, gd, lbfgs or cg, or several separated by commas", f.optimizers)
		}
		f.methods = append(f.methods, m)
	}
	switch {
	case !(f.lambda >= 0) || math.IsInf(f.lambda, 0):
		return usagef("--lambda %v: want a finite number ≥ 0", f.lambda)
	case f.epochs < 1:
		return usagef("--epochs %d: want at least 1", f.epochs)
	case f.iters < 0:
		return usagef("--iters %d: want at least 1, or 0 for as many as --epochs", f.iters)
	case !(f.eta0 >= 0) || math.IsInf(f.eta0, 0):
		return usagef("--eta0 %v: want a positive finite rate, or 0 to calibrate", f.eta0)
	case f.eta0*f.lambda >= 1:
		return usagef("--eta0 %v: want η₀·λ below 1 (λ = %v)", f.eta0, f.lambda)
	case !(f.biasRate > 0) || math.IsInf(f.biasRate, 0):
		return usagef("--bias-rate %v: want a positive finite number (or --no-bias)", f.biasRate)
	case math.IsNaN(f.avgStart) || math.IsInf(f.avgStart, 0) || f.avgStart < 0:
		return usagef("--avg-start %v: want a finite number of epochs ≥ 0", f.avgStart)
	case !(f.anneal >= 0 && f.anneal <= 1):
		return usagef("--anneal %v: want a fraction of the run in [0,1]", f.anneal)
	case f.workers < 0:
		return usagef("--workers %d: want at least 1, or 0 for all cores", f.workers)
	}
	if f.plot != "" {
		if ext := strings.ToLower(filepath.Ext(f.plot)); ext != ".png" && ext != ".svg" {
			return usagef("--plot %q: want a file name ending in .png or .svg", f.plot)
		}
	}
	return nil
}

// linearEpoch is the JSON object printed after every epoch.
type linearEpoch struct {
	Optimizer   string   `json:"optimizer"`
	Epoch       int      `json:"epoch"`
	Objective   float64  `json:"objective"`
	TestError   *float64 `json:"test_error,omitempty"`
	Seconds     float64  `json:"seconds"`
	Eta0        float64  `json:"eta0,omitempty"`
	Evaluations int      `json:"evaluations,omitempty"`
}

func runLinear(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("linear", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f linearFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	info := stdout
	if f.json {
		info = stderr
	}
	read := func(path string) (*sparse.Data, error) {
		start := time.Now()
		d, err := sparse.ReadSVMLightFile(path, sparse.ReadOptions{ZeroBased: f.zeroBased})
		if err != nil {
			return nil, err
		}
		secs := time.Since(start).Seconds()
		size := int64(0)
		if st, err := os.Stat(path); err == nil {
			size = st.Size()
		}
		fmt.Fprintf(info, "descent linear: read %s: %d examples, %d features, %d nonzeros (%.1f per example) in %.3f s (%.0f MB/s)\n",
			path, d.X.Rows, d.X.Cols, d.X.NNZ(), float64(d.X.NNZ())/max(1, float64(d.X.Rows)), secs, float64(size)/1e6/secs)
		return d, nil
	}
	trainData, err := read(f.train)
	if err != nil {
		return err
	}
	trainSet, err := linear.NewProblem(trainData)
	if err != nil {
		return fmt.Errorf("%s: %w", f.train, err)
	}
	var testSet *linear.Problem
	if f.test != "" {
		testData, err := read(f.test)
		if err != nil {
			return err
		}
		if testSet, err = linear.NewProblemClasses(testData, trainSet.Classes); err != nil {
			return fmt.Errorf("%s: %w", f.test, err)
		}
	}
	if f.lossV.Binary() && len(trainSet.Classes) != 2 {
		return usagef("--loss %s separates two classes; %s has %d (%v): use --loss softmax", f.lossV, f.train, len(trainSet.Classes), trainSet.Classes)
	}

	var curves []linearCurve
	enc := json.NewEncoder(stdout)
	for _, m := range f.methods {
		curve := linearCurve{name: m.String()}
		epochs := f.epochs
		if !m.Stochastic() && f.iters > 0 {
			epochs = f.iters
		}
		s := linear.Settings{
			Method: m, Loss: f.lossV, Lambda: f.lambda, Epochs: epochs, Eta0: f.eta0,
			BiasRate: f.biasRate, NoBias: f.noBias, AverageStart: f.avgStart, Anneal: f.anneal, Workers: f.workers, HogwildSync: f.hogwildSync,
			Shuffle: f.shuffle, Seed: f.seed, GradTol: -1,
			OnEpoch: func(p linear.Progress) error {
				e := linearEpoch{Optimizer: m.String(), Epoch: p.Epoch, Objective: p.Model.Objective(trainSet, f.lambda),
					Seconds: p.Seconds, Eta0: p.Eta0, Evaluations: p.Evaluations}
				if testSet != nil {
					te := p.Model.ErrorRate(testSet)
					e.TestError = &te
				}
				curve.add(e)
				if f.json {
					return enc.Encode(e)
				}
				line := fmt.Sprintf("%-8s epoch %3d  objective %.6f", m, e.Epoch, e.Objective)
				if e.TestError != nil {
					line += fmt.Sprintf("  test error %.2f%%", 100**e.TestError)
				}
				_, err := fmt.Fprintf(stdout, "%s  %.3fs\n", line, e.Seconds)
				return err
			},
		}
		if _, err := linear.Train(ctx, trainSet, s); err != nil {
			return err
		}
		curves = append(curves, curve)
	}
	if f.plot != "" {
		title := fmt.Sprintf("%s: %s loss, λ = %g", filepath.Base(f.train), f.lossV, f.lambda)
		if err := plotLinear(f.plot, title, curves, testSet != nil); err != nil {
			return err
		}
		fmt.Fprintf(info, "descent linear: wrote %s\n", f.plot)
	}
	return nil
}

// linearCurve is the progress of one method, for the figure.
type linearCurve struct {
	name                        string
	seconds, objective, testErr []float64
}

func (c *linearCurve) add(e linearEpoch) {
	c.seconds = append(c.seconds, e.Seconds)
	c.objective = append(c.objective, e.Objective)
	if e.TestError != nil {
		c.testErr = append(c.testErr, 100**e.TestError)
	}
}

// plotLinear draws Bottou's figure: the training objective (top) and the
// test error (bottom) against training time on a log scale (SGD's epochs
// take a fraction of the batch methods' time), one line per method, and
// writes it atomically as PNG or SVG by the extension of path.
func plotLinear(path, title string, curves []linearCurve, withTest bool) error {
	panel := func(ylabel string, ys func(linearCurve) []float64) (*plot.Plot, error) {
		p := plot.New()
		p.X.Label.Text = "training time (s, log scale)"
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = linearLogTicks{}
		p.Y.Label.Text = ylabel
		p.Add(plotter.NewGrid())
		p.Legend.Top = true
		for i, c := range curves {
			y := ys(c)
			xy := make(plotter.XYs, len(y))
			for k := range y {
				xy[k] = plotter.XY{X: c.seconds[k], Y: y[k]}
			}
			l, pts, err := plotter.NewLinePoints(xy)
			if err != nil {
				return nil, fmt.Errorf("plot %s, %s: %w", path, c.name, err)
			}
			l.Color = plotutil.Color(i)
			l.Width = vg.Points(1.5)
			pts.Color = plotutil.Color(i)
			pts.Shape = plotutil.Shape(i)
			p.Add(l, pts)
			p.Legend.Add(c.name, l, pts)
		}
		return p, nil
	}
	top, err := panel("training objective", func(c linearCurve) []float64 { return c.objective })
	if err != nil {
		return err
	}
	top.Title.Text = title
	rows := [][]*plot.Plot{{top}}
	if withTest {
		bottom, err := panel("test error (%)", func(c linearCurve) []float64 { return c.testErr })
		if err != nil {
			return err
		}
		rows = append(rows, []*plot.Plot{bottom})
	}
	w, h := 7*vg.Inch, vg.Length(len(rows))*3.5*vg.Inch
	var canvas vg.CanvasWriterTo
	if strings.ToLower(filepath.Ext(path)) == ".svg" {
		canvas = vgsvg.New(w, h)
	} else {
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(120), vgimg.UseBackgroundColor(color.White))}
	}
	tiles := draw.Tiles{Rows: len(rows), Cols: 1, PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12), PadY: vg.Points(12)}
	canvases := plot.Align(rows, tiles, draw.New(canvas))
	for i, row := range rows {
		row[0].Draw(canvases[i][0])
	}
	return atomicfile.Write(path, func(f *os.File) error {
		_, err := canvas.WriteTo(f)
		return err
	})
}

// linearLogTicks marks a log axis at 1, 2 and 5 times the powers of ten,
// labelled, and at the other integer multiples, unlabelled.
type linearLogTicks struct{}

// Ticks returns the ticks between lo and hi.
func (linearLogTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	if !(lo > 0) || !(hi >= lo) {
		return ticks
	}
	for p := math.Floor(math.Log10(lo)); math.Pow(10, p) <= hi; p++ {
		for m := 1.0; m < 10; m++ {
			v := m * math.Pow(10, p)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', 3, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// genSparseFlags are the flags of descent gen-sparse.
type genSparseFlags struct {
	rows, cols, testRows int
	nnz, noise           float64
	seed                 uint64
	out, testOut         string
}

func (f *genSparseFlags) register(fs *flag.FlagSet) {
	d := sparse.RCV1Shape()
	fs.IntVar(&f.rows, "rows", d.Rows, "documents of the training set")
	fs.IntVar(&f.cols, "cols", d.Cols, "vocabulary size (features)")
	fs.Float64Var(&f.nnz, "nnz", d.NNZ, "mean number of distinct words (nonzeros) per document")
	fs.Uint64Var(&f.seed, "seed", d.Seed, "seed of every random choice")
	fs.StringVar(&f.out, "out", "", "svmlight file to write the training set to (required)")
	fs.IntVar(&f.testRows, "test-rows", 0, "documents of the test set, drawn from the same distribution")
	fs.StringVar(&f.testOut, "test-out", "", "svmlight file to write the test set to")
	fs.Float64Var(&f.noise, "noise", 0.03, "probability that a label is flipped")
}

func (f *genSparseFlags) validate() error {
	switch {
	case f.out == "":
		return usagef("--out is required: the svmlight file to write")
	case f.rows < 1:
		return usagef("--rows %d: want at least 1", f.rows)
	case f.cols < 2 || f.cols > sparse.MaxCols:
		return usagef("--cols %d: want 2 to %d", f.cols, sparse.MaxCols)
	case !(f.nnz >= 1) || f.nnz > float64(f.cols)/2:
		return usagef("--nnz %v: want 1 to half of --cols (%d)", f.nnz, f.cols/2)
	case f.testRows < 0:
		return usagef("--test-rows %d: want at least 0", f.testRows)
	case (f.testRows > 0) != (f.testOut != ""):
		return usagef("--test-rows %d and --test-out %q: give both or neither", f.testRows, f.testOut)
	case !(f.noise >= 0 && f.noise < 0.5):
		return usagef("--noise %v: want a probability in [0, 0.5)", f.noise)
	}
	return nil
}

func runGenSparse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen-sparse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f genSparseFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	noise := f.noise
	if noise == 0 {
		noise = -1 // GenOptions' "no noise"
	}
	start := time.Now()
	train, test, err := sparse.GenerateRCV1Like(sparse.GenOptions{
		Rows: f.rows, TestRows: f.testRows, Cols: f.cols, NNZ: f.nnz, Seed: f.seed, Noise: noise,
	})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	write := func(path string, d *sparse.Data) error {
		if err := sparse.WriteSVMLightFile(path, d, sparse.WriteOptions{}); err != nil {
			return err
		}
		pos := 0
		for _, y := range d.Y {
			if y > 0 {
				pos++
			}
		}
		fmt.Fprintf(stdout, "descent gen-sparse: wrote %s: %d documents × %d words, %d nonzeros (%.1f per document), %.1f%% positive\n",
			path, d.X.Rows, d.X.Cols, d.X.NNZ(), float64(d.X.NNZ())/float64(d.X.Rows), 100*float64(pos)/float64(len(d.Y)))
		return nil
	}
	if err := write(f.out, train); err != nil {
		return err
	}
	if f.testOut != "" {
		if err := write(f.testOut, test); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "descent gen-sparse: %.1f s\n", time.Since(start).Seconds())
	return nil
}
