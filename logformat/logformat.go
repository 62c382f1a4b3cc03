// Package logformat turns one access-log line (bytes) into a Record: the
// response status and, where the format logs them, the method, host, upstream
// status, duration and the line's own time.
//
// It owns the line formats, the container-runtime wrappers around them (CRI,
// Docker json-file) and their detection. It knows nothing of files, rotation
// or metrics: callers hand it one line at a time, without the trailing
// newline, and no parser allocates per line (regex: is the one exception,
// see New).
package logformat

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Reason says why a line gave no valid status. The set is closed: each value
// but ReasonNone and ReasonContinued becomes a label value of
// httpstatus_lines_unparsed_total.
type Reason uint8

// The reasons a line is unparsed. ReasonNone means the line parsed.
//
// The numeric order is not the label order (Reasons gives that); arrays
// indexed by Reason have NumReasons elements.
const (
	ReasonNone      Reason = iota
	ReasonEmpty            // blank line (only spaces, tabs or CR)
	ReasonNoMatch          // not a line of the format (an error-log line, a JSON line of another logger, garbage)
	ReasonBadStatus        // the status field is there but is not three digits 100-599 ("-", "0", "000", "2000")
	ReasonHeader           // a header or comment line of a format that has them (W3C "#Fields:", "#Version:")
	ReasonTooLong          // longer than the reader's bound (set by the reader), or a record joined by a wrapper longer than its bound
	// ReasonContinued is not an unparsed line: the line is one fragment of a
	// longer record (a CRI "P" line, a Docker json-file chunk without its
	// trailing newline). The wrapper kept its content and parses the whole
	// record with the line that completes it, which returns the record's
	// result. A caller counts a continued line as read (lines and bytes) but
	// neither as a response nor as unparsed, so that a record split over N
	// lines gives N lines read and one result. It is no label value and
	// Reasons does not list it.
	ReasonContinued

	// NumReasons is the number of Reason values, ReasonNone included: the
	// length of an array indexed by Reason.
	NumReasons = iota
)

var reasonNames = [NumReasons]string{"", "empty", "no_match", "bad_status", "header", "too_long", "continued"}

// String returns the label value of r.
func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// Unparsed reports whether r counts as an unparsed line: every reason but
// ReasonNone and ReasonContinued.
func (r Reason) Unparsed() bool { return r != ReasonNone && r != ReasonContinued }

// Reasons lists every reason a line can be unparsed, in label order.
func Reasons() []Reason {
	return []Reason{ReasonEmpty, ReasonNoMatch, ReasonBadStatus, ReasonTooLong, ReasonHeader}
}

// Record is what a parser found in one line. Slices point into the line, or
// into a wrapper's buffer for wrapped lines, and are valid only until the
// next call to Parse. Every field is reset by each Parse: a field the line
// or format does not log is its zero value.
//
// The byte slices are raw text from the line: a caller that makes labels of
// them maps them to a closed set first.
type Record struct {
	// Status is the response status, 100-599, when Parse returned ReasonNone.
	Status int
	// Method is the request method when the format logs one and it is an
	// upper-case ASCII word, else nil.
	Method []byte
	// Host is the virtual host or authority the request named, without a
	// port, when the format logs one ("-" is not a host), else nil.
	Host []byte
	// Upstream is the upstream status field as logged, a list for proxies
	// that retried ("502, 200", "502 : 200"); nil when the format has none
	// or logged none ("-").
	Upstream []byte
	// UpstreamStatus is the last status in Upstream that is 100-599 (the
	// answer of the upstream that was tried last), or 0.
	UpstreamStatus int
	// Duration is the request's duration when HasDuration is set: the
	// format's total request time (nginx $request_time, Envoy %DURATION%,
	// HAProxy Ta, IIS time-taken, ...).
	Duration    time.Duration
	HasDuration bool
	// Time is the line's own timestamp, in UTC, when the format logs one
	// with its zone (or in UTC by definition); else the zero Time. For
	// wrapped lines without a time of their own it is the runtime's time.
	Time time.Time
}

