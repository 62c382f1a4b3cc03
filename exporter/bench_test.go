package exporter

// Benchmarks of the whole pipeline (file -> tailer -> logformat -> classify ->
// counters) beside a minimal reference loop over the same file, so the ratio
// shows what the pipeline costs over bare reading. Run:
//
//	go test -run='^$' -bench=. -benchmem ./exporter/
//
// Each reports lines/s (wall) and lines/cpu-s (user+system CPU of the whole
// test process, garbage collection included).

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/httpstatus-exporter/httpstatus-exporter/tailer"
)

const benchLines = 200_000 // about 32 MiB a pass

// benchLogLines returns n nginx combined lines of about 160 bytes, a
// realistic mix of codes, clients and paths.
func benchLogLines(n int) []byte {
	rng := rand.New(rand.NewPCG(7, 7))
	codes := []int{200, 200, 200, 200, 200, 200, 201, 204, 301, 304, 400, 401, 403, 404, 404, 500, 502, 503, 504}
	paths := []string{"/api/v1/tasks", "/api/v1/tasks/42/status", "/static/js/app.3f2a9c.js", "/login", "/healthz"}
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "10.%d.%d.%d - - [26/Nov/2026:10:%02d:%02d +0000] \"GET %s HTTP/1.1\" %d %d \"https://example.com/\" \"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0\"\n",
			rng.IntN(256), rng.IntN(256), rng.IntN(256), i/60%60, i%60, paths[rng.IntN(len(paths))],
			codes[rng.IntN(len(codes))], rng.IntN(90000))
	}
	return b.Bytes()
}

// benchLog writes the benchmark's log.
func benchLog(b *testing.B) (string, int64) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "access.log")
	data := benchLogLines(benchLines)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return path, int64(len(data))
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report adds lines/s and lines/cpu-s for lines handled in b.N passes.
func report(b *testing.B, lines int64, cpu time.Duration) {
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
	if cpu > 0 {
		b.ReportMetric(float64(lines)/cpu.Seconds(), "lines/cpu-s")
	}
}

// BenchmarkReferenceLoop is the floor: 4 MiB reads, lines split with
// bytes.IndexByte, the status taken as the three digits after the request's
// closing quote, counted in an array. No escapes, no validation, no metrics.
func BenchmarkReferenceLoop(b *testing.B) {
	path, size := benchLog(b)
	buf := make([]byte, 4<<20)
	var counts [600]uint64
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuTime()
	var lines int64
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		carry := 0
		for {
			n, err := f.Read(buf[carry:])
			data := buf[:carry+n]
			for {
				i := bytes.IndexByte(data, '\n')
				if i < 0 {
					break
				}
				line := data[:i]
				data = data[i+1:]
				lines++
				q := bytes.IndexByte(line, '"')
				if q < 0 {
					continue
				}
				q2 := bytes.IndexByte(line[q+1:], '"')
				if q2 < 0 || q+q2+6 > len(line) {
					continue
				}
				s := line[q+q2+3 : q+q2+6]
				counts[(int(s[0])*100+int(s[1])*10+int(s[2])-'0'*111)%600]++
			}
			carry = copy(buf, data)
			if err == io.EOF || n == 0 {
				break
			}
		}
		f.Close()
	}
	report(b, lines, cpuTime()-cpu0)
}

// BenchmarkReplay is replay's path: tailer.ReadFile over the file into a
// Source (combined parser, classification, counters).
func BenchmarkReplay(b *testing.B) {
	path, size := benchLog(b)
	_, s := newTestSource(b, "en")
	s.opts.MaxLineBytes = 256 << 10
	opts := tailer.Options{BufferBytes: 4 << 20}
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := tailer.ReadFile(context.Background(), path, opts, s.Open(path)); err != nil {
			b.Fatal(err)
		}
	}
	if s.Totals.Unparsed != [len(s.Totals.Unparsed)]uint64{} {
		b.Fatalf("unparsed lines in the benchmark log: %v", s.Totals.Unparsed)
	}
	report(b, int64(s.Totals.Lines), cpuTime()-cpu0) //nolint:gosec // far below 2^63 lines
}

// BenchmarkFollow is run's path: a Tailer follows a file that grows by bulk
// appends (4 MiB writes, as a busy server's buffered log does), and each
// pass waits until every appended line is counted.
func BenchmarkFollow(b *testing.B) {
	_, s := newTestSource(b, "en")
	s.opts.MaxLineBytes = 256 << 10
	dir := b.TempDir()
	path := filepath.Join(dir, "access.log")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	tl, err := tailer.New(tailer.Options{Source: "web", Paths: []string{path}, PollInterval: 10 * time.Millisecond}, s)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tl.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	<-tl.Ready()
	// The writer is another process (cat), so its CPU is not the exporter's:
	// lines/cpu-s is the follower's own cost.
	chunk := filepath.Join(dir, "chunk")
	data := benchLogLines(benchLines)
	if err := os.WriteFile(chunk, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	linesRead := s.m.linesRead.WithLabelValues("web")
	b.ReportAllocs()
	cpu0 := cpuTime()
	var lines int64
	for b.Loop() {
		cmd := exec.Command("sh", "-c", `cat "$1" >> "$2"`, "sh", chunk, path)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("append: %v: %s", err, out)
		}
		lines += benchLines
		for int64(testutil.ToFloat64(linesRead)) < lines {
			time.Sleep(time.Millisecond)
		}
	}
	report(b, lines, cpuTime()-cpu0)
}

// gzipLog compresses the benchmark log as logrotate would.
func gzipLog(b *testing.B) (string, int64) {
	b.Helper()
	path, size := benchLog(b)
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	if _, err := zw.Write(data); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	gz := path + ".1.gz"
	if err := os.WriteFile(gz, z.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	return gz, size
}

// openGzip opens path and a gzip reader on it; the caller closes f.
func openGzip(b *testing.B, path string) (f *os.File, zr *gzip.Reader) {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	zr, err = gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	return f, zr
}

// BenchmarkGunzip is the floor of a gzip replay: decompression alone.
func BenchmarkGunzip(b *testing.B) {
	gz, size := gzipLog(b)
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		f, zr := openGzip(b, gz)
		if _, err := io.Copy(io.Discard, zr); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	report(b, int64(b.N)*benchLines, cpuTime()-cpu0)
}

// BenchmarkReplayGzip is replay on a rotated, gzipped log: decompression,
// then the same path as BenchmarkReplay.
func BenchmarkReplayGzip(b *testing.B) {
	gz, size := gzipLog(b)
	_, s := newTestSource(b, "en")
	s.opts.MaxLineBytes = 256 << 10
	opts := tailer.Options{BufferBytes: 4 << 20}
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		f, zr := openGzip(b, gz)
		if _, err := tailer.ReadReader(context.Background(), zr, opts, s.Open(gz)); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	report(b, int64(s.Totals.Lines), cpuTime()-cpu0) //nolint:gosec // far below 2^63 lines
}
