package main

import (
	"flag"
	"slices"
	"strings"

	"github.com/descent-ml/descent/optim"
)

// batchFlags configure the full-batch methods (gd, lbfgs, cg, newton,
// newton-cg) in optimize and train.
type batchFlags struct {
	lineSearch, cgVariant string
	memory                int
	pure                  bool
}

func (b *batchFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.lineSearch, "line-search", "", "line search of the full-batch methods: backtracking (Armijo) or wolfe (Moré–Thuente); default: the method's (backtracking for gd and newton, wolfe for lbfgs and cg)")
	fs.IntVar(&b.memory, "memory", 10, "L-BFGS memory m (pairs kept)")
	fs.StringVar(&b.cgVariant, "cg-variant", "pr+", "nonlinear CG: pr+ (Polak–Ribière+ with restarts), fr (Fletcher–Reeves) or hs (Hestenes–Stiefel)")
	fs.BoolVar(&b.pure, "newton-pure", false, "textbook Newton step x − H⁻¹∇f without line search or safeguard (it is attracted by saddles)")
}

// isBatchMethod reports whether name is a full-batch method.
func isBatchMethod(name string) bool { return slices.Contains(optim.MethodNames(), name) }

// method builds the full-batch method called name. lr, if positive, makes
// gd take fixed steps of that size.
func (b *batchFlags) method(name string, lr float64) (optim.Method[float32], optim.Method[float64], error) {
	var ls optim.LineSearch
	switch b.lineSearch {
	case "":
	case "backtracking", "armijo":
		ls = &optim.Backtracking{}
	case "wolfe", "strong-wolfe":
		ls = &optim.StrongWolfe{}
	default:
		return nil, nil, usagef("--line-search %q: want backtracking or wolfe", b.lineSearch)
	}
	if b.memory < 1 {
		return nil, nil, usagef("--memory %d: want at least 1", b.memory)
	}
	variant, err := optim.ParseCGVariant(b.cgVariant)
	if err != nil {
		return nil, nil, usagef("--cg-variant: %v", err)
	}
	return buildMethod[float32](name, lr, ls, b, variant), buildMethod[float64](name, lr, ls, b, variant), nil
}

// buildMethod returns the full-batch method called name for element type T.
func buildMethod[T optim.Float](name string, lr float64, ls optim.LineSearch, b *batchFlags, variant optim.CGVariant) optim.Method[T] {
	switch name {
	case "gd":
		if lr > 0 && ls == nil {
			return &optim.GradientDescent[T]{Step: lr}
		}
		return &optim.GradientDescent[T]{Step: lr, LineSearch: orDefault(ls, &optim.Backtracking{})}
	case "lbfgs":
		return &optim.LBFGS[T]{Memory: b.memory, LineSearch: ls}
	case "cg":
		return &optim.ConjugateGradient[T]{Variant: variant, LineSearch: ls}
	case "newton":
		return &optim.Newton[T]{LineSearch: ls, Pure: b.pure}
	default:
		return &optim.NewtonCG[T]{LineSearch: ls}
	}
}

// fixedStep returns --lr when it was given (validated), else 0: gd then
// takes fixed steps of that size instead of searching.
func fixedStep(f *optFlags) (float64, error) {
	if !f.set("lr") {
		return 0, nil
	}
	if !(f.lr > 0) || !finite(f.lr) {
		return 0, usagef("--lr %v: want a positive finite number", f.lr)
	}
	return f.lr, nil
}

func orDefault(ls, def optim.LineSearch) optim.LineSearch {
	if ls == nil {
		return def
	}
	return ls
}

// methodList is the help text listing every optimizer name.
func methodList() string {
	return strings.Join(append(optim.Names(), optim.MethodNames()...), ", ")
}
