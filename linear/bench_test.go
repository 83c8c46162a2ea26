package linear

import (
	"context"
	"sync"
	"testing"

	"github.com/descent-ml/descent/sparse"
)

var (
	benchOnce sync.Once
	benchData *Problem
	benchErr  error
)

// benchProblem is 200,000 RCV1-shaped documents (47,152 words, about 76
// nonzeros each), the size of the recorded svmsgd figures.
func benchProblem(b *testing.B) *Problem {
	benchOnce.Do(func() {
		o := sparse.RCV1Shape()
		o.Rows, o.TestRows = 200000, 0
		train, _, err := sparse.GenerateRCV1Like(o)
		if err != nil {
			benchErr = err
			return
		}
		benchData, benchErr = NewProblem(train)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchData
}

// BenchmarkEpoch times one pass of the stochastic methods (η₀ fixed, no
// calibration) over 200,000 RCV1-shaped documents at λ = 1e-5. ASGD's pass
// is its second, the first that averages; hogwild-shared is Hogwild without
// replicas.
func BenchmarkEpoch(b *testing.B) {
	p := benchProblem(b)
	for _, m := range []string{"sgd", "asgd", "hogwild", "hogwild-shared"} {
		for _, loss := range []Loss{Log, Hinge} {
			b.Run(m+"/"+loss.String(), func(b *testing.B) {
				s := Settings{Loss: loss, Lambda: 1e-5, Eta0: 1, Epochs: 1}
				switch m {
				case "asgd":
					s.Method, s.Epochs, s.AverageStart = ASGD, 2, 1
				case "hogwild":
					s.Method = Hogwild
				case "hogwild-shared":
					s.Method, s.HogwildSync = Hogwild, -1
				}
				var elapsed float64
				s.OnEpoch = func(pr Progress) error {
					if pr.Epoch == s.Epochs {
						elapsed += pr.Seconds
					}
					if s.Method == ASGD && pr.Epoch == 1 {
						elapsed -= pr.Seconds
					}
					return nil
				}
				b.ResetTimer()
				for range b.N {
					if _, err := Train(context.Background(), p, s); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(elapsed/float64(b.N)*1e3, "ms/epoch")
				b.ReportMetric(float64(p.X.NNZ())*float64(b.N)/elapsed/1e6, "Mnnz/s")
			})
		}
	}
}

// BenchmarkObjectiveEval times one evaluation of the full objective and
// its gradient, the unit of work of the batch methods.
func BenchmarkObjectiveEval(b *testing.B) {
	p := benchProblem(b)
	obj, err := NewObjective(p, Log, 1e-5)
	if err != nil {
		b.Fatal(err)
	}
	x, g := make([]float64, obj.Len()), make([]float64, obj.Len())
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := obj.Eval(x, g); err != nil {
			b.Fatal(err)
		}
	}
}
