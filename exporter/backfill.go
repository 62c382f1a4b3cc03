package exporter

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
	"github.com/httpstatus-exporter/httpstatus-exporter/logformat"
)

// Backfill counts a source's lines by their own timestamps, in steps, so
// that history can be written as OpenMetrics for `promtool tsdb
// create-blocks-from openmetrics`. The series and labels are those run
// exposes (responses_total, code_info, lines_read_total,
// lines_unparsed_total), so the shipped rules and dashboard work on the
// backfilled data.
//
// Memory grows with the time span and the codes seen, never with the size
// of the files: a step keeps a few counters.
type Backfill struct {
	source string
	table  *classify.Table
	lang   string
	step   time.Duration
	steps  map[int64]*stepCounts
	last   int64 // step of the last line with a time: lines without one go there
}

type stepCounts struct {
	lines    uint64
	unparsed [logformat.NumReasons]uint64
	codes    map[int]uint64
}

// NewBackfill returns an empty Backfill for source at step.
func NewBackfill(source string, table *classify.Table, lang string, step time.Duration) *Backfill {
	return &Backfill{source: source, table: table, lang: lang, step: step, steps: map[int64]*stepCounts{}}
}

func (b *Backfill) at(t time.Time) *stepCounts {
	if !t.IsZero() {
		b.last = t.UnixNano() / int64(b.step)
	}
	sc := b.steps[b.last]
	if sc == nil {
		sc = &stepCounts{codes: map[int]uint64{}}
		b.steps[b.last] = sc
	}
	return sc
}

// Merge adds other's counts (of the same step) to b: files read in
// parallel are counted apart and merged.
func (b *Backfill) Merge(other *Backfill) {
	for k, o := range other.steps {
		sc := b.steps[k]
		if sc == nil {
			sc = &stepCounts{codes: map[int]uint64{}}
			b.steps[k] = sc
		}
		sc.lines += o.lines
		for r, n := range o.unparsed {
			sc.unparsed[r] += n
		}
		for c, n := range o.codes {
			sc.codes[c] += n
		}
	}
}

// Open returns a FileHandler-like counter of one file's lines, with its own
// parser reading the lines' time.
func (b *Backfill) Open(format string) (*BackfillFile, error) {
	p, err := logformat.NewFields(format, logformat.FieldTime)
	if err != nil {
		return nil, err
	}
	return &BackfillFile{b: b, p: p}, nil
}

// BackfillFile counts one file's lines into its Backfill.
type BackfillFile struct {
	b   *Backfill
	p   logformat.Parser
	rec logformat.Record
	// MaxLineBytes bounds a line, as in run (0: no bound).
	MaxLineBytes int

	// The step being counted, and its codes in an array: a line costs an
	// array increment; the step's map is touched when the step changes and
	// at the end of each block.
	cur     *stepCounts
	curKey  int64
	codes   [maxCode + 1]uint64
	touched []int
}

// step returns the counts of the step of t (of the last line with a time
// when t is zero).
func (f *BackfillFile) step(t time.Time) *stepCounts {
	key := f.b.last
	if !t.IsZero() {
		key = t.UnixNano() / int64(f.b.step)
	}
	if f.cur != nil && key == f.curKey {
		return f.cur
	}
	f.flushCodes()
	f.cur, f.curKey = f.b.at(t), key
	return f.cur
}

// flushCodes adds the codes counted so far to the current step.
func (f *BackfillFile) flushCodes() {
	for _, c := range f.touched {
		f.cur.codes[c] += f.codes[c]
		f.codes[c] = 0
	}
	f.touched = f.touched[:0]
}

// Lines counts each line of block in the step of its time.
func (f *BackfillFile) Lines(block []byte) {
	for len(block) > 0 {
		i := bytes.IndexByte(block, '\n')
		if i < 0 {
			i = len(block) // the unterminated last line of a file
		}
		line := block[:i]
		block = block[min(i+1, len(block)):]
		if f.MaxLineBytes > 0 && len(line) > f.MaxLineBytes {
			f.TooLong()
			continue
		}
		r := f.p.Parse(line, &f.rec)
		if r == logformat.ReasonNone && f.rec.Time.IsZero() {
			// A response without a time cannot be placed in history.
			r = logformat.ReasonNoMatch
		}
		var sc *stepCounts
		if r == logformat.ReasonNone {
			sc = f.step(f.rec.Time)
		} else {
			sc = f.step(time.Time{})
		}
		sc.lines++
		switch {
		case r == logformat.ReasonNone:
			if f.codes[f.rec.Status] == 0 {
				f.touched = append(f.touched, f.rec.Status)
			}
			f.codes[f.rec.Status]++
		case r != logformat.ReasonContinued:
			sc.unparsed[r]++
		}
	}
	if f.cur != nil {
		f.flushCodes()
	}
}

