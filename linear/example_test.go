package linear_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/descent-ml/descent/linear"
	"github.com/descent-ml/descent/sparse"
)

// Train logistic regression with Bottou's SGD on data in svmlight format,
// checking the training error every ten epochs.
func ExampleTrain() {
	// Two features; the label is the sign of x₁ − x₂.
	var text strings.Builder
	for i := range 400 {
		a, b := float64(i%20)/20, float64(i*7%20)/20
		y := "-1"
		if a > b {
			y = "+1"
		}
		fmt.Fprintf(&text, "%s 1:%g 2:%g\n", y, a, b)
	}
	data, err := sparse.ReadSVMLight(strings.NewReader(text.String()), sparse.ReadOptions{Name: "example"})
	if err != nil {
		panic(err)
	}
	train, err := linear.NewProblem(data)
	if err != nil {
		panic(err)
	}
	model, err := linear.Train(context.Background(), train, linear.Settings{
		Method: linear.ASGD, Loss: linear.Log, Lambda: 1e-4, Epochs: 20, BiasRate: 1,
		OnEpoch: func(p linear.Progress) error {
			if p.Epoch%10 == 0 {
				fmt.Printf("epoch %d: training error below 5%%: %v\n", p.Epoch, p.Model.ErrorRate(train) < 0.05)
			}
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("w₁ > 0 > w₂:", model.W[0] > 0 && model.W[1] < 0)
	// Output:
	// epoch 10: training error below 5%: true
	// epoch 20: training error below 5%: true
	// w₁ > 0 > w₂: true
}
