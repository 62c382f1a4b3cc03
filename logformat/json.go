package logformat

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"time"
	"unicode/utf8"
)

// jsonKind is the kind of a JSON value.
type jsonKind uint8

const (
	jsonBad jsonKind = iota
	jsonString
	jsonNumber
	jsonObject
	jsonArray
	jsonLiteral // true, false, null
	jsonEnd     // the end of an object (jsonMember)
)

// The JSON readers here read one object in place: they hand out keys and
// values as slices of the line and build nothing. They are lenient where
// leniency costs nothing (brackets inside a skipped value are not checked to
// match in kind) and strict where a wrong reading could give a wrong count
// (keys, strings, the object's members). Callers walk an object with
// jsonMember, holding the index in a local so that it stays in a register:
// JSON lines are long, and this is their hot loop.

// jsonObjectIn returns the object of a JSON line: from its first '{' (a
// prefix such as docker compose's "caddy  | " is allowed) to its last byte,
// which must be '}' after trailing spaces; ok is false for other lines.
func jsonObjectIn(line []byte) (obj []byte, ok bool) {
	end := len(line)
	for end > 0 && (line[end-1] == ' ' || line[end-1] == '\t') {
		end--
	}
	if end == 0 || line[end-1] != '}' {
		return nil, false
	}
	start := bytes.IndexByte(line[:end], '{')
	if start < 0 {
		return nil, false
	}
	return line[start:end], true
}

// jsonWS skips white space; it takes any control byte for it, which no
// valid JSON has outside strings.
func jsonWS(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' {
		i++
	}
	return i
}

// jsonMember reads the member of an object that starts at b[i]: i is just
// after the object's '{' (first) or after the previous member. It returns the
// key (escapes kept), the value (jsonValue's), its kind, and the index after
// the member. At the object's '}' the kind is jsonEnd and next the index
// after it; on malformed input it is jsonBad.
func jsonMember(b []byte, i int, first bool) (key, val []byte, kind jsonKind, next int) {
	key, i, kind = jsonKey(b, i, first)
	if kind != jsonString {
		return nil, nil, kind, i
	}
	val, kind, next = jsonValue(b, i)
	return key, val, kind, next
}

// jsonKey is jsonMember up to the value, which starts at next (after the
// colon and spaces); kind is jsonString when there is a member.
func jsonKey(b []byte, i int, first bool) (key []byte, next int, kind jsonKind) {
	i = jsonWS(b, i)
	if i >= len(b) {
		return nil, i, jsonBad
	}
	if b[i] == '}' {
		return nil, i + 1, jsonEnd
	}
	if !first {
		if b[i] != ',' {
			return nil, i, jsonBad
		}
		i = jsonWS(b, i+1)
		if i >= len(b) {
			return nil, i, jsonBad
		}
	}
	if b[i] != '"' {
		return nil, i, jsonBad
	}
	ke := -1
	// The common case inline (a call per string costs as much as the
	// string): it ends within eight bytes, without an escape.
	if j := i + 1; j+8 <= len(b) {
		v := binary.LittleEndian.Uint64(b[j:])
		xq, xb := v^swarQuotes, v^swarBacks
		if m := (((xq - swarOnes) &^ xq) | ((xb - swarOnes) &^ xb)) & swarHighs; m != 0 {
			if j += bits.TrailingZeros64(m) >> 3; b[j] == '"' {
				ke = j
			}
		}
	}
	if ke < 0 {
		ke = stringEnd(b, i+1)
	}
	if ke < 0 {
		return nil, i, jsonBad
	}
	key = b[i+1 : ke]
	i = jsonWS(b, ke+1)
	if i >= len(b) || b[i] != ':' {
		return nil, i, jsonBad
	}
	return key, jsonWS(b, i+1), jsonString
}