// Parser parses one line. Implementations must not allocate, must not keep
// line after returning, and must never panic on any input. Parse returns
// ReasonNone and sets rec.Status (100-599) on success; otherwise it returns
// the reason and leaves rec.Status 0.
//
// A Parser may keep state across the lines of one file (auto detection, the
// columns of a W3C "#Fields:" header, a wrapper's partial lines), so a caller
// uses one Parser per file, calls it from one goroutine, and makes a new one
// after a rotation.
type Parser interface {
	Parse(line []byte, rec *Record) Reason
	// Name is the format the parser reads: the name given to New, or for
	// auto the detected one ("cri+ingress_nginx") once known, "auto" before.
	Name() string
}

// Fields names the optional fields of a Record, for a caller that reads
// only some of them (NewFields).
type Fields uint8

// The optional fields of a Record.
const (
	FieldMethod   Fields = 1 << iota // Record.Method
	FieldHost                        // Record.Host
	FieldUpstream                    // Record.Upstream and Record.UpstreamStatus
	FieldDuration                    // Record.Duration and Record.HasDuration
	FieldTime                        // Record.Time

	// AllFields is every optional field: what New's parsers read.
	AllFields = FieldMethod | FieldHost | FieldUpstream | FieldDuration | FieldTime
)

// ErrUnknownFormat is returned, wrapped, by New for a format name it does not know.
var ErrUnknownFormat = errors.New("logformat: unknown format")

// ErrBadFormat is returned, wrapped, by New for a known format with a bad
// parameter: a regexp that does not compile or has no status group, an nginx
// log_format it cannot read, an empty JSON or logfmt key.
var ErrBadFormat = errors.New("logformat: bad format")

// Format names. Parameterised formats are named by their prefix.
const (
	nameAuto          = "auto"
	nameCombined      = "combined"
	nameCommon        = "common"
	nameVhostCombined = "vhost_combined"
	nameJSON          = "json"
	nameLogfmt        = "logfmt"
	nameEnvoy         = "envoy"
	nameHAProxy       = "haproxy"
	nameTraefik       = "traefik"
	nameTraefikJSON   = "traefik_json"
	nameCaddy         = "caddy"
	nameIIS           = "iis"
	nameALB           = "alb"
	nameCloudFront    = "cloudfront"
	nameIngressNginx  = "ingress_nginx"
	nameLighttpd      = "lighttpd"

	prefixRegex  = "regex:"
	prefixNginx  = "nginx:"
	prefixCRI    = "cri+"
	prefixDocker = "docker+"
)

// formats is the registry behind New and Names, in the order Names lists
// them. A new format is one row here and its parser; names with a parameter
// ("json:...", "regex:...", "cri+...") are parsed in New.
var formats = [...]struct {
	name string
	new  func(want Fields) Parser
}{
	{nameAuto, func(w Fields) Parser { return newAuto(w) }},
	{nameCombined, func(w Fields) Parser { return &clfParser{name: nameCombined, kind: clfCombined, want: w} }},
	{nameCommon, func(w Fields) Parser { return &clfParser{name: nameCommon, kind: clfCombined, want: w} }},
	{nameVhostCombined, func(w Fields) Parser { return &clfParser{name: nameVhostCombined, kind: clfVhost, want: w} }},
	{nameJSON, func(w Fields) Parser { return newJSONParser(nameJSON, "status", w) }},
	{nameLogfmt, func(w Fields) Parser { return newLogfmtParser(nameLogfmt, "status", w) }},
	{nameEnvoy, func(w Fields) Parser { return &envoyParser{want: w} }},
	{nameHAProxy, func(w Fields) Parser { return &haproxyParser{want: w} }},
	{nameTraefik, func(w Fields) Parser { return &clfParser{name: nameTraefik, kind: clfTraefik, want: w} }},
	{nameTraefikJSON, func(w Fields) Parser { return &traefikJSONParser{want: w} }},
	{nameCaddy, func(w Fields) Parser { return &caddyParser{want: w} }},
	{nameIIS, func(w Fields) Parser { return newW3CParser(nameIIS, w) }},
	{nameALB, func(w Fields) Parser { return &albParser{want: w} }},
	{nameCloudFront, func(w Fields) Parser { return newW3CParser(nameCloudFront, w) }},
	{nameIngressNginx, func(w Fields) Parser { return &clfParser{name: nameIngressNginx, kind: clfIngress, want: w} }},
	{nameLighttpd, func(w Fields) Parser { return &clfParser{name: nameLighttpd, kind: clfLighttpd, want: w} }},
}

