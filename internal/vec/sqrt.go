package vec

import "math"

// sqrt32 is √x in float32: the float64 root rounded to float32 is the
// correctly rounded float32 root, as VSQRTPS gives.
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
