package sparse

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/descent-ml/descent/internal/atomicfile"
	"github.com/descent-ml/descent/internal/parallel"
)

// Data is a labelled sparse data set: example i is row i of X with label
// Y[i]. Labels are kept as written in the file (±1, 0/1, class numbers);
// package linear maps them to classes.
type Data struct {
	X *CSR
	Y []float64
}

// Errors that the svmlight reader wraps, so that callers can tell the kinds
// of failure apart with errors.Is. The messages that wrap them name the
// file and line (see [LineError]).
var (
	// ErrSyntax means that a line is not "label [qid:n] index:value ...".
	ErrSyntax = errors.New("malformed svmlight line")
	// ErrZeroBased means that a feature index 0 was read from a file
	// expected to be 1-based, as svmlight files are.
	ErrZeroBased = errors.New("feature index 0 in a 1-based file")
	// ErrDimension means that a feature index lies beyond the dimension
	// declared in ReadOptions.Cols.
	ErrDimension = errors.New("feature index beyond the declared dimension")
)

// LineError is the error of the svmlight reader for a bad line: it names
// the file and the 1-based line number and wraps one of [ErrSyntax],
// [ErrZeroBased] or [ErrDimension].
type LineError struct {
	File string // file name (ReadOptions.Name), "" if unknown
	Line int    // 1-based line number
	Msg  string // what is wrong, in full
	Err  error  // the kind of failure
}

// Error returns "sparse: FILE:LINE: what is wrong".
func (e *LineError) Error() string {
	name := e.File
	if name == "" {
		name = "svmlight input"
	}
	return fmt.Sprintf("sparse: %s:%d: %s", name, e.Line, e.Msg)
}

// Unwrap returns the kind of failure, for errors.Is.
func (e *LineError) Unwrap() error { return e.Err }

// ReadOptions control ReadSVMLight.
type ReadOptions struct {
	// Name is the file name used in error messages; ReadSVMLightFile sets
	// it to the path when it is empty.
	Name string
	// Cols is the declared number of features: an index beyond it is an
	// error wrapping ErrDimension. Zero means the largest index read.
	Cols int
	// ZeroBased reads feature indices as 0-based (index i is column i)
	// instead of svmlight's 1-based convention (index i is column i−1).
	ZeroBased bool
	// Workers is the number of goroutines that parse; 0 means
	// runtime.GOMAXPROCS.
	Workers int
}

// defaultChunk is the size of the blocks of whole lines that the parsing
// goroutines take from the input.
const defaultChunk = 2 << 20

// firstChunk is the size of the first block, which doubles up to the
// chunk size with every block.
const firstChunk = 16 << 10

// ReadSVMLightFile reads the svmlight/libsvm file at path (see
// [ReadSVMLight]).
func ReadSVMLightFile(path string, opt ReadOptions) (*Data, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sparse: %w", err)
	}
	defer f.Close()
	if opt.Name == "" {
		opt.Name = path
	}
	return ReadSVMLight(f, opt)
}

// ReadSVMLight reads a data set in the svmlight/libsvm text format, one
// example per line:
//
//	label [qid:n] index:value index:value ... [# comment]
//
// The label is a number (±1, 0/1 or a class number); a qid is ignored;
// indices are 1-based (unless opt.ZeroBased) and strictly increase within a
// line; anything after # is a comment; blank and comment-only lines are
// skipped; fields are separated by spaces or tabs and lines may end in
// \r\n. The number of columns is opt.Cols, or the largest index read.
//
// The input is streamed in blocks of whole lines that all cores parse at
// once. A malformed line gives a *[LineError] naming the file and line; a
// feature index 0 in a 1-based read says that the file looks 0-based.
func ReadSVMLight(r io.Reader, opt ReadOptions) (*Data, error) {
	return readSVMLight(r, opt, defaultChunk)
}

// chunkResult is what one goroutine parsed from one block of lines.
type chunkResult struct {
	y      []float64
	rowEnd []int // end of each row in idx/val
	idx    []int32
	val    []float32
	lines  int // newlines in the block
	maxCol int // largest column, -1 if none
	err    *LineError
}

