package logformat

import (
	"bytes"
	"time"
)

// envoyParser reads Envoy's default access-log format,
//
//	[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS%
//	%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%"
//	"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"
//
// (Istio's variant, with %RESPONSE_CODE_DETAILS% and more after the flags,
// gives its status and time too), and the JSON access log of Envoy Gateway
// (keys response_code, method, start_time, duration in ms, ":authority"),
// both of which the same proxy may write to one stream. Envoy logs
// %RESPONSE_CODE% 0 when no response was sent (the client went away): a bad
// status.
type envoyParser struct{ want Fields }

func (p *envoyParser) setWant(w Fields) { p.want = w }

// Name implements Parser.
func (*envoyParser) Name() string { return nameEnvoy }

// Parse implements Parser.
func (p *envoyParser) Parse(line []byte, rec *Record) Reason {
	*rec = Record{}
	line = trimCR(line)
	if len(line) > 0 && line[0] == '[' {
		return envoyText(line, rec)
	}
	if obj, ok := jsonObjectIn(line); ok {
		return envoyJSON(obj, rec, p.want)
	}
	return noMatch(line)
}

func envoyText(line []byte, rec *Record) Reason {
	te := bytes.IndexByte(line, ']')
	if te < 20 || te+2 >= len(line) || line[te+1] != ' ' || line[te+2] != '"' {
		return ReasonNoMatch
	}
	t, ok := parseISOTime(line[1:te])
	if !ok {
		return ReasonNoMatch
	}
	end := closingQuote(line, te+3)
	if end < 0 || end+1 >= len(line) || line[end+1] != ' ' {
		return ReasonNoMatch
	}
	req := line[te+3 : end]
	code, i := token(line, end+2)
	flags, i := token(line, i+1)
	if len(flags) == 0 {
		return ReasonNoMatch
	}
	s := statusOf(code)
	if s == 0 {
		if digitsOrDash(code) {
			return ReasonBadStatus
		}
		return ReasonNoMatch
	}
	rec.Status = s
	rec.Method = method(req)
	rec.Time = t
	// Default format: bytes received, bytes sent, duration (ms), upstream
	// service time, then four quoted fields, the fourth the authority.
	rx, i := token(line, i+1)
	if !digitsOrDash(rx) {
		return ReasonNone // another layout after the flags (Istio's)
	}
	_, i = token(line, i+1)
	d, i := token(line, i+1)
	setDuration(rec, d, time.Millisecond)
	_, i = token(line, i+1)
	for n := range 4 {
		if i >= len(line) || line[i] != ' ' || i+1 >= len(line) || line[i+1] != '"' {
			break
		}
		e := closingQuote(line, i+2)
		if e < 0 {
			break
		}
		if n == 3 {
			rec.Host = hostOf(line[i+2 : e])
		}
		i = e + 1
	}
	return ReasonNone
}

func envoyJSON(obj []byte, rec *Record, want Fields) Reason {
	var sv []byte
	sk := jsonBad
	const all = 1<<5 - 1
	seen := 0 // a bit for each key read, and those of fields not wanted
	if want&FieldMethod == 0 {
		seen |= 2
	}
	if want&FieldTime == 0 {
		seen |= 4
	}
	if want&FieldDuration == 0 {
		seen |= 8
	}
	if want&FieldHost == 0 {
		seen |= 16
	}
	for i, first := 1, true; seen != all; first = false {
		key, v, k, next := jsonMember(obj, i, first)
		if k == jsonBad && seen&1 == 0 {
			*rec = Record{}
			return ReasonNoMatch
		}
		if k == jsonEnd || k == jsonBad {
			break // after the status, read as far as the line allows (see traefikJSONParser)
		}
		i = next
		switch string(key) {
		case "response_code":
			if seen&1 == 0 {
				sv, sk = v, k
				seen |= 1
			}
		case "method":
			rec.Method = methodWord(jsonText(v, k))
			seen |= 2
		case "start_time":
			rec.Time, _ = parseISOTime(jsonText(v, k))
			seen |= 4
		case "duration":
			if k == jsonNumber {
				setDuration(rec, v, time.Millisecond)
			}
			seen |= 8
		case ":authority":
			rec.Host = hostOf(jsonText(v, k))
			seen |= 16
		}
	}
	if seen&1 == 0 {
		*rec = Record{}
		return ReasonNoMatch
	}
	return jsonStatus(sv, sk, rec)
}
