package logformat

import (
	"fmt"
	"regexp"
	"time"
)

// regexParser reads lines with a user's RE2 expression, compiled once. The
// named group "status" is required; "method", "host", "duration" (seconds,
// or with a unit: "12ms"), "upstream_status" and "time" (RFC 3339, CLF or
// Unix seconds) are read when present.
//
// It is the one format that allocates per line: the regexp package returns
// a match's positions in a new slice (FindSubmatchIndex), and has no API
// that fills a caller's. That is one allocation of 2*(groups+1) ints per
// matching line (none for lines that do not match); the benchmark reports it.
type regexParser struct {
	name                                   string
	re                                     *regexp.Regexp
	status, method, host, duration, up, tm int
}

func newRegexParser(name string) (Parser, error) {
	expr := name[len(prefixRegex):]
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("format %q: %w: %w", name, ErrBadFormat, err)
	}
	p := &regexParser{
		name:     name,
		re:       re,
		status:   re.SubexpIndex("status"),
		method:   re.SubexpIndex("method"),
		host:     re.SubexpIndex("host"),
		duration: re.SubexpIndex("duration"),
		up:       re.SubexpIndex("upstream_status"),
		tm:       re.SubexpIndex("time"),
	}
	if p.status < 0 {
		return nil, fmt.Errorf("format %q: the expression has no group named status, as in (?P<status>\\d{3}): %w", name, ErrBadFormat)
	}
	return p, nil
}

// Name implements Parser.
func (p *regexParser) Name() string { return p.name }

// Parse implements Parser.
func (p *regexParser) Parse(line []byte, rec *Record) Reason {
	*rec = Record{}
	line = trimCR(line)
	m := p.re.FindSubmatchIndex(line)
	if m == nil {
		return noMatch(line)
	}
	group := func(i int) []byte {
		if i < 0 || 2*i+1 >= len(m) || m[2*i] < 0 {
			return nil
		}
		return line[m[2*i]:m[2*i+1]]
	}
	code := group(p.status)
	if m[2*p.status] < 0 {
		return ReasonNoMatch // the status group did not take part in the match
	}
	s := statusOf(code)
	if s == 0 {
		return ReasonBadStatus
	}
	rec.Status = s
	rec.Method = methodWord(group(p.method))
	rec.Host = hostOf(group(p.host))
	if d := group(p.duration); len(d) > 0 {
		if c := d[len(d)-1]; c >= '0' && c <= '9' {
			setDuration(rec, d, time.Second)
		} else {
			setGoDuration(rec, d)
		}
	}
	setUpstream(rec, group(p.up))
	if t := group(p.tm); t != nil {
		rec.Time, _ = parseAnyTime(t)
	}
	return ReasonNone
}
