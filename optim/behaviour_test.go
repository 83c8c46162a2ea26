package optim

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/descent-ml/descent/surface"
)

func TestNesterovFormsAgree(t *testing.T) {
	// The lecture's Nesterov (gradient at w + μv) and PyTorch's reformulation
	// visit corresponding points: w̃[t] = w[t] + μ·v[t−1].
	s := surface.Quadratic{Kappa: 20, Theta: 0.4}
	const lr, mu = 0.02, 0.9
	lec := &NesterovLecture[float64]{LR: lr, Momentum: mu}
	h, _ := Defaults("nesterov")
	h.LR, h.Momentum = lr, mu
	torch, err := New[float64]("nesterov", h)
	if err != nil {
		t.Fatal(err)
	}
	w := []float64{-2, 1.5}
	wt := []float64{-2, 1.5}
	look := make([]float64, 2)
	g := make([]float64, 2)
	for step := 1; step <= 400; step++ {
		lec.Lookahead(w, look)
		gg := s.Gradient([2]float64{look[0], look[1]})
		g[0], g[1] = gg[0], gg[1]
		lec.Step(w, g)

		gg = s.Gradient([2]float64{wt[0], wt[1]})
		g[0], g[1] = gg[0], gg[1]
		torch.Step(wt, g)

		v := lec.Velocity()
		for i := range w {
			if want := w[i] + mu*v[i]; math.Abs(wt[i]-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Fatalf("step %d: PyTorch form at %v, lecture form w+μv = %v", step, wt, []float64{w[0] + mu*v[0], w[1] + mu*v[1]})
			}
		}
	}
	if math.Hypot(w[0], w[1]) > 1e-6 {
		t.Fatalf("lecture Nesterov did not converge: %v", w)
	}
}

func TestStepAllocatesNothing(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			h, _ := Defaults(name)
			h.WeightDecay, h.ClipNorm = 0.01, 10
			o, err := New[float32](name, h)
			if err != nil {
				t.Fatal(err)
			}
			w := make([]float32, 1<<18)
			g := make([]float32, len(w))
			o.Step(w, g)
			if a := testing.AllocsPerRun(20, func() { o.Step(w, g) }); a != 0 {
				t.Fatalf("%s step allocates %v times", name, a)
			}
		})
	}
}

func TestSaveLoadStateContinuesExactly(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			h, _ := Defaults(name)
			grad := func(w, g []float64, step int) {
				for i := range w {
					g[i] = float64(i+1)*w[i] + math.Sin(float64(step*(i+2)))
				}
			}
			run := func(o *Chained[float64], w []float64, from, to int) {
				g := make([]float64, len(w))
				for s := from; s < to; s++ {
					grad(w, g, s)
					o.Step(w, g)
				}
			}
			a, _ := New[float64](name, h)
			w := []float64{1, -2, 3, 0.5, -1}
			run(a, w, 1, 11)
			var buf bytes.Buffer
			if err := a.SaveState(&buf); err != nil {
				t.Fatal(err)
			}
			saved := append([]float64(nil), w...)
			run(a, w, 11, 21)

			b, _ := New[float64](name, h)
			if err := b.LoadState(bytes.NewReader(buf.Bytes())); err != nil {
				t.Fatal(err)
			}
			if b.Steps() != 10 {
				t.Fatalf("restored %d steps, want 10", b.Steps())
			}
			run(b, saved, 11, 21)
			for i := range w {
				if w[i] != saved[i] {
					t.Fatalf("restored run differs at %d: %v vs %v", i, saved, w)
				}
			}
		})
	}
}