// jsonValue reads the value at b[i]: a string's content (escapes kept), a
// number's or literal's text, or an object or array whole (skipped).
func jsonValue(b []byte, i int) (val []byte, kind jsonKind, next int) {
	if i >= len(b) {
		return nil, jsonBad, i
	}
	switch c := b[i]; {
	case c == '"':
		e := -1
		// The common case inline (a call per string costs as much as the
		// string): it ends within eight bytes, without an escape.
		if j := i + 1; j+8 <= len(b) {
			v := binary.LittleEndian.Uint64(b[j:])
			xq, xb := v^swarQuotes, v^swarBacks
			if m := (((xq - swarOnes) &^ xq) | ((xb - swarOnes) &^ xb)) & swarHighs; m != 0 {
				if j += bits.TrailingZeros64(m) >> 3; b[j] == '"' {
					e = j
				}
			}
		}
		if e < 0 {
			e = stringEnd(b, i+1)
		}
		if e < 0 {
			return nil, jsonBad, i
		}
		return b[i+1 : e], jsonString, e + 1
	case c == '{' || c == '[':
		e := skipNested(b, i)
		if e < 0 {
			return nil, jsonBad, i
		}
		if c == '{' {
			return b[i:e], jsonObject, e
		}
		return b[i:e], jsonArray, e
	case c == '-' || (c >= '0' && c <= '9'):
		e := scalarEnd(b, i)
		return b[i:e], jsonNumber, e
	case c == 't' || c == 'f' || c == 'n':
		e := scalarEnd(b, i)
		if v := b[i:e]; string(v) == "true" || string(v) == "false" || string(v) == "null" {
			return v, jsonLiteral, e
		}
	}
	return nil, jsonBad, i
}

