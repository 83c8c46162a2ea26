package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// gemmCase is one shape of the Gemm tests: op(A) is m×k, op(B) is k×n.
type gemmCase struct{ m, n, k int }

// gemmCases covers the edge tiles of the 4×2 kernel (2, 3, 7, 17, 33, …),
// the unpacked m = 1 and n = 1 paths, several k blocks (k > 256), several m
// blocks (m > 128), several n blocks (n > 2048), the serial path and both
// parallel splits (rows when m ≥ n, columns otherwise).
var gemmCases = []gemmCase{
	{1, 1, 1}, {2, 2, 2}, {3, 3, 3}, {7, 7, 7}, {17, 17, 17}, {33, 33, 33},
	{64, 64, 64}, {100, 100, 100}, {255, 255, 255}, {257, 257, 257},
	{1, 1000, 7}, {1000, 1, 7}, {7, 1, 1000}, {1, 1, 300},
	{3, 257, 17}, {257, 3, 100}, {33, 64, 255}, {100, 17, 1}, {2, 3, 300},
	{64, 64, 600}, {130, 70, 513}, {5, 2100, 9}, {64, 257, 255}, {300, 40, 33},
	{2, 1, 5}, {1, 2, 5}, {2, 2, 1},
}

// gemmAlphaBeta are the (alpha, beta) pairs every case is run with.
var gemmAlphaBeta = [][2]float64{{1, 0}, {1, 1}, {1, -2}, {0.5, 0}, {0.5, 1}, {0.5, -2}}

// gemmMatrix returns a rows×cols matrix with row stride ld filled with
// uniform values in [-1, 1); the padding at the end of each row holds pad.
func gemmMatrix[T Float](r *rand.Rand, rows, cols, ld int, pad T) []T {
	x := make([]T, rows*ld)
	for i := range rows {
		for j := range ld {
			if j < cols {
				x[i*ld+j] = T(2*r.Float64() - 1)
			} else {
				x[i*ld+j] = pad
			}
		}
	}
	return x
}

// gemmNaive computes, in float64 with a plain triple loop, op(A)·op(B) and
// the matching sums of absolute values Σ|a||b| (the scale of the rounding
// error of any summation order).
func gemmNaive[T Float](transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int) (prod, abs []float64) {
	prod = make([]float64, m*n)
	abs = make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s, sa float64
			for p := range k {
				var av, bv float64
				if transA {
					av = float64(a[p*lda+i])
				} else {
					av = float64(a[i*lda+p])
				}
				if transB {
					bv = float64(b[j*ldb+p])
				} else {
					bv = float64(b[p*ldb+j])
				}
				s += av * bv
				sa += math.Abs(av * bv)
			}
			prod[i*n+j], abs[i*n+j] = s, sa
		}
	}
	return prod, abs
}

// gemmTol is the relative tolerance of the Gemm tests, relative to
// |alpha|·Σ|a||b| + |beta|·|c|.
func gemmTol[T Float](k int) float64 {
	if reflect.TypeFor[T]().Kind() == reflect.Float32 {
		return 1e-5 * math.Sqrt(float64(max(k, 1)))
	}
	return 1e-12
}

// gemmCheckNaive runs Gemm on one case with tight or padded strides and compares
// it with gemmNaive for every (alpha, beta) pair. Padding of A and B holds
// NaN (it must not be read), padding of C holds a sentinel (it must not be
// written), and C holds NaN before every beta = 0 call (it must not be read).
func gemmCheckNaive[T Float](t *testing.T, tc gemmCase, transA, transB, padded bool) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(tc.m), uint64(tc.n*1000+tc.k)))
	m, n, k := tc.m, tc.n, tc.k
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac, bc, n
	if padded {
		lda, ldb, ldc = ac+1, bc+3, n+2
	}
	nan := T(math.NaN())
	const sentinel = 12345
	a := gemmMatrix(r, ar, ac, lda, nan)
	b := gemmMatrix(r, br, bc, ldb, nan)
	c0 := gemmMatrix(r, m, n, ldc, T(sentinel))
	prod, abs := gemmNaive(transA, transB, m, n, k, a, lda, b, ldb)
	tol := gemmTol[T](k)

	c := make([]T, len(c0))
	for _, ab := range gemmAlphaBeta {
		alpha, beta := T(ab[0]), T(ab[1])
		copy(c, c0)
		if beta == 0 {
			for i := range m {
				for j := range n {
					c[i*ldc+j] = nan
				}
			}
		}
		Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		bad := 0
		for i := range m {
			for j := range ldc {
				got := float64(c[i*ldc+j])
				if j >= n {
					if got != sentinel {
						t.Fatalf("%v alpha=%v beta=%v: padding C[%d][%d] = %v was written", tc, alpha, beta, i, j, got)
					}
					continue
				}
				want := float64(alpha) * prod[i*n+j]
				scale := math.Abs(float64(alpha)) * abs[i*n+j]
				if beta != 0 {
					want += float64(beta) * float64(c0[i*ldc+j])
					scale += math.Abs(float64(beta) * float64(c0[i*ldc+j]))
				}
				if !(math.Abs(got-want) <= tol*scale) {
					if bad++; bad <= 3 {
						t.Errorf("%v alpha=%v beta=%v: C[%d][%d] = %v, want %v (scale %v)", tc, alpha, beta, i, j, got, want, scale)
					}
				}
			}
		}
		if bad > 0 {
			t.Fatalf("%v alpha=%v beta=%v: %d of %d elements wrong", tc, alpha, beta, bad, m*n)
		}
	}
}

