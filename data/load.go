package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// File names of the MNIST distribution (and of Fashion-MNIST, which uses the
// same ones). Each may also be found with a ".gz" suffix.
const (
	TrainImagesFile = "train-images-idx3-ubyte"
	TrainLabelsFile = "train-labels-idx1-ubyte"
	TestImagesFile  = "t10k-images-idx3-ubyte"
	TestLabelsFile  = "t10k-labels-idx1-ubyte"
)

// FashionMNISTDir is where Debian's package dataset-fashion-mnist installs
// Fashion-MNIST (the four files above, gzip-compressed).
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// pointElsewhere is how the error messages tell a user to use another folder.
const pointElsewhere = "point elsewhere with the --data-dir flag or the " + EnvDataDir + " environment variable"

// idxSpec describes an IDX dataset to load.
type idxSpec struct {
	name       string    // dataset name for messages, e.g. "MNIST"
	files      [4]string // train images, train labels, test images, test labels
	rows, cols int       // required image size; 0 accepts any
	classes    int       // number of classes; 0 infers max label + 1
	hint       string    // how to fix a missing folder or file
}

// LoadMNIST reads the MNIST training (60000) and test (10000) sets from dir,
// which holds train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each plain or
// gzip-compressed (with or without a ".gz" suffix). If dir is "", it uses
// MNISTDir(""). Examples have shape [1 28 28] with pixels in [0,1], and there
// are 10 classes.
//
// Errors name the file and the problem and wrap [ErrNotFound],
// [ErrTruncated], [ErrCorrupt], [ErrFormat], [ErrMismatch] or
// [ErrLabelRange].
func LoadMNIST(dir string) (train, test *Dense, err error) {
	if dir == "" {
		if dir, err = MNISTDir(""); err != nil {
			return nil, nil, err
		}
	}
	return loadIDX(dir, idxSpec{
		name:    "MNIST",
		files:   [4]string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile},
		rows:    28,
		cols:    28,
		classes: 10,
		hint:    pointElsewhere,
	})
}

// LoadFashionMNIST reads Fashion-MNIST from dir, or from [FashionMNISTDir] if
// dir is "". It uses the file names, format and shape of MNIST (10 classes of
// 28×28 images); errors are as for [LoadMNIST], and a missing folder or file
// says how to install the Debian package.
func LoadFashionMNIST(dir string) (train, test *Dense, err error) {
	if dir == "" {
		dir = FashionMNISTDir
	}
	return loadIDX(dir, idxSpec{
		name:    "Fashion-MNIST",
		files:   [4]string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile},
		rows:    28,
		cols:    28,
		classes: 10,
		hint:    "install it with: apt-get install dataset-fashion-mnist (it goes to " + FashionMNISTDir + "), or pass the folder that holds it (the --data-dir flag)",
	})
}

// LoadIDXDataset reads a training and a test set from four IDX files in dir
// (image files of unsigned bytes, count×rows×cols, and label files of
// unsigned bytes). Each name may be given with or without ".gz", and the file
// may be found under either name; gzip is detected by content. The images of
// both sets must have the same size; examples have shape [1 rows cols] with
// pixels in [0,1], and the number of classes is the largest label + 1.
// Errors are as for [LoadMNIST].
func LoadIDXDataset(dir, trainImages, trainLabels, testImages, testLabels string) (train, test *Dense, err error) {
	return loadIDX(dir, idxSpec{
		name:  "IDX dataset",
		files: [4]string{trainImages, trainLabels, testImages, testLabels},
		hint:  pointElsewhere,
	})
}

// candidates returns the names under which file may be stored.
func candidates(file string) []string {
	if base, ok := strings.CutSuffix(file, ".gz"); ok {
		return []string{file, base}
	}
	return []string{file, file + ".gz"}
}

// findFile returns the path of the first candidate name of file in dir that
// is a regular file (or a link to one).
func findFile(dir, file string) (string, bool) {
	for _, c := range candidates(file) {
		p := filepath.Join(dir, c)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, true
		}
	}
	return "", false
}

func loadIDX(dir string, spec idxSpec) (train, test *Dense, err error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("data: %s folder %s does not exist (%w); %s: %w",
			spec.name, dir, ErrNotFound, spec.hint, err)
	case err != nil:
		return nil, nil, fmt.Errorf("data: %s folder %s: %w", spec.name, dir, err)
	case !st.IsDir():
		return nil, nil, fmt.Errorf("data: %s folder %s is not a folder (%w); %s",
			spec.name, dir, ErrNotFound, spec.hint)
	}

	var paths [4]string
	var missing []string
	for i, f := range spec.files {
		p, ok := findFile(dir, f)
		if !ok {
			c := candidates(f)
			missing = append(missing, c[0]+" (or "+c[1]+")")
		}
		paths[i] = p
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("data: %s folder %s lacks %s (%w); %s: %w",
			spec.name, dir, strings.Join(missing, ", "), ErrNotFound, spec.hint, fs.ErrNotExist)
	}

	// Read the four files at once: decompression dominates the time.
	var (
		wg     sync.WaitGroup
		images [2]*Images
		labels [2][]int
		errs   [4]error
	)
	for set := range 2 {
		wg.Go(func() { images[set], errs[2*set] = readImagesFile(paths[2*set]) })
		wg.Go(func() { labels[set], errs[2*set+1] = readLabelsFile(paths[2*set+1]) })
	}
	wg.Wait()
	for _, err := range errs { // first error in a fixed order
		if err != nil {
			return nil, nil, err
		}
	}

	for set := range 2 {
		im, lb := images[set], labels[set]
		ip, lp := paths[2*set], paths[2*set+1]
		if spec.rows > 0 && (im.Rows != spec.rows || im.Cols != spec.cols) {
			return nil, nil, fmt.Errorf("data: %s: %w: images are %d×%d pixels, want %d×%d for %s",
				ip, ErrFormat, im.Rows, im.Cols, spec.rows, spec.cols, spec.name)
		}
		if im.Count != len(lb) {
			return nil, nil, fmt.Errorf("data: %s holds %d images but %s holds %d labels (%w)",
				ip, im.Count, lp, len(lb), ErrMismatch)
		}
	}
	if a, b := images[0], images[1]; a.Rows != b.Rows || a.Cols != b.Cols {
		return nil, nil, fmt.Errorf("data: %s holds %d×%d images but %s holds %d×%d images (%w)",
			paths[0], a.Rows, a.Cols, paths[2], b.Rows, b.Cols, ErrMismatch)
	}

	classes := spec.classes
	if classes == 0 {
		classes = 1
		for _, lb := range labels {
			for _, c := range lb {
				classes = max(classes, c+1)
			}
		}
	}
	var sets [2]*Dense
	for set := range 2 {
		for i, c := range labels[set] {
			if c >= classes {
				return nil, nil, fmt.Errorf("data: %s: %w: label %d of example %d (counting from 0) is not in [0,%d) for %s",
					paths[2*set+1], ErrLabelRange, c, i, classes, spec.name)
			}
		}
		im := images[set]
		ds, err := NewDense(im.Pixels, labels[set], []int{1, im.Rows, im.Cols}, classes)
		if err != nil {
			return nil, nil, fmt.Errorf("data: %s: %w", paths[2*set], err)
		}
		sets[set] = ds
	}
	return sets[0], sets[1], nil
}

func readImagesFile(path string) (*Images, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: opening %s: %w", path, err)
	}
	defer f.Close()
	return ReadIDXImages(f, path)
}

func readLabelsFile(path string) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: opening %s: %w", path, err)
	}
	defer f.Close()
	return ReadIDXLabels(f, path)
}
