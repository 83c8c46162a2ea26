package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// idxFile encodes an IDX file of unsigned bytes.
func idxFile(magic uint32, dims []uint32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, body...)
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pixels returns n images of rows×cols with pixel j of image i = (i*7+j)%256.
func pixels(n, rows, cols int) []byte {
	p := make([]byte, n*rows*cols)
	for i := range n {
		for j := range rows * cols {
			p[i*rows*cols+j] = byte((i*7 + j) % 256)
		}
	}
	return p
}

func imagesFile(n, rows, cols int) []byte {
	return idxFile(imagesMagic, []uint32{uint32(n), uint32(rows), uint32(cols)}, pixels(n, rows, cols))
}

func labelsFile(labels ...byte) []byte {
	return idxFile(labelsMagic, []uint32{uint32(len(labels))}, labels)
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadIDXRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name          string
		n, rows, cols int
		compress      bool
	}{
		{"plain", 3, 4, 5, false},
		{"gzip", 3, 4, 5, true},
		{"empty plain", 0, 28, 28, false},
		{"empty gzip", 0, 28, 28, true},
		{"mnist size gzip", 5, 28, 28, true},
		// Larger than the first chunk of a buffer grown without a size hint.
		{"big plain", 2000, 28, 28, false},
		{"big gzip", 2000, 28, 28, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := pixels(tc.n, tc.rows, tc.cols)
			img := imagesFile(tc.n, tc.rows, tc.cols)
			labels := make([]byte, tc.n)
			for i := range labels {
				labels[i] = byte(i % 10)
			}
			lab := labelsFile(labels...)
			if tc.compress {
				img, lab = gzipped(t, img), gzipped(t, lab)
			}
			im, err := ReadIDXImages(bytes.NewReader(img), "imgs")
			if err != nil {
				t.Fatal(err)
			}
			if im.Count != tc.n || im.Rows != tc.rows || im.Cols != tc.cols || len(im.Pixels) != len(raw) {
				t.Fatalf("got %d images of %d×%d, %d pixels", im.Count, im.Rows, im.Cols, len(im.Pixels))
			}
			for i, b := range raw {
				if want := float32(b) / 255; im.Pixels[i] != want {
					t.Fatalf("pixel %d = %v, want %v", i, im.Pixels[i], want)
				}
			}
			lb, err := ReadIDXLabels(bytes.NewReader(lab), "labels")
			if err != nil {
				t.Fatal(err)
			}
			if len(lb) != tc.n {
				t.Fatalf("%d labels, want %d", len(lb), tc.n)
			}
			for i, c := range lb {
				if c != int(labels[i]) {
					t.Fatalf("label %d = %d, want %d", i, c, labels[i])
				}
			}
		})
	}
}

func TestScalePixelsRange(t *testing.T) {
	raw := make([]byte, 256)
	for i := range raw {
		raw[i] = byte(i)
	}
	px := scalePixels(raw)
	if px[0] != 0 || px[255] != 1 {
		t.Errorf("0 → %v, 255 → %v; want 0 and 1", px[0], px[255])
	}
	for i := 1; i < 256; i++ {
		if px[i] <= px[i-1] {
			t.Fatalf("not increasing at %d", i)
		}
	}
}

// corruptDeflate returns a gzip file whose deflate data is damaged.
func corruptDeflate(t testing.TB) []byte {
	b := gzipped(t, imagesFile(50, 28, 28))
	b = slices.Clone(b)
	for i := 20; i < len(b)-8 && i < 60; i++ {
		b[i] ^= 0xff
	}
	return b
}

// badChecksum returns a gzip file whose CRC trailer is wrong.
func badChecksum(t testing.TB) []byte {
	b := slices.Clone(gzipped(t, imagesFile(3, 28, 28)))
	b[len(b)-8] ^= 0xff
	return b
}