func TestLoadStateRejectsMismatches(t *testing.T) {
	h, _ := Defaults("adam")
	a, _ := New[float64]("adam", h)
	a.Step([]float64{1, 2}, []float64{1, 1})
	var buf bytes.Buffer
	if err := a.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		load func() error
		want string
	}{
		{"other optimizer", func() error {
			h, _ := Defaults("rmsprop")
			o, _ := New[float64]("rmsprop", h)
			return o.LoadState(bytes.NewReader(buf.Bytes()))
		}, `"adam"`},
		{"other type", func() error {
			o, _ := New[float32]("adam", h)
			return o.LoadState(bytes.NewReader(buf.Bytes()))
		}, "element type"},
		{"other size", func() error {
			o, _ := New[float64]("adam", h)
			o.Step([]float64{1, 2, 3}, []float64{1, 1, 1})
			return o.LoadState(bytes.NewReader(buf.Bytes()))
		}, "2 parameters"},
		{"truncated", func() error {
			o, _ := New[float64]("adam", h)
			return o.LoadState(bytes.NewReader(buf.Bytes()[:buf.Len()-3]))
		}, "unexpected EOF"},
		{"garbage", func() error {
			o, _ := New[float64]("adam", h)
			return o.LoadState(strings.NewReader("hello"))
		}, "bad header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.load()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %s", err, tc.want)
			}
		})
	}
}

func TestSchedules(t *testing.T) {
	tests := []struct {
		name string
		s    Schedule
		want map[int]float64 // step t → multiplier
	}{
		{"constant", Constant(), map[int]float64{1: 1, 1000: 1}},
		{"harmonic", Harmonic(100), map[int]float64{1: 0.1, 100: 0.1, 101: 1.0 / 11, 1001: 1.0 / 20}},
		{"bottou", Bottou(0.5, 0.01), map[int]float64{1: 1, 201: 1 / (1 + 0.5*0.01*200)}},
		{"step", StepDecay(10, 0.1), map[int]float64{1: 1, 10: 1, 11: 0.1, 21: 0.01}},
		{"multistep", MultiStep([]int{5, 8}, 0.5), map[int]float64{5: 1, 6: 0.5, 9: 0.25}},
		{"piecewise", Piecewise([]int{3, 6}, []float64{1, 0.3, 0.01}), map[int]float64{3: 1, 4: 0.3, 7: 0.01}},
		{"exponential", Exponential(0.5), map[int]float64{1: 1, 4: 0.125}},
		{"cosine", Cosine(10, 0.1), map[int]float64{1: 1, 6: 0.55, 11: 0.1, 50: 0.1}},
		{"linear", Linear(0.5, 1, 4), map[int]float64{1: 0.5, 3: 0.75, 5: 1, 9: 1}},
		{"warmup-then-step", Warmup(4, 0, StepDecay(2, 0.1)), map[int]float64{1: 0, 3: 0.5, 5: 1, 6: 1, 7: 0.1}},
	}
	for _, tc := range tests {
		for step, want := range tc.want {
			if got := tc.s(step); math.Abs(got-want) > 1e-12 {
				t.Errorf("%s(%d) = %v, want %v", tc.name, step, got, want)
			}
		}
	}
	for _, bad := range []string{"nope", "step:x:0.1", "step:10", "cosine:0", "multistep:a:0.1", "harmonic:-3", "warmup:5:nope"} {
		if _, err := ScheduleByName(bad, 0.1); err == nil {
			t.Errorf("ScheduleByName(%q) accepted", bad)
		}
	}
}

func TestGroupsAndNoDecay(t *testing.T) {
	// Parameters 0–3 decay, 4–5 do not; with a zero gradient only the
	// decayed ones shrink.
	mk := func(wd float64) *Chained[float64] {
		h, _ := Defaults("sgd")
		h.LR, h.WeightDecay = 0.1, wd
		o, _ := New[float64]("sgd", h)
		return o
	}
	w := []float64{1, 1, 1, 1, 1, 1}
	g := make([]float64, 6)
	Groups[float64]{{Ranges: [][2]int{{0, 4}}, Optimizer: mk(0.5)}, {Ranges: [][2]int{{4, 6}}, Optimizer: mk(0)}}.Step(w, g)
	want := []float64{0.95, 0.95, 0.95, 0.95, 1, 1}
	for i := range w {
		if math.Abs(w[i]-want[i]) > 1e-15 {
			t.Fatalf("groups: w = %v, want %v", w, want)
		}
	}
	h, _ := Defaults("adamw")
	h.WeightDecay = 0.5
	h.NoDecay = []bool{false, true}
	o, _ := New[float64]("adamw", h)
	w = []float64{1, 1}
	o.Step(w, []float64{0, 0})
	if w[0] != 1-1e-3*0.5 || w[1] != 1 {
		t.Fatalf("NoDecay mask: w = %v", w)
	}
}

