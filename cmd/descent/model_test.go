package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descent-ml/descent/nn"
)

func TestModelFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--norm", "batchnorm"}, `--norm "batchnorm": want one of none, batch, renorm, layer, group, instance, weight`},
		{[]string{"--model", "logreg", "--norm", "batch"}, "--norm batch: logreg has no hidden layer"},
		{[]string{"--model", "mlp", "--norm", "instance"}, "--norm instance: needs the spatial dimensions"},
		{[]string{"--init", "gaussian"}, `--init "gaussian": want one of xavier-uniform`},
		{[]string{"--init", "constant:x"}, `--init "constant:x"`},
		{[]string{"--dropout", "1"}, "--dropout 1: want a probability in [0, 1)"},
		{[]string{"--dropout", "-0.1"}, "--dropout -0.1"},
		{[]string{"--model", "logreg", "--dropout", "0.5"}, "--dropout 0.5: logreg has no hidden layer"},
		{[]string{"--model", "lenet"}, `--model "lenet": want logreg, mlp or cnn`},
	}
	for _, cmd := range []string{"train", "compare"} {
		for _, tc := range tests {
			t.Run(cmd+" "+strings.Join(tc.args, " "), func(t *testing.T) {
				code, _, stderr := runCLI(t, append([]string{cmd}, tc.args...)...)
				if code != 2 {
					t.Errorf("exit status %d, want 2", code)
				}
				if !strings.Contains(stderr, tc.want) {
					t.Errorf("stderr %q does not mention %q", stderr, tc.want)
				}
			})
		}
	}
}

func TestFashionMNISTMissingSaysHowToInstall(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fashion")
	code, _, stderr := runCLI(t, "train", "--dataset", "fashion-mnist", "--data-dir", dir, "--model", "cnn")
	if code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	for _, want := range []string{dir, "apt-get install dataset-fashion-mnist", "--data-dir"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not mention %q", stderr, want)
		}
	}
}

// TestModelFlagsBuildEveryCombination trains every model with every
// normalization (and dropout) for one epoch on a tiny data set.
func TestModelFlagsBuildEveryCombination(t *testing.T) {
	dir := t.TempDir()
	writeTinyIDX(t, dir, 48, 16)
	for _, model := range []string{"mlp", "cnn"} {
		for _, norm := range nn.Norms() {
			if model == "mlp" && norm == nn.NormInstance {
				continue
			}
			args := []string{"train", "--data-dir", dir, "--epochs", "1", "--batch", "16", "--json",
				"--model", model, "--norm", string(norm), "--hidden", "16,16", "--dropout", "0.2", "--init", "orthogonal"}
			t.Run(model+"/"+string(norm), func(t *testing.T) {
				code, stdout, stderr := runCLI(t, args...)
				if code != 0 {
					t.Fatalf("exit status %d; stderr: %s", code, stderr)
				}
				var m map[string]float64
				if err := json.Unmarshal([]byte(strings.TrimSpace(stdout)), &m); err != nil {
					t.Fatalf("%v: %s", err, stdout)
				}
			})
		}
	}
}

func TestModelFlagsBuild(t *testing.T) {
	f := modelFlags{model: "cnn", norm: "batch", dropout: 0.5}
	m, err := f.build(rand.New(rand.NewPCG(1, 2)), []int{1, 28, 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	s := m.(*nn.Sequential[float32]).String()
	for _, want := range []string{"Conv2D(1→32, 5×5, no bias)", "BatchNorm(32)", "Conv2D(32→64, 5×5, no bias)", "BatchNorm(64)", "Linear(1024→128)", "BatchNorm(128)", "Dropout(0.5)", "Linear(128→10)"} {
		if !strings.Contains(s, want) {
			t.Errorf("model %s lacks %s", s, want)
		}
	}
	if _, err := (&modelFlags{model: "cnn", norm: "none"}).build(rand.New(rand.NewPCG(1, 2)), []int{784}, 10); err == nil || !strings.Contains(err.Error(), "[784]") {
		t.Errorf("cnn on flat examples: error %v", err)
	}
	// --model mlp without normalization is the plain MLP: same layers and
	// the same initial weights from the same seed.
	plain := nn.MLP(rand.New(rand.NewPCG(3, 4)), []int{784, 32, 10}, nn.ReLU[float32], nn.HeNormal[float32])
	built, err := (&modelFlags{model: "mlp", hidden: "32", norm: "none"}).build(rand.New(rand.NewPCG(3, 4)), []int{1, 28, 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	a, b := nn.NewParams[float32](plain), nn.NewParams(built)
	if a.Len() != b.Len() || plain.String() != built.(*nn.Sequential[float32]).String() {
		t.Fatalf("mlp differs from nn.MLP: %v vs %v", built, plain)
	}
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			t.Fatalf("weight %d differs: %v vs %v", i, a.Data[i], b.Data[i])
		}
	}
}

// longTest skips unless DESCENT_LONG_TESTS=1: the full-data CNN runs take
// several minutes each on two cores (see BENCHMARKS.md), more than go test's
// default 10-minute timeout allows for both. Run them with
//
//	DESCENT_LONG_TESTS=1 go test ./cmd/descent -run 'TestCNNFull' -timeout 60m -v
func longTest(t *testing.T) {
	t.Helper()
	if testing.Short() || os.Getenv("DESCENT_LONG_TESTS") != "1" {
		t.Skip("full-data training run; set DESCENT_LONG_TESTS=1 (and -timeout 60m) to run it")
	}
}

// trainCLI runs descent train with args and --json and returns the test
// accuracy of every epoch.
func trainCLI(t *testing.T, args ...string) []float64 {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"train", "--json"}, args...)...)
	if code != 0 {
		if strings.Contains(stderr, "not found") || strings.Contains(stderr, "does not exist") {
			t.Skip(stderr)
		}
		t.Fatalf("exit status %d; stderr: %s", code, stderr)
	}
	var acc []float64
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var s struct {
			Epoch        int     `json:"epoch"`
			TestAccuracy float64 `json:"test_accuracy"`
			Seconds      float64 `json:"seconds"`
		}
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		t.Logf("epoch %d: test accuracy %.2f%% after %.0fs of training", s.Epoch, 100*s.TestAccuracy, s.Seconds)
		acc = append(acc, s.TestAccuracy)
	}
	return acc
}

// TestCNNFullMNIST: the CNN reaches 98.8% MNIST test accuracy within 3
// epochs with the command line's defaults.
func TestCNNFullMNIST(t *testing.T) {
	longTest(t)
	acc := trainCLI(t, "--model", "cnn", "--epochs", "3")
	if best := maxOf(acc); best < 0.988 {
		t.Fatalf("best test accuracy %.2f%% < 98.8%%", 100*best)
	}
}

// TestCNNFullFashionMNIST: the CNN reaches 90% Fashion-MNIST test accuracy
// within 5 epochs with the command line's defaults.
func TestCNNFullFashionMNIST(t *testing.T) {
	longTest(t)
	acc := trainCLI(t, "--model", "cnn", "--dataset", "fashion-mnist", "--epochs", "5")
	if best := maxOf(acc); best < 0.90 {
		t.Fatalf("best test accuracy %.2f%% < 90%%", 100*best)
	}
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