func TestReadIDXErrors(t *testing.T) {
	img := imagesFile(3, 28, 28) // 16 + 3×784 = 2368 bytes
	gzImg := gzipped(t, img)
	type reader int
	const (
		images reader = iota
		labels
	)
	for _, tc := range []struct {
		name  string
		read  reader
		input []byte
		is    error
		want  []string // substrings of the message, besides the file name
	}{
		{"empty", images, nil, ErrTruncated, []string{"file ends at byte offset 0", "magic number"}},
		{"short header", images, img[:10], ErrTruncated, []string{"byte offset 10", "dimensions"}},
		{"truncated plain", images, img[:16+784+100], ErrTruncated,
			[]string{"file ends at byte offset 900", "image 1 (counting from 0) of 3", "expected 2368 bytes"}},
		{"truncated labels", labels, labelsFile(1, 2, 3, 4)[:10], ErrTruncated,
			[]string{"byte offset 10", "label 2 (counting from 0) of 4"}},
		{"truncated gzip", images, gzImg[:len(gzImg)/2], ErrTruncated,
			[]string{"gzip stream is cut off after", "image"}},
		{"truncated gzip trailer", images, gzImg[:len(gzImg)-4], ErrTruncated,
			[]string{"gzip stream is cut off after 2368 bytes", "end of the data"}},
		{"truncated gzip header", images, gzImg[:5], ErrTruncated, []string{"gzip header is cut off"}},
		{"gzip short content", images, gzipped(t, img[:1000]), ErrTruncated,
			[]string{"gzip stream is complete but holds only 1000 bytes", "image 1 (counting from 0) of 3"}},
		{"corrupt gzip header", images, append([]byte{0x1f, 0x8b, 0, 0}, img...), ErrCorrupt,
			[]string{"invalid gzip header"}},
		{"corrupt deflate", images, corruptDeflate(t), ErrCorrupt, []string{"corrupt gzip data after", "bytes of IDX data"}},
		{"bad checksum", images, badChecksum(t), ErrCorrupt, []string{"corrupt gzip data", "checksum"}},
		{"labels as images", images, labelsFile(1, 2), ErrFormat,
			[]string{"wrong IDX magic number 0x00000801, want 0x00000803", "found 1 dimension", "label file instead"}},
		{"images as labels", labels, img, ErrFormat,
			[]string{"wrong IDX magic number 0x00000803, want 0x00000801", "found 3 dimensions", "image file instead"}},
		{"4 dims", images, idxFile(0x0804, []uint32{1, 1, 1, 1}, []byte{0}), ErrFormat,
			[]string{"0x00000804", "found 4 dimensions"}},
		{"float data", images, idxFile(0x0D03, []uint32{1, 1, 1}, []byte{0, 0, 0, 0}), ErrFormat,
			[]string{"data type 0x0d (float)", "only unsigned bytes"}},
		{"not idx", images, []byte("hello, world, this is text"), ErrFormat,
			[]string{"0x68656c6c", "not an IDX file"}},
		{"double gzip", images, gzipped(t, gzImg), ErrFormat, []string{"gzip-compressed twice"}},
		{"zero rows", images, idxFile(imagesMagic, []uint32{5, 0, 28}, nil), ErrFormat, []string{"images of 0×28 pixels"}},
		{"huge dimension", labels, idxFile(labelsMagic, []uint32{1<<32 - 1}, nil), nil, []string{"4294967295"}},
		{"huge", images, idxFile(imagesMagic, []uint32{1 << 31, 1 << 31, 1 << 31}, nil), ErrFormat,
			[]string{"too large"}},
		{"huge but plausible", images, idxFile(imagesMagic, []uint32{1 << 16, 1 << 5, 1 << 5}, []byte{1, 2}), ErrTruncated,
			[]string{"file ends at byte offset 18"}},
		{"trailing bytes", images, append(slices.Clone(img), 0), ErrFormat,
			[]string{"goes on past byte offset 2368", "3 images of 28×28 pixels"}},
		{"trailing bytes labels", labels, append(labelsFile(1, 2), 7, 7), ErrFormat,
			[]string{"goes on past byte offset 10", "2 labels"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "some/dir/" + strings.ReplaceAll(tc.name, " ", "-") + ".idx"
			var err error
			if tc.read == images {
				_, err = ReadIDXImages(bytes.NewReader(tc.input), name)
			} else {
				_, err = ReadIDXLabels(bytes.NewReader(tc.input), name)
			}
			checkErr(t, err, tc.is, append([]string{name}, tc.want...)...)
		})
	}
}

func checkErr(t *testing.T, err, is error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	t.Log(err)
	if is != nil && !errors.Is(err, is) {
		t.Errorf("error does not wrap %v: %v", is, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\ndoes not contain %q", err, w)
		}
	}
}

