package repro

import (
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/descent-ml/descent/internal/atomicfile"
)

// Chart is a figure that internal/figure's line plots cannot draw: lines
// with chosen colours, dashes and markers, points, and a contour map of a
// 2-D function underneath (the surfaces' trajectories, the momentum phase
// diagram). Like figure.Plot it writes PNG and SVG atomically; SaveGIF
// animates a sequence of Charts.
type Chart struct {
	// Title, XLabel and YLabel label the figure and its axes (with units).
	// Keep YLabel under about 30 characters: gonum pads the axes for the
	// length of a rotated label.
	Title, XLabel, YLabel string
	// LogX and LogY use logarithmic axes, labelled at powers of ten.
	LogX, LogY bool
	// XRange and YRange fix the axes when their ends differ; otherwise the
	// axes fit the data.
	XRange, YRange [2]float64
	Lines          []Line
	// Contour, if set, is drawn under the lines.
	Contour *Contour
	// LegendLeft and LegendBottom move the legend from the top right;
	// LegendOutside puts it to the right of the axes instead, off the data.
	LegendLeft, LegendBottom, LegendOutside bool
	// Width and Height default to 8 × 5 inches.
	Width, Height vg.Length
}

// Line is one series of a Chart.
type Line struct {
	// Name is the legend entry ("" for none).
	Name string
	// X and Y are the points; non-finite ones (and non-positive ones on
	// a log axis) are left out.
	X, Y []float64
	// Hue is 1 + an index into the palette (tab10); 0 means the line's
	// position in Chart.Lines.
	Hue int
	// Gray draws the line in gray (theory curves, boundaries).
	Gray bool
	// Dashed draws a dashed line; Marks adds a glyph at every point;
	// NoLine draws the glyphs only.
	Dashed, Marks, NoLine bool
	// Glyph picks the marker shape: 0 circle, 1 cross, 2 triangle, 3
	// square, 4 plus, 5 ring.
	Glyph int
}

// Contour is a contour map of Z(x, y) over a rectangle, drawn with light
// lines at Levels.
type Contour struct {
	// Z is the function whose level sets are drawn.
	Z func(x, y float64) float64
	// XMin, XMax, YMin and YMax bound the sampled rectangle.
	XMin, XMax, YMin, YMax float64
	// N is the grid size per side (default 120).
	N int
	// Levels are the values of Z at which lines are drawn, increasing.
	Levels []float64

	grid *grid
}