func scalarEnd(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// skipNested returns the index after the object or array at b[i], or -1.
func skipNested(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			e := -1
			// The common case inline (a call per string costs as much as the
			// string): it ends within eight bytes, without an escape.
			if j := i + 1; j+8 <= len(b) {
				v := binary.LittleEndian.Uint64(b[j:])
				xq, xb := v^swarQuotes, v^swarBacks
				if m := (((xq - swarOnes) &^ xq) | ((xb - swarOnes) &^ xb)) & swarHighs; m != 0 {
					if j += bits.TrailingZeros64(m) >> 3; b[j] == '"' {
						e = j
					}
				}
			}
			if e < 0 {
				e = stringEnd(b, i+1)
			}
			if e < 0 {
				return -1
			}
			i = e + 1
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return -1
}

const (
	swarOnes   = 0x0101010101010101
	swarHighs  = 0x8080808080808080
	swarQuotes = 0x2222222222222222 // '"'
	swarBacks  = 0x5c5c5c5c5c5c5c5c // '\\'
)

// stringEnd returns the index of the quote that ends the JSON string whose
// content starts at b[i], or -1. Strings are most of a JSON line, so it
// looks at eight bytes a step for a quote or a backslash (SWAR: a byte of
// v^pattern is zero where v has the pattern's byte).
func stringEnd(b []byte, i int) int {
	for {
		for i+8 <= len(b) {
			v := binary.LittleEndian.Uint64(b[i:])
			q, e := v^swarQuotes, v^swarBacks
			// The lowest flagged byte is exact (borrows only reach higher ones).
			if m := (((q - swarOnes) &^ q) | ((e - swarOnes) &^ e)) & swarHighs; m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(b) && b[i] != '"' && b[i] != '\\' {
			i++
		}
		if i >= len(b) {
			return -1
		}
		if b[i] == '"' {
			return i
		}
		i += 2 // an escape: skip the escaped byte
	}
}

// pathRest returns what is left of a dotted path after its leading key
// ("response.status" after "response" is "status").
func pathRest(path, key []byte) ([]byte, bool) {
	if len(path) > len(key)+1 && path[len(key)] == '.' && bytes.Equal(path[:len(key)], key) {
		return path[len(key)+1:], true
	}
	return nil, false
}

// jsonFind returns the value at path in the object obj, where a dot either
// separates nested keys or is part of a flat key ("http.response.status_code"
// finds both {"http":{"response":{...}}} and {"http.response.status_code":...}).
// The first match wins; ok is false for a malformed object.
func jsonFind(obj, path []byte) (v []byte, k jsonKind, found, ok bool) {
	i, first := 1, true
	for {
		key, val, kind, next := jsonMember(obj, i, first)
		switch kind {
		case jsonBad:
			return nil, jsonBad, false, false
		case jsonEnd:
			return v, k, found, next == len(obj)
		}
		i, first = next, false
		if found {
			continue
		}
		if bytes.Equal(key, path) {
			v, k, found = val, kind, true
		} else if rest, ok := pathRest(path, key); ok && kind == jsonObject {
			if nv, nk, nf, nok := jsonFind(val, rest); nok && nf {
				v, k, found = nv, nk, true
			}
		}
	}
}

// jsonStatus turns the value of a status field into rec.Status: a number or
// a string of three digits 100-599; anything else ("-", 0, null, 200.5) is a
// bad status.
func jsonStatus(v []byte, k jsonKind, rec *Record) Reason {
	if (k == jsonNumber || k == jsonString) && statusOf(v) != 0 {
		rec.Status = statusOf(v)
		return ReasonNone
	}
	*rec = Record{}
	return ReasonBadStatus
}

// jsonText returns a string value's content, or nil for other kinds and for
// strings with escapes (no method, host or time needs one).
func jsonText(v []byte, k jsonKind) []byte {
	if k != jsonString || bytes.IndexByte(v, '\\') >= 0 {
		return nil
	}
	return v
}

// jsonParser reads JSON access logs (nginx's escape=json formats, Kong,
// application loggers): the status under a configured key, and by the
// names such logs usually use, the method ("method", "request_method"), host
// ("host", "http_host", "vhost", "server_name"), duration in seconds
// ("request_time"), upstream status ("upstream_status") and time ("time",
// "time_iso8601", "time_local", "timestamp", "@timestamp", "ts", "msec"),
// each at the top level.
type jsonParser struct {
	name string
	path []byte
	want Fields
}

func newJSONParser(name, key string, want Fields) *jsonParser {
	return &jsonParser{name: name, path: []byte(key), want: want}
}

func (p *jsonParser) setWant(w Fields) { p.want = w }

// Name implements Parser.
func (p *jsonParser) Name() string { return p.name }

// Parse implements Parser.
func (p *jsonParser) Parse(line []byte, rec *Record) Reason {
	*rec = Record{}
	line = trimCR(line)
	obj, ok := jsonObjectIn(line)
	if !ok {
		return noMatch(line)
	}
	var sv []byte
	sk := jsonBad
	found := false
	for i, first := 1, true; ; first = false {
		key, v, k, next := jsonMember(obj, i, first)
		if k == jsonBad || (k == jsonEnd && next != len(obj)) {
			*rec = Record{}
			return ReasonNoMatch
		}
		if k == jsonEnd {
			break
		}
		i = next
		if !found {
			if bytes.Equal(key, p.path) {
				sv, sk, found = v, k, true
				continue
			}
			if rest, ok := pathRest(p.path, key); ok && k == jsonObject {
				nv, nk, nf, nok := jsonFind(v, rest)
				if !nok {
					*rec = Record{}
					return ReasonNoMatch
				}
				if nf {
					sv, sk, found = nv, nk, true
				}
				continue
			}
		}
		if p.want == 0 {
			continue
		}
		switch string(key) {
		case "method", "request_method":
			if p.want&FieldMethod != 0 {
				rec.Method = methodWord(jsonText(v, k))
			}
		case "host", "http_host", "vhost", "server_name":
			if rec.Host == nil && p.want&FieldHost != 0 {
				rec.Host = hostOf(jsonText(v, k))
			}
		case "request_time":
			if (k == jsonNumber || k == jsonString) && p.want&FieldDuration != 0 {
				setDuration(rec, v, time.Second)
			}
		case "upstream_status":
			if (k == jsonNumber || k == jsonString) && p.want&FieldUpstream != 0 {
				setUpstream(rec, v)
			}
		case "time", "time_iso8601", "time_local", "timestamp", "@timestamp", "ts", "msec":
			if (k == jsonNumber || k == jsonString) && rec.Time.IsZero() && p.want&FieldTime != 0 {
				rec.Time, _ = parseAnyTime(v)
			}
		}
	}
	if !found {
		*rec = Record{}
		return ReasonNoMatch
	}
	return jsonStatus(sv, sk, rec)
}

// caddyParser reads Caddy's JSON access log: lines of the logger
// "http.log.access" (or "http.log.access.<name>"); lines of every other
// logger are no_match. Caddy logs status 0 when the handler wrote no
// response: a bad status.
type caddyParser struct{ want Fields }

func (p *caddyParser) setWant(w Fields) { p.want = w }

// Name implements Parser.
func (*caddyParser) Name() string { return nameCaddy }

// Parse implements Parser.
func (p *caddyParser) Parse(line []byte, rec *Record) Reason {
	*rec = Record{}
	line = trimCR(line)
	obj, ok := jsonObjectIn(line)
	if !ok {
		return noMatch(line)
	}
	var sv []byte
	sk := jsonBad
	access, found := false, false
	for i, first := 1, true; ; first = false {
		key, vs, k := jsonKey(obj, i, first)
		if k == jsonEnd {
			break
		}
		if k == jsonBad {
			*rec = Record{}
			return ReasonNoMatch
		}
		if string(key) == "request" && obj[vs] == '{' {
			// Read in place: the object is long (the headers) and
			// skipping it to read it again would cost twice.
			if i = caddyRequest(obj, vs, rec, p.want); i < 0 {
				*rec = Record{}
				return ReasonNoMatch
			}
			continue
		}
		v, k, next := jsonValue(obj, vs)
		if k == jsonBad {
			*rec = Record{}
			return ReasonNoMatch
		}
		i = next
		switch string(key) {
		case "logger":
			v = jsonText(v, k)
			access = bytes.HasPrefix(v, []byte("http.log.access")) && (len(v) == 15 || v[15] == '.')
		case "ts":
			if p.want&FieldTime == 0 {
				break
			}
			switch k {
			case jsonNumber:
				rec.Time, _ = parseUnixTime(v)
			case jsonString:
				rec.Time, _ = parseISOTime(v)
			}
		case "duration":
			if p.want&FieldDuration == 0 {
				break
			}
			switch k {
			case jsonNumber:
				setDuration(rec, v, time.Second)
			case jsonString:
				setGoDuration(rec, v)
			}
		case "status":
			if !found {
				sv, sk, found = v, k, true
			}
		}
		// Caddy writes the status after the request and the duration and
		// before the response headers: those need not be read.
		if found && access {
			break
		}
	}
	if !found || !access {
		*rec = Record{}
		return ReasonNoMatch
	}
	return jsonStatus(sv, sk, rec)
}

// caddyRequest reads the method and host of Caddy's "request" object, which
// starts at b[i], and returns the index after it, or -1. It reads the object
// whatever the fields wanted, so that a malformed one is refused either way.
func caddyRequest(b []byte, i int, rec *Record, want Fields) int {
	for i, first := i+1, true; ; first = false {
		key, v, k, next := jsonMember(b, i, first)
		switch k {
		case jsonBad:
			return -1
		case jsonEnd:
			return next
		}
		i = next
		switch string(key) {
		case "method":
			if want&FieldMethod != 0 {
				rec.Method = methodWord(jsonText(v, k))
			}
		case "host":
			if want&FieldHost != 0 {
				rec.Host = hostOf(jsonText(v, k))
			}
		}
	}
}

// traefikJSONParser reads Traefik's JSON access log: DownstreamStatus is the
// response, OriginStatus the upstream's (0 when no upstream answered),
// Duration in nanoseconds, StartUTC the time.
type traefikJSONParser struct{ want Fields }

func (p *traefikJSONParser) setWant(w Fields) { p.want = w }

// Name implements Parser.
func (*traefikJSONParser) Name() string { return nameTraefikJSON }

// Parse implements Parser.
func (p *traefikJSONParser) Parse(line []byte, rec *Record) Reason {
	*rec = Record{}
	line = trimCR(line)
	obj, ok := jsonObjectIn(line)
	if !ok {
		return noMatch(line)
	}
	var sv []byte
	sk := jsonBad
	// seen has a bit for each key read, and those of fields not wanted.
	const all = 1<<6 - 1
	seen := traefikSkip(p.want)
	for i, first := 1, true; seen != all; first = false {
		key, v, k, next := jsonMember(obj, i, first)
		if k == jsonBad && seen&1 == 0 {
			*rec = Record{}
			return ReasonNoMatch
		}
		if k == jsonEnd || k == jsonBad {
			// What follows the status is read for the optional fields
			// only: a malformed rest does not lose the response, and the
			// result does not depend on the fields wanted.
			break
		}
		i = next
		switch string(key) {
		case "DownstreamStatus":
			if seen&1 == 0 {
				sv, sk = v, k
				seen |= 1
			}
		case "OriginStatus":
			if k == jsonNumber && string(v) != "0" {
				setUpstream(rec, v)
			}
			seen |= 2
		case "Duration":
			if k == jsonNumber {
				setDuration(rec, v, time.Nanosecond)
			}
			seen |= 4
		case "StartUTC":
			rec.Time, _ = parseISOTime(jsonText(v, k))
			seen |= 8
		case "RequestMethod":
			rec.Method = methodWord(jsonText(v, k))
			seen |= 16
		case "RequestHost":
			rec.Host = hostOf(jsonText(v, k))
			seen |= 32
		}
	}
	if seen&1 == 0 {
		*rec = Record{}
		return ReasonNoMatch
	}
	return jsonStatus(sv, sk, rec)
}

// traefikSkip returns the bits of traefikJSONParser's keys not wanted.
func traefikSkip(want Fields) int {
	skip := 0
	if want&FieldUpstream == 0 {
		skip |= 2
	}
	if want&FieldDuration == 0 {
		skip |= 4
	}
	if want&FieldTime == 0 {
		skip |= 8
	}
	if want&FieldMethod == 0 {
		skip |= 16
	}
	if want&FieldHost == 0 {
		skip |= 32
	}
	return skip
}

// appendUnescaped appends the JSON string content raw, its escapes decoded,
// to dst. Invalid escapes and lone surrogates become U+FFFD.
func appendUnescaped(dst, raw []byte) []byte {
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\\')
		if i < 0 {
			return append(dst, raw...)
		}
		dst = append(dst, raw[:i]...)
		raw = raw[i:]
		if len(raw) < 2 {
			return utf8.AppendRune(dst, utf8.RuneError)
		}
		c := raw[1]
		raw = raw[2:]
		switch c {
		case '"', '\\', '/':
			dst = append(dst, c)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(raw)
			if !ok {
				dst = utf8.AppendRune(dst, utf8.RuneError)
				continue
			}
			raw = raw[4:]
			if r >= 0xD800 && r < 0xDC00 {
				if len(raw) >= 6 && raw[0] == '\\' && raw[1] == 'u' {
					if r2, ok := hex4(raw[2:]); ok && r2 >= 0xDC00 && r2 < 0xE000 {
						raw = raw[6:]
						dst = utf8.AppendRune(dst, (r-0xD800)<<10+(r2-0xDC00)+0x10000)
						continue
					}
				}
				r = utf8.RuneError
			} else if r >= 0xDC00 && r < 0xE000 {
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default:
			dst = utf8.AppendRune(dst, utf8.RuneError)
		}
	}
	return dst
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