// mnistFiles holds the contents of the four files of an MNIST-like dataset
// (nil: the file is left out).
type mnistFiles struct {
	trainImages, trainLabels, testImages, testLabels []byte
}

func smallMNIST() mnistFiles {
	return mnistFiles{
		trainImages: imagesFile(4, 28, 28),
		trainLabels: labelsFile(0, 9, 3, 1),
		testImages:  imagesFile(2, 28, 28),
		testLabels:  labelsFile(5, 5),
	}
}

// write puts the files into dir under names, gzip-compressing those that
// compress selects.
func (m mnistFiles) write(t testing.TB, dir string, names [4]string, compress [4]bool) {
	t.Helper()
	for i, b := range [][]byte{m.trainImages, m.trainLabels, m.testImages, m.testLabels} {
		if b == nil {
			continue
		}
		if compress[i] {
			b = gzipped(t, b)
		}
		writeFile(t, dir, names[i], b)
	}
}

var (
	plainNames = [4]string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile}
	gzNames    = [4]string{TrainImagesFile + ".gz", TrainLabelsFile + ".gz", TestImagesFile + ".gz", TestLabelsFile + ".gz"}
)

func TestLoadMNISTSynthetic(t *testing.T) {
	for _, tc := range []struct {
		name     string
		names    [4]string
		compress [4]bool
	}{
		{"plain", plainNames, [4]bool{}},
		{"gzip", gzNames, [4]bool{true, true, true, true}},
		// Content decides, not the name.
		{"gzip without suffix", plainNames, [4]bool{true, true, true, true}},
		{"plain with suffix", gzNames, [4]bool{}},
		{"mixed", [4]string{gzNames[0], plainNames[1], plainNames[2], gzNames[3]}, [4]bool{true, false, true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			smallMNIST().write(t, dir, tc.names, tc.compress)
			train, test, err := LoadMNIST(dir)
			if err != nil {
				t.Fatal(err)
			}
			if train.Len() != 4 || test.Len() != 2 {
				t.Fatalf("lengths %d, %d", train.Len(), test.Len())
			}
			for _, d := range []*Dense{train, test} {
				if !slices.Equal(d.Shape(), []int{1, 28, 28}) || d.Classes() != 10 {
					t.Errorf("shape %v classes %d", d.Shape(), d.Classes())
				}
			}
			if !slices.Equal(train.Y, []int{0, 9, 3, 1}) || !slices.Equal(test.Y, []int{5, 5}) {
				t.Errorf("labels %v %v", train.Y, test.Y)
			}
			f, _ := train.Example(1)
			if want := float32((7+3)%256) / 255; f[3] != want {
				t.Errorf("train example 1 pixel 3 = %v, want %v", f[3], want)
			}
		})
	}
}

func TestLoadIDXDatasetGeneric(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a-img", gzipped(t, imagesFile(3, 5, 7)))
	writeFile(t, dir, "a-lab.gz", labelsFile(0, 1, 2))
	writeFile(t, dir, "b-img.gz", imagesFile(1, 5, 7))
	writeFile(t, dir, "b-lab", labelsFile(4))
	// Names given with or without .gz find the file either way.
	train, test, err := LoadIDXDataset(dir, "a-img.gz", "a-lab", "b-img", "b-lab.gz")
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 3 || test.Len() != 1 || train.Classes() != 5 || test.Classes() != 5 {
		t.Errorf("lengths %d %d classes %d %d", train.Len(), test.Len(), train.Classes(), test.Classes())
	}
	if !slices.Equal(train.Shape(), []int{1, 5, 7}) {
		t.Errorf("shape %v", train.Shape())
	}
}

