package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/descent-ml/descent/repro"
)

func TestReproUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no experiment", []string{"repro"}, "missing the experiment"},
		{"unknown experiment", []string{"repro", "warp"}, `unknown experiment "warp"`},
		{"two experiments", []string{"repro", "momentum", "surfaces"}, `unexpected argument "surfaces"`},
		{"flags then two", []string{"repro", "--quick", "momentum", "surfaces"}, `unexpected argument "surfaces"`},
		{"unknown flag", []string{"repro", "momentum", "--fast"}, "fast"},
		{"bad seed", []string{"repro", "momentum", "--seed", "-1"}, "seed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != 2 {
				t.Errorf("exit status %d, want 2 (stderr %q)", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not mention %q", stderr, tc.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

var checkLine = regexp.MustCompile(`^(PASS|FAIL) [a-z0-9-]+/[a-z0-9-]+: .+: measured .+ \(want .+\)$`)

func TestReproMomentumQuick(t *testing.T) {
	out := t.TempDir()
	// The name may come before or after the flags.
	for _, args := range [][]string{
		{"repro", "momentum", "--quick", "--out", out},
		{"repro", "--quick", "--out", out, "momentum"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit status %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) < 10 {
			t.Fatalf("%d check lines, want at least 10:\n%s", len(lines), stdout)
		}
		for _, l := range lines {
			if !checkLine.MatchString(l) || !strings.HasPrefix(l, "PASS momentum/") {
				t.Errorf("line %q is not a passing momentum check", l)
			}
		}
		if !strings.Contains(stderr, filepath.Join(out, "momentum", "report.md")) {
			t.Errorf("stderr does not name the report:\n%s", stderr)
		}
		if _, err := os.Stat(filepath.Join(out, "momentum", "rates-kappa.svg")); err != nil {
			t.Error(err)
		}
	}
}

func TestReproList(t *testing.T) {
	code, stdout, _ := runCLI(t, "repro", "--list")
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	for _, n := range repro.Names() {
		if !strings.Contains(stdout, n) {
			t.Errorf("--list does not mention %s:\n%s", n, stdout)
		}
	}
}

// fakeExperiment reports the given checks, or fails to run.
type fakeExperiment struct {
	name   string
	checks []repro.Check
	err    error
}

func (f fakeExperiment) Name() string    { return f.name }
func (f fakeExperiment) Summary() string { return "a fake" }
func (f fakeExperiment) Run(ctx context.Context, cfg repro.Config) (*repro.Report, error) {
	if f.err != nil {
		return nil, f.err
	}
	rep := repro.NewReport(cfg, f.name, "Fake")
	rep.Check(f.checks...)
	return rep, nil
}

func TestReproFailingCheckExitsOne(t *testing.T) {
	out := t.TempDir()
	exps := []repro.Experiment{
		fakeExperiment{name: "good", checks: []repro.Check{repro.AtMost("small", "x is small", 1, 2, "")}},
		fakeExperiment{name: "broken", err: errors.New("no data")},
		fakeExperiment{name: "bad", checks: []repro.Check{repro.AtLeast("large", "y is large", 1, 2, "steps")}},
	}
	var stdout, stderr bytes.Buffer
	err := runExperiments(context.Background(), exps, repro.Config{Out: out}, true, &stdout, &stderr)
	if err == nil {
		t.Fatal("no error for a failed check and a broken experiment")
	}
	var ue usageError
	if errors.As(err, &ue) {
		t.Errorf("error %v is a usage error; want a failure (exit 1)", err)
	}
	if !strings.Contains(err.Error(), "broken did not run") || !strings.Contains(err.Error(), "1 of 2 checks failed") {
		t.Errorf("error %q", err)
	}
	want := "PASS good/small: x is small: measured 1 (want ≤ 2)\nFAIL bad/large: y is large: measured 1 steps (want ≥ 2 steps)\n"
	if stdout.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), want)
	}
	if !strings.Contains(stderr.String(), "no data") {
		t.Errorf("stderr does not report the broken experiment:\n%s", stderr.String())
	}
	idx, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil || !strings.Contains(string(idx), "[bad](bad/report.md)") {
		t.Errorf("index: %v\n%s", err, idx)
	}
	md, err := os.ReadFile(filepath.Join(out, "bad", "report.md"))
	if err != nil || !strings.Contains(string(md), "| **FAIL** | y is large | 1 steps | ≥ 2 steps |") {
		t.Errorf("bad/report.md: %v\n%s", err, md)
	}
}
