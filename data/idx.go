package data

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/descent-ml/descent/internal/parallel"
)

// Errors that the IDX readers and loaders wrap, so that callers can tell the
// kinds of failure apart with errors.Is. The messages that wrap them name the
// file and describe the problem in full.
var (
	// ErrNotFound means that a data folder or file does not exist. Errors
	// that wrap it also wrap fs.ErrNotExist.
	ErrNotFound = errors.New("not found")
	// ErrTruncated means that a file, or the gzip stream in it, ends before
	// the data that its IDX header declares.
	ErrTruncated = errors.New("truncated")
	// ErrCorrupt means that a gzip-compressed file fails to decompress (bad
	// header, bad deflate data or checksum mismatch).
	ErrCorrupt = errors.New("corrupt gzip data")
	// ErrFormat means that a file is not the IDX file expected (wrong magic
	// number, data type, number of dimensions or image size, or trailing
	// bytes).
	ErrFormat = errors.New("bad IDX format")
	// ErrMismatch means that files that belong together disagree (image and
	// label counts, or image sizes of the training and test sets).
	ErrMismatch = errors.New("files do not match")
	// ErrLabelRange means that a label is outside [0, classes).
	ErrLabelRange = errors.New("label out of range")
)

const (
	idxUbyte    = 0x08            // IDX data type code of unsigned bytes
	imagesMagic = idxUbyte<<8 | 3 // 0x00000803: unsigned bytes, 3 dimensions
	labelsMagic = idxUbyte<<8 | 1 // 0x00000801: unsigned bytes, 1 dimension
	firstChunk  = 1 << 20         // initial buffer when the data size is only declared
	maxIDXBytes = math.MaxInt / 8 // bound on the declared data size (float32 copy must fit)
	maxNoProg   = 100             // consecutive empty reads before giving up
	bufSize     = 256 << 10       // bufio buffer in front of the source
	gzipMagic0  = 0x1f            // first byte of a gzip stream
	gzipMagic1  = 0x8b            // second byte of a gzip stream
	maxDeflate  = 1032            // deflate's largest expansion of its input
	maxEager    = 256 << 20       // largest buffer allocated before the data is read
)

// Images holds the images of one IDX image file.
type Images struct {
	Count  int       // number of images
	Rows   int       // rows of one image
	Cols   int       // columns of one image
	Pixels []float32 // Count×Rows×Cols values, row-major, scaled from 0..255 to [0,1] (x/255)
}

// ReadIDXImages reads an IDX file of unsigned-byte images (magic 0x00000803,
// dimensions count×rows×cols) from r, plain or gzip-compressed: gzip is
// detected by its magic bytes 0x1f 0x8b, not by name. name is the file's name
// or path, used in error messages. Pixels are scaled to [0,1] as x/255.
//
// It reads the whole stream, so a gzip checksum is always verified, and it
// never panics: truncated or corrupt input, a wrong magic number, a zero
// image size and bytes past the declared data are reported as errors that
// name the file, say where the problem is and wrap one of [ErrTruncated],
// [ErrCorrupt] or [ErrFormat] (and the underlying error, if any).
func ReadIDXImages(r io.Reader, name string) (*Images, error) {
	s, err := openIDX(r, name)
	if err != nil {
		return nil, err
	}
	dims, err := s.header(imagesMagic, "an image file (count×rows×cols)")
	if err != nil {
		return nil, err
	}
	n, rows, cols := dims[0], dims[1], dims[2]
	if rows == 0 || cols == 0 {
		return nil, fmt.Errorf("data: %s: %w: header declares images of %d×%d pixels", name, ErrFormat, rows, cols)
	}
	size, ok := mulBounded(rows, cols)
	total, ok2 := mulBounded(n, size)
	if !ok || !ok2 {
		return nil, fmt.Errorf("data: %s: %w: header declares %d images of %d×%d pixels, too large to load",
			name, ErrFormat, n, rows, cols)
	}
	raw, err := s.body(total, func(off int) string {
		return fmt.Sprintf("in image %d (counting from 0) of %d, of %d×%d pixels", off/size, n, rows, cols)
	})
	if err != nil {
		return nil, err
	}
	if err := s.end(fmt.Sprintf("%d images of %d×%d pixels", n, rows, cols)); err != nil {
		return nil, err
	}
	return &Images{Count: n, Rows: rows, Cols: cols, Pixels: scalePixels(raw)}, nil
}

// ReadIDXLabels reads an IDX file of unsigned-byte labels (magic 0x00000801,
// one dimension) from r, plain or gzip-compressed (detected by magic bytes).
// name is used in error messages. It does not check the labels' range (the
// number of classes is the caller's to know); errors are as for
// [ReadIDXImages].
func ReadIDXLabels(r io.Reader, name string) ([]int, error) {
	s, err := openIDX(r, name)
	if err != nil {
		return nil, err
	}
	dims, err := s.header(labelsMagic, "a label file (count)")
	if err != nil {
		return nil, err
	}
	n := dims[0]
	raw, err := s.body(n, func(off int) string { return fmt.Sprintf("in label %d (counting from 0) of %d", off, n) })
	if err != nil {
		return nil, err
	}
	if err := s.end(fmt.Sprintf("%d labels", n)); err != nil {
		return nil, err
	}
	labels := make([]int, n)
	for i, b := range raw {
		labels[i] = int(b)
	}
	return labels, nil
}

