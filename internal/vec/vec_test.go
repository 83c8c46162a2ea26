package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

var sizes = []int{1, 7, 8, 17, 31, 255, 1000, 1027}

func randVec(rng *rand.Rand, n int, lo, hi float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = lo + (hi-lo)*rng.Float32()
	}
	return x
}

// close32 reports whether a and b agree to a few float32 roundings of
// numbers of the size of scale: a fused multiply-add rounds once where the
// Go form rounds twice, which shows as an error of the size of the terms
// (up to scale), not of a result that cancels.
func close32(a, b []float32, scale float64) (int, bool) {
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if d > 4e-7*(scale+math.Abs(float64(a[i]))) {
			return i, false
		}
	}
	return 0, true
}

// run calls f on copies of the inputs with the assembly on (where it can
// run) and with the Go forms only, and compares every output.
func compare(t *testing.T, name string, f func(bufs [][]float32), inputs ...[]float32) {
	t.Helper()
	if !useAsm {
		t.Skip("no AVX2/FMA here: the Go forms are the only ones")
	}
	a := make([][]float32, len(inputs))
	b := make([][]float32, len(inputs))
	for i, x := range inputs {
		a[i], b[i] = slices.Clone(x), slices.Clone(x)
	}
	f(a)
	useAsm = false
	f(b)
	useAsm = true
	for i := range a {
		scale := 0.0
		for _, x := range inputs[i] {
			scale = math.Max(scale, math.Abs(float64(x)))
		}
		if j, ok := close32(a[i], b[i], scale); !ok {
			t.Errorf("%s: buffer %d element %d: assembly %g, Go %g", name, i, j, a[i][j], b[i][j])
		}
	}
}

func TestAdamMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range sizes {
		for _, p := range []AdamParams{
			{B1: 0.9, B2: 0.999, C1: 10, C2: 31.6, Eps: 1e-8, LR: 1e-3},
			{B1: 0.9, B2: 0.999, C1: 1.2, C2: 1.01, Eps: 1e-8, LR: 1e-2, WD: 0.01},
			{B1: 0.8, B2: 0.99, C1: 1.5, C2: 2, Eps: 1e-4, LR: 0.1, EpsInside: true},
			{B1: 0.9, B2: 0.999, C1: 0.9, C2: 1.3, Eps: 1e-8, LR: 2e-3, CG: 0.1},
		} {
			w, g := randVec(rng, n, -1, 1), randVec(rng, n, -2, 2)
			m, v := randVec(rng, n, -0.5, 0.5), randVec(rng, n, 0, 1)
			vmax := randVec(rng, n, 0, 1)
			compare(t, "Adam", func(b [][]float32) { Adam(b[0], b[1], b[2], b[3], nil, &p) }, w, g, m, v)
			compare(t, "AMSGrad", func(b [][]float32) { Adam(b[0], b[1], b[2], b[3], b[4], &p) }, w, g, m, v, vmax)
		}
		w, g, m := randVec(rng, n, -1, 1), randVec(rng, n, -2, 2), randVec(rng, n, -0.5, 0.5)
		inf := randVec(rng, n, 0, 2)
		compare(t, "Adamax", func(b [][]float32) {
			Adamax(b[0], b[1], b[2], b[3], &AdamaxParams{B1: 0.9, B2: 0.999, C1: 3, Eps: 1e-8, LR: 2e-3})
		}, w, g, m, inf)
		compare(t, "Lion", func(b [][]float32) { Lion(b[0], b[1], b[2], &LionParams{B1: 0.9, B2: 0.99, LR: 1e-4, WD: 0.1}) }, w, g, m)
	}
}

func TestMomentumMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range sizes {
		for _, p := range []MomentumParams{
			{Mu: 0.9, Damp: 1, LR: 0.1},
			{Mu: 0.9, Damp: 1, LR: 0.1, First: true},
			{Mu: 0.9, Damp: 0.5, LR: 0.01, Nesterov: true},
			{Mu: 0.5, Damp: 1, LR: 0.01, Nesterov: true, First: true},
		} {
			w, g, b := randVec(rng, n, -1, 1), randVec(rng, n, -2, 2), randVec(rng, n, -1, 1)
			compare(t, "Momentum", func(x [][]float32) { Momentum(x[0], x[1], x[2], &p) }, w, g, b)
		}
	}
}

func TestAxpyMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range append(sizes, 32, 63, 64, 100) {
		x, y := randVec(rng, n, -1, 1), randVec(rng, n, -1, 1)
		compare(t, "Axpy", func(b [][]float32) { Axpy(-0.3, b[0], b[1]) }, x, y)
	}
}

// TestGoForms checks the Go forms against float64 evaluations of the
// update rules in their doc comments.
func TestGoForms(t *testing.T) {
	w, g, m, v := []float32{1, -2}, []float32{0.5, -1}, []float32{0.1, 0.2}, []float32{0.3, 0.4}
	p := AdamParams{B1: 0.9, B2: 0.99, C1: 2, C2: 3, Eps: 0.01, LR: 0.1, WD: 0.5, CG: 0.25}
	want := make([]float64, 2)
	for i := range w {
		mi := 0.9*float64(m[i]) + 0.1*float64(g[i])
		vi := 0.99*float64(v[i]) + 0.01*float64(g[i])*float64(g[i])
		u := (2*mi + 0.25*float64(g[i])) / (3*math.Sqrt(vi) + 0.01)
		want[i] = float64(w[i]) - 0.1*(u+0.5*float64(w[i]))
	}
	adamGo(w, g, m, v, nil, &p)
	for i := range w {
		if math.Abs(float64(w[i])-want[i]) > 1e-6 {
			t.Errorf("Adam w[%d] = %g, want %g", i, w[i], want[i])
		}
	}
	lw, lm := []float32{1, 1, 1}, []float32{1, -1, 0}
	Lion(lw, []float32{-1, 1, 0}, lm, &LionParams{B1: 0.9, B2: 0.99, LR: 0.1, WD: 0.5})
	// c = 0.9m + 0.1g: 0.8, −0.8, 0 → w = 1 − 0.1(sign + 0.5).
	if lw[0] != 1-0.1*1.5 || lw[1] != 1-0.1*(-0.5) || lw[2] != 1-0.1*0.5 {
		t.Errorf("Lion: w = %v", lw)
	}
	w, b := []float32{1}, []float32{2}
	momentumGo(w, []float32{3}, b, &MomentumParams{Mu: 0.5, Damp: 0.5, LR: 0.1, Nesterov: true})
	// b = 0.5·2 + 0.5·3 = 2.5; w = 1 − 0.1(3 + 0.5·2.5) = 0.575.
	if b[0] != 2.5 || math.Abs(float64(w[0])-0.575) > 1e-7 {
		t.Errorf("Nesterov momentum: w %g b %g, want 0.575 2.5", w[0], b[0])
	}
}