func readSVMLight(r io.Reader, opt ReadOptions, chunk int) (*Data, error) {
	if opt.Cols < 0 || opt.Cols > MaxCols {
		return nil, fmt.Errorf("sparse: declared dimension %d out of range [0,%d]", opt.Cols, MaxCols)
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = parallel.Workers()
	}
	type job struct {
		seq int
		buf []byte // whole lines (the last may lack its newline)
		mem []byte // the pooled buffer behind buf
	}
	jobs := make(chan job, workers)
	free := make(chan []byte, 2*workers+1)
	for range cap(free) {
		free <- nil
	}
	var (
		mu      sync.Mutex
		results []*chunkResult // by block number
		stopAt  atomic.Int64   // the first block with an error: later ones need no parsing
		wg      sync.WaitGroup
	)
	stopAt.Store(math.MaxInt64)
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			p := parser{opt: opt}
			for j := range jobs {
				var res *chunkResult
				if int64(j.seq) <= stopAt.Load() {
					res = p.parse(j.buf)
				}
				free <- j.mem
				if res == nil {
					continue
				}
				if res.err != nil {
					for {
						old := stopAt.Load()
						if int64(j.seq) >= old || stopAt.CompareAndSwap(old, int64(j.seq)) {
							break
						}
					}
				}
				mu.Lock()
				for len(results) <= j.seq {
					results = append(results, nil)
				}
				results[j.seq] = res
				mu.Unlock()
			}
		}()
	}

	// Read blocks that end at a newline; the partial line after the last
	// newline is carried into the next block.
	var carry []byte
	var readErr error
	seq := 0
	for readErr == nil && int64(seq) <= stopAt.Load() {
		buf := <-free
		// Blocks start small, for small inputs, and double up to chunk.
		want := max(min(chunk, firstChunk<<min(seq, 30)), 2*len(carry))
		if cap(buf) < want {
			buf = make([]byte, want)
		}
		buf = buf[:cap(buf)]
		n := copy(buf, carry)
		carry = carry[:0]
		for {
			m, err := io.ReadFull(r, buf[n:])
			n += m
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				readErr = io.EOF
				break
			}
			if err != nil {
				readErr = fmt.Errorf("sparse: reading %s: %w", nameOr(opt.Name), err)
				break
			}
			if bytes.IndexByte(buf[:n], '\n') >= 0 {
				break
			}
			// A line longer than the buffer: grow it and read on.
			bigger := make([]byte, 2*len(buf))
			copy(bigger, buf[:n])
			buf = bigger
		}
		end := n
		if readErr == nil {
			end = bytes.LastIndexByte(buf[:n], '\n') + 1
			carry = append(carry, buf[end:n]...)
		}
		if end == 0 {
			free <- buf
			continue
		}
		jobs <- job{seq: seq, buf: buf[:end], mem: buf}
		seq++
	}
	close(jobs)
	wg.Wait()
	if readErr != nil && readErr != io.EOF {
		return nil, readErr
	}

	// The first error in file order wins; its line number counts the lines
	// of the blocks before it.
	line := 0
	for _, res := range results {
		if res == nil {
			break
		}
		if res.err != nil {
			e := *res.err
			e.Line += line
			e.File = opt.Name
			return nil, &e
		}
		line += res.lines
	}
	return assemble(results, opt)
}

func nameOr(name string) string {
	if name == "" {
		return "svmlight input"
	}
	return name
}

