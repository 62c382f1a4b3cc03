package exporter

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
	"github.com/httpstatus-exporter/httpstatus-exporter/logformat"
	"github.com/httpstatus-exporter/httpstatus-exporter/tailer"
)

// SourceOptions describe one source: a set of files read with one format and
// classified by one table.
type SourceOptions struct {
	Name         string
	Format       string // a logformat name
	Table        *classify.Table
	Lang         string // language of meanings in httpstatus_code_info
	MaxLineBytes int    // longer lines are unparsed with reason too_long
}

const (
	minCode = 100
	maxCode = 599
)

// Source counts the lines of one source. It implements tailer.Handler. Its
// counting is not safe for concurrent use: the file handlers of one Source
// are called from one goroutine at a time (the source's tailer, or replay).
type Source struct {
	opts SourceOptions
	m    *Metrics

	// Label children, resolved once: the hot path indexes arrays.
	byCode    [maxCode + 1]prometheus.Counter
	unparsed  [logformat.ReasonTooLong + 1]prometheus.Counter
	linesRead prometheus.Counter
	readBytes prometheus.Counter
	lastRead  prometheus.Gauge
	files     prometheus.Gauge
	unread    prometheus.Gauge
	rotations map[tailer.Rotation]prometheus.Counter
	errors    map[tailer.ErrorReason]prometheus.Counter

	// Per-block scratch: counts are summed here and added to the counters
	// once per block, not once per line.
	counts  [maxCode + 1]uint64
	touched []int
	reasons [logformat.ReasonTooLong + 1]uint64

	// Totals kept for replay's report.
	Totals Totals
}

// Totals is what a Source counted since it was made.
type Totals struct {
	Lines    uint64
	Bytes    uint64
	Unparsed [logformat.ReasonTooLong + 1]uint64
	ByCode   [maxCode + 1]uint64
}

// NewSource makes the series of a source: every documented code of its table
// at 0, with its code_info, every unparsed reason, rotation kind and error
// reason at 0.
func (m *Metrics) NewSource(opts SourceOptions) (*Source, error) {
	if _, err := logformat.New(opts.Format); err != nil {
		return nil, fmt.Errorf("source %s: %w", opts.Name, err)
	}
	if opts.Table == nil {
		return nil, fmt.Errorf("source %s: no status table", opts.Name)
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = 256 << 10
	}
	s := &Source{
		opts:      opts,
		m:         m,
		linesRead: m.linesRead.WithLabelValues(opts.Name),
		readBytes: m.readBytes.WithLabelValues(opts.Name),
		lastRead:  m.lastRead.WithLabelValues(opts.Name),
		files:     m.filesFollowed.WithLabelValues(opts.Name),
		unread:    m.unreadBytes.WithLabelValues(opts.Name),
		rotations: map[tailer.Rotation]prometheus.Counter{},
		errors:    map[tailer.ErrorReason]prometheus.Counter{},
		touched:   make([]int, 0, maxCode+1),
	}
	for _, r := range logformat.Reasons() {
		s.unparsed[r] = m.linesUnparsed.WithLabelValues(opts.Name, r.String())
	}
	for _, k := range tailer.Rotations() {
		s.rotations[k] = m.rotations.WithLabelValues(opts.Name, string(k))
	}
	for _, r := range tailer.ErrorReasons() {
		s.errors[r] = m.errors.WithLabelValues(opts.Name, string(r))
	}
	for _, e := range opts.Table.Documented() {
		s.counter(e.Code)
	}
	return s, nil
}

// Name is the source's name (its label value).
func (s *Source) Name() string { return s.opts.Name }

// counter returns the responses counter of code, making its series (and its
// code_info) the first time. Codes come only from 100-599: at most 500
// series a source, whatever the logs hold.
func (s *Source) counter(code int) prometheus.Counter {
	if c := s.byCode[code]; c != nil {
		return c
	}
	e := s.opts.Table.Lookup(code)
	codeLabel := strconv.Itoa(code)
	s.m.codeInfo.WithLabelValues(s.opts.Name, codeLabel, string(e.Category), e.Meaning(s.opts.Lang)).Set(1)
	c := s.m.responses.WithLabelValues(s.opts.Name, codeLabel, string(e.Category))
	s.byCode[code] = c
	return c
}

