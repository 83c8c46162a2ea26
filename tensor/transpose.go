package tensor

// transposeInto sets dst[j·ldd + i] = src[i·lds + j] for i < rows and
// j < cols: the rows×cols matrix at src (row stride lds) transposed into
// the cols×rows matrix at dst (row stride ldd). float32 blocks of 8×8 go
// through the assembly transposes where they can run (gemmTranspose8Runs),
// the edges and other types through Go.
func transposeInto[T gemmElem](dst []T, ldd int, src []T, lds int, rows, cols int) {
	done := 0 // rows done by the assembly, over cols&^7 columns
	if d32, ok := any(dst).([]float32); ok && rows >= 8 && cols >= 8 {
		s32 := any(src).([]float32)
		var delta [8]int
		for i := range delta {
			delta[i] = i * lds
		}
		var runs [32][3]int
		n := 0
		for i0 := 0; i0+8 <= rows; i0 += 8 {
			runs[n] = [3]int{i0 * lds, i0, cols / 8}
			n++
			if n == len(runs) || i0+16 > rows {
				if !gemmTranspose8Runs(runs[:n], s32, &delta, d32, ldd) {
					break
				}
				done = i0 + 8
				n = 0
			}
		}
	}
	if done > 0 {
		// The assembly did rows [0, done) of columns [0, cols&^7).
		for i := 0; i < done; i++ {
			for j := cols &^ 7; j < cols; j++ {
				dst[j*ldd+i] = src[i*lds+j]
			}
		}
	}
	for i := done; i < rows; i++ {
		for j, v := range src[i*lds : i*lds+cols] {
			dst[j*ldd+i] = v
		}
	}
}
