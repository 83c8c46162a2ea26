package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/tensor"
)

// synthetic returns n examples of shape 2×3 with labels in [0, classes).
func synthetic(t *testing.T, n, classes int, seed uint64) *data.Dense {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n*6)
	y := make([]int, n)
	for i := range y {
		y[i] = rng.IntN(classes)
		for j := 0; j < 6; j++ {
			x[i*6+j] = float32(rng.NormFloat64() + 0.7*float64((y[i]+j)%classes))
		}
	}
	ds, err := data.NewDense(x, y, []int{2, 3}, classes)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// objective64 builds a float64 objective for a model with the given layer
// sizes (a linear model for two sizes) and loss.
func objective64(sizes []int, loss nn.Loss[float64], lambda float64, skip bool) *nn.Objective[float64] {
	model := nn.MLP(rand.New(rand.NewPCG(4, 2)), sizes, nn.Tanh[float64], nn.XavierNormal[float64])
	return &nn.Objective[float64]{Model: model, Params: nn.NewParams[float64](model), Loss: loss, Lambda: lambda, SkipNoDecay: skip}
}

// wholeBatch evaluates obj on all of ds in one batch with nn.Objective.Eval.
func wholeBatch(obj *nn.Objective[float64], ds *data.Dense) (float64, []float64) {
	x := make([]float64, len(ds.X))
	for i, v := range ds.X {
		x[i] = float64(v)
	}
	in := tensor.FromSlice(x, append([]int{ds.Len()}, ds.ExampleShape...)...)
	f, _ := obj.Eval(autograd.NewTape[float64](), in, ds.Y)
	return f, append([]float64(nil), obj.Params.Grad...)
}

func TestFullBatchMatchesObjective(t *testing.T) {
	ds := synthetic(t, 37, 4, 1)
	for _, tc := range []struct {
		name   string
		sizes  []int
		loss   nn.Loss[float64]
		lambda float64
		skip   bool
	}{
		{"mlp softmax", []int{6, 5, 4}, nn.SoftmaxCrossEntropy[float64]{}, 0.01, false},
		{"mlp softmax skip biases", []int{6, 5, 4}, nn.SoftmaxCrossEntropy[float64]{}, 0.03, true},
		{"linear logistic", []int{6, 1}, &nn.Logistic[float64]{}, 0.01, true},
		{"linear mse", []int{6, 4}, &nn.MSE[float64]{}, 0, false},
	} {
		for _, chunk := range []int{1, 7, 37, 0} {
			t.Run(fmt.Sprintf("%s/chunk %d", tc.name, chunk), func(t *testing.T) {
				obj := objective64(tc.sizes, tc.loss, tc.lambda, tc.skip)
				wantF, wantG := wholeBatch(obj, ds)
				fb, err := NewFullBatch(obj, ds, chunk)
				if err != nil {
					t.Fatal(err)
				}
				x := append([]float64(nil), obj.Params.Data...)
				g := make([]float64, len(x))
				clear(obj.Params.Data) // Eval must load x
				f, err := fb.Eval(x, g)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(f-wantF) > 1e-13*max(1, math.Abs(wantF)) {
					t.Errorf("E = %.17g, want %.17g", f, wantF)
				}
				for i := range g {
					if math.Abs(g[i]-wantG[i]) > 1e-13 {
						t.Fatalf("gradient %d: %v, want %v", i, g[i], wantG[i])
					}
				}
				// The parameter vector itself, with its own gradient buffer.
				ps := obj.Params
				if f2, err := fb.Eval(ps.Data, ps.Grad); err != nil || f2 != f {
					t.Errorf("in place: E = %v (%v), want %v", f2, err, f)
				}
				for i := range g {
					if ps.Grad[i] != g[i] {
						t.Fatalf("in place: gradient %d is %v, want %v", i, ps.Grad[i], g[i])
					}
				}
			})
		}
	}
}

