package repro

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"strings"
	"time"

	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/surface"
)

// Surfaces reproduces the lecture's comparison figures (after Alec
// Radford's animations): the trajectories of SGD, momentum, Nesterov,
// Adagrad, RMSProp, Adam, Adadelta, L-BFGS and Newton on Beale's function,
// Rosenbrock's banana, a long narrow valley (a quadratic with κ = 100
// rotated by 45°) and the saddle x² − y² from a start just off its stable
// manifold, with which methods escape the saddle and how fast.
//
// Each first-order method runs with its learning rate chosen by a grid
// search on each minimization surface (the lowest final f − f*); on the
// saddle, which has no minimum to tune on, each keeps the rate it was given
// on the valley. L-BFGS and Newton are optim.Minimize's full-batch methods
// with their line searches.
type Surfaces struct{}

// Name returns "surfaces".
func (*Surfaces) Name() string { return "surfaces" }

// Summary describes the experiment in a line.
func (*Surfaces) Summary() string {
	return "nine optimizers on Beale, Rosenbrock, a narrow valley and a saddle: trajectories, convergence, escape"
}

// surfaceMethod is one optimizer of the comparison.
type surfaceMethod struct {
	name, label string
	// fullBatch builds an optim.Minimize method; nil for first-order
	// methods of optim.New.
	fullBatch func() optim.Method[float64]
}

func surfaceMethods() []surfaceMethod {
	return []surfaceMethod{
		{name: "sgd", label: "SGD"},
		{name: "momentum", label: "Momentum"},
		{name: "nesterov", label: "Nesterov"},
		{name: "adagrad", label: "Adagrad"},
		{name: "rmsprop", label: "RMSProp"},
		{name: "adam", label: "Adam"},
		{name: "adadelta", label: "Adadelta"},
		{name: "lbfgs", label: "L-BFGS", fullBatch: func() optim.Method[float64] { return &optim.LBFGS[float64]{} }},
		{name: "newton", label: "Newton", fullBatch: func() optim.Method[float64] { return &optim.Newton[float64]{} }},
	}
}

// surfaceRateGrid is the grid of learning rates (Adadelta: of its
// multiplier).
func surfaceRateGrid() []float64 {
	return []float64{1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10}
}

// surfaceCase is one surface of the comparison with its view.
type surfaceCase struct {
	slug, title string
	s           surface.Surface
	fmin        float64
	start       [2]float64
	box         [4]float64 // xmin, xmax, ymin, ymax of the figure
	saddle      bool
}

func surfaceCases() []surfaceCase {
	return []surfaceCase{
		{"beale", "Beale's function", surface.Beale{}, 0, surface.Beale{}.Start(), [4]float64{-0.5, 4, -1.5, 2}, false},
		{"rosenbrock", "Rosenbrock's banana", surface.Rosenbrock{}, 0, surface.Rosenbrock{}.Start(), [4]float64{-2, 2, -1, 3}, false},
		{"valley", "Long narrow valley (quadratic, κ = 100, rotated 45°)", surface.Quadratic{Kappa: 100, Theta: math.Pi / 4}, 0, surface.Quadratic{}.Start(), [4]float64{-2.5, 2.5, -2.5, 2.5}, false},
		{"saddle", "Saddle x² − y², start (1, 0.001)", surface.Saddle{}, math.Inf(-1), surface.Saddle{}.Start(), [4]float64{-1.5, 1.5, -1.5, 1.5}, true},
	}
}

// path is one method's run on one surface.
type path struct {
	method, label string
	rate          float64 // 0 for the full-batch methods
	x, y, f       []float64
	evals         []int // gradient evaluations spent up to each iterate
	diverged      bool
	note          string
}

// escapeLevel is the value below which a run has escaped the saddle: one
// unit below the saddle's value 0, beyond the start's f = 1 − 10⁻⁶.
const escapeLevel = -1

// leave reports whether p has left the region worth following: far outside
// the figure, or (on the saddle) far down the escape direction.
func leave(c surfaceCase, p [2]float64, f float64) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.IsNaN(p[0]) || math.IsNaN(p[1]) {
		return true
	}
	w, h := c.box[1]-c.box[0], c.box[3]-c.box[2]
	return p[0] < c.box[0]-10*w || p[0] > c.box[1]+10*w || p[1] < c.box[2]-10*h || p[1] > c.box[3]+10*h
}

