package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/sync/errgroup"
	"golang.org/x/term"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
	"github.com/httpstatus-exporter/httpstatus-exporter/exporter"
	"github.com/httpstatus-exporter/httpstatus-exporter/logformat"
	"github.com/httpstatus-exporter/httpstatus-exporter/tailer"
)

type replayCmd struct {
	tableFlags
	LogFormat    string        `name:"log.format" default:"auto" help:"Line format (see the README's formats)."`
	LogSource    string        `name:"log.source" default:"default" help:"The source label of the OpenMetrics series."`
	MaxLineBytes int           `name:"tail.max-line-bytes" default:"262144" help:"Longer lines are counted as unparsed (too_long)."`
	Output       string        `name:"output" short:"o" enum:"table,json,openmetrics" default:"table" help:"Report format (${enum}); openmetrics writes the counters at every --step by the lines' own time, for promtool tsdb create-blocks-from openmetrics."`
	Step         time.Duration `name:"step" default:"1m" help:"With --output=openmetrics: the interval between samples."`
	Jobs         int           `name:"jobs" default:"0" help:"Files read at once (0: one per CPU)."`
	Files        []string      `arg:"" type:"existingfile" help:"Files to read once, to the end: plain or gzip-compressed (rotated logs such as access.log.2.gz)."`
}

// Validate is called by kong after parsing.
func (c *replayCmd) Validate() error {
	if c.Step < time.Second {
		return fmt.Errorf("--step %s: want at least 1s", c.Step)
	}
	if _, err := logformat.New(c.LogFormat); err != nil {
		return fmt.Errorf("--log.format: %w", err)
	}
	return nil
}

// replayReport is the JSON report of replay. lines, unparsed and responses
// are fixed by the contract; the rest is extra detail.
type replayReport struct {
	Lines     uint64            `json:"lines"`
	Unparsed  uint64            `json:"unparsed"`
	Responses map[string]uint64 `json:"responses"`
	Reasons   map[string]uint64 `json:"unparsed_by_reason"`
	Bytes     uint64            `json:"bytes"`
	Files     int               `json:"files"`
}

func (c *replayCmd) Run(e *env) error {
	table, err := c.table()
	if err != nil {
		return err
	}
	files, err := orderByTime(c.Files, c.LogFormat)
	if err != nil {
		return err
	}
	progress := newProgress(e.stderr, files)
	defer progress.done()
	if c.Output == "openmetrics" {
		return c.backfill(e, table, files, progress)
	}

	// Each worker counts its files through a Source of its own, made as in
	// run on a registry nobody serves: replay counts with exactly the code
	// that run counts with. Totals are added up at the end.
	var mu sync.Mutex
	var sum exporter.Totals
	err = c.each(e.ctx, files, progress, func() (func(string) tailer.FileHandler, func(), error) {
		m, err := exporter.NewMetrics(prometheus.NewRegistry(), buildInfo())
		if err != nil {
			return nil, nil, err
		}
		src, err := m.NewSource(exporter.SourceOptions{
			Name: "replay", Format: c.LogFormat, Table: table, Lang: c.ClassifyLang, MaxLineBytes: c.MaxLineBytes,
		})
		if err != nil {
			return nil, nil, err
		}
		finish := func() {
			mu.Lock()
			sum.Add(&src.Totals)
			mu.Unlock()
		}
		return src.Open, finish, nil
	})
	if err != nil {
		return err
	}
	progress.done()
	return c.report(e, table, sum)
}

