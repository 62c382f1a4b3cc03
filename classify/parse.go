package classify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// The table file format, version 1 (default_table.yaml is an example):
//
//	version: 1                # optional; only 1 is known
//	reference: TEXT           # optional; where the documentation came from
//	codes:                    # one code each; codes, ranges or both, not empty
//	  - code: 404             # required; 100-599, each code once
//	    category: not-found   # required; one of Categories()
//	    meaning:              # required; en, zh or both
//	      en: Requested resource does not exist
//	      zh: 请求的资源不存在。
//	    description: TEXT     # optional
//	ranges:                   # spans of codes sharing one meaning
//	  - from: 520             # required; 100-599
//	    to: 527               # required; from..599; ranges do not overlap
//	    category: gateway     # required, and meaning, description as above
//	    meaning: {en: Cloudflare origin error}
//
// A code listed under codes wins over a range holding it, and a range wins
// over the class fallback. Every key is checked: an unknown key is an error,
// so that a later version can add keys without old binaries silently
// ignoring them.

// Sentinel errors of Parse, wrapped in a *ParseError that names the file and
// line; test them with errors.Is.
var (
	ErrSyntax          = errors.New("classify: invalid YAML")
	ErrUnknownKey      = errors.New("classify: unknown key")
	ErrDuplicateKey    = errors.New("classify: duplicate key")
	ErrMissingKey      = errors.New("classify: missing key")
	ErrInvalidValue    = errors.New("classify: invalid value")
	ErrCodeRange       = errors.New("classify: code outside 100-599")
	ErrDuplicateCode   = errors.New("classify: duplicate code")
	ErrOverlap         = errors.New("classify: overlapping range")
	ErrUnknownCategory = errors.New("classify: unknown category")
	ErrVersion         = errors.New("classify: unsupported table version")
	ErrEmpty           = errors.New("classify: table documents no codes")
)

