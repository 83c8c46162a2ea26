package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descent-ml/descent/optim"
)

func TestCompareWritesTableAndFigures(t *testing.T) {
	dir := t.TempDir()
	writeTinyIDX(t, dir, 96, 32)
	out := filepath.Join(t.TempDir(), "cmp")
	code, stdout, stderr := runCLI(t, "compare", "--data-dir", dir, "--optimizers", "sgd,adam=0.01,adadelta", "--hidden", "8",
		"--epochs", "2", "--batch", "16", "--every", "2", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"optimizer", "final train loss", "test accuracy", "sgd", "adam", "0.01", "adadelta"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "compare.png"))
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("compare.png: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "compare.svg")); err != nil || !bytes.Contains(b, []byte("adadelta")) {
		t.Fatalf("compare.svg: %v", err)
	}
	var runs []compareRun
	b, _ = os.ReadFile(filepath.Join(out, "compare.json"))
	if err := json.Unmarshal(b, &runs); err != nil || len(runs) != 3 {
		t.Fatalf("compare.json: %v, %d runs", err, len(runs))
	}
	// 96 examples / batch 16 = 6 steps per epoch, 12 steps, a point every 2.
	for _, r := range runs {
		if len(r.Loss) != 6 || r.Examples[5] != 192 {
			t.Errorf("%s: %d loss points ending at %v examples, want 6 ending at 192", r.Optimizer, len(r.Loss), r.Examples)
		}
	}
}

func TestCompareStartsEveryOptimizerFromTheSameWeights(t *testing.T) {
	dir := t.TempDir()
	writeTinyIDX(t, dir, 32, 16)
	out := t.TempDir()
	// With --every 1 the first point is the loss of the first batch before
	// any step: identical for all optimizers if they share the initial
	// weights and the batch order.
	code, _, stderr := runCLI(t, "compare", "--data-dir", dir, "--optimizers", "sgd,rmsprop,adam", "--hidden", "4",
		"--batch", "8", "--every", "1", "--out", out)
	if code != 0 {
		t.Fatal(stderr)
	}
	var runs []compareRun
	b, _ := os.ReadFile(filepath.Join(out, "compare.json"))
	json.Unmarshal(b, &runs)
	for _, r := range runs[1:] {
		if r.Loss[0] != runs[0].Loss[0] {
			t.Fatalf("first-batch loss %v for %s, %v for %s", r.Loss[0], r.Optimizer, runs[0].Loss[0], runs[0].Optimizer)
		}
		if r.Loss[1] == runs[0].Loss[1] {
			t.Fatalf("%s and %s took the same first step", r.Optimizer, runs[0].Optimizer)
		}
	}
}

func TestCompareBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--optimizers", "sgd,adamm"}, `unknown optimizer "adamm"`},
		{[]string{"--optimizers", "adam=-1"}, `rate "-1"`},
		{[]string{"--optimizers", "adam,adam"}, "twice"},
		{[]string{"--epochs", "0"}, "--epochs 0"},
		{[]string{"--batch", "0"}, "--batch 0"},
		{[]string{"--model", "vgg"}, `--model "vgg"`},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, append([]string{"compare"}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestTrainWithEveryOptimizer(t *testing.T) {
	dir := t.TempDir()
	writeTinyIDX(t, dir, 64, 16)
	for _, name := range append(optim.Names(), "pathsgd") {
		code, stdout, stderr := runCLI(t, "train", "--data-dir", dir, "--optimizer", name, "--hidden", "8", "--epochs", "1", "--batch", "16", "--json")
		if code != 0 || !strings.Contains(stdout, `"test_accuracy"`) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", name, code, stdout, stderr)
		}
	}
	code, _, stderr := runCLI(t, "train", "--data-dir", dir, "--optimizer", "pathsgd", "--model", "logreg", "--epochs", "1", "--schedule", "step:1ep:0.5")
	if code != 0 {
		t.Errorf("pathsgd on logreg: %s", stderr)
	}
}

func TestCompareRestartsBatchNormStatistics(t *testing.T) {
	// With batch norm, every optimizer must also start from the same
	// running statistics: two runs of the same optimizer give the same
	// test accuracy.
	dir := t.TempDir()
	writeTinyIDX(t, dir, 32, 16)
	out := t.TempDir()
	code, _, stderr := runCLI(t, "compare", "--data-dir", dir, "--optimizers", "sgd,sgd=0.1000001", "--hidden", "4", "--norm", "batch",
		"--batch", "8", "--every", "1", "--out", out)
	if code != 0 {
		t.Fatal(stderr)
	}
	var runs []compareRun
	b, _ := os.ReadFile(filepath.Join(out, "compare.json"))
	json.Unmarshal(b, &runs)
	if len(runs) != 2 || runs[0].Loss[0] != runs[1].Loss[0] || math.Abs(runs[0].TestLoss-runs[1].TestLoss) > 1e-4 {
		t.Fatalf("runs differ: %+v", runs)
	}
}
