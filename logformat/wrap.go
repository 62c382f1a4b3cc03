package logformat

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// Container runtimes wrap each line a container writes. The wrappers here
// take the line out (joining the pieces of one split by the runtime) and
// hand it to the inner format's parser.
//
// A piece that does not end a line returns ReasonContinued (see its doc):
// the wrapper keeps its content in a buffer of its own, bounded by
// maxJoinBytes, and parses the joined line with the piece that ends it. A
// joined line longer than the bound is dropped, and the piece that ends it
// returns ReasonTooLong. A piece left waiting when the file ends (rotation)
// is lost with the Parser, counted as read only.

// maxJoinBytes bounds a line joined from pieces, like the reader's default
// --tail.max-line-bytes.
const maxJoinBytes = 256 << 10

// joiner keeps the pieces of one stream's line.
type joiner struct {
	buf      []byte
	pending  bool // a piece is waiting
	overflow bool // the line outgrew maxJoinBytes and is being dropped
}

// add keeps a piece that does not end its line.
func (j *joiner) add(piece []byte) {
	j.pending = true
	if j.overflow {
		return
	}
	if len(j.buf)+len(piece) > maxJoinBytes {
		j.overflow = true
		j.buf = j.buf[:0]
		return
	}
	j.buf = append(j.buf, piece...)
}

// end returns the whole line of which piece is the last part; tooLong says
// it was dropped. The returned slice is valid until the next add or end.
func (j *joiner) end(piece []byte) (line []byte, tooLong bool) {
	if !j.pending {
		return piece, false
	}
	overflow := j.overflow || len(j.buf)+len(piece) > maxJoinBytes
	if !overflow {
		j.buf = append(j.buf, piece...)
	}
	line = j.buf
	j.buf, j.pending, j.overflow = j.buf[:0], false, false
	if overflow {
		return nil, true
	}
	return line, false
}

// wrapKind names a runtime's line format.
type wrapKind uint8

const (
	wrapCRI wrapKind = iota + 1
	wrapDocker
)

func (k wrapKind) prefix() string {
	if k == wrapDocker {
		return prefixDocker
	}
	return prefixCRI
}

// unwrapper takes lines out of a runtime's wrapping, one stream at a time.
type unwrapper struct {
	kind    wrapKind
	streams [2]joiner // stdout, stderr
	// esc is the Docker line unescaped; pieces are joined in streams.
	esc []byte
}

// unwrap returns the content of a wrapped line, the runtime's time for it,
// and ReasonNone; or the reason there is none yet (ReasonContinued), or
// none at all.
func (u *unwrapper) unwrap(line []byte) (content []byte, t time.Time, r Reason) {
	line = trimCR(line)
	if blank(line) {
		return nil, t, ReasonEmpty
	}
	var stream int
	var partial bool
	if u.kind == wrapDocker {
		var ok bool
		content, stream, partial, t, ok = u.docker(line)
		if !ok {
			return nil, t, ReasonNoMatch
		}
	} else {
		var ok bool
		content, stream, partial, t, ok = cri(line)
		if !ok {
			return nil, t, ReasonNoMatch
		}
	}
	j := &u.streams[stream]
	if partial {
		j.add(content)
		return nil, t, ReasonContinued
	}
	content, tooLong := j.end(content)
	if tooLong {
		return nil, t, ReasonTooLong
	}
	return content, t, ReasonNone
}