func gemmTestType[T Float](t *testing.T) {
	for _, tc := range gemmCases {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, padded := range []bool{false, true} {
				name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/padded=%v", tc.m, tc.n, tc.k, tr[0], tr[1], padded)
				t.Run(name, func(t *testing.T) { gemmCheckNaive[T](t, tc, tr[0], tr[1], padded) })
			}
		}
	}
}

func TestGemmFloat32(t *testing.T) { gemmTestType[float32](t) }
func TestGemmFloat64(t *testing.T) { gemmTestType[float64](t) }

// TestGemmNamedType checks a defined type whose underlying type is float32.
func TestGemmNamedType(t *testing.T) {
	type f32 float32
	gemmCheckNaive[f32](t, gemmCase{33, 17, 65}, false, true, true)
}

// TestGemmWorkers runs the parallel paths with worker counts that split the
// work unevenly, and a single worker.
func TestGemmWorkers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 3, 5} {
		runtime.GOMAXPROCS(procs)
		for _, tc := range []gemmCase{{257, 257, 257}, {64, 257, 255}, {300, 40, 200}} {
			t.Run(fmt.Sprintf("procs=%d/%dx%dx%d", procs, tc.m, tc.n, tc.k), func(t *testing.T) {
				gemmCheckNaive[float32](t, tc, false, false, true)
				gemmCheckNaive[float64](t, tc, true, true, false)
			})
		}
	}
}

// TestGemmKZero checks that k = 0 and alpha = 0 give C = beta·C without
// reading A or B, and that beta = 0 clears NaN out of C.
func TestGemmKZero(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name        string
		k           int
		alpha, beta float64
		c, want     []float64
	}{
		{"k=0,beta=0", 0, 1, 0, []float64{nan, 1, 2, 3, 4, 5}, []float64{0, 0, 0, 0, 0, 0}},
		{"k=0,beta=1", 0, 1, 1, []float64{nan, 1, 2, 3, 4, 5}, []float64{nan, 1, 2, 3, 4, 5}},
		{"k=0,beta=-2", 0, 1, -2, []float64{0, 1, 2, 3, 4, 5}, []float64{0, -2, -4, -6, -8, -10}},
		{"alpha=0,beta=0", 3, 0, 0, []float64{nan, 1, 2, 3, 4, 5}, []float64{0, 0, 0, 0, 0, 0}},
		{"alpha=0,beta=0.5", 3, 0, 0.5, []float64{0, 1, 2, 3, 4, 5}, []float64{0, 0.5, 1, 1.5, 2, 2.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A and B are NaN: they must not be read.
			a := []float64{nan, nan, nan, nan, nan, nan}
			b := []float64{nan, nan, nan, nan, nan, nan, nan, nan, nan}
			c := append([]float64(nil), tc.c...)
			Gemm(false, false, 2, 3, tc.k, tc.alpha, a, max(tc.k, 1), b, 3, tc.beta, c, 3)
			for i := range c {
				if !(c[i] == tc.want[i] || math.IsNaN(c[i]) && math.IsNaN(tc.want[i])) {
					t.Fatalf("c = %v, want %v", c, tc.want)
				}
			}
		})
	}
	// Empty C: nothing to do, nothing to check against.
	Gemm[float32](false, false, 0, 0, 5, 1, nil, 5, nil, 0, 0, nil, 0)
	Gemm[float32](true, true, 0, 3, 5, 1, nil, 0, make([]float32, 15), 5, 0, nil, 3)
}

