package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchUsageErrorsExitTwo(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no kind", []string{"bench"}, "missing the kind"},
		{"unknown kind", []string{"bench", "fly"}, `unknown kind "fly"`},
		{"zero m", []string{"bench", "matmul", "--m", "0"}, "--m 0"},
		{"huge k", []string{"bench", "matmul", "--k", "100000"}, "--k 100000"},
		{"dtype", []string{"bench", "matmul", "--dtype", "float16"}, `--dtype "float16"`},
		{"zero rounds", []string{"bench", "matmul", "--rounds", "0"}, "--rounds 0"},
		{"negative threads", []string{"bench", "copy", "--threads", "-1"}, "--threads -1"},
		{"zero mb", []string{"bench", "copy", "--mb", "0"}, "--mb 0"},
		{"optimizer", []string{"bench", "step", "--optimizer", "adamm"}, `unknown optimizer "adamm"`},
		{"zero params", []string{"bench", "step", "--params", "0"}, "--params 0"},
		{"model", []string{"bench", "train", "--model", "resnet"}, `--model "resnet"`},
		{"zero batch", []string{"bench", "train", "--batch", "0"}, "--batch 0"},
		{"stray argument", []string{"bench", "copy", "extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"bench", "matmul", "--bogus"}, "bogus"},
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

func TestBenchHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"bench", "-h"}, {"bench", "matmul", "-h"}, {"bench", "train", "--help"}} {
		if code, _, stderr := runCLI(t, args...); code != 0 || !strings.Contains(stderr, "usage: descent bench") {
			t.Errorf("%v: exit status %d, stderr %q", args, code, stderr)
		}
	}
}

// TestBenchJSON runs each kind on a tiny problem and checks its JSON object
// and the key that scripts/bench_kernels.py reads.
func TestBenchJSON(t *testing.T) {
	quick := []string{"--json", "--rounds", "2", "--round-time", "0"}
	tests := []struct {
		args []string
		key  string
	}{
		{[]string{"bench", "matmul", "--m", "33", "--n", "17", "--k", "65", "--trans-b"}, "gflops"},
		{[]string{"bench", "matmul", "--m", "20", "--n", "20", "--k", "20", "--dtype", "float64", "--trans-a", "--threads", "1"}, "gflops"},
		{[]string{"bench", "copy", "--mb", "1"}, "gb_per_s"},
		{[]string{"bench", "step", "--optimizer", "adam", "--params", "5000"}, "ns_per_param"},
		{[]string{"bench", "step", "--optimizer", "sgd", "--params", "5000"}, "gb_per_s"},
		{[]string{"bench", "train", "--model", "mlp", "--examples", "256", "--batch", "64", "--epochs", "2"}, "examples_per_second"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append(tc.args, quick...)...)
			if code != 0 {
				t.Fatalf("exit status %d: %s", code, stderr)
			}
			var obj map[string]any
			if err := json.Unmarshal([]byte(stdout), &obj); err != nil {
				t.Fatalf("stdout %q is not one JSON object: %v", stdout, err)
			}
			if v, ok := obj[tc.key].(float64); !ok || !(v > 0) {
				t.Fatalf("%s = %v in %s, want a positive number", tc.key, obj[tc.key], stdout)
			}
			if obj["benchmark"] != tc.args[1] {
				t.Errorf("benchmark = %v, want %s", obj["benchmark"], tc.args[1])
			}
		})
	}
}

// TestBenchTrainCNN checks that --model cnn either measures descent train's
// CNN or, in a build without one, fails with exit status 1 saying so.
func TestBenchTrainCNN(t *testing.T) {
	code, stdout, stderr := runCLI(t, "bench", "train", "--model", "cnn", "--examples", "64", "--batch", "32", "--epochs", "1", "--json")
	switch code {
	case 0:
		var obj struct {
			ExamplesPerSecond float64 `json:"examples_per_second"`
		}
		if err := json.Unmarshal([]byte(stdout), &obj); err != nil || !(obj.ExamplesPerSecond > 0) {
			t.Fatalf("stdout %q: want a positive examples_per_second (%v)", stdout, err)
		}
	case 1:
		if !strings.Contains(stderr, "not available") {
			t.Fatalf("exit status 1 with stderr %q, want it to say the CNN is not available", stderr)
		}
	default:
		t.Fatalf("exit status %d: %s", code, stderr)
	}
}

// TestBenchText checks the one-line human output of a kind.
func TestBenchText(t *testing.T) {
	code, stdout, stderr := runCLI(t, "bench", "matmul", "--m", "8", "--n", "8", "--k", "8", "--rounds", "1", "--round-time", "0")
	if code != 0 || !strings.Contains(stdout, "GFLOP/s") || !strings.Contains(stdout, "m=8 n=8 k=8") {
		t.Fatalf("exit status %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
