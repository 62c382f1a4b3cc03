package logformat

import (
	"bytes"
	"time"
)

// w3cParser reads W3C extended log files: IIS (fields separated by spaces,
// as IIS, Oracle Web Cache and Incapsula write them, quoted fields allowed)
// and Amazon CloudFront standard logs (separated by tabs). Each "#Fields:"
// header names the columns of the lines after it, and a file may hold
// several (IIS writes one at each restart or configuration change). Header
// and directive lines ("#Software:", "#Version:", "#Date:") are unparsed
// with ReasonHeader.
//
// A line is read with the layout of the last header when its field count
// matches it; else with an earlier header of the same file whose count
// matches (files concatenated from several configurations); else, before any
// header (the exporter started at the end of a file), with the format's
// default layout, and only if its date and time fields read as such. A line
// no layout fits is no_match: reading columns by a header that does not
// describe them could only give wrong counts.
type w3cParser struct {
	name      string
	tabs      bool          // CloudFront: one tab between fields
	takenUnit time.Duration // unit of "time-taken": IIS ms, CloudFront s
	cur       w3cLayout     // the last header's layout; n == 0 before any
	old       [3]w3cLayout  // earlier layouts of this file, newest first
	def       w3cLayout     // used before any header
	want      Fields
}

func (p *w3cParser) setWant(w Fields) { p.want = w }

// w3cLayout is where the fields a Record needs are, by column.
type w3cLayout struct {
	n                                        int  // field count
	atLeast                                  bool // lines may have more fields (CloudFront's default: fields were added over the years)
	status, method, host, taken, date, clock int
	takenUnit                                time.Duration
}

const maxW3CFields = 96

const (
	iisDefaultFields        = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
	cloudFrontDefaultFields = "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken"
)

func newW3CParser(name string, want Fields) *w3cParser {
	p := &w3cParser{name: name, takenUnit: time.Millisecond, want: want}
	if name == nameCloudFront {
		p.tabs = true
		p.takenUnit = time.Second
		p.def = p.layout([]byte(cloudFrontDefaultFields))
		p.def.atLeast = true
	} else {
		p.def = p.layout([]byte(iisDefaultFields))
	}
	return p
}

// Name implements Parser.
func (p *w3cParser) Name() string { return p.name }

// layout reads the field names of a "#Fields:" header.
func (p *w3cParser) layout(names []byte) w3cLayout {
	l := w3cLayout{status: -1, method: -1, host: -1, taken: -1, date: -1, clock: -1, takenUnit: p.takenUnit}
	hostRank := 0
	for i := 0; ; {
		for i < len(names) && (names[i] == ' ' || names[i] == '\t') {
			i++
		}
		if i == len(names) {
			break
		}
		j := i
		for j < len(names) && names[j] != ' ' && names[j] != '\t' {
			j++
		}
		col := l.n
		switch f := names[i:j]; string(f) {
		case "sc-status":
			l.status = col
		case "cs-method":
			l.method = col
		case "x-host-header":
			l.host, hostRank = col, 3
		case "cs-host":
			if hostRank < 2 {
				l.host, hostRank = col, 2
			}
		case "cs(Host)":
			if hostRank < 1 {
				l.host, hostRank = col, 1
			}
		case "time-taken":
			l.taken = col
		case "TimeTakenMS", "time-taken-ms":
			l.taken, l.takenUnit = col, time.Millisecond
		case "date":
			l.date = col
		case "time":
			l.clock = col
		}
		l.n++
		i = j
	}
	if l.n > maxW3CFields {
		l.status = -1
	}
	return l
}

