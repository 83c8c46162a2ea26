package repro

import (
	"context"
	"fmt"
	"math"
	"math/cmplx"

	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/surface"
)

// Momentum reproduces Goh, "Why Momentum Really Works" (Distill 2017), as
// the lecture shows it: the five regimes of momentum along one eigenvector
// of a quadratic, the optimal step size and momentum, and the convergence
// rates (√κ−1)/(√κ+1) of momentum and (κ−1)/(κ+1) of gradient descent.
//
// The iteration is Goh's, in float64:
//
//	z[k+1] = β z[k] + ∇f(w[k]),   w[k+1] = w[k] − α z[k+1],
//
// which is torch.optim.SGD's momentum (lr α, momentum β); a check confirms
// that optim.New("momentum") produces the same iterates. Along an
// eigenvector with eigenvalue λ the error x = w − w* and z evolve by
// (z, x) ← R (z, x) with R = [[β, λ], [−αβ, 1 − αλ]], whose eigenvalues σ
// satisfy σ² − (1 + β − αλ)σ + β = 0. Rates are measured from the iterates:
// the least-squares slope of ln max|x| over windows longer than the
// oscillation period.
type Momentum struct{}

// Name returns "momentum".
func (*Momentum) Name() string { return "momentum" }

// Summary describes the experiment in a line.
func (*Momentum) Summary() string {
	return "Goh (Distill 2017): momentum's five regimes, optimal α and β, rates against κ"
}

// gohLambda is the eigenvalue of Goh's "phase space along a single
// eigenvector" figure.
const gohLambda = 100

// regime is one of Goh's points (α, β) at λ = 100.
type regime struct {
	slug, name  string
	alpha, beta float64
	what        string
}

func gohRegimes() []regime {
	return []regime{
		{"ripples", "Ripples", 0.0015, 0.9, "R's eigenvalues are complex; the iterates show low-frequency ripples"},
		{"monotonic", "Monotonic decrease", 0.0015, 0.125, "R's eigenvalues are real, positive and below 1; the behaviour resembles gradient descent"},
		{"one-step", "1-step convergence", 0.01, 0.00001, "α = 1/λ and β ≈ 0 kill the error in the eigenspace in one step"},
		{"oscillations", "Monotonic oscillations", 0.02, 0.05, "α > 1/λ: the iterates flip sign at every iteration"},
		{"divergence", "Divergence", 0.025, 0.235, "max |σ| > 1: the iterates diverge"},
	}
}

// iterationMatrix is R of the momentum iteration along an eigenvector with
// eigenvalue lambda, acting on (z, x).
func iterationMatrix(alpha, beta, lambda float64) [2][2]float64 {
	return [2][2]float64{{beta, lambda}, {-alpha * beta, 1 - alpha*lambda}}
}

// eigen2 returns the eigenvalues of a 2×2 matrix from its trace and
// determinant, the larger modulus first.
func eigen2(m [2][2]float64) (complex128, complex128) {
	tr := m[0][0] + m[1][1]
	det := m[0][0]*m[1][1] - m[0][1]*m[1][0]
	sq := cmplx.Sqrt(complex(tr*tr-4*det, 0))
	a, b := (complex(tr, 0)+sq)/2, (complex(tr, 0)-sq)/2
	if cmplx.Abs(b) > cmplx.Abs(a) {
		a, b = b, a
	}
	return a, b
}

// heavyBall1D runs Goh's iteration on f(x) = λx²/2 from x = 1, z = 0 and
// returns x[0..steps].
func heavyBall1D(alpha, beta, lambda float64, steps int) []float64 {
	xs := make([]float64, steps+1)
	x, z := 1.0, 0.0
	xs[0] = x
	for k := 1; k <= steps; k++ {
		z = beta*z + lambda*x
		x -= alpha * z
		xs[k] = x
	}
	return xs
}

// heavyBallRate runs Goh's iteration on the diagonal quadratic with the
// given eigenvalues from x = (1, …, 1) for steps steps and returns the rate
// fitted to ‖x‖ over windows of W steps from step from.
func heavyBallRate(alpha, beta float64, lambdas []float64, steps, from, W int) float64 {
	x := make([]float64, len(lambdas))
	z := make([]float64, len(lambdas))
	for i := range x {
		x[i] = 1
	}
	wm := windowMax{W: W}
	for k := 1; k <= steps; k++ {
		var n float64
		for i, l := range lambdas {
			z[i] = beta*z[i] + l*x[i]
			x[i] -= alpha * z[i]
			n += x[i] * x[i]
		}
		if k >= from {
			wm.add(math.Sqrt(n))
		}
	}
	return wm.rate(0, len(wm.maxes))
}