func TestLoadErrors(t *testing.T) {
	withTrainImages := func(b []byte) mnistFiles { m := smallMNIST(); m.trainImages = b; return m }
	withTestLabels := func(b []byte) mnistFiles { m := smallMNIST(); m.testLabels = b; return m }
	full := imagesFile(4, 28, 28)
	for _, tc := range []struct {
		name     string
		files    mnistFiles
		compress [4]bool
		is       error
		want     []string // substrings; "DIR" is replaced by the folder
	}{
		{"wrong dims", withTrainImages(imagesFile(4, 32, 32)), [4]bool{}, ErrFormat,
			[]string{"DIR/" + TrainImagesFile, "images are 32×32 pixels, want 28×28 for MNIST"}},
		{"count mismatch", withTestLabels(labelsFile(1, 2, 3)), [4]bool{}, ErrMismatch,
			[]string{"DIR/" + TestImagesFile + " holds 2 images but DIR/" + TestLabelsFile + " holds 3 labels"}},
		{"label range", withTestLabels(labelsFile(1, 12)), [4]bool{}, ErrLabelRange,
			[]string{"DIR/" + TestLabelsFile, "label 12 of example 1", "[0,10)"}},
		{"truncated", withTrainImages(full[:1000]), [4]bool{}, ErrTruncated,
			[]string{"DIR/" + TrainImagesFile, "byte offset 1000", "image 1 (counting from 0) of 4"}},
		{"truncated gzip", withTrainImages(gzipped(t, full)[:300]), [4]bool{}, ErrTruncated,
			[]string{"DIR/" + TrainImagesFile, "gzip stream is cut off"}},
		{"corrupt gzip", withTrainImages(corruptDeflate(t)), [4]bool{}, ErrCorrupt,
			[]string{"DIR/" + TrainImagesFile, "corrupt gzip data"}},
		{"wrong magic", withTrainImages(labelsFile(1)), [4]bool{}, ErrFormat,
			[]string{"DIR/" + TrainImagesFile, "wrong IDX magic number 0x00000801, want 0x00000803"}},
		{"missing file", withTestLabels(nil), [4]bool{}, ErrNotFound,
			[]string{"MNIST folder DIR lacks " + TestLabelsFile + " (or " + TestLabelsFile + ".gz)", "--data-dir", EnvDataDir}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.files.write(t, dir, plainNames, tc.compress)
			_, _, err := LoadMNIST(dir)
			var want []string
			for _, w := range tc.want {
				want = append(want, strings.ReplaceAll(w, "DIR", dir))
			}
			checkErr(t, err, tc.is, want...)
		})
	}

	t.Run("missing dir", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nowhere")
		_, _, err := LoadMNIST(dir)
		checkErr(t, err, ErrNotFound, "MNIST folder "+dir+" does not exist", "--data-dir", EnvDataDir)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Error("error does not wrap fs.ErrNotExist")
		}
	})
	t.Run("dir is a file", func(t *testing.T) {
		p := writeFile(t, t.TempDir(), "f", nil)
		_, _, err := LoadMNIST(p)
		checkErr(t, err, ErrNotFound, p, "is not a folder")
	})
	t.Run("fashion missing dir", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nowhere")
		_, _, err := LoadFashionMNIST(dir)
		checkErr(t, err, ErrNotFound, "Fashion-MNIST folder "+dir, "install it with: apt-get install dataset-fashion-mnist")
	})
	t.Run("train test size mismatch", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "a", imagesFile(1, 5, 7))
		writeFile(t, dir, "b", labelsFile(0))
		writeFile(t, dir, "c", imagesFile(1, 7, 5))
		_, _, err := LoadIDXDataset(dir, "a", "b", "c", "b")
		checkErr(t, err, ErrMismatch, filepath.Join(dir, "a")+" holds 5×7 images but "+filepath.Join(dir, "c")+" holds 7×5")
	})
}

func TestLoadRealMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 11 MB MNIST load")
	}
	dir, err := MNISTDir("")
	if err != nil {
		t.Skipf("MNIST not available (module cache unavailable?): %v", err)
	}
	train, test, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkMNISTLike(t, train, test)
}

func TestLoadFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 30 MB Fashion-MNIST load")
	}
	if _, err := os.Stat(FashionMNISTDir); err != nil {
		t.Skipf("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): %v", err)
	}
	train, test, err := LoadFashionMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	checkMNISTLike(t, train, test)
}