// Parse implements Parser.
func (p *w3cParser) Parse(line []byte, rec *Record) Reason {
	*rec = Record{}
	line = trimCR(line)
	if len(line) > 0 && line[0] == '#' {
		if bytes.HasPrefix(line, []byte("#Fields:")) {
			p.newHeader(p.layout(line[len("#Fields:"):]))
		}
		return ReasonHeader
	}
	if blank(line) {
		return ReasonEmpty
	}
	var spans [maxW3CFields][2]int
	var n int
	var l *w3cLayout
	if p.tabs {
		// Tabs only separate: count them all at once and split only as far
		// as the last field a Record takes.
		n = bytes.Count(line, []byte{'\t'}) + 1
		var ok bool
		if l, ok = p.pick(n); !ok || l.status < 0 {
			return ReasonNoMatch
		}
		splitTabs(line, &spans, l.last()+1)
	} else {
		if n = p.split(line, &spans); n < 0 {
			return ReasonNoMatch
		}
		var ok bool
		if l, ok = p.pick(n); !ok || l.status < 0 || l.status >= n {
			return ReasonNoMatch
		}
	}
	field := func(col int) []byte {
		if col < 0 || col >= n || col >= maxW3CFields {
			return nil
		}
		f := line[spans[col][0]:spans[col][1]]
		if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
			f = f[1 : len(f)-1]
		}
		return f
	}
	var t time.Time
	if l.date >= 0 && l.clock >= 0 && (p.want&FieldTime != 0 || l == &p.def) {
		var ok bool
		t, ok = parseW3CTime(field(l.date), field(l.clock))
		if !ok && l == &p.def {
			return ReasonNoMatch // without a header, a line must look like one of the format
		}
	} else if l == &p.def {
		return ReasonNoMatch
	}
	code := field(l.status)
	s := statusOf(code)
	if s == 0 {
		return ReasonBadStatus
	}
	rec.Status = s
	if p.want&FieldTime != 0 {
		rec.Time = t
	}
	if p.want&FieldMethod != 0 {
		rec.Method = methodWord(field(l.method))
	}
	if p.want&FieldHost != 0 {
		rec.Host = hostOf(field(l.host))
	}
	if l.taken >= 0 && p.want&FieldDuration != 0 {
		setDuration(rec, field(l.taken), l.takenUnit)
	}
	return ReasonNone
}

// newHeader makes l the current layout, keeping the previous ones.
func (p *w3cParser) newHeader(l w3cLayout) {
	if p.cur.n > 0 && p.cur != l {
		copy(p.old[1:], p.old[:len(p.old)-1])
		p.old[0] = p.cur
	}
	p.cur = l
}

// pick returns the layout for a line of n fields.
func (p *w3cParser) pick(n int) (*w3cLayout, bool) {
	if p.cur.n == n {
		return &p.cur, true
	}
	for i := range p.old {
		if p.old[i].n == n {
			return &p.old[i], true
		}
	}
	if p.cur.n == 0 && (p.def.n == n || (p.def.atLeast && n > p.def.n)) {
		return &p.def, true
	}
	return nil, false
}

// last returns the last column a Record takes from lines of l.
func (l *w3cLayout) last() int {
	return max(l.status, l.method, l.host, l.taken, l.date, l.clock)
}

// splitTabs finds the first n fields of a line of tab-separated fields.
func splitTabs(line []byte, spans *[maxW3CFields][2]int, n int) {
	start := 0
	for k := range min(n, maxW3CFields) {
		end := bytes.IndexByte(line[start:], '\t')
		if end < 0 {
			spans[k] = [2]int{start, len(line)}
			return
		}
		spans[k] = [2]int{start, start + end}
		start += end + 1
	}
}

// split finds the space-separated fields of line and returns their count,
// or -1 for a line that cannot be split (an unterminated quote, too many
// fields).
func (p *w3cParser) split(line []byte, spans *[maxW3CFields][2]int) int {
	n := 0
	for i := 0; ; {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			return n
		}
		start := i
		if line[i] == '"' {
			// A quoted field; "" inside is a quote.
			i++
			for {
				q := bytes.IndexByte(line[i:], '"')
				if q < 0 {
					return -1
				}
				i += q + 1
				if i < len(line) && line[i] == '"' {
					i++
					continue
				}
				break
			}
			if i < len(line) && line[i] != ' ' && line[i] != '\t' {
				return -1
			}
		} else {
			for i < len(line) && line[i] != ' ' && line[i] != '\t' {
				i++
			}
		}
		if n == maxW3CFields {
			return -1
		}
		spans[n] = [2]int{start, i}
		n++
	}
}
