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
}

func (f *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.model, "model", "mlp", "model: logreg (multinomial logistic regression) or mlp")
	fs.StringVar(&f.hidden, "hidden", "256,256", "hidden layer sizes of the mlp, comma-separated")
}

// validate checks the model flags, returning usage errors that name the flag.
func (f *modelFlags) validate() error {
	switch f.model {
	case "logreg":
	case "mlp":
		if _, err := parseSizes(f.hidden); err != nil {
			return usagef("--hidden %q: %v", f.hidden, err)
		}
	default:
		return usagef("--model %q: want logreg or mlp", f.model)
	}
	return nil
}

// build returns the model for examples of the given shape and class count,
// with weights drawn from rng.
func (f *modelFlags) build(rng *rand.Rand, shape []int, classes int) (nn.Module[float32], error) {
	var hidden []int
	init := nn.XavierUniform[float32]
	if f.model == "mlp" {
		var err error
		if hidden, err = parseSizes(f.hidden); err != nil {
			return nil, usagef("--hidden %q: %v", f.hidden, err)
		}
		init = nn.HeNormal[float32]
	}
	sizes := append(append([]int{tensor.Numel(shape)}, hidden...), classes)
	return nn.MLP(rng, sizes, nn.ReLU[float32], init), nil
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
