package logformat

import "bytes"

const (
	nameAuto     = "auto"
	nameCombined = "combined"
	nameCommon   = "common"
)

// clfParser reads the NCSA common and combined formats as nginx and Apache
// write them. Combined is common plus two quoted fields (referer, user agent)
// after the size, and the status sits before both, so one implementation
// reads either; name only says which the user asked for.
type clfParser struct {
	name string
}

// Parse implements Parser.
func (p *clfParser) Parse(line []byte, rec *Record) Reason {
	r, _ := parseCLF(line, rec)
	return r
}

// Name implements Parser.
func (p *clfParser) Name() string { return p.name }

// parseCLF finds the status that follows the quoted request field:
//
//	[vhost ]client ident user [time] "request" status size[ "referer" "agent" ...]
//
// Everything before the request is skipped rather than parsed, so vhost
// prefixes, X-Forwarded-For lists, IPv6 clients and missing ident or user
// fields cost nothing. combined reports whether the line carries a quoted
// field right after the size (the referer of the combined format); auto
// detection uses it.
func parseCLF(line []byte, rec *Record) (r Reason, combined bool) {
	rec.Status = 0
	rec.Method = nil
	// CRLF files: the reader strips '\n', the '\r' is ours to ignore.
	for len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if len(line) == 0 {
		return ReasonEmpty, false
	}

	// The request is the first quoted field after the [time] field. Starting
	// after the first ']' skips quotes in a prefix (nginx logs a quoted
	// X-Forwarded-For list before the time in some setups).
	start := 0
	if i := bytes.IndexByte(line, '['); i >= 0 {
		if j := bytes.IndexByte(line[i:], ']'); j >= 0 {
			start = i + j + 1
		}
	}
	q := bytes.IndexByte(line[start:], '"')
	if q < 0 && start > 0 {
		// The '[' may have been inside the request of a line without a time.
		start = 0
		q = bytes.IndexByte(line, '"')
	}
	if q < 0 {
		return noMatch(line), false
	}
	q += start
	// structured: the request follows "] " as in every CLF line. Only then is
	// a bad token after the request a bad status rather than another kind of
	// line (an nginx error-log line also has a quoted path after a ']').
	structured := q >= 2 && line[q-2] == ']' && line[q-1] == ' '

	if end := closingQuote(line, q+1); end >= 0 && end+1 < len(line) && line[end+1] == ' ' {
		tok := line[end+2:]
		if k := bytes.IndexByte(tok, ' '); k >= 0 {
			tok = tok[:k]
		}
		if s := statusOf(tok); s != 0 {
			rec.Status = s
			rec.Method = method(line[q+1 : end])
			return ReasonNone, sizeThenQuote(line[end+2+len(tok):])
		}
		// A token made of digits or '-' is the status field holding a bad
		// value ("-", "0", "000", "2000"). Searching further could pick a
		// number out of the referer, agent or a later field, so stop here.
		if !digitsOrDash(tok) {
			if r, combined := fallback(line, q, rec); r == ReasonNone {
				return r, combined
			}
		}
		if structured {
			return ReasonBadStatus, false
		}
		return noMatch(line), false
	}
	// No closing quote followed by a space: an unescaped quote inside the
	// request (old Apache, some proxies), or a truncated line.
	if r, combined := fallback(line, q, rec); r == ReasonNone {
		return r, combined
	}
	return noMatch(line), false
}

// fallback is the slow path for lines whose request field does not close as
// it should: it takes the first `" NNN` (a valid status) after the first
// quote of the line, so that a '[' inside the request of a line without a
// time field, or a raw quote inside the request, does not lose the line. q
// is the quote taken as the request's opening one.
func fallback(line []byte, q int, rec *Record) (Reason, bool) {
	q0 := bytes.IndexByte(line, '"')
	s, at := findStatus(line, q0+1)
	if s == 0 {
		return ReasonNoMatch, false
	}
	if at <= q {
		q = q0
	}
	rec.Status = s
	rec.Method = method(line[q+1 : at])
	return ReasonNone, sizeThenQuote(line[at+5:])
}

// closingQuote returns the index of the quote that closes a quoted field
// whose content starts at from, or -1. A quote preceded by an odd run of
// backslashes is escaped (Apache writes \" and \\); nginx writes \x22 and
// never a raw quote inside a field.
func closingQuote(line []byte, from int) int {
	for i := from; i < len(line); {
		j := bytes.IndexByte(line[i:], '"')
		if j < 0 {
			return -1
		}
		j += i
		n := 0
		for k := j - 1; k >= from && line[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return j
		}
		i = j + 1
	}
	return -1
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

// statusOf returns the status tok spells, or 0 unless tok is exactly three
// ASCII digits from 100 to 599.
func statusOf(tok []byte) int {
	if len(tok) != 3 {
		return 0
	}
	a, b, c := tok[0]-'0', tok[1]-'0', tok[2]-'0'
	if a < 1 || a > 5 || b > 9 || c > 9 {
		return 0
	}
	return int(a)*100 + int(b)*10 + int(c)
}

// digitsOrDash reports whether tok is "-" or all ASCII digits: the shape of a
// status or size field, whatever its value.
func digitsOrDash(tok []byte) bool {
	if len(tok) == 0 {
		return false
	}
	if len(tok) == 1 && tok[0] == '-' {
		return true
	}
	for _, c := range tok {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// method returns the request's first word when it is an uppercase ASCII
// word followed by a space ("GET / HTTP/1.1"), else nil: a TLS handshake or
// a probe ("\x16\x03\x01", "-", "HELP") has no method worth reporting.
func method(req []byte) []byte {
	for i, c := range req {
		if c == ' ' {
			if i == 0 {
				return nil
			}
			return req[:i:i]
		}
		if c < 'A' || c > 'Z' {
			return nil
		}
	}
	return nil
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

// noMatch tells a blank line (spaces, tabs, CR) from one of another kind.
// It runs only on lines that failed, keeping the common path short.
func noMatch(line []byte) Reason {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return ReasonNoMatch
		}
	}
	return ReasonEmpty
}
