package logformat

import (
	"bytes"
	"time"
)

// clfKind says which member of the common-log-format family a clfParser
// reads. They share the status rule (the token after the quoted request)
// and differ in the fields around it.
type clfKind uint8

const (
	clfCombined clfKind = iota // combined and common: [prefix] client ident user [time] "request" status size[ "referer" "agent" ...]
	clfVhost                   // Apache vhost_combined: vhost[:port] client ident user [time] ...
	clfLighttpd                // lighttpd: client vhost user [time] ...
	clfTraefik                 // Traefik CLF: combined, then count "router" "backend" Nms
	clfIngress                 // ingress-nginx: combined, then reqlen reqtime [upstream] [alt] addrs lens times statuses reqid
)

// clfParser reads the NCSA common and combined formats as nginx and Apache
// write them, and the formats built on them. Combined is common plus two
// quoted fields (referer, user agent) after the size, and the status sits
// before both, so one implementation reads either; name only says which the
// user asked for.
type clfParser struct {
	name string
	kind clfKind
	want Fields
	// typical is set by Parse when the line had the fields that set this
	// format apart from plain combined (auto detection asks for it), and
	// combined when a quoted field followed the size.
	typical, combined bool
}

func (p *clfParser) setWant(w Fields) { p.want = w }

// Parse implements Parser.
func (p *clfParser) Parse(line []byte, rec *Record) Reason {
	*rec = Record{}
	p.typical = false
	line = trimCR(line)
	var h clfHit
	r := parseCLF(line, rec, &h)
	if r != ReasonNone {
		return r
	}
	p.combined = h.combined
	if p.want&FieldMethod == 0 {
		rec.Method = nil
	}
	if h.tb >= 0 && p.want&FieldTime != 0 {
		rec.Time, _ = parseCLFTime(line[h.tb:h.te])
	}
	switch p.kind {
	case clfVhost:
		if h.tb > 0 && p.want&FieldHost != 0 {
			if f, n := prefixField(line[:h.tb-1], 0); n >= 4 {
				rec.Host = hostOf(f)
			}
		}
		p.typical = rec.Host != nil
	case clfLighttpd:
		if h.tb > 0 && p.want&FieldHost != 0 {
			if f, n := prefixField(line[:h.tb-1], 1); n == 3 {
				rec.Host = hostOf(f)
			}
		}
		p.typical = rec.Host != nil
	case clfTraefik:
		if p.want&FieldDuration != 0 {
			p.typical = traefikTail(line[h.after:], rec)
		}
	case clfIngress:
		if p.want&(FieldDuration|FieldUpstream) != 0 {
			p.typical = ingressTail(line[h.after:], rec)
		}
	case clfCombined:
		p.typical = true
	}
	return ReasonNone
}

// Name implements Parser.
func (p *clfParser) Name() string { return p.name }

// clfHit is where parseCLF found the parts of a line it parsed.
type clfHit struct {
	combined bool // a quoted field follows the size: the combined format
	after    int  // index just past the status token
	tb, te   int  // the time field's content (inside the brackets), or -1
}

