package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/tensor"
)

// TestTrainDefaultsReachTargets runs the README's `descent train` with its
// defaults (the MLP 784-256-256-10, plain SGD, 5 epochs) and with
// --model logreg on the real MNIST, and checks the accuracy the issue asks
// for: ≥ 97.5% and ≥ 92%. About a minute with the assembly Gemm; skipped
// with -short and with the portable kernel, where it takes many minutes
// (CI's second, purego pass).
func TestTrainDefaultsReachTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("full MNIST training; skipped with -short")
	}
	if k := tensor.GemmKernel(); !strings.HasPrefix(k, "avx2") {
		t.Skipf("Gemm kernel %s: full MNIST training would take many minutes", k)
	}
	if _, err := data.MNISTDir(""); err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	for _, tc := range []struct {
		args []string
		want float64
	}{
		{nil, 0.975},
		{[]string{"--model", "logreg"}, 0.92},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"train", "--json"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		var last struct {
			Epoch        int     `json:"epoch"`
			TestAccuracy float64 `json:"test_accuracy"`
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
			t.Fatal(err)
		}
		t.Logf("descent train %v: %.2f%% after %d epochs", tc.args, 100*last.TestAccuracy, last.Epoch)
		if last.Epoch != 5 || last.TestAccuracy < tc.want {
			t.Errorf("descent train %v: %.2f%% after %d epochs, want ≥ %.1f%% within 5", tc.args, 100*last.TestAccuracy, last.Epoch, 100*tc.want)
		}
	}
}
