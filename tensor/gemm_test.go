package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// gemmCase is one shape of the Gemm tests: op(A) is m×k, op(B) is k×n.
type gemmCase struct{ m, n, k int }

// gemmCases covers the edge tiles of the 4×2 Go kernel (2, 3, 7, 17, 33, …)
// and of the 6×16 and 6×8 assembly kernels (5, 7, 13, 17, 100, …, and the
// exact tiles 6×16 and 12×32), k below, at and past the kernels' 8-step
// unrolling (1, 3, 8, 9, 17), the unpacked m = 1 and n = 1 paths, several k
// blocks (k > 256), several m blocks (m > 128 for the Go kernel, m > 144 for
// float32 assembly, m > 72 for float64), several n blocks (n > 2048 for Go,
// n > 4080 for assembly), the serial path and both parallel splits (rows
// when m ≥ n, columns otherwise).
var gemmCases = []gemmCase{
	{1, 1, 1}, {2, 2, 2}, {3, 3, 3}, {7, 7, 7}, {17, 17, 17}, {33, 33, 33},
	{64, 64, 64}, {100, 100, 100}, {255, 255, 255}, {257, 257, 257},
	{1, 1000, 7}, {1000, 1, 7}, {7, 1, 1000}, {1, 1, 300},
	{3, 257, 17}, {257, 3, 100}, {33, 64, 255}, {100, 17, 1}, {2, 3, 300},
	{64, 64, 600}, {130, 70, 513}, {5, 2100, 9}, {64, 257, 255}, {300, 40, 33},
	{2, 1, 5}, {1, 2, 5}, {2, 2, 1},
	{6, 16, 8}, {12, 32, 9}, {13, 47, 3}, {5, 15, 16}, {150, 20, 40}, {7, 4100, 3},
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

// gemmKernelSet is a set of micro-kernels for the tests, by name.
type gemmKernelSet struct {
	name string
	ks   gemmKernels
}

// gemmKernelSets returns the kernel sets that can run here: the portable Go
// kernels always, the assembly ones where the processor has AVX2 and FMA
// (and the build has no purego tag), so that one test binary checks both.
func gemmKernelSets(t testing.TB) []gemmKernelSet {
	sets := []gemmKernelSet{{"go", gemmKernels{gemmGo32, gemmGo64}}}
	if asm, ok := gemmAsm(); ok {
		sets = append(sets, gemmKernelSet{"asm", asm})
	} else {
		t.Logf("no assembly kernels in this build or on this processor: testing the Go kernels only")
	}
	return sets
}

// gemmCheckNaive runs Gemm with the kernels ks on one case with tight or
// padded strides and compares it with gemmNaive for every (alpha, beta) pair. Padding of A and B holds
// NaN (it must not be read), padding of C holds a sentinel (it must not be
// written), and C holds NaN before every beta = 0 call (it must not be read).
func gemmCheckNaive[T Float](t *testing.T, ks gemmKernels, tc gemmCase, transA, transB, padded bool) {
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
		gemm(ks, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
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
	for _, set := range gemmKernelSets(t) {
		for _, tc := range gemmCases {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				for _, padded := range []bool{false, true} {
					name := fmt.Sprintf("%s/%dx%dx%d/tA=%v/tB=%v/padded=%v", set.name, tc.m, tc.n, tc.k, tr[0], tr[1], padded)
					t.Run(name, func(t *testing.T) { gemmCheckNaive[T](t, set.ks, tc, tr[0], tr[1], padded) })
				}
			}
		}
	}
}

func TestGemmFloat32(t *testing.T) { gemmTestType[float32](t) }
func TestGemmFloat64(t *testing.T) { gemmTestType[float64](t) }

// TestGemmNamedType checks defined types whose underlying types are float32
// and float64, through Gemm itself and with each kernel set.
func TestGemmNamedType(t *testing.T) {
	type f32 float32
	type f64 float64
	for _, set := range append(gemmKernelSets(t), gemmKernelSet{"default", gemmDefault}) {
		t.Run(set.name, func(t *testing.T) {
			gemmCheckNaive[f32](t, set.ks, gemmCase{33, 17, 65}, false, true, true)
			gemmCheckNaive[f64](t, set.ks, gemmCase{17, 33, 65}, true, false, false)
		})
	}
	// Gemm itself, on the default kernels.
	a, b, c := []f32{1, 2, 3, 4}, []f32{5, 6, 7, 8}, make([]f32, 4)
	Gemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
	if want := []f32{19, 22, 43, 50}; !reflect.DeepEqual(c, want) {
		t.Fatalf("Gemm on type f32: got %v, want %v", c, want)
	}
}

// TestGemmDefaultKernels checks that Gemm runs the assembly kernels exactly
// when they can run: on amd64 with AVX2 and FMA and without the purego tag.
func TestGemmDefaultKernels(t *testing.T) {
	asm, ok := gemmAsm()
	want := gemmKernels{gemmGo32, gemmGo64}
	if ok {
		want = asm
	}
	if gemmDefault != want {
		t.Fatalf("Gemm uses kernels %s/%s, want %s/%s", gemmDefault.f32.name, gemmDefault.f64.name, want.f32.name, want.f64.name)
	}
	t.Logf("Gemm kernels: %s (float32), %s (float64)", gemmDefault.f32.name, gemmDefault.f64.name)
}

// TestGemmAsmMatchesGo runs the assembly and the Go kernels on the same
// products, in one binary, and checks that they agree to float32 (or
// float64) rounding: |asm − go| ≤ tol·|alpha|·Σ|a||b| elementwise, on odd
// sizes from 1 to 1000 in every combination of transposes. It is skipped
// where the assembly kernels cannot run (the purego build runs the Go
// kernels through every other test).
func TestGemmAsmMatchesGo(t *testing.T) {
	asm, ok := gemmAsm()
	if !ok {
		t.Skip("no assembly kernels in this build or on this processor")
	}
	goKernels := gemmKernels{gemmGo32, gemmGo64}
	sizes := []gemmCase{
		{1, 1, 1}, {7, 7, 7}, {17, 17, 17}, {255, 255, 255}, {1000, 1000, 1000},
		{1000, 7, 255}, {7, 1000, 17}, {255, 17, 1000}, {17, 255, 7}, {1000, 255, 1},
		{1, 1000, 255}, {255, 1, 1000}, {7, 17, 1000}, {1000, 17, 7},
	}
	if testing.Short() {
		sizes = slices.DeleteFunc(sizes, func(tc gemmCase) bool { return tc.m*tc.n*tc.k > 1e8 })
	}
	for _, tc := range sizes {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v", tc.m, tc.n, tc.k, tr[0], tr[1])
			t.Run("float32/"+name, func(t *testing.T) { gemmCompareKernels[float32](t, asm, goKernels, tc, tr[0], tr[1]) })
			t.Run("float64/"+name, func(t *testing.T) { gemmCompareKernels[float64](t, asm, goKernels, tc, tr[0], tr[1]) })
		}
	}
}

