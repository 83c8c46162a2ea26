package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/internal/atomicfile"
	"github.com/descent-ml/descent/repro"
)

// runRepro runs descent repro: one of the lecture's experiments, or all of
// them, writing figures and a report per experiment and printing one line
// per check.
func runRepro(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("repro", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		out, dataDir string
		quick, list  bool
		seed         uint64
	)
	fs.StringVar(&out, "out", "repro-out", "folder for the results: experiment NAME writes DIR/NAME/report.md and its figures")
	fs.BoolVar(&quick, "quick", false, "run at a reduced size (small data subsets, few steps) in seconds; the same checks")
	fs.Uint64Var(&seed, "seed", 1, "seed of every random choice (initial weights, batch order, subsets)")
	fs.StringVar(&dataDir, "data-dir", "", "folder with the MNIST IDX files (default: $"+data.EnvDataDir+", then the GoMNIST module)")
	fs.BoolVar(&list, "list", false, "list the experiments and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: descent repro NAME|all [flags]\n\nReproduces an experiment of the lecture: draws its figures (PNG, SVG, GIF), writes a\nMarkdown report with the measured numbers into DIR/NAME/, and prints one line per check,\nPASS or FAIL with the claim and the measured value. Exits with status 1 if a check fails.\n\nexperiments:")
		for _, e := range repro.All() {
			fmt.Fprintf(stderr, "  %-10s %s\n", e.Name(), e.Summary())
		}
		fmt.Fprintf(stderr, "  %-10s %s\n\nflags:\n", "all", "every experiment above, in order, with an index DIR/README.md")
		fs.PrintDefaults()
	}
	name, err := parseReproArgs(fs, args)
	if err != nil {
		return err
	}
	if list {
		for _, e := range repro.All() {
			fmt.Fprintf(stdout, "%-10s %s\n", e.Name(), e.Summary())
		}
		planned := repro.Planned()
		names := make([]string, 0, len(planned))
		for n := range planned {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(stdout, "%-10s (not built yet) %s\n", n, planned[n])
		}
		return nil
	}
	if name == "" {
		return usagef("missing the experiment: want one of %s, or all", strings.Join(repro.Names(), ", "))
	}
	var exps []repro.Experiment
	if name == "all" {
		exps = repro.All()
	} else {
		e, err := repro.Lookup(name)
		if err != nil {
			return usageError{err}
		}
		exps = []repro.Experiment{e}
	}
	cfg := repro.Config{Out: out, Quick: quick, Seed: seed, MNISTDir: dataDir, Log: stderr}
	return runExperiments(ctx, exps, cfg, name == "all", stdout, stderr)
}

// parseReproArgs parses the flags, which may come before or after the
// experiment's name, and returns the name ("" if none).
func parseReproArgs(fs *flag.FlagSet, args []string) (string, error) {
	name := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := parseFlagsAllowArg(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		if name != "" {
			return "", usagef("unexpected argument %q: name one experiment, or all", fs.Arg(0))
		}
		name = fs.Arg(0)
		if err := parseFlags(fs, fs.Args()[1:]); err != nil {
			return "", err
		}
	}
	return name, nil
}

// parseFlagsAllowArg parses args into fs, turning parse errors into usage
// errors and leaving positional arguments in fs.Args().
func parseFlagsAllowArg(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}

// runExperiments runs exps in order, printing each check's line on stdout
// and progress on stderr. An experiment that fails to run is reported and
// the others still run. It returns an error if a check failed or an
// experiment could not run; with index set it writes cfg.Out/README.md
// linking the reports.
func runExperiments(ctx context.Context, exps []repro.Experiment, cfg repro.Config, index bool, stdout, stderr io.Writer) error {
	var reports []*repro.Report
	var failed, checks int
	var broken []string
	for _, e := range exps {
		fmt.Fprintf(stderr, "descent repro: running %s\n", e.Name())
		rep, err := repro.Run(ctx, e, cfg)
		if rep != nil {
			for _, c := range rep.Checks {
				fmt.Fprintln(stdout, c.Line(rep.Name))
			}
			checks += len(rep.Checks)
			failed += rep.Failed()
			reports = append(reports, rep)
		}
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(stderr, "descent repro: %v\n", err)
			broken = append(broken, e.Name())
			continue
		}
		fmt.Fprintf(stderr, "descent repro: %s: %d checks, %d failed, %.1fs; report %s\n", e.Name(), len(rep.Checks), rep.Failed(),
			rep.Elapsed.Seconds(), filepath.Join(cfg.Out, e.Name(), "report.md"))
	}
	if index && len(reports) > 0 {
		path := filepath.Join(cfg.Out, "README.md")
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		if err := atomicfile.WriteBytes(path, []byte(repro.Index(reports))); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "descent repro: index %s\n", path)
	}
	switch {
	case len(broken) > 0 && failed > 0:
		return fmt.Errorf("%s did not run, and %d of %d checks failed", strings.Join(broken, ", "), failed, checks)
	case len(broken) > 0:
		return fmt.Errorf("%s did not run", strings.Join(broken, ", "))
	case failed > 0:
		return fmt.Errorf("%d of %d checks failed", failed, checks)
	}
	return nil
}
