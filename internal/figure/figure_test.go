package figure

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestSaveWritesPNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	p := Plot{
		Title: "loss", XLabel: "examples seen", YLabel: "training loss", LogY: true,
		Series: []Series{
			{Name: "sgd", X: []float64{0, 1, 2, 3}, Y: []float64{2, 1, 0.5, 0.25}},
			{Name: "adam", X: []float64{0, 1, 2}, Y: []float64{2, 0.1, 0}}, // 0 cannot be drawn on a log axis
		},
		Points: []Series{{Name: "minimum", X: []float64{1}, Y: []float64{1}}},
	}
	png, svg := filepath.Join(dir, "a.png"), filepath.Join(dir, "a.svg")
	if err := p.Save(png, svg); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(png)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("a.png is not a PNG (%v)", err)
	}
	b, err = os.ReadFile(svg)
	if err != nil || !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("adam")) {
		t.Fatalf("a.svg is not an SVG with the legend (%v)", err)
	}
	if err := p.Save(filepath.Join(dir, "a.bmpx")); err == nil {
		t.Fatal("unknown format accepted")
	}
}