// TestFullBatchHessVecIsExact compares the linear models' Hessian-vector
// products with central differences of the gradient.
func TestFullBatchHessVecIsExact(t *testing.T) {
	ds := synthetic(t, 41, 3, 2)
	for _, tc := range []struct {
		name string
		obj  *nn.Objective[float64]
	}{
		{"softmax", objective64([]int{6, 3}, nn.SoftmaxCrossEntropy[float64]{}, 0.02, false)},
		{"softmax skip biases", objective64([]int{6, 3}, nn.SoftmaxCrossEntropy[float64]{}, 0.02, true)},
		{"logistic", objective64([]int{6, 1}, &nn.Logistic[float64]{}, 0.01, true)},
		{"mse", objective64([]int{6, 3}, &nn.MSE[float64]{}, 0.005, false)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fb, err := NewFullBatch(tc.obj, ds, 16)
			if err != nil {
				t.Fatal(err)
			}
			if !fb.Exact() {
				t.Fatal("not recognized as a linear model")
			}
			rng := rand.New(rand.NewPCG(7, 7))
			n := tc.obj.Params.Len()
			x, v := make([]float64, n), make([]float64, n)
			for i := range x {
				x[i], v[i] = 0.5*rng.NormFloat64(), rng.NormFloat64()
			}
			hv := make([]float64, n)
			if err := fb.HessVec(x, v, hv); err != nil {
				t.Fatal(err)
			}
			const h = 1e-5
			xp, xm, gp, gm := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			for i := range x {
				xp[i], xm[i] = x[i]+h*v[i], x[i]-h*v[i]
			}
			fb.Eval(xp, gp)
			fb.Eval(xm, gm)
			var worst, scale float64
			for i := range hv {
				fd := (gp[i] - gm[i]) / (2 * h)
				worst = max(worst, math.Abs(fd-hv[i]))
				scale = max(scale, math.Abs(fd))
			}
			if worst > 1e-8*scale {
				t.Errorf("largest difference from central differences %.2g (scale %.2g)", worst, scale)
			}
		})
	}
	t.Run("mlp has none", func(t *testing.T) {
		fb, err := NewFullBatch(objective64([]int{6, 5, 3}, nn.SoftmaxCrossEntropy[float64]{}, 0, false), ds, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := len(fb.ev.obj.Params.Data)
		if err := fb.HessVec(make([]float64, n), make([]float64, n), make([]float64, n)); !errors.Is(err, optim.ErrNoHessian) || fb.Exact() {
			t.Errorf("HessVec on an MLP: %v", err)
		}
	})
}

type goldenRun struct {
	X []float64 `json:"x"`
	F float64   `json:"f"`
}

