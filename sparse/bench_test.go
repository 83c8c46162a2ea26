package sparse

import (
	"bytes"
	"testing"
)

// benchText is 50,000 RCV1-shaped documents in svmlight format.
func benchText(b *testing.B) []byte {
	o := RCV1Shape()
	o.Rows, o.TestRows = 50000, 0
	d, _, err := GenerateRCV1Like(o)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSVMLight(&buf, d, WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkReadSVMLight(b *testing.B) {
	text := benchText(b)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for range b.N {
		if _, err := ReadSVMLight(bytes.NewReader(text), ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteSVMLight(b *testing.B) {
	text := benchText(b)
	d, err := ReadSVMLight(bytes.NewReader(text), ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	var buf bytes.Buffer
	b.ResetTimer()
	for range b.N {
		buf.Reset()
		if err := WriteSVMLight(&buf, d, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseValue(b *testing.B) {
	line := []byte("0.18775529")
	for range b.N {
		if _, _, ok := parseValue(line, 0); !ok {
			b.Fatal("bad")
		}
	}
}