// assemble concatenates the blocks into one CSR matrix and label vector.
func assemble(results []*chunkResult, opt ReadOptions) (*Data, error) {
	rows, nnz, maxCol := 0, 0, -1
	rowOff := make([]int, len(results)+1)
	nnzOff := make([]int, len(results)+1)
	for c, res := range results {
		rows += len(res.y)
		nnz += len(res.idx)
		maxCol = max(maxCol, res.maxCol)
		rowOff[c+1], nnzOff[c+1] = rows, nnz
	}
	cols := opt.Cols
	if cols == 0 {
		cols = maxCol + 1
	}
	d := &Data{
		X: &CSR{Rows: rows, Cols: cols, RowPtr: make([]int, rows+1), ColIdx: make([]int32, nnz), Val: make([]float32, nnz)},
		Y: make([]float64, rows),
	}
	parallel.For(len(results), 1, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			res := results[c]
			copy(d.Y[rowOff[c]:], res.y)
			copy(d.X.ColIdx[nnzOff[c]:], res.idx)
			copy(d.X.Val[nnzOff[c]:], res.val)
			ptr := d.X.RowPtr[rowOff[c]+1:]
			for i, e := range res.rowEnd {
				ptr[i] = nnzOff[c] + e
			}
			results[c] = nil // the garbage collector may take the block now
		}
	})
	return d, nil
}

// parser turns blocks of svmlight lines into chunkResults.
type parser struct {
	opt ReadOptions
}

// parse parses a block of whole lines.
func (p *parser) parse(b []byte) *chunkResult {
	est := len(b) / 16
	res := &chunkResult{
		idx:    make([]int32, 0, est),
		val:    make([]float32, 0, est),
		maxCol: -1,
	}
	lineNo := 0
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		var line []byte
		if nl < 0 {
			line, b = b, nil
		} else {
			line, b = b[:nl], b[nl+1:]
			res.lines++
		}
		lineNo++
		if h := bytes.IndexByte(line, '#'); h >= 0 {
			line = line[:h]
		}
		if msg, kind := p.line(res, line); msg != "" {
			res.err = &LineError{Line: lineNo, Msg: msg, Err: kind}
			return res
		}
	}
	return res
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }

// line parses one line (comment removed) into res, or returns what is wrong
// with it and the kind of error.
func (p *parser) line(res *chunkResult, line []byte) (string, error) {
	n := len(line)
	i := 0
	for i < n && isSpace(line[i]) {
		i++
	}
	if i == n {
		return "", nil // blank or comment-only line
	}
	j := i
	for j < n && !isSpace(line[j]) {
		j++
	}
	tok := line[i:j]
	if bytes.IndexByte(tok, ':') >= 0 {
		return fmt.Sprintf("missing label: the line starts with the feature %q; want \"label index:value ...\"", tok), ErrSyntax
	}
	y, ok := parseLabel(tok)
	if !ok {
		return fmt.Sprintf("bad label %q: want a finite number", tok), ErrSyntax
	}
	i = j
	prev := int64(-1)
	first := true
	const maxIndex = MaxCols // 1-based index MaxCols is column MaxCols−1
	for {
		for i < n && isSpace(line[i]) {
			i++
		}
		if i == n {
			break
		}
		// Feature index.
		s := i
		var idx int64
		for i < n && line[i]-'0' < 10 {
			idx = idx*10 + int64(line[i]-'0')
			if idx > maxIndex {
				for i < n && line[i]-'0' < 10 {
					i++
				}
				return fmt.Sprintf("feature index %s is too large (at most %d)", line[s:i], maxIndex), ErrSyntax
			}
			i++
		}
		if i == s || i == n || line[i] != ':' {
			e := i
			for e < n && !isSpace(line[e]) {
				e++
			}
			tok := line[s:e]
			if first && bytes.HasPrefix(tok, []byte("qid:")) {
				i, first = e, false
				continue
			}
			if c := bytes.IndexByte(tok, ':'); c >= 0 {
				return fmt.Sprintf("bad feature index %q in %q: want a positive integer", tok[:c], tok), ErrSyntax
			}
			return fmt.Sprintf("bad feature %q: want index:value", tok), ErrSyntax
		}
		first = false
		i++ // ':'
		col := idx - 1
		if p.opt.ZeroBased {
			col = idx
		} else if idx == 0 {
			return "feature index 0: svmlight indices are 1-based, so this file looks 0-based " +
				"(read it with ZeroBased, --zero-based on the command line)", ErrZeroBased
		}
		if idx <= prev {
			return fmt.Sprintf("feature index %d after %d: indices must strictly increase within a line", idx, prev), ErrSyntax
		}
		prev = idx
		if p.opt.Cols > 0 && col >= int64(p.opt.Cols) {
			return fmt.Sprintf("feature index %d is beyond the declared dimension %d", idx, p.opt.Cols), ErrDimension
		}
		v, next, ok := parseValue(line, i)
		if !ok {
			e := i
			for e < n && !isSpace(line[e]) {
				e++
			}
			return fmt.Sprintf("bad value %q for feature %d: want a finite number", line[i:e], idx), ErrSyntax
		}
		i = next
		res.idx = append(res.idx, int32(col))
		res.val = append(res.val, v)
		res.maxCol = max(res.maxCol, int(col))
	}
	res.y = append(res.y, y)
	res.rowEnd = append(res.rowEnd, len(res.idx))
	return "", nil
}

