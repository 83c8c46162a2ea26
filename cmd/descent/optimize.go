package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/surface"
)

// surfaceRates are the default learning rates of descent optimize: the
// rates with which each method converges on the quadratic and Rosenbrock
// surfaces from the usual starts (TestOptimizeDefaultsConverge). They are
// smaller than torch.optim's defaults for plain SGD and momentum, whose
// defaults diverge on Rosenbrock's curvature (≈ 1000 near the minimum), and
// larger for Adam-like methods, so that trajectories reach the minimum in a
// few thousand steps. Adadelta needs 0.01: with PyTorch's 1.0 it stalls in
// Rosenbrock's valley.
var surfaceRates = map[string]float64{
	"sgd": 1e-3, "momentum": 3e-4, "nesterov": 3e-4, "adagrad": 1, "rmsprop": 1e-3,
	"adam": 1e-2, "adamw": 1e-2, "amsgrad": 0.1, "adamax": 1e-2, "nadam": 3e-3,
	"radam": 1e-3, "adadelta": 1e-2, "lion": 3e-4,
}

// optimizeFlags are the flags of descent optimize.
type optimizeFlags struct {
	opt          optFlags
	batch        batchFlags
	function     string
	kappa, theta float64
	start        string
	steps        int
	format       string
	nesterovForm string
}