// scalePixels converts bytes to float32 in [0,1] (x/255) in one pass, split
// across the cores.
func scalePixels(raw []byte) []float32 {
	var table [256]float32
	for i := range table {
		table[i] = float32(i) / 255
	}
	px := make([]float32, len(raw))
	parallel.For(len(raw), 1<<18, func(lo, hi int) {
		dst := px[lo:hi]
		for i, b := range raw[lo:hi] {
			dst[i] = table[b]
		}
	})
	return px
}

// mulBounded returns a*b if it is at most maxIDXBytes.
func mulBounded(a, b int) (int, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	if b != 0 && a > maxIDXBytes/b {
		return 0, false
	}
	return a * b, true
}

// idxStream reads one IDX file, decompressing it if needed, and tracks the
// offset in the (decompressed) IDX data for error messages.
type idxStream struct {
	name  string
	r     io.Reader
	gz    bool
	off   int // bytes of IDX data consumed
	limit int // upper bound on the IDX data's size, or -1 if unknown
}

// sizeOf returns the size of r's content if r can tell it (a file, or a
// bytes, strings or section reader), or -1.
func sizeOf(r io.Reader) int64 {
	switch r := r.(type) {
	case interface{ Size() int64 }:
		return r.Size()
	case *os.File:
		if st, err := r.Stat(); err == nil && st.Mode().IsRegular() {
			if off, err := r.Seek(0, io.SeekCurrent); err == nil {
				return st.Size() - off
			}
		}
	}
	return -1
}

// openIDX wraps r in a buffer and, if it starts with the gzip magic bytes, in
// a gzip reader.
func openIDX(r io.Reader, name string) (*idxStream, error) {
	size := sizeOf(r)
	bsize := bufSize
	if size >= 0 && size < bufSize {
		bsize = int(size) // bufio raises it to its minimum
	}
	br := bufio.NewReaderSize(r, bsize)
	s := &idxStream{name: name, r: br, limit: -1}
	if size >= 0 && size <= maxIDXBytes {
		s.limit = int(size)
	}
	head, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("data: %s: read error at the start of the file: %w", name, err)
	}
	if len(head) < 2 || head[0] != gzipMagic0 || head[1] != gzipMagic1 {
		return s, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return nil, fmt.Errorf("data: %s: %w: gzip header is cut off: %w", name, ErrTruncated, io.ErrUnexpectedEOF)
		case errors.Is(err, gzip.ErrHeader):
			return nil, fmt.Errorf("data: %s: %w: starts with the gzip magic bytes but has an invalid gzip header: %w",
				name, ErrCorrupt, err)
		default:
			return nil, fmt.Errorf("data: %s: reading the gzip header: %w", name, err)
		}
	}
	s.r, s.gz = zr, true
	if s.limit >= 0 {
		s.limit = min(s.limit, maxIDXBytes/maxDeflate) * maxDeflate
	}
	return s, nil
}

// fill reads len(p) bytes unless the source fails; it returns the source's
// own error (io.EOF for a clean end), unlike io.ReadFull, so that a cut-off
// gzip stream (io.ErrUnexpectedEOF from the decompressor) can be told from
// a complete stream that holds too little data (io.EOF).
func (s *idxStream) fill(p []byte) (int, error) {
	n, empty := 0, 0
	for n < len(p) {
		m, err := s.r.Read(p[n:])
		n += m
		s.off += m
		if err != nil {
			if err == io.EOF && n == len(p) {
				err = nil // the data is all there; the next read sees the end
			}
			return n, err
		}
		if m == 0 {
			if empty++; empty >= maxNoProg {
				return n, io.ErrNoProgress
			}
		} else {
			empty = 0
		}
	}
	return n, nil
}

// readErr describes a failed read at the current offset; what says where
// in the data it happened ("in image 3 of 10"), declared how many bytes the
// data should have had.
func (s *idxStream) readErr(err error, what string, declared int) error {
	var corrupt flate.CorruptInputError
	var internal flate.InternalError
	switch {
	case err == io.EOF && s.gz:
		return fmt.Errorf("data: %s: %w: the gzip stream is complete but holds only %d bytes of IDX data, "+
			"which end %s (expected %d bytes): %w",
			s.name, ErrTruncated, s.off, what, declared, io.ErrUnexpectedEOF)
	case err == io.EOF:
		return fmt.Errorf("data: %s: %w: the file ends at byte offset %d, %s (expected %d bytes): %w",
			s.name, ErrTruncated, s.off, what, declared, io.ErrUnexpectedEOF)
	case err == io.ErrUnexpectedEOF && s.gz:
		return fmt.Errorf("data: %s: %w: the gzip stream is cut off after %d bytes of IDX data, %s "+
			"(expected %d bytes): %w", s.name, ErrTruncated, s.off, what, declared, err)
	case s.gz && (errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.As(err, &corrupt) || errors.As(err, &internal)):
		return fmt.Errorf("data: %s: %w after %d bytes of IDX data, %s: %w",
			s.name, ErrCorrupt, s.off, what, err)
	default:
		return fmt.Errorf("data: %s: read error at byte offset %d, %s: %w", s.name, s.off, what, err)
	}
}

