package exporter

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
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
	Labels       Labels // optional labels of responses_total
	// DurationHistogram observes each response's duration, when the format
	// logs one, in httpstatus_request_duration_seconds.
	DurationHistogram bool
	Logger            *slog.Logger // told once of each format a source reads
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

	// Label children, resolved once: the hot path indexes arrays. A series
	// set holds the children of one set of file-level label values
	// (namespace, container); most sources have just one.
	series    map[podLog]*seriesSet
	perLine   bool                    // method or upstream_category: counts are keyed by more than the code
	durations [16]prometheus.Observer // by category index, made with the first duration
	unparsed  [logformat.NumReasons]prometheus.Counter
	infoDone  [maxCode + 1]bool
	category  [maxCode + 1]uint8 // index in classify.Categories() of each code's category
	fields    logformat.Fields   // the optional fields the labels and histogram need
	formats   map[string]bool    // formats read so far (detected, for auto)
	linesRead prometheus.Counter
	readBytes prometheus.Counter
	lastRead  prometheus.Gauge
	files     prometheus.Gauge
	unread    prometheus.Gauge
	rotations map[tailer.Rotation]prometheus.Counter
	errors    map[tailer.ErrorReason]prometheus.Counter

	// Per-block scratch: counts are summed here and added to the counters
	// once per block, not once per line.
	counts  []uint32 // by key: code, or keyOf with per-line labels; a block holds far fewer than 2^32 lines
	touched []int
	reasons [logformat.NumReasons]uint64

	// Totals kept for replay's report.
	Totals Totals
}

// Totals is what a Source counted since it was made.
type Totals struct {
	Lines    uint64
	Bytes    uint64
	Unparsed [logformat.NumReasons]uint64
	ByCode   [maxCode + 1]uint64
}

