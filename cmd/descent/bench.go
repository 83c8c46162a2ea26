package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/internal/parallel"
	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/tensor"
	"github.com/descent-ml/descent/train"
)

// benchKinds are the subcommands of descent bench, in the order of its usage.
var benchKinds = []struct {
	name, summary string
	run           func(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error
}{
	{"matmul", "tensor.Gemm on one shape: GFLOP/s", benchMatmul},
	{"copy", "memory bandwidth of a large copy: GB/s", benchCopy},
	{"step", "one optimizer step over flat vectors: ns per parameter and GB/s", benchStep},
	{"train", "training steps of the MLP or CNN on synthetic MNIST-shaped data: examples per second", benchTrain},
}

// runBench is descent bench: measurements of the compute kernels for users
// and for comparisons with other libraries (scripts/bench_kernels.sh).
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "usage: descent bench KIND [flags]\n\nkinds:")
		for _, k := range benchKinds {
			fmt.Fprintf(w, "  %-7s %s\n", k.name, k.summary)
		}
		fmt.Fprintln(w, "\nRun 'descent bench KIND -h' for a kind's flags. Every kind takes --json, --threads,\n--rounds and --round-time; numbers are medians over the rounds.")
	}
	if len(args) == 0 {
		usage(stderr)
		return usagef("missing the kind of benchmark: want one of %s", benchKindNames())
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return flag.ErrHelp
	}
	for _, k := range benchKinds {
		if k.name == args[0] {
			return k.run(ctx, k.name, args[1:], stdout, stderr)
		}
	}
	return usagef("unknown kind %q: want one of %s", args[0], benchKindNames())
}

func benchKindNames() string {
	var names []string
	for _, k := range benchKinds {
		names = append(names, k.name)
	}
	return strings.Join(names, ", ")
}

// benchFlags are the flags every kind of benchmark takes.
type benchFlags struct {
	json      bool
	threads   int
	rounds    int
	roundTime time.Duration
}

func (f *benchFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.json, "json", false, "print one JSON object on stdout")
	fs.IntVar(&f.threads, "threads", 0, "cores to use (GOMAXPROCS); 0 uses all of them")
	fs.IntVar(&f.rounds, "rounds", 7, "timed rounds; the result is their median (a shared machine makes single rounds noisy)")
	fs.DurationVar(&f.roundTime, "round-time", 200*time.Millisecond, "least duration of one round")
}

// parse parses args into fs, checks the common flags and applies --threads.
// It returns a function that restores GOMAXPROCS.
func (f *benchFlags) parse(fs *flag.FlagSet, args []string) (restore func(), err error) {
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	switch {
	case f.threads < 0:
		return nil, usagef("--threads %d: want at least 0 (0: all cores)", f.threads)
	case f.rounds < 1:
		return nil, usagef("--rounds %d: want at least 1", f.rounds)
	case f.roundTime < 0:
		return nil, usagef("--round-time %v: want a duration ≥ 0", f.roundTime)
	}
	prev := runtime.GOMAXPROCS(0)
	if f.threads > 0 {
		runtime.GOMAXPROCS(f.threads)
	}
	f.threads = runtime.GOMAXPROCS(0)
	return func() { runtime.GOMAXPROCS(prev) }, nil
}

// newBenchFlagSet returns the flag set of descent bench name, with the
// common flags registered and a usage message made of about and the flags.
func newBenchFlagSet(name, about string, stderr io.Writer, f *benchFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("bench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: descent bench %s [flags]\n\n%s\n\nflags:\n", name, about)
		fs.PrintDefaults()
	}
	return fs
}

// benchTiming is the result of benchRounds: seconds per call in each round.
type benchTiming []float64

