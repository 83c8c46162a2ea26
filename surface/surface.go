// Package surface holds the 2-D test functions on which the lecture
// compares optimizers: a rotated ill-conditioned quadratic (a long narrow
// valley), Rosenbrock's banana, Beale's function, the saddle x² − y²,
// Himmelblau's four minima and Booth's bowl. Each gives its value, gradient
// and Hessian in closed form, in float64.
package surface

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Surface is a smooth function of a point p = (x, y).
type Surface interface {
	// Name is the command-line name.
	Name() string
	// Value returns f(p).
	Value(p [2]float64) float64
	// Gradient returns ∇f(p).
	Gradient(p [2]float64) [2]float64
	// Hessian returns ∇²f(p) as [[fxx, fxy], [fxy, fyy]].
	Hessian(p [2]float64) [2][2]float64
	// Minima lists the local minimizers (none for the saddle).
	Minima() [][2]float64
	// Start is a conventional starting point.
	Start() [2]float64
}

// Quadratic is f(p) = ½ pᵀ R diag(1, κ) Rᵀ p, with R the rotation by Theta
// radians: a valley whose condition number is Kappa.
type Quadratic struct {
	Kappa, Theta float64
}

// Name returns "quadratic".
func (q Quadratic) Name() string { return "quadratic" }

// A returns the matrix R diag(1, κ) Rᵀ.
func (q Quadratic) A() [2][2]float64 {
	c, s := math.Cos(q.Theta), math.Sin(q.Theta)
	// R = [[c, −s], [s, c]]; A = R D Rᵀ.
	return [2][2]float64{
		{c*c + q.Kappa*s*s, c*s - q.Kappa*c*s},
		{c*s - q.Kappa*c*s, s*s + q.Kappa*c*c},
	}
}

// Value returns ½ pᵀAp.
func (q Quadratic) Value(p [2]float64) float64 {
	g := q.Gradient(p)
	return 0.5 * (p[0]*g[0] + p[1]*g[1])
}

// Gradient returns Ap.
func (q Quadratic) Gradient(p [2]float64) [2]float64 {
	a := q.A()
	return [2]float64{a[0][0]*p[0] + a[0][1]*p[1], a[1][0]*p[0] + a[1][1]*p[1]}
}

// Hessian returns A.
func (q Quadratic) Hessian(p [2]float64) [2][2]float64 { return q.A() }

// Minima returns the origin.
func (q Quadratic) Minima() [][2]float64 { return [][2]float64{{0, 0}} }

// Start returns (−2, 1.5), off both of the valley's axes for any rotation.
func (q Quadratic) Start() [2]float64 { return [2]float64{-2, 1.5} }

// Rosenbrock is (1−x)² + 100(y−x²)², minimum 0 at (1, 1) at the end of a
// curved valley (Rosenbrock 1960).
type Rosenbrock struct{}

// Name returns "rosenbrock".
func (Rosenbrock) Name() string { return "rosenbrock" }

// Value returns (1−x)² + 100(y−x²)².
func (Rosenbrock) Value(p [2]float64) float64 {
	x, y := p[0], p[1]
	return (1-x)*(1-x) + 100*(y-x*x)*(y-x*x)
}

// Gradient returns (−2(1−x) − 400x(y−x²), 200(y−x²)).
func (Rosenbrock) Gradient(p [2]float64) [2]float64 {
	x, y := p[0], p[1]
	return [2]float64{-2*(1-x) - 400*x*(y-x*x), 200 * (y - x*x)}
}

// Hessian returns [[2 − 400y + 1200x², −400x], [−400x, 200]].
func (Rosenbrock) Hessian(p [2]float64) [2][2]float64 {
	x, y := p[0], p[1]
	return [2][2]float64{{2 - 400*y + 1200*x*x, -400 * x}, {-400 * x, 200}}
}

// Minima returns (1, 1).
func (Rosenbrock) Minima() [][2]float64 { return [][2]float64{{1, 1}} }

// Start returns the classic (−1.2, 1).
func (Rosenbrock) Start() [2]float64 { return [2]float64{-1.2, 1} }

// Beale is (1.5−x+xy)² + (2.25−x+xy²)² + (2.625−x+xy³)², minimum 0 at
// (3, 0.5).
type Beale struct{}

// Name returns "beale".
func (Beale) Name() string { return "beale" }

var bealeC = [3]float64{1.5, 2.25, 2.625}

// Value returns Σᵢ (cᵢ − x + x yⁱ)².
func (Beale) Value(p [2]float64) float64 {
	x, y := p[0], p[1]
	var s float64
	yi := 1.0
	for i := 0; i < 3; i++ {
		yi *= y
		r := bealeC[i] - x + x*yi
		s += r * r
	}
	return s
}

// Gradient returns Σᵢ 2rᵢ ∇rᵢ with rᵢ = cᵢ − x + x yⁱ.
func (Beale) Gradient(p [2]float64) [2]float64 {
	x, y := p[0], p[1]
	var g [2]float64
	for i := 1; i <= 3; i++ {
		yi := math.Pow(y, float64(i))
		r := bealeC[i-1] - x + x*yi
		g[0] += 2 * r * (yi - 1)
		g[1] += 2 * r * x * float64(i) * math.Pow(y, float64(i-1))
	}
	return g
}