// Add adds o to t: replay counts files in parallel and sums the totals.
func (t *Totals) Add(o *Totals) {
	t.Lines += o.Lines
	t.Bytes += o.Bytes
	for i, n := range o.Unparsed {
		t.Unparsed[i] += n
	}
	for i, n := range o.ByCode {
		t.ByCode[i] += n
	}
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
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := opts.Labels.Validate(); err != nil {
		return nil, fmt.Errorf("source %s: %w", opts.Name, err)
	}
	for _, n := range opts.Labels.Names() {
		if !slices.Contains(m.extraLabels, n) {
			return nil, fmt.Errorf("source %s: label %q was not declared to NewMetrics", opts.Name, n)
		}
	}
	perLine := opts.Labels.Method || opts.Labels.UpstreamCategory
	keys := maxCode + 1
	if perLine {
		keys = keyOf(maxCode, methodOther, len(upstreamCategories)) + 1
	}
	// 50,000 keys with per-line labels: 200 KB of scratch a source.
	s := &Source{
		series:    map[podLog]*seriesSet{},
		formats:   map[string]bool{},
		perLine:   perLine,
		counts:    make([]uint32, keys),
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
	cats := classify.Categories()
	for code := minCode; code <= maxCode; code++ {
		s.category[code] = uint8(slices.Index(cats, opts.Table.Lookup(code).Category)) //nolint:gosec // 9 categories
	}
	if opts.Labels.Method {
		s.fields |= logformat.FieldMethod
	}
	if opts.Labels.UpstreamCategory {
		s.fields |= logformat.FieldUpstream
	}
	if opts.DurationHistogram {
		s.fields |= logformat.FieldDuration
	}
	for _, e := range opts.Table.Documented() {
		s.info(e.Code)
		if !perLine && !opts.Labels.Namespace && !opts.Labels.Container {
			// Series of documented codes exist at 0 from start-up. With
			// per-line or per-file labels there is no one series to make.
			s.seriesFor(podLog{}).counter(s, e.Code)
		}
	}
	return s, nil
}

// Per-line label values: methods (with OTHER) and upstream categories (with none).
const (
	nMethods   = len(knownMethods) + 1
	nUpstreams = 10 // len(classify.Categories()) + 1, checked in a test
)

// keyOf packs a code with method and upstream category indexes.
func keyOf(code, method, upstream int) int {
	return ((code-minCode)*nMethods+method)*nUpstreams + upstream
}

// unkey undoes keyOf.
func unkey(key int) (code, method, upstream int) {
	return key/(nMethods*nUpstreams) + minCode, key / nUpstreams % nMethods, key % nUpstreams
}

// seriesSet holds the responses children of one set of file-level labels.
type seriesSet struct {
	pod    podLog
	byCode [maxCode + 1]prometheus.Counter // without per-line labels
	byKey  map[int]prometheus.Counter      // with them (resolved at flush, per block)
}

func (s *Source) seriesFor(pod podLog) *seriesSet {
	if !s.opts.Labels.Namespace {
		pod.namespace = ""
	}
	if !s.opts.Labels.Container {
		pod.container = ""
	}
	if ss, ok := s.series[pod]; ok {
		return ss
	}
	ss := &seriesSet{pod: pod, byKey: map[int]prometheus.Counter{}}
	s.series[pod] = ss
	return ss
}

// info makes the code_info series of code once.
func (s *Source) info(code int) classify.Entry {
	e := s.opts.Table.Lookup(code)
	if !s.infoDone[code] {
		s.infoDone[code] = true
		s.m.codeInfo.WithLabelValues(s.opts.Name, strconv.Itoa(code), string(e.Category), e.Meaning(s.opts.Lang)).Set(1)
	}
	return e
}

// counter returns the responses counter of key (a code, or keyOf with
// per-line labels), making its series the first time. Codes come only from
// 100-599, methods and upstream categories from closed sets: the series of a
// source are bounded whatever the logs hold.
func (ss *seriesSet) counter(s *Source, key int) prometheus.Counter {
	if !s.perLine {
		if c := ss.byCode[key]; c != nil {
			return c
		}
	} else if c, ok := ss.byKey[key]; ok {
		return c
	}
	code, method, upstream := key, 0, 0
	if s.perLine {
		code, method, upstream = unkey(key)
	}
	e := s.info(code)
	values := make([]string, 0, 3+len(s.m.extraLabels))
	values = append(values, s.opts.Name, strconv.Itoa(code), string(e.Category))
	l := s.opts.Labels
	for _, name := range s.m.extraLabels {
		v := ""
		switch name {
		case labelMethod:
			if l.Method {
				v = methodName(method)
			}
		case labelUpstreamCategory:
			if l.UpstreamCategory {
				v = upstreamName(upstream)
			}
		case labelNamespace:
			v = ss.pod.namespace
		case labelContainer:
			v = ss.pod.container
		default:
			v = l.Static[name]
		}
		values = append(values, v)
	}
	c := s.m.responses.WithLabelValues(values...)
	if s.perLine {
		ss.byKey[key] = c
	} else {
		ss.byCode[key] = c
	}
	return c
}

// Name is the source's name (its label value).
func (s *Source) Name() string { return s.opts.Name }

// Open returns the counter of one file's lines, with its own parser (auto
// detection is per file).
func (s *Source) Open(path string) tailer.FileHandler {
	p, err := logformat.NewFields(s.opts.Format, s.fields)
	if err != nil { // NewSource checked the name; counted rather than lost should it ever fail
		p = refuseAll{}
	}
	pod, _ := parsePodLogPath(path)
	return &fileCounter{s: s, p: p, ss: s.seriesFor(pod), path: path}
}

// formatRead records, once per format, that the source reads it.
func (s *Source) formatRead(format, path string) {
	if s.formats[format] {
		return
	}
	s.formats[format] = true
	s.m.formats.WithLabelValues(s.opts.Name, format).Set(1)
	s.opts.Logger.Info("log format", "source", s.opts.Name, "path", path, "format", format, "configured", s.opts.Format)
}

// upstreamIndex is the index of the category of the upstream status the
// line logged (by the source's table), or the index of "none".
func (s *Source) upstreamIndex(rec *logformat.Record) int {
	if rec.UpstreamStatus < minCode || rec.UpstreamStatus > maxCode {
		return len(upstreamCategories)
	}
	return int(s.category[rec.UpstreamStatus])
}

// observe adds the line's duration, when the format logs one, to the
// histogram of its category.
func (s *Source) observe(rec *logformat.Record) {
	if !rec.HasDuration {
		return
	}
	i := s.category[rec.Status]
	o := s.durations[i]
	if o == nil { // once per category: a series appears with its first duration
		o = s.m.durations.WithLabelValues(s.opts.Name, string(classify.Categories()[i]))
		s.durations[i] = o
	}
	o.Observe(rec.Duration.Seconds())
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
	s     *Source
	p     logformat.Parser
	ss    *seriesSet
	rec   logformat.Record
	path  string
	known bool // the parser's format is known (auto has decided)
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
			// A continued line (one fragment of a record a container runtime
			// split) is read, but counted with the line that completes it.
			if r != logformat.ReasonContinued {
				s.reasons[r]++
			}
			continue
		}
		key := c.rec.Status
		if s.perLine {
			key = keyOf(key, methodIndex(c.rec.Method), s.upstreamIndex(&c.rec))
		}
		if s.counts[key] == 0 {
			s.touched = append(s.touched, key)
		}
		s.counts[key]++
		if s.opts.DurationHistogram {
			s.observe(&c.rec)
		}
	}
	s.flush(c.ss, lines, size)
	if !c.known {
		if f := c.p.Name(); f != "auto" {
			c.known = true
			s.formatRead(f, c.path)
		}
	}
}

// TooLong counts a line skipped for its length.
func (c *fileCounter) TooLong() {
	c.s.reasons[logformat.ReasonTooLong]++
	c.s.flush(c.ss, 1, 0)
}

// Skipped counts the bytes of a line skipped for its length as read.
func (c *fileCounter) Skipped(n int) {
	c.s.flush(c.ss, 0, n)
}

// flush adds the block's counts to the counters and clears the scratch.
func (s *Source) flush(ss *seriesSet, lines uint64, size int) {
	for _, key := range s.touched {
		n := uint64(s.counts[key])
		ss.counter(s, key).Add(float64(n))
		code := key
		if s.perLine {
			code, _, _ = unkey(key)
		}
		s.Totals.ByCode[code] += n
		s.counts[key] = 0
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