// TestGemmPanics checks that bad dimensions, strides and lengths panic with
// a message that names the dimensions.
func TestGemmPanics(t *testing.T) {
	f := make([]float32, 100)
	for _, tc := range []struct {
		name string
		call func()
		want string
	}{
		{"negative", func() { Gemm(false, false, -1, 2, 2, 1, f, 2, f, 2, 0, f, 2) }, "m=-1 n=2 k=2"},
		{"short a", func() { Gemm(false, false, 5, 4, 3, 1, f[:14], 3, f, 4, 0, f, 4) }, "len(a)=14, need 15"},
		{"short a trans", func() { Gemm(true, false, 5, 4, 3, 1, f[:14], 5, f, 4, 0, f, 4) }, "m=5 n=4 k=3"},
		{"short b", func() { Gemm(false, false, 5, 4, 3, 1, f, 3, f[:11], 4, 0, f, 4) }, "len(b)=11, need 12"},
		{"short b trans", func() { Gemm(false, true, 5, 4, 3, 1, f, 3, f[:11], 3, 0, f, 4) }, "len(b)=11, need 12"},
		{"short c", func() { Gemm(false, false, 5, 4, 3, 1, f, 3, f, 4, 0, f[:22], 5) }, "len(c)=22, need 24"},
		{"small lda", func() { Gemm(false, false, 5, 4, 3, 1, f, 2, f, 4, 0, f, 4) }, "lda=2 is less than the 3 columns"},
		{"small ldc", func() { Gemm(false, false, 5, 4, 3, 1, f, 3, f, 4, 0, f, 3) }, "ldc=3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if r == nil || !strings.Contains(msg, tc.want) || !strings.Contains(msg, "tensor.Gemm") {
					t.Fatalf("panic %q, want a tensor.Gemm panic containing %q", r, tc.want)
				}
			}()
			tc.call()
		})
	}
}

// TestGemmAllocs checks that Gemm does not allocate once its buffer pool is
// warm: not at all on the serial path, and on the parallel one no more than
// parallel.For might (nothing with a worker pool; a WaitGroup and a closure
// per goroutine if it starts goroutines for each call).
func TestGemmAllocs(t *testing.T) {
	if gemmRaceEnabled() {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	gemm := func(m, n, k int) func() {
		a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		return func() { Gemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) }
	}
	// testing.AllocsPerRun runs with GOMAXPROCS=1: every call is serial.
	for _, tc := range []gemmCase{{64, 64, 64}, {100, 37, 300}, {256, 256, 256}} {
		if allocs := testing.AllocsPerRun(10, gemm(tc.m, tc.n, tc.k)); allocs != 0 {
			t.Errorf("serial %v: %v allocs per call, want 0", tc, allocs)
		}
	}

	// Parallel: count mallocs directly (they include any other goroutine's).
	if runtime.GOMAXPROCS(0) == 1 {
		return
	}
	run := gemm(256, 256, 256)
	run()
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		run()
	}
	runtime.ReadMemStats(&after)
	allocs := float64(after.Mallocs-before.Mallocs) / runs
	t.Logf("256x256x256, GOMAXPROCS=%d: %v allocs per call", runtime.GOMAXPROCS(0), allocs)
	if limit := float64(4 + 2*runtime.GOMAXPROCS(0)); allocs > limit {
		t.Errorf("parallel 256x256x256: %v allocs per call, want at most %v", allocs, limit)
	}
}

// gemmRaceEnabled reports whether the test binary was built with -race.
func gemmRaceEnabled() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}

// BenchmarkGemm measures float32 Gemm on a large square product and on the
// three products of a 784-256 dense layer with batch 128 (forward, weight
// gradient, input gradient), reporting GFLOP/s (2·m·n·k per call).
func BenchmarkGemm(b *testing.B) {
	for _, bc := range []struct {
		name           string
		transA, transB bool
		m, n, k        int
	}{
		{"1024x1024x1024", false, false, 1024, 1024, 1024},
		{"mlp_fwd_XW_128x784x256", false, false, 128, 256, 784},
		{"mlp_dW_XtdY_784x128x256", true, false, 784, 256, 128},
		{"mlp_dX_dYWt_128x256x784", false, true, 128, 784, 256},
	} {
		b.Run(bc.name, func(b *testing.B) { gemmBench[float32](b, bc.transA, bc.transB, bc.m, bc.n, bc.k) })
	}
	b.Run("float64_1024x1024x1024", func(b *testing.B) { gemmBench[float64](b, false, false, 1024, 1024, 1024) })
}

func gemmBench[T Float](b *testing.B, transA, transB bool, m, n, k int) {
	r := rand.New(rand.NewPCG(1, 2))
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	a := gemmMatrix[T](r, ar, ac, ac, 0)
	bm := gemmMatrix[T](r, br, bc, bc, 0)
	c := make([]T, m*n)
	b.ResetTimer()
	for b.Loop() {
		Gemm(transA, transB, m, n, k, 1, a, ac, bm, bc, 0, c, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
