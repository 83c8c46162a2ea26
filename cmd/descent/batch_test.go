package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func lastPoint(t *testing.T, stdout string) trajectoryPoint {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var p trajectoryPoint
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &p); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	return p
}

func TestOptimizeFullBatchMethods(t *testing.T) {
	tests := []struct {
		args     []string
		x, y     float64
		maxSteps int
	}{
		{[]string{"--optimizer", "lbfgs", "--function", "rosenbrock"}, 1, 1, 60},
		{[]string{"--optimizer", "cg", "--function", "rosenbrock"}, 1, 1, 200},
		{[]string{"--optimizer", "newton", "--function", "rosenbrock"}, 1, 1, 100},
		{[]string{"--optimizer", "newton-cg", "--function", "beale"}, 3, 0.5, 300},
		{[]string{"--optimizer", "gd", "--function", "booth"}, 1, 3, 2000},
		{[]string{"--optimizer", "gd", "--lr", "0.05", "--function", "booth"}, 1, 3, 2000},
		{[]string{"--optimizer", "newton", "--function", "quadratic", "--kappa", "1000", "--theta", "0.3"}, 0, 0, 1},
		{[]string{"--optimizer", "cg", "--cg-variant", "fr", "--line-search", "wolfe", "--function", "quadratic", "--kappa", "50"}, 0, 0, 3},
		{[]string{"--optimizer", "lbfgs", "--memory", "3", "--line-search", "backtracking", "--function", "himmelblau"}, 3, 2, 100},
	}
	for _, tc := range tests {
		code, stdout, stderr := runCLI(t, append([]string{"optimize", "--format", "json", "--steps", "5000"}, tc.args...)...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", tc.args, code, stderr)
			continue
		}
		p := lastPoint(t, stdout)
		if math.Hypot(p.X-tc.x, p.Y-tc.y) > 1e-5 || p.Step > tc.maxSteps {
			t.Errorf("%v: ended at (%v, %v) after %d steps, want (%v, %v) within %d", tc.args, p.X, p.Y, p.Step, tc.x, tc.y, tc.maxSteps)
		}
	}
}

func TestNewtonIsAttractedBySaddleUnlessSafeguarded(t *testing.T) {
	// Pure Newton jumps from (1, 10⁻³) straight onto the saddle point of
	// x² − y²; the safeguarded Newton (modified Cholesky) does not.
	code, stdout, stderr := runCLI(t, "optimize", "--format", "json", "--function", "saddle", "--optimizer", "newton", "--newton-pure", "--steps", "5")
	if code != 0 {
		t.Fatal(stderr)
	}
	if p := lastPoint(t, stdout); math.Hypot(p.X, p.Y) > 1e-12 {
		t.Fatalf("pure Newton ended at (%v, %v), want the saddle (0, 0)", p.X, p.Y)
	}
	_, stdout, _ = runCLI(t, "optimize", "--format", "json", "--function", "saddle", "--optimizer", "newton", "--steps", "5")
	if p := lastPoint(t, stdout); math.Abs(p.Y) < 1e-2 {
		t.Fatalf("safeguarded Newton stayed near the saddle: (%v, %v)", p.X, p.Y)
	}
}

func TestTrainFullBatch(t *testing.T) {
	dir := t.TempDir()
	writeTinyIDX(t, dir, 64, 16)
	for _, args := range [][]string{
		{"--optimizer", "lbfgs", "--model", "logreg", "--iterations", "5"},
		{"--optimizer", "cg", "--hidden", "4", "--iterations", "3"},
		{"--optimizer", "gd", "--lr", "0.1", "--model", "logreg", "--iterations", "3"},
		{"--optimizer", "newton-cg", "--model", "logreg", "--iterations", "2"},
		{"--optimizer", "lbfgs", "--model", "logreg", "--iterations", "6", "--batch", "16", "--reuse-batch", "3"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"train", "--data-dir", dir, "--json", "--eval-every", "2"}, args...)...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
			continue
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		var last map[string]any
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, k := range []string{"iteration", "objective", "grad_norm", "evaluations", "test_accuracy", "seconds"} {
			if _, ok := last[k]; !ok {
				t.Errorf("%v: last line lacks %q: %s", args, k, lines[len(lines)-1])
			}
		}
		if last["tested"] != true {
			t.Errorf("%v: the last iteration was not evaluated on the test set", args)
		}
	}
}

func TestBatchMethodBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"optimize", "--optimizer", "lbfgs", "--line-search", "exact"}, `--line-search "exact"`},
		{[]string{"optimize", "--optimizer", "lbfgs", "--memory", "0"}, "--memory 0"},
		{[]string{"optimize", "--optimizer", "cg", "--cg-variant", "dy"}, "--cg-variant"},
		{[]string{"optimize", "--optimizer", "gd", "--lr", "-2"}, "--lr -2"},
		{[]string{"train", "--optimizer", "lbfgs", "--reuse-batch", "0"}, "--reuse-batch 0"},
		{[]string{"train", "--optimizer", "lbfgs", "--iterations", "0"}, "--iterations 0"},
	}
	for _, tc := range tests {
		args := tc.args
		if args[0] == "train" {
			args = append(args, "--data-dir", t.TempDir())
		}
		code, _, stderr := runCLI(t, args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