// TestGemmPackPanels checks the kernels' own packing of full micro-panels
// (assembly on amd64) against the portable packing in gemmPackA and
// gemmPackB, for both storage orders, step counts around the assembly's
// blocks of 4 and 8 steps, and strides with and without padding.
func TestGemmPackPanels(t *testing.T) {
	for _, set := range gemmKernelSets(t) {
		t.Run(set.name+"/float32", func(t *testing.T) { gemmCheckPack(t, set.ks.f32) })
		t.Run(set.name+"/float64", func(t *testing.T) { gemmCheckPack(t, set.ks.f64) })
	}
}

func gemmCheckPack[T gemmElem](t *testing.T, kern *gemmKernel[T]) {
	if kern.packA == nil && kern.packB == nil {
		t.Skipf("kernel %s packs in Go only", kern.name)
	}
	r := rand.New(rand.NewPCG(3, 4))
	mr, nr := kern.mr, kern.nr
	for _, kc := range []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 33, 256} {
		for _, trans := range []bool{false, true} {
			for _, pad := range []int{0, 3} {
				// A: 2 panels of rows starting at row 1 (op(A) is 2·mr+1 × kc+2),
				// columns from 1; B likewise with 2 panels of columns.
				rows, cols := 2*mr+1, kc+2
				sr, sc := rows, cols
				if trans {
					sr, sc = cols, rows
				}
				a := gemmMatrix[T](r, sr, sc, sc+pad, T(math.NaN()))
				want := make([]T, 2*mr*kc)
				got := make([]T, 2*mr*kc)
				gemmPackA(mr, nil, want, a, sc+pad, trans, 1, 2*mr, 1, kc)
				gemmPackA(mr, kern.packA, got, a, sc+pad, trans, 1, 2*mr, 1, kc)
				if !slices.Equal(got, want) {
					t.Fatalf("packA kc=%d trans=%v pad=%d:\ngot  %v\nwant %v", kc, trans, pad, got, want)
				}
				rows, cols = kc+2, 2*nr+1
				sr, sc = rows, cols
				if trans {
					sr, sc = cols, rows
				}
				b := gemmMatrix[T](r, sr, sc, sc+pad, T(math.NaN()))
				want = make([]T, 2*nr*kc)
				got = make([]T, 2*nr*kc)
				gemmPackB(nr, nil, want, b, sc+pad, trans, 1, kc, 1, 2*nr)
				gemmPackB(nr, kern.packB, got, b, sc+pad, trans, 1, kc, 1, 2*nr)
				if !slices.Equal(got, want) {
					t.Fatalf("packB kc=%d trans=%v pad=%d:\ngot  %v\nwant %v", kc, trans, pad, got, want)
				}
			}
		}
	}
}

