package tensor

import (
	"fmt"
	"testing"
)

// TestTransposeInto checks transposeInto, float32 (assembly blocks and Go
// edges) and float64 (Go), on whole and partial 8×8 blocks with strides
// wider than the matrices, and that it writes nothing outside the result.
func TestTransposeInto(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {8, 8}, {3, 17}, {17, 3}, {16, 24}, {300, 9}, {13, 261}, {784, 256}} {
		rows, cols := sz[0], sz[1]
		t.Run(fmt.Sprintf("%dx%d", rows, cols), func(t *testing.T) {
			checkTranspose[float32](t, rows, cols)
			checkTranspose[float64](t, rows, cols)
		})
	}
}

func checkTranspose[T gemmElem](t *testing.T, rows, cols int) {
	lds, ldd := cols+3, rows+5
	src := make([]T, rows*lds)
	for i := range src {
		src[i] = T(i)
	}
	dst := make([]T, cols*ldd)
	fill(dst, -1)
	transposeInto(dst, ldd, src, lds, rows, cols)
	for j := 0; j < cols; j++ {
		for i := 0; i < ldd; i++ {
			want := T(-1)
			if i < rows {
				want = src[i*lds+j]
			}
			if got := dst[j*ldd+i]; got != want {
				t.Fatalf("%T: dst[%d][%d] = %v, want %v", got, j, i, got, want)
			}
		}
	}
}
