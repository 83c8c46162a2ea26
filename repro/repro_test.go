package repro

import (
	"bytes"
	"context"
	"errors"
	"image/gif"
	"math"
	"math/cmplx"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/descent-ml/descent/data"
)

// TestQuickExperimentsPass runs every experiment in --quick form and
// requires its checks to pass and its files to exist. The MNIST
// experiments are skipped when MNIST cannot be found.
func TestQuickExperimentsPass(t *testing.T) {
	out := t.TempDir()
	for _, e := range All() {
		t.Run(e.Name(), func(t *testing.T) {
			start := time.Now()
			rep, err := Run(context.Background(), e, Config{Out: out, Quick: true, Seed: 1})
			if errors.Is(err, data.ErrNotFound) {
				t.Skipf("MNIST not available: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d checks in %v", e.Name(), len(rep.Checks), time.Since(start))
			if len(rep.Checks) == 0 {
				t.Fatal("no checks")
			}
			for _, c := range rep.Checks {
				if !c.Pass {
					t.Errorf("%s", c.Line(rep.Name))
				}
				if c.Claim == "" || c.Threshold == "" || c.ID == "" {
					t.Errorf("check %+v lacks an ID, claim or threshold", c)
				}
			}
			dir := filepath.Join(out, e.Name())
			md, err := os.ReadFile(filepath.Join(dir, "report.md"))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"# ", "## Setup", "## Checks", "**Seed:**", "quick mode", "| **PASS** |"} {
				if !bytes.Contains(md, []byte(want)) {
					t.Errorf("report.md lacks %q", want)
				}
			}
			if len(rep.Files) < 2 {
				t.Errorf("only %d files: %v", len(rep.Files), rep.Files)
			}
			for _, f := range rep.Files {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Errorf("figure %s: %v", f, err)
					continue
				}
				if !bytes.Contains(md, []byte("("+f+")")) {
					t.Errorf("report.md does not link %s", f)
				}
				switch filepath.Ext(f) {
				case ".png":
					if !bytes.HasPrefix(b, []byte("\x89PNG")) {
						t.Errorf("%s is not a PNG", f)
					}
				case ".svg":
					if !bytes.Contains(b, []byte("<svg")) {
						t.Errorf("%s is not an SVG", f)
					}
				case ".gif":
					if _, err := gif.DecodeAll(bytes.NewReader(b)); err != nil {
						t.Errorf("%s: %v", f, err)
					}
				}
			}
		})
	}
}

func TestCheckConstructors(t *testing.T) {
	tests := []struct {
		c    Check
		pass bool
	}{
		{AtMost("a", "x", 1, 1, ""), true},
		{AtMost("a", "x", 1.0001, 1, ""), false},
		{AtLeast("a", "x", 1, 1, ""), true},
		{AtLeast("a", "x", 0.5, 1, ""), false},
		{Below("a", "x", 1, 1, "", "one"), false},
		{Below("a", "x", 0.9, 1, "", "one"), true},
		{Within("a", "x", 1.049, 1, 0.05, "t"), true},
		{Within("a", "x", 1.06, 1, 0.05, "t"), false},
		{Holds("a", "x", 0, ""), true},
		{Holds("a", "x", 2, ""), false},
		{rateCheck("a", "x", math.Pow(0.9, 1.04), 0.9, 0.05, "ρ"), true},
		{rateCheck("a", "x", math.Pow(0.9, 1.06), 0.9, 0.05, "ρ"), false},
		{AtMost("a", "x", math.NaN(), 1, ""), false},
	}
	for i, tc := range tests {
		if tc.c.Pass != tc.pass {
			t.Errorf("%d: %s: pass %v, want %v", i, tc.c.Line("e"), tc.c.Pass, tc.pass)
		}
	}
	c := Within("ripple-rate", "ripples converge at √β", 0.9487, 0.94868, 0.05, "√β")
	c.Detail = "ln-error 0.1%"
	want := "PASS momentum/ripple-rate: ripples converge at √β: measured 0.9487 (ln-error 0.1%) (want within 5% of √β = 0.9487)"
	if got := c.Line("momentum"); got != want {
		t.Errorf("Line:\n got %s\nwant %s", got, want)
	}
	if got := AtMost("n", "c", 3, 5, "steps").Line("e"); !strings.HasPrefix(got, "PASS e/n: c: measured 3 steps (want ≤ 5 steps)") {
		t.Errorf("Line = %s", got)
	}
}