// Hessian returns Σᵢ 2(∇rᵢ∇rᵢᵀ + rᵢ∇²rᵢ).
func (Beale) Hessian(p [2]float64) [2][2]float64 {
	x, y := p[0], p[1]
	var h [2][2]float64
	for i := 1; i <= 3; i++ {
		fi := float64(i)
		yi := math.Pow(y, fi)
		yi1 := math.Pow(y, fi-1)
		r := bealeC[i-1] - x + x*yi
		rx, ry := yi-1, x*fi*yi1
		rxy := fi * yi1
		ryy := 0.0
		if i >= 2 {
			ryy = x * fi * (fi - 1) * math.Pow(y, fi-2)
		}
		h[0][0] += 2 * rx * rx
		h[0][1] += 2 * (rx*ry + r*rxy)
		h[1][1] += 2 * (ry*ry + r*ryy)
	}
	h[1][0] = h[0][1]
	return h
}

// Minima returns (3, 0.5).
func (Beale) Minima() [][2]float64 { return [][2]float64{{3, 0.5}} }

// Start returns (1, 1.5).
func (Beale) Start() [2]float64 { return [2]float64{1, 1.5} }

// Saddle is x² − y²: a saddle point at the origin, whose stable manifold is
// the x axis (y = 0): a method started exactly on it converges to the
// saddle; off it, the −y² direction lets a method escape.
type Saddle struct{}

// Name returns "saddle".
func (Saddle) Name() string { return "saddle" }

// Value returns x² − y².
func (Saddle) Value(p [2]float64) float64 { return p[0]*p[0] - p[1]*p[1] }

// Gradient returns (2x, −2y).
func (Saddle) Gradient(p [2]float64) [2]float64 { return [2]float64{2 * p[0], -2 * p[1]} }

// Hessian returns diag(2, −2).
func (Saddle) Hessian(p [2]float64) [2][2]float64 { return [2][2]float64{{2, 0}, {0, -2}} }

// Minima returns none: the function is unbounded below.
func (Saddle) Minima() [][2]float64 { return nil }

// Start returns (1, 1e-3), just off the stable manifold.
func (Saddle) Start() [2]float64 { return [2]float64{1, 1e-3} }

// Himmelblau is (x²+y−11)² + (x+y²−7)², with four minima of value 0.
type Himmelblau struct{}

// Name returns "himmelblau".
func (Himmelblau) Name() string { return "himmelblau" }

// Value returns (x²+y−11)² + (x+y²−7)².
func (Himmelblau) Value(p [2]float64) float64 {
	x, y := p[0], p[1]
	a, b := x*x+y-11, x+y*y-7
	return a*a + b*b
}

// Gradient returns (4xa + 2b, 2a + 4yb) with a = x²+y−11, b = x+y²−7.
func (Himmelblau) Gradient(p [2]float64) [2]float64 {
	x, y := p[0], p[1]
	a, b := x*x+y-11, x+y*y-7
	return [2]float64{4*x*a + 2*b, 2*a + 4*y*b}
}

// Hessian returns [[12x² + 4y − 42, 4(x+y)], [4(x+y), 12y² + 4x − 26]].
func (Himmelblau) Hessian(p [2]float64) [2][2]float64 {
	x, y := p[0], p[1]
	return [2][2]float64{{12*x*x + 4*y - 42, 4 * (x + y)}, {4 * (x + y), 12*y*y + 4*x - 26}}
}

// Minima returns the four minimizers.
func (Himmelblau) Minima() [][2]float64 {
	return [][2]float64{{3, 2}, {-2.805118086952745, 3.131312518250573}, {-3.779310253377747, -3.283185991286170}, {3.584428340330492, -1.848126526964404}}
}

// Start returns (0, 0).
func (Himmelblau) Start() [2]float64 { return [2]float64{0, 0} }

// Booth is (x+2y−7)² + (2x+y−5)², a quadratic bowl with minimum 0 at (1, 3).
type Booth struct{}

// Name returns "booth".
func (Booth) Name() string { return "booth" }

// Value returns (x+2y−7)² + (2x+y−5)².
func (Booth) Value(p [2]float64) float64 {
	a, b := p[0]+2*p[1]-7, 2*p[0]+p[1]-5
	return a*a + b*b
}

// Gradient returns (2a + 4b, 4a + 2b).
func (Booth) Gradient(p [2]float64) [2]float64 {
	a, b := p[0]+2*p[1]-7, 2*p[0]+p[1]-5
	return [2]float64{2*a + 4*b, 4*a + 2*b}
}

// Hessian returns [[10, 8], [8, 10]].
func (Booth) Hessian(p [2]float64) [2][2]float64 { return [2][2]float64{{10, 8}, {8, 10}} }

// Minima returns (1, 3).
func (Booth) Minima() [][2]float64 { return [][2]float64{{1, 3}} }

// Start returns (−5, −5).
func (Booth) Start() [2]float64 { return [2]float64{-5, -5} }

// ByName returns the surface called name; kappa and theta configure the
// quadratic.
func ByName(name string, kappa, theta float64) (Surface, error) {
	switch name {
	case "quadratic":
		if !(kappa >= 1) || math.IsInf(kappa, 0) {
			return nil, fmt.Errorf("--kappa %v: want a finite condition number ≥ 1", kappa)
		}
		return Quadratic{Kappa: kappa, Theta: theta}, nil
	case "rosenbrock":
		return Rosenbrock{}, nil
	case "beale":
		return Beale{}, nil
	case "saddle":
		return Saddle{}, nil
	case "himmelblau":
		return Himmelblau{}, nil
	case "booth":
		return Booth{}, nil
	}
	return nil, fmt.Errorf("unknown function %q; want one of %s", name, strings.Join(Names(), ", "))
}

// Names lists the surfaces.
func Names() []string {
	n := []string{"quadratic", "rosenbrock", "beale", "saddle", "himmelblau", "booth"}
	sort.Strings(n)
	return n
}
