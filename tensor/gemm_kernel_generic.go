//go:build !amd64 || purego

package tensor

// Without the assembly kernels (another architecture, or the purego build
// tag), Gemm runs the portable Go kernel.

// gemmDefault is the kernel set Gemm uses.
var gemmDefault = gemmKernels{gemmGo32, gemmGo64}

// gemmAsm reports that there are no assembly kernels in this build.
func gemmAsm() (gemmKernels, bool) { return gemmKernels{}, false }