// runFirstOrder runs a named optim optimizer for steps steps.
func runFirstOrder(c surfaceCase, m surfaceMethod, lr float64, steps int) (path, error) {
	h, err := optim.Defaults(m.name)
	if err != nil {
		return path{}, err
	}
	h.LR, h.WeightDecay = lr, 0
	opt, err := optim.New[float64](m.name, h)
	if err != nil {
		return path{}, err
	}
	pt := path{method: m.name, label: m.label, rate: lr}
	p := []float64{c.start[0], c.start[1]}
	g := make([]float64, 2)
	record := func(k int) bool {
		q := [2]float64{p[0], p[1]}
		f := c.s.Value(q)
		pt.x, pt.y, pt.f, pt.evals = append(pt.x, p[0]), append(pt.y, p[1]), append(pt.f, f), append(pt.evals, k)
		if leave(c, q, f) {
			pt.diverged = !c.saddle || math.IsNaN(f)
			return false
		}
		return true
	}
	if !record(0) {
		return pt, nil
	}
	for k := 1; k <= steps; k++ {
		gg := c.s.Gradient([2]float64{p[0], p[1]})
		g[0], g[1] = gg[0], gg[1]
		opt.Step(p, g)
		if !record(k) {
			break
		}
	}
	return pt, nil
}

// surfaceFunc adapts a surface to optim.Function with its exact Hessian,
// counting evaluations.
type surfaceFunc struct {
	s     surface.Surface
	evals int
}

func (f *surfaceFunc) Eval(x, grad []float64) (float64, error) {
	f.evals++
	p := [2]float64{x[0], x[1]}
	g := f.s.Gradient(p)
	grad[0], grad[1] = g[0], g[1]
	return f.s.Value(p), nil
}

// Hessian stores ∇²f(x) row-major.
func (f *surfaceFunc) Hessian(x, h []float64) error {
	hh := f.s.Hessian([2]float64{x[0], x[1]})
	h[0], h[1], h[2], h[3] = hh[0][0], hh[0][1], hh[1][0], hh[1][1]
	return nil
}

// runFullBatch runs L-BFGS or Newton through optim.Minimize.
func runFullBatch(c surfaceCase, m surfaceMethod, method optim.Method[float64], iters int) path {
	fn := &surfaceFunc{s: c.s}
	pt := path{method: m.name, label: m.label}
	cb := func(iter int, x []float64, f, gnorm float64) bool {
		pt.x, pt.y, pt.f, pt.evals = append(pt.x, x[0]), append(pt.y, x[1]), append(pt.f, f), append(pt.evals, fn.evals)
		return !leave(c, [2]float64{x[0], x[1]}, f)
	}
	res, err := optim.Minimize[float64](fn, []float64{c.start[0], c.start[1]}, method, optim.Settings{MaxIter: iters, GradTol: 1e-12}, cb)
	pt.note = res.Reason.String()
	if err != nil {
		pt.note = err.Error()
		if errors.Is(err, optim.ErrNonFinite) && !c.saddle {
			pt.diverged = true
		}
	}
	return pt
}

// gap returns f − f* at iterate i of p.
func (c surfaceCase) gap(p path, i int) float64 { return p.f[i] - c.fmin }

// score ranks a tuning run: fewest steps to f − f* ≤ tol first (+Inf if
// never), then the lowest final f − f*.
func (c surfaceCase) score(p path, tol float64) [2]float64 {
	it, _ := c.reach(p, tol)
	steps := math.Inf(1)
	if it >= 0 {
		steps = float64(it)
	}
	return [2]float64{steps, c.final(p)}
}

// final is the last value of f − f* (+Inf for a diverged run).
func (c surfaceCase) final(p path) float64 {
	if p.diverged || len(p.f) == 0 {
		return math.Inf(1)
	}
	return c.gap(p, len(p.f)-1)
}

// reach returns the iteration and evaluation count at which f − f* first
// falls to tol, or −1, −1.
func (c surfaceCase) reach(p path, tol float64) (iter, evals int) {
	for i := range p.f {
		if c.gap(p, i) <= tol {
			return i, p.evals[i]
		}
	}
	return -1, -1
}

// escape returns the iteration and evaluation count at which f first falls
// to escapeLevel, or −1, −1.
func escape(p path) (iter, evals int) {
	for i, f := range p.f {
		if f <= escapeLevel {
			return i, p.evals[i]
		}
	}
	return -1, -1
}