func TestHyperparametersCanChangeDuringTraining(t *testing.T) {
	o, _ := NewSGD[float64](0.1)
	w := []float64{1}
	o.Step(w, []float64{1})
	if !o.SetLearningRate(0.01) || o.LearningRate() != 0.01 {
		t.Fatal("SetLearningRate did not take")
	}
	o.Step(w, []float64{1})
	if math.Abs(w[0]-(1-0.1-0.01)) > 1e-15 {
		t.Fatalf("w = %v, want 0.89", w[0])
	}
}

func TestLectureEpsilonForms(t *testing.T) {
	// One step from g = 2 with ε = 0.25: PyTorch's ε outside the root and
	// the lecture's inside give different, hand-computed steps.
	tests := []struct {
		name   string
		inside bool
		want   float64
	}{
		{"adagrad", false, 2 / (2 + 0.25)},
		{"adagrad", true, 2 / math.Sqrt(4+0.25)},
		{"rmsprop", false, 2 / (math.Sqrt(0.01*4) + 0.25)},
		{"rmsprop", true, 2 / math.Sqrt(0.01*4+0.25)},
		{"adam", false, 2 / (2 + 0.25)},
		{"adam", true, 2 / math.Sqrt(4+0.25)},
	}
	for _, tc := range tests {
		h, _ := Defaults(tc.name)
		h.LR, h.Eps, h.EpsInside = 1, 0.25, tc.inside
		o, _ := New[float64](tc.name, h)
		w := []float64{0}
		o.Step(w, []float64{2})
		if math.Abs(-w[0]-tc.want) > 1e-12 {
			t.Errorf("%s eps inside=%v: step %v, want %v", tc.name, tc.inside, -w[0], tc.want)
		}
	}
	// Adadelta's first step from zero accumulators: √ε/√(g²(1−ρ)+ε)·g
	// (PyTorch) versus (0+ε)/(√(g²(1−ρ))+ε)·g (lecture).
	for _, lecture := range []bool{false, true} {
		h, _ := Defaults("adadelta")
		h.Eps, h.LectureAdadelta = 0.01, lecture
		o, _ := New[float64]("adadelta", h)
		w := []float64{0}
		o.Step(w, []float64{2})
		want := math.Sqrt(0.01) / math.Sqrt(0.1*4+0.01) * 2
		if lecture {
			want = 0.01 / (math.Sqrt(0.1*4) + 0.01) * 2
		}
		if math.Abs(-w[0]-want) > 1e-12 {
			t.Errorf("adadelta lecture=%v: step %v, want %v", lecture, -w[0], want)
		}
	}
}

func TestClipping(t *testing.T) {
	h, _ := Defaults("sgd")
	h.LR, h.ClipNorm = 1, 1
	o, _ := New[float64]("sgd", h)
	w := []float64{0, 0}
	o.Step(w, []float64{3, 4})
	if math.Abs(w[0]+0.6) > 1e-6 || math.Abs(w[1]+0.8) > 1e-6 {
		t.Fatalf("clip by norm: w = %v, want ≈ [-0.6 -0.8]", w)
	}
	h.ClipNorm, h.ClipValue = 0, 0.5
	o, _ = New[float64]("sgd", h)
	w = []float64{0, 0}
	o.Step(w, []float64{3, -0.2})
	if w[0] != -0.5 || w[1] != 0.2 {
		t.Fatalf("clip by value: w = %v", w)
	}
}