// New returns a fresh Parser for the format called name. Each call returns a
// new value, so state kept by one file's parser never leaks into another's.
//
// Besides the names Names lists, New reads parameterised names:
//
//	json:<key>        the status under <key>; dots name nested keys ("json:response.status")
//	logfmt:<key>      the status under <key>
//	regex:<RE2>       a regular expression with a named group "status" (and
//	                  optionally method, host, duration in seconds, upstream_status, time)
//	nginx:<format>    an nginx log_format: the format string, or its quoted
//	                  parts as in nginx.conf ('$remote_addr - ...' '$status ...')
//	cri+<format>      lines of containerd and CRI-O ("<time> stdout F <line>")
//	docker+<format>   lines of Docker's json-file driver ({"log":"<line>\n",...})
//
// regex: allocates once per matching line (the regexp package has no API
// that fills a caller's slice); every other format allocates nothing per
// line. An unknown name gives an error wrapping ErrUnknownFormat, a bad
// parameter one wrapping ErrBadFormat.
func New(name string) (Parser, error) {
	return NewFields(name, AllFields)
}

// NewFields is New for a caller that reads only the optional fields in
// want: its parser may leave the others zero and skip the work of reading
// them. Status and the Reason do not depend on want. It matters most for
// long JSON lines, whose reading stops once the fields wanted are found
// (Traefik's DownstreamStatus is its sixth key of forty).
func NewFields(name string, want Fields) (Parser, error) {
	switch {
	case strings.HasPrefix(name, prefixCRI), strings.HasPrefix(name, prefixDocker):
		return newWrapper(name, want)
	case strings.HasPrefix(name, prefixRegex):
		return newRegexParser(name)
	case strings.HasPrefix(name, prefixNginx):
		return newNginxParser(name, want)
	case strings.HasPrefix(name, nameJSON+":"):
		key := name[len(nameJSON)+1:]
		if err := checkKey(key); err != nil {
			return nil, fmt.Errorf("format %q: %w", name, err)
		}
		return newJSONParser(name, key, want), nil
	case strings.HasPrefix(name, nameLogfmt+":"):
		key := name[len(nameLogfmt)+1:]
		if err := checkKey(key); err != nil {
			return nil, fmt.Errorf("format %q: %w", name, err)
		}
		if strings.ContainsAny(key, " =\"") {
			return nil, fmt.Errorf("format %q: a logfmt key has no space, '=' or '\"': %w", name, ErrBadFormat)
		}
		return newLogfmtParser(name, key, want), nil
	}
	for _, f := range formats {
		if f.name == name {
			return f.new(want), nil
		}
	}
	return nil, fmt.Errorf("format %q (known: %s, json:<key>, logfmt:<key>, regex:<RE2>, nginx:<log_format>, cri+<format>, docker+<format>): %w",
		name, strings.Join(Names(), ", "), ErrUnknownFormat)
}

// checkKey refuses an empty key or one with an empty dotted part.
func checkKey(key string) error {
	if key == "" || strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".") || strings.Contains(key, "..") {
		return fmt.Errorf("key %q: want a name, nested names joined by dots: %w", key, ErrBadFormat)
	}
	return nil
}

// Names lists the plain format names New accepts (the parameterised ones are
// described at New).
func Names() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return names
}
