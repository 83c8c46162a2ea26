//go:build !amd64 || purego

package vec

// Without the assembly (another architecture, or the purego build tag) the
// Go forms run everywhere.
var useAsm = false

func adamAsm(w, g, m, v, vmax []float32, p *AdamParams) { panic("vec: no assembly") }
func adamaxAsm(w, g, m, n []float32, p *AdamaxParams)   { panic("vec: no assembly") }
func lionAsm(w, g, m []float32, p *LionParams)          { panic("vec: no assembly") }
func momentumAsm(w, g, b []float32, k *[5]float32)      { panic("vec: no assembly") }
func axpyAsm(a float32, x, y []float32)                 { panic("vec: no assembly") }

func reluAsm(dst, x []float32)           { panic("vec: no assembly") }
func reluBackwardAsm(gx, g, y []float32) { panic("vec: no assembly") }

func rmsAsm(w, g, s []float32, p *RMSParams)              { panic("vec: no assembly") }
func adadeltaAsm(w, g, s, d []float32, p *AdadeltaParams) { panic("vec: no assembly") }

func sumAsm(x []float32) float32 { panic("vec: no assembly") }

func expAsm(dst, x []float32)     { panic("vec: no assembly") }
func sigmoidAsm(dst, x []float32) { panic("vec: no assembly") }
func tanhAsm(dst, x []float32)    { panic("vec: no assembly") }

func sigmoidBackwardAsm(gx, g, y []float32) { panic("vec: no assembly") }
func tanhBackwardAsm(gx, g, y []float32)    { panic("vec: no assembly") }
func axpyExpAsm(a float32, x, y []float32)  { panic("vec: no assembly") }

func logSumExpAsm(x []float32) (m float32, s float64) { panic("vec: no assembly") }
func shiftAsm(dst, x []float32, c float64)            { panic("vec: no assembly") }

func addRowsAsm(count, rows, cols int, dst *float32, ldd, dstStep int, src *float32, lds, srcStep int) {
	panic("vec: no assembly")
}

func maxPool2Asm(rows, blocks, tail int, r0, r1, y, arg *float32, step int, pos, dpos, w float32) (nan bool) {
	panic("vec: no assembly")
}

func sum64Asm(x []float32) float64 { panic("vec: no assembly") }

func maxPool2BackwardAsm(rows, blocks, four int, r0, r1, grad, arg *float32, step int, pos, dpos, w float32, add bool) {
	panic("vec: no assembly")
}

func mulAddAsm(gx, g, y []float32)           { panic("vec: no assembly") }
func logAsm(dst, x []float32)                { panic("vec: no assembly") }
func softplusAsm(dst, x []float32)           { panic("vec: no assembly") }
func softplusBackwardAsm(gx, g, x []float32) { panic("vec: no assembly") }

func softmaxRowAsm(dst, x []float32) (m float32)  { panic("vec: no assembly") }
func softmaxRowBackwardAsm(gx, g, y []float32)    { panic("vec: no assembly") }
func logSoftmaxRowBackwardAsm(gx, g, y []float32) { panic("vec: no assembly") }

func divAddAsm(gx, grad, x []float32) { panic("vec: no assembly") }

func nonzerosAsm(x *float32, rows, blocks, ldx int, offs *int32, vals *float32, base, colStep, rowStep int32, limit int) (count int) {
	panic("vec: no assembly")
}
