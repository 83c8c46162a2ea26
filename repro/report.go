package repro

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/descent-ml/descent/internal/atomicfile"
)

// Check is one claim tested against a measurement.
type Check struct {
	// ID names the check within its experiment, e.g. "ripple-rate".
	ID string
	// Claim states what is claimed, in words.
	Claim string
	// Measured is the measured value, formatted with Unit.
	Measured float64
	// Unit, if set, follows the measured value ("steps", "%").
	Unit string
	// Detail, if set, qualifies the measurement (e.g. the worst case).
	Detail string
	// Threshold states the criterion that Measured must meet.
	Threshold string
	// Pass reports whether it does.
	Pass bool
}

// AtMost checks measured ≤ limit.
func AtMost(id, claim string, measured, limit float64, unit string) Check {
	return Check{ID: id, Claim: claim, Measured: measured, Unit: unit,
		Threshold: "≤ " + withUnit(num(limit), unit), Pass: measured <= limit}
}

// AtLeast checks measured ≥ limit.
func AtLeast(id, claim string, measured, limit float64, unit string) Check {
	return Check{ID: id, Claim: claim, Measured: measured, Unit: unit,
		Threshold: "≥ " + withUnit(num(limit), unit), Pass: measured >= limit}
}

// Below checks measured < limit, where what names the limit (e.g. "SGD's
// 412 steps").
func Below(id, claim string, measured, limit float64, unit, what string) Check {
	return Check{ID: id, Claim: claim, Measured: measured, Unit: unit,
		Threshold: "< " + what, Pass: measured < limit}
}

// Within checks |measured − target| ≤ tol·|target|; what names the target
// (e.g. "√β").
func Within(id, claim string, measured, target, tol float64, what string) Check {
	return Check{ID: id, Claim: claim, Measured: measured,
		Threshold: fmt.Sprintf("within %s%% of %s = %s", num(100*tol), what, num(target)),
		Pass:      math.Abs(measured-target) <= tol*math.Abs(target)}
}

// Holds records a yes/no claim whose measured value is the count of
// violations: it passes when violations == 0.
func Holds(id, claim string, violations int, unit string) Check {
	return Check{ID: id, Claim: claim, Measured: float64(violations), Unit: unit,
		Threshold: "= 0", Pass: violations == 0}
}

// Status is "PASS" or "FAIL".
func (c Check) Status() string {
	if c.Pass {
		return "PASS"
	}
	return "FAIL"
}

// MeasuredText is the measured value with its unit and detail.
func (c Check) MeasuredText() string {
	s := withUnit(num(c.Measured), c.Unit)
	if c.Detail != "" {
		s += " (" + c.Detail + ")"
	}
	return s
}

// Line is the check as one line of output:
//
//	PASS momentum/ripple-rate: CLAIM: measured 0.9487 (want within 5% of √β = 0.9487)
func (c Check) Line(experiment string) string {
	return fmt.Sprintf("%s %s/%s: %s: measured %s (want %s)", c.Status(), experiment, c.ID, c.Claim, c.MeasuredText(), c.Threshold)
}

func withUnit(v, unit string) string {
	switch {
	case unit == "":
		return v
	case unit == "%" || strings.HasPrefix(unit, "×"):
		return v + unit
	}
	return v + " " + unit
}

// num formats a number with four significant digits, without exponent
// noise for ordinary magnitudes.
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "−∞"
	case v == math.Trunc(v) && math.Abs(v) < 1e7:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4g", v)
}

// Setting is one line of a report's setup: "Data: MNIST, 60000 examples".
type Setting struct {
	Key, Value string
}

// Table is a Markdown table.
type Table struct {
	Header []string
	Rows   [][]string
}

// AddRow appends a row of cells.
func (t *Table) AddRow(cells ...string) { t.Rows = append(t.Rows, cells) }

// Markdown renders the table.
func (t Table) Markdown() string {
	var b strings.Builder
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + cell(c) + " |")
		}
		b.WriteString("\n")
	}
	row(t.Header)
	b.WriteString("|")
	for range t.Header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		row(r)
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

// Saver draws a figure into files whose extension picks the format:
// figure.Plot and Chart.
type Saver interface {
	Save(paths ...string) error
}

// Report is the outcome of an experiment: what the lecture claims, how it
// was measured, the figures and the checks. Its Markdown is report.md.
type Report struct {
	// Name is the experiment's name, Title the report's heading.
	Name, Title string
	// Intro is the lecture's result in a paragraph, with its source.
	Intro string
	// Setup lists the data, model, hyperparameters and seed.
	Setup []Setting
	// Checks are the claims with their measurements.
	Checks []Check
	// Files lists the files the experiment wrote, relative to its folder.
	Files []string
	// Elapsed is the wall time of the run and Quick its mode; Run sets them.
	Elapsed time.Duration
	Quick   bool

	dir    string
	blocks []string
}

