//go:build !amd64 || purego

package tensor

// Without the assembly kernels (another architecture, or the purego build
// tag), Gemm runs the portable Go kernel.

// gemmDefault is the kernel set Gemm uses.
var gemmDefault = gemmKernels{gemmGo32, gemmGo64}

// gemmAsm reports that there are no assembly kernels in this build.
func gemmAsm() (gemmKernels, bool) { return gemmKernels{}, false }

// gemmTranspose8Runs reports that there is no assembly transpose in this
// build.
func gemmTranspose8Runs(runs [][3]int, src []float32, delta *[8]int, dst []float32, ldd int) bool {
	return false
}

// gemmGather reports that there is no assembly gather in this build.
func gemmGather(n int, src []float32, offs []int, lo, hi int, dst []float32, ldd int) bool {
	return false
}