// gemmCompareKernels computes one product with the kernel sets x and y
// (alpha = 0.75, beta = -0.5, padded strides) and checks that they agree.
func gemmCompareKernels[T gemmElem](t *testing.T, x, y gemmKernels, tc gemmCase, transA, transB bool) {
	r := rand.New(rand.NewPCG(uint64(tc.m*7+tc.n), uint64(tc.k)))
	m, n, k := tc.m, tc.n, tc.k
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+3, bc+1, n+5
	a := gemmMatrix[T](r, ar, ac, lda, T(math.NaN()))
	b := gemmMatrix[T](r, br, bc, ldb, T(math.NaN()))
	c0 := gemmMatrix[T](r, m, n, ldc, 7)
	const alpha, beta = 0.75, -0.5
	cx, cy := slices.Clone(c0), slices.Clone(c0)
	gemm(x, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, cx, ldc)
	gemm(y, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, cy, ldc)

	// The scale of the rounding error: |alpha|·|op(A)|·|op(B)| + |beta|·|C|,
	// computed in float64 (by the kernels x: only its size matters).
	abs := func(x []T) []float64 {
		y := make([]float64, len(x))
		for i, v := range x {
			if v == v { // the NaN padding stays 0
				y[i] = math.Abs(float64(v))
			}
		}
		return y
	}
	scale := make([]float64, m*n)
	gemm(x, transA, transB, m, n, k, math.Abs(alpha), abs(a), lda, abs(b), ldb, 0, scale, n)
	tol := 2 * gemmTol[T](k)
	bad := 0
	for i := range m {
		for j := range ldc {
			gx, gy := float64(cx[i*ldc+j]), float64(cy[i*ldc+j])
			if j >= n {
				if gx != 7 || gy != 7 {
					t.Fatalf("padding C[%d][%d] written: %v (asm), %v (go)", i, j, gx, gy)
				}
				continue
			}
			s := scale[i*n+j] + math.Abs(beta*float64(c0[i*ldc+j]))
			if !(math.Abs(gx-gy) <= tol*s) {
				if bad++; bad <= 3 {
					t.Errorf("C[%d][%d]: %v (%s) vs %v (%s), scale %v", i, j, gx, x.f32.name, gy, y.f32.name, s)
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d elements differ", bad, m*n)
	}
}

// TestGemmWorkers runs the parallel paths with worker counts that split the
// work unevenly, and a single worker.
func TestGemmWorkers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 3, 5} {
		runtime.GOMAXPROCS(procs)
		for _, tc := range []gemmCase{{257, 257, 257}, {64, 257, 255}, {300, 40, 200}} {
			t.Run(fmt.Sprintf("procs=%d/%dx%dx%d", procs, tc.m, tc.n, tc.k), func(t *testing.T) {
				for _, set := range gemmKernelSets(t) {
					gemmCheckNaive[float32](t, set.ks, tc, false, false, true)
					gemmCheckNaive[float64](t, set.ks, tc, true, true, false)
				}
			})
		}
	}
}

// TestGemmSmallBlocks runs each kernel with cache blocks a few micro-tiles
// big (MC = 2·MR, KC = 16, NC = 3·NR), so that products of ~100 hold many
// blocks in every dimension, serially and split in row and column bands,
// with the panel that bands share packed once in many tasks and blocks
// (shared) or by each band (maxShared = 0).
func TestGemmSmallBlocks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	small := func(k gemmKernels, maxShared int) gemmKernels {
		k32, k64 := *k.f32, *k.f64
		k32.mc, k32.kc, k32.nc, k32.maxShared = 2*k32.mr, 16, 3*k32.nr, maxShared
		k64.mc, k64.kc, k64.nc, k64.maxShared = 2*k64.mr, 16, 3*k64.nr, maxShared
		return gemmKernels{&k32, &k64}
	}
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		for _, set := range gemmKernelSets(t) {
			shared := "shared"
			if procs == 3 {
				shared = "unshared"
			}
			ks := small(set.ks, map[string]int{"shared": gemmMaxShared, "unshared": 0}[shared])
			set.name += "/" + shared
			// Row bands (m ≥ n) and column bands, with edge tiles.
			for _, tc := range []gemmCase{{160, 150, 100}, {150, 170, 100}, {97, 250, 131}} {
				for _, tr := range [][2]bool{{false, false}, {true, true}} {
					name := fmt.Sprintf("procs=%d/%s/%dx%dx%d/tA=%v/tB=%v", procs, set.name, tc.m, tc.n, tc.k, tr[0], tr[1])
					t.Run(name, func(t *testing.T) {
						gemmCheckNaive[float32](t, ks, tc, tr[0], tr[1], true)
						gemmCheckNaive[float64](t, ks, tc, tr[1], tr[0], false)
					})
				}
			}
		}
	}
}

