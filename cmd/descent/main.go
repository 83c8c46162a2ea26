// Command descent trains neural networks and linear models with the
// optimization methods of deep learning.
//
// Usage:
//
//	descent train [flags]      train a model on MNIST and report each epoch
//	descent compare [flags]    train one model with several optimizers, plot the losses
//	descent optimize [flags]   run an optimizer on a 2-D surface, print its trajectory
//	descent repro NAME|all     reproduce the lecture's experiments with figures and checks
//	descent bench WHAT         measure matmul, memory bandwidth, optimizer steps, training
//	descent linear [flags]     train a linear model on sparse svmlight data
//	descent gen-sparse [flags] write synthetic RCV1-shaped sparse data
//
// Run "descent COMMAND -h" for a command's flags. Usage errors exit with
// status 2, failures with status 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand of descent.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"train", "train a model on MNIST and report each epoch", runTrain},
		{"compare", "train one model with several optimizers and plot their training loss", runCompare},
		{"optimize", "run an optimizer on a 2-D test surface and print its trajectory", runOptimize},
		{"repro", "reproduce the lecture's experiments: figures, reports and checked claims", runRepro},
		{"bench", "measure matmul GFLOP/s, memory bandwidth, optimizer steps and training throughput", runBench},
		{"linear", "train a linear model on sparse svmlight data with SGD, ASGD, Hogwild or a batch method", runLinear},
		{"gen-sparse", "write a synthetic RCV1-shaped document collection in svmlight format", runGenSparse},
	}
}

// usageError marks errors caused by the command line; they exit with 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	usage := func() {
		fmt.Fprintln(stderr, "usage: descent COMMAND [flags]\n\ncommands:")
		for _, c := range commands() {
			fmt.Fprintf(stderr, "  %-10s %s\n", c.name, c.summary)
		}
		fmt.Fprintln(stderr, "\nRun 'descent COMMAND -h' for a command's flags.")
	}
	if len(args) == 0 {
		usage()
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage()
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var ue usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "descent %s: %v\n", c.name, err)
			fmt.Fprintf(stderr, "Run 'descent %s -h' for usage.\n", c.name)
			return 2
		default:
			fmt.Fprintf(stderr, "descent %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "descent: unknown command %q\n", args[0])
	usage()
	return 2
}

// parseFlags parses args into fs, turning parse errors into usage errors.
// Extra positional arguments are rejected.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
