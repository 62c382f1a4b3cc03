package tailer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkPassManyFiles is one pass over 2,000 followed files in a kubelet
// tree, of which 100 grew by a line since the last pass: what following
// many files costs, pass after pass, besides reading their lines.
func BenchmarkPassManyFiles(b *testing.B) {
	const n, grown = 2000, 100
	dir := b.TempDir()
	fds := make([]*os.File, n)
	for i := range fds {
		d := filepath.Join(dir, "pods", fmt.Sprintf("ns_pod-%04d_uid", i), "nginx")
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		f, err := os.OpenFile(filepath.Join(d, "0.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		fds[i] = f
	}
	tl, err := New(Options{Paths: []string{filepath.Join(dir, "pods", "*", "*", "*.log")}, Poll: true}, nopHandler{})
	if err != nil {
		b.Fatal(err)
	}
	tl.buf = make([]byte, tl.opts.BufferBytes)
	ctx := context.Background()
	tl.pass(ctx, true)
	if len(tl.files) != n {
		b.Fatalf("following %d files, want %d", len(tl.files), n)
	}
	line := []byte("198.51.100.7 - - [12/Mar/2025:10:00:00 +0000] \"GET / HTTP/1.1\" 200 512 \"-\" \"bench\"\n")
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		for j := range grown {
			if _, err := fds[(i*grown+j)%n].Write(line); err != nil {
				b.Fatal(err)
			}
		}
		tl.pass(ctx, false)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/pass")
	for _, f := range tl.files {
		f.fd.Close()
	}
}

type nopHandler struct{}

func (nopHandler) Open(string) FileHandler          { return nopHandler{} }
func (nopHandler) Rotated(Rotation)                 {}
func (nopHandler) Error(ErrorReason, string, error) {}
func (nopHandler) Progress(int, int64)              {}
func (nopHandler) Lines([]byte)                     {}
func (nopHandler) TooLong()                         {}
func (nopHandler) Skipped(int)                      {}
