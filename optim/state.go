package optim

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// stateMagic opens a saved optimizer state.
const stateMagic = "descent-optimizer-state-v1\n"

// SaveState writes the optimizer's step count and every state vector of its
// stages, bit for bit, so that LoadState continues the run exactly.
func (o *Chained[T]) SaveState(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(stateMagic)
	writeU64 := func(v uint64) { binary.Write(bw, binary.LittleEndian, v) }
	writeString(bw, o.Name)
	var zero T
	_, is32 := any(zero).(float32)
	writeU64(boolU64(is32))
	writeU64(uint64(o.t))
	writeU64(uint64(max(o.n, 0)))
	st := o.state()
	writeU64(uint64(len(st)))
	for _, s := range st {
		writeU64(uint64(len(s)))
		for _, v := range s {
			if is32 {
				binary.Write(bw, binary.LittleEndian, math.Float32bits(float32(v)))
			} else {
				writeU64(math.Float64bits(float64(v)))
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("optim: saving %s state: %w", o.Name, err)
	}
	return nil
}

// LoadState restores state written by SaveState from an optimizer with the
// same name, element type and parameter count. The optimizer's
// hyperparameters are its own, not the saved ones.
func (o *Chained[T]) LoadState(r io.Reader) error {
	br := bufio.NewReader(r)
	fail := func(format string, args ...any) error {
		return fmt.Errorf("optim: loading %s state: "+format, append([]any{o.Name}, args...)...)
	}
	magic := make([]byte, len(stateMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != stateMagic {
		return fail("not a descent optimizer state (bad header)")
	}
	var readErr error
	readU64 := func() uint64 {
		var v uint64
		if readErr == nil {
			readErr = binary.Read(br, binary.LittleEndian, &v)
		}
		return v
	}
	name, err := readString(br)
	if err != nil {
		return fail("%w", err)
	}
	if name != o.Name {
		return fail("saved by optimizer %q", name)
	}
	var zero T
	_, is32 := any(zero).(float32)
	if readU64() != boolU64(is32) {
		return fail("saved with another element type")
	}
	t, n, count := int(readU64()), int(readU64()), int(readU64())
	if readErr != nil {
		return fail("%w", readErr)
	}
	if o.n < 0 {
		o.tr.Init(n)
		o.n = n
	}
	if n != o.n {
		return fail("saved for %d parameters, optimizer has %d", n, o.n)
	}
	st := o.state()
	if count != len(st) {
		return fail("%d state vectors saved, optimizer has %d", count, len(st))
	}
	for i, s := range st {
		if l := int(readU64()); l != len(s) {
			return fail("state vector %d has %d values saved, want %d", i, l, len(s))
		}
		for j := range s {
			if is32 {
				var b uint32
				if readErr == nil {
					readErr = binary.Read(br, binary.LittleEndian, &b)
				}
				s[j] = T(math.Float32frombits(b))
			} else {
				s[j] = T(math.Float64frombits(readU64()))
			}
		}
	}
	if readErr != nil {
		if errors.Is(readErr, io.EOF) {
			readErr = io.ErrUnexpectedEOF
		}
		return fail("%w", readErr)
	}
	o.t = t
	o.restore(t)
	return nil
}

// state lists the stages' state vectors.
func (o *Chained[T]) state() [][]T {
	if s, ok := o.tr.(Stateful[T]); ok {
		return s.State()
	}
	return nil
}

// restorer is implemented by stages with scalar state derived from the step
// count.
type restorer interface{ restore(t int) }

func (o *Chained[T]) restore(t int) {
	var walk func(tr Transform[T])
	walk = func(tr Transform[T]) {
		if c, ok := tr.(chain[T]); ok {
			for _, s := range c {
				walk(s)
			}
			return
		}
		if r, ok := tr.(restorer); ok {
			r.restore(t)
		}
	}
	walk(o.tr)
}

// restore recomputes NAdam's running product Πᵢ≤ₜ μᵢ.
func (s *ScaleByNAdam[T]) restore(t int) {
	s.muProd = 1
	for i := 1; i <= t; i++ {
		s.muProd *= s.B1 * (1 - 0.5*math.Pow(0.96, float64(i)*s.MomentumDecay))
	}
}

func boolU64(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func writeString(w *bufio.Writer, s string) {
	binary.Write(w, binary.LittleEndian, uint64(len(s)))
	w.WriteString(s)
}

func readString(r *bufio.Reader) (string, error) {
	var n uint64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return "", err
	}
	if n > 1<<10 {
		return "", fmt.Errorf("name of %d bytes", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return string(b), nil
}