// TooLong counts a line skipped for its length.
func (f *BackfillFile) TooLong() {
	sc := f.step(time.Time{})
	sc.lines++
	sc.unparsed[logformat.ReasonTooLong]++
}

// Skipped ignores the bytes of a skipped line: backfill has no byte counter.
func (f *BackfillFile) Skipped(int) {}

// Totals returns the count of each code over every step.
func (b *Backfill) Totals() map[int]uint64 {
	out := map[int]uint64{}
	for _, sc := range b.steps {
		for c, n := range sc.codes {
			out[c] += n
		}
	}
	return out
}

// WriteOpenMetrics writes the counters at the end of every step from the
// first to the last, cumulative as a scrape would have seen them, each series
// in time order, then # EOF.
func (b *Backfill) WriteOpenMetrics(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	keys := make([]int64, 0, len(b.steps))
	for k := range b.steps {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		_, err := io.WriteString(bw, "# EOF\n")
		if err != nil {
			return err
		}
		return bw.Flush()
	}
	first, last := keys[0], keys[len(keys)-1]
	ts := func(k int64) string { // the end of step k, in seconds
		return strconv.FormatFloat(float64((k+1)*int64(b.step))/1e9, 'f', -1, 64)
	}
	src := escapeLabel(b.source)

	// responses_total: one series per code, from the step it first appears.
	codes := map[int]bool{}
	for _, sc := range b.steps {
		for c := range sc.codes {
			codes[c] = true
		}
	}
	sorted := make([]int, 0, len(codes))
	for c := range codes {
		sorted = append(sorted, c)
	}
	slices.Sort(sorted)
	fmt.Fprintf(bw, "# HELP httpstatus_responses HTTP responses read from access logs, by status code and its documented category.\n# TYPE httpstatus_responses counter\n")
	for _, c := range sorted {
		e := b.table.Lookup(c)
		labels := fmt.Sprintf(`{source="%s",code="%d",category="%s"}`, src, c, e.Category)
		var total uint64
		started := false
		for k := first; k <= last; k++ {
			if sc := b.steps[k]; sc != nil {
				total += sc.codes[c]
			}
			if total > 0 || started {
				started = true
				fmt.Fprintf(bw, "httpstatus_responses_total%s %d %s\n", labels, total, ts(k))
			}
		}
	}
	fmt.Fprintf(bw, "# HELP httpstatus_code_info The meaning of a status code in the source's status table (always 1); join on code.\n# TYPE httpstatus_code_info gauge\n")
	infoCodes := map[int]bool{}
	for _, e := range b.table.Documented() {
		infoCodes[e.Code] = true
	}
	for c := range codes {
		infoCodes[c] = true
	}
	allInfo := make([]int, 0, len(infoCodes))
	for c := range infoCodes {
		allInfo = append(allInfo, c)
	}
	slices.Sort(allInfo)
	for _, c := range allInfo {
		e := b.table.Lookup(c)
		labels := fmt.Sprintf(`{source="%s",code="%d",category="%s",meaning="%s"}`, src, c, e.Category, escapeLabel(e.Meaning(b.lang)))
		for k := first; k <= last; k++ {
			fmt.Fprintf(bw, "httpstatus_code_info%s 1 %s\n", labels, ts(k))
		}
	}
	fmt.Fprintf(bw, "# HELP httpstatus_lines_read Lines read from access logs, parsed or not.\n# TYPE httpstatus_lines_read counter\n")
	var lines uint64
	for k := first; k <= last; k++ {
		if sc := b.steps[k]; sc != nil {
			lines += sc.lines
		}
		fmt.Fprintf(bw, "httpstatus_lines_read_total{source=\"%s\"} %d %s\n", src, lines, ts(k))
	}
	fmt.Fprintf(bw, "# HELP httpstatus_lines_unparsed Lines read that gave no valid status (100-599), by reason.\n# TYPE httpstatus_lines_unparsed counter\n")
	for _, r := range logformat.Reasons() {
		var total uint64
		for k := first; k <= last; k++ {
			if sc := b.steps[k]; sc != nil {
				total += sc.unparsed[r]
			}
			fmt.Fprintf(bw, "httpstatus_lines_unparsed_total{source=\"%s\",reason=\"%s\"} %d %s\n", src, r, total, ts(k))
		}
	}
	if _, err := io.WriteString(bw, "# EOF\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// escapeLabel escapes a label value for the text formats.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}
