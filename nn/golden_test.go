package nn

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/descent-ml/descent/autograd"
	"github.com/descent-ml/descent/tensor"
)

// goldenTensor is a tensor as scripts/golden_layers.py writes it.
type goldenTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func (g goldenTensor) tensor() *tensor.Tensor[float64] {
	return tensor.FromSlice(append([]float64(nil), g.Data...), g.Shape...)
}

// goldenCase is one layer, mode and input with PyTorch's results.
type goldenCase struct {
	Name       string                  `json:"name"`
	Layer      string                  `json:"layer"`
	Config     map[string]any          `json:"config"`
	Train      bool                    `json:"train"`
	Params     map[string]goldenTensor `json:"params"`
	PreInputs  []goldenTensor          `json:"pre_inputs"`
	Input      goldenTensor            `json:"input"`
	Upstream   goldenTensor            `json:"upstream"`
	Output     goldenTensor            `json:"output"`
	InputGrad  goldenTensor            `json:"input_grad"`
	ParamGrads map[string]goldenTensor `json:"param_grads"`
	Buffers    map[string]goldenTensor `json:"buffers"`
}

func loadGolden(t *testing.T) []goldenCase {
	t.Helper()
	b, err := os.ReadFile("testdata/golden_layers.json")
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 scripts/golden_layers.py)", err)
	}
	var f struct {
		Cases []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Cases
}

// cfgInt and friends read the JSON configuration of a case.
func cfgInt(c map[string]any, k string) int { return int(c[k].(float64)) }
func cfgPair(c map[string]any, k string) [2]int {
	v := c[k].([]any)
	return [2]int{int(v[0].(float64)), int(v[1].(float64))}
}
func cfgInts(c map[string]any, k string) []int {
	var out []int
	for _, v := range c[k].([]any) {
		out = append(out, int(v.(float64)))
	}
	return out
}
func cfgBool(c map[string]any, k string) bool     { return c[k].(bool) }
func cfgFloat(c map[string]any, k string) float64 { return c[k].(float64) }

// goldenLayer builds the descent layer of a case.
func goldenLayer(t *testing.T, gc goldenCase) Module[float64] {
	c := gc.Config
	conv := func() *Conv2D[float64] {
		cfg := Conv2DConfig{In: cfgInt(c, "in"), Out: cfgInt(c, "out"), Kernel: cfgPair(c, "kernel"),
			Stride: cfgPair(c, "stride"), Padding: cfgPair(c, "padding"), NoBias: !cfgBool(c, "bias")}
		if _, ok := c["dilation"]; ok {
			cfg.Dilation = cfgPair(c, "dilation")
		}
		if _, ok := c["groups"]; ok {
			cfg.Groups = cfgInt(c, "groups")
		}
		return NewConv2D(nil, cfg, Zeros[float64])
	}
	pool := func() PoolOptions {
		return PoolOptions{Kernel: cfgPair(c, "kernel"), Stride: cfgPair(c, "stride"), Padding: cfgPair(c, "padding"),
			Dilation: cfgPair(c, "dilation"), ExcludePad: cfgBool(c, "exclude_pad")}
	}
	switch gc.Layer {
	case "conv2d":
		return conv()
	case "maxpool2d":
		return NewMaxPool2D[float64](pool())
	case "avgpool2d":
		return NewAvgPool2D[float64](pool())
	case "batchnorm":
		var b *BatchNorm[float64]
		if cfgBool(c, "affine") {
			b = NewBatchNorm[float64](cfgInt(c, "features"))
		} else {
			b = NewBatchNormNoAffine[float64](cfgInt(c, "features"))
		}
		b.Eps = cfgFloat(c, "eps")
		if m, ok := c["momentum"].(float64); ok {
			b.Momentum = m
		} else {
			b.Momentum = 0 // PyTorch's momentum=None: cumulative average
		}
		return b
	case "batchrenorm":
		b := NewBatchRenorm[float64](cfgInt(c, "features"), RenormSchedule{
			RMax: cfgFloat(c, "rmax"), DMax: cfgFloat(c, "dmax"),
			Warmup: cfgInt(c, "warmup"), RMaxAt: cfgInt(c, "rmax_at"), DMaxAt: cfgInt(c, "dmax_at"),
		})
		b.Eps, b.Momentum = cfgFloat(c, "eps"), cfgFloat(c, "momentum")
		return b
	case "layernorm":
		l := NewLayerNorm[float64](cfgInts(c, "shape")...)
		l.Eps = cfgFloat(c, "eps")
		return l
	case "groupnorm":
		g := NewGroupNorm[float64](cfgInt(c, "groups"), cfgInt(c, "channels"))
		g.Eps = cfgFloat(c, "eps")
		return g
	case "instancenorm":
		g := NewInstanceNorm[float64](cfgInt(c, "channels"), cfgBool(c, "affine"))
		g.Eps = cfgFloat(c, "eps")
		return g
	case "weightnorm-linear":
		return NewWeightNorm[float64](NewLinear(nil, cfgInt(c, "in"), cfgInt(c, "out"), Ones[float64], cfgBool(c, "bias")))
	case "weightnorm-conv2d":
		return NewWeightNorm[float64](conv())
	case "dropout":
		return NewDropout[float64](cfgFloat(c, "p"), rand.New(rand.NewPCG(1, 2)))
	}
	t.Fatalf("unknown layer %q", gc.Layer)
	return nil
}