func runOptimize(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("optimize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f optimizeFlags
	f.opt.register(fs, "sgd")
	fs.Lookup("optimizer").Usage = "optimizer: " + methodList()
	f.batch.register(fs)
	fs.StringVar(&f.function, "function", "rosenbrock", "surface: "+strings.Join(surface.Names(), ", "))
	fs.Float64Var(&f.kappa, "kappa", 10, "condition number κ of the quadratic")
	fs.Float64Var(&f.theta, "theta", 0, "rotation of the quadratic, in radians")
	fs.StringVar(&f.start, "start", "", "starting point x,y (default: the surface's usual start)")
	fs.IntVar(&f.steps, "steps", 2000, "number of steps")
	fs.StringVar(&f.format, "format", "csv", "output: csv or json (one object per line)")
	fs.StringVar(&f.nesterovForm, "nesterov-form", "pytorch", "with --optimizer nesterov: pytorch (gradient at the iterate) or lecture (gradient at w + μv)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: descent optimize [flags]\n\nRuns one optimizer on a 2-D test surface in float64 and prints its trajectory:\nstep (0 is the start), x, y, f and the gradient norm.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := surface.ByName(f.function, f.kappa, f.theta)
	if err != nil {
		return usagef("--function: %v", err)
	}
	if f.set(fs, "kappa") && f.function != "quadratic" {
		return usagef("--kappa applies to --function quadratic only")
	}
	start := s.Start()
	if f.start != "" {
		if start, err = parsePoint(f.start); err != nil {
			return usagef("--start %q: %v", f.start, err)
		}
	}
	if f.steps < 0 {
		return usagef("--steps %d: want at least 0", f.steps)
	}
	if f.format != "csv" && f.format != "json" {
		return usagef("--format %q: want csv or json", f.format)
	}
	if f.nesterovForm != "pytorch" && f.nesterovForm != "lecture" {
		return usagef("--nesterov-form %q: want pytorch or lecture", f.nesterovForm)
	}
	if isBatchMethod(f.opt.name) {
		return minimizeSurface(ctx, &f, s, start, stdout, stderr)
	}
	defaults, err := optim.Defaults(f.opt.name)
	if err != nil {
		return usagef("--optimizer: %v; want one of %s", err, methodList())
	}
	defaults.LR = surfaceRates[f.opt.name]
	defaults.WeightDecay = 0
	h, err := f.opt.hyper(&defaults)
	if err != nil {
		return err
	}
	step, err := surfaceStepper(f.opt.name, h, f.nesterovForm == "lecture", s)
	if err != nil {
		return err
	}
	out := newTrajectoryWriter(stdout, f.format)
	p := []float64{start[0], start[1]}
	for k := 0; k <= f.steps; k++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if k > 0 {
			step(p)
		}
		pt := [2]float64{p[0], p[1]}
		v, g := s.Value(pt), s.Gradient(pt)
		if !finite(v) || !finite(g[0]) || !finite(g[1]) || !finite(p[0]) || !finite(p[1]) {
			out.flush()
			return fmt.Errorf("step %d: the iterate (%g, %g) has f = %g: %s diverged; lower --lr", k, p[0], p[1], v, f.opt.name)
		}
		out.write(k, p[0], p[1], v, math.Hypot(g[0], g[1]))
	}
	return out.flush()
}

// minimizeSurface runs a full-batch method (gd, lbfgs, cg, newton,
// newton-cg) on s with exact gradients and Hessians, printing an iteration
// per line like the first-order methods' steps.
func minimizeSurface(ctx context.Context, f *optimizeFlags, s surface.Surface, start [2]float64, stdout, stderr io.Writer) error {
	lr, err := fixedStep(&f.opt)
	if err != nil {
		return err
	}
	_, m, err := f.batch.method(f.opt.name, lr)
	if err != nil {
		return err
	}
	out := newTrajectoryWriter(stdout, f.format)
	res, err := optim.Minimize[float64](surfaceFunc{s}, start[:], m, optim.Settings{MaxIter: max(f.steps, 0), GradTol: 1e-12},
		func(iter int, x []float64, v, gnorm float64) bool {
			out.write(iter, x[0], x[1], v, gnorm)
			return ctx.Err() == nil
		})
	if ferr := out.flush(); ferr != nil {
		return ferr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err != nil {
		if errors.Is(err, optim.ErrLineSearchFailed) && res.GradNorm < 1e-6 {
			// Near the minimizer the decrease of f falls below its rounding.
			fmt.Fprintf(stderr, "descent optimize: %s stopped at ‖∇f‖ = %.3g: %v\n", f.opt.name, res.GradNorm, err)
			return nil
		}
		return err
	}
	fmt.Fprintf(stderr, "descent optimize: %s stopped after %d iterations (%s), %d evaluations\n", f.opt.name, res.Iterations, res.Reason, res.Evaluations)
	return nil
}

// surfaceFunc adapts a surface to optim.Function with its exact Hessian.
type surfaceFunc struct{ s surface.Surface }

func (f surfaceFunc) Eval(x, grad []float64) (float64, error) {
	p := [2]float64{x[0], x[1]}
	g := f.s.Gradient(p)
	grad[0], grad[1] = g[0], g[1]
	return f.s.Value(p), nil
}

func (f surfaceFunc) Hessian(x, h []float64) error {
	H := f.s.Hessian([2]float64{x[0], x[1]})
	h[0], h[1], h[2], h[3] = H[0][0], H[0][1], H[1][0], H[1][1]
	return nil
}

func (f *optimizeFlags) set(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(fl *flag.Flag) { found = found || fl.Name == name })
	return found
}

// surfaceStepper returns a function that advances p by one step of the
// named optimizer on s.
func surfaceStepper(name string, h optim.Hyper, lectureNesterov bool, s surface.Surface) (func(p []float64), error) {
	g := make([]float64, 2)
	grad := func(p []float64) {
		gg := s.Gradient([2]float64{p[0], p[1]})
		g[0], g[1] = gg[0], gg[1]
	}
	if name == "nesterov" && lectureNesterov {
		n := &optim.NesterovLecture[float64]{LR: h.LR, Momentum: h.Momentum}
		look := make([]float64, 2)
		return func(p []float64) {
			n.Lookahead(p, look)
			grad(look)
			n.Step(p, g)
		}, nil
	}
	o, err := optim.New[float64](name, h)
	if err != nil {
		return nil, usagef("--optimizer: %v", err)
	}
	return func(p []float64) {
		grad(p)
		o.Step(p, g)
	}, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// parsePoint parses "x,y".
func parsePoint(s string) ([2]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 2 {
		return [2]float64{}, fmt.Errorf("want two numbers x,y such as -1.2,1")
	}
	var p [2]float64
	for i, part := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || !finite(v) {
			return p, fmt.Errorf("%q is not a finite number; want x,y such as -1.2,1", part)
		}
		p[i] = v
	}
	return p, nil
}

// trajectoryWriter prints trajectory points as CSV or JSON lines.
type trajectoryWriter struct {
	csv  *csv.Writer
	json *json.Encoder
}

type trajectoryPoint struct {
	Step     int     `json:"step"`
	X        float64 `json:"x"`
	Y        float64 `json:"y"`
	F        float64 `json:"f"`
	GradNorm float64 `json:"grad_norm"`
}

func newTrajectoryWriter(w io.Writer, format string) *trajectoryWriter {
	if format == "json" {
		return &trajectoryWriter{json: json.NewEncoder(w)}
	}
	c := csv.NewWriter(w)
	c.Write([]string{"step", "x", "y", "f", "grad_norm"})
	return &trajectoryWriter{csv: c}
}

func (t *trajectoryWriter) write(step int, x, y, f, gn float64) {
	if t.json != nil {
		t.json.Encode(trajectoryPoint{step, x, y, f, gn})
		return
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	t.csv.Write([]string{strconv.Itoa(step), num(x), num(y), num(f), num(gn)})
}

func (t *trajectoryWriter) flush() error {
	if t.csv != nil {
		t.csv.Flush()
		return t.csv.Error()
	}
	return nil
}
