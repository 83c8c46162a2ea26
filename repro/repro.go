// Package repro reproduces the experiments of the lecture "Optimization for
// Deep Learning" on real data: each experiment draws the lecture's figure,
// measures the number behind the lecture's claim and checks it against a
// threshold stated in its report, so that a student can see the result and a
// reviewer can trust it.
//
// An Experiment runs with a Config and returns a Report: the claims, the
// setup (data, model, hyperparameters, seed), the measured values, the
// figures it wrote (PNG and SVG, animated GIF where motion helps) and the
// checks, each PASS or FAIL. Run executes one experiment into Config.Out/NAME
// and writes its report.md there; All lists the experiments in the order of
// the lecture.
package repro

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config configures a run of an experiment.
type Config struct {
	// Out is the root folder: experiment NAME writes into Out/NAME.
	Out string
	// Quick runs the experiment at a reduced size (small data subsets, few
	// steps, few animation frames) so that it finishes in seconds; its
	// checks are the same claims, with the thresholds its report states.
	Quick bool
	// Seed seeds every random choice (initial weights, batch order, data
	// subsets). The default 0 is read as 1.
	Seed uint64
	// MNISTDir is the folder with the MNIST IDX files; "" lets
	// data.MNISTDir find them ($DESCENT_DATA, then the GoMNIST module).
	MNISTDir string
	// Log, if set, receives progress lines (one per stage, not per step).
	Log io.Writer
}

func (c Config) seed() uint64 {
	if c.Seed == 0 {
		return 1
	}
	return c.Seed
}

func (c Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// mode names the size of the run for reports.
func (c Config) mode() string {
	if c.Quick {
		return "quick (--quick: reduced size)"
	}
	return "full size"
}

// Experiment is one result of the lecture, reproduced.
type Experiment interface {
	// Name is the command-line name, e.g. "momentum".
	Name() string
	// Summary is a one-line description for listings.
	Summary() string
	// Run performs the experiment, writing its figures into
	// filepath.Join(cfg.Out, Name()) (which exists), and returns its report.
	// A failed check is not an error: errors are for failures to run
	// (missing data, a cancelled context, an unwritable folder).
	Run(ctx context.Context, cfg Config) (*Report, error)
}

// All returns the experiments in the lecture's order. Each call returns new
// values. A new experiment plugs in by implementing Experiment and adding a
// line here (and leaving Planned).
func All() []Experiment {
	return []Experiment{
		&Momentum{},
		&Surfaces{},
		NewLogReg(),
		NewMLP(),
		&Bottou{},
		&BatchNorm{},
	}
}

// Planned lists experiments that are asked for but not built yet, with what
// they wait for; Lookup names them in its error. It is empty now.
func Planned() map[string]string {
	return map[string]string{}
}

// Names returns the names of All, in order.
func Names() []string {
	var names []string
	for _, e := range All() {
		names = append(names, e.Name())
	}
	return names
}

// ErrUnknown is wrapped by Lookup's error for a name that is no experiment.
var ErrUnknown = errors.New("unknown experiment")

// Lookup returns the experiment called name.
func Lookup(name string) (Experiment, error) {
	for _, e := range All() {
		if e.Name() == name {
			return e, nil
		}
	}
	if what, ok := Planned()[name]; ok {
		return nil, fmt.Errorf("%w %q: not built yet: %s", ErrUnknown, name, what)
	}
	return nil, fmt.Errorf("%w %q; want one of %s, or all", ErrUnknown, name, strings.Join(Names(), ", "))
}

// Run creates cfg.Out/NAME, runs e there, and writes the report as
// report.md. The report's Elapsed is the wall time of the run. The report is
// returned with the error when one occurs after the experiment ran (writing
// report.md).
func Run(ctx context.Context, e Experiment, cfg Config) (*Report, error) {
	dir := filepath.Join(cfg.Out, e.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("repro %s: %w", e.Name(), err)
	}
	start := time.Now()
	rep, err := e.Run(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("repro %s: %w", e.Name(), err)
	}
	rep.Elapsed = time.Since(start)
	rep.Quick = cfg.Quick
	if err := rep.Write(dir); err != nil {
		return rep, fmt.Errorf("repro %s: %w", e.Name(), err)
	}
	return rep, nil
}