// goldenProblem reads a logistic-regression golden file of package optim
// and returns its dataset, objective and scipy's minimizers.
func goldenProblem(t *testing.T, file string) (*data.Dense, func() *nn.Objective[float64], func() *nn.Objective[float32], map[string]goldenRun) {
	t.Helper()
	b, err := os.ReadFile("../optim/testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Lambda  float64     `json:"lambda"`
		X       [][]float64 `json:"x"`
		Pixels  [][]float64 `json:"pixels"`
		Y       []int       `json:"y"`
		Classes int         `json:"classes"`
		Scipy   map[string]goldenRun
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	rows, scale := g.X, 1.0
	if rows == nil {
		rows, scale = g.Pixels, 1.0/16
	}
	d := len(rows[0])
	x := make([]float32, 0, len(rows)*d)
	for _, r := range rows {
		for _, v := range r {
			x = append(x, float32(v*scale))
		}
	}
	classes := max(g.Classes, 2)
	ds, err := data.NewDense(x, g.Y, []int{d}, classes)
	if err != nil {
		t.Fatal(err)
	}
	out, skip := classes, false
	if g.Classes == 0 { // binary: one score, bias not penalized
		out, skip = 1, true
	}
	obj64 := func() *nn.Objective[float64] {
		model := nn.MLP(rand.New(rand.NewPCG(1, 1)), []int{d, out}, nn.ReLU[float64], nn.XavierUniform[float64])
		var loss nn.Loss[float64] = nn.SoftmaxCrossEntropy[float64]{}
		if out == 1 {
			loss = &nn.Logistic[float64]{}
		}
		o := &nn.Objective[float64]{Model: model, Params: nn.NewParams[float64](model), Loss: loss, Lambda: g.Lambda, SkipNoDecay: skip}
		clear(o.Params.Data)
		return o
	}
	obj32 := func() *nn.Objective[float32] {
		model := nn.MLP(rand.New(rand.NewPCG(1, 1)), []int{d, out}, nn.ReLU[float32], nn.XavierUniform[float32])
		var loss nn.Loss[float32] = nn.SoftmaxCrossEntropy[float32]{}
		if out == 1 {
			loss = &nn.Logistic[float32]{}
		}
		o := &nn.Objective[float32]{Model: model, Params: nn.NewParams[float32](model), Loss: loss, Lambda: g.Lambda, SkipNoDecay: skip}
		clear(o.Params.Data)
		return o
	}
	return ds, obj64, obj32, g.Scipy
}

// TestFullBatchAgreesWithScipy trains the two golden logistic regressions
// of package optim through nn layers and FullBatch.
func TestFullBatchAgreesWithScipy(t *testing.T) {
	for _, file := range []string{"fullbatch_logreg.json", "fullbatch_softmax.json"} {
		ds, obj64, obj32, scipy := goldenProblem(t, file)
		for _, m := range []optim.Method[float64]{&optim.LBFGS[float64]{}, &optim.Newton[float64]{}, &optim.NewtonCG[float64]{}} {
			t.Run(file+"/"+m.Name(), func(t *testing.T) {
				obj := obj64()
				fb, err := NewFullBatch(obj, ds, 100)
				if err != nil {
					t.Fatal(err)
				}
				r, err := optim.Minimize(fb, obj.Params.Data, m, optim.Settings{GradTol: 1e-9, MaxIter: 5000}, nil)
				if r.Reason == optim.LineSearchFailed && r.GradNorm < 1e-8 {
					// Changes of E below its rounding: as far as float64
					// goes (scipy's L-BFGS-B stops near here too).
					t.Logf("precision limit: %v", err)
				} else if err != nil || r.Reason != optim.GradientTolerance {
					t.Fatalf("%v after %d iterations (‖∇E‖ %g): %v", r.Reason, r.Iterations, r.GradNorm, err)
				}
				t.Logf("%d iterations, %d evaluations, %d Hessian-vector products", r.Iterations, r.Evaluations, r.HessEvals)
				for name, s := range scipy {
					var d float64
					for i := range s.X {
						d = max(d, math.Abs(r.X[i]-s.X[i]))
					}
					if d > 1e-6 {
						t.Errorf("differs from scipy's %s by %.2g", name, d)
					}
				}
			})
		}
		t.Run(file+"/lbfgs float32", func(t *testing.T) {
			obj := obj32()
			fb, err := NewFullBatch(obj, ds, 0)
			if err != nil {
				t.Fatal(err)
			}
			r, err := optim.Minimize(fb, obj.Params.Data, &optim.LBFGS[float32]{}, optim.Settings{GradTol: 1e-5, MaxIter: 2000}, nil)
			if err != nil && r.Reason != optim.LineSearchFailed {
				t.Fatal(err)
			}
			var d float64
			for i, want := range scipy["trust-exact"].X {
				d = max(d, math.Abs(float64(r.X[i])-want))
			}
			t.Logf("float32: %v after %d iterations, ‖∇E‖ %.2g, %.2g from scipy", r.Reason, r.Iterations, r.GradNorm, d)
			if d > 1e-3 {
				t.Errorf("float32 minimizer %.2g from scipy's", d)
			}
		})
	}
}

func TestMiniBatchDraws(t *testing.T) {
	ds := synthetic(t, 50, 3, 3)
	obj := objective64([]int{6, 3}, nn.SoftmaxCrossEntropy[float64]{}, 0, false)
	mb, err := NewMiniBatch(obj, ds, 20, 3, 9)
	if err != nil {
		t.Fatal(err)
	}
	first := append([]int(nil), mb.Batch()...)
	changes := 0
	seen := map[int]bool{}
	for k := 1; k <= 10; k++ {
		if mb.StartIteration(k) {
			changes++
			if (k-1)%3 != 0 {
				t.Errorf("batch changed before iteration %d", k)
			}
		}
		for _, i := range mb.Batch() {
			seen[i] = true
		}
	}
	if changes != 3 || mb.Draws() != 4 {
		t.Errorf("%d changes, %d draws in 10 iterations with K = 3; want 3 and 4", changes, mb.Draws())
	}
	if len(seen) < 40 {
		t.Errorf("only %d examples seen", len(seen))
	}
	again, _ := NewMiniBatch(obj, ds, 20, 3, 9)
	for i, v := range again.Batch() {
		if first[i] != v {
			t.Fatal("the same seed gives another first batch")
		}
	}
	for _, bad := range []struct{ size, reuse int }{{0, 1}, {51, 1}, {10, 0}} {
		if _, err := NewMiniBatch(obj, ds, bad.size, bad.reuse, 1); err == nil {
			t.Errorf("batch %d, reuse %d accepted", bad.size, bad.reuse)
		}
	}
}

func mnistLogreg(lambda float64) *nn.Objective[float32] {
	model := nn.MLP(rand.New(rand.NewPCG(1, 2)), []int{784, 10}, nn.ReLU[float32], nn.XavierUniform[float32])
	ps := nn.NewParams[float32](model)
	clear(ps.Data)
	return &nn.Objective[float32]{Model: model, Params: ps, Loss: nn.SoftmaxCrossEntropy[float32]{}, Lambda: lambda, SkipNoDecay: true}
}

// sklearnLambda is λ = 1/(2CN) for scikit-learn's default C = 1 on the
// 60,000 MNIST training images: LogisticRegression minimizes
// ½‖w‖² + C Σ l, that is 1/N Σ l + 1/(2CN)‖w‖².
const sklearnLambda = 1.0 / (2 * 60000)

// TestLBFGSTrainsMNISTLogisticRegression: full-batch L-BFGS (float32) on
// multinomial logistic regression reaches ≥ 92% test accuracy.
func TestLBFGSTrainsMNISTLogisticRegression(t *testing.T) {
	if testing.Short() {
		t.Skip("full-batch MNIST takes about 20 s")
	}
	trainSet, testSet := loadMNIST(t)
	obj := mnistLogreg(sklearnLambda)
	var last IterationStats
	tr := &BatchTrainer[float32]{
		Objective: obj, Method: &optim.LBFGS[float32]{}, Settings: optim.Settings{MaxIter: 60},
		OnIteration: func(s IterationStats) { last = s },
	}
	r, err := tr.Fit(context.Background(), trainSet, testSet)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v after %d iterations, %d evaluations, %.1fs: E = %.4f, test accuracy %.2f%%",
		r.Reason, r.Iterations, r.Evaluations, last.Seconds, r.F, 100*last.TestAccuracy)
	if !last.Tested || last.TestAccuracy < 0.92 {
		t.Errorf("test accuracy %.4f < 0.92", last.TestAccuracy)
	}
	_, acc, err := Evaluate(obj.Model, obj.Loss, testSet, 0)
	if err != nil || acc != last.TestAccuracy {
		t.Errorf("the model's parameters give %.4f (%v), the trainer reported %.4f", acc, err, last.TestAccuracy)
	}
}