// each reads files with up to --jobs workers; newWorker makes a worker's
// handler factory and what it does once its files are read.
func (c *replayCmd) each(ctx context.Context, files []string, progress *progress,
	newWorker func() (func(string) tailer.FileHandler, func(), error),
) error {
	jobs := c.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	jobs = min(jobs, len(files))
	next := make(chan string)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(next)
		for _, f := range files {
			select {
			case next <- f:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	opts := tailer.Options{MaxLineBytes: c.MaxLineBytes, BufferBytes: 4 << 20}
	for range jobs {
		open, finish, err := newWorker()
		if err != nil {
			return err
		}
		g.Go(func() error {
			for path := range next {
				if err := readLog(ctx, path, opts, open(path), progress); err != nil {
					return err
				}
			}
			finish()
			return nil
		})
	}
	return g.Wait()
}

// readLog reads one plain or gzip-compressed file to its end.
func readLog(ctx context.Context, path string, opts tailer.Options, h tailer.FileHandler, p *progress) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	var r io.Reader = &countingReader{r: f, p: p}
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("replay %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	if _, err := tailer.ReadReader(ctx, r, opts, h); err != nil {
		return fmt.Errorf("replay %s: %w", path, err)
	}
	return nil
}

func (c *replayCmd) report(e *env, table *classify.Table, tot exporter.Totals) error {
	rep := replayReport{Lines: tot.Lines, Bytes: tot.Bytes, Files: len(c.Files),
		Responses: map[string]uint64{}, Reasons: map[string]uint64{}}
	for code, n := range tot.ByCode {
		if n > 0 {
			rep.Responses[strconv.Itoa(code)] = n
		}
	}
	for r, n := range tot.Unparsed {
		if n > 0 && logformat.Reason(r).Unparsed() {
			rep.Reasons[logformat.Reason(r).String()] = n
			rep.Unparsed += n
		}
	}
	if c.Output == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tCATEGORY\tCOUNT\tMEANING")
	codes := make([]int, 0, len(rep.Responses))
	for code, n := range tot.ByCode {
		if n > 0 {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	for _, code := range codes {
		en := table.Lookup(code)
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\n", code, en.Category, tot.ByCode[code], en.Meaning(c.ClassifyLang))
	}
	fmt.Fprintf(tw, "\nlines\t%d\nunparsed\t%d\n", rep.Lines, rep.Unparsed)
	for _, r := range slices.Sorted(maps.Keys(rep.Reasons)) {
		fmt.Fprintf(tw, "  %s\t%d\n", r, rep.Reasons[r])
	}
	return tw.Flush()
}

// backfill writes the files' counters as OpenMetrics, by each line's time.
func (c *replayCmd) backfill(e *env, table *classify.Table, files []string, progress *progress) error {
	all := exporter.NewBackfill(c.LogSource, table, c.ClassifyLang, c.Step)
	var mu sync.Mutex
	err := c.each(e.ctx, files, progress, func() (func(string) tailer.FileHandler, func(), error) {
		b := exporter.NewBackfill(c.LogSource, table, c.ClassifyLang, c.Step)
		var openErr error
		open := func(string) tailer.FileHandler {
			f, err := b.Open(c.LogFormat)
			if err != nil { // checked in Validate
				openErr = err
			}
			f.MaxLineBytes = c.MaxLineBytes
			return f
		}
		finish := func() {
			mu.Lock()
			all.Merge(b)
			mu.Unlock()
		}
		return open, finish, openErr
	})
	if err != nil {
		return err
	}
	progress.done()
	return all.WriteOpenMetrics(e.stdout)
}

// orderByTime sorts files by the time of their first line that has one
// (rotated logs: access.log.2.gz, access.log.1, access.log), files without
// a readable time last, in the order given.
func orderByTime(files []string, format string) ([]string, error) {
	first := map[string]time.Time{}
	for _, path := range files {
		t, err := firstTime(path, format)
		if err != nil {
			return nil, err
		}
		first[path] = t
	}
	out := slices.Clone(files)
	slices.SortStableFunc(out, func(a, b string) int {
		ta, tb := first[a], first[b]
		switch {
		case ta.IsZero() && tb.IsZero():
			return 0
		case ta.IsZero():
			return 1
		case tb.IsZero():
			return -1
		}
		return ta.Compare(tb)
	})
	return out, nil
}

func firstTime(path, format string) (time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}, fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return time.Time{}, fmt.Errorf("replay %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	p, err := logformat.NewFields(format, logformat.FieldTime)
	if err != nil {
		return time.Time{}, err
	}
	sc := bufio.NewScanner(io.LimitReader(r, 256<<10))
	sc.Buffer(make([]byte, 64<<10), 256<<10)
	var rec logformat.Record
	for sc.Scan() {
		if p.Parse(sc.Bytes(), &rec) == logformat.ReasonNone && !rec.Time.IsZero() {
			return rec.Time, nil
		}
	}
	return time.Time{}, nil
}

// progress shows bytes read, speed and time left on a terminal; elsewhere it
// says nothing.
type progress struct {
	bar  *progressbar.ProgressBar
	read atomic.Int64
}

func newProgress(w io.Writer, files []string) *progress {
	p := &progress{}
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return p
	}
	var total int64
	for _, path := range files {
		if st, err := os.Stat(path); err == nil {
			total += st.Size()
		}
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("replay"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return p
}

func (p *progress) add(n int) {
	if p.bar != nil {
		p.read.Add(int64(n))
		_ = p.bar.Add(n) // it only fails on a closed terminal
	}
}

func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}

// countingReader tells the progress bar what it read.
type countingReader struct {
	r io.Reader
	p *progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.add(n)
	return n, err
}
