package repro

import (
	"math"
)

// windowMax collects the maxima of |e| over consecutive windows of W steps,
// so that a rate can be fitted to a long run without storing it.
type windowMax struct {
	W     int
	maxes []float64
	cur   float64
	n     int
}

// add records the next value.
func (w *windowMax) add(v float64) {
	v = math.Abs(v)
	if v > w.cur || math.IsNaN(v) {
		w.cur = v
	}
	w.n++
	if w.n == w.W {
		w.maxes = append(w.maxes, w.cur)
		w.cur, w.n = 0, 0
	}
}

// rate fits ln(window maximum) against the step by least squares over the
// windows from index lo to hi (exclusive) and returns exp(slope): the
// measured contraction factor per step. Taking the maximum over a window
// longer than the oscillation period measures the envelope of an
// oscillating error. It returns NaN when fewer than two windows hold
// finite, positive maxima.
func (w *windowMax) rate(lo, hi int) float64 {
	var sx, sy, sxx, sxy, n float64
	for j := max(lo, 0); j < min(hi, len(w.maxes)); j++ {
		m := w.maxes[j]
		if !(m > 0) || math.IsInf(m, 0) {
			continue
		}
		x, y := float64(j*w.W), math.Log(m)
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
		n++
	}
	if n < 2 {
		return math.NaN()
	}
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	return math.Exp(slope)
}

// envelopeRate is the measured rate of the sequence e over steps
// [from, to) with windows of W steps (see windowMax.rate).
func envelopeRate(e []float64, from, to, W int) float64 {
	wm := windowMax{W: W}
	for k := from; k < min(to, len(e)); k++ {
		wm.add(e[k])
	}
	return wm.rate(0, len(wm.maxes))
}

// logRateError is the relative error of a measured rate against theory on
// the logarithmic scale, |ln ρ̂ − ln ρ| / |ln ρ|: the relative error of the
// number of steps per e-fold (1/|ln ρ|). It is the meaningful comparison
// when ρ is close to 1, where every ρ̂ in [0.95, 1] is "within 5%" of
// ρ = 0.99 but the steps needed differ up to fivefold.
func logRateError(measured, theory float64) float64 {
	return math.Abs(math.Log(measured)-math.Log(theory)) / math.Abs(math.Log(theory))
}

// rateCheck checks a measured rate against theory on the logarithmic scale
// (see logRateError).
func rateCheck(id, claim string, measured, theory, tol float64, what string) Check {
	e := logRateError(measured, theory)
	return Check{ID: id, Claim: claim, Measured: measured,
		Detail:    "ln-error " + num(100*e) + "%",
		Threshold: "ln ρ within " + num(100*tol) + "% of ln(" + what + "), " + what + " = " + num(theory),
		Pass:      e <= tol}
}