func TestLengthMismatchPanics(t *testing.T) {
	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.Contains(s, "lengths 3 and 2") {
			t.Fatalf("panic %v, want one naming both lengths", r)
		}
	}()
	Axpy(1, make([]float32, 2), make([]float32, 3))
}

func TestElementwiseMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range append(sizes, 32, 63, 64, 100) {
		x, y, g := randVec(rng, n, -1, 1), randVec(rng, n, -1, 1), randVec(rng, n, -1, 1)
		compare(t, "ReLU", func(b [][]float32) { ReLU(b[0], b[1]) }, y, x)
		compare(t, "ReLUBackward", func(b [][]float32) { ReLUBackward(b[0], b[1], b[2]) }, y, g, x)
	}
}

func TestReLUSpecialValues(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	x := []float32{nan, -inf, inf, -1, 0, 2, nan, -3, 4}
	for _, asm := range []bool{false, true} {
		if asm && !useAsm {
			continue
		}
		saved := useAsm
		useAsm = asm
		y := make([]float32, len(x))
		ReLU(y, x)
		gx := make([]float32, len(x))
		ReLUBackward(gx, []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}, y)
		useAsm = saved
		for i, v := range x {
			want := max(v, 0)
			if !(y[i] == want || y[i] != y[i] && want != want) {
				t.Errorf("asm %v: ReLU(%g) = %g, want %g", asm, v, y[i], want)
			}
			if wg := float32(0); y[i] > 0 && gx[i] != 1 || !(y[i] > 0) && gx[i] != wg {
				t.Errorf("asm %v: ReLU'(%g) passed %g", asm, v, gx[i])
			}
		}
	}
}

func TestRMSAndAdadeltaMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range sizes {
		for _, p := range []RMSParams{
			{A: 1, B: 1, Eps: 1e-10, LR: 0.01},
			{A: 0.99, B: 0.01, Eps: 1e-8, LR: 0.01},
			{A: 0.9, B: 0.1, Eps: 1e-3, LR: 0.1, EpsInside: true},
		} {
			w, g, s := randVec(rng, n, -1, 1), randVec(rng, n, -2, 2), randVec(rng, n, 0, 1)
			compare(t, "RMS", func(b [][]float32) { RMS(b[0], b[1], b[2], &p) }, w, g, s)
		}
		for _, p := range []AdadeltaParams{
			{Rho: 0.9, Eps: 1e-6, LR: 1},
			{Rho: 0.95, Eps: 1e-4, LR: 0.5, EpsOutside: true},
		} {
			w, g := randVec(rng, n, -1, 1), randVec(rng, n, -2, 2)
			s, d := randVec(rng, n, 0, 1), randVec(rng, n, 0, 0.1)
			compare(t, "Adadelta", func(b [][]float32) { Adadelta(b[0], b[1], b[2], b[3], &p) }, w, g, s, d)
		}
	}
}

func TestSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range append(sizes, 0, 32, 63, 64, 100, 577) {
		x := randVec(rng, n, -1, 1)
		var want, abs float64
		for _, v := range x {
			want += float64(v)
			abs += math.Abs(float64(v))
		}
		for _, asm := range []bool{false, true} {
			if asm && !useAsm {
				continue
			}
			saved := useAsm
			useAsm = asm
			got := Sum(x)
			useAsm = saved
			if math.Abs(float64(got)-want) > 1e-6*abs+1e-30 {
				t.Errorf("n=%d asm %v: Sum %g, want %g", n, asm, got, want)
			}
		}
	}
}

// ulps returns how many float32 steps apart a and b are.
func ulps(a, b float32) int64 {
	ia, ib := int64(math.Float32bits(a)), int64(math.Float32bits(b))
	if ia < 0x80000000 != (ib < 0x80000000) {
		return math.MaxInt64
	}
	d := ia - ib
	if d < 0 {
		d = -d
	}
	return d
}