// tab10 returns matplotlib's default colour cycle, distinct for ten lines.
func tab10() [10]color.RGBA {
	return [10]color.RGBA{
		{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
		{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
		{188, 189, 34, 255}, {23, 190, 207, 255},
	}
}

// Palette returns colour i of the charts' cycle (tab10), repeating after
// ten.
func Palette(i int) color.RGBA {
	c := tab10()
	return c[((i%len(c))+len(c))%len(c)]
}

// grayLine is the colour of reference lines (theory, thresholds).
func grayLine() color.RGBA { return color.RGBA{90, 90, 90, 255} }

func (c Chart) build() (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = c.Title
	pl.X.Label.Text = c.XLabel
	pl.Y.Label.Text = c.YLabel
	pl.Add(plotter.NewGrid())
	if c.LogX {
		pl.X.Scale = plot.LogScale{}
		pl.X.Tick.Marker = decadeTicks{}
	}
	if c.LogY {
		pl.Y.Scale = plot.LogScale{}
		pl.Y.Tick.Marker = decadeTicks{}
	}
	if !c.LogX {
		pl.X.Tick.Marker = plainTicks{}
	}
	if !c.LogY {
		pl.Y.Tick.Marker = plainTicks{}
	}
	if c.Contour != nil {
		ct := c.Contour.plotter()
		pl.Add(ct)
	}
	for i, l := range c.Lines {
		xy := finitePoints(l.X, l.Y, c.LogX, c.LogY)
		if len(xy) == 0 {
			continue
		}
		col := Palette(i)
		if l.Hue > 0 {
			col = Palette(l.Hue - 1)
		}
		if l.Gray {
			col = grayLine()
		}
		var thumbs []plot.Thumbnailer
		if !l.NoLine {
			ln, err := plotter.NewLine(xy)
			if err != nil {
				return nil, fmt.Errorf("chart %q, line %q: %w", c.Title, l.Name, err)
			}
			ln.Color = col
			ln.Width = vg.Points(1.6)
			if l.Dashed {
				ln.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			}
			pl.Add(ln)
			thumbs = append(thumbs, ln)
		}
		if l.Marks || l.NoLine {
			sc, err := plotter.NewScatter(xy)
			if err != nil {
				return nil, fmt.Errorf("chart %q, points %q: %w", c.Title, l.Name, err)
			}
			sc.Color = col
			sc.Radius = vg.Points(3)
			if l.NoLine {
				sc.Radius = vg.Points(4)
			}
			sc.Shape = glyph(l.Glyph)
			pl.Add(sc)
			thumbs = append(thumbs, sc)
		}
		if l.Name != "" {
			pl.Legend.Add(l.Name, thumbs...)
		}
	}
	pl.Legend.Top = !c.LegendBottom
	pl.Legend.Left = c.LegendLeft
	if c.XRange[0] != c.XRange[1] {
		pl.X.Min, pl.X.Max = c.XRange[0], c.XRange[1]
	}
	if c.YRange[0] != c.YRange[1] {
		pl.Y.Min, pl.Y.Max = c.YRange[0], c.YRange[1]
	}
	return pl, nil
}

// decadeTicks marks a log axis at powers of ten, labelled 0.01, 1, 100
// or 1e-06, with at most about eight labels (every second or third decade
// on long axes) and minor ticks at 2…9 on short ones; axes spanning less
// than about two decades also label 2× and 5× (all of 2…9 under one
// decade), so that every axis carries numbers.
type decadeTicks struct{}

// Ticks returns the ticks between min and max.
func (decadeTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max > min) {
		return nil
	}
	first, last := int(math.Floor(math.Log10(min))), int(math.Ceil(math.Log10(max)))
	step := (last - first + 7) / 8
	if step < 1 {
		step = 1
	}
	span := math.Log10(max / min)
	labelMinor := func(m int) bool {
		switch {
		case span < 1:
			return true
		case span < 2.2:
			return m == 2 || m == 5
		}
		return false
	}
	var ticks []plot.Tick
	for e := first; e <= last; e++ {
		v := math.Pow10(e)
		if v >= min*(1-1e-9) && v <= max*(1+1e-9) {
			t := plot.Tick{Value: v}
			if e%step == 0 {
				t.Label = tickLabel(1, e)
			}
			ticks = append(ticks, t)
		}
		if last-first <= 6 {
			for m := 2; m <= 9; m++ {
				if w := float64(m) * v; w >= min && w <= max {
					t := plot.Tick{Value: w}
					if labelMinor(m) {
						t.Label = tickLabel(m, e)
					}
					ticks = append(ticks, t)
				}
			}
		}
	}
	return ticks
}

// plainTicks are gonum's default ticks of a linear axis with labels
// without trailing zeros (250, not 250.00).
type plainTicks struct{}

// Ticks returns the ticks between min and max.
func (plainTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			if v, err := strconv.ParseFloat(t.Label, 64); err == nil {
				ticks[i].Label = strconv.FormatFloat(v, 'f', -1, 64)
			}
		}
	}
	return ticks
}

// tickLabel formats m·10ᵉ: 0.03, 200 or 3e-06.
func tickLabel(m, e int) string {
	if e >= -4 && e <= 5 {
		return strconv.FormatFloat(float64(m)*math.Pow10(e), 'f', max(0, -e), 64)
	}
	return fmt.Sprintf("%de%d", m, e)
}

