package logformat

import (
	"path/filepath"
	"testing"
)

// benchLine is a realistic nginx combined line of about 160 bytes.
var benchLine = []byte(`203.0.113.42 - - [26/Nov/2025:16:52:01 +0000] "GET /api/v1/products?page=2 HTTP/1.1" 200 5316 "https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64)"`)

// benchCorpus returns up to perFile lines of every CLF corpus file, error-log
// and garbage lines included, in file order.
func benchCorpus(b *testing.B, perFile int) (lines [][]byte, size int) {
	dir := corpusDir(b)
	for _, file := range corpusFiles(b, dir) {
		fl := readLines(b, filepath.Join(dir, file))
		if len(fl) > perFile {
			fl = fl[:perFile]
		}
		for _, l := range fl {
			size += len(l)
		}
		lines = append(lines, fl...)
	}
	return lines, size
}

// benchParse measures one Parse per iteration, cycling through lines.
// SetBytes takes the mean line length, so MB/s is the throughput in line
// bytes (the '\n' not counted).
func benchParse(b *testing.B, p Parser, lines [][]byte, size int) {
	b.ReportAllocs()
	b.SetBytes(int64(size / len(lines)))
	var rec Record
	i := 0
	for b.Loop() {
		p.Parse(lines[i], &rec)
		i++
		if i == len(lines) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkParseCombined(b *testing.B) {
	b.Run("line", func(b *testing.B) {
		p, _ := New("combined")
		benchParse(b, p, [][]byte{benchLine}, len(benchLine))
	})
	b.Run("corpus", func(b *testing.B) {
		lines, size := benchCorpus(b, 50)
		p, _ := New("combined")
		benchParse(b, p, lines, size)
	})
}

func BenchmarkParseAuto(b *testing.B) {
	p, _ := New("auto")
	benchParse(b, p, [][]byte{benchLine}, len(benchLine))
}