// header reads and checks the magic number, then reads the dimensions.
func (s *idxStream) header(want uint32, kind string) ([]int, error) {
	ndims := int(want & 0xff)
	var buf [4 * 4]byte
	if _, err := s.fill(buf[:4]); err != nil {
		return nil, s.readErr(err, "in the IDX magic number", 4+4*ndims)
	}
	magic := binary.BigEndian.Uint32(buf[:4])
	if magic != want {
		return nil, magicErr(s.name, magic, want, kind)
	}
	if _, err := s.fill(buf[4 : 4+4*ndims]); err != nil {
		return nil, s.readErr(err, "in the IDX header's dimensions", 4+4*ndims)
	}
	dims := make([]int, ndims)
	for i := range dims {
		d := binary.BigEndian.Uint32(buf[4+4*i:])
		if uint64(d) > maxIDXBytes {
			return nil, fmt.Errorf("data: %s: %w: header declares dimension %d of size %d, too large to load",
				s.name, ErrFormat, i, d)
		}
		dims[i] = int(d)
	}
	return dims, nil
}

// magicErr explains a wrong magic number.
func magicErr(name string, magic, want uint32, kind string) error {
	typ, ndims, wantDims := magic>>8&0xff, int(magic&0xff), int(want&0xff)
	var why string
	switch {
	case magic>>16 == gzipMagic0<<8|gzipMagic1:
		why = "the data is gzip-compressed twice"
	case magic>>16 != 0:
		why = "this is not an IDX file"
	case typ != idxUbyte:
		why = fmt.Sprintf("found IDX data type 0x%02x (%s), only unsigned bytes (0x08) are supported",
			typ, idxTypeName(typ))
	case ndims != wantDims:
		why = fmt.Sprintf("found %d dimension%s", ndims, plural(ndims))
		switch {
		case ndims == 3 && want == labelsMagic:
			why += " (is it an image file instead of a label file?)"
		case ndims == 1 && want == imagesMagic:
			why += " (is it a label file instead of an image file?)"
		}
	}
	return fmt.Errorf("data: %s: %w: wrong IDX magic number 0x%08x, want 0x%08x (unsigned bytes, %d dimension%s: %s); %s",
		name, ErrFormat, magic, want, wantDims, plural(wantDims), kind, why)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func idxTypeName(t uint32) string {
	switch t {
	case 0x08:
		return "unsigned byte"
	case 0x09:
		return "signed byte"
	case 0x0B:
		return "short"
	case 0x0C:
		return "int"
	case 0x0D:
		return "float"
	case 0x0E:
		return "double"
	}
	return "unknown"
}

// body reads exactly total bytes of data. If the source's size bounds the
// data, the buffer is allocated at once; otherwise it grows with the data
// actually read, so that a header that lies about its size costs no more
// memory than the data that is there. where describes the element at a data
// offset.
func (s *idxStream) body(total int, where func(off int) string) ([]byte, error) {
	start := s.off
	first := min(total, firstChunk)
	if s.limit >= 0 {
		first = min(total, s.limit, maxEager)
	}
	buf := make([]byte, 0, first)
	for len(buf) < total {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(total, max(2*cap(buf), firstChunk))-len(buf))
		}
		m, err := s.fill(buf[len(buf):min(cap(buf), total)])
		buf = buf[:len(buf)+m]
		if err != nil {
			what := s.endWhat()
			if len(buf) < total {
				what = where(len(buf))
			}
			return nil, s.readErr(err, what, start+total)
		}
	}
	return buf, nil
}

// end checks that the data ends where the header says. Reading to the end
// also makes the gzip reader verify its checksum.
func (s *idxStream) end(declared string) error {
	var one [1]byte
	for range maxNoProg {
		m, err := s.r.Read(one[:])
		if m > 0 {
			return fmt.Errorf("data: %s: %w: the data goes on past byte offset %d, where the %s that the header declares end",
				s.name, ErrFormat, s.off, declared)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return s.readErr(err, s.endWhat(), s.off)
		}
	}
	return s.readErr(io.ErrNoProgress, s.endWhat(), s.off)
}

// endWhat names what is read after the data.
func (s *idxStream) endWhat() string {
	if s.gz {
		return "at the end of the data (in the gzip trailer)"
	}
	return "at the end of the data"
}