func decadeLabel(e int) string { return tickLabel(1, e) }

func glyph(i int) draw.GlyphDrawer {
	switch i {
	case 1:
		return draw.CrossGlyph{}
	case 2:
		return draw.TriangleGlyph{}
	case 3:
		return draw.SquareGlyph{}
	case 4:
		return draw.PlusGlyph{}
	case 5:
		return draw.RingGlyph{}
	}
	return draw.CircleGlyph{}
}

func (c Chart) size() (vg.Length, vg.Length) {
	w, h := c.Width, c.Height
	if w == 0 {
		w = 8 * vg.Inch
	}
	if h == 0 {
		h = 5 * vg.Inch
	}
	return w, h
}

// Save draws the chart into each path; the extension (.png, .svg, .pdf)
// picks the format. Each file is written atomically.
func (c Chart) Save(paths ...string) (err error) {
	defer recoverDrawing(&err, c.Title)
	w, h := c.size()
	for _, path := range paths {
		ext := strings.TrimPrefix(filepath.Ext(path), ".")
		cw, err := draw.NewFormattedCanvas(w, h, ext)
		if err != nil {
			return fmt.Errorf("chart %s: %w", path, err)
		}
		if err := c.draw(draw.New(cw)); err != nil {
			return err
		}
		if err := atomicfile.Write(path, func(f *os.File) error {
			_, err := cw.WriteTo(f)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// draw draws the chart onto dc, with the legend beside the axes when
// LegendOutside is set.
func (c Chart) draw(dc draw.Canvas) error {
	pl, err := c.build()
	if err != nil {
		return err
	}
	if !c.LegendOutside {
		pl.Draw(dc)
		return nil
	}
	leg := pl.Legend
	pl.Legend = plot.NewLegend()
	lw := leg.Rectangle(dc).Size().X + vg.Points(14)
	pl.Draw(draw.Crop(dc, 0, -lw, 0, 0))
	leg.Top, leg.Left = true, true
	top := pl.Title.TextStyle.Rectangle(pl.Title.Text).Size().Y + pl.Title.Padding
	leg.Draw(draw.Crop(dc, dc.Size().X-lw+vg.Points(10), 0, 0, -top))
	return nil
}

// render draws the chart into an RGBA image.
func (c Chart) render() (img image.Image, err error) {
	defer recoverDrawing(&err, c.Title)
	w, h := c.size()
	cv := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(72))
	if err := c.draw(draw.New(cv)); err != nil {
		return nil, err
	}
	return cv.Image(), nil
}

// recoverDrawing turns a panic of gonum's drawing code (its contour tracer
// panics on some degenerate level sets) into an error.
func recoverDrawing(err *error, title string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("drawing chart %q: %v", title, r)
	}
}

// SaveGIF writes frames as an animated GIF that loops, showing each frame
// for delay and the last one three times as long. The file is written
// atomically.
func SaveGIF(path string, frames []Chart, delay time.Duration) error {
	if len(frames) == 0 {
		return fmt.Errorf("animation %s: no frames", path)
	}
	pal := gifPalette(frames[0])
	index := map[color.RGBA]uint8{}
	anim := &gif.GIF{}
	d := max(int(delay/(10*time.Millisecond)), 1)
	for i, fr := range frames {
		img, err := fr.render()
		if err != nil {
			return fmt.Errorf("animation %s, frame %d: %w", path, i, err)
		}
		b := img.Bounds()
		pm := image.NewPaletted(b, pal)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bb, a := img.At(x, y).RGBA()
				c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bb >> 8), uint8(a >> 8)}
				k, ok := index[c]
				if !ok {
					k = uint8(pal.Index(c))
					index[c] = k
				}
				pm.SetColorIndex(x, y, k)
			}
		}
		anim.Image = append(anim.Image, pm)
		if i == len(frames)-1 {
			anim.Delay = append(anim.Delay, 3*d)
		} else {
			anim.Delay = append(anim.Delay, d)
		}
	}
	return atomicfile.Write(path, func(f *os.File) error { return gif.EncodeAll(f, anim) })
}

