package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestUsageErrorsExitTwo(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "usage"},
		{"unknown command", []string{"fly"}, `unknown command "fly"`},
		{"zero batch", []string{"train", "--batch", "0"}, "--batch 0"},
		{"negative batch", []string{"train", "--batch", "-3"}, "--batch -3"},
		{"unknown model", []string{"train", "--model", "resnet"}, `--model "resnet"`},
		{"malformed hidden", []string{"train", "--hidden", "256,x"}, `--hidden "256,x"`},
		{"zero hidden", []string{"train", "--hidden", "256,0"}, `--hidden "256,0"`},
		{"negative lr", []string{"train", "--lr", "-1"}, "--lr -1"},
		{"negative l2", []string{"train", "--l2", "-0.1"}, "--l2 -0.1"},
		{"zero epochs", []string{"train", "--epochs", "0"}, "--epochs 0"},
		{"unknown dataset", []string{"train", "--dataset", "cifar"}, `--dataset "cifar"`},
		{"unknown flag", []string{"train", "--bogus"}, "bogus"},
		{"not a number", []string{"train", "--batch", "many"}, "many"},
		{"stray argument", []string{"train", "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not mention %q", stderr, tc.want)
			}
		})
	}
}

func TestMissingDataFolderSaysWhereItLooked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nowhere")
	code, _, stderr := runCLI(t, "train", "--data-dir", dir)
	if code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	if !strings.Contains(stderr, dir) || !strings.Contains(stderr, "--data-dir") {
		t.Fatalf("stderr %q should name the folder and how to point elsewhere", stderr)
	}
}

func TestTrainJSONOnSmallData(t *testing.T) {
	// A tiny MNIST-format data set, written as IDX files: every epoch must
	// print one JSON object with the documented keys.
	dir := t.TempDir()
	writeTinyIDX(t, dir, 64, 32)
	code, stdout, stderr := runCLI(t, "train", "--data-dir", dir, "--epochs", "2", "--batch", "16", "--hidden", "8", "--json")
	if code != 0 {
		t.Fatalf("exit status %d; stderr: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines on stdout, want 2 (one per epoch):\n%s", len(lines), stdout)
	}
	for i, line := range lines {
		var m map[string]float64
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, line)
		}
		for _, k := range []string{"epoch", "train_loss", "test_loss", "test_accuracy", "seconds", "examples_per_second"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d lacks %q: %s", i+1, k, line)
			}
		}
		if m["epoch"] != float64(i+1) || m["test_accuracy"] < 0 || m["test_accuracy"] > 1 {
			t.Errorf("line %d: implausible values %v", i+1, m)
		}
	}
}

// writeTinyIDX writes random MNIST-shaped IDX files (plain, not gzipped).
func writeTinyIDX(t *testing.T, dir string, nTrain, nTest int) {
	t.Helper()
	write := func(name string, magic uint32, dims []int, body []byte) {
		var b bytes.Buffer
		b.Write([]byte{byte(magic >> 24), byte(magic >> 16), byte(magic >> 8), byte(magic)})
		for _, d := range dims {
			b.Write([]byte{byte(d >> 24), byte(d >> 16), byte(d >> 8), byte(d)})
		}
		b.Write(body)
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []struct {
		prefix string
		n      int
	}{{"train", nTrain}, {"t10k", nTest}} {
		img := make([]byte, s.n*28*28)
		lab := make([]byte, s.n)
		for i := range lab {
			lab[i] = byte(i % 10)
			for j := 0; j < 28*28; j += 7 {
				img[i*784+j] = byte((i*31 + j*17) % 256)
			}
		}
		write(s.prefix+"-images-idx3-ubyte", 0x00000803, []int{s.n, 28, 28}, img)
		write(s.prefix+"-labels-idx1-ubyte", 0x00000801, []int{s.n}, lab)
	}
}

func TestReadmeExampleIsTheExamplesProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := os.ReadFile("../../examples/mnist/main.go")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(readme), "```go\n")
	end := strings.Index(string(readme)[start+6:], "```\n")
	if start < 0 || end < 0 || string(readme)[start+6:start+6+end] != string(prog) {
		t.Fatal("the Go example in README.md differs from examples/mnist/main.go; copy one onto the other")
	}
}
