package sparse

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func mustCSR(t *testing.T, rows, cols int, ptr []int, idx []int32, val []float32) *CSR {
	t.Helper()
	m, err := NewCSR(rows, cols, ptr, idx, val)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestReadSVMLight(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opt  ReadOptions
		want *Data
	}{
		{
			name: "plus minus one",
			in:   "+1 1:0.5 3:2\n-1 2:1e-3\n",
			want: &Data{X: &CSR{Rows: 2, Cols: 3, RowPtr: []int{0, 2, 3}, ColIdx: []int32{0, 2, 1}, Val: []float32{0.5, 2, 1e-3}}, Y: []float64{1, -1}},
		},
		{
			name: "zero one labels, qid, comments, blank lines, tabs, CRLF, no final newline",
			in:   "# header\n0 qid:3 1:1\t4:-2.5 # tail\r\n\n   \n1\t2:.25\r\n1",
			want: &Data{X: &CSR{Rows: 3, Cols: 4, RowPtr: []int{0, 2, 3, 3}, ColIdx: []int32{0, 3, 1}, Val: []float32{1, -2.5, 0.25}}, Y: []float64{0, 1, 1}},
		},
		{
			name: "class numbers and declared dimension",
			in:   "3 1:1\n7 5:2\n2.5\n",
			opt:  ReadOptions{Cols: 10},
			want: &Data{X: &CSR{Rows: 3, Cols: 10, RowPtr: []int{0, 1, 2, 2}, ColIdx: []int32{0, 4}, Val: []float32{1, 2}}, Y: []float64{3, 7, 2.5}},
		},
		{
			name: "zero-based",
			in:   "1 0:1 2:3\n",
			opt:  ReadOptions{ZeroBased: true},
			want: &Data{X: &CSR{Rows: 1, Cols: 3, RowPtr: []int{0, 2}, ColIdx: []int32{0, 2}, Val: []float32{1, 3}}, Y: []float64{1}},
		},
		{
			name: "empty input",
			in:   "",
			want: &Data{X: &CSR{Rows: 0, Cols: 0, RowPtr: []int{0}, ColIdx: []int32{}, Val: []float32{}}, Y: []float64{}},
		},
		{
			name: "exponents, signs and long mantissas",
			in:   "-1 1:1E+2 2:-0 3:+7 4:0.333333333333333333333 5:12345678901234567890123\n",
			want: &Data{X: &CSR{Rows: 1, Cols: 5, RowPtr: []int{0, 5}, ColIdx: []int32{0, 1, 2, 3, 4},
				Val: []float32{100, float32(math.Copysign(0, -1)), 7, 1.0 / 3, 12345678901234567890123}}, Y: []float64{-1}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadSVMLight(strings.NewReader(tc.in), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if err := got.X.Validate(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v %v\nwant %+v %v", *got.X, got.Y, *tc.want.X, tc.want.Y)
			}
		})
	}
}

func TestReadSVMLightErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opt  ReadOptions
		line int
		kind error
		want string
	}{
		{"missing label", "1 1:1\n2:1 3:1\n", ReadOptions{}, 2, ErrSyntax, "missing label"},
		{"bad label", "1 1:1\n\nx 1:1\n", ReadOptions{}, 3, ErrSyntax, `bad label "x"`},
		{"non-finite label", "nan 1:1\n", ReadOptions{}, 1, ErrSyntax, "bad label"},
		{"index not increasing", "1 1:1\n1 3:1 2:1\n", ReadOptions{}, 2, ErrSyntax, "feature index 2 after 3"},
		{"index repeated", "1 3:1 3:1\n", ReadOptions{}, 1, ErrSyntax, "feature index 3 after 3"},
		{"index zero in a 1-based file", "1 1:1\n# c\n-1 0:1 4:2\n", ReadOptions{}, 3, ErrZeroBased, "looks 0-based"},
		{"negative index", "1 -3:1\n", ReadOptions{}, 1, ErrSyntax, `bad feature index "-3"`},
		{"index not a number", "1 a:1\n", ReadOptions{}, 1, ErrSyntax, `bad feature index "a"`},
		{"index too large", "1 99999999999:1\n", ReadOptions{}, 1, ErrSyntax, "too large"},
		{"no colon", "1 5\n", ReadOptions{}, 1, ErrSyntax, `bad feature "5"`},
		{"bad value", "1 1:1\n1 2:0.5x\n", ReadOptions{}, 2, ErrSyntax, `bad value "0.5x" for feature 2`},
		{"empty value", "1 2:\n", ReadOptions{}, 1, ErrSyntax, `bad value ""`},
		{"infinite value", "1 2:inf\n", ReadOptions{}, 1, ErrSyntax, "bad value"},
		{"overflowing value", "1 2:1e39\n", ReadOptions{}, 1, ErrSyntax, "bad value"},
		{"qid after features", "1 1:1 qid:2\n", ReadOptions{}, 1, ErrSyntax, `bad feature index "qid"`},
		{"beyond declared dimension", "1 1:1\n1 11:1\n", ReadOptions{Cols: 10}, 2, ErrDimension, "beyond the declared dimension 10"},
		{"zero-based beyond dimension", "1 10:1\n", ReadOptions{Cols: 10, ZeroBased: true}, 1, ErrDimension, "index 10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opt.Name = "data.svm"
			_, err := ReadSVMLight(strings.NewReader(tc.in), tc.opt)
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a *LineError", err)
			}
			if le.Line != tc.line || !errors.Is(err, tc.kind) {
				t.Errorf("line %d, kind %v; want line %d, %v", le.Line, le.Err, tc.line, tc.kind)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, fmt.Sprintf("data.svm:%d:", tc.line)) {
				t.Errorf("message %q should name data.svm:%d and say %q", msg, tc.line, tc.want)
			}
		})
	}
}

func TestReadSVMLightFileNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.txt")
	if err := os.WriteFile(path, []byte("1 1:1\n1 0:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadSVMLightFile(path, ReadOptions{})
	if err == nil || !strings.Contains(err.Error(), path+":2:") {
		t.Fatalf("error %v should name %s:2", err, path)
	}
	if _, err := ReadSVMLightFile(filepath.Join(t.TempDir(), "missing"), ReadOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v, want an error wrapping os.ErrNotExist", err)
	}
	d, err := ReadSVMLightFile(path, ReadOptions{ZeroBased: true})
	if err != nil || d.X.Rows != 2 || d.X.Cols != 2 {
		t.Fatalf("zero-based read: %v, %+v", err, d)
	}
}

// randomData returns a random labelled matrix with some empty rows.
func randomData(rng *rand.Rand, rows, cols int) *Data {
	m := &CSR{Rows: rows, Cols: cols, RowPtr: make([]int, rows+1)}
	y := make([]float64, rows)
	for i := range rows {
		y[i] = float64(rng.IntN(3)*2 - 2)
		for j := range cols {
			if rng.IntN(4) == 0 {
				m.ColIdx = append(m.ColIdx, int32(j))
				var v float32
				switch rng.IntN(3) {
				case 0:
					v = float32(rng.NormFloat64())
				case 1:
					v = float32(rng.IntN(5))
				default:
					v = float32(math.Ldexp(rng.Float64(), rng.IntN(60)-30))
				}
				m.Val = append(m.Val, v)
			}
		}
		m.RowPtr[i+1] = len(m.ColIdx)
	}
	if m.ColIdx == nil {
		m.ColIdx, m.Val = []int32{}, []float32{}
	}
	return &Data{X: m, Y: y}
}

func TestWriteReadRoundTripAndChunking(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := randomData(rng, 300, 40)
	d.X.Cols = 45 // a declared dimension beyond the largest index
	var buf bytes.Buffer
	if err := WriteSVMLight(&buf, d, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	text := bytes.Clone(buf.Bytes())
	for _, chunk := range []int{1, 7, 64, 4096, defaultChunk} {
		for _, workers := range []int{1, 3} {
			got, err := readSVMLight(bytes.NewReader(text), ReadOptions{Cols: 45, Workers: workers}, chunk)
			if err != nil {
				t.Fatalf("chunk %d, workers %d: %v", chunk, workers, err)
			}
			if !reflect.DeepEqual(got, d) {
				t.Fatalf("chunk %d, workers %d: round trip differs", chunk, workers)
			}
		}
	}
	// Zero-based writing and reading.
	buf.Reset()
	if err := WriteSVMLight(&buf, d, WriteOptions{ZeroBased: true}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSVMLight(&buf, ReadOptions{ZeroBased: true, Cols: 45})
	if err != nil || !reflect.DeepEqual(got, d) {
		t.Fatalf("zero-based round trip: %v", err)
	}
	// An error on a late line is numbered from the start of the file, however
	// the input is split.
	bad := append(bytes.Clone(text), "1 5:1 2:1\n"...)
	for _, chunk := range []int{1, 100, defaultChunk} {
		_, err := readSVMLight(bytes.NewReader(bad), ReadOptions{Workers: 2}, chunk)
		var le *LineError
		if !errors.As(err, &le) || le.Line != 301 {
			t.Fatalf("chunk %d: error %v, want one on line 301", chunk, err)
		}
	}
}

func TestWriteSVMLightFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.svm")
	d := randomData(rand.New(rand.NewPCG(3, 4)), 50, 10)
	if err := WriteSVMLightFile(path, d, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSVMLightFile(path, ReadOptions{Cols: 10})
	if err != nil || !reflect.DeepEqual(got, d) {
		t.Fatalf("file round trip: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("folder holds %v, want only out.svm", entries)
	}
	if err := WriteSVMLightFile(filepath.Join(dir, "no", "such", "dir"), d, WriteOptions{}); err == nil {
		t.Fatal("writing into a missing folder succeeded")
	}
	if err := WriteSVMLight(&bytes.Buffer{}, &Data{X: d.X, Y: d.Y[:3]}, WriteOptions{}); err == nil {
		t.Fatal("label count mismatch accepted")
	}
}

func TestParseValueMatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := []string{"0", "-0", "1", "0.1", ".5", "5.", "1e-45", "1e-46", "3.4028235e38", "3.4028236e38",
		"16777217", "16777216.5", "0.000000000000000000001", "123456789012345678", "9007199254740993",
		"1.00000017881393432617187499", "1.000000178813934326171875", "1.00000017881393432617187501",
		"7.038531e-26", "1e10", "1e22", "1e23", "2.5e-22", "4.4501477170144023e-308"}
	for range 20000 {
		var s string
		switch rng.IntN(4) {
		case 0: // float32 shortest decimals
			s = strconv.FormatFloat(float64(math.Float32frombits(rng.Uint32())), 'g', -1, 32)
		case 1: // short decimals
			s = strconv.FormatFloat(rng.Float64()*math.Pow10(rng.IntN(20)-10), 'f', rng.IntN(12), 64)
		case 2: // float32 midpoints and their neighbours, as exact decimals
			f := math.Float32frombits(rng.Uint32() & 0x7effffff)
			mid := (float64(f) + float64(math.Nextafter32(f, float32(math.Inf(1))))) / 2
			s = strconv.FormatFloat(mid, 'e', -1, 64)
		default:
			s = fmt.Sprintf("%d.%de%d", rng.IntN(1e9), rng.IntN(1e9), rng.IntN(40)-20)
		}
		cases = append(cases, s)
	}
	for _, s := range cases {
		want, err := strconv.ParseFloat(s, 32)
		ok := err == nil && !math.IsInf(want, 0) && !math.IsNaN(want)
		got, next, gotOK := parseValue([]byte(s), 0)
		if gotOK != ok {
			t.Fatalf("parseValue(%q) ok = %v, strconv says %v (%v)", s, gotOK, ok, err)
		}
		if ok && (math.Float32bits(got) != math.Float32bits(float32(want)) || next != len(s)) {
			t.Fatalf("parseValue(%q) = %v (next %d), want %v", s, got, next, float32(want))
		}
	}
}

func FuzzReadSVMLight(f *testing.F) {
	for _, s := range []string{
		"+1 1:0.5 3:2\n-1 2:1e-3\n", "0 qid:1 1:1 # c\r\n", "1 0:1\n", "1 2:1 1:1\n", "2:1\n",
		"1 1:1e99\n", "-1 4294967297:1\n", "1 1:-.5e-3 2:+3.\n\n#\n", "3\n", "1 qid:x 2:1",
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, in []byte, flags uint8) {
		opt := ReadOptions{ZeroBased: flags&1 != 0, Workers: 1 + int(flags>>1&3)}
		if flags&8 != 0 {
			opt.Cols = 5
		}
		d, err := readSVMLight(bytes.NewReader(in), opt, 1+int(flags>>4))
		whole, err2 := ReadSVMLight(bytes.NewReader(in), opt)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("chunked read (%v) and whole read (%v) disagree", err, err2)
		}
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) || le.Line < 1 {
				t.Fatalf("error %v is not a *LineError with a line", err)
			}
			return
		}
		if !reflect.DeepEqual(d, whole) {
			t.Fatal("chunked and whole reads differ")
		}
		if err := d.X.Validate(); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteSVMLight(&buf, d, WriteOptions{ZeroBased: opt.ZeroBased}); err != nil {
			t.Fatal(err)
		}
		opt.Cols = d.X.Cols
		back, err := ReadSVMLight(&buf, opt)
		if err != nil {
			t.Fatalf("reading back what was written: %v\n%s", err, buf.Bytes())
		}
		if !sameData(back, d) {
			t.Fatalf("round trip differs:\n%q", buf.Bytes())
		}
	})
}

// sameData compares data sets, treating NaN-free values bitwise.
func sameData(a, b *Data) bool {
	if a.X.Rows != b.X.Rows || a.X.Cols != b.X.Cols || !reflect.DeepEqual(a.X.RowPtr, b.X.RowPtr) ||
		!reflect.DeepEqual(a.X.ColIdx, b.X.ColIdx) || len(a.Y) != len(b.Y) {
		return false
	}
	for k := range a.X.Val {
		if math.Float32bits(a.X.Val[k]) != math.Float32bits(b.X.Val[k]) {
			return false
		}
	}
	for i := range a.Y {
		if a.Y[i] != b.Y[i] {
			return false
		}
	}
	return true
}