// regimeResult is what one regime measures.
type regimeResult struct {
	regime
	xs             []float64
	s1, s2         complex128
	radius, rate   float64
	signChanges    int     // k with x[k]·x[k+1] < 0
	growths        int     // k with |x[k+1]| > |x[k]|
	steps          int     // the k counted
	period         float64 // 2·steps / signChanges
	theoryPeriod   float64 // 2π / |arg σ| for complex σ
	oneStep, after float64 // |x1/x0| and max over k ≥ 2 of |x_k/x0|
}

func measureRegime(r regime, steps, from, W int) regimeResult {
	res := regimeResult{regime: r, xs: heavyBall1D(r.alpha, r.beta, gohLambda, steps)}
	res.s1, res.s2 = eigen2(iterationMatrix(r.alpha, r.beta, gohLambda))
	res.radius = cmplx.Abs(res.s1)
	if imag(res.s1) != 0 {
		res.theoryPeriod = 2 * math.Pi / math.Abs(cmplx.Phase(res.s1))
	}
	xs := res.xs
	for k := 0; k+1 < len(xs); k++ {
		if math.Abs(xs[k]) < 1e-280 || math.Abs(xs[k]) > 1e280 {
			break
		}
		res.steps++
		if xs[k]*xs[k+1] < 0 {
			res.signChanges++
		}
		if math.Abs(xs[k+1]) > math.Abs(xs[k]) {
			res.growths++
		}
	}
	if res.signChanges > 0 {
		res.period = 2 * float64(res.steps) / float64(res.signChanges)
	}
	res.rate = envelopeRate(xs, from, len(xs), W)
	res.oneStep = math.Abs(xs[1] / xs[0])
	for _, x := range xs[2:] {
		res.after = max(res.after, math.Abs(x/xs[0]))
	}
	return res
}

// quadraticRate runs opt on the quadratic q from its start until the
// distance to the minimum falls below stop times the initial one (or
// maxSteps) and returns the rate fitted to the second half of the run.
func quadraticRate(ctx context.Context, q surface.Quadratic, opt optim.Optimizer[float64], stop float64, maxSteps int) (rate float64, steps int, err error) {
	s := q.Start()
	p := []float64{s[0], s[1]}
	g := make([]float64, 2)
	n0 := math.Hypot(p[0], p[1])
	wm := windowMax{W: 10}
	for steps = 1; steps <= maxSteps; steps++ {
		if steps%(1<<16) == 0 {
			if err := ctx.Err(); err != nil {
				return 0, steps, err
			}
		}
		gg := q.Gradient([2]float64{p[0], p[1]})
		g[0], g[1] = gg[0], gg[1]
		opt.Step(p, g)
		n := math.Hypot(p[0], p[1])
		wm.add(n)
		if n <= stop*n0 || math.IsNaN(n) {
			break
		}
	}
	k := len(wm.maxes)
	return wm.rate(k/2, k), steps, nil
}