// gifPalette holds white, grays, and each line colour and the contour
// colours blended toward white (for antialiased edges).
func gifPalette(c Chart) color.Palette {
	pal := color.Palette{color.RGBA{255, 255, 255, 255}}
	for i := 0; i < 24; i++ {
		v := uint8(i * 255 / 24)
		pal = append(pal, color.RGBA{v, v, v, 255})
	}
	blend := func(col color.RGBA, steps int) {
		for s := 0; s < steps; s++ {
			t := float64(s) / float64(steps)
			mix := func(a uint8) uint8 { return uint8(float64(a) + t*(255-float64(a)) + 0.5) }
			pal = append(pal, color.RGBA{mix(col.R), mix(col.G), mix(col.B), 255})
		}
	}
	for _, c := range tab10() {
		blend(c, 10)
	}
	for i := 0; i < 8; i++ {
		blend(contourColor(float64(i)/7), 4)
	}
	if len(pal) > 256 {
		pal = pal[:256]
	}
	return pal
}

// finitePoints drops non-finite points and those a log axis cannot show.
func finitePoints(xs, ys []float64, logX, logY bool) plotter.XYs {
	xy := make(plotter.XYs, 0, len(xs))
	for i := range xs {
		x, y := xs[i], ys[i]
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) || (logX && x <= 0) || (logY && y <= 0) {
			continue
		}
		xy = append(xy, plotter.XY{X: x, Y: y})
	}
	return xy
}

// grid is the sampled contour function, a plotter.GridXYZ.
type grid struct {
	n                      int
	xmin, xmax, ymin, ymax float64
	z                      []float64
}

func (g *grid) Dims() (c, r int)   { return g.n, g.n }
func (g *grid) Z(c, r int) float64 { return g.z[r*g.n+c] }
func (g *grid) X(c int) float64 {
	return g.xmin + (g.xmax-g.xmin)*float64(c)/float64(g.n-1)
}
func (g *grid) Y(r int) float64 {
	return g.ymin + (g.ymax-g.ymin)*float64(r)/float64(g.n-1)
}

func (c *Contour) plotter() *plotter.Contour {
	if c.grid == nil {
		n := c.N
		if n < 2 {
			n = 120
		}
		g := &grid{n: n, xmin: c.XMin, xmax: c.XMax, ymin: c.YMin, ymax: c.YMax, z: make([]float64, n*n)}
		for r := 0; r < n; r++ {
			for col := 0; col < n; col++ {
				g.z[r*n+col] = c.Z(g.X(col), g.Y(r))
			}
		}
		c.grid = g
	}
	ct := plotter.NewContour(c.grid, c.Levels, contourPalette{len(c.Levels)})
	ct.LineStyles = []draw.LineStyle{{Width: vg.Points(0.7)}}
	if len(c.Levels) > 0 {
		ct.Min, ct.Max = c.Levels[0], c.Levels[len(c.Levels)-1]
		if ct.Min == ct.Max {
			ct.Max = ct.Min + 1
		}
	}
	return ct
}

// contourPalette runs from a light blue (low) to a light tan (high), pale
// enough for the lines above it to stand out.
type contourPalette struct{ n int }

func (p contourPalette) Colors() []color.Color {
	n := max(p.n, 2)
	cs := make([]color.Color, n)
	for i := range cs {
		cs[i] = contourColor(float64(i) / float64(n-1))
	}
	return cs
}

func contourColor(t float64) color.RGBA {
	lo, hi := [3]float64{160, 190, 230}, [3]float64{230, 200, 160}
	var c [3]uint8
	for i := range c {
		c[i] = uint8(lo[i] + t*(hi[i]-lo[i]) + 0.5)
	}
	return color.RGBA{c[0], c[1], c[2], 255}
}