// Open returns the counter of one file's lines, with its own parser (auto
// detection is per file).
func (s *Source) Open(string) tailer.FileHandler {
	p, err := logformat.New(s.opts.Format)
	if err != nil { // NewSource checked the name; counted rather than lost should it ever fail
		p = refuseAll{}
	}
	return &fileCounter{s: s, p: p}
}

// refuseAll is the parser of a format that could not be made: every line is
// counted as unparsed.
type refuseAll struct{}

// Parse refuses the line.
func (refuseAll) Parse([]byte, *logformat.Record) logformat.Reason { return logformat.ReasonNoMatch }

// Name says no format was made.
func (refuseAll) Name() string { return "none" }

// Rotated counts a rotation.
func (s *Source) Rotated(kind tailer.Rotation) {
	if c, ok := s.rotations[kind]; ok {
		c.Inc()
	}
}

// Error counts a failure.
func (s *Source) Error(reason tailer.ErrorReason, _ string, _ error) {
	if c, ok := s.errors[reason]; ok {
		c.Inc()
	}
}

// Progress sets the files followed and unread bytes.
func (s *Source) Progress(files int, unread int64) {
	s.files.Set(float64(files))
	s.unread.Set(float64(unread))
}

// fileCounter counts the lines of one file.
type fileCounter struct {
	s   *Source
	p   logformat.Parser
	rec logformat.Record
}

// Format is the format the file's parser reads (the detected one for auto).
func (c *fileCounter) Format() string { return c.p.Name() }

// Lines parses each line of block and counts it; the last line may lack its
// newline (the end of a rotated file). This is the hot path: per
// line one newline search, one parse and one array increment; the counters
// are added to once per block.
func (c *fileCounter) Lines(block []byte) {
	s := c.s
	maxLine := s.opts.MaxLineBytes
	var lines uint64
	size := len(block)
	for len(block) > 0 {
		i := bytes.IndexByte(block, '\n')
		if i < 0 {
			i = len(block) // a block always ends in '\n'; be safe if not
		}
		line := block[:i]
		block = block[min(i+1, len(block)):]
		lines++
		if len(line) > maxLine {
			s.reasons[logformat.ReasonTooLong]++
			continue
		}
		if r := c.p.Parse(line, &c.rec); r != logformat.ReasonNone {
			s.reasons[r]++
			continue
		}
		code := c.rec.Status
		if s.counts[code] == 0 {
			s.touched = append(s.touched, code)
		}
		s.counts[code]++
	}
	s.flush(lines, size)
}

// TooLong counts a line skipped for its length.
func (c *fileCounter) TooLong() {
	c.s.reasons[logformat.ReasonTooLong]++
	c.s.flush(1, 0)
}

// Skipped counts the bytes of a line skipped for its length as read.
func (c *fileCounter) Skipped(n int) {
	c.s.flush(0, n)
}

// flush adds the block's counts to the counters and clears the scratch.
func (s *Source) flush(lines uint64, size int) {
	for _, code := range s.touched {
		n := s.counts[code]
		s.counter(code).Add(float64(n))
		s.Totals.ByCode[code] += n
		s.counts[code] = 0
	}
	s.touched = s.touched[:0]
	for r, n := range s.reasons {
		if n > 0 {
			s.unparsed[r].Add(float64(n))
			s.Totals.Unparsed[r] += n
			s.reasons[r] = 0
		}
	}
	s.linesRead.Add(float64(lines))
	s.readBytes.Add(float64(size))
	s.Totals.Lines += lines
	s.Totals.Bytes += uint64(size) //nolint:gosec // a length is never negative
	s.lastRead.Set(float64(time.Now().UnixNano()) / 1e9)
}