// ParseError is a problem in a table file's content.
type ParseError struct {
	File string // the name given to Parse, the path for LoadFile
	Line int    // 1-based; 0 when the problem is not at one line
	Err  error  // wraps one of the package's sentinel errors
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parse parses a table file's content; name is used in errors (a path, or
// [DefaultName]). Decoding is strict: unknown or repeated keys, a missing
// required key, a code outside 100-599, a code listed twice, ranges that
// overlap and an unknown category are errors. Every error is a
// *[ParseError].
func Parse(name string, data []byte) (*Table, error) {
	p := parser{name: name}
	t, err := p.parse(data)
	if err != nil {
		return nil, err
	}
	return newTable(name, t), nil
}

type parser struct {
	name string
}

func (p *parser) fail(line int, err error) error {
	return &ParseError{File: p.name, Line: line, Err: err}
}

// yamlLine finds the line yaml.v3 names in its error text, which is the only
// place it gives one.
var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

func (p *parser) syntax(err error) error {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	return p.fail(line, fmt.Errorf("%w: %s", ErrSyntax, msg))
}

func (p *parser) parse(data []byte) (parsed, error) {
	if !utf8.Valid(data) {
		return parsed{}, p.fail(0, fmt.Errorf("%w: not UTF-8", ErrSyntax))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return parsed{}, p.fail(0, fmt.Errorf("%w (empty file)", ErrEmpty))
		}
		return parsed{}, p.syntax(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return parsed{}, p.syntax(err)
		}
		return parsed{}, p.fail(extra.Line, fmt.Errorf("%w: a second YAML document", ErrSyntax))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}

	var (
		out           parsed
		codes, ranges *yaml.Node
	)
	err := p.mapping(root, "table", func(key string, k, v *yaml.Node) error {
		switch key {
		case "version":
			n, err := p.integer(v, "version")
			if err != nil {
				return err
			}
			if n != 1 {
				return p.fail(v.Line, fmt.Errorf("%w %d (want 1)", ErrVersion, n))
			}
		case "reference":
			s, err := p.text(v, "reference")
			if err != nil {
				return err
			}
			out.reference = s
		case "codes":
			codes = v
		case "ranges":
			ranges = v
		default:
			return p.fail(k.Line, fmt.Errorf("%w %q in table (want version, reference, codes or ranges)", ErrUnknownKey, key))
		}
		return nil
	})
	if err != nil {
		return parsed{}, err
	}
	if (codes == nil || isNull(codes)) && (ranges == nil || isNull(ranges)) {
		return parsed{}, p.fail(root.Line, fmt.Errorf("%w %q in table (a table needs codes, ranges or both)", ErrMissingKey, "codes"))
	}
	for _, l := range []struct {
		name string
		n    *yaml.Node
	}{{"codes", codes}, {"ranges", ranges}} {
		if l.n != nil && !isNull(l.n) && l.n.Kind != yaml.SequenceNode {
			return parsed{}, p.fail(l.n.Line, fmt.Errorf("%w: %s must be a list, got %s", ErrInvalidValue, l.name, kind(l.n)))
		}
	}
	if len(seq(codes))+len(seq(ranges)) == 0 {
		line := root.Line
		if codes != nil {
			line = codes.Line
		} else if ranges != nil {
			line = ranges.Line
		}
		return parsed{}, p.fail(line, ErrEmpty)
	}

	out.codes = make([]Entry, 0, len(seq(codes)))
	firstLine := make(map[int]int, len(seq(codes)))
	for _, item := range seq(codes) {
		e, err := p.entry(resolve(item), false)
		if err != nil {
			return parsed{}, err
		}
		if first, ok := firstLine[e.Code]; ok {
			return parsed{}, p.fail(e.line, fmt.Errorf("%w %d (first at line %d)", ErrDuplicateCode, e.Code, first))
		}
		firstLine[e.Code] = e.line
		out.codes = append(out.codes, e.Entry)
	}
	for _, item := range seq(ranges) {
		r, err := p.entry(resolve(item), true)
		if err != nil {
			return parsed{}, err
		}
		// Pairwise in file order, so the error is at the later range; the
		// accepted ranges are disjoint within 100-599, so at most 500 of
		// them are compared with each new one.
		for _, prev := range out.ranges {
			if r.Code <= prev.to && prev.Code <= r.to {
				return parsed{}, p.fail(r.line, fmt.Errorf("%w %d-%d: it overlaps %d-%d at line %d",
					ErrOverlap, r.Code, r.to, prev.Code, prev.to, prev.line))
			}
		}
		out.ranges = append(out.ranges, r)
	}
	return out, nil
}

// parsed is a table file's content, checked.
type parsed struct {
	reference string
	codes     []Entry
	ranges    []span
}

// span is one decoded item of codes or ranges: for a range, Entry.Code is
// its first code and to its last; line is where its code (or from) is.
type span struct {
	Entry
	to   int
	line int
}