// surfaceResult holds the runs on one surface.
type surfaceResult struct {
	surfaceCase
	paths []path
	// grid[method] lists (rate, final f − f*) of the tuning runs.
	grid map[string][][2]float64
}

func (r surfaceResult) find(method string) path {
	for _, p := range r.paths {
		if p.method == method {
			return p
		}
	}
	return path{}
}

// Run performs the experiment.
func (e *Surfaces) Run(ctx context.Context, cfg Config) (*Report, error) {
	rep := NewReport(cfg, e.Name(), "Optimizers on test surfaces: trajectories, ravines and a saddle")
	rep.Intro = `The lecture compares optimizers on 2-D surfaces with Alec Radford's animations ("Comparison",
"Further comparison", "Further comparison: escaping from a saddle"), and states that gradient descent is very poor
in ravines, that momentum smooths out its oscillations, and that second-order methods take curvature into account
(Newton: v = −H⁻¹∇E). Here SGD, momentum, Nesterov, Adagrad, RMSProp, Adam, Adadelta, L-BFGS and Newton run from
the same start on Beale's function, Rosenbrock's banana, a long narrow valley and the saddle x² − y²,
with exact gradients (no noise: SGD is gradient descent here).`
	steps, iters, frames := 2000, 200, 40
	tol := 1e-6
	if cfg.Quick {
		steps, iters, frames = 500, 100, 4
	}
	methods := surfaceMethods()
	var names []string
	for _, m := range methods {
		names = append(names, m.label)
	}
	rep.Set("Surfaces", "Beale (start (1, 1.5), minimum (3, 0.5)); Rosenbrock (start (−1.2, 1), minimum (1, 1)); valley ½pᵀAp, A = R diag(1, 100)Rᵀ rotated 45° (start (−2, 1.5)); saddle x² − y² (start (1, 10⁻³), 10⁻³ off the stable manifold y = 0)")
	rep.Set("Methods", "%s; first-order methods from optim.New with torch.optim's defaults except the rate (momentum and Nesterov μ = 0.9, Adam β = (0.9, 0.999), RMSProp ρ = 0.99, Adadelta ρ = 0.9); L-BFGS (memory 10, strong Wolfe search) and Newton (exact Hessian, Cholesky with added multiple of the identity, backtracking) from optim.Minimize", strings.Join(names, ", "))
	rep.Set("Rates", "for each minimization surface, each first-order method's rate is the one of {%s} that reaches f − f* ≤ %s in the fewest steps, or, if none does within %d steps, leaves the lowest f − f* (runs that leave the figure by 10 widths count as diverged); on the saddle each keeps its valley rate", joinNums(surfaceRateGrid()), num(tol), steps)
	rep.Set("Budget", "%d steps for first-order methods, %d iterations for L-BFGS and Newton (which also count function evaluations of their line searches); convergence threshold f − f* ≤ %s; escape: f ≤ %d", steps, iters, num(tol), escapeLevel)
	rep.Set("Seed", "none needed: the runs are deterministic")
	rep.Set("Mode", "%s", cfg.mode())

	var results []surfaceResult
	var valleyRates map[string]float64
	var saddleShift Table
	for _, c := range surfaceCases() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cfg.logf("surfaces: %s", c.slug)
		res := surfaceResult{surfaceCase: c, grid: map[string][][2]float64{}}
		rates := map[string]float64{}
		for _, m := range methods {
			if m.fullBatch != nil {
				res.paths = append(res.paths, runFullBatch(c, m, m.fullBatch(), iters))
				continue
			}
			if c.saddle {
				lr := valleyRates[m.name]
				p, err := runFirstOrder(c, m, lr, steps)
				if err != nil {
					return nil, err
				}
				res.paths = append(res.paths, p)
				continue
			}
			var best path
			bestScore := [2]float64{math.Inf(1), math.Inf(1)}
			for _, lr := range surfaceRateGrid() {
				p, err := runFirstOrder(c, m, lr, steps)
				if err != nil {
					return nil, err
				}
				res.grid[m.name] = append(res.grid[m.name], [2]float64{lr, c.final(p)})
				if sc := c.score(p, tol); best.method == "" || sc[0] < bestScore[0] || (sc[0] == bestScore[0] && sc[1] < bestScore[1]) {
					best, bestScore = p, sc
				}
			}
			rates[m.name] = best.rate
			res.paths = append(res.paths, best)
		}
		if c.slug == "valley" {
			valleyRates = rates
		}
		results = append(results, res)
	}

	// Checks.
	byName := map[string]surfaceResult{}
	for _, r := range results {
		byName[r.slug] = r
	}
	valley, rosen, beale, saddle := byName["valley"], byName["rosenbrock"], byName["beale"], byName["saddle"]
	{
		nt := valley.find("newton")
		v := math.Inf(1)
		if len(nt.f) > 1 {
			v = nt.f[1]
		}
		c := AtMost("newton-quadratic", "Newton's method minimizes the quadratic valley in one iteration (v = −H⁻¹∇E)", v, 1e-20, "")
		c.Detail = "f after iteration 1"
		rep.Check(c)
	}
	{
		sg, _ := valley.reach(valley.find("sgd"), tol)
		mo, _ := valley.reach(valley.find("momentum"), tol)
		rep.Check(stepsBelow("valley-momentum", "Gradient descent is very poor in ravines and momentum smooths out its oscillations: on the valley, momentum reaches f ≤ 10⁻⁶ in fewer steps than SGD, each at its best rate", mo, sg, "SGD's "+stepsText(sg)))
	}
	for _, r := range []surfaceResult{rosen, beale} {
		worstSecond := 0
		for _, m := range []string{"lbfgs", "newton"} {
			it, _ := r.reach(r.find(m), tol*1e-4)
			if it < 0 {
				it = math.MaxInt32
			}
			worstSecond = max(worstSecond, it)
		}
		bestFirst, bestName := math.MaxInt32, ""
		for _, m := range methods {
			if m.fullBatch != nil {
				continue
			}
			if it, _ := r.reach(r.find(m.name), tol*1e-4); it >= 0 && it < bestFirst {
				bestFirst, bestName = it, m.label
			}
		}
		what := fmt.Sprintf("the fastest first-order method's %s", stepsText(bestFirst))
		if bestName != "" {
			what = fmt.Sprintf("%s's %d steps", bestName, bestFirst)
		}
		rep.Check(stepsBelow(r.slug+"-second-order", fmt.Sprintf("Second-order methods use the curvature: on %s, L-BFGS and Newton reach f − f* ≤ 10⁻¹⁰ in fewer iterations than any tuned first-order method", r.title), worstSecond, bestFirst, what))
	}
	{
		// Saddle: adaptive methods against SGD and momentum.
		slowAdaptive, slowName := 0, ""
		for _, m := range []string{"adagrad", "rmsprop", "adam"} {
			it, _ := escape(saddle.find(m))
			if it < 0 {
				it = math.MaxInt32
			}
			if it > slowAdaptive {
				slowAdaptive, slowName = it, m
			}
		}
		fastPlain, plainName := math.MaxInt32, ""
		for _, m := range []string{"sgd", "momentum", "nesterov"} {
			if it, _ := escape(saddle.find(m)); it >= 0 && it < fastPlain {
				fastPlain, plainName = it, m
			}
		}
		c := stepsBelow("saddle-adaptive", "Off the saddle's stable manifold the gradient along the escape direction is tiny; Adagrad, RMSProp and Adam rescale it per coordinate and escape (f ≤ −1) in fewer steps than SGD, momentum and Nesterov, each at its valley rate", slowAdaptive, fastPlain, fmt.Sprintf("%s's %s", plainName, stepsText(fastPlain)))
		c.Detail = "slowest adaptive: " + slowName
		rep.Check(c)
		// Escape time against the distance y₀ from the stable manifold.
		far := saddle.surfaceCase
		far.start = [2]float64{saddle.start[0], saddle.start[1] * 1e-6}
		var dt Table
		dt.Header = []string{"method", "rate", "escape from y₀ = 10⁻³", "from y₀ = 10⁻⁹", "extra steps", "theory ln(10⁶)/ln σ"}
		worstLog, worstLogName := 0.0, ""
		worstInv, worstInvName := 0, ""
		for _, m := range methods {
			var fp path
			if m.fullBatch != nil {
				fp = runFullBatch(far, m, m.fullBatch(), iters)
			} else {
				var err error
				if fp, err = runFirstOrder(far, m, valleyRates[m.name], 4*steps); err != nil {
					return nil, err
				}
			}
			near, _ := escape(saddle.find(m.name))
			farIt, _ := escape(fp)
			extra := "—"
			if near >= 0 && farIt >= 0 {
				extra = fmt.Sprint(farIt - near)
			}
			theory := "—"
			if sigma := growthFactor(m.name, valleyRates[m.name], -2); sigma > 0 {
				d := math.Log(1e6) / math.Log(sigma)
				theory = num(d)
				e := math.Inf(1)
				if near >= 0 && farIt >= 0 {
					e = math.Abs(float64(farIt-near)-d) / d
				}
				if m.name == "adadelta" {
					theory += " (small-gradient limit)"
				} else if e > worstLog || math.IsNaN(e) {
					worstLog, worstLogName = e, m.label
				}
			}
			switch m.name {
			case "adagrad", "rmsprop", "adam":
				d := math.MaxInt32
				if near >= 0 && farIt >= 0 {
					d = farIt - near
				}
				if d >= worstInv {
					worstInv, worstInvName = d, m.label
				}
			}
			dt.AddRow(m.label, rateText(valleyRates[m.name], m), stepsText(near), stepsText(farIt), extra, theory)
		}
		saddleShift = dt
		c = AtMost("saddle-log", "SGD, momentum and Nesterov grow y by the spectral radius σ of their iteration per step, so starting 10⁶ times closer to the stable manifold costs ln(10⁶)/ln σ more steps", 100*worstLog, 5, "%")
		c.Detail = "worst relative error, " + worstLogName
		rep.Check(c)
		c = AtMost("saddle-invariant", "Adagrad, RMSProp and Adam divide the gradient by its own size, so their escape time does not depend on how close to the stable manifold they start", float64(worstInv), 2, "extra steps")
		c.Detail = "most extra steps from y₀ = 10⁻⁹ instead of 10⁻³, " + worstInvName
		if worstInv == math.MaxInt32 {
			c.Measured, c.Detail = math.Inf(1), worstInvName+" did not escape"
		}
		rep.Check(c)

		nt := saddle.find("newton")
		it, _ := escape(nt)
		c = AtMost("saddle-newton", "Newton with a positive-definite modification of H moves along the negative curvature and escapes the saddle within a few iterations", float64(it), 5, "iterations")
		if it < 0 {
			c.Measured, c.Pass, c.Detail = math.Inf(1), false, "did not escape"
		}
		rep.Check(c)
		pure := runFullBatch(saddle.surfaceCase, surfaceMethod{name: "newton-pure", label: "pure Newton"}, &optim.Newton[float64]{Pure: true}, iters)
		d := math.Inf(1)
		if len(pure.x) > 1 {
			d = math.Hypot(pure.x[1], pure.y[1])
		}
		c = AtMost("saddle-pure-newton", "The unmodified Newton step x − H⁻¹∇f jumps onto the saddle point itself: Newton's method is attracted to saddles", d, 1e-12, "")
		c.Detail = "distance to (0, 0) after iteration 1"
		rep.Check(c)
	}

	// Body: one section per surface.
	for _, r := range results {
		rep.Heading(r.title)
		var t Table
		if r.saddle {
			t.Header = []string{"method", "rate", "escape (f ≤ −1): iteration", "gradient evaluations", "f at the end", "stopped"}
		} else {
			t.Header = []string{"method", "rate", "f − f* at the end", "iterations to f − f* ≤ 10⁻⁶", "gradient evaluations", "stopped"}
		}
		for _, p := range r.paths {
			rate := "—"
			if p.rate > 0 {
				rate = num(p.rate)
			}
			stopped := p.note
			if p.diverged {
				stopped = "diverged"
			}
			if stopped == "" {
				stopped = fmt.Sprintf("%d steps", len(p.f)-1)
				if r.saddle && len(p.f)-1 < steps {
					stopped = "left the figure (escaped)"
				}
			}
			if r.saddle {
				it, ev := escape(p)
				t.AddRow(p.label, rate, stepsText(it), stepsText(ev), num(p.f[len(p.f)-1]), stopped)
			} else {
				it, ev := r.reach(p, tol)
				t.AddRow(p.label, rate, num(r.final(p)), stepsText(it), stepsText(ev), stopped)
			}
		}
		rep.Table(t)
		if r.saddle {
			rep.Text(`Every method reaches f ≤ −1 from y₀ = 10⁻³ with these rates, but how fast depends on the rate, which
on a saddle has nothing to be tuned against. What does not depend on it is how the escape time grows as the start
approaches the stable manifold. Along y the gradient is −2y: SGD, momentum and Nesterov multiply y by the spectral
radius σ of their iteration each step, so from 10⁶ times closer they need ln(10⁶)/ln σ more steps; Adagrad, RMSProp
and Adam divide the gradient by its running size, so their steps along y do not shrink with y₀. Adadelta does not
share this: its ε = 10⁻⁶ sits inside both roots, next to squared gradients and steps of order y₀², so near the
stable manifold its update is lr·g, SGD's with rate lr, and how fast it escapes depends on its rate as SGD's does.
(Ruder's description of Radford's animation counts Adadelta among the methods that "quickly head down the negative
slope"; the checks leave it out for this reason, and the table shows what it does.)`)
			rep.Table(saddleShift)
		}
		if !r.saddle {
			rep.Text("Tuning runs (rate: f − f* after %d steps; ∞: diverged): %s.", steps, gridText(r.grid, methods))
		}
		if err := rep.Figure(r.slug+"-paths", fmt.Sprintf("%s: the first %s of every method from the same start (×: start and minimum).", r.title, stepsText(steps)), r.trajectoryChart(-1)); err != nil {
			return nil, err
		}
		if err := rep.Figure(r.slug+"-convergence", fmt.Sprintf("%s: %s against iterations (log scale).", r.title, r.valueLabel()), r.convergenceChart()); err != nil {
			return nil, err
		}
		if frames > 0 {
			var fr []Chart
			n := r.animationLength()
			for i := 1; i <= frames; i++ {
				k := int(math.Round(float64(n) * math.Pow(float64(i)/float64(frames), 2)))
				ch := r.trajectoryChart(k)
				ch.Width, ch.Height = 8*72, 5.4*72
				fr = append(fr, ch)
			}
			if err := rep.Animation(r.slug+"-paths", fmt.Sprintf("%s: the trajectories as they unfold (time runs quadratically: early steps slowly).", r.title), fr, 150*time.Millisecond); err != nil {
				return nil, err
			}
		}
	}
	return rep, nil
}

