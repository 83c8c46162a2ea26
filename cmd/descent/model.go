package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/nn"
	"github.com/descent-ml/descent/tensor"
)

// modelFlags choose the network that train and compare build.
type modelFlags struct {
	model, hidden string
	norm, init    string
	dropout       float64
}

func (f *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.model, "model", "mlp", "model: logreg (multinomial logistic regression), mlp, or cnn (conv 5×5·32, max-pool 2, conv 5×5·64, max-pool 2, fully connected 128)")
	fs.StringVar(&f.hidden, "hidden", "256,256", "hidden layer sizes of the mlp, comma-separated")
	fs.StringVar(&f.norm, "norm", "none", "normalization after each hidden layer of the mlp or cnn: "+normNames())
	fs.StringVar(&f.init, "init", "", "weight initializer: "+strings.Join(nn.InitNames(), ", ")+", or constant:C (default he-normal for mlp, xavier-uniform for cnn and logreg)")
	fs.Float64Var(&f.dropout, "dropout", 0, "dropout probability after each hidden fully connected layer of the mlp or cnn, in [0, 1)")
}

func normNames() string {
	var names []string
	for _, n := range nn.Norms() {
		names = append(names, string(n))
	}
	return strings.Join(names, ", ")
}

// validate checks the model flags, returning usage errors that name the flag.
func (f *modelFlags) validate() error {
	switch f.model {
	case "logreg", "cnn":
	case "mlp":
		if _, err := parseSizes(f.hidden); err != nil {
			return usagef("--hidden %q: %v", f.hidden, err)
		}
	default:
		return usagef("--model %q: want logreg, mlp or cnn", f.model)
	}
	norm, err := nn.ParseNorm(f.norm)
	if err != nil {
		return usagef("--norm %q: want one of %s", f.norm, normNames())
	}
	switch {
	case f.model == "logreg" && norm != nn.NormNone:
		return usagef("--norm %s: logreg has no hidden layer to normalize; use --model mlp or cnn", f.norm)
	case f.model == "mlp" && norm == nn.NormInstance:
		return usagef("--norm instance: needs the spatial dimensions of --model cnn; an mlp's hidden units have none")
	}
	if f.init != "" {
		if _, ok := nn.InitByName[float32](f.init); !ok {
			return usagef("--init %q: want one of %s, or constant:C", f.init, strings.Join(nn.InitNames(), ", "))
		}
	}
	switch {
	case !(f.dropout >= 0 && f.dropout < 1):
		return usagef("--dropout %v: want a probability in [0, 1)", f.dropout)
	case f.dropout > 0 && f.model == "logreg":
		return usagef("--dropout %v: logreg has no hidden layer; use --model mlp or cnn", f.dropout)
	}
	return nil
}

// build returns the model for examples of the given shape and class count,
// with weights drawn from rng (and dropout masks from a source seeded by
// it).
func (f *modelFlags) build(rng *rand.Rand, shape []int, classes int) (nn.Module[float32], error) {
	norm, err := nn.ParseNorm(f.norm)
	if err != nil {
		return nil, usagef("--norm %q: want one of %s", f.norm, normNames())
	}
	initName := f.init
	if initName == "" {
		initName = "he-normal"
		if f.model != "mlp" {
			initName = "xavier-uniform"
		}
	}
	init, ok := nn.InitByName[float32](initName)
	if !ok {
		return nil, usagef("--init %q: want one of %s, or constant:C", f.init, strings.Join(nn.InitNames(), ", "))
	}
	cfg := nn.ModelConfig[float32]{Norm: norm, Init: init, Dropout: f.dropout}
	switch f.model {
	case "logreg":
		return nn.MLP(rng, []int{tensor.Numel(shape), classes}, nn.ReLU[float32], init), nil
	case "cnn":
		if len(shape) != 3 || shape[1] < 16 || shape[2] < 16 {
			return nil, usagef("--model cnn: examples of shape %v are not images of at least 16×16 pixels (want channels×height×width)", shape)
		}
		return nn.CNN(rng, shape, classes, cfg), nil
	}
	hidden, err := parseSizes(f.hidden)
	if err != nil {
		return nil, usagef("--hidden %q: %v", f.hidden, err)
	}
	sizes := append(append([]int{tensor.Numel(shape)}, hidden...), classes)
	return nn.NormMLP(rng, sizes, cfg), nil
}

// parseSizes parses a comma-separated list of positive layer sizes; the
// empty string is no hidden layer.
func parseSizes(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var sizes []int
	for i, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("item %d (%q) is not a positive integer; want sizes like 256,256", i+1, part)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// describe names the model briefly, for figure titles: "mlp 256,256",
// "cnn", "logreg", with the normalization if any.
func (f *modelFlags) describe() string {
	d := f.model
	if f.model == "mlp" {
		d += " " + f.hidden
	}
	if f.norm != "" && f.norm != "none" {
		d += ", " + f.norm + " norm"
	}
	return d
}