// parseCLF finds the status that follows the quoted request field:
//
//	[vhost ]client ident user [time] "request" status size[ "referer" "agent" ...]
//
// Everything before the request is skipped rather than parsed, so vhost
// prefixes, X-Forwarded-For lists, IPv6 clients and missing ident or user
// fields cost nothing. It sets rec.Status and rec.Method and fills h.
func parseCLF(line []byte, rec *Record, h *clfHit) Reason {
	h.tb, h.te = -1, -1
	if len(line) == 0 {
		return ReasonEmpty
	}

	// The request is the first quoted field after the [time] field. Starting
	// after the first ']' skips quotes in a prefix (nginx logs a quoted
	// X-Forwarded-For list before the time in some setups).
	start := 0
	if i := bytes.IndexByte(line, '['); i >= 0 {
		if j := bytes.IndexByte(line[i:], ']'); j >= 0 {
			start = i + j + 1
			h.tb, h.te = i+1, i+j
		}
	}
	q := bytes.IndexByte(line[start:], '"')
	if q < 0 && start > 0 {
		// The '[' may have been inside the request of a line without a time.
		start = 0
		q = bytes.IndexByte(line, '"')
	}
	if q < 0 {
		return noMatch(line)
	}
	q += start
	if h.te > q {
		h.tb, h.te = -1, -1
	}
	// structured: the request follows "] " as in every CLF line. Only then is
	// a bad token after the request a bad status rather than another kind of
	// line (an nginx error-log line also has a quoted path after a ']').
	structured := q >= 2 && line[q-2] == ']' && line[q-1] == ' '

	if end := closingQuote(line, q+1); end >= 0 && end+1 < len(line) && line[end+1] == ' ' {
		tok, _ := token(line, end+2)
		if s := statusOf(tok); s != 0 {
			rec.Status = s
			rec.Method = method(line[q+1 : end])
			h.after = end + 2 + len(tok)
			h.combined = sizeThenQuote(line[h.after:])
			return ReasonNone
		}
		// A token made of digits or '-' is the status field holding a bad
		// value ("-", "0", "000", "2000"). Searching further could pick a
		// number out of the referer, agent or a later field, so stop here.
		if !digitsOrDash(tok) {
			if fallback(line, q, rec, h) == ReasonNone {
				return ReasonNone
			}
		}
		if structured {
			return ReasonBadStatus
		}
		return noMatch(line)
	}
	// No closing quote followed by a space: an unescaped quote inside the
	// request (old Apache, some proxies), or a truncated line.
	if fallback(line, q, rec, h) == ReasonNone {
		return ReasonNone
	}
	return noMatch(line)
}

// fallback is the slow path for lines whose request field does not close as
// it should: it takes the first `" NNN` (a valid status) after the first
// quote of the line, so that a '[' inside the request of a line without a
// time field, or a raw quote inside the request, does not lose the line. q
// is the quote taken as the request's opening one.
func fallback(line []byte, q int, rec *Record, h *clfHit) Reason {
	q0 := bytes.IndexByte(line, '"')
	s, at := findStatus(line, q0+1)
	if s == 0 {
		rec.Status = 0
		return ReasonNoMatch
	}
	if at <= q {
		q = q0
	}
	if h.te > q {
		h.tb, h.te = -1, -1
	}
	rec.Status = s
	rec.Method = method(line[q+1 : at])
	h.after = at + 5
	h.combined = sizeThenQuote(line[h.after:])
	return ReasonNone
}

// findStatus returns the first valid status in line[from:] written as
// `" NNN` followed by a space or the end of the line, and the index of its
// quote; or 0, -1.
func findStatus(line []byte, from int) (status, at int) {
	for i := from; i < len(line); {
		j := bytes.IndexByte(line[i:], '"')
		if j < 0 {
			break
		}
		j += i
		if j+4 < len(line) && line[j+1] == ' ' && (j+5 == len(line) || line[j+5] == ' ') {
			if s := statusOf(line[j+2 : j+5]); s != 0 {
				return s, j
			}
		}
		i = j + 1
	}
	return 0, -1
}

// sizeThenQuote reports whether rest, the part of a line after the status,
// starts with a size ("123" or "-") and then a quoted field: the referer of
// the combined format.
func sizeThenQuote(rest []byte) bool {
	if len(rest) < 4 || rest[0] != ' ' {
		return false
	}
	rest = rest[1:]
	k := bytes.IndexByte(rest, ' ')
	if k < 1 || !digitsOrDash(rest[:k]) {
		return false
	}
	return k+1 < len(rest) && rest[k+1] == '"'
}

// prefixField returns field i (from 0) of the space-separated fields of
// the part of a line before the time field, and how many fields that part
// has.
func prefixField(pre []byte, i int) (field []byte, n int) {
	for p := 0; p < len(pre); {
		for p < len(pre) && pre[p] == ' ' {
			p++
		}
		if p == len(pre) {
			break
		}
		q := p
		for q < len(pre) && pre[q] != ' ' {
			q++
		}
		if n == i {
			field = pre[p:q]
		}
		n++
		p = q
	}
	return field, n
}

