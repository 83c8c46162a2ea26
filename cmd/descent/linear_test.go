package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLinearUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no train", []string{"linear"}, "--train is required"},
		{"bad loss", []string{"linear", "--train", "x", "--loss", "l1"}, `--loss "l1"`},
		{"bad optimizer", []string{"linear", "--train", "x", "--optimizer", "sgd,adam"}, `--optimizer "sgd,adam"`},
		{"negative lambda", []string{"linear", "--train", "x", "--lambda", "-1"}, "--lambda -1"},
		{"zero epochs", []string{"linear", "--train", "x", "--epochs", "0"}, "--epochs 0"},
		{"negative iters", []string{"linear", "--train", "x", "--iters", "-1"}, "--iters -1"},
		{"negative eta0", []string{"linear", "--train", "x", "--eta0", "-2"}, "--eta0 -2"},
		{"eta0 too large", []string{"linear", "--train", "x", "--eta0", "1e6", "--lambda", "1e-5"}, "--eta0 1e+06"},
		{"negative workers", []string{"linear", "--train", "x", "--workers", "-1"}, "--workers -1"},
		{"bad plot extension", []string{"linear", "--train", "x", "--plot", "fig.jpg"}, `--plot "fig.jpg"`},
		{"zero bias rate", []string{"linear", "--train", "x", "--bias-rate", "0"}, "--bias-rate 0"},
		{"anneal above 1", []string{"linear", "--train", "x", "--anneal", "1.5"}, "--anneal 1.5"},
		{"negative avg start", []string{"linear", "--train", "x", "--avg-start", "-1"}, "--avg-start -1"},
		{"stray argument", []string{"linear", "--train", "x", "extra"}, `unexpected argument "extra"`},
		{"gen: no out", []string{"gen-sparse"}, "--out is required"},
		{"gen: zero rows", []string{"gen-sparse", "--out", "x", "--rows", "0"}, "--rows 0"},
		{"gen: one column", []string{"gen-sparse", "--out", "x", "--cols", "1"}, "--cols 1"},
		{"gen: too many nonzeros", []string{"gen-sparse", "--out", "x", "--cols", "10", "--nnz", "8"}, "--nnz 8"},
		{"gen: test rows without file", []string{"gen-sparse", "--out", "x", "--test-rows", "5"}, "give both or neither"},
		{"gen: bad noise", []string{"gen-sparse", "--out", "x", "--noise", "0.7"}, "--noise 0.7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != 2 {
				t.Errorf("exit status %d, want 2; stderr: %s", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not mention %q", stderr, tc.want)
			}
		})
	}
}