func TestReportMarkdown(t *testing.T) {
	rep := NewReport(Config{Out: t.TempDir()}, "demo", "A demo")
	rep.Intro = "The claim."
	rep.Set("Seed", "%d", 7)
	rep.Check(AtMost("ok", "small | enough", 1, 2, ""), AtLeast("bad", "large", 1, 2, ""))
	rep.Heading("Numbers")
	rep.Table(Table{Header: []string{"a", "b"}, Rows: [][]string{{"1", "2"}}})
	rep.Elapsed = 1500 * time.Millisecond
	if rep.Passed() || rep.Failed() != 1 {
		t.Fatalf("Passed %v, Failed %d; want false, 1", rep.Passed(), rep.Failed())
	}
	md := rep.Markdown()
	for _, want := range []string{"# A demo", "The claim.", "**2 checks, 1 FAIL.**", "`descent repro demo`", "- **Seed:** 7",
		"| **PASS** | small \\| enough | 1 | ≤ 2 |", "| **FAIL** | large | 1 | ≥ 2 |", "## Numbers", "| a | b |", "| 1 | 2 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	idx := Index([]*Report{rep})
	if !strings.Contains(idx, "[demo](demo/report.md)") || !strings.Contains(idx, "1 FAIL") {
		t.Errorf("index:\n%s", idx)
	}
}

func TestLookup(t *testing.T) {
	for _, n := range Names() {
		e, err := Lookup(n)
		if err != nil || e.Name() != n {
			t.Errorf("Lookup(%q) = %v, %v", n, e, err)
		}
	}
	if _, err := Lookup("nope"); !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "momentum") {
		t.Errorf("Lookup(nope): %v", err)
	}
	for n := range Planned() {
		if _, err := Lookup(n); err != nil && !strings.Contains(err.Error(), "not built yet") {
			t.Errorf("Lookup(%q): %v", n, err)
		}
	}
	seen := map[string]bool{}
	for _, n := range Names() {
		if seen[n] {
			t.Errorf("%s registered twice", n)
		}
		seen[n] = true
	}
}

func TestWindowRate(t *testing.T) {
	// A damped oscillation ρᵏ cos(θk): the envelope's rate is ρ.
	rho, theta := 0.97, 0.3
	e := make([]float64, 2000)
	for k := range e {
		e[k] = math.Pow(rho, float64(k)) * math.Cos(theta*float64(k))
	}
	if got := envelopeRate(e, 100, len(e), 32); logRateError(got, rho) > 0.01 {
		t.Errorf("rate %v, want %v", got, rho)
	}
	if got := envelopeRate(e[:40], 0, 40, 32); !math.IsNaN(got) {
		t.Errorf("one window: rate %v, want NaN", got)
	}
}

func TestIterationEigenvalues(t *testing.T) {
	// Complex eigenvalues of momentum's R have modulus √β whatever α and λ.
	for _, ab := range [][2]float64{{0.0015, 0.9}, {0.02, 0.5}, {1e-4, 0.99}} {
		s1, s2 := eigen2(iterationMatrix(ab[0], ab[1], 100))
		if imag(s1) == 0 {
			t.Fatalf("α %v β %v: real eigenvalues %v %v", ab[0], ab[1], s1, s2)
		}
		if math.Abs(cmplx.Abs(s1)-math.Sqrt(ab[1])) > 1e-12 {
			t.Errorf("|σ| = %v, want √β = %v", cmplx.Abs(s1), math.Sqrt(ab[1]))
		}
	}
	// α = 1/λ, β = 0 has both eigenvalues 0.
	if s1, s2 := eigen2(iterationMatrix(0.01, 0, 100)); cmplx.Abs(s1) > 1e-12 || cmplx.Abs(s2) > 1e-12 {
		t.Errorf("one-step point: %v %v", s1, s2)
	}
}

func TestChartFiles(t *testing.T) {
	dir := t.TempDir()
	c := Chart{Title: "t", XLabel: "x", YLabel: "y", LogY: true, LegendOutside: true,
		Lines:   []Line{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{1, 1e-3, 0}}, {Name: "b", X: []float64{1}, Y: []float64{0.1}, NoLine: true}},
		Contour: &Contour{Z: func(x, y float64) float64 { return x*x + y }, XMin: 0, XMax: 4, YMin: 1e-4, YMax: 2, N: 20, Levels: []float64{0.5, 1, 2}}}
	png, svg := filepath.Join(dir, "c.png"), filepath.Join(dir, "c.svg")
	if err := c.Save(png, svg); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(filepath.Join(dir, "c.nope")); err == nil {
		t.Error("unknown format accepted")
	}
	g := filepath.Join(dir, "c.gif")
	if err := SaveGIF(g, []Chart{c, c, c}, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(g)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := gif.DecodeAll(f)
	if err != nil || len(a.Image) != 3 || a.Delay[0] != 10 || a.Delay[2] != 30 {
		t.Fatalf("gif: %v frames, delays %v, %v", len(a.Image), a.Delay, err)
	}
	if err := SaveGIF(g, nil, time.Second); err == nil {
		t.Error("no frames accepted")
	}
}

func TestDecadeTicks(t *testing.T) {
	ticks := decadeTicks{}.Ticks(1e-300, 1)
	labels := 0
	for _, tk := range ticks {
		if tk.Label != "" {
			labels++
		}
	}
	if labels > 12 || labels < 4 {
		t.Errorf("%d labels over 300 decades", labels)
	}
	if got := decadeLabel(-2); got != "0.01" {
		t.Errorf("label %q", got)
	}
	if got := decadeLabel(-9); got != "1e-9" {
		t.Errorf("label %q", got)
	}
}
