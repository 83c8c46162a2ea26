// Package figure draws the line plots of descent's reports (training loss
// against examples seen, error against time, trajectories) with
// gonum.org/v1/plot, and writes them atomically as PNG and SVG.
package figure

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/descent-ml/descent/internal/atomicfile"
)

// Series is one named line.
type Series struct {
	Name string
	X, Y []float64
}

// Plot describes a figure of lines.
type Plot struct {
	Title, XLabel, YLabel string
	LogX, LogY            bool
	Series                []Series
	// Points are extra marked points (minima, starts), drawn as crosses.
	Points []Series
}

// Save draws the plot and writes it to each path; the extension (.png,
// .svg, .pdf) picks the format. Each file is written atomically.
func (p Plot) Save(paths ...string) error {
	pl := plot.New()
	pl.Title.Text = p.Title
	pl.X.Label.Text = p.XLabel
	pl.Y.Label.Text = p.YLabel
	pl.Add(plotter.NewGrid())
	if p.LogY {
		pl.Y.Scale = plot.LogScale{}
		pl.Y.Tick.Marker = logTicks{}
	}
	if p.LogX {
		pl.X.Scale = plot.LogScale{}
		pl.X.Tick.Marker = logTicks{}
	}
	pl.Legend.Top = true
	for i, s := range p.Series {
		xy := points(s, p.LogX, p.LogY)
		if len(xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return fmt.Errorf("figure %q, series %q: %w", p.Title, s.Name, err)
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i / len(plotutil.DefaultColors))
		l.Width = vg.Points(1.5)
		pl.Add(l)
		pl.Legend.Add(s.Name, l)
	}
	for _, s := range p.Points {
		sc, err := plotter.NewScatter(points(s, p.LogX, p.LogY))
		if err != nil {
			return fmt.Errorf("figure %q, points %q: %w", p.Title, s.Name, err)
		}
		sc.Shape = draw.CrossGlyph{}
		sc.Radius = vg.Points(4)
		sc.Color = color.Black
		pl.Add(sc)
		if s.Name != "" {
			pl.Legend.Add(s.Name, sc)
		}
	}
	for _, path := range paths {
		ext := strings.TrimPrefix(filepath.Ext(path), ".")
		w, err := pl.WriterTo(8*vg.Inch, 5*vg.Inch, ext)
		if err != nil {
			return fmt.Errorf("figure %s: %w", path, err)
		}
		if err := atomicfile.Write(path, func(f *os.File) error {
			_, err := w.WriteTo(f)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// points drops values a log axis cannot show and non-finite ones.
func points(s Series, logX, logY bool) plotter.XYs {
	xy := make(plotter.XYs, 0, len(s.X))
	for i := range s.X {
		x, y := s.X[i], s.Y[i]
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) || (logX && x <= 0) || (logY && y <= 0) {
			continue
		}
		xy = append(xy, plotter.XY{X: x, Y: y})
	}
	return xy
}

// logTicks marks a log axis at 1, 2 and 5 times the powers of ten, so that
// an axis spanning less than a decade still has labels.
type logTicks struct{}

// Ticks returns the ticks between min and max.
func (logTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max >= min) {
		return nil
	}
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		p := math.Pow(10, e)
		for _, m := range []float64{1, 2, 5} {
			v := m * p
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 3, 64)})
		}
		for m := 1.0; m < 10; m++ {
			if v := m * p; v >= min && v <= max && m != 1 && m != 2 && m != 5 {
				ticks = append(ticks, plot.Tick{Value: v}) // minor tick
			}
		}
	}
	return ticks
}
