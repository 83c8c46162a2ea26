package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/descent-ml/descent/optim"
	"github.com/descent-ml/descent/surface"
)

// defaultStepper returns descent optimize's stepper for name with its
// documented defaults.
func defaultStepper(t *testing.T, name string, s surface.Surface) func([]float64) {
	t.Helper()
	h, _ := optim.Defaults(name)
	h.LR, h.WeightDecay = surfaceRates[name], 0
	step, err := surfaceStepper(name, h, false, s)
	if err != nil {
		t.Fatal(err)
	}
	return step
}

func TestOptimizeDefaultsConverge(t *testing.T) {
	starts := [][2]float64{{-1.2, 1}, {-1.5, 2}, {0, 0}, {2, -1}, {1.5, 2.5}}
	for _, name := range optim.Names() {
		for _, s := range []surface.Surface{surface.Quadratic{Kappa: 10}, surface.Rosenbrock{}} {
			for _, st := range starts {
				step := defaultStepper(t, name, s)
				p := []float64{st[0], st[1]}
				for range 50000 {
					step(p)
				}
				m := s.Minima()[0]
				if d := math.Hypot(p[0]-m[0], p[1]-m[1]); !(d < 1e-2) {
					t.Errorf("%s on %s from %v: ended at %v, %.3g from the minimum", name, s.Name(), st, p, d)
				}
			}
		}
	}
}

func TestSaddleEscape(t *testing.T) {
	// The lecture's "escaping from a saddle": from (1, 10⁻³), just off the
	// stable manifold y = 0 of x² − y², gradient descent's y grows by only
	// (1 + 2α) per step, while methods that rescale each coordinate by its
	// gradient history (Adagrad, RMSProp, Adam, …) take full-size steps along
	// y at once. Escaped means |y| > 1; the test records how many steps each
	// method needs with its defaults and checks the lecture's ordering.
	escape := map[string]int{}
	for _, name := range optim.Names() {
		step := defaultStepper(t, name, surface.Saddle{})
		p := []float64{1, 1e-3}
		escape[name] = -1
		for k := 1; k <= 20000; k++ {
			step(p)
			if math.Abs(p[1]) > 1 {
				escape[name] = k
				break
			}
		}
		t.Logf("%-9s escapes after %d steps", name, escape[name])
	}
	for _, name := range optim.Names() {
		if escape[name] < 0 {
			t.Errorf("%s never left the saddle in 20000 steps", name)
		}
	}
	// SGD's y after k steps is 10⁻³(1+2α)ᵏ: it escapes after
	// ⌈ln 1000 / ln(1+2α)⌉ steps exactly.
	want := int(math.Ceil(math.Log(1000) / math.Log(1+2*surfaceRates["sgd"])))
	if escape["sgd"] != want {
		t.Errorf("sgd escaped after %d steps, want %d", escape["sgd"], want)
	}
	for _, fast := range []string{"adagrad", "rmsprop", "adam", "adadelta"} {
		if escape[fast] >= escape["sgd"] {
			t.Errorf("%s (%d steps) should escape before plain SGD (%d)", fast, escape[fast], escape["sgd"])
		}
	}
	// Started exactly on the stable manifold, no first-order method leaves.
	for _, name := range optim.Names() {
		step := defaultStepper(t, name, surface.Saddle{})
		p := []float64{1, 0}
		for range 2000 {
			step(p)
		}
		if p[1] != 0 {
			t.Errorf("%s left the stable manifold y = 0: y = %v", name, p[1])
		}
	}
}

func TestOptimizeOutput(t *testing.T) {
	code, stdout, stderr := runCLI(t, "optimize", "--function", "booth", "--optimizer", "adam", "--steps", "5", "--format", "json", "--start", "0,0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d lines, want 6 (steps 0–5)", len(lines))
	}
	for i, l := range lines {
		var p struct {
			Step     int
			X, Y, F  float64
			GradNorm float64 `json:"grad_norm"`
		}
		if err := json.Unmarshal([]byte(l), &p); err != nil || p.Step != i {
			t.Fatalf("line %d: %q (%v)", i, l, err)
		}
		if i == 0 && (p.X != 0 || p.Y != 0 || p.F != 74 || math.Abs(p.GradNorm-math.Hypot(34, 38)) > 1e-12) {
			t.Fatalf("start line %+v, want (0,0) with f = 74", p)
		}
	}
	code, stdout, _ = runCLI(t, "optimize", "--steps", "2")
	if code != 0 || !strings.HasPrefix(stdout, "step,x,y,f,grad_norm\n0,-1.2,1,") || strings.Count(stdout, "\n") != 4 {
		t.Fatalf("csv output:\n%s", stdout)
	}
}

func TestOptimizeStopsOnDivergence(t *testing.T) {
	code, stdout, stderr := runCLI(t, "optimize", "--optimizer", "sgd", "--lr", "0.1", "--steps", "1000")
	if code != 1 || !strings.Contains(stderr, "step ") || !strings.Contains(stderr, "diverged") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.HasPrefix(stdout, "step,x,y,f,grad_norm") {
		t.Fatalf("the finite part of the trajectory should still be printed:\n%.200s", stdout)
	}
}

func TestOptimizeBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--lr", "-1"}, "--lr -1"},
		{[]string{"--optimizer", "adam", "--beta1", "1"}, "--beta1 1"},
		{[]string{"--optimizer", "adam", "--beta2", "-0.5"}, "--beta2 -0.5"},
		{[]string{"--optimizer", "adam", "--eps", "0"}, "--eps 0"},
		{[]string{"--optimizer", "rmsprop", "--decay", "1.5"}, "--decay 1.5"},
		{[]string{"--momentum", "1"}, "--momentum 1"},
		{[]string{"--optimizer", "adamm"}, `unknown optimizer "adamm"`},
		{[]string{"--function", "sphere"}, `unknown function "sphere"`},
		{[]string{"--start", "1"}, `--start "1"`},
		{[]string{"--start", "1,x"}, `--start "1,x"`},
		{[]string{"--format", "xml"}, `--format "xml"`},
		{[]string{"--steps", "-1"}, "--steps -1"},
		{[]string{"--function", "quadratic", "--kappa", "0.5"}, "--kappa 0.5"},
		{[]string{"--schedule", "step:x:1"}, "--schedule"},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, append([]string{"optimize"}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