// growthFactor is the spectral radius of the iteration of SGD, momentum
// (torch form, Goh's R), Nesterov (torch form) or Adadelta near zero
// gradient, with rate lr and μ = 0.9, along an eigenvector with eigenvalue
// lambda; 0 for other methods.
func growthFactor(name string, lr, lambda float64) float64 {
	const mu = 0.9
	switch name {
	case "sgd", "adadelta":
		// Adadelta's ε = 10⁻⁶ inside both roots dominates gradients and
		// steps ≪ 10⁻³, where its update is lr·g: SGD with rate lr.
		return math.Abs(1 - lr*lambda)
	case "momentum":
		s, _ := eigen2(iterationMatrix(lr, mu, lambda))
		return cmplx.Abs(s)
	case "nesterov":
		// v ← μv + g, w ← w − lr(g + μv) on (v, w) with g = λw.
		s, _ := eigen2([2][2]float64{{mu, lambda}, {-lr * mu * mu, 1 - lr*lambda*(1+mu)}})
		return cmplx.Abs(s)
	}
	return 0
}

func rateText(lr float64, m surfaceMethod) string {
	if m.fullBatch != nil || lr == 0 {
		return "—"
	}
	return num(lr)
}

// stepsBelow checks that a count of steps is below another's (−1, not
// reached, counts as infinite).
func stepsBelow(id, claim string, steps, than int, what string) Check {
	m, l := float64(steps), float64(than)
	if steps < 0 || steps == math.MaxInt32 {
		m = math.Inf(1)
	}
	if than < 0 || than == math.MaxInt32 {
		l = math.Inf(1)
	}
	c := Below(id, claim, m, l, "steps", what)
	c.Pass = m < l
	return c
}