// seq returns the items of a list node, none for a missing or null one.
func seq(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// entry decodes one item of codes, or of ranges when isRange.
func (p *parser) entry(n *yaml.Node, isRange bool) (span, error) {
	what, keys, want := "code entry", []string{"code", "category"}, "code, category, meaning or description"
	if isRange {
		what, keys, want = "range", []string{"from", "to", "category"}, "from, to, category, meaning or description"
	}
	var (
		r      span
		toLine int
		seen   = make(map[string]bool, 5)
	)
	err := p.mapping(n, what, func(key string, k, v *yaml.Node) error {
		known := key == "category" || key == "meaning" || key == "description" || slices.Contains(keys, key)
		if !known {
			return p.fail(k.Line, fmt.Errorf("%w %q in %s (want %s)", ErrUnknownKey, key, what, want))
		}
		if isNull(v) {
			return nil // an empty value is a missing one
		}
		seen[key] = true
		switch key {
		case "code", "from", "to":
			code, err := p.integer(v, key)
			if err != nil {
				return err
			}
			if code < MinCode || code > MaxCode {
				if key == "code" {
					return p.fail(v.Line, fmt.Errorf("%w: %d", ErrCodeRange, code))
				}
				return p.fail(v.Line, fmt.Errorf("%w: %s %d", ErrCodeRange, key, code))
			}
			if key == "to" {
				r.to, toLine = code, v.Line
			} else {
				r.Code, r.line = code, v.Line
			}
		case "category":
			s, err := p.text(v, "category")
			if err != nil {
				return err
			}
			c := Category(s)
			if !c.Valid() {
				return p.fail(v.Line, fmt.Errorf("%w %q (want one of %s)", ErrUnknownCategory, s, categoryList()))
			}
			r.Category = c
		case "meaning":
			return p.meaning(v, &r.Entry)
		case "description":
			s, err := p.text(v, "description")
			if err != nil {
				return err
			}
			r.Description = s
		}
		return nil
	})
	if err != nil {
		return span{}, err
	}
	for _, key := range keys {
		if !seen[key] {
			return span{}, p.fail(n.Line, fmt.Errorf("%w %q in %s", ErrMissingKey, key, what))
		}
	}
	name := strconv.Itoa(r.Code)
	if isRange {
		name = fmt.Sprintf("%d-%d", r.Code, r.to)
		if r.to < r.Code {
			return span{}, p.fail(toLine, fmt.Errorf("%w: range %s ends before it starts", ErrInvalidValue, name))
		}
	} else {
		r.to = r.Code
	}
	if r.MeaningEN == "" && r.MeaningZH == "" {
		return span{}, p.fail(n.Line, fmt.Errorf("%w %q in %s %s (want en, zh or both)", ErrMissingKey, "meaning", what, name))
	}
	return r, nil
}

func (p *parser) meaning(n *yaml.Node, e *Entry) error {
	return p.mapping(n, "meaning", func(key string, k, v *yaml.Node) error {
		if !ValidLang(key) {
			return p.fail(k.Line, fmt.Errorf("%w %q in meaning (want en or zh)", ErrUnknownKey, key))
		}
		s, err := p.text(v, "meaning "+key)
		if err != nil {
			return err
		}
		if key == LangZH {
			e.MeaningZH = s
		} else {
			e.MeaningEN = s
		}
		return nil
	})
}

// mapping calls f for each key of the mapping n, in order, after checking
// that the keys are plain scalars and none repeats.
func (p *parser) mapping(n *yaml.Node, what string, f func(key string, k, v *yaml.Node) error) error {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return p.fail(n.Line, fmt.Errorf("%w: %s must be a mapping, got %s", ErrInvalidValue, what, kind(n)))
	}
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return p.fail(k.Line, fmt.Errorf("%w: a key in %s must be a string, got %s", ErrInvalidValue, what, kind(k)))
		}
		if first, ok := seen[k.Value]; ok {
			return p.fail(k.Line, fmt.Errorf("%w %q in %s (first at line %d)", ErrDuplicateKey, k.Value, what, first))
		}
		seen[k.Value] = k.Line
		if err := f(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

// integer decodes a decimal integer; YAML's other spellings (0x1F4, 5e2)
// are refused, as a table is read by people as well.
func (p *parser) integer(n *yaml.Node, what string) (int, error) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		return 0, p.fail(n.Line, fmt.Errorf("%w: %s must be an integer, got %s", ErrInvalidValue, what, kind(n)))
	}
	i, err := strconv.Atoi(n.Value)
	if err != nil {
		return 0, p.fail(n.Line, fmt.Errorf("%w: %s must be a decimal integer, got %q", ErrInvalidValue, what, n.Value))
	}
	return i, nil
}

// text decodes a string, trimmed of surrounding white space; null is "".
func (p *parser) text(n *yaml.Node, what string) (string, error) {
	if isNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", p.fail(n.Line, fmt.Errorf("%w: %s must be a string, got %s", ErrInvalidValue, what, kind(n)))
	}
	return strings.TrimSpace(n.Value), nil
}

// resolve follows aliases to the anchored node.
func resolve(n *yaml.Node) *yaml.Node {
	// An anchor cannot be put on an alias, so one step suffices; the bound
	// only guards against a malformed tree.
	for i := 0; i < 8 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kind(n *yaml.Node) string {
	switch {
	case isNull(n):
		return "null"
	case n.Kind == yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.DocumentNode:
		return "an empty document"
	}
	return "an alias"
}

func categoryList() string {
	cs := Categories()
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}