func checkMNISTLike(t *testing.T, train, test *Dense) {
	t.Helper()
	if train.Len() != 60000 || test.Len() != 10000 {
		t.Errorf("%d training and %d test examples, want 60000 and 10000", train.Len(), test.Len())
	}
	for _, d := range []*Dense{train, test} {
		if !slices.Equal(d.Shape(), []int{1, 28, 28}) || d.Classes() != 10 || Features(d) != 784 {
			t.Errorf("shape %v, %d classes", d.Shape(), d.Classes())
		}
		var counts [10]int
		for _, c := range d.Y {
			if c < 0 || c > 9 {
				t.Fatalf("label %d", c)
			}
			counts[c]++
		}
		for c, n := range counts {
			if n < d.Len()/20 {
				t.Errorf("class %d has only %d examples", c, n)
			}
		}
		lo, hi := d.X[0], d.X[0]
		for _, v := range d.X {
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo != 0 || hi != 1 {
			t.Errorf("pixels in [%v, %v], want [0, 1]", lo, hi)
		}
	}
}

// BenchmarkLoadMNIST measures LoadMNIST on the copy in the module cache
// (decompressing 11 MB of gzip into 55 MB and converting to float32).
func BenchmarkLoadMNIST(b *testing.B) {
	dir, err := MNISTDir("")
	if err != nil {
		b.Skipf("MNIST not available: %v", err)
	}
	for b.Loop() {
		if _, _, err := LoadMNIST(dir); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzReadIDX(f *testing.F) {
	img := imagesFile(2, 3, 4)
	f.Add(img)
	f.Add(gzipped(f, img))
	f.Add(labelsFile(1, 2, 3))
	f.Add(gzipped(f, labelsFile(1, 2, 3)))
	f.Add(img[:20])
	f.Add(gzipped(f, img)[:30])
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{})
	f.Add(idxFile(imagesMagic, []uint32{1 << 16, 1 << 5, 1 << 5}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := ReadIDXImages(bytes.NewReader(b), "fuzz")
		if err == nil {
			if len(im.Pixels) != im.Count*im.Rows*im.Cols {
				t.Fatalf("%d pixels for %d×%d×%d", len(im.Pixels), im.Count, im.Rows, im.Cols)
			}
			for _, p := range im.Pixels {
				if p < 0 || p > 1 {
					t.Fatalf("pixel %v", p)
				}
			}
		} else if !strings.Contains(err.Error(), "fuzz") {
			t.Fatalf("error does not name the file: %v", err)
		}
		lb, err := ReadIDXLabels(bytes.NewReader(b), "fuzz")
		if err == nil {
			for _, c := range lb {
				if c < 0 || c > 255 {
					t.Fatalf("label %d", c)
				}
			}
		} else if !strings.Contains(err.Error(), "fuzz") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

// sizedReader reports a size that may be wrong, to check that a size hint
// only shapes the buffer and never the result.
type sizedReader struct {
	*bytes.Reader
	size int64
}

func (r sizedReader) Size() int64 { return r.size }

func TestReadIDXReaders(t *testing.T) {
	img := imagesFile(40, 28, 28)
	gzImg := gzipped(t, img)
	for _, tc := range []struct {
		name string
		r    io.Reader
	}{
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(img))},
		{"one byte at a time gzip", iotest.OneByteReader(bytes.NewReader(gzImg))},
		{"data with EOF", iotest.DataErrReader(bytes.NewReader(img))},
		{"half reads gzip", iotest.HalfReader(bytes.NewReader(gzImg))},
		{"size too small", sizedReader{bytes.NewReader(img), 0}},
		{"size too small gzip", sizedReader{bytes.NewReader(gzImg), 1}},
		{"size too large", sizedReader{bytes.NewReader(img), 1 << 40}},
		// No size hint, more than the first chunk: the buffer grows.
		{"no size, grows", iotest.HalfReader(bytes.NewReader(imagesFile(3000, 28, 28)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, err := ReadIDXImages(tc.r, "x")
			if err != nil {
				t.Fatal(err)
			}
			if len(im.Pixels) != im.Count*784 || im.Count < 40 || im.Pixels[785] != float32(8)/255 ||
				im.Pixels[len(im.Pixels)-1] != float32(((im.Count-1)*7+783)%256)/255 {
				t.Errorf("got %d images, %d pixels, pixel 785 = %v", im.Count, len(im.Pixels), im.Pixels[785])
			}
		})
	}
	t.Run("read error", func(t *testing.T) {
		r := io.MultiReader(bytes.NewReader(img[:100]), iotest.ErrReader(errors.New("disk on fire")))
		_, err := ReadIDXImages(r, "dir/x")
		checkErr(t, err, nil, "dir/x", "read error at byte offset 100", "in image 0", "disk on fire")
	})
	t.Run("percent in name", func(t *testing.T) {
		_, err := ReadIDXImages(bytes.NewReader(labelsFile(1)), "dir/100%d-%s")
		checkErr(t, err, ErrFormat, "dir/100%d-%s: bad IDX format: wrong IDX magic number")
	})
}