func stepsText(n int) string {
	if n < 0 || n == math.MaxInt32 {
		return "never"
	}
	return fmt.Sprint(n)
}

func joinNums(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = num(x)
	}
	return strings.Join(s, ", ")
}

func gridText(grid map[string][][2]float64, methods []surfaceMethod) string {
	var parts []string
	for _, m := range methods {
		g, ok := grid[m.name]
		if !ok {
			continue
		}
		var cells []string
		for _, rg := range g {
			cells = append(cells, num(rg[0])+": "+num(rg[1]))
		}
		parts = append(parts, m.label+" — "+strings.Join(cells, ", "))
	}
	return strings.Join(parts, "; ")
}

func (r surfaceResult) valueLabel() string {
	if r.saddle {
		return "f"
	}
	return "f − f*"
}

// animationLength is the number of iterations the animation covers: the
// longest run, capped where every method has converged or escaped.
func (r surfaceResult) animationLength() int {
	n := 0
	for _, p := range r.paths {
		n = max(n, len(p.f)-1)
	}
	return n
}

// trajectoryChart draws the paths over the surface's contours, up to
// iteration upto (all when negative).
func (r surfaceResult) trajectoryChart(upto int) Chart {
	b := r.box
	ch := Chart{Title: r.title, XLabel: "x", YLabel: "y", XRange: [2]float64{b[0], b[1]}, YRange: [2]float64{b[2], b[3]}, Width: 9 * 72, Height: 6 * 72, LegendOutside: true}
	ct := &Contour{XMin: b[0], XMax: b[1], YMin: b[2], YMax: b[3], N: 150}
	if r.saddle {
		ct.Z = func(x, y float64) float64 { return r.s.Value([2]float64{x, y}) }
		for v := -2.125; v <= 2.2; v += 0.25 { // not 0: gonum's contour tracer fails on the crossing at the saddle
			ct.Levels = append(ct.Levels, v)
		}
	} else {
		fmax := r.s.Value([2]float64{b[0], b[2]})
		for _, q := range [][2]float64{{b[1], b[2]}, {b[0], b[3]}, {b[1], b[3]}} {
			fmax = max(fmax, r.s.Value(q))
		}
		ct.Z = func(x, y float64) float64 { return math.Log10(r.s.Value([2]float64{x, y}) - r.fmin + 1e-3) }
		lo, hi := -2.5, math.Log10(fmax+1e-3)
		for i := 0; i <= 24; i++ {
			ct.Levels = append(ct.Levels, lo+(hi-lo)*float64(i)/24)
		}
	}
	ch.Contour = ct
	for i, p := range r.paths {
		n := len(p.x)
		if upto >= 0 {
			n = min(n, upto+1)
		}
		label := p.label
		if p.rate > 0 {
			label += " (lr " + num(p.rate) + ")"
		}
		ch.Lines = append(ch.Lines, Line{Name: label, X: p.x[:n], Y: p.y[:n], Hue: i + 1, Marks: p.method == "lbfgs" || p.method == "newton"})
	}
	pts := Line{Name: "start, minimum", X: []float64{r.start[0]}, Y: []float64{r.start[1]}, NoLine: true, Gray: true, Glyph: 1}
	for _, m := range r.s.Minima() {
		pts.X, pts.Y = append(pts.X, m[0]), append(pts.Y, m[1])
	}
	ch.Lines = append(ch.Lines, pts)
	return ch
}