func TestExpAndSigmoid(t *testing.T) {
	if !useAsm {
		t.Skip("no AVX2/FMA here: the Go forms are the only ones")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	x := randVec(rng, 1<<16, -87, 88.7)
	for i := range 4096 {
		x[i] = float32(i-2048) / 256 // a fine grid around 0
	}
	x = append(x, 0, 1, -1, 88.72, 88.5, -87.3, -87.4, 89, 100, -100, -200,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-8, -1e-8, 0, 0, 0, 0, 0)
	x = x[:len(x)&^7]
	got, sg := make([]float32, len(x)), make([]float32, len(x))
	Exp(got, x)
	Sigmoid(sg, x)
	for i, v := range x {
		want := float32(math.Exp(float64(v)))
		switch {
		case v != v:
			if got[i] == got[i] || sg[i] == sg[i] {
				t.Errorf("Exp(NaN) = %g, Sigmoid(NaN) = %g", got[i], sg[i])
			}
			continue
		case v < -87.33654:
			if got[i] != 0 {
				t.Errorf("Exp(%g) = %g, want 0 (subnormal results are flushed)", v, got[i])
			}
		case ulps(got[i], want) > 2:
			t.Errorf("Exp(%g) = %g, want %g (%d ulp)", v, got[i], want, ulps(got[i], want))
		}
		ws := float32(1 / (1 + math.Exp(-float64(v))))
		if d := math.Abs(float64(sg[i]) - float64(ws)); d > 3e-7*float64(ws) && d > 1e-38 {
			t.Errorf("Sigmoid(%g) = %g, want %g", v, sg[i], ws)
		}
	}
}

// TestAddRows checks AddRows against direct loops on odd block sizes (the
// sums are single additions, so both forms must agree exactly) and that it
// touches nothing outside the block.
func TestAddRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, rows := range []int{1, 2, 7} {
		for _, cols := range []int{1, 7, 8, 9, 17, 255} {
			for _, asm := range []bool{false, true} {
				if asm && !useAsm {
					continue
				}
				ldd, lds := cols+3, cols+5
				dst := randVec(rng, (rows-1)*ldd+cols+2, -1, 1)
				src := randVec(rng, (rows-1)*lds+cols, -1, 1)
				want := append([]float32(nil), dst...)
				for i := 0; i < rows; i++ {
					for j := 0; j < cols; j++ {
						want[i*ldd+j] += src[i*lds+j]
					}
				}
				saved := useAsm
				useAsm = asm
				AddRows(rows, cols, dst, ldd, src, lds)
				useAsm = saved
				for i := range want {
					if dst[i] != want[i] {
						t.Fatalf("%d×%d (asm %v): dst[%d] = %v, want %v", rows, cols, asm, i, dst[i], want[i])
					}
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a short dst did not panic")
		}
	}()
	AddRows(2, 4, make([]float32, 5), 4, make([]float32, 8), 4)
}

// TestMaxPool2 checks the assembly form of MaxPool2 against the Go form on
// rows of odd lengths, with ties (values drawn from a few levels) and with
// a NaN in some windows.
func TestMaxPool2(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17, 255} {
		for _, nan := range []int{-1, 0, 5, 2*n - 1} {
			if nan >= 2*n {
				continue
			}
			r0, r1 := make([]float32, 2*n+1), make([]float32, 2*n+1)
			for i := range r0 {
				r0[i], r1[i] = float32(rng.IntN(4)), float32(rng.IntN(4))
			}
			if nan >= 0 {
				// In the second row, and in the first for odd n.
				r1[nan] = float32(math.NaN())
				if n%2 == 1 {
					r0[2*n-1-nan] = float32(math.NaN())
				}
			}
			const pos, w = 96, 40
			var ys, args [2][]float32
			for k, asm := range []bool{false, true} {
				if asm && !useAsm {
					ys[k], args[k] = ys[0], args[0]
					continue
				}
				y, arg, yOnly := make([]float32, n), make([]float32, n), make([]float32, n)
				saved := useAsm
				useAsm = asm
				MaxPool2(y, arg, r0, r1, pos, w)
				MaxPool2(yOnly, nil, r0, r1, pos, w)
				useAsm = saved
				for j := range y {
					if y[j] != yOnly[j] && y[j] == y[j] {
						t.Fatalf("n=%d: output %d is %v with positions, %v without", n, j, y[j], yOnly[j])
					}
				}
				ys[k], args[k] = y, arg
			}
			for j := 0; j < n; j++ {
				y0, y1, a0, a1 := ys[0][j], ys[1][j], args[0][j], args[1][j]
				if !(y0 == y1 || y0 != y0 && y1 != y1) || a0 != a1 {
					t.Fatalf("n=%d nan at %d: output %d: Go (%v at %v), assembly (%v at %v)", n, nan, j, y0, a0, y1, a1)
				}
				// The Go form's own semantics: the first maximum.
				win := []float32{r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1]}
				offs := []float32{0, 1, w, w + 1}
				if y0 == y0 {
					for k, v := range win {
						if v == y0 {
							if a0 != pos+float32(2*j)+offs[k] {
								t.Fatalf("n=%d: output %d at %v, want the first maximum at %v", n, j, a0, pos+float32(2*j)+offs[k])
							}
							break
						}
					}
				}
			}
		}
	}
}

// tanhMaxULP bounds the error of the assembly Tanh, in float32 ulp of the
// correctly rounded result: a check of every float32 in [0, 10] found 1
// ulp at most (0.3% of them), the sweep below the same.
const tanhMaxULP = 1

// TestTanh checks the assembly Tanh against the float64 tanh rounded to
// float32 on a sweep over the float32 numbers from 0 to 10 (beyond which
// tanh rounds to 1), every number around the switch of forms at 0.625,
// negative values and special values, and reports the largest error.
func TestTanh(t *testing.T) {
	if !useAsm {
		t.Skip("no AVX2/FMA here: the Go forms are the only ones")
	}
	var x []float32
	for b := uint32(0); b <= math.Float32bits(10); b += 61 {
		x = append(x, math.Float32frombits(b))
	}
	for b := math.Float32bits(0.6); b <= math.Float32bits(0.65); b++ {
		x = append(x, math.Float32frombits(b))
	}
	rng := rand.New(rand.NewPCG(15, 16))
	x = append(x, randVec(rng, 1<<16, -12, 12)...)
	x = append(x, 0, float32(math.Copysign(0, -1)), 0.625, -0.625, 1e-30, -1e-30, 1e-45, -1e-45,
		9, 9.1, 20, -20, 44, 44.5, 45, 1e10, -1e10, math.MaxFloat32, -math.MaxFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), float32(math.NaN()))
	x = append(x, make([]float32, 8)...)
	x = x[:len(x)&^7]
	got := make([]float32, len(x))
	Tanh(got, x)
	var worst int64
	var worstX float32
	for i, v := range x {
		want := float32(math.Tanh(float64(v)))
		if v != v {
			if got[i] == got[i] {
				t.Errorf("Tanh(NaN) = %g", got[i])
			}
			continue
		}
		if d := ulps(got[i], want); d > worst {
			worst, worstX = d, v
		}
		if d := ulps(got[i], want); d > tanhMaxULP {
			t.Errorf("Tanh(%g) = %g, want %g (%d ulp)", v, got[i], want, d)
		}
	}
	t.Logf("Tanh: at most %d ulp from the correctly rounded result (at %g), over %d values", worst, worstX, len(x))
	for _, n := range sizes {
		x := randVec(rng, n, -5, 5)
		compare(t, "Tanh", func(b [][]float32) { Tanh(b[0], b[1]) }, make([]float32, n), x)
	}
}

func TestSigmoidAndTanhBackwardMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, n := range append(sizes, 32, 63, 64, 100) {
		gx, g := randVec(rng, n, -1, 1), randVec(rng, n, -2, 2)
		s, th := randVec(rng, n, 0, 1), randVec(rng, n, -1, 1)
		compare(t, "SigmoidBackward", func(b [][]float32) { SigmoidBackward(b[0], b[1], b[2]) }, gx, g, s)
		compare(t, "TanhBackward", func(b [][]float32) { TanhBackward(b[0], b[1], b[2]) }, gx, g, th)
	}
	// Against the formulas, in float64.
	gx, g, y := []float32{0.5, -1, 2}, []float32{3, -2, 0.25}, []float32{0.25, 0.5, 0.875}
	for _, asm := range []bool{false, true} {
		if asm && !useAsm {
			continue
		}
		saved := useAsm
		useAsm = asm
		n := 8 * 3 // so that the assembly takes part
		gs, gt := make([]float32, n), make([]float32, n)
		gg, yy := make([]float32, n), make([]float32, n)
		for i := range n {
			gs[i], gt[i], gg[i], yy[i] = gx[i%3], gx[i%3], g[i%3], y[i%3]
		}
		SigmoidBackward(gs, gg, yy)
		TanhBackward(gt, gg, yy)
		useAsm = saved
		for i := range n {
			v, gi, xi := float64(yy[i]), float64(gg[i]), float64(gx[i%3])
			if ws := xi + gi*v*(1-v); math.Abs(float64(gs[i])-ws) > 1e-6 {
				t.Errorf("asm %v: SigmoidBackward[%d] = %g, want %g", asm, i, gs[i], ws)
			}
			if wt := xi + gi*(1-v*v); math.Abs(float64(gt[i])-wt) > 1e-6 {
				t.Errorf("asm %v: TanhBackward[%d] = %g, want %g", asm, i, gt[i], wt)
			}
		}
	}
}

func TestAxpyExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for _, n := range append(sizes, 32, 63, 64, 100) {
		// Log-probabilities, ≤ 0, with some that underflow.
		x, y := randVec(rng, n, -100, 0), randVec(rng, n, -1, 1)
		compare(t, "AxpyExp", func(b [][]float32) { AxpyExp(-0.3, b[0], b[1]) }, x, y)
		for _, asm := range []bool{false, true} {
			if asm && !useAsm {
				continue
			}
			saved := useAsm
			useAsm = asm
			got := slices.Clone(y)
			AxpyExp(0.7, x, got)
			useAsm = saved
			for i := range got {
				want := float64(y[i]) + 0.7*math.Exp(float64(x[i]))
				if math.Abs(float64(got[i])-want) > 2.5e-7*(1+math.Abs(want)) {
					t.Errorf("n=%d asm %v: AxpyExp element %d = %g, want %g", n, asm, i, got[i], want)
				}
			}
		}
	}
}

// TestLogSoftmaxRow checks both forms of LogSoftmaxRow against float64 on
// rows of every length to 40 and some longer ones, of small, large and
// shifted logits, that it writes nothing past the row, and its special
// values.
func TestLogSoftmaxRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	lengths := []int{255, 1000, 1027}
	for n := 1; n <= 40; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for _, r := range [][2]float32{{-3, 3}, {-50, 50}, {1000, 1010}, {-1e4, -1e4 + 5}} {
			x := randVec(rng, n, r[0], r[1])
			m := float64(x[0])
			for _, v := range x {
				m = math.Max(m, float64(v))
			}
			var s float64
			for _, v := range x {
				s += math.Exp(float64(v) - m)
			}
			want := m + math.Log(s)
			for _, asm := range []bool{false, true} {
				if asm && !useAsm {
					continue
				}
				buf := make([]float32, n+9)
				for i := range buf {
					buf[i] = 42
				}
				saved := useAsm
				useAsm = asm
				l := LogSoftmaxRow(buf[:n], x)
				useAsm = saved
				if math.Abs(l-want) > 3e-7*(1+math.Abs(m)) {
					t.Errorf("n=%d %v asm %v: log-sum-exp %g, want %g", n, r, asm, l, want)
				}
				for i, v := range x {
					w := float64(v) - want
					if d := math.Abs(float64(buf[i]) - w); d > 3e-7*(1+math.Abs(m)) && d > 1.5e-7*math.Abs(w) {
						t.Errorf("n=%d %v asm %v: element %d: %g, want %g", n, r, asm, i, buf[i], w)
						break
					}
				}
				for i := n; i < len(buf); i++ {
					if buf[i] != 42 {
						t.Fatalf("n=%d asm %v: wrote %g at %d, past the row", n, asm, buf[i], i)
					}
				}
			}
		}
	}

	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	isNaN := func(v float32) bool { return v != v }
	for _, c := range []struct {
		name string
		x    []float32
		l    float64
		want func(i int, v float32) bool
	}{
		{"NaN", []float32{1, 2, nan, 3, 4, 5, 6, 7, 8, 9}, math.NaN(), func(i int, v float32) bool { return isNaN(v) }},
		{"NaN first", []float32{nan, 2, 3, 4, 5, 6, 7, 8, 9}, math.NaN(), func(i int, v float32) bool { return isNaN(v) }},
		{"+Inf", []float32{1, 2, inf, 3, 4, 5, 6, 7, 8, 9}, math.Inf(1), func(i int, v float32) bool { return i == 2 && isNaN(v) || i != 2 && v == -inf }},
		{"all −Inf", []float32{-inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf}, math.Inf(-1), func(i int, v float32) bool { return isNaN(v) }},
		{"−Inf", []float32{0, -inf, 0, 0, 0, 0, 0, 0, 0, 0}, math.Log(9), func(i int, v float32) bool {
			return i == 1 && v == -inf || i != 1 && v == float32(-math.Log(9))
		}},
	} {
		for _, asm := range []bool{false, true} {
			if asm && !useAsm {
				continue
			}
			saved := useAsm
			useAsm = asm
			dst := make([]float32, len(c.x))
			l := LogSoftmaxRow(dst, c.x)
			useAsm = saved
			if !(l == c.l || l != l && c.l != c.l) && math.Abs(l-c.l) > 1e-7 {
				t.Errorf("%s asm %v: log-sum-exp %g, want %g", c.name, asm, l, c.l)
			}
			for i, v := range dst {
				if !c.want(i, v) {
					t.Errorf("%s asm %v: element %d = %g", c.name, asm, i, v)
				}
			}
		}
	}
	if l := LogSoftmaxRow(nil, nil); !math.IsInf(l, -1) {
		t.Errorf("empty row: log-sum-exp %g, want −Inf", l)
	}
}

