package logformat

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// nginxParser reads lines written by a user's nginx log_format, compiled
// once into literal separators and variables: no regexp at run time.
//
// A variable's value runs to the next occurrence of the literal after it,
// with three refinements that follow how nginx writes values:
//   - a variable between quotes in the format ("$request") runs to a closing
//     quote followed by the rest of the literal, so spaces inside it are
//     its own; nginx writes a quote inside a value as \x22 (escape=default)
//     or \" (escape=json), and a quote after an odd run of backslashes is
//     not a closing one;
//   - $time_local is 26 bytes ("10/Oct/2000:13:55:36 -0700"), space included;
//   - $upstream_* lists ("502, 200", "a : b") run over their ", " and " : ".
//
// The literals and variables up to and including $status must match, and
// variables that never hold a space ($status, $remote_addr, $body_bytes_sent,
// ...) must not: otherwise the line is no_match. After the status the line
// is read for its optional fields only as far as it matches.
type nginxParser struct {
	name   string
	prefix []byte      // literal before the first variable
	vars   []nginxElem // each variable and the literal after it
	status int         // index in vars of $status
	want   Fields
}

type nginxElem struct {
	name   string
	kind   nginxKind
	field  nginxField
	quoted bool   // the format puts quotes around it
	after  []byte // literal up to the next variable; empty for a variable ending the format
}

type nginxKind uint8

const (
	nginxText  nginxKind = iota // any text, spaces included
	nginxToken                  // never a space
	nginxTime                   // $time_local: 26 bytes
	nginxList                   // $upstream_* lists
)

type nginxField uint8

const (
	fieldNone nginxField = iota
	fieldStatus
	fieldRequest
	fieldMethod
	fieldHost
	fieldDuration
	fieldUpstream
	fieldTimeLocal
	fieldTimeISO
	fieldTimeUnix
)

// nginxTokens are variables whose values never hold a space.
var nginxTokens = map[string]bool{
	"status": true, "body_bytes_sent": true, "bytes_sent": true, "request_length": true,
	"request_time": true, "msec": true, "time_iso8601": true, "remote_addr": true,
	"remote_port": true, "server_addr": true, "server_port": true, "connection": true,
	"connection_requests": true, "pipe": true, "scheme": true, "server_protocol": true,
	"request_method": true, "host": true, "hostname": true, "server_name": true,
	"upstream_cache_status": true, "ssl_protocol": true, "ssl_cipher": true, "request_id": true,
	"gzip_ratio": true, "realip_remote_addr": true, "proxy_protocol_addr": true,
	"proxy_protocol_port": true, "content_length": true, "nginx_version": true, "pid": true,
}

// nginxLists are the $upstream_ variables nginx writes as lists.
var nginxLists = map[string]bool{
	"upstream_addr": true, "upstream_status": true, "upstream_response_time": true,
	"upstream_connect_time": true, "upstream_header_time": true, "upstream_response_length": true,
	"upstream_bytes_received": true, "upstream_bytes_sent": true, "upstream_queue_time": true,
}

var nginxFields = map[string]nginxField{
	"status": fieldStatus, "request": fieldRequest, "request_method": fieldMethod,
	"host": fieldHost, "http_host": fieldHost, "server_name": fieldHost,
	"request_time": fieldDuration, "upstream_status": fieldUpstream,
	"time_local": fieldTimeLocal, "time_iso8601": fieldTimeISO, "msec": fieldTimeUnix,
}

func newNginxParser(name string, want Fields) (Parser, error) {
	format, err := nginxFormatString(name[len(prefixNginx):])
	if err != nil {
		return nil, fmt.Errorf("format %q: %w", name, err)
	}
	p, err := compileNginx(format)
	if err != nil {
		return nil, fmt.Errorf("format %q: %w", name, err)
	}
	p.name, p.want = name, want
	return p, nil
}