// relErrNorm is ‖a − b‖/max(‖a‖, ‖b‖), 0 for two zero vectors.
func relErrNorm(a, b []float64) float64 {
	var d, na, nb float64
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	if d == 0 {
		return 0
	}
	return math.Sqrt(d) / math.Sqrt(math.Max(na, nb))
}

// TestGoldenLayers compares every layer's output, input gradient,
// parameter gradients and running statistics with PyTorch's, in training
// and evaluation mode, to a relative error of 1e-4 (the values agree to
// about 1e-15 in float64).
func TestGoldenLayers(t *testing.T) {
	const tol = 1e-4
	cases := loadGolden(t)
	if len(cases) < 40 {
		t.Fatalf("only %d golden cases", len(cases))
	}
	seen := map[string]bool{}
	worst := 0.0
	for _, gc := range cases {
		seen[gc.Layer] = true
		t.Run(gc.Name, func(t *testing.T) {
			layer := goldenLayer(t, gc)
			params := map[string]*Parameter[float64]{}
			for _, p := range layer.Parameters() {
				params[p.Name] = p
			}
			if len(params) != len(gc.Params) {
				t.Fatalf("descent has parameters %v, PyTorch %v", keys(params), keys(gc.Params))
			}
			for name, v := range gc.Params {
				p, ok := params[name]
				if !ok {
					t.Fatalf("no parameter %q in %v", name, keys(params))
				}
				if p.Value.Len() != len(v.Data) {
					t.Fatalf("parameter %q has shape %v, PyTorch's %v", name, p.Value.Shape, v.Shape)
				}
				copy(p.Value.Data, v.Data)
			}
			tp := autograd.NewTape[float64]()
			SetTraining(layer, true)
			for _, x := range gc.PreInputs {
				tp.Reset()
				layer.Forward(tp, tp.Const(x.tensor()))
			}
			SetTraining(layer, gc.Train)
			tp.Reset()
			x := tp.Leaf(gc.Input.tensor())
			y := layer.Forward(tp, x)
			if !tensor.SameShape(y.Shape(), gc.Output.Shape) {
				t.Fatalf("output shape %v, PyTorch's %v", y.Shape(), gc.Output.Shape)
			}
			tp.Backward(tp.Sum(tp.Mul(y, tp.Const(gc.Upstream.tensor()))))
			check := func(what string, got []float64, want goldenTensor) {
				t.Helper()
				if len(got) != len(want.Data) {
					t.Errorf("%s: %d values, PyTorch %d", what, len(got), len(want.Data))
					return
				}
				e := relErrNorm(got, want.Data)
				worst = math.Max(worst, e)
				if e > tol {
					t.Errorf("%s: relative error %.3g > %g", what, e, tol)
				}
			}
			check("output", y.Value.Data, gc.Output)
			check("input gradient", x.Grad.Data, gc.InputGrad)
			for name, g := range gc.ParamGrads {
				check("gradient of "+name, params[name].Grad.Data, g)
			}
			bufs := map[string]*tensor.Tensor[float64]{}
			if b, ok := layer.(Bufferer[float64]); ok {
				bufs = b.Buffers()
			}
			for name, want := range gc.Buffers {
				got, ok := bufs[name]
				if !ok {
					t.Errorf("no buffer %q", name)
					continue
				}
				check(name, got.Data, want)
			}
		})
	}
	for _, l := range []string{"conv2d", "maxpool2d", "avgpool2d", "batchnorm", "batchrenorm", "layernorm", "groupnorm", "instancenorm", "weightnorm-linear", "weightnorm-conv2d", "dropout"} {
		if !seen[l] {
			t.Errorf("no golden case for %s", l)
		}
	}
	t.Logf("%d cases, largest relative error %.3g", len(cases), worst)
}

func keys[V any](m map[string]V) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return fmt.Sprint(strings.Join(ks, ","))
}