// unannounced is a mini-batch objective whose batch changes without the
// method being told: the naive use of mini-batches with a quasi-Newton
// method.
type unannounced struct{ *MiniBatch[float32] }

func (u unannounced) StartIteration(k int) bool {
	u.MiniBatch.StartIteration(k)
	return false
}

// TestQuasiNewtonNeedsTheSameBatch is the lecture's "quasi-Newton can be
// used in batch mode, but the same batch should be used over several
// iterations (why?)". L-BFGS learns curvature from yₖ = ∇f(xₖ₊₁) − ∇f(xₖ)
// and checks its steps with a line search; both compare values of one
// function. Given a fresh batch every iteration without being told, its
// line search compares E on one batch with E on another and its yₖ mixes
// the two batches' sampling noise with curvature: it stops within a few
// iterations, its line search failed, and makes less progress than with the
// batch held for K = 10 iterations.
//
// descent's MiniBatch does tell the method (optim.IterationStarter), and
// Minimize then evaluates E and ∇E again on the new batch, so every line
// search and every pair (sₖ, yₖ) sees one batch; a fresh batch every
// iteration (K = 1) then costs one more evaluation per iteration and works.
func TestQuasiNewtonNeedsTheSameBatch(t *testing.T) {
	trainSet, _ := loadMNIST(t)
	const batch, iters = 5000, 30
	fullE := func(x []float32) float64 {
		fb, err := NewFullBatch(mnistLogreg(1e-4), trainSet, 0)
		if err != nil {
			t.Fatal(err)
		}
		f, err := fb.Eval(x, make([]float32, len(x)))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	run := func(reuse int, announce bool) (optim.Result[float32], float64, error) {
		obj := mnistLogreg(1e-4)
		mb, err := NewMiniBatch(obj, trainSet, batch, reuse, 1)
		if err != nil {
			t.Fatal(err)
		}
		var f optim.Function[float32] = mb
		if !announce {
			f = unannounced{mb}
		}
		r, err := optim.Minimize(f, obj.Params.Data, &optim.LBFGS[float32]{}, optim.Settings{MaxIter: iters, GradTol: -1}, nil)
		return r, fullE(r.X), err
	}
	naive, naiveE, naiveErr := run(1, false)
	held, heldE, heldErr := run(10, true)
	fresh, freshE, freshErr := run(1, true)
	t.Logf("fresh batch every iteration, unannounced: %v after %d iterations (%d evaluations), E = %.4f", naive.Reason, naive.Iterations, naive.Evaluations, naiveE)
	t.Logf("batch held for 10 iterations:             %v after %d iterations (%d evaluations), E = %.4f", held.Reason, held.Iterations, held.Evaluations, heldE)
	t.Logf("fresh batch every iteration, announced:   %v after %d iterations (%d evaluations), E = %.4f", fresh.Reason, fresh.Iterations, fresh.Evaluations, freshE)
	if !errors.Is(naiveErr, optim.ErrLineSearchFailed) || naive.Iterations >= iters {
		t.Errorf("unannounced fresh batches: %v after %d iterations (%v); want a failed line search", naive.Reason, naive.Iterations, naiveErr)
	}
	if heldErr != nil || held.Iterations != iters {
		t.Errorf("held batch: %v after %d iterations: %v", held.Reason, held.Iterations, heldErr)
	}
	if !(heldE < naiveE-0.03) {
		t.Errorf("E = %.4f with the batch held, %.4f with a fresh batch every iteration: want clearly less", heldE, naiveE)
	}
	if freshErr != nil || !(freshE < naiveE) || fresh.Evaluations < 2*iters {
		t.Errorf("announced fresh batches: %v, %d evaluations, E = %.4f", freshErr, fresh.Evaluations, freshE)
	}
}

func TestBatchTrainer(t *testing.T) {
	ds := synthetic(t, 300, 3, 5)
	trainSet, testSet := data.Split(ds, 240)
	for _, tc := range []struct {
		name   string
		method optim.Method[float32]
		batch  int
	}{
		{"lbfgs", &optim.LBFGS[float32]{}, 0},
		{"cg", &optim.ConjugateGradient[float32]{}, 0},
		{"newton", &optim.Newton[float32]{}, 0},
		{"newton-cg", &optim.NewtonCG[float32]{}, 0},
		{"gd", &optim.GradientDescent[float32]{Step: 0.5}, 0},
		{"lbfgs mini-batch", &optim.LBFGS[float32]{}, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model := nn.MLP(rand.New(rand.NewPCG(1, 1)), []int{6, 3}, nn.ReLU[float32], nn.XavierUniform[float32])
			obj := &nn.Objective[float32]{Model: model, Params: nn.NewParams[float32](model), Loss: nn.SoftmaxCrossEntropy[float32]{}, Lambda: 1e-3}
			var stats []IterationStats
			tr := &BatchTrainer[float32]{Objective: obj, Method: tc.method, Settings: optim.Settings{MaxIter: 40, GradTol: 1e-4},
				BatchSize: tc.batch, ReuseBatch: 5, EvalEvery: 10, OnIteration: func(s IterationStats) { stats = append(stats, s) }}
			r, err := tr.Fit(context.Background(), trainSet, testSet)
			if err != nil && !errors.Is(err, optim.ErrLineSearchFailed) {
				t.Fatal(err)
			}
			lastStat := stats[len(stats)-1]
			if stats[0].Iteration != 0 || lastStat.Iteration != r.Iterations || !lastStat.Tested {
				t.Errorf("first stats %+v, last %+v, %d iterations", stats[0], lastStat, r.Iterations)
			}
			for _, s := range stats {
				if s.Tested != (s.Iteration%10 == 0 || s == lastStat) {
					t.Errorf("iteration %d tested: %v", s.Iteration, s.Tested)
				}
			}
			if lastStat.TestAccuracy < 0.6 || !(r.F < stats[0].Objective) {
				t.Errorf("%v after %d iterations: E %.4f → %.4f, test accuracy %.3f", r.Reason, r.Iterations, stats[0].Objective, r.F, lastStat.TestAccuracy)
			}
			for i, v := range r.X {
				if obj.Params.Data[i] != v {
					t.Fatal("the model's parameters are not the result")
				}
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		model := nn.MLP(rand.New(rand.NewPCG(1, 1)), []int{6, 3}, nn.ReLU[float32], nn.XavierUniform[float32])
		obj := &nn.Objective[float32]{Model: model, Params: nn.NewParams[float32](model), Loss: nn.SoftmaxCrossEntropy[float32]{}}
		ctx, cancel := context.WithCancel(context.Background())
		tr := &BatchTrainer[float32]{Objective: obj, Method: &optim.LBFGS[float32]{}, OnIteration: func(s IterationStats) {
			if s.Iteration == 3 {
				cancel()
			}
		}}
		r, err := tr.Fit(ctx, trainSet, nil)
		if !errors.Is(err, context.Canceled) || r.Iterations != 3 {
			t.Errorf("%v after %d iterations", err, r.Iterations)
		}
	})
}

// BenchmarkLBFGSMNIST trains MNIST logistic regression with full-batch
// L-BFGS in float32 and float64 (scripts/bench_lbfgs.sh runs it beside
// scikit-learn). LBFGS_ITERS sets the iteration limit (default 100, as
// scikit-learn's max_iter).
func BenchmarkLBFGSMNIST(b *testing.B) {
	dir, err := data.MNISTDir("")
	if err != nil {
		b.Skip(err)
	}
	trainSet, testSet, err := data.LoadMNIST(dir)
	if err != nil {
		b.Fatal(err)
	}
	iters := 100
	if s := os.Getenv("LBFGS_ITERS"); s != "" {
		fmt.Sscan(s, &iters)
	}
	b.Run("float32", func(b *testing.B) { benchLBFGS[float32](b, trainSet, testSet, iters) })
	b.Run("float64", func(b *testing.B) { benchLBFGS[float64](b, trainSet, testSet, iters) })
}

func benchLBFGS[T Float](b *testing.B, trainSet, testSet data.Dataset, iters int) {
	var r optim.Result[T]
	var acc float64
	for range b.N {
		model := nn.MLP(rand.New(rand.NewPCG(1, 2)), []int{784, 10}, nn.ReLU[T], nn.XavierUniform[T])
		ps := nn.NewParams[T](model)
		clear(ps.Data)
		obj := &nn.Objective[T]{Model: model, Params: ps, Loss: nn.SoftmaxCrossEntropy[T]{}, Lambda: sklearnLambda, SkipNoDecay: true}
		tr := &BatchTrainer[T]{Objective: obj, Method: &optim.LBFGS[T]{}, Settings: optim.Settings{MaxIter: iters, GradTol: 1e-4}}
		var err error
		if r, err = tr.Fit(context.Background(), trainSet, nil); err != nil && !errors.Is(err, optim.ErrLineSearchFailed) {
			b.Fatal(err)
		}
		b.StopTimer()
		if _, acc, err = Evaluate(obj.Model, obj.Loss, testSet, 0); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(100*acc, "test-acc-%")
	b.ReportMetric(float64(r.Iterations), "iterations")
	b.ReportMetric(float64(r.Evaluations), "evaluations")
	b.ReportMetric(r.F, "objective")
}
