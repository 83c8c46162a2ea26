package optim

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

// golden is optim/testdata/torch_optim.json, written by
// scripts/golden_optim.py with torch.optim (PyTorch 1.13).
type golden struct {
	Shapes     [][]int     `json:"shapes"`
	A, B, W0   []float64   `json:"-"`
	RawA       []float64   `json:"a"`
	RawB       []float64   `json:"b"`
	RawW0      []float64   `json:"w0"`
	Steps      int         `json:"steps"`
	Noise      [][]float64 `json:"noise"`
	Optimizers []struct {
		Name       string         `json:"name"`
		Hyper      map[string]any `json:"hyper"`
		Trajectory []struct {
			Step int       `json:"step"`
			W    []float64 `json:"w"`
		} `json:"trajectory"`
	} `json:"optimizers"`
	Schedules []struct {
		Spec  string    `json:"spec"`
		LR    float64   `json:"lr"`
		Rates []float64 `json:"rates"`
	} `json:"schedules"`
}

func loadGolden(t *testing.T) *golden {
	t.Helper()
	raw, err := os.ReadFile("testdata/torch_optim.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	g.A, g.B, g.W0 = g.RawA, g.RawB, g.RawW0
	return &g
}

// gradient is the golden problem's gradient at step t (see the script).
func (g *golden) gradient(w, out []float64, t int) {
	for i := range w {
		out[i] = g.A[i]*w[i] + g.B[i] + 0.2*w[i]*w[i]*w[i] + g.Noise[t-1][i]
	}
}

// hyperFrom maps torch.optim's keyword arguments onto Hyper.
func hyperFrom(t *testing.T, name string, kw map[string]any) Hyper {
	t.Helper()
	h, err := Defaults(name)
	if err != nil {
		t.Fatal(err)
	}
	h.Torch113 = true
	for k, v := range kw {
		f, _ := v.(float64)
		switch k {
		case "lr":
			h.LR = f
		case "momentum":
			h.Momentum = f
		case "dampening":
			h.Dampening = f
		case "weight_decay":
			h.WeightDecay = f
		case "eps":
			h.Eps = f
		case "alpha", "rho":
			h.Decay = f
		case "centered":
			h.Centered = v.(bool)
		case "amsgrad":
			h.AMSGrad = v.(bool)
		case "lr_decay":
			h.LRDecay = f
		case "initial_accumulator_value":
			h.InitialAccumulator = f
		case "momentum_decay":
			h.MomentumDecay = f
		case "betas":
			b := v.([]any)
			h.B1, h.B2 = b[0].(float64), b[1].(float64)
		case "clip_norm":
			h.ClipNorm = f
		case "clip_value":
			h.ClipValue = f
		case "schedule":
			s, err := ScheduleByName(v.(string), h.LR)
			if err != nil {
				t.Fatal(err)
			}
			h.Schedule = s
		default:
			t.Fatalf("golden hyperparameter %q not mapped", k)
		}
	}
	return h
}

func relErr(a, b []float64) float64 {
	var d, n float64
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
		n = math.Max(n, math.Abs(b[i]))
	}
	return d / math.Max(n, 1e-300)
}

func TestMatchesTorchOptim(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Optimizers {
		key, _ := json.Marshal(c.Hyper)
		t.Run(c.Name+string(key), func(t *testing.T) {
			opt, err := New[float64](c.Name, hyperFrom(t, c.Name, c.Hyper))
			if err != nil {
				t.Fatal(err)
			}
			w := append([]float64(nil), g.W0...)
			grad := make([]float64, len(w))
			next := 0
			var worst float64
			for step := 1; step <= g.Steps; step++ {
				g.gradient(w, grad, step)
				opt.Step(w, grad)
				if next < len(c.Trajectory) && c.Trajectory[next].Step == step {
					e := relErr(w, c.Trajectory[next].W)
					worst = math.Max(worst, e)
					if e > 1e-5 {
						t.Fatalf("step %d: relative error %.3g > 1e-5\n got  %v\n want %v", step, e, w[:4], c.Trajectory[next].W[:4])
					}
					next++
				}
			}
			if next != len(c.Trajectory) {
				t.Fatalf("compared %d of %d snapshots", next, len(c.Trajectory))
			}
			t.Logf("worst relative error over %d steps: %.2g", g.Steps, worst)
		})
	}
}

func TestMatchesTorchFloat32(t *testing.T) {
	// The same trajectories in float32 agree to float32 accuracy over the
	// first 50 steps (rounding then compounds on this ill-conditioned
	// problem).
	g := loadGolden(t)
	for _, c := range g.Optimizers {
		opt, err := New[float32](c.Name, hyperFrom(t, c.Name, c.Hyper))
		if err != nil {
			t.Fatal(err)
		}
		w := make([]float32, len(g.W0))
		for i, v := range g.W0 {
			w[i] = float32(v)
		}
		w64 := make([]float64, len(w))
		grad := make([]float64, len(w))
		grad32 := make([]float32, len(w))
		for step := 1; step <= 50; step++ {
			for i, v := range w {
				w64[i] = float64(v)
			}
			g.gradient(w64, grad, step)
			for i, v := range grad {
				grad32[i] = float32(v)
			}
			opt.Step(w, grad32)
		}
		for i, v := range w {
			w64[i] = float64(v)
		}
		if e := relErr(w64, c.Trajectory[4].W); e > 1e-3 {
			t.Errorf("%s %v: float32 relative error %.3g after 50 steps", c.Name, c.Hyper, e)
		}
	}
}

func TestMatchesTorchSchedulers(t *testing.T) {
	g := loadGolden(t)
	for _, s := range g.Schedules {
		t.Run(s.Spec, func(t *testing.T) {
			sched, err := ScheduleByName(s.Spec, s.LR)
			if err != nil {
				t.Fatal(err)
			}
			limit := len(s.Rates)
			if strings.HasPrefix(s.Spec, "cosine:") {
				// PyTorch's CosineAnnealingLR rises again after T_max;
				// ours stays at the minimum (Optax's cosine_decay).
				limit = 151
			}
			for k := 0; k < limit; k++ {
				got := s.LR * sched(k+1)
				if want := s.Rates[k]; math.Abs(got-want) > 1e-12*math.Max(1, want) {
					t.Fatalf("step %d: rate %v, torch %v", k+1, got, want)
				}
			}
		})
	}
}