// TestSum64 checks Sum64, assembly and Go, against a left-to-right float64
// sum on odd lengths, with values whose float32 sum would lose digits.
func TestSum64(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 7, 15, 16, 17, 255, 1000, 100003} {
		x := randVec(rng, n, -1, 1)
		for i := range x {
			x[i] += 1000 // a large common part: float32 partial sums would round
		}
		var want float64
		for _, v := range x {
			want += float64(v)
		}
		for _, asm := range []bool{false, true} {
			if asm && !useAsm {
				continue
			}
			saved := useAsm
			useAsm = asm
			got := Sum64(x)
			useAsm = saved
			if d := math.Abs(got - want); d > 1e-12*math.Max(1, math.Abs(want)) {
				t.Fatalf("n=%d (asm %v): Sum64 = %v, want %v", n, asm, got, want)
			}
		}
	}
}

// TestAddRowsN checks AddRowsN, assembly and Go, against direct loops with
// blocks that overlap in dst (one column apart, as in col2im), on odd
// sizes.
func TestAddRowsN(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, count := range []int{1, 3, 5} {
		for _, cols := range []int{1, 7, 8, 9, 24} {
			const rows, dstStep = 4, 1
			ldd, lds := cols+count+1, cols+2
			srcStep := rows * lds
			dst := randVec(rng, (count-1)*dstStep+(rows-1)*ldd+cols+3, -1, 1)
			src := randVec(rng, (count-1)*srcStep+(rows-1)*lds+cols, -1, 1)
			want := append([]float32(nil), dst...)
			for k := 0; k < count; k++ {
				for i := 0; i < rows; i++ {
					for j := 0; j < cols; j++ {
						want[k*dstStep+i*ldd+j] += src[k*srcStep+i*lds+j]
					}
				}
			}
			for _, asm := range []bool{false, true} {
				if asm && !useAsm {
					continue
				}
				got := append([]float32(nil), dst...)
				saved := useAsm
				useAsm = asm
				AddRowsN(count, rows, cols, got, ldd, dstStep, src, lds, srcStep)
				useAsm = saved
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("count %d, cols %d (asm %v): dst[%d] = %v, want %v", count, cols, asm, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestMaxPool2Backward checks MaxPool2Backward, assembly and Go, against
// the scatter of each gradient to its recorded position, setting and
// adding, on rows of odd lengths, with the positions that MaxPool2 records.
func TestMaxPool2Backward(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 4, 7, 8, 9, 12, 17, 64} {
		const pos, w = 64, 2*64 + 6
		r0, r1 := randVec(rng, 2*n, -1, 1), randVec(rng, 2*n, -1, 1)
		y, arg := make([]float32, n), make([]float32, n)
		MaxPool2(y, arg, r0, r1, pos, w)
		g := randVec(rng, n, -1, 1)
		for _, add := range []bool{false, true} {
			base0, base1 := randVec(rng, 2*n, -1, 1), randVec(rng, 2*n, -1, 1)
			want0, want1 := append([]float32(nil), base0...), append([]float32(nil), base1...)
			if !add {
				clear(want0)
				clear(want1)
			}
			for j := 0; j < n; j++ {
				switch off := int(arg[j]) - pos - 2*j; off {
				case 0, 1:
					want0[2*j+off] += g[j]
				default:
					want1[2*j+off-w] += g[j]
				}
			}
			for _, asm := range []bool{false, true} {
				if asm && !useAsm {
					continue
				}
				got0, got1 := append([]float32(nil), base0...), append([]float32(nil), base1...)
				saved := useAsm
				useAsm = asm
				MaxPool2Backward(got0, got1, g, arg, pos, w, add)
				useAsm = saved
				for i := range want0 {
					if got0[i] != want0[i] || got1[i] != want1[i] {
						t.Fatalf("n=%d add=%v asm=%v: element %d: rows (%v, %v), want (%v, %v)", n, add, asm, i, got0[i], got1[i], want0[i], want1[i])
					}
				}
			}
		}
	}
}

// TestMaxPool2Rows checks MaxPool2Rows and MaxPool2RowsBackward, assembly
// and Go, against MaxPool2 and MaxPool2Backward row by row in Go, on planes
// wider than their windows and with a row below them (which must stay
// untouched), with ties and a NaN.
func TestMaxPool2Rows(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, ow := range []int{1, 3, 4, 8, 12, 13, 20} {
		for _, extra := range []int{0, 1, 3} {
			for _, rows := range []int{1, 3, 5} {
				for _, nan := range []bool{false, true} {
					w := 2*ow + extra
					x := make([]float32, (2*rows+1)*w)
					for i := range x {
						x[i] = float32(rng.IntN(4))
					}
					if nan {
						x[rng.IntN(len(x))] = float32(math.NaN())
					}
					name := fmt.Sprintf("ow=%d w=%d rows=%d nan=%v", ow, w, rows, nan)
					wantY, wantArg := make([]float32, rows*ow), make([]float32, rows*ow)
					saved := useAsm
					useAsm = false
					for i := 0; i < rows; i++ {
						MaxPool2(wantY[i*ow:(i+1)*ow], wantArg[i*ow:(i+1)*ow], x[2*i*w:], x[(2*i+1)*w:], float32(2*i*w), float32(w))
					}
					g := randVec(rng, rows*ow, -1, 1)
					base := randVec(rng, len(x), -1, 1)
					var wantDX [2][]float32
					for k, add := range []bool{false, true} {
						wantDX[k] = slices.Clone(base)
						for i := 0; i < rows; i++ {
							MaxPool2Backward(wantDX[k][2*i*w:], wantDX[k][(2*i+1)*w:], g[i*ow:(i+1)*ow], wantArg[i*ow:], float32(2*i*w), float32(w), add)
						}
					}
					useAsm = saved
					for _, asm := range []bool{false, true} {
						if asm && !useAsm {
							continue
						}
						useAsm = asm
						y, arg := make([]float32, rows*ow), make([]float32, rows*ow)
						MaxPool2Rows(y, arg, x, rows, ow, w)
						var dx [2][]float32
						for k, add := range []bool{false, true} {
							dx[k] = slices.Clone(base)
							MaxPool2RowsBackward(dx[k], g, arg, rows, ow, w, add)
						}
						useAsm = saved
						for j := range y {
							if !(y[j] == wantY[j] || y[j] != y[j] && wantY[j] != wantY[j]) || arg[j] != wantArg[j] {
								t.Fatalf("%s asm=%v: output %d: %v at %v, want %v at %v", name, asm, j, y[j], arg[j], wantY[j], wantArg[j])
							}
						}
						for k := range dx {
							for i := range base {
								if dx[k][i] != wantDX[k][i] {
									t.Fatalf("%s asm=%v add=%v: gradient %d: %v, want %v", name, asm, k == 1, i, dx[k][i], wantDX[k][i])
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestNonzeros checks Nonzeros, assembly and Go, against a plain scan: rows
// of whole and partial vectors with a stride, NaN (listed) and −0 (not),
// and room for all the nonzeros, exactly all, and one fewer.
func TestNonzeros(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, cols := range []int{1, 8, 13, 24, 64} {
		for _, rows := range []int{1, 3} {
			for _, density := range []float64{0, 0.2, 1} {
				ldx := cols + 5
				x := make([]float32, rows*ldx)
				for i := range x {
					if rng.Float64() < density {
						x[i] = float32(rng.NormFloat64())
					}
				}
				x[rng.IntN(len(x))] = float32(math.NaN())
				x[rng.IntN(len(x))] = float32(math.Copysign(0, -1))
				const base, colStep, rowStep = 7, 3, 1000
				var wantOffs []int32
				var wantVals []float32
				for i := 0; i < rows; i++ {
					for j := 0; j < cols; j++ {
						if v := x[i*ldx+j]; v != 0 {
							wantOffs = append(wantOffs, int32(base+i*rowStep+j*colStep))
							wantVals = append(wantVals, v)
						}
					}
				}
				for _, room := range []int{len(wantOffs) + 3, len(wantOffs), len(wantOffs) - 1} {
					if room < 0 {
						continue
					}
					for _, asm := range []bool{false, true} {
						if asm && !useAsm {
							continue
						}
						saved := useAsm
						useAsm = asm
						offs, vals := make([]int32, room), make([]float32, room)
						n, ok := Nonzeros(offs, vals, x, rows, cols, ldx, base, colStep, rowStep)
						useAsm = saved
						name := fmt.Sprintf("cols=%d rows=%d density=%v room=%d asm=%v", cols, rows, density, room, asm)
						if want := room >= len(wantOffs); ok != want {
							t.Fatalf("%s: ok = %v, want %v", name, ok, want)
						}
						if ok && n != len(wantOffs) {
							t.Fatalf("%s: %d nonzeros, want %d", name, n, len(wantOffs))
						}
						for k := 0; k < min(n, room); k++ {
							if offs[k] != wantOffs[k] || !(vals[k] == wantVals[k] || vals[k] != vals[k] && wantVals[k] != wantVals[k]) {
								t.Fatalf("%s: nonzero %d at %d = %v, want at %d = %v", name, k, offs[k], vals[k], wantOffs[k], wantVals[k])
							}
						}
					}
				}
			}
		}
	}
}

// checkAccumulation runs the kernel f (gx ← gx + …), assembly and Go, on a
// copy of gx and checks element i against want(i), computed in float64,
// within float32 rounding.
func checkAccumulation(t *testing.T, name string, f func(gx, g, y []float32), gx, g, y []float32, want func(i int) float64) {
	t.Helper()
	for _, asm := range []bool{false, true} {
		if asm && !useAsm {
			continue
		}
		saved := useAsm
		useAsm = asm
		got := slices.Clone(gx)
		f(got, g, y)
		useAsm = saved
		for i := range got {
			if w := want(i); math.Abs(float64(got[i])-w) > 3e-7*(1+math.Abs(w)) {
				t.Fatalf("n=%d asm %v: %s element %d = %g, want %g", len(gx), asm, name, i, got[i], w)
			}
		}
	}
}

// TestMulAdd checks MulAdd, assembly and Go, against float64 on odd sizes.
func TestMulAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, n := range append(sizes, 32, 63, 64, 100) {
		gx, g, y := randVec(rng, n, -1, 1), randVec(rng, n, -2, 2), randVec(rng, n, 0, 3)
		compare(t, "MulAdd", func(b [][]float32) { MulAdd(b[0], b[1], b[2]) }, gx, g, y)
		checkAccumulation(t, "MulAdd", MulAdd, gx, g, y, func(i int) float64 {
			return float64(gx[i]) + float64(g[i])*float64(y[i])
		})
	}
}

// logMaxULP bounds the error of the assembly Log, in float32 ulp of the
// correctly rounded result: a check of every positive finite float32
// (subnormals included) found 1 ulp at most, the sweep below the same.
const logMaxULP = 1

// TestLog checks the assembly Log against the float64 logarithm rounded to
// float32 on a sweep over the positive float32 numbers (subnormal, normal,
// the largest), every number around 1 and around the split at √2, and its
// special values; and the two forms against each other on odd sizes.
func TestLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, n := range sizes {
		x := randVec(rng, n, 0, 10)
		compare(t, "Log", func(b [][]float32) { Log(b[0], b[1]) }, make([]float32, n), x)
	}
	if !useAsm {
		t.Skip("no AVX2/FMA here: the Go forms are the only ones")
	}
	var x []float32
	for b := uint32(1); b < 0x7f800000; b += 4099 {
		x = append(x, math.Float32frombits(b))
	}
	for _, c := range []float32{1, math.Sqrt2, math.Sqrt2 / 2, 2} {
		for b := math.Float32bits(c) - 4096; b <= math.Float32bits(c)+4096; b++ {
			x = append(x, math.Float32frombits(b))
		}
	}
	x = append(x, 1e-45, 1.1754942e-38, 1.1754944e-38, math.MaxFloat32, math.SmallestNonzeroFloat32)
	x = x[:len(x)&^7]
	got := make([]float32, len(x))
	Log(got, x)
	var worst int64
	var worstX float32
	for i, v := range x {
		want := float32(math.Log(float64(v)))
		if d := ulps(got[i], want); d > worst {
			worst, worstX = d, v
		}
		if d := ulps(got[i], want); d > logMaxULP {
			t.Errorf("Log(%g) = %g, want %g (%d ulp)", v, got[i], want, d)
		}
	}
	t.Logf("Log: at most %d ulp from the correctly rounded result (at %g), over %d values", worst, worstX, len(x))

	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	special := []float32{0, float32(math.Copysign(0, -1)), -1, -1e-45, -inf, inf, nan, 1}
	want := []float32{-inf, -inf, nan, nan, nan, inf, nan, 0}
	for _, asm := range []bool{false, true} {
		saved := useAsm
		useAsm = asm
		got := make([]float32, len(special))
		Log(got, special)
		useAsm = saved
		for i, w := range want {
			if !(got[i] == w || got[i] != got[i] && w != w) {
				t.Errorf("asm %v: Log(%g) = %g, want %g", asm, special[i], got[i], w)
			}
		}
	}
}

// softplusMaxULP bounds the error of the assembly Softplus above −87.33,
// in float32 ulp of the correctly rounded result: a check of every float32
// of [−87.33, 30] found 2 ulp at most (on 0.0006% of them), the sweep
// below the same.
const softplusMaxULP = 2

// TestSoftplus checks the assembly Softplus against the float64 softplus
// rounded to float32 on a sweep over the float32 numbers of [−87.33, 30]
// (beyond which it is x, or 0 as documented), every number around the
// switch of forms at 1 + e^−|x| = √2, and special values; and the two
// forms against each other on odd sizes.
func TestSoftplus(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for _, n := range sizes {
		x := randVec(rng, n, -20, 20)
		compare(t, "Softplus", func(b [][]float32) { Softplus(b[0], b[1]) }, make([]float32, n), x)
	}
	if !useAsm {
		t.Skip("no AVX2/FMA here: the Go forms are the only ones")
	}
	var x []float32
	for b := uint32(0); b <= math.Float32bits(30); b += 97 {
		x = append(x, math.Float32frombits(b), -math.Float32frombits(b))
	}
	for b := math.Float32bits(16); b <= math.Float32bits(87.33); b += 97 {
		x = append(x, -math.Float32frombits(b))
	}
	// 1 + e^−|x| = √2 at |x| = −ln(√2 − 1) ≈ 0.8814.
	for b := math.Float32bits(0.8814) - 4096; b <= math.Float32bits(0.8814)+4096; b++ {
		x = append(x, math.Float32frombits(b), -math.Float32frombits(b))
	}
	x = x[:len(x)&^7]
	got := make([]float32, len(x))
	Softplus(got, x)
	var worst int64
	var worstX float32
	for i, v := range x {
		want := float32(softplus64(float64(v)))
		if d := ulps(got[i], want); d > worst {
			worst, worstX = d, v
		}
		if d := ulps(got[i], want); d > softplusMaxULP {
			t.Errorf("Softplus(%g) = %g, want %g (%d ulp)", v, got[i], want, d)
		}
	}
	t.Logf("Softplus: at most %d ulp from the correctly rounded result (at %g), over %d values", worst, worstX, len(x))

	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	special := []float32{0, float32(math.Copysign(0, -1)), inf, -inf, nan, 15, 16, 100, 1e30, math.MaxFloat32,
		-16, -17, -20, -87.3, -87.4, -100, -1e30, -math.MaxFloat32, 1e-30, -1e-30}
	for _, asm := range []bool{false, true} {
		saved := useAsm
		useAsm = asm
		got := make([]float32, len(special))
		Softplus(got, special)
		useAsm = saved
		for i, v := range special {
			w := float32(softplus64(float64(v)))
			switch {
			case v != v:
				if got[i] == got[i] {
					t.Errorf("asm %v: Softplus(NaN) = %g", asm, got[i])
				}
			case asm && v < -87.33654:
				if got[i] != 0 {
					t.Errorf("Softplus(%g) = %g, want 0 (subnormal results are flushed)", v, got[i])
				}
			case v >= 15 && got[i] != v:
				t.Errorf("asm %v: Softplus(%g) = %g, want x itself", asm, v, got[i])
			case ulps(got[i], w) > softplusMaxULP:
				t.Errorf("asm %v: Softplus(%g) = %g, want %g", asm, v, got[i], w)
			}
		}
	}
}

// TestSoftplusBackward checks SoftplusBackward, assembly and Go, against
// gx + g·σ(x) in float64, on odd sizes, with values that saturate the
// sigmoid.
func TestSoftplusBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	for _, n := range append(sizes, 32, 63, 64, 100) {
		gx, g, x := randVec(rng, n, -1, 1), randVec(rng, n, -2, 2), randVec(rng, n, -100, 100)
		for i := range x {
			if i%3 == 0 {
				x[i] /= 20 // more values where σ is not 0 or 1
			}
		}
		compare(t, "SoftplusBackward", func(b [][]float32) { SoftplusBackward(b[0], b[1], b[2]) }, gx, g, x)
		checkAccumulation(t, "SoftplusBackward", SoftplusBackward, gx, g, x, func(i int) float64 {
			return float64(gx[i]) + float64(g[i])/(1+math.Exp(-float64(x[i])))
		})
	}
}

// softmaxMaxRel bounds the relative error of SoftmaxRow's probabilities
// (assembly and Go) above the least normal float32: 2⁻²², at most 4 ulp
// of float32; the test's rows show 2.1·2⁻²⁴ at most.
const softmaxMaxRel = 0x1p-22

// TestSoftmaxRow checks both forms of SoftmaxRow against float64 on rows of
// every length to 40 and some longer ones, of small, large and shifted
// logits, in place as well, that it writes nothing past the row, and its
// special values.
func TestSoftmaxRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	lengths := []int{255, 1000, 1027}
	for n := 1; n <= 40; n++ {
		lengths = append(lengths, n)
	}
	worst := 0.0
	for _, n := range lengths {
		for _, r := range [][2]float32{{-3, 3}, {-50, 50}, {1000, 1010}, {-1e4, -1e4 + 5}} {
			x := randVec(rng, n, r[0], r[1])
			m := float64(x[0])
			for _, v := range x {
				m = math.Max(m, float64(v))
			}
			var s float64
			for _, v := range x {
				s += math.Exp(float64(v) - m)
			}
			for _, asm := range []bool{false, true} {
				if asm && !useAsm {
					continue
				}
				for _, inPlace := range []bool{false, true} {
					buf := make([]float32, n+9)
					for i := range buf {
						buf[i] = 42
					}
					src := x
					if inPlace {
						copy(buf, x)
						src = buf[:n]
					}
					saved := useAsm
					useAsm = asm
					SoftmaxRow(buf[:n], src)
					useAsm = saved
					for i, v := range x {
						w := math.Exp(float64(v)-m) / s
						// Below the least normal float32 the absolute error
						// of a rounding is all that counts; the assembly
						// flushes e^(x − m) to 0 below e^−87.33.
						d := math.Abs(float64(buf[i]) - w)
						if asm && float64(v)-m < -87.33654 && buf[i] == 0 {
							continue
						}
						if d > softmaxMaxRel*w && d > 0x1p-149 {
							t.Errorf("n=%d %v asm %v in place %v: element %d: %g, want %g", n, r, asm, inPlace, i, buf[i], w)
							break
						}
						if w > 0x1p-126 {
							worst = math.Max(worst, d/w)
						}
					}
					for i := n; i < len(buf); i++ {
						if buf[i] != 42 {
							t.Fatalf("n=%d asm %v: wrote %g at %d, past the row", n, asm, buf[i], i)
						}
					}
				}
			}
		}
	}
	t.Logf("SoftmaxRow: relative error at most %.3g (%.2f ulp of 2⁻²⁴)", worst, worst/0x1p-24)

	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	isNaN := func(v float32) bool { return v != v }
	for _, c := range []struct {
		name string
		x    []float32
		want func(i int, v float32) bool
	}{
		{"NaN", []float32{1, 2, nan, 3, 4, 5, 6, 7, 8, 9}, func(i int, v float32) bool { return isNaN(v) }},
		{"NaN last", []float32{1, 2, 3, 4, 5, 6, 7, 8, nan}, func(i int, v float32) bool { return isNaN(v) }},
		{"+Inf", []float32{1, 2, inf, 3, 4, 5, 6, 7, 8, 9}, func(i int, v float32) bool { return isNaN(v) }},
		{"all −Inf", []float32{-inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf}, func(i int, v float32) bool { return isNaN(v) }},
		{"−Inf", []float32{0, -inf, 0, 0, 0, 0, 0, 0, 0, 0}, func(i int, v float32) bool {
			return i == 1 && v == 0 || i != 1 && v == float32(1.0/9)
		}},
		{"one", []float32{-7}, func(i int, v float32) bool { return v == 1 }},
	} {
		for _, asm := range []bool{false, true} {
			if asm && !useAsm {
				continue
			}
			saved := useAsm
			useAsm = asm
			dst := make([]float32, len(c.x))
			SoftmaxRow(dst, c.x)
			useAsm = saved
			for i, v := range dst {
				if !c.want(i, v) {
					t.Errorf("%s asm %v: element %d = %g", c.name, asm, i, v)
				}
			}
		}
	}
	SoftmaxRow(nil, nil)
	SoftmaxRowBackward(nil, nil, nil)
	LogSoftmaxRowBackward(nil, nil, nil)
}

// TestSoftmaxRowBackwards checks SoftmaxRowBackward and
// LogSoftmaxRowBackward, assembly and Go, against their formulas in
// float64 on rows of odd lengths.
func TestSoftmaxRowBackwards(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, n := range append(sizes, 2, 10, 16, 32, 33) {
		x, g, gx := randVec(rng, n, -5, 5), randVec(rng, n, -1, 1), randVec(rng, n, -1, 1)
		y, logy := make([]float32, n), make([]float32, n)
		SoftmaxRow(y, x)
		LogSoftmaxRow(logy, x)
		var sy, sg float64
		for i := range g {
			sy += float64(g[i]) * float64(y[i])
			sg += float64(g[i])
		}
		compare(t, "SoftmaxRowBackward", func(b [][]float32) { SoftmaxRowBackward(b[0], b[1], b[2]) }, gx, g, y)
		compare(t, "LogSoftmaxRowBackward", func(b [][]float32) { LogSoftmaxRowBackward(b[0], b[1], b[2]) }, gx, g, logy)
		for _, asm := range []bool{false, true} {
			if asm && !useAsm {
				continue
			}
			saved := useAsm
			useAsm = asm
			a, b := append(slices.Clone(gx), 42, 42, 42, 42, 42, 42, 42), append(slices.Clone(gx), 42, 42, 42, 42, 42, 42, 42)
			SoftmaxRowBackward(a[:n], g, y)
			LogSoftmaxRowBackward(b[:n], g, logy)
			useAsm = saved
			for i := n; i < len(a); i++ {
				if a[i] != 42 || b[i] != 42 {
					t.Fatalf("n=%d asm %v: wrote %g and %g at %d, past the row", n, asm, a[i], b[i], i)
				}
			}
			for i := range gx {
				// Errors of the size of the terms, |gx| + |g| + |s|·y.
				scale := math.Abs(float64(gx[i])) + math.Abs(float64(g[i])) + math.Max(math.Abs(sy), math.Abs(sg))
				want := float64(gx[i]) + float64(y[i])*(float64(g[i])-sy)
				if math.Abs(float64(a[i])-want) > 3e-7*scale {
					t.Fatalf("n=%d asm %v: SoftmaxRowBackward element %d = %g, want %g", n, asm, i, a[i], want)
				}
				want = float64(gx[i]) + float64(g[i]) - sg*math.Exp(float64(logy[i]))
				if math.Abs(float64(b[i])-want) > 4e-7*scale {
					t.Fatalf("n=%d asm %v: LogSoftmaxRowBackward element %d = %g, want %g", n, asm, i, b[i], want)
				}
			}
		}
	}
}

// TestDivAdd checks DivAdd, assembly and Go, against direct loops on odd
// lengths, with zeros, infinities and NaN among the divisors: both forms
// round the division and the sum once, so they must agree bitwise.
func TestDivAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{1, 7, 8, 17, 255, 1000} {
		gx, g, x := randVec(rng, n, -1, 1), randVec(rng, n, -3, 3), randVec(rng, n, -2, 2)
		special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.NaN()), 1e-30}
		for i := 0; i < n && i < len(special); i++ {
			x[(i*7)%n] = special[i]
		}
		want := append([]float32(nil), gx...)
		for i := range want {
			want[i] += g[i] / x[i]
		}
		for _, asm := range []bool{false, true} {
			if asm && !useAsm {
				continue
			}
			got := append([]float32(nil), gx...)
			saved := useAsm
			useAsm = asm
			DivAdd(got, g, x)
			useAsm = saved
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					t.Fatalf("n=%d asm=%v: gx[%d] = %v, want %v", n, asm, i, got[i], want[i])
				}
			}
		}
	}
}
