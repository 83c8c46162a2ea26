package sparse_test

import (
	"fmt"
	"strings"

	"github.com/descent-ml/descent/sparse"
)

func ExampleReadSVMLight() {
	text := "+1 qid:3 1:0.5 4:2 # a comment\n-1 2:1e-3\n"
	d, err := sparse.ReadSVMLight(strings.NewReader(text), sparse.ReadOptions{Name: "tiny.svm"})
	if err != nil {
		panic(err)
	}
	fmt.Println(d.X.Rows, "rows,", d.X.Cols, "columns, labels", d.Y)
	idx, val := d.X.Row(0)
	fmt.Println("row 0: columns", idx, "values", val)

	// Feature index 0 in a 1-based file.
	_, err = sparse.ReadSVMLight(strings.NewReader("1 1:1\n-1 0:1 3:2\n"), sparse.ReadOptions{Name: "zero.svm"})
	fmt.Println(err)
	// Output:
	// 2 rows, 4 columns, labels [1 -1]
	// row 0: columns [0 3] values [0.5 2]
	// sparse: zero.svm:2: feature index 0: svmlight indices are 1-based, so this file looks 0-based (read it with ZeroBased, --zero-based on the command line)
}