// parseLabel parses a label: integers quickly, anything else with strconv.
func parseLabel(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, i = b[0] == '-', 1
	}
	if i < len(b) && len(b)-i <= 15 {
		var v int64
		j := i
		for ; j < len(b) && b[j]-'0' < 10; j++ {
			v = v*10 + int64(b[j]-'0')
		}
		if j == len(b) {
			if neg {
				v = -v
			}
			return float64(v), true
		}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

var (
	pow10f32 = [...]float32{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10}
	pow10f64 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
		1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}
)

// parseValue parses the decimal number that starts at b[i] and must end at
// a space or the end of b, rounded correctly to float32. It returns the
// value and the index after it. Decimals of at most 19 digits with small
// exponents take exact fast paths (Clinger's); the rest go to strconv.
// Infinities and NaNs are rejected.
func parseValue(b []byte, i int) (float32, int, bool) {
	n := len(b)
	j := i
	neg := false
	if j < n && (b[j] == '-' || b[j] == '+') {
		neg = b[j] == '-'
		j++
	}
	s := j
	var mant uint64
	for ; j < n && b[j]-'0' < 10; j++ {
		mant = mant*10 + uint64(b[j]-'0')
	}
	nd := j - s
	frac := 0
	if j < n && b[j] == '.' {
		j++
		s := j
		mant, j = digits(b, j, mant)
		frac = j - s
	}
	nd += frac
	if nd == 0 || nd > 19 {
		// No digits, or so many that mant may have overflowed.
		return parseValueSlow(b, i)
	}
	exp10 := -frac
	if j < n && (b[j] == 'e' || b[j] == 'E') {
		j++
		eneg := false
		if j < n && (b[j] == '-' || b[j] == '+') {
			eneg = b[j] == '-'
			j++
		}
		s := j
		e := 0
		for ; j < n && b[j]-'0' < 10; j++ {
			if e < 100000 {
				e = e*10 + int(b[j]-'0')
			}
		}
		if j == s {
			return 0, j, false
		}
		if eneg {
			e = -e
		}
		exp10 += e
	}
	if j < n && !isSpace(b[j]) {
		return parseValueSlow(b, i)
	}
	var f float32
	switch {
	case mant == 0:
	case mant < 1<<24 && exp10 >= -10 && exp10 <= 10:
		// One correctly rounded float32 operation on exact operands.
		f = float32(mant)
		if exp10 < 0 {
			f /= pow10f32[-exp10]
		} else {
			f *= pow10f32[exp10]
		}
	case mant < 1<<53 && exp10 >= -22 && exp10 <= 22:
		// Correctly rounded float64, then float32: the double rounding is
		// exact unless the float64 lies on a float32 midpoint.
		d := float64(mant)
		if exp10 < 0 {
			d /= pow10f64[-exp10]
		} else {
			d *= pow10f64[exp10]
		}
		if math.Float64bits(d)&(1<<29-1) == 1<<28 {
			return parseValueSlow(b, i)
		}
		f = float32(d)
	default:
		return parseValueSlow(b, i)
	}
	if neg {
		f = -f
	}
	return f, j, true
}

