package classify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// The table file format, version 1 (default_table.yaml is an example):
//
//	version: 1                # optional; only 1 is known
//	reference: TEXT           # optional; where the documentation came from
//	codes:                    # required, not empty
//	  - code: 404             # required; 100-599, each code once
//	    category: not-found   # required; one of Categories()
//	    meaning:              # required; en, zh or both
//	      en: Requested resource does not exist
//	      zh: 请求的资源不存在。
//	    description: TEXT     # optional
//
// Every key is checked: an unknown key is an error, so that a later version
// can add keys (a `ranges:` list beside `codes:` for classes or spans of
// codes, say) without old binaries silently ignoring them.

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
// required key, a code outside 100-599, a code listed twice and an unknown
// category are errors. Every error is a *[ParseError].
func Parse(name string, data []byte) (*Table, error) {
	p := parser{name: name}
	entries, reference, err := p.parse(data)
	if err != nil {
		return nil, err
	}
	return newTable(name, reference, entries), nil
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

func (p *parser) parse(data []byte) ([]Entry, string, error) {
	if !utf8.Valid(data) {
		return nil, "", p.fail(0, fmt.Errorf("%w: not UTF-8", ErrSyntax))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, "", p.fail(0, fmt.Errorf("%w (empty file)", ErrEmpty))
		}
		return nil, "", p.syntax(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, "", p.syntax(err)
		}
		return nil, "", p.fail(extra.Line, fmt.Errorf("%w: a second YAML document", ErrSyntax))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}

	var (
		reference string
		codes     *yaml.Node
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
			reference = s
		case "codes":
			codes = v
		default:
			return p.fail(k.Line, fmt.Errorf("%w %q in table (want version, reference or codes)", ErrUnknownKey, key))
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if codes == nil || isNull(codes) {
		return nil, "", p.fail(root.Line, fmt.Errorf("%w %q in table", ErrMissingKey, "codes"))
	}
	if codes.Kind != yaml.SequenceNode {
		return nil, "", p.fail(codes.Line, fmt.Errorf("%w: codes must be a list, got %s", ErrInvalidValue, kind(codes)))
	}
	if len(codes.Content) == 0 {
		return nil, "", p.fail(codes.Line, ErrEmpty)
	}

	entries := make([]Entry, 0, len(codes.Content))
	firstLine := make(map[int]int, len(codes.Content))
	for _, item := range codes.Content {
		e, codeLine, err := p.entry(resolve(item))
		if err != nil {
			return nil, "", err
		}
		if first, ok := firstLine[e.Code]; ok {
			return nil, "", p.fail(codeLine, fmt.Errorf("%w %d (first at line %d)", ErrDuplicateCode, e.Code, first))
		}
		firstLine[e.Code] = codeLine
		entries = append(entries, e)
	}
	return entries, reference, nil
}

// entry decodes one item of codes and returns it with the line of its code.
func (p *parser) entry(n *yaml.Node) (Entry, int, error) {
	var (
		e        Entry
		codeLine int
		seen     = make(map[string]bool, 4)
		known    = map[string]bool{"code": true, "category": true, "meaning": true, "description": true}
	)
	err := p.mapping(n, "code entry", func(key string, k, v *yaml.Node) error {
		if isNull(v) && known[key] {
			return nil // an empty value is a missing one
		}
		seen[key] = true
		switch key {
		case "code":
			code, err := p.integer(v, "code")
			if err != nil {
				return err
			}
			if code < MinCode || code > MaxCode {
				return p.fail(v.Line, fmt.Errorf("%w: %d", ErrCodeRange, code))
			}
			e.Code, codeLine = code, v.Line
		case "category":
			s, err := p.text(v, "category")
			if err != nil {
				return err
			}
			c := Category(s)
			if !c.Valid() {
				return p.fail(v.Line, fmt.Errorf("%w %q (want one of %s)", ErrUnknownCategory, s, categoryList()))
			}
			e.Category = c
		case "meaning":
			return p.meaning(v, &e)
		case "description":
			s, err := p.text(v, "description")
			if err != nil {
				return err
			}
			e.Description = s
		default:
			return p.fail(k.Line, fmt.Errorf("%w %q in code entry (want code, category, meaning or description)", ErrUnknownKey, key))
		}
		return nil
	})
	if err != nil {
		return Entry{}, 0, err
	}
	for _, key := range []string{"code", "category"} {
		if !seen[key] {
			return Entry{}, 0, p.fail(n.Line, fmt.Errorf("%w %q in code entry", ErrMissingKey, key))
		}
	}
	if e.MeaningEN == "" && e.MeaningZH == "" {
		return Entry{}, 0, p.fail(n.Line, fmt.Errorf("%w %q in code entry %d (want en, zh or both)", ErrMissingKey, "meaning", e.Code))
	}
	return e, codeLine, nil
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
