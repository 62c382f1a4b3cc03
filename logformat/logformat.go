// Package logformat turns one access-log line (bytes) into a Record: the
// response status and, where the format logs them, a few optional fields.
//
// It owns the line formats and their detection. It knows nothing of files,
// rotation or metrics: callers hand it one line at a time, without the
// trailing newline, and it never keeps or allocates per line.
package logformat

import (
	"errors"
	"fmt"
	"strings"
)

// Reason says why a line gave no valid status. The set is closed: each value
// becomes a label value of httpstatus_lines_unparsed_total.
type Reason uint8

// The reasons a line is unparsed. ReasonNone means the line parsed.
const (
	ReasonNone      Reason = iota
	ReasonEmpty            // blank line (only spaces, tabs or CR)
	ReasonNoMatch          // not a line of the format (an error-log line, a header, garbage)
	ReasonBadStatus        // the status field is there but is not three digits 100-599 ("-", "0", "000", "2000")
	ReasonTooLong          // longer than the reader's bound; set by the reader, never by a parser
	numReasons
)

var reasonNames = [numReasons]string{"", "empty", "no_match", "bad_status", "too_long"}

// String returns the label value of r.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// Reasons lists every reason a line can be unparsed, in label order.
func Reasons() []Reason {
	return []Reason{ReasonEmpty, ReasonNoMatch, ReasonBadStatus, ReasonTooLong}
}

// Record is what a parser found in one line. Slices point into the line and
// are valid only until the next call with another line.
type Record struct {
	Status int    // 100-599 when the parse succeeded
	Method []byte // request method when the format logs one, else nil
}

// Parser parses one line. Implementations must not allocate, must not keep
// line after returning, and must never panic on any input. Parse returns
// ReasonNone and sets rec.Status (100-599) on success; otherwise it returns
// the reason and leaves rec.Status 0.
//
// A Parser may keep state across the lines of one file (auto detection), so a
// caller uses one Parser per file and calls it from one goroutine.
type Parser interface {
	Parse(line []byte, rec *Record) Reason
	// Name is the format the parser reads ("combined", "common", or for auto
	// the detected one once known, "auto" before that).
	Name() string
}

// ErrUnknownFormat is returned, wrapped, by New for a format name it does not know.
var ErrUnknownFormat = errors.New("logformat: unknown format")

// formats is the registry behind New and Names, in the order Names lists
// them. A new format is one row here and its parser; names with a parameter
// (such as "regex:..." or "cri+...") are parsed in New before this lookup.
var formats = [...]struct {
	name string
	new  func() Parser
}{
	{"auto", func() Parser { return &autoParser{} }},
	{"combined", func() Parser { return &clfParser{name: nameCombined} }},
	{"common", func() Parser { return &clfParser{name: nameCommon} }},
}

// New returns a fresh Parser for the format called name. Each call returns a
// new value, so state kept by one file's parser (auto detection) never leaks
// into another's. An unknown name gives an error wrapping ErrUnknownFormat.
func New(name string) (Parser, error) {
	for _, f := range formats {
		if f.name == name {
			return f.new(), nil
		}
	}
	return nil, fmt.Errorf("format %q (known: %s): %w", name, strings.Join(Names(), ", "), ErrUnknownFormat)
}

// Names lists the format names New accepts.
func Names() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return names
}