func TestGenSparseThenLinearJSONAndPlot(t *testing.T) {
	dir := t.TempDir()
	train, test := filepath.Join(dir, "train.svm"), filepath.Join(dir, "test.svm")
	code, stdout, stderr := runCLI(t, "gen-sparse", "--rows", "3000", "--cols", "2000", "--nnz", "30", "--seed", "3",
		"--out", train, "--test-rows", "1000", "--test-out", test)
	if code != 0 {
		t.Fatalf("gen-sparse: exit status %d; stderr: %s", code, stderr)
	}
	if !strings.Contains(stdout, "3000 documents × 2000 words") {
		t.Errorf("gen-sparse output %q", stdout)
	}
	for _, plot := range []string{"fig.png", "fig.svg"} {
		path := filepath.Join(dir, plot)
		code, stdout, stderr = runCLI(t, "linear", "--train", train, "--test", test, "--loss", "log",
			"--optimizer", "sgd,asgd,hogwild,gd,lbfgs,cg", "--lambda", "1e-4", "--epochs", "3", "--json", "--plot", path)
		if code != 0 {
			t.Fatalf("linear: exit status %d; stderr: %s", code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != 18 {
			t.Fatalf("%d lines on stdout, want 3 epochs × 6 methods:\n%s", len(lines), stdout)
		}
		last := map[string]float64{}
		for i, line := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, line)
			}
			for _, k := range []string{"optimizer", "epoch", "objective", "test_error", "seconds"} {
				if _, ok := m[k]; !ok {
					t.Errorf("line %d lacks %q: %s", i+1, k, line)
				}
			}
			te, _ := m["test_error"].(float64)
			secs, _ := m["seconds"].(float64)
			if m["epoch"] != float64(i%3+1) || te < 0 || te > 1 || secs <= 0 {
				t.Errorf("line %d: implausible values %v", i+1, m)
			}
			last[m["optimizer"].(string)] = te
		}
		// A learnable problem: every method but plain gradient descent, slow
		// as the lecture says, beats chance clearly in 3 epochs.
		for name, te := range last {
			if name != "gd" && te > 0.35 {
				t.Errorf("%s: test error %.3f after 3 epochs", name, te)
			}
		}
		if st, err := os.Stat(path); err != nil || st.Size() < 1000 {
			t.Fatalf("figure %s: %v", path, err)
		}
		if !strings.Contains(stderr, "read "+train) || !strings.Contains(stderr, "wrote "+path) {
			t.Errorf("stderr %q should report the reads and the figure", stderr)
		}
	}
	// Text output.
	code, stdout, stderr = runCLI(t, "linear", "--train", train, "--test", test, "--loss", "hinge", "--epochs", "2", "--shuffle")
	if code != 0 || !strings.Contains(stdout, "sgd      epoch   2") || !strings.Contains(stdout, "test error") {
		t.Fatalf("text output: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestLinearBadFilesAndLabels(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	zero := write("zero.svm", "1 0:1 1:2\n-1 1:1\n")
	code, _, stderr := runCLI(t, "linear", "--train", zero)
	if code != 1 || !strings.Contains(stderr, zero+":1:") || !strings.Contains(stderr, "--zero-based") {
		t.Fatalf("0-based file: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr = runCLI(t, "linear", "--train", zero, "--zero-based", "--epochs", "1"); code != 0 {
		t.Fatalf("--zero-based: exit %d, stderr %q", code, stderr)
	}
	bad := write("bad.svm", "1 1:1\n1 2:x\n")
	if code, _, stderr = runCLI(t, "linear", "--train", bad); code != 1 || !strings.Contains(stderr, bad+":2:") {
		t.Fatalf("bad value: exit %d, stderr %q", code, stderr)
	}
	three := write("three.svm", "1 1:1\n2 2:1\n3 1:1\n")
	if code, _, stderr = runCLI(t, "linear", "--train", three); code != 2 || !strings.Contains(stderr, "--loss softmax") {
		t.Fatalf("three classes with log loss: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr = runCLI(t, "linear", "--train", three, "--loss", "softmax", "--epochs", "1"); code != 0 {
		t.Fatalf("softmax: exit %d, stderr %q", code, stderr)
	}
	other := write("other.svm", "1 1:1\n7 2:1\n")
	if code, _, stderr = runCLI(t, "linear", "--train", zero, "--zero-based", "--test", other); code != 1 || !strings.Contains(stderr, "label 7") {
		t.Fatalf("test label unknown to training: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr = runCLI(t, "linear", "--train", filepath.Join(dir, "missing.svm")); code != 1 || !strings.Contains(stderr, "missing.svm") {
		t.Fatalf("missing file: exit %d, stderr %q", code, stderr)
	}
}

func TestLinearLogTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		labels []string
	}{
		{0.13, 8, []string{"0.2", "0.5", "1", "2", "5"}},
		{0.01, 0.3, []string{"0.01", "0.02", "0.05", "0.1", "0.2"}},
		{3, 3, nil},
		{0, 1, nil},
	}
	for _, tc := range tests {
		var labels []string
		for _, tk := range (linearLogTicks{}).Ticks(tc.lo, tc.hi) {
			if tk.Value < tc.lo*(1-1e-9) || tk.Value > tc.hi*(1+1e-9) {
				t.Errorf("[%v, %v]: tick %v outside", tc.lo, tc.hi, tk.Value)
			}
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if strings.Join(labels, " ") != strings.Join(tc.labels, " ") {
			t.Errorf("[%v, %v]: labels %v, want %v", tc.lo, tc.hi, labels, tc.labels)
		}
	}
}