// nginxFormatString returns the format string of what a user pasted: the
// string itself, or its quoted parts as written in nginx.conf, with or
// without the leading "log_format name [escape=...]" and the closing ';'.
func nginxFormatString(s string) (string, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "log_format"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n') {
		fields := strings.Fields(rest)
		if len(fields) < 2 {
			return "", fmt.Errorf("log_format without a name and a format: %w", ErrBadFormat)
		}
		rest = strings.TrimSpace(rest)
		rest = strings.TrimSpace(rest[len(fields[0]):]) // the name
		if strings.HasPrefix(rest, "escape=") {
			rest = strings.TrimSpace(rest[len(strings.Fields(rest)[0]):])
		}
		if rest == "" || (rest[0] != '\'' && rest[0] != '"') {
			return "", fmt.Errorf("log_format's format must be quoted as in nginx.conf: %w", ErrBadFormat)
		}
		return nginxQuotedParts(rest)
	}
	if s != "" && (s[0] == '\'' || s[0] == '"') {
		if parts, err := nginxQuotedParts(s); err == nil {
			return parts, nil
		}
	}
	return s, nil
}

// nginxQuotedParts joins the quoted strings of s ('a' 'b' "c";), unescaping
// what nginx's configuration parser unescapes inside quotes.
func nginxQuotedParts(s string) (string, error) {
	var b strings.Builder
	for i := 0; ; {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
		if i == len(s) || (s[i] == ';' && strings.TrimSpace(s[i+1:]) == "") {
			return b.String(), nil
		}
		q := s[i]
		if q != '\'' && q != '"' {
			return "", fmt.Errorf("text outside quotes at offset %d: %w", i, ErrBadFormat)
		}
		i++
		for {
			if i == len(s) {
				return "", fmt.Errorf("unterminated %c quote: %w", q, ErrBadFormat)
			}
			c := s[i]
			if c == q {
				i++
				break
			}
			if c == '\\' && i+1 < len(s) {
				switch n := s[i+1]; n {
				case '\'', '"', '\\':
					b.WriteByte(n)
					i += 2
					continue
				case 'n':
					b.WriteByte('\n')
					i += 2
					continue
				case 't':
					b.WriteByte('\t')
					i += 2
					continue
				case 'r':
					b.WriteByte('\r')
					i += 2
					continue
				}
			}
			b.WriteByte(c)
			i++
		}
	}
}

// compileNginx splits a log_format string into literals and variables.
func compileNginx(format string) (*nginxParser, error) {
	p := &nginxParser{status: -1}
	var lit []byte
	for i := 0; i < len(format); {
		c := format[i]
		if c != '$' {
			lit = append(lit, c)
			i++
			continue
		}
		var name string
		switch {
		case i+1 < len(format) && format[i+1] == '{':
			end := strings.IndexByte(format[i+2:], '}')
			if end < 0 {
				return nil, fmt.Errorf("variable at offset %d: ${ without its closing }: %w", i, ErrBadFormat)
			}
			name = format[i+2 : i+2+end]
			if !validVarName(name) {
				return nil, fmt.Errorf("variable at offset %d: ${%s} is not a variable name: %w", i, name, ErrBadFormat)
			}
			i += 3 + end
		default:
			j := i + 1
			for j < len(format) && isVarByte(format[j]) {
				j++
			}
			if j == i+1 {
				return nil, fmt.Errorf("variable at offset %d: '$' must start a name ($status, ${status}): %w", i, ErrBadFormat)
			}
			name = format[i+1 : j]
			i = j
		}
		if len(p.vars) == 0 {
			p.prefix = lit
		} else {
			if len(lit) == 0 {
				return nil, fmt.Errorf("variables $%s and $%s are not separated by any text, so a line cannot be split between them: %w",
					p.vars[len(p.vars)-1].name, name, ErrBadFormat)
			}
			p.vars[len(p.vars)-1].after = lit
		}
		lit = nil
		e := nginxElem{name: name, kind: nginxText, field: nginxFields[name]}
		switch {
		case name == "time_local":
			e.kind = nginxTime
		case nginxLists[name]:
			e.kind = nginxList
		case nginxTokens[name]:
			e.kind = nginxToken
		}
		if e.field == fieldStatus {
			if p.status >= 0 {
				e.field = fieldNone
			} else {
				p.status = len(p.vars)
			}
		}
		p.vars = append(p.vars, e)
	}
	if len(p.vars) == 0 {
		return nil, fmt.Errorf("the format has no variables: %w", ErrBadFormat)
	}
	p.vars[len(p.vars)-1].after = lit
	if p.status < 0 {
		return nil, fmt.Errorf("the format has no $status: %w", ErrBadFormat)
	}
	for k := range p.vars {
		before := p.prefix
		if k > 0 {
			before = p.vars[k-1].after
		}
		p.vars[k].quoted = len(before) > 0 && before[len(before)-1] == '"' && len(p.vars[k].after) > 0 && p.vars[k].after[0] == '"'
	}
	return p, nil
}

func isVarByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if !isVarByte(s[i]) {
			return false
		}
	}
	return true
}

// Name implements Parser.
func (p *nginxParser) Name() string { return p.name }

// Parse implements Parser.
func (p *nginxParser) Parse(line []byte, rec *Record) Reason {
	*rec = Record{}
	line = trimCR(line)
	if !bytes.HasPrefix(line, p.prefix) {
		return noMatch(line)
	}
	pos := len(p.prefix)
	for k := range p.vars {
		e := &p.vars[k]
		end := e.valueEnd(line, pos)
		if end < 0 {
			if k <= p.status {
				*rec = Record{}
				return noMatch(line)
			}
			return ReasonNone
		}
		val := line[pos:end]
		if k == p.status {
			s := statusOf(val)
			if s == 0 {
				*rec = Record{}
				return ReasonBadStatus
			}
			rec.Status = s
			if p.want == 0 {
				return ReasonNone // nothing after the status is wanted
			}
		} else if e.field.in(p.want) {
			setNginxField(rec, e.field, val)
		}
		pos = end + len(e.after)
	}
	return ReasonNone
}

// valueEnd returns where the value of e that starts at line[pos:] ends (the
// literal after it starts there), or -1 when the line does not fit.
func (e *nginxElem) valueEnd(line []byte, pos int) int {
	if pos > len(line) {
		return -1
	}
	rest := line[pos:]
	var end int
	switch {
	case e.kind == nginxTime:
		end = 26
		if len(rest) < end {
			return -1
		}
	case e.quoted:
		end = -1
		for from := 0; from <= len(rest); {
			q := closingQuote(rest, from)
			if q < 0 {
				return -1
			}
			if bytes.HasPrefix(rest[q:], e.after) {
				end = q
				break
			}
			from = q + 1
		}
	case len(e.after) == 0:
		end = len(rest)
	case e.kind == nginxList && e.after[0] == ' ':
		_, next := upstreamList(rest, 0)
		end = next - 1
		if next == len(rest) && (len(rest) == 0 || rest[len(rest)-1] != ' ') {
			end = len(rest)
		}
	default:
		end = bytes.Index(rest, e.after)
	}
	if end < 0 || !bytes.HasPrefix(rest[end:], e.after) {
		return -1
	}
	if e.kind == nginxToken && bytes.IndexByte(rest[:end], ' ') >= 0 {
		return -1
	}
	return pos + end
}

// in reports whether the optional field f sets is in want.
func (f nginxField) in(want Fields) bool {
	switch f {
	case fieldRequest, fieldMethod:
		return want&FieldMethod != 0
	case fieldHost:
		return want&FieldHost != 0
	case fieldDuration:
		return want&FieldDuration != 0
	case fieldUpstream:
		return want&FieldUpstream != 0
	case fieldTimeLocal, fieldTimeISO, fieldTimeUnix:
		return want&FieldTime != 0
	}
	return false
}

func setNginxField(rec *Record, f nginxField, val []byte) {
	switch f {
	case fieldRequest:
		if rec.Method == nil {
			rec.Method = method(val)
		}
	case fieldMethod:
		rec.Method = methodWord(val)
	case fieldHost:
		if rec.Host == nil {
			rec.Host = hostOf(val)
		}
	case fieldDuration:
		setDuration(rec, val, time.Second)
	case fieldUpstream:
		setUpstream(rec, val)
	case fieldTimeLocal, fieldTimeISO, fieldTimeUnix:
		if !rec.Time.IsZero() {
			return // the first time variable of the format wins
		}
		switch f {
		case fieldTimeLocal:
			rec.Time, _ = parseCLFTime(val)
		case fieldTimeISO:
			rec.Time, _ = parseISOTime(val)
		default:
			rec.Time, _ = parseUnixTime(val)
		}
	}
}