// Run performs the experiment.
func (m *Momentum) Run(ctx context.Context, cfg Config) (*Report, error) {
	rep := NewReport(cfg, m.Name(), "Why momentum really works: regimes, optimal parameters and rates")
	rep.Intro = `The lecture's slides on momentum come from G. Goh, *Why Momentum Really Works*, Distill 2017
(https://distill.pub/2017/momentum/). Along one eigenvector of a quadratic, momentum with step size α and
momentum β shows five regimes (ripples, monotonic decrease, 1-step convergence, monotonic oscillations,
divergence); with the optimal α = (2/(√λ₁+√λₙ))² and β = ((√λₙ−√λ₁)/(√λₙ+√λ₁))² it converges at the rate
(√κ−1)/(√κ+1), against (κ−1)/(κ+1) for gradient descent. Every rate below is measured from the iterates.`
	steps, W, from := 1500, 32, 128
	kappaStop, gridN, gridSteps, gridFrom := 1e-250, 81, 1500, 300
	if cfg.Quick {
		steps = 600
		kappaStop, gridN, gridSteps, gridFrom = 1e-60, 41, 600, 150
	}
	rep.Set("Problem", "f(w) = λw²/2 along one eigenvector, λ = %d, from w₀ = 1, z₀ = 0 (the five regimes); f(p) = ½pᵀAp with A = R diag(1, κ)Rᵀ rotated 45° (surface.Quadratic), from (−2, 1.5) (rates against κ)", gohLambda)
	rep.Set("Iteration", "Goh's z ← βz + ∇f(w), w ← w − αz in float64 = torch.optim.SGD momentum (optim.New(\"momentum\"), dampening 0); gradient descent is optim.New(\"sgd\")")
	rep.Set("Rate measurement", "ρ = exp(least-squares slope of ln max|error| over windows of W steps): regimes W = %d over steps %d…%d; ripple grid W = 64; κ sweep W = 10 over the second half of a run stopped when ‖error‖ ≤ %s·‖error₀‖; optimal-parameter grid W = 10 over steps %d…%d", W, from, steps, num(kappaStop), gridFrom, gridSteps)
	rep.Set("Tolerance", "rates: |ln ρ̂ − ln ρ| ≤ 5%% of |ln ρ| (5%% of the steps per e-fold, stricter than 5%% of ρ when ρ is near 1); optimal α, β: the best grid point within 5%%")
	rep.Set("Seed", "none needed: the experiment is deterministic")
	rep.Set("Mode", "%s", cfg.mode())

	// The library's momentum is Goh's iteration.
	{
		r := gohRegimes()[0]
		xs := heavyBall1D(r.alpha, r.beta, gohLambda, 200)
		h, _ := optim.Defaults("momentum")
		h.LR, h.Momentum = r.alpha, r.beta
		opt, err := optim.New[float64]("momentum", h)
		if err != nil {
			return nil, err
		}
		w, g := []float64{1}, []float64{0}
		var worst float64
		for k := 1; k < len(xs); k++ {
			g[0] = gohLambda * w[0]
			opt.Step(w, g)
			worst = max(worst, math.Abs(w[0]-xs[k]))
		}
		c := AtMost("library-form", "optim.New(\"momentum\") (torch.optim.SGD) runs Goh's iteration: the same iterates as z ← βz + ∇f, w ← w − αz", worst, 1e-12, "")
		c.Detail = "max |Δw| over 200 steps"
		rep.Check(c)
	}

	// The five regimes.
	cfg.logf("momentum: five regimes at λ = %d", gohLambda)
	rs := make([]regimeResult, 0, 5)
	for _, r := range gohRegimes() {
		rs = append(rs, measureRegime(r, steps, from, W))
	}
	rip, mono, one, osc, div := rs[0], rs[1], rs[2], rs[3], rs[4]
	rep.Check(
		Within("ripple-period", "Ripples: complex eigenvalues of R make the error oscillate slowly, with period 2π/arg σ", rip.period, rip.theoryPeriod, 0.05, "2π/arg σ"),
		rateCheck("ripple-rate", "Ripples converge at |σ| = √β, independent of α and λ (the slide says 2√β; 2√β > 1 would be divergence)", rip.rate, math.Sqrt(rip.beta), 0.05, "√β"),
	)
	// Independence of α and λ inside the complex region.
	var ripTable Table
	ripTable.Header = []string{"λ", "αλ", "α", "measured ρ", "√β", "2√β (slide)", "ln-error vs √β"}
	worstRip, worstAt := 0.0, ""
	for _, lambda := range []float64{1, 100, 1e4} {
		for _, al := range []float64{0.02, 0.15, 1, 2, 3.5} {
			alpha := al / lambda
			xs := heavyBall1D(alpha, 0.9, lambda, 2*steps)
			rho := envelopeRate(xs, 2*from, len(xs), 64)
			e := logRateError(rho, math.Sqrt(0.9))
			if e > worstRip || math.IsNaN(e) {
				worstRip, worstAt = e, fmt.Sprintf("λ = %s, αλ = %s", num(lambda), num(al))
			}
			ripTable.AddRow(num(lambda), num(al), num(alpha), fmt.Sprintf("%.5f", rho), fmt.Sprintf("%.5f", math.Sqrt(0.9)), fmt.Sprintf("%.4f", 2*math.Sqrt(0.9)), num(100*e)+"%")
		}
	}
	c := AtMost("ripple-independent", "With β = 0.9 the ripple rate is √β for every α and λ with complex eigenvalues (15 points, λ = 1…10⁴, αλ = 0.02…3.5)", 100*worstRip, 5, "%")
	c.Detail = "worst ln-error, at " + worstAt
	rep.Check(c)
	rep.Check(
		Holds("monotonic-shape", "Monotonic decrease: the error keeps its sign and never grows", mono.signChanges+mono.growths, "steps violating it"),
		rateCheck("monotonic-rate", "Monotonic decrease converges at the larger real eigenvalue of R", mono.rate, mono.radius, 0.05, "σ₁"),
		oneStepCheck(one),
		Holds("oscillation-shape", "Monotonic oscillations: the error flips sign at every step and never grows", (osc.steps-osc.signChanges)+osc.growths, "steps violating it"),
		rateCheck("oscillation-rate", "Monotonic oscillations converge at |σ₁|, the larger real eigenvalue's modulus", osc.rate, osc.radius, 0.05, "|σ₁|"),
		rateCheck("divergence-rate", "Divergence: the error grows at max |σ| > 1", div.rate, div.radius, 0.05, "|σ₁|"),
	)

	// Optimal α and β for κ = 100: a measured grid search.
	cfg.logf("momentum: grid search for the optimal α, β at κ = 100")
	l1, ln := 1.0, 100.0
	aStar := math.Pow(2/(math.Sqrt(l1)+math.Sqrt(ln)), 2)
	bStar := math.Pow((math.Sqrt(ln)-math.Sqrt(l1))/(math.Sqrt(ln)+math.Sqrt(l1)), 2)
	lambdas := []float64{l1, ln}
	bestRate, bestA, bestB := math.Inf(1), 0.0, 0.0
	for i := 0; i < gridN; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a := aStar * math.Pow(2, -1+2*float64(i)/float64(gridN-1))
		for j := 0; j < gridN; j++ {
			b := bStar * math.Pow(2, -1+1.5*float64(j)/float64(gridN-1))
			if b >= 1 {
				continue
			}
			if r := heavyBallRate(a, b, lambdas, gridSteps, gridFrom, 10); r < bestRate {
				bestRate, bestA, bestB = r, a, b
			}
		}
	}
	atStar := heavyBallRate(aStar, bStar, lambdas, gridSteps, gridFrom, 10)
	ca := Within("optimal-alpha", "The fastest step size for λ₁ = 1, λₙ = 100 is α = (2/(√λ₁+√λₙ))²", bestA, aStar, 0.05, "α*")
	ca.Detail = fmt.Sprintf("best of a %d×%d grid, α ∈ α*·[½, 2]", gridN, gridN)
	cb := Within("optimal-beta", "The fastest momentum for λ₁ = 1, λₙ = 100 is β = ((√λₙ−√λ₁)/(√λₙ+√λ₁))²", bestB, bStar, 0.05, "β*")
	cb.Detail = fmt.Sprintf("best of the grid, β ∈ β*·[½, 2^½]; best rate %.4f, at (α*, β*) %.4f", bestRate, atStar)
	co := AtLeast("optimal-rate", "No (α, β) of the grid converges faster than the formula's (α*, β*)", bestRate/atStar, 0.995, "")
	co.Detail = "fastest grid rate / rate at (α*, β*)"
	rep.Check(ca, cb, co)

	// Rates against κ.
	cfg.logf("momentum: rates against κ")
	kappas := []float64{10, 30, 100, 300, 1000, 3000, 1e4}
	var kt Table
	kt.Header = []string{"κ", "momentum ρ measured", "(√κ−1)/(√κ+1)", "ln-error", "steps", "GD ρ measured", "(κ−1)/(κ+1)", "ln-error", "steps"}
	var mMeas, gMeas, mTheo, gTheo []float64
	worstM, worstG := 0.0, 0.0
	worstMAt, worstGAt := "", ""
	for _, kappa := range kappas {
		q := surface.Quadratic{Kappa: kappa, Theta: math.Pi / 4}
		sk := math.Sqrt(kappa)
		h, _ := optim.Defaults("momentum")
		h.LR, h.Momentum = math.Pow(2/(1+sk), 2), math.Pow((sk-1)/(sk+1), 2)
		mo, err := optim.New[float64]("momentum", h)
		if err != nil {
			return nil, err
		}
		mr, ms, err := quadraticRate(ctx, q, mo, kappaStop, 1<<24)
		if err != nil {
			return nil, err
		}
		hg, _ := optim.Defaults("sgd")
		hg.LR = 2 / (1 + kappa)
		gd, err := optim.New[float64]("sgd", hg)
		if err != nil {
			return nil, err
		}
		gr, gs, err := quadraticRate(ctx, q, gd, kappaStop, 1<<24)
		if err != nil {
			return nil, err
		}
		mt, gt := (sk-1)/(sk+1), (kappa-1)/(kappa+1)
		em, eg := logRateError(mr, mt), logRateError(gr, gt)
		if em > worstM || math.IsNaN(em) {
			worstM, worstMAt = em, "κ = "+num(kappa)
		}
		if eg > worstG || math.IsNaN(eg) {
			worstG, worstGAt = eg, "κ = "+num(kappa)
		}
		mMeas, gMeas, mTheo, gTheo = append(mMeas, mr), append(gMeas, gr), append(mTheo, mt), append(gTheo, gt)
		kt.AddRow(num(kappa), fmt.Sprintf("%.6f", mr), fmt.Sprintf("%.6f", mt), num(100*em)+"%", num(float64(ms)),
			fmt.Sprintf("%.6f", gr), fmt.Sprintf("%.6f", gt), num(100*eg)+"%", num(float64(gs)))
	}
	cm := AtMost("kappa-momentum", "With optimal α, β momentum converges at (√κ−1)/(√κ+1), κ = 10…10⁴", 100*worstM, 5, "%")
	cm.Detail = "worst ln-error, at " + worstMAt
	cg := AtMost("kappa-gd", "Gradient descent with α = 2/(λ₁+λₙ) converges at (κ−1)/(κ+1), κ = 10…10⁴", 100*worstG, 5, "%")
	cg.Detail = "worst ln-error, at " + worstGAt
	rep.Check(cm, cg)

	// Report body.
	rep.Heading("The five regimes along one eigenvector")
	rep.Text(`At λ = %d, Goh's five points (α, β). σ₁, σ₂ are the eigenvalues of R = [[β, λ], [−αβ, 1−αλ]]
computed from its trace and determinant; "measured ρ" is the fitted rate of the iterates.`, gohLambda)
	var rt Table
	rt.Header = []string{"regime", "α", "β", "σ₁", "σ₂", "max |σ|", "measured ρ", "sign changes / steps", "growing steps"}
	for _, r := range rs {
		measured := fmt.Sprintf("%.5f", r.rate)
		if math.IsNaN(r.rate) {
			measured = "— (0 after step 1)"
		}
		rt.AddRow(r.name, num(r.alpha), num(r.beta), cnum(r.s1), cnum(r.s2), fmt.Sprintf("%.5f", r.radius), measured,
			fmt.Sprintf("%d / %d", r.signChanges, r.steps), fmt.Sprint(r.growths))
	}
	rep.Table(rt)
	rep.Text(`**The ripple rate is √β, not 2√β.** For β > 0 and complex eigenvalues σ, σ̄ of R,
|σ|² = σσ̄ = det R = β(1−αλ) + αβλ = β, so |σ| = √β whatever α and λ are: Goh's observation that the
rate does not depend on α and λ holds, but the rate is √β. The slide, quoting Goh's article, prints 2√β, which
for β = 0.9 is %.4f > 1 and would mean divergence; the measured rate is %.5f against √β = %.5f (ln-error %s%%).
The iterates oscillate with period %.1f steps (theory 2π/arg σ = %.1f). The 1-step point leaves |w₁/w₀| = %s;
momentum's memory then brings back at most %s of the initial error (w₂ = −αβλ w₀ = −β w₀ when αλ = 1).`,
		2*math.Sqrt(rip.beta), rip.rate, math.Sqrt(rip.beta), num(100*logRateError(rip.rate, math.Sqrt(rip.beta))),
		rip.period, rip.theoryPeriod, num(one.oneStep), num(one.after))
	rep.Table(ripTable)

	logFig := Chart{Title: fmt.Sprintf("Momentum along one eigenvector (λ = %d): error against iteration", gohLambda),
		XLabel: "iteration k", YLabel: "|w_k − w*| / |w_0 − w*|", LogY: true, LegendBottom: true, LegendLeft: true,
		XRange: [2]float64{0, 200}, YRange: [2]float64{1e-16, 1e4}}
	for i, r := range rs {
		var x, y []float64
		for k := 0; k <= min(200, len(r.xs)-1); k++ {
			if v := math.Abs(r.xs[k]); v >= 1e-16 {
				x, y = append(x, float64(k)), append(y, v)
			}
		}
		logFig.Lines = append(logFig.Lines, Line{Name: fmt.Sprintf("%s (α %s, β %s)", r.name, num(r.alpha), num(r.beta)), X: x, Y: y, Hue: i + 1})
	}
	if err := rep.Figure("regimes", "The five regimes: size of the error (log scale; values below 10⁻¹⁶ are not drawn). The ripples' envelope falls at √β; the 1-step run is exactly 0 after one step, then β·w₀ = 10⁻⁵ returns from momentum's memory and dies at rate √β; the divergent run grows at max |σ|.", logFig); err != nil {
		return nil, err
	}
	for i, r := range rs {
		n := 60
		if r.slug == "ripples" {
			n = 120
		}
		n = min(n, len(r.xs)-1)
		var k, x, up, lo []float64
		for j := 0; j <= n; j++ {
			k = append(k, float64(j))
			x = append(x, r.xs[j])
			e := math.Pow(r.radius, float64(j))
			up, lo = append(up, e), append(lo, -e)
		}
		ch := Chart{Title: fmt.Sprintf("%s: α = %s, β = %s, λ = %d", r.name, num(r.alpha), num(r.beta), gohLambda),
			XLabel: "iteration k", YLabel: "error w_k − w* (w_0 − w* = 1)", Width: 7 * 72, Height: 4 * 72,
			Lines: []Line{
				{Name: "iterate", X: k, Y: x, Hue: i + 1, Marks: true},
				{Name: fmt.Sprintf("±max|σ|ᵏ, max|σ| = %.4f", r.radius), X: k, Y: up, Gray: true, Dashed: true},
				{X: k, Y: lo, Gray: true, Dashed: true},
			}}
		if r.slug == "divergence" {
			ch.LegendLeft = true
		}
		if err := rep.Figure("regime-"+r.slug, fmt.Sprintf("%s: %s.", r.name, r.what), ch); err != nil {
			return nil, err
		}
	}
	if err := rep.Figure("regime-map", "Where the regimes lie: R's eigenvalues are complex between the two branches of αλ = (1 ± √β)² (ripples), real and positive left of them (monotonic decrease), real and negative right of them (oscillations), and max |σ| > 1 beyond the dashed line αλ = 2(1+β) (divergence).", regimeMap(rs)); err != nil {
		return nil, err
	}

	rep.Heading("Optimal step size and momentum")
	rep.Text(`For λ₁ = 1, λₙ = 100 the formulas give α* = %.5f and β* = %.5f. A grid search over %d×%d pairs
(α ∈ α*·[½, 2], β ∈ β*·[½, √2], log-spaced), each run for %d steps on the diagonal quadratic, finds the fastest
measured rate %.5f at α = %.5f, β = %.5f; at (α*, β*) the measured rate is %.5f against (√κ−1)/(√κ+1) = %.5f.
The rate at the optimum is a kink (both extreme eigenvalues sit on the boundary of the complex region), so a
finite run measures it slightly high: the error decays like k·σᵏ there.`, aStar, bStar, gridN, gridN, gridSteps, bestRate, bestA, bestB, atStar, 9.0/11)
	sl := Chart{Title: "Measured rate around the optimal (α*, β*), eigenvalues 1 and 100",
		XLabel: "parameter / formula value (log scale)", YLabel: "measured rate ρ per iteration", LogX: true, LegendBottom: true, LegendLeft: true}
	var ua, ra, ub, rb []float64
	for i := 0; i <= 100; i++ {
		u := math.Pow(2, -1+2*float64(i)/100)
		ua, ra = append(ua, u), append(ra, heavyBallRate(aStar*u, bStar, lambdas, gridSteps, gridFrom, 10))
		if v := bStar * u; v < 1 {
			ub, rb = append(ub, u), append(rb, heavyBallRate(aStar, v, lambdas, gridSteps, gridFrom, 10))
		}
	}
	sl.Lines = []Line{
		{Name: "α / α* (β = β*)", X: ua, Y: ra},
		{Name: "β / β* (α = α*)", X: ub, Y: rb},
		{Name: "(√κ−1)/(√κ+1) at the formula point", X: []float64{1}, Y: []float64{9.0 / 11}, NoLine: true, Gray: true, Glyph: 1},
	}
	sl.YRange = [2]float64{0.75, 1.01}
	if err := rep.Figure("optimal", "Measured rate when α or β moves away from the formula's optimum; both slices bottom out at 1.", sl); err != nil {
		return nil, err
	}

	rep.Heading("Rates against the condition number")
	rep.Text(`On the quadratic with eigenvalues 1 and κ rotated by 45°, momentum with the optimal α, β and gradient
descent with α = 2/(1+κ), both through the optim package. "steps" is the length of the run.`)
	rep.Table(kt)
	gap := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i, r := range v {
			out[i] = 1 - r
		}
		return out
	}
	rk := Chart{Title: "Convergence rate against condition number", XLabel: "condition number κ = λmax / λmin (log scale)",
		YLabel: "1 − ρ (log scale)", LogX: true, LogY: true, LegendBottom: true, LegendLeft: true,
		Lines: []Line{
			{Name: "momentum, theory 1 − (√κ−1)/(√κ+1)", X: kappas, Y: gap(mTheo), Hue: 1},
			{Name: "momentum, measured", X: kappas, Y: gap(mMeas), Hue: 1, NoLine: true, Glyph: 0},
			{Name: "gradient descent, theory 1 − (κ−1)/(κ+1)", X: kappas, Y: gap(gTheo), Hue: 2},
			{Name: "gradient descent, measured", X: kappas, Y: gap(gMeas), Hue: 2, NoLine: true, Glyph: 2},
		}}
	if err := rep.Figure("rates-kappa", "Momentum removes a fraction ≈ 2/√κ of the error per iteration, gradient descent ≈ 2/κ: at κ = 10⁴ momentum needs about 50× fewer iterations.", rk); err != nil {
		return nil, err
	}
	return rep, nil
}