// median returns the median seconds per call.
func (t benchTiming) median() float64 {
	s := slices.Sorted(slices.Values(t))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// best returns the fewest seconds per call of any round.
func (t benchTiming) best() float64 { return slices.Min(t) }

// benchRounds times op: a warm-up call, then rounds rounds of the same
// number of calls, enough for a round to last at least roundTime (at least
// one call), and returns the seconds per call of each round. It stops with
// ctx's error between calls once ctx is cancelled.
func benchRounds(ctx context.Context, f *benchFlags, op func()) (benchTiming, error) {
	op()
	start := time.Now()
	op()
	one := max(time.Since(start), time.Nanosecond)
	calls := max(1, int(f.roundTime/one))
	t := make(benchTiming, 0, f.rounds)
	for range f.rounds {
		start := time.Now()
		for range calls {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			op()
		}
		t = append(t, time.Since(start).Seconds()/float64(calls))
	}
	return t, nil
}

// writeBenchJSON prints v as one line of JSON.
func writeBenchJSON(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

// matmulResult is the JSON of descent bench matmul.
type matmulResult struct {
	Benchmark  string  `json:"benchmark"`
	DType      string  `json:"dtype"`
	M          int     `json:"m"`
	N          int     `json:"n"`
	K          int     `json:"k"`
	TransA     bool    `json:"trans_a"`
	TransB     bool    `json:"trans_b"`
	Threads    int     `json:"threads"`
	Rounds     int     `json:"rounds"`
	Seconds    float64 `json:"seconds"`
	GFLOPS     float64 `json:"gflops"`
	GFLOPSBest float64 `json:"gflops_best"`
}

func benchMatmul(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	var f benchFlags
	fs := newBenchFlagSet(name, "Times tensor.Gemm, C = op(A)·op(B) with op(A) m×k and op(B) k×n, and reports\nGFLOP/s (2·m·n·k floating-point operations per product).", stderr, &f)
	m := fs.Int("m", 1024, "rows of op(A) and C")
	n := fs.Int("n", 1024, "columns of op(B) and C")
	k := fs.Int("k", 1024, "columns of op(A), rows of op(B)")
	transA := fs.Bool("trans-a", false, "A is stored k×m (op(A) = Aᵀ)")
	transB := fs.Bool("trans-b", false, "B is stored n×k (op(B) = Bᵀ)")
	dtype := fs.String("dtype", "float32", "element type: float32 or float64")
	restore, err := f.parse(fs, args)
	if err != nil {
		return err
	}
	defer restore()
	for _, d := range []struct {
		flag string
		v    int
	}{{"m", *m}, {"n", *n}, {"k", *k}} {
		if d.v < 1 || d.v > 1<<16 {
			return usagef("--%s %d: want a size in [1, 65536]", d.flag, d.v)
		}
	}
	if elems := float64(*m)*float64(*k) + float64(*k)*float64(*n) + float64(*m)*float64(*n); elems > 1<<31 {
		return usagef("--m %d --n %d --k %d: the three matrices hold %.3g elements, want at most 2³¹", *m, *n, *k, elems)
	}
	var op func()
	switch *dtype {
	case "float32":
		op = matmulOp[float32](*transA, *transB, *m, *n, *k)
	case "float64":
		op = matmulOp[float64](*transA, *transB, *m, *n, *k)
	default:
		return usagef("--dtype %q: want float32 or float64", *dtype)
	}
	t, err := benchRounds(ctx, &f, op)
	if err != nil {
		return err
	}
	flops := 2 * float64(*m) * float64(*n) * float64(*k)
	r := matmulResult{
		Benchmark: "matmul", DType: *dtype, M: *m, N: *n, K: *k, TransA: *transA, TransB: *transB,
		Threads: f.threads, Rounds: f.rounds, Seconds: t.median(),
		GFLOPS: flops / t.median() / 1e9, GFLOPSBest: flops / t.best() / 1e9,
	}
	if f.json {
		return writeBenchJSON(stdout, r)
	}
	opA, opB := "A", "B"
	if *transA {
		opA = "Aᵀ"
	}
	if *transB {
		opB = "Bᵀ"
	}
	fmt.Fprintf(stdout, "matmul %s m=%d n=%d k=%d (%s·%s), %d threads: %.1f GFLOP/s (%.3f ms per product; median of %d rounds, best %.1f GFLOP/s)\n",
		*dtype, *m, *n, *k, opA, opB, f.threads, r.GFLOPS, 1e3*r.Seconds, f.rounds, r.GFLOPSBest)
	return nil
}

// matmulOp returns one product of random matrices of the given shape.
func matmulOp[T tensor.Float](transA, transB bool, m, n, k int) func() {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(x []T) []T {
		for i := range x {
			x[i] = T(2*rng.Float64() - 1)
		}
		return x
	}
	a, b, c := fill(make([]T, m*k)), fill(make([]T, k*n)), make([]T, m*n)
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	return func() { tensor.Gemm(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, c, n) }
}

// copyResult is the JSON of descent bench copy.
type copyResult struct {
	Benchmark  string  `json:"benchmark"`
	Bytes      int     `json:"bytes"`
	Threads    int     `json:"threads"`
	Rounds     int     `json:"rounds"`
	Seconds    float64 `json:"seconds"`
	GBPerS     float64 `json:"gb_per_s"`
	GBPerSBest float64 `json:"gb_per_s_best"`
}

func benchCopy(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	var f benchFlags
	fs := newBenchFlagSet(name, "Copies one buffer into another with Go's copy, split across --threads cores, and\nreports GB/s counting the bytes read and the bytes written (STREAM's convention\nfor Copy: 2·size per copy; 1 GB = 10⁹ bytes).", stderr, &f)
	mb := fs.Int("mb", 256, "size of the buffer copied, in MiB")
	restore, err := f.parse(fs, args)
	if err != nil {
		return err
	}
	defer restore()
	if *mb < 1 || *mb > 16<<10 {
		return usagef("--mb %d: want a size in [1, 16384]", *mb)
	}
	size := *mb << 20
	src, dst := make([]byte, size), make([]byte, size)
	for i := 0; i < size; i += 4096 {
		src[i], dst[i] = byte(i>>12), 1 // touch every page before timing
	}
	chunks := f.threads
	body := func(lo, hi int) {
		for c := lo; c < hi; c++ {
			a, b := c*size/chunks, (c+1)*size/chunks
			copy(dst[a:b], src[a:b])
		}
	}
	t, err := benchRounds(ctx, &f, func() { parallel.For(chunks, 1, body) })
	if err != nil {
		return err
	}
	bytes := 2 * float64(size)
	r := copyResult{Benchmark: "copy", Bytes: size, Threads: f.threads, Rounds: f.rounds, Seconds: t.median(),
		GBPerS: bytes / t.median() / 1e9, GBPerSBest: bytes / t.best() / 1e9}
	if f.json {
		return writeBenchJSON(stdout, r)
	}
	fmt.Fprintf(stdout, "copy %d MiB, %d threads: %.1f GB/s read + written (%.2f ms per copy; median of %d rounds, best %.1f GB/s)\n",
		*mb, f.threads, r.GBPerS, 1e3*r.Seconds, f.rounds, r.GBPerSBest)
	return nil
}

// stepResult is the JSON of descent bench step.
type stepResult struct {
	Benchmark  string  `json:"benchmark"`
	Optimizer  string  `json:"optimizer"`
	Params     int     `json:"params"`
	Threads    int     `json:"threads"`
	Rounds     int     `json:"rounds"`
	Seconds    float64 `json:"seconds"`
	NsPerParam float64 `json:"ns_per_param"`
	GBPerS     float64 `json:"gb_per_s"`
	// Vectors is how many float32 vectors of Params values a step moves:
	// w and g read, w written, each state vector read and written.
	Vectors int `json:"vectors"`
}

func benchStep(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	var f benchFlags
	fs := newBenchFlagSet(name, "Times one step of an optimizer (optim.New with its defaults) on flat float32\nparameter and gradient vectors, and reports nanoseconds per parameter and GB/s: the\nbytes of w, g and the optimizer's state read and written per second.", stderr, &f)
	opt := fs.String("optimizer", "adam", "optimizer: "+strings.Join(optim.Names(), ", "))
	params := fs.Int("params", 10_000_000, "number of parameters")
	restore, err := f.parse(fs, args)
	if err != nil {
		return err
	}
	defer restore()
	h, err := optim.Defaults(*opt)
	if err != nil {
		return usagef("--optimizer: %v", err)
	}
	if *params < 1 || *params > 1<<30 {
		return usagef("--params %d: want a count in [1, 2³⁰]", *params)
	}
	o, err := optim.New[float32](*opt, h)
	if err != nil {
		return err
	}
	w, g := make([]float32, *params), make([]float32, *params)
	for i := range w {
		w[i] = float32(i%1000) * 1e-3
		g[i] = float32(i%7) - 3
	}
	o.Step(w, g) // allocates the state, so that it can be counted
	vectors := 3
	if st, ok := o.Transform().(optim.Stateful[float32]); ok {
		for _, s := range st.State() {
			if len(s) == *params {
				vectors += 2
			}
		}
	}
	t, err := benchRounds(ctx, &f, func() { o.Step(w, g) })
	if err != nil {
		return err
	}
	r := stepResult{Benchmark: "step", Optimizer: *opt, Params: *params, Threads: f.threads, Rounds: f.rounds,
		Seconds: t.median(), NsPerParam: 1e9 * t.median() / float64(*params),
		GBPerS: float64(4*vectors) * float64(*params) / t.median() / 1e9, Vectors: vectors}
	if f.json {
		return writeBenchJSON(stdout, r)
	}
	fmt.Fprintf(stdout, "step %s, %d parameters, %d threads: %.3f ns per parameter, %.1f GB/s (%d vectors of float32 moved; %.2f ms per step, median of %d rounds)\n",
		*opt, *params, f.threads, r.NsPerParam, r.GBPerS, vectors, 1e3*r.Seconds, f.rounds)
	return nil
}

// trainResult is the JSON of descent bench train.
type trainResult struct {
	Benchmark string `json:"benchmark"`
	Model     string `json:"model"`
	Batch     int    `json:"batch"`
	Examples  int    `json:"examples"`
	Epochs    int    `json:"epochs"`
	Threads   int    `json:"threads"`
	// ExamplesPerSecond is the median over the epochs after the first
	// (the first warms the tape's memory), or the only epoch's.
	ExamplesPerSecond float64   `json:"examples_per_second"`
	PerEpoch          []float64 `json:"per_epoch"`
}

func benchTrain(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	var f benchFlags
	fs := newBenchFlagSet(name, "Trains a model with train.Trainer and SGD (lr 0.01) on synthetic data of MNIST's\nshape (1×28×28 images, 10 classes), as descent train does, and reports training\nexamples per second, evaluation excluded. --model mlp is the MLP 784-256-256-10,\n--model cnn descent train's CNN. The median is over the epochs after the first.", stderr, &f)
	model := fs.String("model", "mlp", "model: mlp or cnn")
	batch := fs.Int("batch", 128, "mini-batch size")
	examples := fs.Int("examples", 0, "synthetic training examples per epoch (default 12800 for mlp, 2560 for cnn)")
	epochs := fs.Int("epochs", 4, "epochs")
	restore, err := f.parse(fs, args)
	if err != nil {
		return err
	}
	defer restore()
	switch {
	case *model != "mlp" && *model != "cnn":
		return usagef("--model %q: want mlp or cnn", *model)
	case *batch < 1:
		return usagef("--batch %d: want at least 1", *batch)
	case *examples < 0:
		return usagef("--examples %d: want at least 1 (0: the model's default)", *examples)
	case *epochs < 1:
		return usagef("--epochs %d: want at least 1", *epochs)
	}
	if *examples == 0 {
		*examples = 12800
		if *model == "cnn" {
			*examples = 2560
		}
	}

	// The model, as descent train builds it with its default flags.
	var mf modelFlags
	mf.register(flag.NewFlagSet("model", flag.ContinueOnError))
	mf.model, mf.hidden = *model, "256,256"
	if err := mf.validate(); err != nil {
		return fmt.Errorf("--model %s is not available in this build: %v", *model, err)
	}
	shape, classes := []int{1, 28, 28}, 10
	rng := rand.New(rand.NewPCG(1, 2))
	net, err := mf.build(rng, shape, classes)
	if err != nil {
		return fmt.Errorf("--model %s: %v", *model, err)
	}

	// Synthetic MNIST: pixels uniform in [0, 1), labels uniform.
	x, y := make([]float32, *examples*28*28), make([]int, *examples)
	for i := range x {
		x[i] = rng.Float32()
	}
	for i := range y {
		y[i] = rng.IntN(classes)
	}
	ds, err := data.NewDense(x, y, shape, classes)
	if err != nil {
		return err
	}
	params := nn.NewParams[float32](net)
	sgd, err := optim.NewSGD[float32](0.01)
	if err != nil {
		return err
	}
	tr := &train.Trainer[float32]{
		Objective: &nn.Objective[float32]{Model: net, Params: params, Loss: nn.SoftmaxCrossEntropy[float32]{}},
		Optimizer: sgd, Epochs: *epochs, BatchSize: *batch, Seed: 1,
	}
	stats, err := tr.Fit(ctx, ds, nil)
	if err != nil {
		return err
	}
	var per []float64
	for _, s := range stats {
		per = append(per, s.ExamplesPerSecond)
	}
	timed := per
	if len(per) > 1 {
		timed = per[1:]
	}
	r := trainResult{Benchmark: "train", Model: *model, Batch: *batch, Examples: *examples, Epochs: *epochs,
		Threads: f.threads, ExamplesPerSecond: benchMedian(timed), PerEpoch: per}
	if f.json {
		return writeBenchJSON(stdout, r)
	}
	fmt.Fprintf(stdout, "train %s (%s, %d parameters), batch %d, %d threads: %.0f examples/s (median of epochs 2–%d of %d examples)\n",
		*model, net, params.Len(), *batch, f.threads, r.ExamplesPerSecond, *epochs, *examples)
	return nil
}

// benchMedian returns the median of v (NaN when v is empty).
func benchMedian(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	return benchTiming(v).median()
}