// TestGemmPackTask checks that the packing tasks of a shared panel cover
// every micro-panel of every (block, step) exactly once.
func TestGemmPackTask(t *testing.T) {
	for _, tc := range []struct{ total, blockStep, w, k, kcStep, group int }{
		{100, 48, 16, 70, 16, 2}, {1, 6, 6, 1, 8, 1}, {1000, 144, 6, 300, 152, 10}, {33, 33, 4, 9, 8, 100},
	} {
		_, _, _, _, count, _, ok := gemmPackTask(-1, tc.total, tc.blockStep, tc.w, tc.k, tc.kcStep, tc.group)
		if ok {
			t.Fatalf("%v: task -1 is a task", tc)
		}
		covered := make(map[[2]int]int) // (column or row, step) → times packed
		for task := 0; task < count; task++ {
			blk, size, pc, kc, r0, extent, ok := gemmPackTask(task, tc.total, tc.blockStep, tc.w, tc.k, tc.kcStep, tc.group)
			if !ok || extent < 1 || r0+extent > size || blk+size > tc.total || pc+kc > tc.k {
				t.Fatalf("%v: task %d of %d = blk %d size %d pc %d kc %d r0 %d extent %d ok %v", tc, task, count, blk, size, pc, kc, r0, extent, ok)
			}
			for r := blk + r0; r < blk+r0+extent; r++ {
				for p := pc; p < pc+kc; p++ {
					covered[[2]int{r, p}]++
				}
			}
		}
		if _, _, _, _, _, _, ok := gemmPackTask(count, tc.total, tc.blockStep, tc.w, tc.k, tc.kcStep, tc.group); ok {
			t.Fatalf("%v: task %d past the %d tasks is a task", tc, count, count)
		}
		if len(covered) != tc.total*tc.k {
			t.Fatalf("%v: %d of %d values packed", tc, len(covered), tc.total*tc.k)
		}
		for at, n := range covered {
			if n != 1 {
				t.Fatalf("%v: value %v packed %d times", tc, at, n)
			}
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

// TestGemmAllocs checks that Gemm does not allocate once its buffer cache is
// warm: not at all on the serial path, and on the parallel one no more than
// parallel.For might (nothing with a worker pool; a WaitGroup and a closure
// per goroutine if it starts goroutines for each call).
func TestGemmAllocs(t *testing.T) {
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

// gemmBenchCases are the float32 products of BenchmarkGemm: a large square
// product and the three products of a 784-256 dense layer with batch 128
// (forward, weight gradient, input gradient).
var gemmBenchCases = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"1024x1024x1024", false, false, 1024, 1024, 1024},
	{"mlp_fwd_XW_128x784x256", false, false, 128, 256, 784},
	{"mlp_dW_XtdY_784x128x256", true, false, 784, 256, 128},
	{"mlp_dX_dYWt_128x256x784", false, true, 128, 784, 256},
}

// BenchmarkGemm measures Gemm (the default kernels) on gemmBenchCases and
// on a float64 1024³ product, reporting GFLOP/s (2·m·n·k per call).
func BenchmarkGemm(b *testing.B) {
	for _, bc := range gemmBenchCases {
		b.Run(bc.name, func(b *testing.B) { gemmBench[float32](b, gemmDefault, bc.transA, bc.transB, bc.m, bc.n, bc.k) })
	}
	b.Run("float64_1024x1024x1024", func(b *testing.B) { gemmBench[float64](b, gemmDefault, false, false, 1024, 1024, 1024) })
}

// BenchmarkGemmKernels is BenchmarkGemm for each kernel set that runs here
// (go, and asm where the processor has AVX2 and FMA).
func BenchmarkGemmKernels(b *testing.B) {
	for _, set := range gemmKernelSets(b) {
		for _, bc := range gemmBenchCases {
			b.Run(set.name+"/"+bc.name, func(b *testing.B) { gemmBench[float32](b, set.ks, bc.transA, bc.transB, bc.m, bc.n, bc.k) })
		}
		b.Run(set.name+"/float64_1024x1024x1024", func(b *testing.B) { gemmBench[float64](b, set.ks, false, false, 1024, 1024, 1024) })
	}
}

// BenchmarkGemmMicroKernel times each micro-kernel alone on panels that stay
// in L1 (kc = 256, beta = 1), on one core: the ceiling of the blocked
// algorithm, to compare with the core's FMA peak (2 FMAs of 8 float32 or 4
// float64 per cycle on Zen 4 and Intel cores since Haswell).
func BenchmarkGemmMicroKernel(b *testing.B) {
	for _, set := range gemmKernelSets(b) {
		b.Run(set.name+"/float32", func(b *testing.B) { gemmBenchTile(b, set.ks.f32) })
		b.Run(set.name+"/float64", func(b *testing.B) { gemmBenchTile(b, set.ks.f64) })
	}
}

func gemmBenchTile[T gemmElem](b *testing.B, kern *gemmKernel[T]) {
	const kc = 256
	r := rand.New(rand.NewPCG(1, 2))
	ap := gemmMatrix[T](r, kc, kern.mr, kern.mr, 0)
	bp := gemmMatrix[T](r, kc, kern.nr, kern.nr, 0)
	c := make([]T, kern.mr*kern.nr)
	for b.Loop() {
		kern.tile(kc, ap, bp, c, kern.nr, 1, 1)
	}
	b.ReportMetric(2*float64(kern.mr*kern.nr*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func gemmBench[T Float](b *testing.B, ks gemmKernels, transA, transB bool, m, n, k int) {
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
		gemm(ks, transA, transB, m, n, k, 1, a, ac, bm, bc, 0, c, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
