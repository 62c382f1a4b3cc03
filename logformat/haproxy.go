package logformat

import (
	"bytes"
	"time"
)

// haproxyParser reads HAProxy's HTTP log format (option httplog), with or
// without the syslog prefix:
//
//	[syslog prefix: ]client:port [accept_date] frontend backend/server [host]
//	TR/Tw/Tc/Tr/Ta status bytes cookie cookie flags act/fe/be/srv/retries
//	srvq/beq [{req headers}] [{resp headers}] "request"
//
// The status is the token after the five timers. Lines without them (TCP
// logs with three timers, "Connect from", "SSL handshake failure", "Proxy
// started") are no_match; status -1 (no response) is a bad status. The
// accept date has no zone, so Time is left zero; Duration is Ta (or Tt).
type haproxyParser struct{ want Fields }

func (p *haproxyParser) setWant(w Fields) { p.want = w }

// Name implements Parser.
func (*haproxyParser) Name() string { return nameHAProxy }

// Parse implements Parser.
func (p *haproxyParser) Parse(line []byte, rec *Record) Reason {
	*rec = Record{}
	line = trimCR(line)
	// The accept date: "[dd/Mon/yyyy:hh:mm:ss.mmm]" after "client:port ".
	i := 0
	for {
		j := bytes.IndexByte(line[i:], '[')
		if j < 0 {
			return noMatch(line)
		}
		i += j
		if i > 0 && line[i-1] == ' ' && i+21 < len(line) && line[i+3] == '/' && line[i+7] == '/' && line[i+12] == ':' {
			if k := bytes.IndexByte(line[i:min(i+32, len(line))], ']'); k >= 21 {
				i += k + 1
				break
			}
		}
		i++
	}
	// The timers follow the frontend, backend/server and, in some setups,
	// another field; look at a few tokens.
	for range 4 {
		if i >= len(line) || line[i] != ' ' {
			return ReasonNoMatch
		}
		tok, end := token(line, i+1)
		if last, ok := haproxyTimers(tok); ok {
			code, _ := token(line, end+1)
			s := statusOf(code)
			if s == 0 {
				if len(code) > 0 && (digitsOrDash(code) || (code[0] == '-' && digitsOrDash(code[1:]))) {
					return ReasonBadStatus
				}
				return ReasonNoMatch
			}
			rec.Status = s
			if p.want&FieldDuration != 0 {
				if last[0] == '+' {
					last = last[1:]
				}
				setDuration(rec, last, time.Millisecond)
			}
			if p.want&FieldMethod != 0 {
				if q := bytes.IndexByte(line[end:], '"'); q >= 0 {
					rec.Method = method(line[end+q+1:])
				}
			}
			return ReasonNone
		}
		i = end
	}
	return ReasonNoMatch
}

// haproxyTimers reports whether tok is the five timers of the HTTP log
// ("0/0/1/0/2", "0/-1/-1/-1/0", "+0/0/0/0/12") and returns the last one.
func haproxyTimers(tok []byte) (last []byte, ok bool) {
	n, start := 0, 0
	for i := 0; i <= len(tok); i++ {
		if i < len(tok) && tok[i] != '/' {
			continue
		}
		f := tok[start:i]
		if len(f) > 0 && (f[0] == '+' || f[0] == '-') {
			f = f[1:]
		}
		if len(f) == 0 || !digitsOrDash(f) || f[0] == '-' {
			return nil, false
		}
		n++
		last = tok[start:i]
		start = i + 1
	}
	return last, n == 5
}