// convergenceChart draws f − f* against iterations (log scale) or, on the
// saddle, f against iterations on a log time axis.
func (r surfaceResult) convergenceChart() Chart {
	ch := Chart{Title: r.title + ": convergence", XLabel: "iteration", YLabel: r.valueLabel(), LogY: true, LegendOutside: true, Width: 9 * 72}
	if r.saddle {
		ch = Chart{Title: r.title + ": escape", XLabel: "iteration (log scale)", YLabel: "f(x, y)", LogX: true,
			YRange: [2]float64{-3, 1.5}, LegendOutside: true, Width: 9 * 72}
	}
	for i, p := range r.paths {
		var x, y []float64
		for k := range p.f {
			if r.saddle {
				if k > 0 {
					x, y = append(x, float64(k)), append(y, max(p.f[k], -1e3))
				}
				continue
			}
			v := max(r.gap(p, k), 1e-16)
			x, y = append(x, float64(k)), append(y, v)
			if v <= 1e-16 {
				break
			}
		}
		label := p.label
		if p.rate > 0 {
			label += " (lr " + num(p.rate) + ")"
		}
		ch.Lines = append(ch.Lines, Line{Name: label, X: x, Y: y, Hue: i + 1})
	}
	if r.saddle {
		ch.Lines = append(ch.Lines, Line{Name: "escape level f = −1", X: []float64{1, float64(r.animationLength())}, Y: []float64{escapeLevel, escapeLevel}, Gray: true, Dashed: true})
	}
	return ch
}
