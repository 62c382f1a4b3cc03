package logformat

import "time"

// albParser reads AWS Application Load Balancer access logs:
//
//	type time elb client:port target:port request_processing_time
//	target_processing_time response_processing_time elb_status_code
//	target_status_code received_bytes sent_bytes "request" "user_agent" ...
//
// The status is elb_status_code ("-" when no response was sent: a bad
// status), the upstream status target_status_code; the duration is the sum
// of the three processing times when none is -1 (the request never reached a
// target, or the connection was cut).
type albParser struct{ want Fields }

func (p *albParser) setWant(w Fields) { p.want = w }

// Name implements Parser.
func (*albParser) Name() string { return nameALB }

// Parse implements Parser.
func (p *albParser) Parse(line []byte, rec *Record) Reason {
	*rec = Record{}
	line = trimCR(line)
	var f [12][]byte
	i := -1
	for n := range f {
		if i >= len(line) {
			return noMatch(line)
		}
		f[n], i = token(line, i+1)
	}
	switch string(f[0]) {
	case "http", "https", "h2", "grpcs", "ws", "wss":
	default:
		return noMatch(line)
	}
	t, ok := parseISOTime(f[1])
	if !ok {
		return ReasonNoMatch
	}
	s := statusOf(f[8])
	if s == 0 {
		if digitsOrDash(f[8]) {
			return ReasonBadStatus
		}
		return ReasonNoMatch
	}
	rec.Status = s
	if p.want&FieldTime != 0 {
		rec.Time = t
	}
	if p.want&FieldUpstream != 0 {
		setUpstream(rec, f[9])
	}
	if p.want&FieldDuration != 0 {
		albDuration(rec, f[5:8])
	}
	if p.want&(FieldMethod|FieldHost) != 0 && i+1 < len(line) && line[i] == ' ' && line[i+1] == '"' {
		if end := closingQuote(line, i+2); end > 0 {
			req := line[i+2 : end]
			rec.Method = method(req)
			if rec.Method != nil {
				u, _ := token(req, len(rec.Method)+1)
				rec.Host = urlHost(u)
			}
		}
	}
	return ReasonNone
}

// albDuration sets the sum of the three processing times, when none is -1.
func albDuration(rec *Record, times [][]byte) {
	var total float64
	for _, pt := range times {
		v, ok := parseNumber(pt)
		if !ok || v < 0 {
			total = -1
			break
		}
		total += v
	}
	if total >= 0 && total*float64(time.Second) <= float64(maxDuration) {
		rec.Duration = time.Duration(total * float64(time.Second))
		rec.HasDuration = true
	}
}