// NewReport starts the report of experiment name, whose files go into
// cfg.Out/name.
func NewReport(cfg Config, name, title string) *Report {
	return &Report{Name: name, Title: title, dir: filepath.Join(cfg.Out, name)}
}

// Dir is the folder of the experiment's files.
func (r *Report) Dir() string { return r.dir }

// Set adds a line to the setup.
func (r *Report) Set(key, format string, args ...any) {
	r.Setup = append(r.Setup, Setting{key, fmt.Sprintf(format, args...)})
}

// Check adds checks.
func (r *Report) Check(c ...Check) { r.Checks = append(r.Checks, c...) }

// Heading starts a section of the body.
func (r *Report) Heading(h string) { r.blocks = append(r.blocks, "## "+h+"\n") }

// Text adds a Markdown paragraph to the body.
func (r *Report) Text(format string, args ...any) {
	r.blocks = append(r.blocks, strings.TrimSpace(fmt.Sprintf(format, args...))+"\n")
}

// Table adds a table to the body.
func (r *Report) Table(t Table) { r.blocks = append(r.blocks, t.Markdown()) }

// Figure draws fig into base.png and base.svg in the experiment's folder and
// shows the PNG in the body with the caption, linking the SVG.
func (r *Report) Figure(base, caption string, fig Saver) error {
	png, svg := base+".png", base+".svg"
	if err := fig.Save(filepath.Join(r.dir, png), filepath.Join(r.dir, svg)); err != nil {
		return fmt.Errorf("figure %s: %w", base, err)
	}
	r.Files = append(r.Files, png, svg)
	r.blocks = append(r.blocks, fmt.Sprintf("![%s](%s)\n\n*%s* ([SVG](%s))\n", cell(caption), png, caption, svg))
	return nil
}

// Animation writes the frames as base.gif (see SaveGIF) and shows it with
// the caption.
func (r *Report) Animation(base, caption string, frames []Chart, delay time.Duration) error {
	name := base + ".gif"
	if err := SaveGIF(filepath.Join(r.dir, name), frames, delay); err != nil {
		return fmt.Errorf("animation %s: %w", base, err)
	}
	r.Files = append(r.Files, name)
	r.blocks = append(r.blocks, fmt.Sprintf("![%s](%s)\n\n*%s*\n", cell(caption), name, caption))
	return nil
}

// Passed reports whether every check passed.
func (r *Report) Passed() bool {
	return r.Failed() == 0
}

// Failed counts the failed checks.
func (r *Report) Failed() int {
	n := 0
	for _, c := range r.Checks {
		if !c.Pass {
			n++
		}
	}
	return n
}

// Markdown renders the report: the claim, the verdict, the setup, a table of
// the checks (claim, measured value, threshold, PASS/FAIL), then the body
// with its figures.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	if r.Intro != "" {
		fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace(r.Intro))
	}
	verdict := "all pass"
	if f := r.Failed(); f > 0 {
		verdict = fmt.Sprintf("%d FAIL", f)
	}
	mode, flag := "full size", ""
	if r.Quick {
		mode, flag = "quick mode (reduced size)", " --quick"
	}
	fmt.Fprintf(&b, "**%d checks, %s.** Reproduce with `descent repro %s%s`; this run took %s at %s.\n\n",
		len(r.Checks), verdict, r.Name, flag, r.Elapsed.Round(100*time.Millisecond), mode)
	b.WriteString("## Setup\n\n")
	for _, s := range r.Setup {
		fmt.Fprintf(&b, "- **%s:** %s\n", s.Key, s.Value)
	}
	b.WriteString("\n## Checks\n\n")
	t := Table{Header: []string{"", "claim", "measured", "threshold"}}
	for _, c := range r.Checks {
		t.AddRow("**"+c.Status()+"**", c.Claim, c.MeasuredText(), c.Threshold)
	}
	b.WriteString(t.Markdown())
	for _, blk := range r.blocks {
		b.WriteString("\n")
		b.WriteString(blk)
	}
	return b.String()
}

// Write writes the report as report.md into dir, atomically.
func (r *Report) Write(dir string) error {
	return atomicfile.WriteBytes(filepath.Join(dir, "report.md"), []byte(r.Markdown()))
}

// Index renders a Markdown page linking the reports of a run of several
// experiments, relative to their common root folder.
func Index(reports []*Report) string {
	var b strings.Builder
	b.WriteString("# descent repro: the lecture's experiments\n\n")
	t := Table{Header: []string{"experiment", "checks", "result", "time"}}
	for _, r := range reports {
		res := "all pass"
		if f := r.Failed(); f > 0 {
			res = fmt.Sprintf("**%d FAIL**", f)
		}
		t.AddRow(fmt.Sprintf("[%s](%s/report.md): %s", r.Name, r.Name, r.Title), fmt.Sprint(len(r.Checks)), res, r.Elapsed.Round(100*time.Millisecond).String())
	}
	b.WriteString(t.Markdown())
	return b.String()
}