// cri reads a containerd or CRI-O line: "<RFC 3339 time> <stream> <tag>
// <content>", the tag "F" for a full line or the last piece of one, "P" for
// a piece the runtime split (at 16 KiB by default).
func cri(line []byte) (content []byte, stream int, partial bool, t time.Time, ok bool) {
	sp := bytes.IndexByte(line, ' ')
	if sp < 20 {
		return nil, 0, false, t, false
	}
	t, ok = parseISOTime(line[:sp])
	if !ok {
		return nil, 0, false, t, false
	}
	rest := line[sp+1:]
	switch {
	case bytes.HasPrefix(rest, []byte("stdout ")):
		rest = rest[7:]
	case bytes.HasPrefix(rest, []byte("stderr ")):
		rest, stream = rest[7:], 1
	default:
		return nil, 0, false, t, false
	}
	// The tag: "F" or "P", possibly with more tags after a ':'.
	tag, end := token(rest, 0)
	if len(tag) == 0 || (tag[0] != 'F' && tag[0] != 'P') || (len(tag) > 1 && tag[1] != ':') {
		return nil, 0, false, t, false
	}
	if end < len(rest) {
		content = rest[end+1:]
	}
	return content, stream, tag[0] == 'P', t, true
}

// docker reads a line of Docker's json-file driver:
// {"log":"<content, JSON-escaped>\n","stream":"stdout","time":"<RFC 3339>"}.
// A "log" without the trailing newline is a piece of a line Docker split at
// 16 KiB. The content is unescaped into u.esc.
func (u *unwrapper) docker(line []byte) (content []byte, stream int, partial bool, t time.Time, ok bool) {
	obj, isObj := jsonObjectIn(line)
	if !isObj || line[0] != '{' {
		return nil, 0, false, t, false
	}
	var raw []byte
	haveLog, haveStream := false, false
	for i, first := 1, true; ; first = false {
		key, v, k, next := jsonMember(obj, i, first)
		if k == jsonBad || (k == jsonEnd && next != len(obj)) {
			return nil, 0, false, t, false
		}
		if k == jsonEnd {
			break
		}
		i = next
		switch string(key) {
		case "log":
			if k != jsonString {
				return nil, 0, false, t, false
			}
			raw, haveLog = v, true
		case "stream":
			switch {
			case k == jsonString && string(v) == "stdout":
			case k == jsonString && string(v) == "stderr":
				stream = 1
			default:
				return nil, 0, false, t, false
			}
			haveStream = true
		case "time":
			t, _ = parseISOTime(jsonText(v, k))
		}
	}
	if !haveLog || !haveStream {
		return nil, 0, false, t, false
	}
	u.esc = appendUnescaped(u.esc[:0], raw)
	content = u.esc
	if n := len(content); n > 0 && content[n-1] == '\n' {
		return content[:n-1], stream, false, t, true
	}
	return content, stream, true, t, true
}

// wrapParser is a wrapper around an inner format: "cri+<format>" or
// "docker+<format>".
type wrapParser struct {
	u     unwrapper
	inner Parser
	// name is the wrapper's name, rebuilt (once) when the inner parser's
	// name changes (an inner auto that detected its format).
	name, innerName string
}

func newWrapper(name string, want Fields) (Parser, error) {
	kind, innerName := wrapCRI, strings.TrimPrefix(name, prefixCRI)
	if strings.HasPrefix(name, prefixDocker) {
		kind, innerName = wrapDocker, strings.TrimPrefix(name, prefixDocker)
	}
	if strings.HasPrefix(innerName, prefixCRI) || strings.HasPrefix(innerName, prefixDocker) {
		return nil, fmt.Errorf("format %q: a container wrapper wraps a format, not another wrapper: %w", name, ErrBadFormat)
	}
	inner, err := NewFields(innerName, want)
	if err != nil {
		return nil, fmt.Errorf("format %q: inner format: %w", name, err)
	}
	return &wrapParser{u: unwrapper{kind: kind}, inner: inner}, nil
}

// Name implements Parser.
func (w *wrapParser) Name() string {
	if n := w.inner.Name(); n != w.innerName || w.name == "" {
		w.innerName = n
		w.name = w.u.kind.prefix() + n
	}
	return w.name
}

// Parse implements Parser.
func (w *wrapParser) Parse(line []byte, rec *Record) Reason {
	content, t, r := w.u.unwrap(line)
	if r != ReasonNone {
		*rec = Record{}
		return r
	}
	r = w.inner.Parse(content, rec)
	if r == ReasonNone && rec.Time.IsZero() {
		rec.Time = t
	}
	return r
}
