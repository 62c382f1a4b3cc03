package logformat

import (
	"bytes"
	"time"
)

// logfmtParser reads logfmt lines (key=value pairs, values quoted when they
// hold spaces: `ts=2024-01-02T03:04:05Z method=GET path="/a b" status=200
// duration=1.2ms`). The status is under a configured key; by the names such
// logs usually use it also reads the method ("method", "request_method"),
// host ("host", "http_host"), duration ("duration", "took", "latency" with a
// unit, "request_time" in seconds), upstream status ("upstream_status") and
// time ("time", "ts", "timestamp", "t").
type logfmtParser struct {
	name string
	key  []byte
	want Fields
}

func newLogfmtParser(name, key string, want Fields) *logfmtParser {
	return &logfmtParser{name: name, key: []byte(key), want: want}
}

func (p *logfmtParser) setWant(w Fields) { p.want = w }

// Name implements Parser.
func (p *logfmtParser) Name() string { return p.name }

// Parse implements Parser.
func (p *logfmtParser) Parse(line []byte, rec *Record) Reason {
	*rec = Record{}
	line = trimCR(line)
	var status []byte
	found := false
	for i := 0; i < len(line); {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			break
		}
		ks := i
		for i < len(line) && line[i] != '=' && line[i] != ' ' && line[i] != '\t' && line[i] != '"' {
			i++
		}
		key := line[ks:i]
		if i < len(line) && line[i] == '"' { // a quote inside a key: not logfmt
			*rec = Record{}
			return ReasonNoMatch
		}
		if i == len(line) || line[i] != '=' {
			continue // a bare key
		}
		i++
		var val []byte
		if i < len(line) && line[i] == '"' {
			end := closingQuote(line, i+1)
			if end < 0 {
				*rec = Record{}
				return ReasonNoMatch
			}
			val = line[i+1 : end]
			i = end + 1
			if bytes.IndexByte(val, '\\') >= 0 {
				val = nil // escaped text: no field below needs it
			}
		} else {
			vs := i
			for i < len(line) && line[i] != ' ' && line[i] != '\t' {
				i++
			}
			val = line[vs:i]
		}
		if len(key) == 0 {
			continue
		}
		if !found && bytes.Equal(key, p.key) {
			status, found = val, true
			continue
		}
		if p.want == 0 {
			continue
		}
		switch string(key) {
		case "method", "request_method":
			if p.want&FieldMethod != 0 {
				rec.Method = methodWord(val)
			}
		case "host", "http_host":
			if p.want&FieldHost != 0 {
				rec.Host = hostOf(val)
			}
		case "duration", "took", "latency":
			if p.want&FieldDuration != 0 {
				setGoDuration(rec, val)
			}
		case "request_time":
			if p.want&FieldDuration != 0 {
				setDuration(rec, val, time.Second)
			}
		case "upstream_status":
			if p.want&FieldUpstream != 0 {
				setUpstream(rec, val)
			}
		case "time", "ts", "timestamp", "t":
			if rec.Time.IsZero() && p.want&FieldTime != 0 {
				rec.Time, _ = parseAnyTime(val)
			}
		}
	}
	if !found {
		*rec = Record{}
		return noMatch(line)
	}
	if s := statusOf(status); s != 0 {
		rec.Status = s
		return ReasonNone
	}
	*rec = Record{}
	return ReasonBadStatus
}