func oneStepCheck(r regimeResult) Check {
	c := AtMost("one-step", "1-step convergence: α = 1/λ kills the error in the eigenspace in one step", r.oneStep, 1e-12, "")
	c.Detail = "|w₁/w₀|"
	return c
}

// cnum formats a complex eigenvalue.
func cnum(c complex128) string {
	if imag(c) == 0 {
		return fmt.Sprintf("%.4f", real(c))
	}
	return fmt.Sprintf("%.4f%+.4fi", real(c), imag(c))
}

// regimeMap draws the (αλ, β) plane with the boundaries between regimes and
// Goh's five points.
func regimeMap(rs []regimeResult) Chart {
	var b, lo, hi, dv []float64
	for i := 0; i <= 200; i++ {
		beta := float64(i) / 200
		b = append(b, beta)
		lo = append(lo, (1-math.Sqrt(beta))*(1-math.Sqrt(beta)))
		hi = append(hi, (1+math.Sqrt(beta))*(1+math.Sqrt(beta)))
		dv = append(dv, 2*(1+beta))
	}
	ch := Chart{Title: "Momentum's regimes in the (αλ, β) plane", XLabel: "αλ (step size times eigenvalue)", YLabel: "momentum β",
		XRange: [2]float64{0, 6.5}, YRange: [2]float64{0, 1},
		Lines: []Line{
			{Name: "αλ = (1 ± √β)²", X: lo, Y: b, Gray: true},
			{X: hi, Y: b, Gray: true},
			{Name: "αλ = 2(1 + β)", X: dv, Y: b, Gray: true, Dashed: true},
		}}
	for i, r := range rs {
		ch.Lines = append(ch.Lines, Line{Name: r.name, X: []float64{r.alpha * gohLambda}, Y: []float64{r.beta}, Hue: i + 1, NoLine: true})
	}
	return ch
}
