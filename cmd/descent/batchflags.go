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
	build32 := func() optim.Method[float32] {
		switch name {
		case "gd":
			if lr > 0 && ls == nil {
				return &optim.GradientDescent[float32]{Step: lr}
			}
			return &optim.GradientDescent[float32]{Step: lr, LineSearch: orDefault(ls, &optim.Backtracking{})}
		case "lbfgs":
			return &optim.LBFGS[float32]{Memory: b.memory, LineSearch: ls}
		case "cg":
			return &optim.ConjugateGradient[float32]{Variant: variant, LineSearch: ls}
		case "newton":
			return &optim.Newton[float32]{LineSearch: ls, Pure: b.pure}
		default:
			return &optim.NewtonCG[float32]{LineSearch: ls}
		}
	}
	build64 := func() optim.Method[float64] {
		switch name {
		case "gd":
			if lr > 0 && ls == nil {
				return &optim.GradientDescent[float64]{Step: lr}
			}
			return &optim.GradientDescent[float64]{Step: lr, LineSearch: orDefault(ls, &optim.Backtracking{})}
		case "lbfgs":
			return &optim.LBFGS[float64]{Memory: b.memory, LineSearch: ls}
		case "cg":
			return &optim.ConjugateGradient[float64]{Variant: variant, LineSearch: ls}
		case "newton":
			return &optim.Newton[float64]{LineSearch: ls, Pure: b.pure}
		default:
			return &optim.NewtonCG[float64]{LineSearch: ls}
		}
	}
	return build32(), build64(), nil
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