// skipQuoted expects ` "..."` at rest[i:] and returns the index after the
// closing quote, or -1.
func skipQuoted(rest []byte, i int) int {
	if i+1 >= len(rest) || rest[i] != ' ' || rest[i+1] != '"' {
		return -1
	}
	end := closingQuote(rest, i+2)
	if end < 0 {
		return -1
	}
	return end + 1
}

// afterCombined skips the size, referer and agent after the status of a
// combined line and returns the index after the agent's closing quote, or -1.
func afterCombined(rest []byte) int {
	if len(rest) < 2 || rest[0] != ' ' {
		return -1
	}
	_, i := token(rest, 1)
	if i = skipQuoted(rest, i); i < 0 {
		return -1
	}
	return skipQuoted(rest, i)
}

// traefikTail reads what Traefik's CLF adds after the agent,
//
//	<requests> "<router>" "<backend URL>" <duration>ms
//
// setting the duration; it reports whether the fields were all there.
func traefikTail(rest []byte, rec *Record) bool {
	// The duration ends the line whatever the quoting before it (a router
	// name with a stray quote is seen in the wild).
	sp := bytes.LastIndexByte(rest, ' ')
	if sp < 0 || !bytes.HasSuffix(rest, []byte("ms")) || len(rest)-sp-1 < 3 {
		return false
	}
	d := rest[sp+1 : len(rest)-2]
	if !digitsOrDash(d) || d[0] == '-' {
		return false
	}
	setGoDuration(rec, rest[sp+1:])
	i := afterCombined(rest)
	if i < 0 {
		return false
	}
	n, j := token(rest, i+1)
	if i >= len(rest) || rest[i] != ' ' || !digitsOrDash(n) {
		return false
	}
	if j = skipQuoted(rest, j); j < 0 {
		return false
	}
	j = skipQuoted(rest, j)
	return j == sp
}

// ingressTail reads what ingress-nginx's default log format adds after the
// agent,
//
//	$request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name]
//	$upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id
//
// where each $upstream_ variable is a list when nginx tried several
// upstreams ("172.17.0.6:8080, 172.17.0.7:8080", "502, 200"). It sets the
// duration and upstream status and reports whether the fields were all there.
func ingressTail(rest []byte, rec *Record) bool {
	i := afterCombined(rest)
	if i < 0 || i >= len(rest) || rest[i] != ' ' {
		return false
	}
	reqLen, j := token(rest, i+1)
	if !digitsOrDash(reqLen) || j >= len(rest) {
		return false
	}
	reqTime, j := token(rest, j+1)
	if j >= len(rest) {
		return false
	}
	for range 2 { // [$proxy_upstream_name] [$proxy_alternative_upstream_name]
		if j+2 >= len(rest) || rest[j] != ' ' || rest[j+1] != '[' {
			return false
		}
		k := bytes.IndexByte(rest[j+2:], ']')
		if k < 0 {
			return false
		}
		j += 2 + k + 1
	}
	if j >= len(rest) || rest[j] != ' ' {
		return false
	}
	j++
	var lists [4][]byte // addr, length, time, status
	for n := range lists {
		if j >= len(rest) {
			return false
		}
		lists[n], j = upstreamList(rest, j)
	}
	if j >= len(rest) { // $req_id follows
		return false
	}
	setDuration(rec, reqTime, time.Second)
	setUpstream(rec, lists[3])
	return true
}

// upstreamList reads one nginx $upstream_* value at b[i:]: items separated
// by ", " (servers tried in turn) or " : " (an internal redirect to another
// group). It returns the list and the index after the space that ends it.
func upstreamList(b []byte, i int) (list []byte, next int) {
	start := i
	for {
		tok, end := token(b, i)
		if end >= len(b) {
			return b[start:], len(b)
		}
		if len(tok) > 0 && tok[len(tok)-1] == ',' {
			i = end + 1
			continue
		}
		if end+2 < len(b) && b[end+1] == ':' && b[end+2] == ' ' {
			i = end + 3
			continue
		}
		return b[start:end], end + 1
	}
}
