package logformat

import (
	"bytes"
	"math"
	"time"
)

// The field readers every format shares. None allocates.

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

// trimCR drops the '\r' of CRLF files: the reader strips '\n', the '\r' is
// the parser's to ignore.
func trimCR(line []byte) []byte {
	for len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line
}

// blank reports whether line holds only spaces, tabs and CRs.
func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// noMatch tells a blank line (spaces, tabs, CR) from one of another kind.
// It runs only on lines that failed, keeping the common path short.
func noMatch(line []byte) Reason {
	if blank(line) {
		return ReasonEmpty
	}
	return ReasonNoMatch
}

// methodWord returns w, capped so append cannot run over the bytes after
// it, when it is a plausible method: 1 to 20 upper-case ASCII letters (and
// '-' or '_' after the first, as in VERSION-CONTROL); else nil.
func methodWord(w []byte) []byte {
	if len(w) == 0 || len(w) > 20 || w[0] < 'A' || w[0] > 'Z' {
		return nil
	}
	for _, c := range w[1:] {
		if (c < 'A' || c > 'Z') && c != '-' && c != '_' {
			return nil
		}
	}
	return w[:len(w):len(w)]
}

// method returns the request's first word when it is an upper-case ASCII
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

// hostOf returns a host field without its port ("example.com:443" ->
// "example.com", "[::1]:80" -> "::1"), or nil for "-" and empty fields.
func hostOf(h []byte) []byte {
	if len(h) == 0 || (len(h) == 1 && h[0] == '-') {
		return nil
	}
	if h[0] == '[' {
		if i := bytes.IndexByte(h, ']'); i > 1 {
			return h[1:i:i]
		}
		return nil
	}
	if i := bytes.LastIndexByte(h, ':'); i >= 0 && bytes.IndexByte(h[:i], ':') < 0 {
		// One colon: a port. Several: an IPv6 address without brackets.
		h = h[:i]
	}
	if len(h) == 0 {
		return nil
	}
	return h[:len(h):len(h)]
}

// urlHost returns the host of an absolute URL ("https://example.com:443/x"),
// or nil.
func urlHost(u []byte) []byte {
	i := bytes.Index(u, []byte("://"))
	if i < 0 {
		return nil
	}
	u = u[i+3:]
	if j := bytes.IndexAny(u, "/?#"); j >= 0 {
		u = u[:j]
	}
	if j := bytes.LastIndexByte(u, '@'); j >= 0 {
		u = u[j+1:]
	}
	return hostOf(u)
}

// parseNumber reads a decimal number ("0.001", "226", "-1", "1.5e-05") as a
// float64, or reports false.
func parseNumber(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 40 {
		return 0, false
	}
	neg := false
	i := 0
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i++
	}
	var mant uint64
	exp, nd := 0, 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if mant < 1e18 {
			mant = mant*10 + uint64(b[i]-'0')
		} else {
			exp++
		}
		nd++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if mant < 1e18 {
				mant = mant*10 + uint64(b[i]-'0')
				exp--
			}
			nd++
		}
	}
	if nd == 0 {
		return 0, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			eneg = b[i] == '-'
			i++
		}
		e, n := 0, 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if e < 1000 {
				e = e*10 + int(b[i]-'0')
			}
			n++
		}
		if n == 0 {
			return 0, false
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != len(b) {
		return 0, false
	}
	f := float64(mant) * math.Pow10(exp)
	if neg {
		f = -f
	}
	return f, true
}

// maxDuration bounds durations read from lines: a day. Longer values are
// garbage or a clock jump, not a request.
const maxDuration = 24 * time.Hour

// setDuration reads b as a number of units (time.Second for nginx's
// "0.001", time.Millisecond for Envoy's "226") into rec; negative, huge or
// unreadable values ("-", "-1") leave rec without a duration.
func setDuration(rec *Record, b []byte, unit time.Duration) {
	f, ok := parseNumber(b)
	if !ok || f < 0 {
		return
	}
	d := f * float64(unit)
	if d > float64(maxDuration) {
		return
	}
	rec.Duration = time.Duration(d)
	rec.HasDuration = true
}

// setGoDuration reads a duration with its unit ("12ms", "1.5s", "250us",
// "3µs", "2m") into rec.
func setGoDuration(rec *Record, b []byte) {
	i := len(b)
	for i > 0 && (b[i-1] < '0' || b[i-1] > '9') && b[i-1] != '.' {
		i--
	}
	var unit time.Duration
	switch string(b[i:]) {
	case "ns":
		unit = time.Nanosecond
	case "us", "µs", "μs":
		unit = time.Microsecond
	case "ms":
		unit = time.Millisecond
	case "s":
		unit = time.Second
	case "m":
		unit = time.Minute
	case "h":
		unit = time.Hour
	default:
		return
	}
	setDuration(rec, b[:i], unit)
}

// setUpstream records an upstream status field: a single status or a list
// of them ("502, 200", "502 : 200", "-").
func setUpstream(rec *Record, list []byte) {
	if len(list) == 0 || (len(list) == 1 && list[0] == '-') {
		return
	}
	rec.Upstream = list[:len(list):len(list)]
	rec.UpstreamStatus = lastStatus(list)
}

// lastStatus returns the last valid status in a list separated by commas,
// colons and spaces, or 0.
func lastStatus(list []byte) int {
	end := len(list)
	for end > 0 {
		for end > 0 && isListSep(list[end-1]) {
			end--
		}
		start := end
		for start > 0 && !isListSep(list[start-1]) {
			start--
		}
		if s := statusOf(list[start:end]); s != 0 {
			return s
		}
		end = start
	}
	return 0
}

func isListSep(c byte) bool { return c == ',' || c == ' ' || c == ':' }

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

// closingQuote returns the index of the quote that closes a quoted field
// whose content starts at from, or -1. A quote preceded by an odd run of
// backslashes is escaped (Apache writes \" and \\, nginx's escape=json \");
// nginx's default escaping writes \x22 and never a raw quote inside a field.
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

// token returns the bytes of line from i up to the next space (or the end)
// and the index of that space.
func token(line []byte, i int) (tok []byte, end int) {
	if i >= len(line) {
		return nil, len(line)
	}
	j := bytes.IndexByte(line[i:], ' ')
	if j < 0 {
		return line[i:], len(line)
	}
	return line[i : i+j], i + j
}