// digits appends the decimal digits from b[j] on to mant and returns it
// with the index after them; past 19 digits mant overflows (the caller
// counts digits). Eight digits at a time go through SWAR arithmetic on one
// 64-bit word (Lemire's parse_eight_digits_unrolled): the fractions of
// TF-IDF values are long.
func digits(b []byte, j int, mant uint64) (uint64, int) {
	for j+8 <= len(b) {
		v := binary.LittleEndian.Uint64(b[j:])
		if (v&0xF0F0F0F0F0F0F0F0)|((v+0x0606060606060606)&0xF0F0F0F0F0F0F0F0)>>4 != 0x3333333333333333 {
			break
		}
		v -= 0x3030303030303030
		v = v*10 + v>>8
		v = ((v&0x000000FF000000FF)*(100+1000000<<32) + (v>>16&0x000000FF000000FF)*(1+10000<<32)) >> 32
		mant = mant*100000000 + v
		j += 8
	}
	for ; j < len(b) && b[j]-'0' < 10; j++ {
		mant = mant*10 + uint64(b[j]-'0')
	}
	return mant, j
}

// parseValueSlow parses the token at b[i:] with strconv.
func parseValueSlow(b []byte, i int) (float32, int, bool) {
	j := i
	for j < len(b) && !isSpace(b[j]) {
		j++
	}
	f, err := strconv.ParseFloat(string(b[i:j]), 32)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, j, false
	}
	return float32(f), j, true
}

// WriteOptions control WriteSVMLight.
type WriteOptions struct {
	// ZeroBased writes column j as index j instead of j+1.
	ZeroBased bool
}

// WriteSVMLight writes d in the svmlight format, one line per row: the
// label, then index:value for every stored entry, with 1-based indices
// (unless opt.ZeroBased) and the shortest decimals that read back to the
// same float32 values. All cores format rows; the output is written in
// order. It returns an error if len(d.Y) != d.X.Rows or w fails.
func WriteSVMLight(w io.Writer, d *Data, opt WriteOptions) error {
	x := d.X
	if len(d.Y) != x.Rows {
		return fmt.Errorf("sparse: WriteSVMLight: %d labels for %d rows", len(d.Y), x.Rows)
	}
	base := int64(1)
	if opt.ZeroBased {
		base = 0
	}
	const block = 4096 // rows formatted by one goroutine at a time
	workers := parallel.Workers()
	bufs := make([][]byte, 2*workers)
	for start := 0; start < x.Rows; start += block * len(bufs) {
		nb := min(len(bufs), (x.Rows-start+block-1)/block)
		parallel.For(nb, 1, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				buf := bufs[b][:0]
				r0 := start + b*block
				for i := r0; i < min(r0+block, x.Rows); i++ {
					buf = strconv.AppendFloat(buf, d.Y[i], 'g', -1, 64)
					idx, val := x.Row(i)
					for k, j := range idx {
						buf = append(buf, ' ')
						buf = strconv.AppendInt(buf, int64(j)+base, 10)
						buf = append(buf, ':')
						buf = strconv.AppendFloat(buf, float64(val[k]), 'g', -1, 32)
					}
					buf = append(buf, '\n')
				}
				bufs[b] = buf
			}
		})
		for _, buf := range bufs[:nb] {
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("sparse: writing svmlight: %w", err)
			}
		}
	}
	return nil
}

// WriteSVMLightFile writes d to path in the svmlight format (see
// [WriteSVMLight]), atomically: into a temporary file in the same folder,
// renamed over path once complete.
func WriteSVMLightFile(path string, d *Data, opt WriteOptions) error {
	err := atomicfile.Write(path, func(f *os.File) error {
		bw := bufio.NewWriterSize(f, 1<<20)
		if err := WriteSVMLight(bw, d, opt); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("sparse: %w", err)
	}
	return nil
}
